"""The review queue: every application waiting for the platform (an entity's package, a signature,
a template), oldest first, with who holds it, when it is due and what the automatic check said.

The same queries whatever the queue's length (one per kind, each with its organization, account
manager, reviewer and subject; who gave a first approval; the holiday table once), then filtered and
sorted in Python.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from compliance import reasons as catalogue
from compliance import transitions as t

WAITING_CHOICES = {"1": 1, "3": 3, "7": 7}  # waited at least so many days


@dataclass(frozen=True)
class QueueRow:
    kind: str
    pk: object
    label: str
    organization_id: int
    organization: str
    manager_id: int | None
    manager: str
    status: str
    submitted_at: dt.datetime
    reviewer_id: int | None
    reviewer: str
    due: dt.date
    due_exact: bool
    summary: str
    first_approver: bool = False  # the viewer gave the first approval: a second reviewer must decide
    blockers: tuple[str, ...] = ()  # what broke after submission, named (review.blockers)

    @property
    def status_label(self) -> str:
        from filing_portal.workflow import state_label

        return state_label(self.status)

    @property
    def waiting(self) -> dt.timedelta:
        return timezone.now() - self.submitted_at

    @property
    def overdue(self) -> bool:
        return timezone.localdate() > self.due

    @property
    def waiting_text(self) -> str:
        hours = int(self.waiting.total_seconds() // 3600)
        if hours < 24:
            return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
        return ngettext("%(n)d day", "%(n)d days", hours // 24) % {"n": hours // 24}


def _person(user) -> str:
    return (user.get_full_name() or user.email) if user else ""


def _check_summary(precheck) -> str:
    """What the automatic check said at submission, in a few words."""
    errors = sum(1 for v in precheck or () if v.get("severity") == "error")
    warnings = sum(1 for v in precheck or () if v.get("severity") != "error")
    if not errors and not warnings:
        return _("Passed the automatic check")
    parts = []
    if errors:
        parts.append(ngettext("%(n)d error", "%(n)d errors", errors) % {"n": errors})
    if warnings:
        parts.append(ngettext("%(n)d warning acknowledged", "%(n)d warnings acknowledged", warnings) % {"n": warnings})
    return ("、" if (get_language() or "").startswith("zh") else ", ").join(parts)


def _due(submitted_at, table) -> tuple[dt.date, bool]:
    from policies.timeline import expected_by

    return expected_by(timezone.localdate(submitted_at), settings.REVIEW_TARGET_WORKING_DAYS, table=table)


def _rows(kind: str):
    from qualifications.models import PackageReview
    from signatures.models import Signature
    from templates_app.models import SmsTemplate

    queued = sorted(t.QUEUED_STATES)
    common = ("organization__account_manager", "reviewer")
    if kind == catalogue.ENTITY:
        return PackageReview.objects.filter(status__in=queued).select_related("entity", *common)
    if kind == catalogue.SIGNATURE:
        return Signature.objects.filter(status__in=queued).select_related("entity", *common)
    return SmsTemplate.objects.filter(status__in=queued).select_related("signature", *common)


def _label(kind: str, obj) -> str:
    if kind == catalogue.ENTITY:
        return obj.entity.name
    if kind == catalogue.SIGNATURE:
        return f"【{obj.text}】 · {obj.entity.name}"
    return f"【{obj.signature.text}】{obj.name} v{obj.version}"


def _summary(kind: str, obj) -> str:
    if kind == catalogue.ENTITY:
        return _("Every document the package needs was there")
    return _check_summary(obj.precheck)


def _first_approvers(kind: str, ids) -> dict:
    """Who gave the first approval of each item awaiting a second reviewer: one query."""
    from qualifications.models import PackageEvent
    from signatures.models import SignatureEvent
    from templates_app.models import TemplateEvent

    model, column = {
        catalogue.ENTITY: (PackageEvent, "review_id"),
        catalogue.SIGNATURE: (SignatureEvent, "signature_id"),
        catalogue.TEMPLATE: (TemplateEvent, "template_id"),
    }[kind]
    rows = model.objects.filter(**{f"{column}__in": ids}, from_status=t.IN_REVIEW, to_status=t.AWAITING_SECOND)
    return dict(rows.order_by("at", "pk").values_list(column, "actor_id"))  # the latest wins


def queue(*, viewer, kind="", organization_id=None, manager_id=None, assignee="", waited="", overdue=False):
    """The queue as ``viewer`` (a reviewer) sees it, filtered: ``kind`` (entity, signature, template),
    an organization, an account manager, ``assignee`` ("me", "none", or a reviewer's id), ``waited``
    (at least 1, 3 or 7 days), ``overdue`` only. Oldest first."""
    from policies.timeline import holiday_table

    from .selectors import shown_reasons

    chinese = (get_language() or "").startswith("zh")
    holidays = holiday_table()  # read once for the whole queue
    rows = []
    for each in (catalogue.ENTITY, catalogue.SIGNATURE, catalogue.TEMPLATE):
        if kind and kind != each:
            continue
        found = list(_rows(each))
        awaiting = [obj.pk for obj in found if obj.status == t.AWAITING_SECOND]
        first = _first_approvers(each, awaiting) if awaiting else {}
        for obj in found:
            due, exact = _due(obj.submitted_at or obj.updated_at, holidays)
            manager = obj.organization.account_manager
            rows.append(QueueRow(
                kind=each, pk=obj.pk, label=_label(each, obj), organization_id=obj.organization_id,
                organization=obj.organization.name, manager_id=manager.pk if manager else None,
                manager=_person(manager), status=obj.status, submitted_at=obj.submitted_at or obj.updated_at,
                reviewer_id=obj.reviewer_id, reviewer=_person(obj.reviewer), due=due, due_exact=exact,
                summary=_summary(each, obj), first_approver=first.get(obj.pk) == viewer.pk,
                blockers=tuple(r.title for r in shown_reasons(obj.blockers, chinese=chinese)),
            ))  # fmt: skip
    if organization_id:
        rows = [r for r in rows if str(r.organization_id) == str(organization_id)]
    if manager_id:
        rows = [r for r in rows if str(r.manager_id) == str(manager_id)]
    if assignee == "me":
        rows = [r for r in rows if r.reviewer_id == viewer.pk]
    elif assignee == "none":
        rows = [r for r in rows if r.reviewer_id is None]
    elif assignee:
        rows = [r for r in rows if str(r.reviewer_id) == str(assignee)]
    if waited in WAITING_CHOICES:
        rows = [r for r in rows if r.waiting >= dt.timedelta(days=WAITING_CHOICES[waited])]
    if overdue:
        rows = [r for r in rows if r.overdue]
    rows.sort(key=lambda r: (r.submitted_at, r.kind, str(r.pk)))
    return rows


def waiting_count() -> int:
    """How many applications wait for the platform, all kinds (three counts)."""
    return sum(_rows(kind).count() for kind in (catalogue.ENTITY, catalogue.SIGNATURE, catalogue.TEMPLATE))


# The queue's health, for the review lead (on the queue's page) and the desk's chart: how many wait per
# kind, for how long, and how many are past the target (REVIEW_TARGET_WORKING_DAYS).
AGE_BUCKETS = (
    (1, gettext_lazy("under 1 day")), (3, gettext_lazy("1–3 days")), (7, gettext_lazy("3–7 days")),
    (None, gettext_lazy("7 days or more")),
)  # fmt: skip
KINDS = (catalogue.ENTITY, catalogue.SIGNATURE, catalogue.TEMPLATE)


@dataclass(frozen=True)
class KindHealth:
    kind: str
    waiting: int
    overdue: int
    median_hours: float | None
    oldest_hours: float | None
    buckets: tuple[int, ...]  # how many in each of AGE_BUCKETS


def waiting_entries(*, organizations=None) -> list[tuple[str, dt.datetime, dt.date]]:
    """(kind, waiting since, due) of everything in the queue, of ``organizations`` (a queryset) or all:
    three queries of two columns and the holiday table once, whatever the queue's length."""
    from policies.timeline import holiday_table

    holidays, due_of, entries = holiday_table(), {}, []
    for kind in KINDS:
        rows = _rows(kind).select_related(None)
        if organizations is not None:
            rows = rows.filter(organization__in=organizations)
        for submitted_at, updated_at in rows.values_list("submitted_at", "updated_at"):
            since = submitted_at or updated_at
            day = timezone.localdate(since)
            if day not in due_of:
                due_of[day] = _due(since, holidays)[0]
            entries.append((kind, since, due_of[day]))
    return entries


def health(entries, *, now=None) -> list[KindHealth]:
    """Per kind, from ``entries`` (kind, waiting since, due): the queue rows' own, or waiting_entries."""
    import statistics

    now = now or timezone.now()
    today = timezone.localdate(now)
    found = []
    for kind in KINDS:
        hours = sorted((now - since).total_seconds() / 3600 for k, since, _due_day in entries if k == kind)
        overdue = sum(1 for k, _since, due in entries if k == kind and today > due)
        buckets = [0] * len(AGE_BUCKETS)
        for h in hours:
            days = h / 24
            buckets[next(i for i, (upper, _label) in enumerate(AGE_BUCKETS) if upper is None or days < upper)] += 1
        found.append(KindHealth(kind=kind, waiting=len(hours), overdue=overdue,
                                median_hours=statistics.median(hours) if hours else None,
                                oldest_hours=hours[-1] if hours else None, buckets=tuple(buckets)))  # fmt: skip
    return found


def age_text(hours: float | None) -> str:
    if hours is None:
        return "—"
    if hours < 24:
        return ngettext("%(n)d hour", "%(n)d hours", int(hours)) % {"n": int(hours)}
    return ngettext("%(n)d day", "%(n)d days", int(hours // 24)) % {"n": int(hours // 24)}
