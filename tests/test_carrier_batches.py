"""Carrier batches as files: the export's columns and cells (masked ID numbers, full ones logged where a
channel needs them, formulas inert), the results import refused whole on any bad row with a report per
row and nothing recorded, re-import a no-op, the dry run, the commands' exit codes, and the clerk's
pages in the admin (docs/filings.md, "Carrier batches")."""

import csv
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from openpyxl import load_workbook

from compliance import transitions as t
from filings import batches, services
from filings.gateway import FileGateway
from filings.models import CarrierBatch, Filing, FilingEvent
from qualifications.models import IdNumberReveal
from signatures import services as signature_services

from .conftest import make_staff, otp_login
from .factories import make_entity, walk
from .test_signatures import complete_package

pytestmark = pytest.mark.django_db

ID_NUMBER = "11010519491231002X"
HEADERS = [c.header for c in batches.COLUMNS]


@pytest.fixture(autouse=True)
def english():
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def clerk(db):
    from accounts import roles

    return make_staff("clerk@platform.cn", roles.FILING_CLERK)


@pytest.fixture
def entity(org_a):
    return complete_package(make_entity(organization=org_a, name="北京百度网讯科技有限公司", uscc="91110000802100433B",
                                        legal_rep_name="李四", legal_rep_id_number=ID_NUMBER))  # fmt: skip


def approve(org, owner, entity, text):
    draft = signature_services.Draft(entity=entity, source="abbreviation", text=text)
    signature = signature_services.signature_submit(organization=org, user=owner, draft=draft,
                                                    acknowledge_warnings=True)  # fmt: skip
    return walk(signature, t.APPROVED)


@pytest.fixture
def signatures(org_a, owner_a, entity):
    return [approve(org_a, owner_a, entity, text) for text in ("百度", "百度网讯", "百度科技")]


@pytest.fixture
def batch(signatures, clerk):
    """Telecom's batch of the three signatures, handed over."""
    opened = services.open_batch(carrier="telecom", actor=clerk)
    return services.submit_batch(opened, actor=clerk)


def telecom(signature):
    return signature.filings.get(carrier="telecom")


def export(batch, fmt="xlsx", actor=None):
    return services.batch_send(batch=batch, actor=actor, gateway=FileGateway(fmt)).content


def sheet_rows(content):
    workbook = load_workbook(io.BytesIO(content))
    return workbook, workbook.worksheets[0]


def results_xlsx(batch, outcomes, actor=None):
    """The batch's own XLSX, filled in as a carrier does: {filing id: (outcome, reasons, carrier ref)}."""
    workbook, sheet = sheet_rows(export(batch, actor=actor))
    where = {cell.value: cell.column for cell in sheet[1]}
    for row in sheet.iter_rows(min_row=2):
        pk = row[where["报备编号 Filing"] - 1].value
        if pk in outcomes:
            outcome, reasons, ref = outcomes[pk]
            sheet.cell(row=row[0].row, column=where["结果 Outcome"], value=outcome)
            sheet.cell(row=row[0].row, column=where["原因代码 Reason codes"], value=reasons)
            sheet.cell(row=row[0].row, column=where["运营商备案号 Carrier ref"], value=ref)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def results_csv(rows, encoding="utf-8-sig", headers=HEADERS):
    """A results CSV of ``rows`` (dicts by column key), as a carrier sends it back."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([row.get(c.key, "") for c in batches.COLUMNS])
    return buffer.getvalue().encode(encoding)


def row(batch, filing, outcome="", reasons="", carrier="中国电信", ref=""):
    return {"batch": batch.pk, "filing": filing.pk, "carrier": carrier, "outcome": outcome, "reasons": reasons,
            "carrier_ref": ref}  # fmt: skip


def recorded():
    """What an import may change: the filings' states and their history."""
    return FilingEvent.objects.count(), dict(Filing.objects.values_list("pk", "status"))


def do_import(source, actor=None, batch=None, dry_run=False):
    return services.batch_import(source=source, actor=actor, gateway=FileGateway(), batch=batch, dry_run=dry_run)


# --- export -----------------------------------------------------------------------------------------


