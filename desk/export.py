"""The desk's table as a file: the filtered rows, every one (not only the page), streamed."""

from django.utils import timezone
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _

from compliance import carriers
from compliance import filings as rules

from .selectors import Filters, application_rows, desk_row


def header() -> list[str]:
    chinese = _chinese()
    return [
        _("Kind"), _("Organization"), _("Application"), _("Platform state"),
        *(c.name(chinese) for c in carriers.CARRIERS), _("Usable at"), _("Overdue"), _("Waits on the customer"),
        _("Updated"),
    ]  # fmt: skip


def _chinese() -> bool:
    return (get_language() or "").startswith("zh")


def rows(*, organizations, filters: Filters, chunk_size=500):
    """Each row of the export, read from the database ``chunk_size`` at a time (a server-side cursor on
    PostgreSQL): memory stays flat however many rows there are. In the request's language, though the
    rows are read while the response streams out."""
    return _rows(organizations, filters, chunk_size, get_language())


def _rows(organizations, filters, chunk_size, language):
    with override(language):
        yield from _each_row(organizations, filters, chunk_size)


def _each_row(organizations, filters, chunk_size):
    today = timezone.localdate()
    kinds = {"signature": _("Signature"), "template": _("Template")}
    yes, no = _("Yes"), _("No")
    for row in application_rows(organizations=organizations, filters=filters, today=today, extra=True).iterator(
        chunk_size=chunk_size
    ):
        states = {
            c: (rules.shown_state(row[f"{c}_status"], row[f"{c}_signature"] or None), row[f"{c}_due_by"])
            for c in carriers.CODES if row[f"{c}_status"]
        }  # fmt: skip
        shown = desk_row(row, states, today)
        yield [
            kinds[shown.kind], shown.organization, shown.label, shown.status_label,
            *((m.label + (f" ({m.due_by:%Y-%m-%d})" if m.due_by and m.state == "submitted" else "")) or "—"
              for m in shown.marks),
            shown.sentence, yes if shown.overdue else no, yes if shown.waits_on_customer else no,
            timezone.localtime(shown.updated_at).strftime("%Y-%m-%d %H:%M"),
        ]  # fmt: skip
