"""Reads of the filings: for the filing clerk's pages, what waits per carrier and the batches; as the
customer sees them: three marks per application on a list (one query a
page), the filing at each carrier with its window and evidence on an application's page, and the
filings' moves on its timeline. Scoped by the caller (the application was read for its organization)."""

from collections import namedtuple
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from compliance import carriers
from compliance import filings as rules
from compliance import transitions as t
from filing_portal import compiled

from .models import CarrierBatch, Filing, FilingEvent, filing_state_label
from .services import exportable, window_from

_LABELS: dict[tuple[str, str], str] = {}  # (language, state) → label: a list's 75 marks look up 6 states


def state_label(state: str) -> str:
    key = (get_language() or "", state)
    label = _LABELS.get(key)
    if label is None:
        label = _("Waiting for its signature") if state == rules.WAITING else filing_state_label(state)
        _LABELS[key] = label
    return label


@dataclass(frozen=True)
class Mark:
    """One carrier's state of an application, as a small mark on a list."""

    carrier: str
    short: str  # 移 / M
    name: str  # 移动 / Mobile
    state: str  # a filing state, or compliance.filings.WAITING
    label: str


def _short(code: str, chinese: bool) -> tuple[str, str]:
    carrier = carriers.BY_CODE[code]
    if chinese:
        return carrier.short_zh[0], carrier.short_zh
    name = carrier.name_en.removeprefix("China ")
    return name[0], name


def marks(shown: dict[str, str], *, chinese: bool) -> list[Mark]:
    """The three marks, in the carriers' order, from carrier → shown state."""
    found = []
    for code in carriers.CODES:
        state = shown.get(code, t.PENDING)
        short, name = _short(code, chinese)
        found.append(Mark(code, short, name, state, state_label(state)))
    return found


def page_states(field: str, rows) -> dict[int, dict[str, str]]:
    """application id → carrier → the state the customer sees, for a list's page: ``rows`` are
    (id, signature id) of its approved applications (``field``: signature, template). One query: a
    template's filings with its signature's, whose state decides whether it waits for the signature."""
    rows = list(rows)
    if not rows:
        return {}
    ids = [pk for pk, _signature_id in rows]
    if field == "signature":
        found = Filing.objects.filter(signature_id__in=ids)
    else:
        found = Filing.objects.filter(Q(template_id__in=ids) | Q(signature_id__in={s for _pk, s in rows}))
    own: dict[int, dict[str, str]] = {}
    signatures: dict[int, dict[str, str]] = {}
    for template_id, signature_id, carrier, status in found.values_list("template_id", "signature_id", "carrier",
                                                                         "status"):  # fmt: skip
        if template_id is not None:
            own.setdefault(template_id, {})[carrier] = status
        else:
            signatures.setdefault(signature_id, {})[carrier] = status
    if field == "signature":
        return signatures
    of_signature = dict(rows)
    return {
        pk: {c: rules.shown_state(s, signatures.get(of_signature[pk], {}).get(c)) for c, s in states.items()}
        for pk, states in own.items()
    }


def status_text(app_status: str, app_label: str, shown: dict[str, str] | None, *, chinese: bool) -> str:
    """What the customer reads as the application's state: the platform's decision until it is
    approved, then the three filings in one sentence ("可用：移动、联通；电信报备中"), never a stored
    fourth status."""
    if app_status != t.APPROVED or not shown:
        return app_label
    return rules.availability(shown).sentence(chinese)


@dataclass(frozen=True)
class CarrierFiling:
    """One carrier's filing of an application, on its page."""

    carrier: str
    name: str
    state: str
    label: str
    submitted_at: object
    due_from: object
    due_by: object
    due_exact: bool
    overdue: bool
    filed_at: object
    carrier_ref: str
    reasons: list  # review.selectors.ShownReason
    next_step: str
    sends: list  # the test sends at this carrier, latest first: the evidence of mixed results


_FilingRow = namedtuple("_FilingRow", "carrier status submitted_at due_from due_by due_exact filed_at carrier_ref "
                                      "reason_codes")  # fmt: skip


def _field(application) -> str:
    return "signature" if application._meta.model_name == "signature" else "template"


def _filing_rows(field, pk):
    return Filing.objects.filter(**{f"{field}_id": pk}).values_list(*_FilingRow._fields)


def _filing_states(signature_id):
    return Filing.objects.filter(signature_id=signature_id).values_list("carrier", "status")


def _moves(field, pk):
    return (
        FilingEvent.objects.filter(**{f"filing__{field}_id": pk})
        .exclude(action=t.CREATE)  # the approval's row says it: one filing a carrier, waiting to be sent
        .order_by("at", "pk")
        .values_list("at", "filing__carrier", "from_status", "to_status", "reason_codes", "reason", "actor_role")
    )


def filing_moves(application) -> list[tuple]:
    """The moves of the application's filings, oldest first, as plain rows: (at, carrier, from, to, reason
    codes, note, actor's role); the creation left out (the approval's row says it). Compiled once a process."""
    return compiled.rows(_moves, _field(application), application.pk)