def test_it_exports_the_batch_as_xlsx_with_the_carriers_columns_and_the_id_number_masked(batch, signatures, entity):
    _workbook, sheet = sheet_rows(export(batch))
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    assert [r[1] for r in rows[1:]] == [telecom(s).pk for s in signatures]
    first = dict(zip(HEADERS, rows[1], strict=True))
    assert first["批次 Batch"] == batch.pk
    assert first["运营商 Carrier"] == "中国电信"
    assert first["类型 Kind"] == "签名"
    assert first["签名 Signature"] == "百度"
    assert first["主体名称 Entity"] == "北京百度网讯科技有限公司"
    assert first["统一社会信用代码 USCC"] == "91110000802100433B"
    assert first["签名来源 Source"] == "企业简称"
    assert first["法定代表人 Legal representative"] == "李四"
    assert first["法定代表人证件号 ID number"] == "110105********002X"
    evidence = first["证明材料 Evidence"]
    for document in entity.documents.all():
        assert str(document.pk) in evidence
    assert first["结果 Outcome"] is None
    assert not IdNumberReveal.objects.exists()
    assert not CarrierBatch.objects.get(pk=batch.pk).full_id_numbers


def test_it_exports_csv_in_utf8_with_a_byte_order_mark_and_the_same_rows(batch, signatures):
    content = export(batch, "csv")
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == HEADERS
    assert [int(r[1]) for r in rows[1:]] == [telecom(s).pk for s in signatures]
    assert rows[1][10] == "110105********002X"


def test_a_template_row_carries_its_text_and_its_signatures_reference_at_the_carrier(batch, signatures, org_a,
                                                                                  owner_a, clerk):  # fmt: skip
    from .test_filings import approved_template

    filing = telecom(signatures[0])
    services.record_outcome(filing, services.Outcome(filing.pk, t.FILED, carrier_ref="DX-0001"), actor=clerk)
    template = approved_template(org_a, owner_a, signatures[0])
    second = services.open_batch(carrier="telecom", actor=clerk)
    _workbook, sheet = sheet_rows(export(second))
    values = dict(zip(HEADERS, list(sheet.iter_rows(values_only=True))[1], strict=True))
    assert values["报备编号 Filing"] == template.filings.get(carrier="telecom").pk
    assert (values["类型 Kind"], values["签名 Signature"]) == ("模板", "百度")
    assert values["模板内容 Template text"] == template.text
    assert "DX-0001" in values["证明材料 Evidence"]


def test_full_id_numbers_are_written_only_for_a_carrier_that_needs_them_and_logged(batch, clerk, entity, settings):
    settings.CARRIER_BATCH_FULL_ID_NUMBERS = ("telecom",)
    _workbook, sheet = sheet_rows(export(batch, actor=clerk))
    assert [r[10] for r in list(sheet.iter_rows(values_only=True))[1:]] == [ID_NUMBER] * 3
    # one number (the entity's legal representative's), written once per export: logged once
    reveal = IdNumberReveal.objects.get()
    assert (reveal.entity_id, reveal.person, reveal.user) == (entity.pk, IdNumberReveal.Person.LEGAL_REP, clerk)
    assert CarrierBatch.objects.get(pk=batch.pk).full_id_numbers
    # another carrier's batch stays masked, and logs nothing
    mobile = services.open_batch(carrier="mobile", actor=clerk)
    assert ID_NUMBER.encode() not in export(mobile, "csv", actor=clerk)
    assert IdNumberReveal.objects.count() == 1


def test_the_setting_refuses_an_unknown_carrier_at_start():
    import os
    import subprocess
    import sys

    env = {**os.environ, "CARRIER_BATCH_FULL_ID_NUMBERS": "telecom,dianxin"}
    env.pop("DATABASE_URL", None)
    code = "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'filing_portal.settings'; django.setup()"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode != 0
    assert "CARRIER_BATCH_FULL_ID_NUMBERS: unknown ['dianxin']" in done.stderr


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_cells_a_spreadsheet_would_run_as_formulas_are_written_inert(fmt, batch, signatures, entity):
    from qualifications.models import Entity

    Entity.objects.filter(pk=entity.pk).update(name="=HYPERLINK(\"http://x.cn\",\"点\")", legal_rep_name="+李四",
                                               uscc="-9111000080210043B")  # fmt: skip
    content = export(batch, fmt)
    if fmt == "xlsx":
        _workbook, sheet = sheet_rows(content)
        entity_cell, uscc_cell, rep_cell = sheet["G2"], sheet["H2"], sheet["J2"]
        # typed as text and marked so for Excel, the text itself unchanged (what the carrier files)
        for cell in (entity_cell, uscc_cell, rep_cell):
            assert (cell.data_type, cell.quotePrefix) == ("s", True)
        assert entity_cell.value == '=HYPERLINK("http://x.cn","点")'
        assert (uscc_cell.value, rep_cell.value) == ("-9111000080210043B", "+李四")
    else:
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
        assert (rows[1][6], rows[1][7], rows[1][9]) == ("'=HYPERLINK(\"http://x.cn\",\"点\")",
                                                        "'-9111000080210043B", "'+李四")  # fmt: skip
    for value in ("@SUM(A1)", "\t=1", "\r=1"):
        assert batches.inert(value) == "'" + value
    assert batches.inert("百度") == "百度"


