"""Reads of the account manager's desk, always scoped to the organizations the viewer may follow: an
account manager their own customers, a reviewer or a superuser everyone's (or one manager's).

Every read is a fixed number of queries whatever the number of applications: the page of rows is one
query over signatures and templates together (a UNION, ordered and sliced in the database), its
filings one more; the lists and the charts are aggregates or bounded slices (docs/desk.md).
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import CharField, Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import staff
from accounts.models import Organization
from compliance import carriers
from compliance import filings as rules
from compliance import transitions as t
from filing_portal.workflow import state_label
from filings import selectors as filing_selectors
from filings.models import Filing
from signatures.models import Signature
from templates_app.models import SmsTemplate

SIGNATURE, TEMPLATE = "signature", "template"
# Ended applications (withdrawn, rejected) leave the desk: nothing more happens to them.
SHOWN = Q(status__in=[s for s in t.STATES if s not in t.ENDED_STATES])
EXPIRING_DAYS = 60
LIST_SIZE = 10  # the desk's short lists (overdue, changes requested); the table has the rest
EXPIRING_SIZE = 50
LEAD_TIME_DAYS = 180  # lead times of the filings filed in the last half year: the carriers' pace now


def may_use_desk(user) -> bool:
    """Verified staff who follow customers (account managers), or who oversee them (reviewers, superusers)."""
    roles = staff.staff_roles(user)
    return staff.is_verified_staff(user) and (t.ACCOUNT_MANAGER in roles or t.REVIEWER in roles)


def oversees(user) -> bool:
    """Sees every manager's customers, and may pick one manager."""
    return user.is_superuser or staff.is_reviewer(user)


def desk_organizations(*, viewer, manager_id=None):
    """The organizations on ``viewer``'s desk: an account manager's own customers; a reviewer's or a
    superuser's all of them, or ``manager_id``'s."""
    if oversees(viewer):
        found = Organization.objects.all()
        return found.filter(account_manager_id=manager_id) if manager_id else found
    if t.ACCOUNT_MANAGER in staff.staff_roles(viewer):
        return Organization.objects.filter(account_manager=viewer)
    return Organization.objects.none()


@dataclass(frozen=True)
class Filters:
    organization_id: int | None = None
    kind: str = ""  # signature, template or both
    carrier: str = ""
    filing_state: str = ""
    overdue: bool = False
    waiting: bool = False  # on the customer
    status: str = ""  # the platform's state of the application


def _filing_condition(filters: Filters, today: dt.date) -> Q | None:
    if not (filters.carrier or filters.filing_state):
        return None
    cond = Q()
    if filters.carrier:
        cond &= Q(carrier=filters.carrier)
    if filters.filing_state:
        cond &= Q(status=filters.filing_state)
    return cond


def _overdue_q(today: dt.date) -> Q:
    # compliance.filings.is_overdue, as a query: submitted, and past the window's last working day.
    return Q(status=t.SUBMITTED, due_by__lt=today)


def _side(model, field_name: str, organizations, filters: Filters, today: dt.date):
    """One kind's rows, filtered, as the UNION's columns (the same names and order on both sides)."""
    rows = model.objects.filter(SHOWN, organization__in=organizations)
    if filters.organization_id:
        rows = rows.filter(organization_id=filters.organization_id)
    if filters.status:
        rows = rows.filter(status=filters.status)
    filings = Filing.objects.filter(**{field_name: OuterRef("pk")})
    if (cond := _filing_condition(filters, today)) is not None:
        rows = rows.filter(Exists(filings.filter(cond)))
    if filters.overdue:
        rows = rows.filter(Exists(filings.filter(_overdue_q(today))))
    if filters.waiting:
        rows = rows.filter(
            Q(status__in=rules.CUSTOMER_STATES) | Exists(filings.filter(status__in=rules.CUSTOMER_FILING_STATES))
        )
    if field_name == "signature":
        columns = {"row_kind": Value(SIGNATURE), "org_name": F("organization__name"), "label": F("text"),
                   "signature_text": F("text"), "app_version": Value(0, output_field=IntegerField())}  # fmt: skip
    else:
        columns = {"row_kind": Value(TEMPLATE), "org_name": F("organization__name"), "label": F("name"),
                   "signature_text": F("signature__text"), "app_version": F("version")}  # fmt: skip
    return rows.order_by().values("id", "organization_id", "status", "updated_at", **columns)


