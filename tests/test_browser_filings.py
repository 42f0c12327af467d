"""Issue 11's "done when", whole, in Chromium: an approved signature shows three pending filings with due
dates; the clerk's Telecom batch comes back with one failure and two filed (the clerk's pages themselves:
tests/test_browser_carrier_batches.py); the customer's pages show each carrier's state; the account
manager's desk shows it and its charts render (the screenshots go to test-artifacts/filings/)."""

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from compliance import transitions as t
from filings import services
from filings.gateway import FileGateway

from .factories import PASSWORD
from .test_carrier_batches import clerk, entity, results_xlsx, signatures, telecom  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "filings"


def _log_in(page, user):
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def _staff_log_in(page, user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.management.commands.seed_demo import current_code

    page.goto("/admin/")
    page.locator("#id_username").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_label("6 位验证码").fill(current_code(TOTPDevice.objects.get(user=user)))
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#site-name")).to_contain_text("短信签名报备平台")


def test_from_approval_through_the_telecom_batch_to_the_customer_and_the_desk(
    page,
    browser,
    live_server,
    signatures,  # noqa: F811
    clerk,  # noqa: F811
    owner_a,
    org_a,
    account_manager,  # noqa: F811
):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    first, second, third = signatures
    # The customer: three pending filings, each with the window it would have if sent today.
    _log_in(page, owner_a)
    page.goto(reverse("org:signature-detail", args=[org_a.pk, first.pk]))
    card = page.get_by_test_id("carrier-filings")
    expect(card.locator('tr[data-state="pending"]')).to_have_count(3)
    expect(card.get_by_test_id("due")).to_have_count(3)
    for due in card.get_by_test_id("due").all():
        expect(due).to_contain_text("若今日提交")
        expect(due).to_contain_text(" – ")
    page.screenshot(path=str(ARTIFACTS / "approved.png"), full_page=True)

    # The clerk's Telecom batch, handed over and back as the carrier fills it: one failure, two filed.
    batch = services.submit_batch(services.open_batch(carrier="telecom", actor=clerk), actor=clerk)
    results = results_xlsx(batch, {telecom(first).pk: ("已报备", "", "DX-001"),
                                   telecom(second).pk: ("失败", "FIL_SIGNATURE_NOT_ACCEPTED", ""),
                                   telecom(third).pk: ("已报备", "", "DX-003")}, actor=clerk)  # fmt: skip
    report = services.batch_import(source=results, actor=clerk, gateway=FileGateway("xlsx"), batch=batch)
    assert report.applied and [telecom(s).status for s in signatures] == [t.FILED, t.FAILED, t.FILED]

    # The customer's list: three marks a signature; the failed one's page says why and what to do.
    page.goto(reverse("org:signature-list", args=[org_a.pk]))
    table = page.get_by_test_id("signature-table")
    expect(table.locator('[data-carrier="telecom"][data-state="filed"]')).to_have_count(2)
    expect(table.locator('[data-carrier="telecom"][data-state="failed"]')).to_have_count(1)
    expect(table.locator('[data-carrier="mobile"][data-state="pending"]')).to_have_count(3)
    page.goto(reverse("org:signature-detail", args=[org_a.pk, second.pk]))
    expect(page.get_by_test_id("availability")).to_have_text("移动、联通待提交；电信不可用")
    telecom_row = page.get_by_test_id("carrier-filings").locator('tr[data-carrier="telecom"]')
    expect(telecom_row).to_contain_text("运营商不认可此签名")
    expect(page.get_by_test_id("timeline")).to_contain_text("中国电信：报备失败")
    page.screenshot(path=str(ARTIFACTS / "customer.png"), full_page=True)

    # The account manager's desk, in a browser of its own: the same states, and the charts drawn.
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    desk = context.new_page()
    _staff_log_in(desk, account_manager)
    desk.get_by_test_id("desk-entry").get_by_role("link").click()
    rows = desk.get_by_test_id("desk-rows")
    expect(rows.locator('.desk-mark[data-carrier="telecom"][data-state="failed"]')).to_have_count(1)
    expect(rows.locator('.desk-mark[data-carrier="telecom"][data-state="filed"]')).to_have_count(2)
    for chart in ("applications", "filings", "lead", "review"):
        expect(desk.get_by_test_id(f"chart-{chart}").locator("canvas")).to_have_count(1)
    desk.screenshot(path=str(ARTIFACTS / "desk.png"), full_page=True)
    context.close()