# --- import -----------------------------------------------------------------------------------------


def test_a_results_file_with_one_failure_and_two_filed_is_recorded_in_one_go(batch, signatures, clerk):
    one, two, three = (telecom(s) for s in signatures)
    source = results_xlsx(batch, {one.pk: ("已报备", None, "DX-1"), two.pk: ("failed", "FIL_SIGNATURE_NOT_ACCEPTED",
                                  None), three.pk: ("成功", None, "DX-3")})  # fmt: skip
    report = do_import(source, actor=clerk, batch=batch)
    assert not report.refused
    assert [(r.line, r.filing_id, r.status) for r in report.rows] == [(2, one.pk, "ok"), (3, two.pk, "ok"),
                                                                      (4, three.pk, "ok")]  # fmt: skip
    assert report.applied == 3
    one.refresh_from_db(), two.refresh_from_db(), three.refresh_from_db()
    assert (one.status, one.carrier_ref, one.filed_at is not None) == (t.FILED, "DX-1", True)
    assert (two.status, two.reason_codes) == (t.FAILED, ["FIL_SIGNATURE_NOT_ACCEPTED"])
    assert three.status == t.FILED
    event = two.events.latest("pk")
    assert (event.action, event.actor, event.actor_role) == (t.RECORD_FAILED, clerk, t.CLERK)


def test_importing_the_same_file_again_changes_nothing_and_says_so(batch, signatures, clerk):
    one, two, three = (telecom(s) for s in signatures)
    source = results_xlsx(batch, {one.pk: ("filed", None, "DX-1"), two.pk: ("失败", "FIL_CARRIER_NO_REASON", None)})
    assert do_import(source, actor=clerk, batch=batch).applied == 2
    before = recorded()
    again = do_import(source, actor=clerk, batch=batch)
    assert not again.refused and again.applied == 0
    assert [r.status for r in again.rows] == ["unchanged", "unchanged", "skipped"]
    assert recorded() == before
    # the rows still without a result are recorded by a later file, the others unchanged
    later = results_xlsx(batch, {one.pk: ("filed", None, "DX-1"), two.pk: ("失败", "FIL_CARRIER_NO_REASON", None),
                                 three.pk: ("filed", None, "")})  # fmt: skip
    assert [r.status for r in do_import(later, actor=clerk, batch=batch).rows] == ["unchanged", "unchanged", "ok"]


def test_a_dry_run_reports_what_would_happen_and_records_nothing(batch, signatures, clerk):
    one = telecom(signatures[0])
    before = recorded()
    report = do_import(results_xlsx(batch, {one.pk: ("filed", None, "")}), actor=clerk, batch=batch, dry_run=True)
    assert not report.refused and report.applied == 0
    assert [(r.status, r.current, r.outcome) for r in report.rows][0] == ("ok", t.SUBMITTED, t.FILED)
    assert report.rows[0].message == "Would be recorded."
    assert recorded() == before


@pytest.fixture
def mobile_filing(signatures, clerk):
    services.open_batch(carrier="mobile", actor=clerk)
    return signatures[0].filings.get(carrier="mobile")


@pytest.fixture
def foreign_filing(batch, org_a, owner_a, entity):
    """Approved after the batch was made: its Telecom filing waits for the next one."""
    return telecom(approve(org_a, owner_a, entity, "百度网"))