def application_rows(*, organizations, filters: Filters, today: dt.date | None = None, extra: bool = False):
    """The signatures and templates of ``organizations`` passing ``filters``, newest change first, as one
    queryset of dicts (a UNION): sliced by the paginator, iterated by the export. ``extra``: each row
    also carries its filing's state and due date at each carrier (the export's columns)."""
    today = today or timezone.localdate()
    sides = []
    for kind, model, field_name in ((SIGNATURE, Signature, "signature"), (TEMPLATE, SmsTemplate, "template")):
        if filters.kind and filters.kind != kind:
            continue
        side = _side(model, field_name, organizations, filters, today)
        if extra:
            at = {}
            for code in carriers.CODES:
                one = Filing.objects.filter(**{field_name: OuterRef("pk")}, carrier=code)
                at[f"{code}_status"] = Subquery(one.values("status")[:1])
                at[f"{code}_due_by"] = Subquery(one.values("due_by")[:1])
                # a template's signature at the carrier (its pending filing waits for it); "" for a signature
                signature_at = Filing.objects.filter(signature_id=OuterRef("signature_id"), carrier=code)
                at[f"{code}_signature"] = (
                    Subquery(signature_at.values("status")[:1]) if kind == TEMPLATE
                    else Value("", output_field=CharField())
                )  # fmt: skip
            side = side.annotate(**at).values("id", "organization_id", "status", "updated_at", "row_kind", "org_name",
                                              "label", "signature_text", "app_version", *at)  # fmt: skip
        sides.append(side)
    first, *rest = sides
    combined = first.union(*rest, all=True) if rest else first
    return combined.order_by("-updated_at", "row_kind", "-id")


@dataclass(frozen=True)
class Mark:
    """An application's filing at one carrier, as the desk's small mark shows it."""

    carrier: str
    carrier_name: str
    letter: str  # what the mark shows: 移, 联, 电 (M, U, T)
    state: str  # a filing state, or "" where there is no filing (not approved yet)
    label: str
    due_by: dt.date | None
    overdue: bool

    @property
    def title(self) -> str:
        """The mark's tooltip: the carrier, the state, and the due date while the carrier has it."""
        colon = "：" if _chinese() else ": "
        if not self.label:
            return self.carrier_name + colon + _("not filed yet")
        due = f" · {self.due_by:%Y-%m-%d}" if self.due_by and self.state == t.SUBMITTED else ""
        return f"{self.carrier_name}{colon}{self.label}{due}"


@dataclass(frozen=True)
class DeskRow:
    kind: str
    pk: int
    organization_id: int
    organization: str
    label: str
    status: str
    updated_at: dt.datetime
    marks: tuple[Mark, ...]
    waits_on_customer: bool
    overdue: bool
    sentence: str = ""

    @property
    def status_label(self) -> str:
        return state_label(self.status)

    @property
    def url(self) -> str:
        if self.kind == SIGNATURE:
            return reverse("admin:signatures_signature_change", args=[self.pk])
        return reverse("admin:templates_app_smstemplate_change", args=[self.pk])


def _label(row: dict) -> str:
    if row["row_kind"] == SIGNATURE:
        return f"【{row['label']}】"
    return f"【{row['signature_text']}】{row['label']} v{row['app_version']}"


def _marks(states: dict, today: dt.date) -> tuple[Mark, ...]:
    """``states``: carrier → (the state shown, due_by); a carrier missing: no filing (not approved)."""
    chinese = _chinese()
    marks = []
    for carrier in carriers.CARRIERS:
        state, due_by = states.get(carrier.code, ("", None))
        marks.append(Mark(carrier=carrier.code, carrier_name=carrier.short_zh if chinese else carrier.name_en,
                          letter=carrier.short_zh[0] if chinese else carrier.name_en.removeprefix("China ")[0],
                          state=state, label=filing_selectors.state_label(state) if state else "", due_by=due_by,
                          overdue=rules.is_overdue(state, due_by, today)))  # fmt: skip
    return tuple(marks)


def _chinese() -> bool:
    from django.utils.translation import get_language

    return (get_language() or "").startswith("zh")


def desk_row(row: dict, states: dict, today: dt.date) -> DeskRow:
    """One row of the table (or of the export) from the UNION's dict and its filings' shown states
    (carrier → (state, due_by)): the customer's words for it (filings.selectors.status_text)."""
    marks = _marks(states, today)
    shown = {m.carrier: m.state for m in marks if m.state}
    chinese = _chinese()
    return DeskRow(
        kind=row["row_kind"], pk=row["id"], organization_id=row["organization_id"], organization=row["org_name"],
        label=_label(row), status=row["status"], updated_at=row["updated_at"], marks=marks,
        waits_on_customer=rules.waits_on_customer(row["status"], shown.values()),
        overdue=any(m.overdue for m in marks),
        sentence=filing_selectors.status_text(row["status"], state_label(row["status"]), shown, chinese=chinese),
    )  # fmt: skip


