"""The real pages in Debian's Chromium, driven by Playwright."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Invitation, Membership, Organization

from .conftest import wait_for
from .factories import make_entity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STRONG = "Quite-Long-Passw0rd"


def test_sign_up_switch_language_log_out_and_in(page):
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.get_by_role("link", name="注册", exact=True).click()

    page.get_by_label("工作邮箱").fill("founder@delta.cn")
    page.get_by_label("您的姓名").fill("赵六")
    page.get_by_label("组织名称").fill("丁信息技术有限公司")
    page.locator("#id_password1").fill(STRONG)
    page.locator("#id_password2").fill(STRONG)
    page.get_by_role("button", name="创建账户").click()

    expect(page.get_by_test_id("org-name")).to_have_text("丁信息技术有限公司")
    expect(page.get_by_text("欢迎！您的组织已创建。")).to_be_visible()
    expect(page.get_by_test_id("signatures-card")).to_contain_text("尚无短信签名")
    org = Organization.objects.get(name="丁信息技术有限公司")
    assert page.url.endswith(f"/o/{org.pk}/")

    page.get_by_label("语言 / Language").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("signatures-card")).to_contain_text("No signatures yet.")
    assert page.url.endswith(f"/o/{org.pk}/")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()

    page.get_by_label("Email address").fill("FOUNDER@delta.cn")
    page.locator("#id_password").fill(STRONG)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("org-name")).to_have_text("丁信息技术有限公司")
    expect(page.get_by_test_id("current-user")).to_have_text("founder@delta.cn")


def test_sign_up_with_a_taken_email_shows_the_reason_on_the_field(page, owner_a):
    page.goto("/accounts/signup/")
    page.get_by_label("工作邮箱").fill("owner-a@alpha.cn")
    page.get_by_label("您的姓名").fill("重复")
    page.get_by_label("组织名称").fill("重复有限公司")
    page.locator("#id_password1").fill(STRONG)
    page.locator("#id_password2").fill(STRONG)
    page.get_by_role("button", name="创建账户").click()
    expect(page.locator("#id_email")).to_have_class(re.compile("is-invalid"))
    expect(page.get_by_text("该邮箱已注册。")).to_be_visible()
    assert not Organization.objects.filter(name="重复有限公司").exists()


@pytest.mark.integration
def test_invited_member_receives_the_email_through_the_worker_and_joins(
    browser, live_server, page, celery_worker, owner_a, org_a, password
):
    page.goto("/accounts/login/")
    page.get_by_label("邮箱地址").fill(owner_a.email)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="成员").click()
    page.get_by_label("邮箱地址").fill("newbie@alpha.cn")
    page.get_by_role("button", name="发送邀请").click()
    expect(page.get_by_text("已向 newbie@alpha.cn 发送邀请。")).to_be_visible()

    assert wait_for(lambda: Invitation.objects.filter(email="newbie@alpha.cn", email_status="sent").exists())
    mail = wait_for(
        lambda: next(
            (p.read_text() for p in celery_worker["mail_dir"].glob("*.log") if "To: newbie@alpha.cn" in p.read_text()),
            None,
        )
    )
    assert mail, "no email reached the worker's mailbox"
    path = re.search(r"http://[^/\s]+(/accounts/invitations/\S+/)", mail).group(1)

    guest = browser.new_context(locale="zh-CN", base_url=live_server.url).new_page()
    guest.goto(path)
    expect(guest.get_by_role("heading", name=f"加入 {org_a.name}")).to_be_visible()
    guest.get_by_label("您的姓名").fill("新同事")
    guest.locator("#id_password1").fill(STRONG)
    guest.locator("#id_password2").fill(STRONG)
    guest.get_by_role("button", name="创建账户并加入").click()
    expect(guest.get_by_test_id("org-name")).to_have_text(org_a.name)
    assert Membership.objects.filter(user__email="newbie@alpha.cn", organization=org_a).exists()

    # The link works once.
    guest.goto(path)
    expect(guest.get_by_test_id("invitation-error")).to_have_text("该邀请已被使用。")
    guest.context.close()


def test_staff_enter_the_admin_with_email_password_and_code(page, reviewer, password):
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    page.goto("/admin/")
    page.locator("#id_username").fill(reviewer.email)
    page.locator("#id_password").fill(password)
    device = TOTPDevice.objects.get(user=reviewer)
    page.get_by_label("6 位验证码").fill(f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}")
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#site-name")).to_contain_text("短信签名报备平台")
    expect(page.get_by_role("link", name="组织", exact=True)).to_be_visible()


def _log_in(page, user, password):
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(user.email)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name="登录").click()


def test_register_an_entity_upload_its_documents_and_see_the_checklist_turn_green(page, owner_a, password, tmp_path):
    from . import files

    licence = tmp_path / "licence.jpg"
    licence.write_bytes(files.jpeg(1200, 850))
    id_front, id_back = tmp_path / "front.jpg", tmp_path / "back.jpg"
    id_front.write_bytes(files.jpeg(856, 540, color=(230, 230, 210)))
    id_back.write_bytes(files.jpeg(856, 540, color=(210, 230, 230)))

    _log_in(page, owner_a, password)
    page.get_by_role("link", name="主体", exact=True).click()
    page.get_by_role("link", name="登记主体").click()
    page.locator("#id_name").fill("甲科技有限公司")
    uscc = page.locator("#id_uscc")
    uscc.fill("91110000802100433C")  # a wrong check character, flagged while typing
    expect(uscc).to_have_class(re.compile("is-invalid"))
    expect(page.get_by_text("统一社会信用代码的校验位不正确")).to_be_visible()
    uscc.fill("91110000802100433B")
    expect(uscc).to_have_class(re.compile("is-valid"))
    page.locator("#id_legal_rep_name").fill("张三")
    page.locator("#id_legal_rep_id_number").fill("11010519491231002X")
    page.get_by_label("本组织自身").check()  # whose entity it is: asked, with no default
    page.get_by_role("button", name="保存").click()

    expect(page.get_by_test_id("entity-name")).to_have_text("甲科技有限公司")
    expect(page.get_by_test_id("legal-rep-id")).to_have_text("110105********002X")
    expect(page.get_by_test_id("checklist-state")).to_have_text("未齐全")

    page.locator('li[data-kind="entity_certificate"] input[type=file]').set_input_files(str(licence))
    with page.expect_navigation():  # the script reloads the page once the upload is stored
        page.locator('li[data-kind="entity_certificate"] button[type=submit]').click()
    expect(page.locator('li[data-kind="entity_certificate"]')).to_have_attribute("data-satisfied", "true")

    # ID images need the separate consent first.
    page.locator('li[data-kind="legal_rep_id_front"]').get_by_role("link", name="请先阅读告知并同意").click()
    expect(page.get_by_test_id("notice-zh")).to_contain_text("仅用于短信签名实名报备")
    page.get_by_label("我已阅读上述告知").check()
    page.get_by_role("button", name="我同意").click()

    for kind, path in (("legal_rep_id_front", id_front), ("legal_rep_id_back", id_back)):
        page.locator(f'li[data-kind="{kind}"] input[type=file]').set_input_files(str(path))
        with page.expect_navigation():
            page.locator(f'li[data-kind="{kind}"] button[type=submit]').click()
        expect(page.locator(f'li[data-kind="{kind}"]')).to_have_attribute("data-satisfied", "true")

    expect(page.get_by_test_id("checklist-state")).to_have_text("已齐全")
    preview = page.get_by_test_id("preview-legal_rep_id_front")
    expect(preview).to_be_visible()
    assert preview.evaluate("img => img.naturalWidth") > 0  # served through the document view
    page.screenshot(path=str(tmp_path / "entity.png"), full_page=True)


def test_a_bad_file_is_refused_in_the_page_with_its_reason(page, owner_a, password, tmp_path):
    from qualifications.models import Document

    from . import files

    org = owner_a.memberships.get().organization
    entity = make_entity(organization=org, name="甲科技有限公司", uscc="91110000802100433B",
                                   legal_rep_name="张三", legal_rep_id_number="11010519491231002X")  # fmt: skip
    fake = tmp_path / "licence.jpg"
    fake.write_bytes(files.HTML)
    _log_in(page, owner_a, password)
    page.goto(f"/o/{org.pk}/entities/{entity.pk}/")
    page.locator('li[data-kind="entity_certificate"] input[type=file]').set_input_files(str(fake))
    page.locator('li[data-kind="entity_certificate"] button[type=submit]').click()
    expect(page.get_by_test_id("errors-entity_certificate")).to_contain_text("仅接受 JPEG、PNG、WebP 图片或 PDF 文件")
    assert not Document.objects.exists()


def test_an_upload_answered_by_an_error_page_or_lost_says_so_in_chinese(page, owner_a, password, tmp_path):
    from django.urls import reverse

    from . import files

    org = owner_a.memberships.get().organization
    entity = make_entity(organization=org, name="甲科技有限公司", uscc="91110000802100433B",
                                   legal_rep_name="张三", legal_rep_id_number="11010519491231002X")  # fmt: skip
    licence = tmp_path / "licence.jpg"
    licence.write_bytes(files.jpeg(1200, 850))
    upload_url = "**" + reverse("org:document-upload", args=[org.pk, entity.pk])
    _log_in(page, owner_a, password)
    page.goto(f"/o/{org.pk}/entities/{entity.pk}/")
    errors = page.get_by_test_id("errors-entity_certificate")

    # A 500 (or a proxy's error page): HTML, not JSON; its English status text must not show.
    page.route(upload_url, lambda route: route.fulfill(status=500, content_type="text/html",
                                                       body="<h1>Server Error (500)</h1>"))  # fmt: skip
    page.locator('li[data-kind="entity_certificate"] input[type=file]').set_input_files(str(licence))
    page.locator('li[data-kind="entity_certificate"] button[type=submit]').click()
    expect(errors).to_have_text("上传失败，请稍后重试。")
    expect(errors).not_to_contain_text("Internal Server Error")

    # No answer at all (the network).
    page.unroute(upload_url)
    page.route(upload_url, lambda route: route.abort("connectionreset"))
    page.reload()
    expect(errors).to_have_text("")
    page.locator('li[data-kind="entity_certificate"] input[type=file]').set_input_files(str(licence))
    page.locator('li[data-kind="entity_certificate"] button[type=submit]').click()
    expect(errors).to_have_text("上传失败，请稍后重试。")
    expect(page.locator('li[data-kind="entity_certificate"] .progress')).to_be_hidden()


def test_a_newcomer_files_an_abbreviation_for_the_demo_entity_seeing_live_violations_first(page):
    from io import StringIO

    from django.core.management import call_command

    call_command("seed_demo", stdout=StringIO())  # the demo entity, with generated documents
    page.goto("/accounts/login/")
    page.locator("#id_username").fill("customer@demo.example")
    page.locator("#id_password").fill("Demo-Pass-2026")
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="短信签名", exact=True).first.click()
    page.get_by_role("link", name="申请签名").click()
    expect(page.locator("#id_entity")).to_have_value(re.compile(".+"))  # the organization's own entity is chosen
    expect(page.locator("#id_source")).to_have_value("abbreviation")
    text = page.locator("#id_text")

    text.fill("技科")
    expect(page.locator('[data-violations] li[data-code="SIG_ABBREVIATION_ORDER"]')).to_be_visible()
    # The sentence first, then where the rule comes from (date first), then the code, quietly.
    quiet = "中。自 2025-03-31 起（通知 2025.3.31） · SIG_ABBREVIATION_ORDER"
    expect(page.locator("[data-violations]")).to_contain_text(quiet)
    expect(page.get_by_role("button", name="提交审核")).to_be_disabled()

    text.fill("示例1")
    expect(page.locator('[data-violations] li[data-code="SIG_HAS_DIGIT"]')).to_be_visible()

    text.fill("示例科技")
    expect(page.locator("[data-violations] li")).to_have_count(0)
    expect(page.locator("[data-preview-text]")).to_have_text("示例科技")
    expect(page.get_by_role("button", name="提交审核")).to_be_enabled()
    page.get_by_role("button", name="提交审核").click()

    expect(page.get_by_test_id("signature-text")).to_have_text("【示例科技】")
    expect(page.get_by_test_id("signature-status")).to_have_text("已提交")
    expect(page.get_by_test_id("timeline")).to_contain_text("草稿 → 已提交")


def test_a_marketing_template_with_two_links_is_blocked_everywhere_then_fixed_and_submitted(page, owner_a, password):
    from qualifications.models import OwnedAddress
    from signatures.models import Signature

    org = owner_a.memberships.get().organization
    entity = make_entity(organization=org, name="示例科技有限公司", uscc="91110108MA01DEM0AW",
                                   legal_rep_name="王演示", legal_rep_id_number="110105198001010016")  # fmt: skip
    OwnedAddress.objects.create(entity=entity, kind="domain", value="example.com")
    Signature.objects.create(organization=org, entity=entity, source="abbreviation", text="示例科技", status="approved")
    _log_in(page, owner_a, password)
    page.goto(f"/o/{org.pk}/templates/new/")
    page.locator("#id_signature").select_option(label="【示例科技】")
    page.locator("#id_kind").select_option("marketing")
    page.locator("#id_name").fill("双十一活动")
    page.locator("#id_text").fill("双十一：a.example.com 与 other.cn 同时开抢，拒收请回复R")
    verdicts = page.get_by_test_id("carrier-verdicts")
    for carrier in ("mobile", "unicom", "telecom"):
        expect(verdicts.locator(f'tr[data-carrier="{carrier}"]')).to_have_attribute("data-verdict", "blocked")
    expect(verdicts).to_contain_text("TPL_TOO_MANY_LINKS")
    expect(page.locator("[data-highlighted] mark")).to_have_count(2)
    expect(page.locator("[data-night]")).to_contain_text("23:00-07:00")
    expect(page.get_by_role("button", name="提交审核")).to_be_disabled()

    # Not ready yet: kept as a draft (nothing is checked), then taken up again from its page.
    page.get_by_role("button", name="保存为草稿").click()
    expect(page.get_by_test_id("template-status")).to_have_text("草稿")
    page.get_by_role("link", name="编辑并提交").click()
    expect(page.locator("#id_text")).to_have_value("双十一：a.example.com 与 other.cn 同时开抢，拒收请回复R")
    expect(verdicts.locator('tr[data-carrier="telecom"]')).to_have_attribute("data-verdict", "blocked")
    page.locator("#id_text").fill("双十一：详见 shop.example.com ，拒收请回复R")
    for carrier in ("mobile", "unicom", "telecom"):
        expect(verdicts.locator(f'tr[data-carrier="{carrier}"]')).to_have_attribute("data-verdict", "needs_filing")
    page.get_by_role("button", name="提交审核").click()
    expect(page.get_by_test_id("template-status")).to_have_text("已提交")
    expect(page.get_by_test_id("timeline")).to_contain_text("草稿 → 已提交")


def test_a_long_full_name_offers_abbreviations_and_a_draft_keeps_the_source_picked(page, owner_a, password):
    from django.urls import reverse

    from signatures.models import Signature

    from .test_signatures import complete_package

    name = "福州闽江云通信科技有限公司"  # 13 characters: one too many for a signature
    org = owner_a.memberships.get().organization
    entity = make_entity(organization=org, name=name, uscc="91350100MA2XYZ1234", legal_rep_name="林五",
                                   legal_rep_id_number="11010519491231002X")  # fmt: skip
    complete_package(entity)
    _log_in(page, owner_a, password)
    create = reverse("org:signature-create", args=[org.pk])
    page.goto(create)
    source = page.locator("#id_source")
    # Choosing the full name fills it in, says it is too long, and proposes abbreviations that pass.
    source.select_option("full_name")
    expect(page.locator("#id_text")).to_have_value(name)
    expect(page.locator('[data-violations] li[data-code="SIG_LENGTH"]')).to_contain_text("企业全称有 13 个字")
    expect(page.locator('[data-violations] li[data-code="SIG_LENGTH"]')).to_contain_text("平台规则")
    page.locator('[data-proposal="闽江云通信"]').click()
    expect(source).to_have_value("abbreviation")
    expect(page.locator("#id_text")).to_have_value("闽江云通信")
    # The other proposals stay in view to compare, the chosen one marked; another can be taken at once.
    expect(page.locator('[data-proposal="闽江云通信"]')).to_have_attribute("aria-pressed", "true")
    expect(page.locator('[data-proposal="闽江云通信科技"]')).to_be_visible()
    expect(page.locator('[data-proposal="闽江云通信科技"]')).to_have_attribute("aria-pressed", "false")
    page.locator('[data-proposal="闽江云通信科技"]').click()
    expect(page.locator("#id_text")).to_have_value("闽江云通信科技")
    expect(page.locator('[data-proposal="闽江云通信科技"]')).to_have_attribute("aria-pressed", "true")
    page.locator('[data-proposal="闽江云通信"]').click()
    expect(page.locator("[data-check-state]")).to_have_class(re.compile("text-success"))
    expect(page.locator("[data-violations] li")).to_have_count(0)
    expect(page.get_by_role("button", name="提交审核")).to_be_enabled()
    # A source this entity cannot use yet (no trademark), picked before the check knew: it stays picked,
    # the reason beside it, and a draft saved now keeps it.
    page.goto(create)
    source.select_option("trademark")
    page.locator("#id_text").fill("小度")
    expect(page.locator("[data-source-note]")).to_contain_text("该主体尚未登记注册商标")
    expect(page.locator('#id_source option[value="trademark"]')).to_be_enabled()
    page.get_by_role("button", name="保存为草稿").click()
    expect(page.get_by_test_id("signature-status")).to_have_text("草稿")
    assert Signature.objects.get().source == "trademark"


def _two_filed_entities(org):
    """Two entities of ``org`` with their real-name packages complete: a long full name, and another."""

    from .test_signatures import complete_package

    people = {"legal_rep_id_number": "11010519491231002X"}
    a = complete_package(make_entity(organization=org, name="福州闽江云通信科技有限公司",
                                               uscc="91350100MA2XYZ1234", legal_rep_name="林五", **people))  # fmt: skip
    # The second is another account's own entity, shared with this one (a group with several accounts):
    # an organization's other entities are partners, whose names need their letter.
    from qualifications.models import EntityShare

    from .factories import OrganizationFactory

    b = complete_package(make_entity(organization=OrganizationFactory(), name="北京小度科技有限公司",
                                     uscc="91110108MA01B2C3D4", legal_rep_name="王五", **people))  # fmt: skip
    EntityShare.objects.create(entity=b, organization=org)
    return a, b


def test_evidence_follows_the_chosen_entity_and_a_draft_survives_switching_entity(page, owner_a, password):
    from django.urls import reverse

    from qualifications.models import Trademark
    from signatures.models import Signature

    org = owner_a.memberships.get().organization
    a, b = _two_filed_entities(org)
    # Enough of A's trademarks for the select to be a searchable one (Tom Select).
    Trademark.objects.bulk_create(
        Trademark(entity=a, name=f"闽江{i}", registration_number=f"8{i:07d}", owner_name=a.name) for i in range(24)
    )
    mine = Trademark.objects.get(name="闽江0")
    _log_in(page, owner_a, password)
    page.goto(reverse("org:signature-create", args=[org.pk]))
    entity, source, trademark = page.locator("#id_entity"), page.locator("#id_source"), page.locator("#id_trademark")
    options = "s => s.tomselect ? Object.keys(s.tomselect.options).filter(Boolean).length : -1"
    # B first: it has no trademark, so none is offered (not A's), and the form says so with the way to add one.
    entity.select_option(label=b.name)
    source.select_option("trademark")
    expect(page.get_by_test_id("no-trademark")).to_be_visible()
    expect(page.get_by_test_id("no-trademark").locator("a")).to_have_attribute("href", re.compile(str(b.pk)))
    assert trademark.evaluate(options) == 0
    # A: its trademarks, searchable; one is picked and the check finds it.
    entity.select_option(label=a.name)
    expect(page.get_by_test_id("no-trademark")).to_be_hidden()
    assert trademark.evaluate(options) == 24
    trademark.evaluate(f"s => s.tomselect.setValue('{mine.pk}')")
    page.locator("#id_text").fill("闽江0")
    expect(page.locator("[data-violations]")).not_to_contain_text("请选择该签名所依据的注册商标")
    # Switch to B: A's trademark is cleared (the check panel agrees: none chosen), and the draft saves.
    entity.select_option(label=b.name)
    expect(trademark).to_have_value("")
    assert trademark.evaluate(options) == 0
    page.locator("#id_text").fill("小度")
    expect(page.locator("[data-violations]")).to_contain_text("请选择该签名所依据的注册商标")
    page.get_by_role("button", name="保存为草稿").click()
    expect(page.get_by_test_id("signature-status")).to_have_text("草稿")
    draft = Signature.objects.get()
    assert (draft.entity_id, draft.source, draft.text, draft.trademark_id) == (b.pk, "trademark", "小度", None)


def test_the_full_name_is_filled_when_chosen_can_be_cleared_and_follows_the_entity(page, owner_a, password):
    from django.urls import reverse

    org = owner_a.memberships.get().organization
    a, b = _two_filed_entities(org)
    _log_in(page, owner_a, password)
    page.goto(reverse("org:signature-create", args=[org.pk]))
    entity, source, text = page.locator("#id_entity"), page.locator("#id_source"), page.locator("#id_text")
    expect(page.get_by_test_id("source-note")).to_have_class(re.compile(r"\bd-none\b"))  # nothing to say yet
    entity.select_option(label=a.name)
    source.select_option("full_name")
    expect(text).to_have_value(a.name)
    expect(page.locator('[data-violations] li[data-code="SIG_LENGTH"]')).to_be_visible()
    # Emptied by the customer: it stays empty (the check ran on the empty text and did not refill it).
    text.fill("")
    expect(page.locator("[data-preview-text]")).to_have_text("")
    expect(page.locator('[data-violations] li[data-code="SIG_NOT_FULL_NAME"], [data-violations] '
                        'li[data-code="SIG_LENGTH"]')).not_to_have_count(0)  # fmt: skip
    page.wait_for_timeout(500)
    expect(text).to_have_value("")
    # Another entity while the text is the previous entity's name: the new entity's name replaces it.
    text.fill(a.name)
    entity.select_option(label=b.name)
    expect(text).to_have_value(b.name)
    expect(page.locator("[data-check-state]")).to_have_class(re.compile("text-success"))
    # A text of the customer's own is never replaced.
    text.fill("小度科技")
    page.wait_for_timeout(300)
    entity.select_option(label=a.name)
    expect(page.locator('[data-violations] li[data-code="SIG_NOT_FULL_NAME"]')).to_be_visible()
    expect(text).to_have_value("小度科技")