BAD_ROWS = {
    "unknown id": (lambda b, f, **k: [row(b, f[0], "filed"), {**row(b, f[1], "filed"), "filing": 999999}],
                   "No filing has the number 999999."),
    "not a number": (lambda b, f, **k: [row(b, f[0], "filed"), {**row(b, f[1], "filed"), "filing": "#12"}],
                     "is not a number"),
    # a digit to str.isdigit, not to int(); a number past a 64-bit integer
    "superscript digit": (lambda b, f, **k: [row(b, f[0], "filed"), {**row(b, f[1], "filed"), "filing": "²"}],
                          "is not a number"),
    "huge number": (lambda b, f, **k: [row(b, f[0], "filed"), {**row(b, f[1], "filed"), "filing": "9" * 30}],
                    "is not a number"),
    "foreign id": (lambda b, f, foreign, **k: [row(b, f[0], "filed"), row(b, foreign, "filed")],
                   "is not in batch"),
    "other batch named": (lambda b, f, **k: [row(b, f[0], "filed"), {**row(b, f[1], "filed"), "batch": b.pk + 1}],
                          "is not in batch"),
    "duplicate": (lambda b, f, **k: [row(b, f[0], "filed"), row(b, f[0], "filed")], "appears twice: first on row 2"),
    "wrong carrier filing": (lambda b, f, mobile, **k: [row(b, f[0], "filed"), row(b, mobile, "filed")],
                             "wrong carrier"),
    "wrong carrier named": (lambda b, f, **k: [row(b, f[0], "filed"), row(b, f[1], "filed", carrier="移动")],
                            "wrong carrier"),
    "unknown outcome": (lambda b, f, **k: [row(b, f[0], "filed"), row(b, f[1], "ok")], "Unknown outcome “ok”"),
    "failed without a reason": (lambda b, f, **k: [row(b, f[0], "filed"), row(b, f[1], "failed")],
                                "needs a reason code"),
    "failed with an unknown reason": (lambda b, f, **k: [row(b, f[0], "filed"),
                                                        row(b, f[1], "failed", "REV_TEMPLATE_CONTENT")],
                                      "Unknown reason code: REV_TEMPLATE_CONTENT"),
    "not allowed from the state": (lambda b, f, **k: [row(b, f[0], "filed"), row(b, f[1], "cleared",
                                                                                "FIL_CLEARED_INACTIVE")],
                                   "This cannot go from “With the carrier” to “Cleared by the carrier”."),
}  # fmt: skip


@pytest.mark.parametrize("case", BAD_ROWS, ids=list(BAD_ROWS))
def test_a_file_with_one_bad_row_is_refused_whole_with_a_report_per_row(case, batch, signatures, clerk,
                                                                        mobile_filing, foreign_filing):  # fmt: skip
    make, message = BAD_ROWS[case]
    filings = [telecom(s) for s in signatures]
    source = results_csv(make(batch, filings, mobile=mobile_filing, foreign=foreign_filing))
    before = recorded()
    report = do_import(source, actor=clerk, batch=batch)
    assert report.refused and report.applied == 0
    assert recorded() == before
    assert [(r.line, r.status) for r in report.rows] == [(2, "ok"), (3, "error")]
    assert message in report.rows[1].message
    # the good row says it was not recorded either
    assert report.rows[0].message == "This row is right, but nothing was recorded: the file was refused."


def test_an_outcome_a_batch_not_yet_submitted_cannot_take_is_refused(signatures, clerk):
    opened = services.open_batch(carrier="telecom", actor=clerk)
    report = do_import(results_csv([row(opened, telecom(signatures[0]), "filed")]), actor=clerk, batch=opened)
    assert report.refused
    assert report.rows[0].message == "This cannot go from “Waiting to be sent” to “Filed”."


BAD_FILES = {
    "empty": (b"", "The file is empty."),
    "blank lines": (b"\r\n\r\n", "The file is empty."),
    "header only": (results_csv([]), "a header but no rows"),
    "missing columns": (results_csv([], headers=["报备编号 Filing", "结果 Outcome"]),
                        "Columns missing from the first row: 批次 Batch、运营商 Carrier、原因代码 Reason codes."),
    "not a spreadsheet": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "neither an XLSX workbook nor a CSV file"),
    "broken xlsx": (b"PK\x03\x04 not really a zip", "neither an XLSX workbook nor a CSV file"),
    "old xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "old Excel file (.xls)"),
}  # fmt: skip


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_a_file_that_cannot_be_read_is_refused_and_says_why(case, batch, clerk):
    source, message = BAD_FILES[case]
    before = recorded()
    report = do_import(source, actor=clerk, batch=batch)
    assert report.refused and report.rows == []
    assert message in report.problem
    assert recorded() == before