def rows_with_marks(rows: list[dict], today: dt.date | None = None) -> list[DeskRow]:
    """The page's rows with their filings: two queries for the whole page (the templates' signatures'
    filings: a template's pending filing waits for its signature, compliance.filings.shown_state)."""
    today = today or timezone.localdate()
    signature_ids = [r["id"] for r in rows if r["row_kind"] == SIGNATURE]
    template_ids = [r["id"] for r in rows if r["row_kind"] == TEMPLATE]
    found: dict[tuple[str, int], dict] = {}
    of_templates = []
    if signature_ids or template_ids:
        filings = Filing.objects.filter(Q(signature_id__in=signature_ids) | Q(template_id__in=template_ids))
        for sig, tpl, tpl_sig, carrier, status, due_by in filings.values_list(
            "signature_id", "template_id", "template__signature_id", "carrier", "status", "due_by"
        ):
            if sig:
                found.setdefault((SIGNATURE, sig), {})[carrier] = (status, due_by)
            else:
                of_templates.append((tpl, tpl_sig, carrier, status, due_by))
    if of_templates:
        signature_states = dict(
            ((sig, carrier), status) for sig, carrier, status in Filing.objects.filter(
                signature_id__in={row[1] for row in of_templates}).values_list("signature_id", "carrier", "status")
        )  # fmt: skip
        for tpl, tpl_sig, carrier, status, due_by in of_templates:
            shown = rules.shown_state(status, signature_states.get((tpl_sig, carrier)))
            found.setdefault((TEMPLATE, tpl), {})[carrier] = (shown, due_by)
    return [desk_row(r, found.get((r["row_kind"], r["id"]), {}), today) for r in rows]


# --- the short lists --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OverdueFiling:
    pk: int
    application: str
    organization: str
    carrier: str
    submitted_at: dt.datetime | None
    due_by: dt.date
    due_exact: bool
    days_late: int  # working days past the window's last day
    organization_id: int | None = None
    carrier_code: str = ""
    signature_id: int | None = None  # the application: a signature, or a template (its id, and its signature's)
    template_id: int | None = None


def overdue_filings(*, organizations, today: dt.date | None = None, limit=LIST_SIZE) -> tuple[int, list]:
    """How many filings are overdue at the carriers, and the ``limit`` longest overdue (None: all of them,
    the daily run's notices)."""
    from policies.timeline import working_days_counter

    today = today or timezone.localdate()
    found = Filing.objects.filter(_overdue_q(today), organization__in=organizations)
    shown = list(found.select_related("organization", "signature", "template__signature").order_by("due_by", "pk")[
        :limit])  # fmt: skip
    between = working_days_counter(min((f.due_by for f in shown), default=today), today)
    items = [
        OverdueFiling(pk=f.pk, application=_application_label(f), organization=f.organization.name,
                      carrier=carriers.BY_CODE[f.carrier].name(_chinese()), submitted_at=f.submitted_at,
                      due_by=f.due_by, due_exact=f.due_exact, days_late=between(f.due_by, today),
                      organization_id=f.organization_id, carrier_code=f.carrier,
                      signature_id=f.signature_id or f.template.signature_id, template_id=f.template_id)
        for f in shown
    ]  # fmt: skip
    return found.count(), items


def _application_label(filing: Filing) -> str:
    if filing.signature_id:
        return str(filing.signature)
    template = filing.template
    return f"【{template.signature.text}】{template.name} v{template.version}"


def short_list(*, organizations, filters: Filters, limit=LIST_SIZE) -> tuple[int, list[DeskRow]]:
    """How many rows pass ``filters``, and the first ``limit`` of them with their marks."""
    rows = application_rows(organizations=organizations, filters=filters)
    return rows.count(), rows_with_marks(list(rows[:limit]))


# --- documents and letters that expire ---------------------------------------------------------------


@dataclass
class Expiring:
    what: str  # e.g. "Business licence", "Partner's authorization letter"
    owner: str  # the entity (or partner) it belongs to
    organization: str
    valid_until: dt.date
    days_left: int
    signatures: list[str] = field(default_factory=list)  # the signatures that depend on it
    more: int = 0

    key: tuple = ()  # what the signatures depend on: ("entity" | "trademark" | "authorization", pk)
    organization_id: int | None = None
    entity_id: int | None = None
    ref: str = ""  # the document itself, "entity:<pk>:<date column>" or "document:<pk>", and so on


