"""What the template pages say (issue 9): every blocked verdict names its rule, a passing verdict
says what the check covers and what it cannot, the billed length is an estimate that says so,
contacts are shown as written, and rule codes come after the sentence, quietly."""

import re

import pytest
from django.urls import reverse

from signatures.models import Signature
from templates_app import services

from .factories import make_entity

pytestmark = pytest.mark.django_db

CODE_WITH_LINK = "您的验证码为${code}，5分钟内有效，详见 example.com"


@pytest.fixture
def signature(org_a):
    entity = make_entity(organization=org_a, name="示例科技有限公司", uscc="91110108MA01DEM0AW",
                                   legal_rep_name="王演示", legal_rep_id_number="110105198001010016")  # fmt: skip
    return Signature.objects.create(organization=org_a, entity=entity, source="abbreviation", text="示例科技",
                                    status="approved")  # fmt: skip


def check(client, org, signature, text, kind="marketing", language="en"):
    url = reverse("org:template-check", args=[org.pk])
    return client.post(url, {"signature": signature.pk, "kind": kind, "text": text}, HTTP_ACCEPT_LANGUAGE=language)


def test_a_verification_template_with_a_link_is_blocked_with_its_rule_named(client, org_a, owner_a, signature):
    client.force_login(owner_a)
    data = check(client, org_a, signature, CODE_WITH_LINK, kind="verification").json()
    for carrier in data["carriers"]:
        assert carrier["verdict"] == "blocked"
        blocking = [v["code"] for v in carrier["blocked_by"]]
        assert "TPL_VERIFICATION_FORMAT" in blocking, carrier
        assert all(v["severity"] == "error" for v in carrier["blocked_by"])
        assert "may carry no link or contact" in carrier["blocked_by"][-1]["message"]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (CODE_WITH_LINK, "verification"),
        ("新品上市：a.example.com 与 other.cn 同时开抢，拒收请回复R", "marketing"),  # too many links
        ("新品上市，详见 shop.example.com ，拒收请回复R", "marketing"),  # Telecom: not the entity's
        ("全场五折", "marketing"),  # no opt-out
        ("正文含【】", "notification"),
    ],
)
def test_every_blocked_verdict_names_an_error_that_blocks_it(signature, text, kind):
    result = services.template_check(signature=signature, kind=kind, text=text)
    blocked = [c for c in result.carriers if c.verdict == "blocked"]
    assert blocked
    for verdict in blocked:
        assert verdict.blocking and all(v.is_error for v in verdict.blocking), verdict
    for verdict in result.carriers:
        if verdict.verdict != "blocked":
            assert not verdict.blocking