def test_a_gbk_csv_is_refused_saying_it_looks_like_gbk_and_how_to_save_it(batch, signatures, clerk):
    source = results_csv([row(batch, telecom(signatures[0]), "已报备")], encoding="gbk")
    before = recorded()
    report = do_import(source, actor=clerk, batch=batch)
    assert report.refused
    assert "looks like GBK" in report.problem and "CSV UTF-8" in report.problem
    assert recorded() == before


def test_a_file_over_the_size_limit_is_refused_unread(batch, signatures, clerk, settings):
    settings.CARRIER_BATCH_MAX_BYTES = 100
    report = do_import(results_csv([row(batch, telecom(signatures[0]), "filed")]), actor=clerk, batch=batch)
    assert report.refused and "larger than" in report.problem


def test_a_csv_round_trip_reads_back_inert_cells_and_words_in_either_language(batch, signatures, clerk):
    one, two, _three = (telecom(s) for s in signatures)
    source = results_csv([row(batch, one, " Filed ", ref="-DX-1"), row(batch, two, "报备失败",
                          "fil_carrier_no_reason， FIL_DOCUMENTS_NOT_ACCEPTED", carrier="telecom")])  # fmt: skip
    source = source.replace(b"-DX-1", b"'-DX-1")
    report = do_import(source, actor=clerk, batch=batch)
    assert not report.refused, report.rows
    one.refresh_from_db(), two.refresh_from_db()
    assert one.carrier_ref == "-DX-1"
    assert two.reason_codes == ["FIL_CARRIER_NO_REASON", "FIL_DOCUMENTS_NOT_ACCEPTED"]


def test_only_a_clerk_or_the_system_imports(batch, signatures, reviewer):
    with pytest.raises(services.TransitionRefused):
        do_import(results_csv([row(batch, telecom(signatures[0]), "filed")]), actor=reviewer, batch=batch)
    report = do_import(results_csv([row(batch, telecom(signatures[0]), "filed")]), actor=None)
    assert report.batch == batch and report.applied == 1
    assert telecom(signatures[0]).events.latest("pk").actor_role == t.SYSTEM


# --- the commands -------------------------------------------------------------------------------------


def test_an_export_that_cannot_write_its_file_changes_nothing(signatures, tmp_path):
    with pytest.raises(CommandError, match="Cannot write .*Nothing was changed"):
        call_command("carrier_batch", "export", "--carrier", "telecom", "--out", str(tmp_path / "gone" / "t.xlsx"))
    assert not CarrierBatch.objects.exists()
    assert {telecom(s).status for s in signatures} == {t.PENDING}
    assert {telecom(s).batch_id for s in signatures} == {None}


def test_the_export_command_writes_the_file_and_marks_the_batch_submitted(signatures, tmp_path, capsys):
    out = tmp_path / "telecom.csv"
    call_command("carrier_batch", "export", "--carrier", "telecom", "--out", str(out))
    batch = CarrierBatch.objects.get()
    assert batch.submitted_at is not None and batch.created_by is None
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    assert {telecom(s).status for s in signatures} == {t.SUBMITTED}
    assert f"Batch #{batch.pk}" in capsys.readouterr().out
    # nothing waits now: a clear message and a non-zero exit
    with pytest.raises(CommandError, match="Nothing waits"):
        call_command("carrier_batch", "export", "--carrier", "telecom", "--out", str(tmp_path / "again.xlsx"))
    with pytest.raises(CommandError, match="invalid choice: 'dianxin'"):
        call_command("carrier_batch", "export", "--carrier", "dianxin", "--out", str(out))
    # from the command line: the message on stderr and exit status 1 (last: it closes the connection)
    with pytest.raises(SystemExit) as exited:
        run_from_argv("export", "--carrier", "telecom", "--out", str(out))
    assert exited.value.code == 1
    assert "Nothing waits" in capsys.readouterr().err


def run_from_argv(*args):
    from filings.management.commands.carrier_batch import Command

    Command().run_from_argv(["manage.py", "carrier_batch", *args])


