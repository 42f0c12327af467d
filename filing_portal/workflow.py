"""What signatures and templates share: their states, a history row per move, and the one way a
status moves (the table of compliance/transitions.py, the actor's role from accounts.staff, then a
compare-and-set).

The history row is also an outbox: ``processed_at`` stays empty until the notices and webhooks
(later issues) have read it, and an index covers the unprocessed rows only.
"""

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext_lazy

from accounts import staff
from compliance import reasons as catalogue
from compliance import transitions as t


class ApplicationStatus(models.TextChoices):
    # The one name of each state of an application (signatures and templates alike), on every page,
    # filter and timeline and in the admin. A context of its own: an entity's "Active" is 有效.
    DRAFT = t.DRAFT, pgettext_lazy("application state", "Draft")
    SUBMITTED = t.SUBMITTED, pgettext_lazy("application state", "Submitted")
    IN_REVIEW = t.IN_REVIEW, pgettext_lazy("application state", "In review")
    AWAITING_SECOND = t.AWAITING_SECOND, pgettext_lazy("application state", "Awaiting a second reviewer")
    CHANGES_REQUESTED = t.CHANGES_REQUESTED, pgettext_lazy("application state", "Changes requested")
    APPROVED = t.APPROVED, pgettext_lazy("application state", "Approved")
    REJECTED = t.REJECTED, pgettext_lazy("application state", "Rejected")
    WITHDRAWN = t.WITHDRAWN, pgettext_lazy("application state", "Withdrawn")


assert tuple(ApplicationStatus.values) == t.STATES


def state_label(status: str) -> str:
    """The one name of a state of an application, everywhere: its label, translated."""
    return str(ApplicationStatus(status).label) if status in ApplicationStatus.values else status


class Reviewed(models.Model):
    """What every application the platform reviews keeps besides its status: the reviewer who holds it
    and since when (set and cleared by the moves), and what broke in its evidence since it was
    submitted (codes of compliance.reasons, kept by review.blockers)."""

    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name=_lazy("assigned reviewer"))  # fmt: skip
    claimed_at = models.DateTimeField(_lazy("claimed at"), null=True, blank=True)
    blockers = models.JSONField(_lazy("blockers"), default=list, blank=True)

    class Meta:
        abstract = True


class StatusEvent(models.Model):
    """Every move: who, in which role, when, from, to, the reason codes and a free note. The customer
    sees these as a timeline."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    actor_role = models.CharField(max_length=16, blank=True)
    action = models.CharField(max_length=24, blank=True)
    from_status = models.CharField(max_length=32, blank=True)
    to_status = models.CharField(max_length=32)
    reason_codes = models.JSONField(default=list, blank=True)  # codes of compliance.reasons
    reason = models.TextField(blank=True)  # the free note (a reviewer's, or the system's: "v1 → v2")
    # A decision's record: the checklist as evaluated and ticked, the policy version, the fields and
    # documents it judged (what changed since is shown against it after a resubmission).
    record = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)  # read by notices and webhooks

    class Meta:
        abstract = True
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["at"], condition=Q(processed_at__isnull=True), name="%(class)s_outbox")]


class TransitionRefused(Exception):
    pass


def _role(actor, organization_id, move_roles) -> str | None:
    held = staff.roles_toward(actor, organization_id)
    for role in t.ROLES:  # the table's order: a member acts as a customer first
        if role in held and role in move_roles:
            return role
    return None


# Which kind of application a model holds, as the reason catalogue names it.
_KINDS = {
    "signature": catalogue.SIGNATURE,
    "smstemplate": catalogue.TEMPLATE,
    "packagereview": catalogue.ENTITY,
    "filing": catalogue.FILING,
}


def _label(obj, status: str) -> str:
    """A state's one name, for the kind of record ``obj`` is (an application's, or a filing's)."""
    choices = type(obj).Status
    return str(choices(status).label) if status in choices.values else status


def kind_of(obj) -> str:
    return _KINDS[obj._meta.model_name]


