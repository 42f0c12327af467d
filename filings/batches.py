"""A carrier batch as a file, and the same file coming back with the carrier's results (docs/filings.md,
"Carrier batches"): the columns, the XLSX and CSV writers, and the reader of a results file.

Nothing here moves a filing: the file gateway (filings/gateway.py) uses this module, and the services
(filings/services.py) decide and record. Cells a spreadsheet would run as a formula are written inert
(OWASP, CSV injection): a leading apostrophe, taken off again when the file comes back.
"""

import csv
import io
import zipfile
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from compliance import carriers
from compliance import filings as rules
from compliance import reasons as catalogue
from compliance.validators import mask_id_number
from filing_portal.tabular import FORMULA_STARTS, XLSX_TYPE, inert, xlsx_cell


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str

    @property
    def header(self) -> str:
        return f"{self.zh} {self.en}"


# What the carriers' channels ask for, then what the carrier fills in. Chinese first, English beside it:
# the file goes to a carrier's staff and comes back from them.
COLUMNS: tuple[Column, ...] = (
    Column("batch", "批次", "Batch"),
    Column("filing", "报备编号", "Filing"),
    Column("carrier", "运营商", "Carrier"),
    Column("kind", "类型", "Kind"),
    Column("signature", "签名", "Signature"),
    Column("template", "模板内容", "Template text"),
    Column("entity", "主体名称", "Entity"),
    Column("uscc", "统一社会信用代码", "USCC"),
    Column("source", "签名来源", "Source"),
    Column("legal_rep", "法定代表人", "Legal representative"),
    Column("id_number", "法定代表人证件号", "ID number"),
    Column("evidence", "证明材料", "Evidence"),
    Column("outcome", "结果", "Outcome"),
    Column("reasons", "原因代码", "Reason codes"),
    Column("carrier_ref", "运营商备案号", "Carrier ref"),
    Column("note", "说明", "Note"),
)
BY_KEY = {c.key: c for c in COLUMNS}
# The columns a results file must have; the carrier's reference and the note may be left out.
RESULT_COLUMNS = ("batch", "filing", "carrier", "outcome", "reasons")
_WIDTHS = {"batch": 8, "filing": 10, "carrier": 10, "kind": 8, "signature": 16, "template": 48, "entity": 30,
           "uscc": 22, "source": 14, "legal_rep": 12, "id_number": 22, "evidence": 60, "outcome": 10,
           "reasons": 26, "carrier_ref": 18, "note": 30}  # fmt: skip

CSV_TYPE = "text/csv; charset=utf-8"
FORMATS = {"xlsx": XLSX_TYPE, "csv": CSV_TYPE}

# An unzipped XLSX larger than this is refused before openpyxl reads it (a zip bomb stays closed).
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024


def _revived(value: str) -> str:
    """A cell read back: the apostrophe ``inert`` added is taken off."""
    if len(value) > 1 and value[0] == "'" and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


# --- writing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchRows:
    rows: list[list]  # in COLUMNS' order
    revealed: tuple  # the entities whose legal representative's full ID number the rows carry