def test_the_export_command_can_leave_the_batch_open_and_act_as_a_clerk(signatures, tmp_path, clerk):
    out = tmp_path / "mobile.xlsx"
    call_command("carrier_batch", "export", "--carrier", "mobile", "--out", str(out), "--no-submit", "--as",
                 clerk.email)  # fmt: skip
    batch = CarrierBatch.objects.get()
    assert (batch.submitted_at, batch.created_by) == (None, clerk)
    assert out.read_bytes()[:4] == b"PK\x03\x04"
    with pytest.raises(CommandError, match="not an active filing clerk"):
        call_command("carrier_batch", "export", "--carrier", "unicom", "--out", str(out), "--as", "nobody@x.cn")


def test_the_import_command_reports_per_row_and_exits_non_zero_on_a_refused_file(batch, signatures, tmp_path,
                                                                                  capsys):  # fmt: skip
    one, two, _three = (telecom(s) for s in signatures)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(results_csv([row(batch, one, "filed"), row(batch, one, "filed")]))
    before = recorded()
    with pytest.raises(CommandError, match="nothing recorded"):
        call_command("carrier_batch", "import", str(bad))
    assert "appears twice" in capsys.readouterr().out
    assert recorded() == before
    good = tmp_path / "good.xlsx"
    good.write_bytes(results_xlsx(batch, {one.pk: ("filed", None, ""), two.pk: ("filed", None, "")}))
    call_command("carrier_batch", "import", str(good), "--dry-run")
    assert "2 would be recorded" in capsys.readouterr().out
    assert recorded() == before
    call_command("carrier_batch", "import", str(good))
    assert "2 recorded" in capsys.readouterr().out
    assert (one.__class__.objects.get(pk=one.pk).status, telecom(signatures[1]).status) == (t.FILED, t.FILED)
    with pytest.raises(CommandError, match="No such file"):
        call_command("carrier_batch", "import", str(tmp_path / "missing.csv"))
    # from the command line: the report, the message on stderr and exit status 1 (last: it closes the connection)
    with pytest.raises(SystemExit) as exited:
        run_from_argv("import", str(bad))
    assert exited.value.code == 1
    assert "Refused" in capsys.readouterr().err


# --- the clerk's pages in the admin ---------------------------------------------------------------


@pytest.fixture
def clerk_client(client, clerk):
    otp_login(client, clerk)
    return client