def check_move(obj, *, action: str, to_status: str, actor, reason_codes=()) -> tuple[t.Move, str]:
    """The move of the table ``actor`` may make on ``obj`` now, and the role they make it in, or
    TransitionRefused saying why. Nothing is written."""
    current = obj.status
    found = t.find_move(action, current, to_status, kind_of(obj))
    if found is None:
        names = {"a": _label(obj, current) if current else "—", "b": _label(obj, to_status)}
        raise TransitionRefused(_("This cannot go from “%(a)s” to “%(b)s”.") % names)
    role = _role(actor, obj.organization_id, found.roles)
    if role is None:
        raise TransitionRefused(_("You may not make this change."))
    if found.reasons_required and not reason_codes:
        raise TransitionRefused(_("Give at least one reason code for this decision."))
    unknown = catalogue.unknown_codes(reason_codes, kind=kind_of(obj))
    if unknown:
        raise TransitionRefused(_("Unknown reason code: %(codes)s.") % {"codes": "、".join(unknown)})
    if found.second_reviewer and actor is not None and actor.pk == first_approver_id(obj):
        raise TransitionRefused(_("A second, different reviewer must decide: you gave the first approval."))
    if role in (t.REVIEWER, t.CLERK) and staff.is_member(actor, obj.organization_id):
        raise TransitionRefused(_("You cannot review your own organization's application."))
    return found, role


def first_approver_id(obj):
    """Who moved ``obj`` to awaiting a second reviewer the last time, or None."""
    last = obj.events.filter(to_status=t.AWAITING_SECOND, from_status=t.IN_REVIEW).order_by("-at", "-pk").first()
    return last.actor_id if last else None


def _record(obj, *, actor, role, action, source, target, reason_codes=(), note="", record=None):
    event = obj.events.create(actor=actor, actor_role=role, action=action, from_status=source, to_status=target,
                              reason_codes=list(reason_codes), reason=note, record=record or {})  # fmt: skip
    # The row is the outbox (notices.events): once it commits, a worker turns it into its notice; if the
    # broker is down, the beat sweep does later.
    from notices.events import nudge

    transaction.on_commit(lambda: nudge(event), robust=True)


def move(obj, *, action: str, to_status: str, actor, reason_codes=(), note: str = "", fields=None, expected=None,
         record=None):  # fmt: skip
    """Make one move of the table: ``action`` from ``obj``'s status to ``to_status``, by ``actor``
    (None: a scheduled task), if their role allows it, with the reason codes it needs, and if nobody
    moved it first. ``fields``: other columns set in the same UPDATE; ``expected``: other column
    values the row must still have (the claim's reviewer, the version the reviewer saw); ``record``:
    what a decision keeps (the checklist, the policy version). The history row is written in the same
    transaction."""
    reason_codes = tuple(dict.fromkeys(reason_codes))
    found, role = check_move(obj, action=action, to_status=to_status, actor=actor, reason_codes=reason_codes)
    with transaction.atomic():
        rows = type(obj).objects.filter(pk=obj.pk, status=found.source, **(expected or {}))
        if rows.update(status=to_status, updated_at=timezone.now(), **(fields or {})) != 1:
            raise TransitionRefused(_("Someone else changed this first. Reload the page."))
        _record(obj, actor=actor, role=role, action=action, source=found.source, target=to_status,
                reason_codes=reason_codes, note=note, record=record)  # fmt: skip
    obj.refresh_from_db()
    return obj


def record_created(obj, *, actor, action: str, target: str, note: str = "", record=None) -> None:
    """The first row of a record another move created (a filing, made by the approval): the table is
    asked for the move and the actor's role, in the caller's transaction."""
    found = t.find_move(action, t.NEW, target, kind_of(obj))
    role = None if found is None else _role(actor, obj.organization_id, found.roles)
    if role is None:
        raise TransitionRefused(_("You may not make this change."))
    _record(obj, actor=actor, role=role, action=action, source=t.NEW, target=target, note=note, record=record)


def record_creation(obj, *, actor, submit: bool, created_note: str = "", submitted_note: str = ""):
    """The history of a new application: created as a draft, and submitted at once if ``submit``.
    The caller created the row in its transaction; the table is asked for each move all the same."""
    steps = [(t.CREATE, t.NEW, t.DRAFT, created_note)]
    if submit:
        steps.append((t.SUBMIT, t.DRAFT, t.SUBMITTED, submitted_note))
    for action, source, target, note in steps:
        found = t.find_move(action, source, target, kind_of(obj))
        role = _role(actor, obj.organization_id, found.roles)
        if role is None:
            raise TransitionRefused(_("You may not make this change."))
        _record(obj, actor=actor, role=role, action=action, source=source, target=target, note=note)
