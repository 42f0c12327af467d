"""Tables leaving the portal as CSV or XLSX files, streamed with flat memory, every cell inert.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some, a tab or a
carriage return) as a formula: a customer's name such as ``=HYPERLINK(...)`` would run on the
reader's machine. In a CSV such a cell is written with an apostrophe in front, which the spreadsheet
shows as text (OWASP's advice for CSV injection). In an XLSX the cell is typed as text, with Excel's
own text marker (quotePrefix), and keeps its value unchanged: an apostrophe there would become part of
what the reader copies (a carrier would file "'+李四")."""

import csv
import tempfile

from django.http import FileResponse, StreamingHttpResponse

from .downloads import file_headers

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def inert(value):
    """The cell's value, made text that no spreadsheet runs; numbers and dates as they are."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def xlsx_cell(sheet, value):
    """A cell of a write-only ``sheet`` that no spreadsheet runs, its text unchanged: typed as text (not
    as the formula openpyxl makes of a leading "="), marked as text for Excel where it looks like one."""
    from openpyxl.cell import WriteOnlyCell

    if value is None:
        return None
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


class _Echo:
    """csv.writer writes to it; each row comes back as the text written."""

    def write(self, value):
        return value


def csv_response(header, rows, *, filename: str) -> StreamingHttpResponse:
    """``rows`` (an iterator) streamed as UTF-8 CSV with a byte-order mark (Excel reads Chinese right)."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff" + writer.writerow([inert(v) for v in header])
        for row in rows:
            yield writer.writerow([inert(v) for v in row])

    return file_headers(StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8"), filename=filename)


def xlsx_response(header, rows, *, filename: str, title: str = "Sheet") -> FileResponse:
    """``rows`` written row by row with openpyxl's write-only workbook (it keeps them in a temporary
    file, not in memory), then the file streamed in blocks."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([xlsx_cell(sheet, v) for v in header])
    for row in rows:
        sheet.append([xlsx_cell(sheet, v) for v in row])
    spool = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it once sent)
    workbook.save(spool)
    spool.seek(0)
    return file_headers(FileResponse(spool, content_type=XLSX_TYPE), filename=filename)