def upload(content, name="results.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def test_the_clerk_opens_downloads_submits_and_imports_a_telecom_batch(clerk_client, signatures, clerk):
    page = clerk_client.get(reverse("carrier-batches"))
    assert page.status_code == 200
    assert page.content.decode().count('data-testid="ready-telecom">3<') == 1
    opened = clerk_client.post(reverse("carrier-batch-open"), {"carrier": "telecom"})
    batch = CarrierBatch.objects.get()
    assert opened.status_code == 302 and opened["Location"] == reverse("carrier-batch", args=[batch.pk])
    assert batch.created_by == clerk and batch.size == 3
    assert clerk_client.get(reverse("carrier-batch", args=[batch.pk])).status_code == 200
    download = clerk_client.post(reverse("carrier-batch-download", args=[batch.pk, "xlsx"]))
    assert download.status_code == 200 and download["Content-Type"] == batches.XLSX_TYPE
    assert download["Content-Disposition"] == f'attachment; filename="carrier-batch-{batch.pk}-telecom.xlsx"'
    assert download["X-Content-Type-Options"] == "nosniff"
    csv_download = clerk_client.post(reverse("carrier-batch-download", args=[batch.pk, "csv"]))
    assert csv_download.content.startswith(b"\xef\xbb\xbf")
    assert clerk_client.get(reverse("carrier-batch-download", args=[batch.pk, "csv"])).status_code == 405
    # marking it submitted asks first, then moves its filings
    confirm = clerk_client.get(reverse("carrier-batch-submit", args=[batch.pk]))
    assert confirm.status_code == 200 and b'data-testid="confirm-submit"' in confirm.content
    assert {telecom(s).status for s in signatures} == {t.PENDING}
    clerk_client.post(reverse("carrier-batch-submit", args=[batch.pk]))
    assert {telecom(s).status for s in signatures} == {t.SUBMITTED}
    assert CarrierBatch.objects.get(pk=batch.pk).submitted_by == clerk
    # the results: a dry run first, then for real
    one, two, three = (telecom(s) for s in signatures)
    source = results_xlsx(batch, {one.pk: ("filed", None, "DX-1"), two.pk: ("failed", "FIL_CARRIER_NO_REASON", None),
                                  three.pk: ("filed", None, "DX-3")})  # fmt: skip
    before = recorded()
    dry = clerk_client.post(reverse("carrier-batch-import", args=[batch.pk]), {"file": upload(source), "dry_run": "1"})
    assert dry.status_code == 200 and dry.content.decode().count('data-status="ok"') == 3
    assert recorded() == before
    done = clerk_client.post(reverse("carrier-batch-import", args=[batch.pk]), {"file": upload(source)})
    assert done.status_code == 200
    assert [telecom(s).status for s in signatures] == [t.FILED, t.FAILED, t.FILED]
    listing = clerk_client.get(reverse("carrier-batches")).content.decode()
    assert f'data-testid="results-{batch.pk}">3 / 3<' in listing


def test_a_refused_file_shows_its_report_per_row_on_the_page_and_records_nothing(clerk_client, batch, signatures):
    one, two, _three = (telecom(s) for s in signatures)
    source = results_csv([row(batch, one, "filed"), row(batch, two, "failed")])
    before = recorded()
    response = clerk_client.post(reverse("carrier-batch-import", args=[batch.pk]), {"file": upload(source, "r.csv")})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-line="2" data-status="ok"' in body and 'data-line="3" data-status="error"' in body
    assert "此结果需要填写原因代码" in body  # the page speaks the reader's language (Chinese first)
    assert recorded() == before


def test_a_file_over_the_limit_is_refused_before_it_is_read(clerk_client, batch, signatures, settings):
    settings.CARRIER_BATCH_MAX_BYTES = 1000
    source = results_csv([row(batch, telecom(s), "filed") for s in signatures] * 10)
    assert len(source) > 1000
    before = recorded()
    response = clerk_client.post(reverse("carrier-batch-import", args=[batch.pk]), {"file": upload(source, "r.csv")})
    assert response.status_code == 400
    assert b'data-testid="report-problem"' in response.content and "文件超过" in response.content.decode()
    assert recorded() == before


def test_the_batches_page_reads_a_bounded_number_of_queries(clerk_client, signatures, clerk,
                                                           django_assert_max_num_queries):  # fmt: skip
    for carrier in ("mobile", "unicom", "telecom"):
        services.open_batch(carrier=carrier, actor=clerk)
    # 4 of them count what waits (filings.selectors.waiting: was 7), the batches in one; cold, so the holidays too
    with django_assert_max_num_queries(11):
        assert clerk_client.get(reverse("carrier-batches")).status_code == 200


def test_a_customer_and_a_reviewer_without_the_clerk_role_find_no_batch_pages(client, owner_a, reviewer, batch):
    routes = [("get", reverse("carrier-batches")), ("get", reverse("carrier-batch", args=[batch.pk])),
              ("post", reverse("carrier-batch-open")), ("post", reverse("carrier-batch-submit", args=[batch.pk])),
              ("post", reverse("carrier-batch-download", args=[batch.pk, "xlsx"])),
              ("post", reverse("carrier-batch-import", args=[batch.pk]))]  # fmt: skip
    for method, url in routes:
        assert getattr(client, method)(url).status_code == 302  # anonymous: the admin's log-in
    client.force_login(owner_a)
    for method, url in routes:
        assert getattr(client, method)(url, {"carrier": "telecom"}).status_code == 404, url
    client.logout()
    otp_login(client, reviewer)
    for method, url in routes:
        assert getattr(client, method)(url, {"carrier": "telecom"}).status_code == 404, url
    assert CarrierBatch.objects.count() == 1 and not IdNumberReveal.objects.exists()
    assert b"batches-entry" not in client.get(reverse("admin:index")).content


def test_the_admin_index_leads_a_clerk_to_the_batches_and_lists_filings_read_only(clerk_client, batch, signatures):
    index = clerk_client.get(reverse("admin:index")).content.decode()
    assert 'data-testid="batches-entry"' in index and reverse("carrier-batches") in index
    changelist = clerk_client.get(reverse("admin:filings_filing_changelist"), {"carrier": "telecom", "q": "百度网讯"})
    assert changelist.status_code == 200
    assert changelist.context["cl"].result_count == 1
    change = clerk_client.get(reverse("admin:filings_filing_change", args=[telecom(signatures[0]).pk]))
    assert change.status_code == 200 and b'name="_save"' not in change.content
    assert clerk_client.get(reverse("admin:filings_carrierbatch_changelist")).status_code == 200