def carrier_filings(application, *, chinese: bool, sends=()) -> list[CarrierFiling]:
    """The application's filing at each carrier (none before the approval), with its window, whether it
    is overdue, the reasons of a failure or clearance, and the test sends at that carrier (``sends``:
    TestSend rows of the template, or of the signature's templates)."""
    from review.selectors import shown_reasons

    field = _field(application)
    # Compiled once a process for the application (filing_portal.compiled): the page's hot reads.
    rows = {row.carrier: row for row in map(_FilingRow._make, compiled.rows(_filing_rows, field, application.pk))}
    if not rows:
        return []
    signature_states = {}
    if field == "template":
        signature_states = dict(compiled.rows(_filing_states, application.signature_id))
    today = timezone.localdate()
    # Not sent yet: the window it would have if sent today, as an indication.
    if_sent_today = window_from(today) if any(f.status == t.PENDING for f in rows.values()) else {}
    shown = []
    for code in carriers.CODES:
        filing = rows.get(code)
        if filing is None:
            continue
        state = rules.shown_state(filing.status, signature_states.get(code)) if field == "template" else filing.status
        step = rules.WAITING_FOR_SIGNATURE if state == rules.WAITING else rules.FILING_NEXT_STEP[state]
        due = if_sent_today if state == t.PENDING else {"due_from": filing.due_from, "due_by": filing.due_by,
                                                        "due_exact": filing.due_exact}  # fmt: skip
        shown.append(CarrierFiling(
            carrier=code, name=carriers.BY_CODE[code].name(chinese), state=state, label=state_label(state),
            submitted_at=filing.submitted_at, **due, overdue=rules.is_overdue(filing.status, filing.due_by, today),
            filed_at=filing.filed_at, carrier_ref=filing.carrier_ref,
            reasons=shown_reasons(filing.reason_codes, chinese=chinese) if state in rules.BROKEN else [],
            next_step=step[0 if chinese else 1], sends=[s for s in sends if s.carrier == code],
        ))  # fmt: skip
    return shown


# Who moved a filing, as the customer reads it: the platform's staff by their role.
def shown_staff(role: str) -> str:
    if role == t.CLERK:
        return _("Platform filing clerk")
    if role == t.ACCOUNT_MANAGER:
        return _("Your account manager")
    if role == t.REVIEWER:
        return _("Platform reviewer")
    return _("The platform (automatic)")


def timeline(application, events: list[tuple], *, chinese: bool, filings: list[CarrierFiling]) -> list[tuple]:
    """The application's timeline across the platform's review (``events``: review.selectors.timeline's
    rows, (at, from, to, detail, who)) and the three carriers, in time order, each carrier's moves
    named with the carrier; then, for each filing with the carrier (``filings``: carrier_filings'), the
    day it is expected by (a sixth column: True for a row still to come)."""
    from review.selectors import shown_reasons

    rows = [(*event, False) for event in events]
    for at, code, source, target, codes, note, role in filing_moves(application):
        name = carriers.BY_CODE[code].name(chinese)
        titles = [r.title for r in shown_reasons(codes, chinese=chinese)]
        detail = " · ".join(part for part in (("；" if chinese else "; ").join(titles), note) if part)
        sep = "：" if chinese else ": "
        rows.append((at, f"{name}{sep}{state_label(source)}" if source else "", f"{name}{sep}{state_label(target)}",
                     detail, shown_staff(role), False))  # fmt: skip
    rows.sort(key=lambda row: row[0])
    for filing in filings:
        if filing.state != t.SUBMITTED or filing.due_by is None:
            continue
        name, due_from, due_by, exact = filing.name, filing.due_from, filing.due_by, filing.due_exact
        label = _("%(carrier)s: expected to be filed") % {"carrier": name}
        window = f"{due_from:%Y-%m-%d} – {due_by:%Y-%m-%d}"
        detail = window if exact else f"{window} · {_('estimate')}"
        rows.append((due_by, "", label, detail, "", True))
    return rows


# --- the filing clerk's pages ---------------------------------------------------------------------

RESULT_STATES = (t.FILED, t.FAILED, t.CLEARED, t.AFFECTED)


@dataclass(frozen=True)
class Waiting:
    carrier: carriers.Carrier
    ready: int  # a new batch would take these (services.exportable)
    for_signature: int  # templates pending there until their signature is filed there

    @property
    def name(self) -> str:
        """The carrier's name in the reader's language (the admin's pages read in one language)."""
        from filing_portal.choices import carrier_name

        return str(carrier_name(self.carrier.code))


def waiting() -> list[Waiting]:
    """Per carrier, in the carriers' order: what a new batch would take, and the templates that wait
    for their signature to be filed first. Four queries, whatever the numbers: the pending templates, then
    a carrier's batch-to-be counted once with its templates (the queue page's budget: tests/test_list_queries.py)."""
    pending = dict(
        Filing.objects.filter(status=t.PENDING, batch__isnull=True, template__isnull=False)
        .values("carrier")
        .annotate(n=Count("pk"))
        .values_list("carrier", "n")
    )
    rows = []
    for carrier in carriers.CARRIERS:
        ready = exportable(carrier.code).aggregate(n=Count("pk"), templates=Count("template"))
        rows.append(Waiting(carrier, ready["n"], pending.get(carrier.code, 0) - ready["templates"]))
    return rows


def batches_listed(limit: int = 100):
    """The latest batches, each with how many of its filings have a result."""
    return (
        CarrierBatch.objects.select_related("created_by", "submitted_by")
        .annotate(results=Count("filings", filter=Q(filings__status__in=RESULT_STATES)))
        .order_by("-created_at", "-pk")[:limit]
    )
