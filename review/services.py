"""The reviewer's moves on an application (an entity's package, a signature, a template): claim, release, decide.

Each is one move of the table (compliance/transitions.py) through the one entry point,
``filing_portal.workflow.move``, which checks the reviewer's role, the reason codes and the second
reviewer, and compare-and-sets the status: of two reviewers deciding at once, one wins and the other
is told, and nothing is recorded twice.
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from compliance import reasons as catalogue
from compliance import transitions as t
from compliance.evidence import four_eyes_required
from filing_portal import workflow
from filings import services as filings

from . import kinds

TransitionRefused = workflow.TransitionRefused
DECISIONS = (t.APPROVE, t.REQUEST_CHANGES, t.REJECT)


def _chinese() -> bool:
    return (get_language() or "").startswith("zh")


def current_policy_keys() -> tuple[str, ...]:
    """The policy changes in force today (every carrier's): the version of the rules a decision applied."""
    from compliance.policies import ALL_CARRIERS, policy_as_of
    from policies.timeline import timeline

    changes = timeline()
    keys = (k for carrier in sorted(ALL_CARRIERS) for k in policy_as_of(changes=changes, carrier=carrier).change_keys)
    return tuple(dict.fromkeys(keys))


def claim(application, *, reviewer):
    """Take an application from the queue: a submitted one goes in review; one awaiting a second
    reviewer stays there, held by this (different) reviewer. Refused if another reviewer holds it."""
    if application.reviewer_id is not None and application.status in (t.IN_REVIEW, t.AWAITING_SECOND):
        holder = application.reviewer.get_full_name() or application.reviewer.email
        raise TransitionRefused(_("%(who)s holds this application already.") % {"who": holder})
    target = t.IN_REVIEW if application.status == t.SUBMITTED else application.status
    return workflow.move(
        application, action=t.CLAIM, to_status=target, actor=reviewer,
        fields={"reviewer": reviewer, "claimed_at": timezone.now()}, expected={"reviewer": None},
    )  # fmt: skip


def release(application, *, actor=None):
    """Give a claim back to the queue: the reviewer who holds it, or a scheduled task (``actor``
    None) for a claim left idle. In review goes back to submitted."""
    if actor is not None and application.reviewer_id not in (None, actor.pk):
        holder = application.reviewer.get_full_name() or application.reviewer.email
        raise TransitionRefused(_("%(who)s holds this application: only they release it.") % {"who": holder})
    target = t.SUBMITTED if application.status == t.IN_REVIEW else application.status
    # The claim as it was read: a reviewer who released and claimed again meanwhile keeps the new claim.
    expected = {"reviewer": actor if actor is not None else application.reviewer_id,
                "claimed_at": application.claimed_at}  # fmt: skip
    return workflow.move(
        application, action=t.RELEASE, to_status=target, actor=actor,
        fields={"reviewer": None, "claimed_at": None}, expected=expected,
    )  # fmt: skip


def four_eyes(application) -> bool:
    """Whether approving ``application`` needs a second, different reviewer (settings.REVIEW_FOUR_EYES)."""
    from compliance.industries import industry
    from qualifications.models import PackageReview
    from signatures.models import Signature
    from signatures.selectors import signature_facts
    from signatures.services import Draft

    if isinstance(application, PackageReview):
        return "special_industry" in settings.REVIEW_FOUR_EYES and industry(application.entity.industry).needs_permit
    signature = application if isinstance(application, Signature) else application.signature
    draft = Draft(entity=signature.entity, source=signature.source, text=signature.text,
                  trademark=signature.trademark, app=signature.app,
                  partner_authorization=signature.partner_authorization)  # fmt: skip
    facts = signature_facts(draft, text=signature.text)
    return four_eyes_required(facts, cases=settings.REVIEW_FOUR_EYES)


def decide(application, *, reviewer, decision: str, reason_codes=(), note: str = "", seen=None, ticked=()):
    """The reviewer's decision on an application they hold: approve (every item of its checklist
    satisfied: the automatic ones pass, the manual ones in ``ticked``), or, where four-eyes applies,
    pass it to a second reviewer; request changes or reject, with reason codes from the catalogue and
    a free note. ``seen``: the application's ``updated_at`` as the reviewer saw it; a decision on an
    application that changed since is refused. The decision's row keeps the checklist as evaluated
    and ticked, the policy version and what the application was."""
    if decision not in DECISIONS:
        raise TransitionRefused(_("Unknown decision."))
    if application.reviewer_id != reviewer.pk:
        raise TransitionRefused(_("Claim this application before deciding on it."))
    kind = kinds.kind_of(application)
    evaluated = kind.evaluate(application)
    ticked = frozenset(ticked)
    if decision == t.APPROVE:
        failed = [e.item.label(_chinese()) for e in evaluated if e.passed is False]
        unticked = [e.item.label(_chinese()) for e in evaluated if e.passed is None and e.item.code not in ticked]
        if failed or unticked:
            raise TransitionRefused(
                _("Every item must be satisfied to approve. Not satisfied: %(items)s.")
                % {"items": "；".join(failed + unticked) if _chinese() else "; ".join(failed + unticked)}
            )
    record = {
        "checklist": {e.item.code: ("passed" if e.passed else "failed") if e.passed is not None
                      else ("ticked" if e.item.code in ticked else "unticked") for e in evaluated},
        "policy_keys": list(current_policy_keys()),
        "snapshot": kind.snapshot(application),
    }  # fmt: skip
    expected = {"reviewer": reviewer}
    if seen is not None:
        expected["updated_at"] = seen
    if decision == t.APPROVE:
        reason_codes = ()  # an approval gives no reason: the checklist it satisfied is its record
        target = t.AWAITING_SECOND if application.status == t.IN_REVIEW and four_eyes(application) else t.APPROVED
    else:
        target = t.CHANGES_REQUESTED if decision == t.REQUEST_CHANGES else t.REJECTED
    # Decided, the claim ends (who decided is in the history); awaiting a second reviewer, the item goes
    # back to the queue for another reviewer to claim.
    fields = {"reviewer": None, "claimed_at": None}
    try:
        with transaction.atomic():
            moved = workflow.move(application, action=decision, to_status=target, actor=reviewer, record=record,
                                  reason_codes=reason_codes, note=note, fields=fields, expected=expected)  # fmt: skip
            if kinds.kind_of(moved).code == catalogue.ENTITY and target != t.AWAITING_SECOND:
                _documents_reviewed(moved, record["snapshot"], approved=target == t.APPROVED)
            elif target == t.APPROVED:
                filings.open_filings(moved, actor=reviewer)  # one per carrier, pending
            return moved
    except TransitionRefused:
        application.refresh_from_db()
        if seen is not None and application.updated_at != seen and application.reviewer_id == reviewer.pk:
            raise TransitionRefused(
                _("The application changed after you opened it. Reload it and check again.")
            ) from None
        raise


def release_idle_claims(*, now=None) -> int:
    """Give back to the queue every claim left idle longer than settings.REVIEW_CLAIM_IDLE_HOURS (the
    beat task's service): each release a move of the system, one transaction each, so a claim the
    reviewer acts on meanwhile is left alone (the compare-and-set refuses the release)."""
    from datetime import timedelta

    from qualifications.models import PackageReview
    from signatures.models import Signature
    from templates_app.models import SmsTemplate

    cutoff = (now or timezone.now()) - timedelta(hours=settings.REVIEW_CLAIM_IDLE_HOURS)
    released = 0
    for model in (PackageReview, Signature, SmsTemplate):
        idle = model.objects.filter(status__in=(t.IN_REVIEW, t.AWAITING_SECOND), reviewer__isnull=False,
                                    claimed_at__lt=cutoff)  # fmt: skip
        for application in idle:
            try:
                release(application, actor=None)
            except TransitionRefused:
                continue  # decided or released meanwhile
            released += 1
    return released


def _documents_reviewed(package, snapshot, *, approved: bool) -> None:
    """The package's documents the decision judged (its snapshot) read as the decision says: approved,
    or rejected; a document uploaded since stays waiting for review."""
    from qualifications.models import Document

    judged = [pk for ids in snapshot.get("documents", {}).values() for pk in ids]
    state = Document.ReviewState.APPROVED if approved else Document.ReviewState.REJECTED
    Document.objects.filter(pk__in=judged, entity_id=package.entity_id).update(review_state=state)
