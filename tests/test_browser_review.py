"""Issue 10's "done when", in Chromium: a reviewer claims the demo signature, checks it against the
checklist beside its documents and asks for a change pinned to the text; the customer sees it on
that field, fixes it and resubmits; the reviewer sees what changed and approves. A partner
signature waits for a second reviewer, and the first reviewer cannot be the second."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.management.commands.seed_demo import CUSTOMER, DEMO_PASSWORD, STAFF
from signatures.models import Signature

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REVIEWER, SECOND_REVIEWER = STAFF[0][0], STAFF[1][0]
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "review"


def _shot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _admin_log_in(page, email):
    """Email, password and the current 6-digit code, as a person types them."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.management.commands.seed_demo import current_code

    page.goto("/admin/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.get_by_label("6 位验证码").fill(current_code(TOTPDevice.objects.get(user__email=email)))
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#site-name")).to_contain_text("短信签名报备平台")


def _open_from_queue(page, label):
    page.goto("/admin/")
    page.get_by_role("link", name="审核队列").first.click()
    expect(page.get_by_test_id("review-queue")).to_be_visible()
    page.get_by_test_id("review-queue").get_by_role("link", name=re.compile("^" + re.escape(label))).click()
    expect(page.get_by_test_id("review-item")).to_be_visible()


def _claim(page):
    page.get_by_test_id("claim").click()
    expect(page.locator(".messagelist")).to_contain_text("您已领取")
    expect(page.get_by_test_id("review-status")).to_have_attribute("data-state", "in_review")


def _tick_manual_items(page):
    manual = page.locator('[data-testid="checklist"] li[data-automatic="0"] input[name="ticked"]')
    assert manual.count() > 0
    for i in range(manual.count()):
        manual.nth(i).check()
    return manual.count()


def _check_automatic_items(page):
    automatic = page.locator('[data-testid="checklist"] li[data-automatic="1"]')
    assert automatic.count() > 0
    # Every automatic item shows its result (passed, or failed with the reason), none is a checkbox.
    for i in range(automatic.count()):
        expect(automatic.nth(i).locator("[data-result]")).to_have_count(1)
        expect(automatic.nth(i).locator("input")).to_have_count(0)
    expect(automatic.locator('[data-result="passed"]').first).to_be_visible()


def test_a_change_is_asked_on_the_text_the_customer_fixes_it_and_the_reviewer_approves(page, browser, live_server):
    call_command("seed_demo", stdout=StringIO())
    signature = Signature.objects.get(text="示例")

    # 1. The reviewer enters the admin with the second factor.
    _admin_log_in(page, REVIEWER)
    _shot(page, "01-admin-index")

    # 2. From the admin's first page to the queue, the demo signature, a claim.
    page.get_by_role("link", name="审核队列").first.click()
    expect(page.locator("h1")).to_have_text("审核队列")
    expect(
        page.get_by_test_id("review-queue").locator(f'tr[data-kind="signature"][data-pk="{signature.pk}"]')
    ).to_be_visible()
    _shot(page, "02-queue")
    page.get_by_test_id("review-queue").get_by_role("link", name=re.compile("^【示例】")).click()
    expect(page.get_by_test_id("review-text")).to_have_text("【示例】")
    expect(page.get_by_text("领取后才能作出决定。")).to_be_visible()
    expect(page.get_by_test_id("decide")).to_have_count(0)
    _claim(page)
    expect(page.get_by_test_id("review-holder")).to_contain_text("审核员 Demo Reviewer")

    _check_automatic_items(page)

    # The documents open in the viewer, through the permission-checked door; zoom and rotate.
    documents = page.get_by_test_id("documents")
    expect(documents).to_be_visible()
    viewer, image = page.locator("[data-viewer]"), page.locator("[data-viewer-image]")
    expect(viewer).to_be_hidden()
    with page.expect_response(re.compile(r"/file/?$")) as opened:
        documents.get_by_role("button", name="查看", exact=True).first.click()
    assert opened.value.status == 200
    expect(viewer).to_be_visible()
    page.wait_for_function("() => document.querySelector('[data-viewer-image]').naturalWidth > 0")
    viewer.locator('[data-zoom="1.25"]').click()
    viewer.locator('[data-zoom="1.25"]').click()
    viewer.get_by_role("button", name=re.compile("旋转")).click()
    expect(image).to_have_attribute("style", re.compile(r"width: 156\.25%.*rotate\(90deg\)"))
    _shot(page, "03-item-claimed-viewer")

    # The checklist stands beside the documents (two columns at 1280 px, the admin's sidebar open),
    # its items without the admin's square bullets.
    docs_box, checklist_box = documents.bounding_box(), page.get_by_test_id("checklist").bounding_box()
    assert checklist_box["x"] >= docs_box["x"] + docs_box["width"]
    assert (
        page.locator('[data-testid="checklist"] > li').first.evaluate("li => getComputedStyle(li).listStyleType")
        == "none"
    )
    ticked = _tick_manual_items(page)
    assert ticked >= 1
    page.get_by_label("要求修改").check()
    page.locator('input[name="reasons"][value="REV_SIGNATURE_MISLEADING"]').check()
    page.locator('textarea[name="note"]').fill("请使用能识别贵公司的签名，例如全称中的连续字。")
    _shot(page, "04-decision-filled")
    page.get_by_role("button", name="记录决定").click()
    expect(page.locator(".messagelist")).to_contain_text("客户现在即可看到")
    expect(page.get_by_test_id("review-queue")).to_be_visible()
    signature.refresh_from_db()
    assert signature.status == "changes_requested"
    _shot(page, "05-queue-after-decision")

    # 3. The customer sees the reason on the text and the note, fixes the text and resubmits.
    customer = browser.new_context(locale="zh-CN", base_url=live_server.url).new_page()
    customer.goto("/accounts/login/")
    customer.locator("#id_username").fill(CUSTOMER[0])
    customer.locator("#id_password").fill(DEMO_PASSWORD)
    customer.get_by_role("button", name="登录").click()
    expect(customer.get_by_test_id("current-user")).to_have_text(CUSTOMER[0])
    customer.get_by_role("link", name="短信签名", exact=True).first.click()
    customer.get_by_role("link", name="【示例】").first.click()
    expect(customer.get_by_test_id("signature-text")).to_have_text("【示例】")
    on_text = customer.locator('[data-review-reason="REV_SIGNATURE_MISLEADING"][data-concerns="text"]')
    expect(on_text).to_contain_text("签名易使人误解发送方")
    expect(customer.get_by_test_id("decision-note")).to_contain_text("请使用能识别贵公司的签名")
    _shot(customer, "06-customer-detail")
    customer.get_by_role("link", name="编辑并提交").click()
    expect(on_text).to_be_visible()  # beside the text field on the form too
    _shot(customer, "07-customer-form")
    customer.locator("#id_text").fill("示例科技")
    acknowledge = customer.locator("[data-acknowledge] input[type=checkbox]")
    customer.wait_for_timeout(600)  # the live check answers
    if acknowledge.is_visible():
        acknowledge.check()
    customer.get_by_role("button", name="提交审核").click()
    expect(customer.get_by_test_id("signature-text")).to_have_text("【示例科技】")
    expect(customer.get_by_test_id("signature-status")).to_contain_text("已提交")
    _shot(customer, "08-customer-resubmitted")
    customer.context.close()

    # 4. The reviewer opens it again, sees what changed, ticks, approves.
    _open_from_queue(page, "【示例科技】")
    changes = page.get_by_test_id("changes")
    expect(changes).to_contain_text("上次决定后的改动")
    expect(changes.locator("li")).to_have_count(1)
    expect(changes).to_contain_text("签名")
    _claim(page)
    _check_automatic_items(page)
    _tick_manual_items(page)
    page.get_by_label("通过", exact=True).check()
    _shot(page, "09-item-after-resubmission")
    page.get_by_role("button", name="记录决定").click()
    expect(page.locator(".messagelist")).to_contain_text(re.compile("已决定：.*通过"))
    signature.refresh_from_db()
    assert signature.status == "approved"
    assert signature.text == "示例科技"


def test_a_partner_signature_waits_for_a_second_different_reviewer(page, browser, live_server):
    call_command("seed_demo", stdout=StringIO())
    signature = Signature.objects.get(text="示例伙伴")

    # The first reviewer approves: the signature waits for a second reviewer.
    _admin_log_in(page, REVIEWER)
    _open_from_queue(page, "【示例伙伴】")
    _claim(page)
    _check_automatic_items(page)
    _tick_manual_items(page)
    page.get_by_label("通过", exact=True).check()
    page.get_by_role("button", name="记录决定").click()
    expect(page.locator(".messagelist")).to_contain_text("已通过一次：须等另一位审核员复核")
    signature.refresh_from_db()
    assert signature.status == "awaiting_second"
    row = page.get_by_test_id("review-queue").locator(f'tr[data-kind="signature"][data-pk="{signature.pk}"]')
    expect(row).to_contain_text("您给出了第一次通过")
    _shot(page, "10-queue-awaiting-second")

    # The first reviewer cannot claim it again: the page says why, and a forced claim is refused.
    row.get_by_role("link", name=re.compile("^【示例伙伴】")).click()
    expect(page.get_by_test_id("second-needed")).to_contain_text("另一位审核员")
    expect(page.get_by_test_id("claim")).to_have_count(0)
    _shot(page, "11-first-reviewer-cannot-claim")
    page.evaluate(
        """(url) => { const f = document.createElement('form'); f.method = 'post'; f.action = url;
        const t = document.createElement('input'); t.type = 'hidden'; t.name = 'csrfmiddlewaretoken';
        t.value = document.querySelector('[name=csrfmiddlewaretoken]').value; f.append(t);
        document.body.append(f); f.submit(); }""",
        f"/admin/review/signature/{signature.pk}/claim/",
    )
    expect(page.locator(".messagelist .error")).to_contain_text("须由另一位审核员复核：第一次通过是您给出的。")
    _shot(page, "12-forced-claim-refused")
    signature.refresh_from_db()
    assert signature.status == "awaiting_second" and signature.reviewer_id is None

    # The second reviewer claims and approves.
    second = browser.new_context(locale="zh-CN", base_url=live_server.url).new_page()
    _admin_log_in(second, SECOND_REVIEWER)
    _open_from_queue(second, "【示例伙伴】")
    expect(second.get_by_test_id("second-needed")).to_contain_text("第二位审核员")
    second.get_by_test_id("claim").click()
    expect(second.get_by_test_id("decide")).to_be_visible()
    _check_automatic_items(second)
    _tick_manual_items(second)
    second.get_by_label("通过", exact=True).check()
    _shot(second, "13-second-reviewer")
    second.get_by_role("button", name="记录决定").click()
    expect(second.locator(".messagelist")).to_contain_text(re.compile("已决定：.*通过"))
    signature.refresh_from_db()
    assert signature.status == "approved"
    second.context.close()
