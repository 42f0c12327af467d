"""Tables leaving the portal as CSV or XLSX files, streamed with flat memory, every cell inert.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some, a tab or a
carriage return) as a formula: a customer's name such as ``=HYPERLINK(...)`` would run on the
reader's machine. Such a cell is written with an apostrophe in front, which the spreadsheet shows
as text (OWASP's advice for CSV injection)."""

import csv
import tempfile

from django.http import FileResponse, StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def inert(value):
    """The cell's value, made text that no spreadsheet runs; numbers and dates as they are."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


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

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_response(header, rows, *, filename: str, title: str = "Sheet") -> FileResponse:
    """``rows`` written row by row with openpyxl's write-only workbook (it keeps them in a temporary
    file, not in memory), then the file streamed in blocks."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([inert(v) for v in header])
    for row in rows:
        sheet.append([inert(v) for v in row])
    spool = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it once sent)
    workbook.save(spool)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX_TYPE)
