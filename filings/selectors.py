"""Reads of the filings: for the filing clerk's pages, what waits per carrier and the batches; as the
customer sees them: three marks per application on a list (one query a
page), the filing at each carrier with its window and evidence on an application's page, and the
filings' moves on its timeline. Scoped by the caller (the application was read for its organization)."""

from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance import carriers
from compliance import filings as rules
from compliance import transitions as t

from .models import CarrierBatch, Filing, FilingEvent, filing_state_label
from .services import exportable, window_from


def state_label(state: str) -> str:
    if state == rules.WAITING:
        return _("Waiting for its signature")
    return filing_state_label(state)


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


def shown_states(field: str, ids) -> dict[int, dict[str, str]]:
    """application id → carrier → the state the customer sees, for a page of signatures or templates
    (``field``: "signature" or "template"): one query, two for templates (their signatures' filings)."""
    ids = list(ids)
    if not ids:
        return {}
    found: dict[int, dict[str, str]] = {}
    if field == "signature":
        for pk, carrier, status in Filing.objects.filter(signature_id__in=ids).values_list(
            "signature_id", "carrier", "status"
        ):
            found.setdefault(pk, {})[carrier] = status
        return found
    rows = list(
        Filing.objects.filter(template_id__in=ids).values_list(
            "template_id", "template__signature_id", "carrier", "status"
        )  # fmt: skip
    )
    signature_states = shown_states("signature", {row[1] for row in rows})
    for pk, signature_id, carrier, status in rows:
        signature_state = signature_states.get(signature_id, {}).get(carrier)
        found.setdefault(pk, {})[carrier] = rules.shown_state(status, signature_state)
    return found


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


def carrier_filings(application, *, chinese: bool, sends=()) -> list[CarrierFiling]:
    """The application's filing at each carrier (none before the approval), with its window, whether it
    is overdue, the reasons of a failure or clearance, and the test sends at that carrier (``sends``:
    TestSend rows of the template, or of the signature's templates)."""
    from review.selectors import shown_reasons

    field = "signature" if application._meta.model_name == "signature" else "template"
    rows = {f.carrier: f for f in Filing.objects.filter(**{field: application})}
    if not rows:
        return []
    signature_states = {}
    if field == "template":
        signature_states = dict(
            Filing.objects.filter(signature_id=application.signature_id).values_list("carrier", "status")
        )
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
def _who(role: str) -> str:
    if role == t.CLERK:
        return _("Platform filing clerk")
    if role == t.ACCOUNT_MANAGER:
        return _("Your account manager")
    if role == t.REVIEWER:
        return _("Platform reviewer")
    return _("The platform (automatic)")


def timeline(application, events: list[tuple], *, chinese: bool) -> list[tuple]:
    """The application's timeline across the platform's review (``events``: review.selectors.timeline's
    rows, (at, from, to, detail, who)) and the three carriers, in time order, each carrier's moves
    named with the carrier; then, for each filing with the carrier, the day it is expected by (a sixth
    column: True for a row still to come)."""
    from review.selectors import shown_reasons

    field = "signature" if application._meta.model_name == "signature" else "template"
    rows = [(*event, False) for event in events]
    moves = (
        FilingEvent.objects.filter(**{f"filing__{field}": application})
        .exclude(action=t.CREATE)  # the approval's row says it: one filing a carrier, waiting to be sent
        .order_by("at", "pk")
        .values_list("at", "filing__carrier", "from_status", "to_status", "reason_codes", "reason", "actor_role")
    )
    for at, code, source, target, codes, note, role in moves:
        name = carriers.BY_CODE[code].name(chinese)
        titles = [r.title for r in shown_reasons(codes, chinese=chinese)]
        detail = " · ".join(part for part in (("；" if chinese else "; ").join(titles), note) if part)
        sep = "：" if chinese else ": "
        rows.append((at, f"{name}{sep}{state_label(source)}" if source else "", f"{name}{sep}{state_label(target)}",
                     detail, _who(role), False))  # fmt: skip
    rows.sort(key=lambda row: row[0])
    upcoming = Filing.objects.filter(**{field: application}, status=t.SUBMITTED, due_by__isnull=False)
    for code, due_from, due_by, exact in upcoming.values_list("carrier", "due_from", "due_by", "due_exact"):
        name = carriers.BY_CODE[code].name(chinese)
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
    for their signature to be filed first. Seven queries, whatever the numbers."""
    pending = dict(
        Filing.objects.filter(status=t.PENDING, batch__isnull=True, template__isnull=False)
        .values("carrier")
        .annotate(n=Count("pk"))
        .values_list("carrier", "n")
    )
    rows = []
    for carrier in carriers.CARRIERS:
        ready = exportable(carrier.code)
        ready_templates = ready.filter(template__isnull=False).count()
        rows.append(Waiting(carrier, ready.count(), pending.get(carrier.code, 0) - ready_templates))
    return rows


def batches_listed(limit: int = 100):
    """The latest batches, each with how many of its filings have a result."""
    return (
        CarrierBatch.objects.select_related("created_by", "submitted_by")
        .annotate(results=Count("filings", filter=Q(filings__status__in=RESULT_STATES)))
        .order_by("-created_at", "-pk")[:limit]
    )