def expiring(*, organizations, today: dt.date | None = None, days=EXPIRING_DAYS, limit=EXPIRING_SIZE):
    """Documents and letters of ``organizations`` that expire within ``days`` (today included), soonest
    first, each with the signatures that depend on it: the entity's licence and its people's ID cards
    and documents (every signature of the entity), a trademark (signatures in its name), a partner's
    authorization and its letter (signatures under it). Five queries. ``limit`` None: all of them."""
    from qualifications.models import Document, Entity, PartnerAuthorization, Trademark

    today = today or timezone.localdate()
    until = today + dt.timedelta(days=days)
    window = {"gte": today, "lte": until}
    found: list[Expiring] = []

    def add(what, owner, entity, valid_until, key, ref):
        found.append(Expiring(what=str(what), owner=owner, organization=entity.organization.name,
                              valid_until=valid_until, days_left=(valid_until - today).days, key=key,
                              organization_id=entity.organization_id, entity_id=entity.pk, ref=ref))  # fmt: skip

    entity_dates = (
        ("licence_valid_until", _("Business licence")),
        ("legal_rep_id_valid_until", _("Legal representative's ID card")),
        ("agent_id_valid_until", _("Agent's ID card")),
    )
    near = Q()
    for column, _what in entity_dates:
        near |= Q(**{f"{column}__gte": today, f"{column}__lte": until})
    entities = Entity.objects.filter(near, organization__in=organizations, status=Entity.Status.ACTIVE)
    for entity in entities.select_related("organization").only(
        "name", "uses_agent", "organization__name", *(c for c, _w in entity_dates)
    ):
        for column, what in entity_dates:
            day = getattr(entity, column)
            if day and today <= day <= until and (column != "agent_id_valid_until" or entity.uses_agent):
                add(what, entity.name, entity, day, ("entity", entity.pk), f"entity:{entity.pk}:{column}")
    documents = Document.objects.filter(
        entity__organization__in=organizations, is_current=True, purged_at__isnull=True,
        valid_until__gte=today, valid_until__lte=until,
    ).select_related("entity__organization").only(
        "kind", "valid_until", "trademark_id", "partner_authorization_id", "entity__name",
        "entity__organization__name",
    )  # fmt: skip
    for doc in documents:
        key = (
            ("trademark", doc.trademark_id) if doc.trademark_id
            else ("authorization", doc.partner_authorization_id) if doc.partner_authorization_id
            else ("entity", doc.entity_id)
        )  # fmt: skip
        add(doc.get_kind_display(), doc.entity.name, doc.entity, doc.valid_until, key, f"document:{doc.pk}")
    letters = PartnerAuthorization.objects.filter(
        entity__organization__in=organizations, valid_until__range=(window["gte"], window["lte"])
    ).select_related("partner", "entity__organization")
    for letter in letters:
        add(_("Partner authorization"), letter.partner.name, letter.entity, letter.valid_until,
            ("authorization", letter.pk), f"authorization:{letter.pk}")  # fmt: skip
    marks = Trademark.objects.filter(
        entity__organization__in=organizations, valid_until__range=(window["gte"], window["lte"])
    ).select_related("entity__organization")
    for mark in marks:
        add(_("Registered trademark") + f" {mark.name}", mark.entity.name, mark.entity,
            mark.valid_until, ("trademark", mark.pk), f"trademark:{mark.pk}")  # fmt: skip
    found.sort(key=lambda e: (e.valid_until, e.organization, e.what))
    found = found[:limit]
    _depending(found, organizations)
    return found


def _depending(items: list[Expiring], organizations, per_item=5) -> None:
    """Fill each item's signatures: one query for all of them."""
    keys = {kind: {pk for k, pk in (i.key for i in items) if k == kind} for kind in ("entity", "trademark",
                                                                                     "authorization")}  # fmt: skip
    if not any(keys.values()):
        return
    held = Signature.objects.filter(SHOWN, organization__in=organizations).filter(
        Q(entity_id__in=keys["entity"]) | Q(trademark_id__in=keys["trademark"])
        | Q(partner_authorization_id__in=keys["authorization"])
    ).order_by("text").values_list("text", "entity_id", "trademark_id", "partner_authorization_id")  # fmt: skip
    by_key: dict[tuple, list[str]] = {}
    for text, entity_id, trademark_id, authorization_id in held:
        for key in (("entity", entity_id), ("trademark", trademark_id), ("authorization", authorization_id)):
            if key[1] is not None:
                by_key.setdefault(key, []).append(f"【{text}】")
    for item in items:
        names = by_key.get(item.key, [])
        item.signatures, item.more = names[:per_item], max(0, len(names) - per_item)