def batch_rows(batch, *, full_id_numbers: bool) -> BatchRows:
    """The rows of ``batch``'s file, one per filing it holds, in the order of their ids. The ID number
    is masked unless ``full_id_numbers`` (the carrier's channel needs it: the caller logs each one)."""
    from qualifications.models import Document

    from .models import Filing

    filings = list(
        batch.filings.select_related(
            "template__signature__entity", "template__signature__trademark", "template__signature__app",
            "template__signature__partner_authorization__partner", "signature__entity", "signature__trademark",
            "signature__app", "signature__partner_authorization__partner",
        ).order_by("pk")
    )  # fmt: skip
    signatures = {f.pk: f.signature or f.template.signature for f in filings}
    entity_ids = {s.entity_id for s in signatures.values()}
    entity_ids |= {s.partner_authorization.partner_id for s in signatures.values() if s.partner_authorization_id}
    documents: dict = {}
    # The documents the review looked at (review.kinds): current, not purged nor about to be.
    for document in Document.objects.filter(entity_id__in=entity_ids, is_current=True, purged_at__isnull=True,
                                            purge_after__isnull=True).order_by("kind", "uploaded_at"):  # fmt: skip
        documents.setdefault(document.entity_id, []).append(document)
    # A template's evidence at a carrier is its signature filed there: the carrier's reference for it.
    signature_refs = dict(
        Filing.objects.filter(carrier=batch.carrier, signature_id__in=[s.pk for s in signatures.values()])
        .exclude(carrier_ref="")
        .values_list("signature_id", "carrier_ref")
    )
    carrier_name = carriers.BY_CODE[batch.carrier].name_zh
    rows, revealed = [], []
    with translation.override("zh-hans"):  # the file is for the carrier's staff: its words in Chinese
        for filing in filings:
            signature = signatures[filing.pk]
            entity = signature.entity
            number = entity.legal_rep_id_number
            if full_id_numbers and number:
                revealed.append(entity.pk)
            else:
                number = mask_id_number(number)
            values = {
                "batch": batch.pk,
                "filing": filing.pk,
                "carrier": carrier_name,
                "kind": "模板" if filing.template_id else "签名",
                "signature": signature.text,
                "template": filing.template.text if filing.template_id else "",
                "entity": entity.name,
                "uscc": entity.uscc,
                "source": str(signature.get_source_display()),
                "legal_rep": entity.legal_rep_name,
                "id_number": number,
                "evidence": _evidence(filing, signature, documents, signature_refs),
            }
            rows.append([values.get(c.key, "") for c in COLUMNS])
    return BatchRows(rows, tuple(dict.fromkeys(revealed)))


def _evidence(filing, signature, documents, signature_refs) -> str:
    """References to what proves the application, as the platform holds it: document ids and kinds,
    the trademark's registration number, the app's ICP number, the partner and its letter."""
    items = []
    if filing.template_id and signature.pk in signature_refs:
        items.append(f"签名备案号 Signature ref: {signature_refs[signature.pk]}")
    if signature.trademark_id:
        items.append(f"商标注册号 Trademark reg. no.: {signature.trademark.registration_number}")
    if signature.app_id:
        items.append(f"ICP备案号 ICP no.: {signature.app.icp_number} ({signature.app.name})")
    own = [d for d in documents.get(signature.entity_id, []) if not d.partner_authorization_id]
    items += [f"{d.get_kind_display()}: {d.pk}" for d in own]
    if signature.partner_authorization_id:
        authorization = signature.partner_authorization
        partner = authorization.partner
        items.append(f"授权方 Partner: {partner.name} {partner.uscc}")
        items += [f"{d.get_kind_display()}: {d.pk}" for d in documents.get(signature.entity_id, [])
                  if d.partner_authorization_id == authorization.pk]  # fmt: skip
        items += [f"{partner.name} · {d.get_kind_display()}: {d.pk}" for d in documents.get(partner.pk, [])
                  if not d.partner_authorization_id]  # fmt: skip
    return "; ".join(items)


def _clean(sheet, value):
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters an XLSX cannot hold
    return xlsx_cell(sheet, value)


def write_xlsx(batch, rows) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(f"批次 Batch {batch.pk}")
    sheet.freeze_panes = "A2"
    for index, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = _WIDTHS[column.key]
    bold = Font(bold=True)
    header = []
    for column in COLUMNS:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([_clean(sheet, v) for v in row])
    _help_sheet(workbook.create_sheet("说明 Help"))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _help_sheet(sheet) -> None:
    """What the carrier writes in the last four columns: the outcome words and the reason codes."""
    sheet.column_dimensions["A"].width = 30
    sheet.column_dimensions["B"].width = 40
    sheet.column_dimensions["C"].width = 40
    sheet.append(["结果 Outcome", "含义 Meaning"])
    names = {"filed": "报备成功 Filed", "failed": "报备失败 Failed (需原因代码 reason code required)",
             "cleared": "已被清理 Cleared (需原因代码 reason code required)"}  # fmt: skip
    for state in rules.OUTCOMES:
        words = [w for w, s in rules.OUTCOME_WORDS.items() if s == state]
        sheet.append(["、".join(words), names.get(state, state)])
    sheet.append([])
    sheet.append(["原因代码 Reason code", "中文", "English"])
    for reason in catalogue.for_kind(catalogue.FILING):
        sheet.append([reason.code, reason.title_zh, reason.title_en])
    sheet.append([])
    sheet.append(["空白结果表示尚无结果 An empty outcome: no result yet"])


