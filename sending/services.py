"""Sending statistics coming in as a file (the portal's upload, `manage.py import_sending_stats`): every
row checked, a report per row, and then all of them recorded in one transaction, or none. Re-sending a
day of a signature at a carrier replaces it (docs/notices.md)."""

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance import transitions as t
from compliance.carriers import code_of
from filings.batches import BadFile, read_records
from signatures.models import Signature

from .models import SendingStat

# The file's columns: a bilingual header each (either half is understood too).
COLUMNS = (
    ("day", "日期", "Date"),
    ("signature", "签名", "Signature"),
    ("carrier", "运营商", "Carrier"),
    ("sent", "发送", "Sent"),
    ("delivered", "送达", "Delivered"),
    ("failed", "失败", "Failed"),
    ("failures", "失败代码", "Failure codes"),
)
HEADERS = tuple(f"{zh} {en}" for _key, zh, en in COLUMNS)
REQUIRED = ("day", "signature", "carrier", "sent", "delivered", "failed")
_BY_NAME = {name.lower(): key for key, zh, en in COLUMNS for name in (f"{zh} {en}", zh, en)}
MAX_ROWS = 50_000
# Statistics of signatures the carriers may still deliver under: approved by the platform.
LIVE_STATES = (t.APPROVED,)

OK, ERROR = "ok", "error"


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong with a row: the column it is in (COLUMNS' key; "" for the row as a whole), a stable code
    (the API gives it), and the message."""

    column: str
    code: str
    message: str


@dataclass
class RowReport:
    line: int
    status: str = OK
    message: str = ""
    problems: list[RowProblem] = field(default_factory=list)


@dataclass
class ImportReport:
    rows: list[RowReport] = field(default_factory=list)
    problem: str = ""  # the file as a whole
    problem_code: str = ""
    dry_run: bool = False
    recorded: int = 0
    replaced: int = 0
    header_line: int = 1  # the line of the column names (rows are counted from the next one)

    @property
    def refused(self) -> bool:
        return bool(self.problem) or any(row.status == ERROR for row in self.rows)


def _count(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdecimal() and len(text) <= 9 else None


def _failures(text: str) -> dict[str, int] | None:
    """ "CODE:3; OTHER:1" (any of ; ， , 、 as separators, : or ： between code and count) → a dict, or None."""
    found: dict[str, int] = {}
    for separator in "；，,、\n":
        text = text.replace(separator, ";")
    for part in filter(None, (p.strip() for p in text.split(";"))):
        code, colon, count = part.replace("：", ":").rpartition(":")
        number = _count(count)
        if not colon or not code.strip() or number is None:
            return None
        found[code.strip()] = found.get(code.strip(), 0) + number
    return found


def import_stats(*, data: bytes, organization=None, actor=None, dry_run=False, today=None) -> ImportReport:
    """The statistics of ``data`` (XLSX or CSV), for ``organization``'s signatures (None: any held
    signature, the command's case: a signature's text names it alone while it is held). One bad row
    refuses the file whole, nothing recorded."""
    report = ImportReport(dry_run=dry_run)

    def refuse(code: str, message: str) -> ImportReport:
        report.problem_code, report.problem = code, message
        return report

    try:
        records = read_records(data)
    except BadFile as bad:
        return refuse("empty" if not data.strip() else "unreadable", str(bad))
    numbered = [(line, record) for line, record in enumerate(records, start=1) if any(record)]
    if not numbered:
        return refuse("empty", _("The file is empty."))
    report.header_line = numbered[0][0]
    where = {}
    for index, name in enumerate(numbered[0][1]):
        key = _BY_NAME.get(" ".join(name.split()).lower())
        if key is not None:
            where.setdefault(key, index)
    missing = [HEADERS[[c[0] for c in COLUMNS].index(key)] for key in REQUIRED if key not in where]
    if missing:
        message = _("Columns missing from the first row: %(columns)s.") % {"columns": "、".join(missing)}
        return refuse("missing_columns", message)
    if len(numbered) == 1:
        return refuse("no_rows", _("The file has a header but no rows."))
    if len(numbered) - 1 > MAX_ROWS:
        return refuse("too_many_rows", _("At most %(count)s rows a file: split it.") % {"count": f"{MAX_ROWS:,}"})
    signatures = Signature.objects.filter(status__in=LIVE_STATES)
    if organization is not None:
        signatures = signatures.filter(organization=organization)
    by_text = {text: (pk, org) for pk, text, org in signatures.values_list("pk", "text", "organization_id")}
    today = today or timezone.localdate()
    seen: dict[tuple, int] = {}
    ready = []
    for line, record in numbered[1:]:
        row = RowReport(line)
        report.rows.append(row)

        def cell(key, record=record):
            index = where.get(key)
            return record[index].strip() if index is not None and index < len(record) else ""

        problems = []

        def wrong(column, code, message, problems=problems):
            problems.append(RowProblem(column, code, message))

        try:
            day = dt.date.fromisoformat(cell("day"))
        except ValueError:
            day = None
            wrong("day", "bad_date", _("The date “%(value)s” is not a date like 2026-11-30.") % {"value": cell("day")})
        if day is not None and day > today:
            wrong("day", "future_date", _("The date %(day)s is in the future.") % {"day": day})
        text = cell("signature").strip("【】[] ")
        found = by_text.get(text)
        if found is None:
            wrong(
                "signature", "unknown_signature", _("No approved signature of yours is 【%(text)s】.") % {"text": text}
            )
        carrier = code_of(cell("carrier"))
        if carrier is None:
            wrong("carrier", "unknown_carrier", _("Unknown carrier “%(value)s”: write its name, such as China Mobile.")
                  % {"value": cell("carrier")})  # fmt: skip
        counts = {key: _count(cell(key)) for key in ("sent", "delivered", "failed")}
        for key, number in counts.items():
            if number is None:
                label = HEADERS[[c[0] for c in COLUMNS].index(key)]
                wrong(key, "not_a_count", _("“%(column)s” must be a whole number of 0 or more.") % {"column": label})
        failures = _failures(cell("failures"))
        if failures is None:
            wrong("failures", "bad_failure_codes", _("Write the failure codes as CODE:count, separated by semicolons."))
        if None not in counts.values():
            if counts["delivered"] + counts["failed"] > counts["sent"]:
                wrong("delivered", "more_than_sent", _("Delivered and failed add up to more than were sent."))
            if failures and sum(failures.values()) != counts["failed"]:
                wrong("failures", "failure_codes_sum", _("The failure codes add up to %(sum)s, not the %(failed)s "
                      "failed.") % {"sum": sum(failures.values()), "failed": counts["failed"]})  # fmt: skip
        if found is not None and carrier is not None and day is not None:
            key = (found[0], carrier, day)
            if key in seen:
                wrong(
                    "", "duplicate_row", _("The same signature, carrier and day as row %(line)s.") % {"line": seen[key]}
                )
            seen.setdefault(key, line)
        if problems:
            row.status, row.problems, row.message = ERROR, problems, " ".join(p.message for p in problems)
            continue
        ready.append((row, found, carrier, day, counts, failures))
    if report.refused or dry_run:
        for row, *_rest in ready:
            row.message = _("This row is right, but nothing was recorded: the file was refused.") if report.refused \
                else _("Would be recorded.")  # fmt: skip
        return report
    now = timezone.now()
    with transaction.atomic():
        for row, (signature_id, organization_id), carrier, day, counts, failures in ready:
            _stat, created = SendingStat.objects.update_or_create(
                signature_id=signature_id, carrier=carrier, day=day,
                defaults={"organization_id": organization_id, **counts, "failures": failures, "imported_by": actor,
                          "imported_at": now},
            )  # fmt: skip
            row.message = _("Recorded.") if created else _("Recorded, replacing that day.")
            report.recorded += 1
            report.replaced += 0 if created else 1
    return report