# --- the charts' data -----------------------------------------------------------------------------


def pipeline(*, organizations) -> dict:
    """Applications by the platform's state (per kind), and filings by carrier and state: three
    grouped counts."""
    from filings.models import FilingStatus

    shown_states = [s for s in t.STATES if s not in t.ENDED_STATES]
    counts = {}
    for kind, model in ((SIGNATURE, Signature), (TEMPLATE, SmsTemplate)):
        grouped = model.objects.filter(SHOWN, organization__in=organizations).values("status")
        counts[kind] = dict(grouped.annotate(n=Count("pk")).values_list("status", "n"))
    filings = Filing.objects.filter(organization__in=organizations).values("carrier", "status")
    by_carrier = {(c, s): n for c, s, n in filings.annotate(n=Count("pk")).values_list("carrier", "status", "n")}
    return {
        "states": [state_label(s) for s in shown_states],
        "state_codes": shown_states,
        "signatures": [counts[SIGNATURE].get(s, 0) for s in shown_states],
        "templates": [counts[TEMPLATE].get(s, 0) for s in shown_states],
        "carriers": [c.name(_chinese()) for c in carriers.CARRIERS],
        "names": {"signatures": _("Signatures"), "templates": _("Templates"),
                  "applications": _("Applications by the platform's state"),
                  "filings": _("Filings by carrier and state")},
        "filing_states": [
            {"code": s, "name": str(FilingStatus(s).label),
             "data": [by_carrier.get((c, s), 0) for c in carriers.CODES]}
            for s in t.FILING_STATES
        ],
    }  # fmt: skip


def lead_times(*, organizations, days=LEAD_TIME_DAYS) -> dict:
    """Per carrier, the working days from submission to filing (compliance.workdays over the admin's
    holiday table) of the filings filed in the last ``days``: median and 90th percentile. One query,
    grouped by the two dates (a few thousand pairs at most, whatever the number of filings)."""
    from policies.timeline import working_days_counter

    since = timezone.now() - dt.timedelta(days=days)
    grouped = (
        Filing.objects.filter(organization__in=organizations, filed_at__gte=since, submitted_at__isnull=False)
        .annotate(sent=TruncDate("submitted_at"), filed=TruncDate("filed_at"))
        .values("carrier", "sent", "filed")
        .annotate(n=Count("pk"))
        .values_list("carrier", "sent", "filed", "n")
    )
    grouped = list(grouped)
    spans = {code: [] for code in carriers.CODES}
    if grouped:
        first = min(min(sent, filed) for _c, sent, filed, _n in grouped)
        last = max(max(sent, filed) for _c, sent, filed, _n in grouped)
        between = working_days_counter(first, last)  # each day of the range looked up once
        for carrier, sent, filed, n in grouped:
            spans.setdefault(carrier, []).extend([between(sent, filed)] * n)
    result = {
        "carriers": [],
        "median": [],
        "p90": [],
        "count": [],
        "names": {"median": _("Median"), "p90": _("90th percentile"), "unit": _("working days")},
    }
    for carrier in carriers.CARRIERS:
        values = sorted(spans[carrier.code])
        result["carriers"].append(carrier.name(_chinese()))
        result["median"].append(percentile(values, 50))
        result["p90"].append(percentile(values, 90))
        result["count"].append(len(values))
    return result


def percentile(values: list[int], p: float) -> float | None:
    """The ``p``-th percentile of sorted ``values``, interpolated between the closest ranks (the median
    of [3, 4] is 3.5); None for no values."""
    if not values:
        return None
    rank = (len(values) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(values) - 1)
    return round(values[low] + (values[high] - values[low]) * (rank - low), 1)


def review_waiting(*, organizations) -> dict:
    """The review queue's health for these organizations (review.queue.health): per kind, how many wait,
    how many are past the target, and how long they have waited."""
    from review.admin_views import KIND_NAMES
    from review.queue import AGE_BUCKETS, age_text, health, waiting_entries

    found = health(waiting_entries(organizations=organizations))
    return {
        "kinds": [str(KIND_NAMES[h.kind]) for h in found],
        "buckets": [str(label) for _upper, label in AGE_BUCKETS],
        "names": {"unit": _("applications")},
        "series": [[h.buckets[i] for h in found] for i in range(len(AGE_BUCKETS))],
        "rows": [{"kind": str(KIND_NAMES[h.kind]), "waiting": h.waiting, "overdue": h.overdue,
                  "median": age_text(h.median_hours), "oldest": age_text(h.oldest_hours)} for h in found],
    }  # fmt: skip