def test_the_form_says_what_a_passing_verdict_covers_and_what_it_cannot(client, org_a, owner_a, signature):
    client.force_login(owner_a)
    page = client.get(reverse("org:template-create", args=[org_a.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = page.content.decode()
    assert 'data-allowed="可发送"' not in html  # a promise the product cannot keep
    assert 'data-allowed="未发现拦截它的已公布规则"' in html
    coverage = re.search(r'data-testid="verdict-coverage">([^<]*)<', html).group(1)
    assert "无法覆盖" in coverage and "2025.7.2" in coverage and "不保证送达" in coverage
    english = client.get(reverse("org:template-create", args=[org_a.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "so no verdict promises delivery" in english.content.decode()


def test_a_drafts_page_says_what_its_check_covers_and_puts_the_code_after_the_sentence(
    client, org_a, owner_a, signature
):
    client.force_login(owner_a)
    draft = services.template_save_draft(organization=org_a, user=owner_a, signature=signature, kind="marketing",
                                         name="活动", text="全场五折")  # fmt: skip
    html = client.get(reverse("org:template-detail", args=[org_a.pk, draft.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = html.content.decode()
    item = re.search(r'<li [^>]*data-code="TPL_MARKETING_OPT_OUT">(.*?)</li>', html).group(1)
    sentence, quiet = item.split("<small", 1)
    assert "营销短信须提供退订方式" in sentence and "TPL_" not in sentence
    assert 'class="text-body-tertiary rule-ref">平台规则 · TPL_MARKETING_OPT_OUT</small>' in "<small" + quiet
    assert "无法覆盖" in html


def test_the_billed_length_is_an_estimate_that_says_so(client, org_a, owner_a, signature):
    client.force_login(owner_a)
    text = "您的验证码为${code:6}，${name}您好"
    data = check(client, org_a, signature, text, kind="notification").json()
    default = data["variable_length"]
    assert default == 20
    assert data["estimated"] is True
    assert data["length"] == len("【示例科技】" + text)  # as written
    assert data["billed_length"] == len("【示例科技】您的验证码为，您好") + 6 + default
    plain = check(client, org_a, signature, "您的快递已到驿站", kind="notification").json()
    assert plain["estimated"] is False and plain["billed_length"] == plain["length"]
    page = client.get(reverse("org:template-create", args=[org_a.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "此为估算" in page.content.decode()


def test_the_telecom_whitelist_message_shows_the_contacts_as_written(client, org_a, owner_a, signature):
    services.template_submit(organization=org_a, user=owner_a, signature=signature, kind="notification",
                             name="a", text="您的快递已到，详询0591-87654321")  # fmt: skip
    services.template_submit(organization=org_a, user=owner_a, signature=signature, kind="notification",
                             name="b", text="您的包裹已签收，详询 138 1234 5678")  # fmt: skip
    client.force_login(owner_a)
    data = check(client, org_a, signature, "售后请拨400-810-8888", kind="notification").json()
    telecom = next(c for c in data["carriers"] if c["carrier"] == "telecom")
    [full] = [v for v in telecom["blocked_by"] if v["code"] == "TPL_SIGNATURE_WHITELIST_FULL"]
    for written in ("0591-87654321", "138 1234 5678", "400-810-8888"):
        assert written in full["message"]
    assert "059187654321" not in full["message"]


def test_a_variable_where_a_contact_goes_is_marked_and_counted(client, org_a, owner_a, signature):
    client.force_login(owner_a)
    text = "如有疑问请致电${phone}"
    data = check(client, org_a, signature, text, kind="notification").json()
    assert data["variable_contacts"] == ["${phone}"]
    assert [text[s:e] for s, e, kind in data["spans"] if kind == "variable_contact"] == ["${phone}"]
    assert {c["verdict"] for c in data["carriers"]} == {"needs_filing"}


def test_every_template_message_in_chinese_says_您_never_你(client, org_a, owner_a, signature):
    client.force_login(owner_a)
    texts = [CODE_WITH_LINK, "全场五折", "正文含【】", "${a}${b}", "咨询13812345678、010-12345678或a@b.cn",
             "新品上市：a.example.com 与 other.cn 同时开抢", "致电${tel}"]  # fmt: skip
    messages = []
    for text in texts:
        for kind in ("verification", "notification", "marketing"):
            data = check(client, org_a, signature, text, kind=kind, language="zh-hans").json()
            messages += [v["message"] for v in data["general"]]
            messages += [v["message"] for c in data["carriers"] for v in c["violations"] + c["blocked_by"]]
    codes = {re.sub(r"[^A-Z_]", "", m) for m in messages}
    assert len(messages) > 50 and codes
    assert [m for m in messages if "你" in m] == []
    for name in ("org:template-create", "org:template-list"):
        assert "你" not in client.get(reverse(name, args=[org_a.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()


# A rule reference as a page shows it: never the machine form "YYYY-MM-DD · notice".
BARE_REF = re.compile(r"\d{4}-\d{2}-\d{2} · ")
DATED_LINK = "新品上市，详见 shop.example.com ，拒收请回复R"  # needs filing (dated) and a domain Telecom wants owned


def _rules(data) -> list[dict]:
    every = list(data["general"])
    for carrier in data["carriers"]:
        every += carrier["blocked_by"] + carrier["violations"]
    return every


@pytest.mark.parametrize(("language", "platform"), [("en", "Platform rule"), ("zh-hans", "平台规则")])
def test_the_checks_rule_references_read_as_sentences_and_keep_the_machine_form(
    client, org_a, owner_a, signature, language, platform
):
    client.force_login(owner_a)
    every = _rules(check(client, org_a, signature, DATED_LINK, language=language).json())
    every += _rules(check(client, org_a, signature, "全场五折", language=language).json())
    dated = [v for v in every if BARE_REF.match(v["rule_ref"])]
    assert dated and any(v["rule_ref"] == "platform rule" for v in every)
    assert [v["rule"] for v in every if BARE_REF.search(v["rule"])] == []
    for v in dated:
        day, notice = v["rule_ref"].split(" · ")
        expected = f"自 {day} 起（通知 {notice}）" if language != "en" else f"From {day} (notice {notice})"
        assert v["rule"] == expected
    assert {v["rule"] for v in every if v["rule_ref"] == "platform rule"} == {platform}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_no_template_page_shows_a_bare_rule_reference(client, org_a, owner_a, signature, language):
    client.force_login(owner_a)
    draft = services.template_save_draft(organization=org_a, user=owner_a, signature=signature, kind="marketing",
                                         name="活动", text=DATED_LINK)  # fmt: skip
    pages = [reverse("org:template-detail", args=[org_a.pk, draft.pk]), reverse("org:template-list", args=[org_a.pk]),
             reverse("org:template-edit", args=[org_a.pk, draft.pk]),
             reverse("org:template-create", args=[org_a.pk])]  # fmt: skip
    for url in pages:
        html = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert not BARE_REF.search(html), url
    detail = client.get(pages[0], HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert ("（通知 2025.7.2）" if language != "en" else "(notice 2025.7.2)") in detail


NOTICE_NUMBER = r"\d{4}\.\d{1,2}\.\d{1,2}"


def test_every_mention_of_a_notice_reads_notice_then_its_number():
    """ "通知 2025.7.2" / "notice 2025.7.2": never "2025.7.2 通知", "2025.7.2 公告" or "公告 2025.7.2"."""
    from .test_project import BASE_DIR, _po_entries

    wrong = []
    for msgid, msgstr, _ in _po_entries(BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"):
        if msgid.startswith("The announcement it comes from"):
            continue  # the policy admin's help text (signatures/, another change): a field, not a mention
        for match in re.finditer(rf"(\S{{0,3}}\s?)({NOTICE_NUMBER})", msgstr):
            if not match.group(1).endswith(("通知 ", "、")):
                wrong.append(msgstr)
        for match in re.finditer(NOTICE_NUMBER, msgid):
            lead = msgid[: match.start()]
            if not lead.endswith(("notice ", "notices ")) and not re.search(rf"notices {NOTICE_NUMBER}, $", lead):
                wrong.append(msgid)
        if re.search(rf"{NOTICE_NUMBER}\s*(通知|公告)|公告\s*{NOTICE_NUMBER}", msgstr):
            wrong.append(msgstr)
    assert wrong == []