def write_csv(rows) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens it as UTF-8; CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.header for c in COLUMNS])
    for row in rows:
        writer.writerow([inert(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# --- reading the results -------------------------------------------------------------------------


class BadFile(Exception):
    """The results file cannot be read as a whole (its message says why, in the reader's language)."""


@dataclass(frozen=True)
class ResultRow:
    """One row of a results file, as written (the cells of the columns the import reads)."""

    line: int  # the spreadsheet's row number (the header is row 1)
    batch: str
    filing: str
    carrier: str
    outcome: str
    reasons: str
    carrier_ref: str
    note: str


def read_results(data: bytes) -> list[ResultRow]:
    """The rows of a results file, XLSX or CSV as its content says (not its name), or BadFile."""
    return _rows(read_records(data))


def read_records(data: bytes) -> list[list[str]]:
    """A table's records (each a list of cell texts), XLSX or CSV (UTF-8) as its content says, not its
    name; BadFile saying why it cannot be read (a GBK CSV, an old .xls, a zip bomb). Shared by every
    file the portal takes in (carrier results, sending statistics)."""
    if not data.strip():
        raise BadFile(_("The file is empty."))
    if data[:4] == b"PK\x03\x04":
        return _xlsx_records(data)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise BadFile(_("This is an old Excel file (.xls): save it as .xlsx or as “CSV UTF-8”, then import it."))
    return _csv_records(data)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _revived(str(value).strip())


def _xlsx_records(data: bytes):
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED_BYTES:
                raise BadFile(_("The file is too large once unpacked."))
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except BadFile:
        raise
    except Exception as exc:  # openpyxl raises whatever the zip or the XML inside gives it
        raise BadFile(_("The file is neither an XLSX workbook nor a CSV file.")) from exc
    try:
        sheet = workbook.worksheets[0]
        return [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    except Exception as exc:
        raise BadFile(_("The file is neither an XLSX workbook nor a CSV file.")) from exc
    finally:
        workbook.close()


def _csv_records(data: bytes):
    if b"\x00" in data[:4096]:
        raise BadFile(_("The file is neither an XLSX workbook nor a CSV file."))
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            data.decode("gb18030")
        except UnicodeDecodeError:
            raise BadFile(_("The CSV file is not in UTF-8: save it as “CSV UTF-8”, then import it.")) from None
        raise BadFile(
            _("The CSV file is not in UTF-8: it looks like GBK (GB18030), as Excel saves “CSV” on Chinese Windows. "
              "Save it as “CSV UTF-8 (逗号分隔)”, then import it.")
        ) from None  # fmt: skip
    try:
        return [[_cell_text(v) for v in record] for record in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as exc:
        raise BadFile(_("The CSV file cannot be read: %(error)s.") % {"error": exc}) from exc


def _normal(header: str) -> str:
    return " ".join(header.split()).lower()


_HEADERS = {}
for _column in COLUMNS:
    for _name in (_column.header, _column.zh, _column.en):
        _HEADERS[_normal(_name)] = _column.key


def _rows(records) -> list[ResultRow]:
    numbered = [(line, record) for line, record in enumerate(records, start=1) if any(record)]
    if not numbered:
        raise BadFile(_("The file is empty."))
    _line, header = numbered[0]
    where = {}
    for index, name in enumerate(header):
        key = _HEADERS.get(_normal(name))
        if key is not None and key not in where:
            where[key] = index
    missing = [BY_KEY[key].header for key in RESULT_COLUMNS if key not in where]
    if missing:
        raise BadFile(_("Columns missing from the first row: %(columns)s.") % {"columns": "、".join(missing)})
    if len(numbered) == 1:
        raise BadFile(_("The file has a header but no rows."))

    def cell(record, key):
        index = where.get(key)
        return record[index] if index is not None and index < len(record) else ""

    return [
        ResultRow(
            line,
            *(cell(record, key) for key in ("batch", "filing", "carrier", "outcome", "reasons", "carrier_ref", "note")),
        )  # fmt: skip
        for line, record in numbered[1:]
    ]


def reason_codes_of(cell: str) -> tuple[str, ...]:
    """The codes of a reason cell, however they are separated (commas, 、, semicolons, spaces)."""
    for separator in "，,、;；\n":
        cell = cell.replace(separator, " ")
    return tuple(dict.fromkeys(code.upper() for code in cell.split()))
