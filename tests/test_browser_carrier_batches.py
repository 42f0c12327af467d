"""Issue 11's "done when", the clerk's part, in Chromium: the filing clerk opens the Telecom batch from
the admin, downloads its XLSX, marks it submitted, and imports the results (one failure, two filed)
after a dry run."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from openpyxl import load_workbook
from playwright.sync_api import expect

from compliance import transitions as t

from .factories import PASSWORD
from .test_carrier_batches import clerk, entity, signatures, telecom  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "carrier-batches"


def _admin_log_in(page, user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.management.commands.seed_demo import current_code

    page.goto("/admin/")
    page.locator("#id_username").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_label("6 位验证码").fill(current_code(TOTPDevice.objects.get(user=user)))
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#site-name")).to_contain_text("短信签名报备平台")


def _filled(path, outcomes):
    workbook = load_workbook(path)
    sheet = workbook.worksheets[0]
    where = {cell.value: cell.column for cell in sheet[1]}
    for row in sheet.iter_rows(min_row=2):
        outcome = outcomes.get(row[where["报备编号 Filing"] - 1].value)
        if outcome:
            sheet.cell(row=row[0].row, column=where["结果 Outcome"], value=outcome[0])
            sheet.cell(row=row[0].row, column=where["原因代码 Reason codes"], value=outcome[1])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_the_clerk_exports_the_telecom_batch_marks_it_submitted_and_imports_the_results(page, signatures, clerk,  # noqa: F811
                                                                                        tmp_path):  # fmt: skip
    _admin_log_in(page, clerk)
    page.get_by_test_id("batches-entry").get_by_role("link", name="运营商报备批次").click()
    expect(page.get_by_test_id("ready-telecom")).to_have_text("3")
    page.get_by_test_id("open-telecom").click()
    expect(page.get_by_test_id("carrier-batch")).to_be_visible()
    expect(page.get_by_test_id("batch-filings").locator("tr[data-filing]")).to_have_count(3)

    with page.expect_download() as download:
        page.get_by_test_id("download-xlsx").click()
    exported = tmp_path / "batch.xlsx"
    download.value.save_as(exported)

    page.get_by_test_id("mark-submitted").click()
    page.get_by_test_id("confirm-submit").click()
    expect(page.locator(".messagelist")).to_contain_text("已标记为已提交")
    expect(page.get_by_test_id("batch-filings").locator('tr[data-state="submitted"]')).to_have_count(3)

    one, two, three = (telecom(s) for s in signatures)
    results = _filled(exported, {one.pk: ("已报备", None), two.pk: ("失败", "FIL_SIGNATURE_NOT_ACCEPTED"),
                                 three.pk: ("已报备", None)})  # fmt: skip
    upload = {"name": "结果.xlsx", "mimeType": "application/octet-stream", "buffer": results}
    page.get_by_test_id("import-form").locator('input[type="file"]').set_input_files(upload)
    page.get_by_label("试运行：只检查，不记录").check()
    page.get_by_test_id("import").click()
    expect(page.get_by_test_id("report").locator('tr[data-status="ok"]')).to_have_count(3)
    expect(page.get_by_test_id("batch-filings").locator('tr[data-state="submitted"]')).to_have_count(3)

    page.get_by_test_id("import-form").locator('input[type="file"]').set_input_files(upload)
    page.get_by_label("试运行：只检查，不记录").uncheck()
    page.get_by_test_id("import").click()
    expect(page.get_by_test_id("report-summary")).to_have_text("已记录")
    expect(page.get_by_test_id("batch-filings").locator('tr[data-state="filed"]')).to_have_count(2)
    expect(page.get_by_test_id("batch-filings").locator('tr[data-state="failed"]')).to_have_count(1)
    assert [telecom(s).status for s in signatures] == [t.FILED, t.FAILED, t.FILED]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "imported.png"), full_page=True)
