"""Every change to a filing: opened by the platform's approval, sent in a carrier batch, its result
recorded, re-filed. Each move goes through filing_portal.workflow.move (the table of
compliance/transitions.py, kind ``filing``), in one transaction with what follows from it: a
signature cleared at a carrier marks its templates filed there as affected; filed again, they go
back to be filed (docs/filings.md)."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import staff
from compliance import carriers
from compliance import filings as rules
from compliance import transitions as t
from filing_portal import workflow
from filing_portal.workflow import TransitionRefused
from policies.timeline import expected_by, holiday_table

from .models import CarrierBatch, Filing


def open_filings(application, *, actor) -> list[Filing]:
    """The approved application's filing at each carrier, pending: called in the approval's
    transaction. Idempotent: a carrier it already has a filing at is left alone."""
    field = "signature" if application._meta.model_name == "signature" else "template"
    have = set(Filing.objects.filter(**{field: application}).values_list("carrier", flat=True))
    made = []
    for code in carriers.CODES:
        if code in have:
            continue
        filing = Filing.objects.create(organization_id=application.organization_id, carrier=code,
                                       **{field: application})  # fmt: skip
        workflow.record_created(filing, actor=actor, action=t.CREATE, target=t.PENDING)
        made.append(filing)
    return made


def _window(day, table):
    window = rules.window(day)
    due_from, exact_from = expected_by(day, window.earliest, table=table)
    due_by, exact_by = expected_by(day, window.latest, table=table)
    return {"due_from": due_from, "due_by": due_by, "due_exact": exact_from and exact_by}


def exportable(carrier: str):
    """The filings of ``carrier`` a new batch takes: pending, in no batch still open, and for a
    template only where its signature is filed at that carrier (compliance.filings.template_may_file)."""
    signatures_filed = Filing.objects.filter(carrier=carrier, signature__isnull=False, status=t.FILED)
    # A pending filing in a batch is in one not yet submitted (submitting moves them all; a re-filing
    # leaves its batch): that batch carries it.
    pending = Filing.objects.filter(carrier=carrier, status=t.PENDING, batch__isnull=True)
    return pending.filter(template__isnull=True) | pending.filter(
        template__signature_id__in=signatures_filed.values("signature_id")
    )


def open_batch(*, carrier: str, actor) -> CarrierBatch:
    """A new batch of ``carrier`` holding every filing it may take now (exportable). Refused when
    there is none. The filings stay pending until the batch is submitted (submit_batch)."""
    if carrier not in carriers.CODES:
        raise TransitionRefused(_("Unknown carrier: %(carrier)s.") % {"carrier": carrier})
    if actor is not None and not staff.is_clerk(actor):
        raise TransitionRefused(_("You may not make this change."))
    with transaction.atomic():
        rows = list(exportable(carrier).select_for_update().values_list("pk", flat=True))
        if not rows:
            raise TransitionRefused(_("Nothing waits to be filed with this carrier."))
        batch = CarrierBatch.objects.create(carrier=carrier, created_by=actor, size=len(rows))
        Filing.objects.filter(pk__in=rows).update(batch=batch)
    return batch


def submit_batch(batch: CarrierBatch, *, actor, now=None) -> CarrierBatch:
    """The batch was handed to the carrier: each of its filings moves to submitted, with the window
    the carrier takes from today. One transaction: all of them, or none."""
    now = now or timezone.now()
    table = holiday_table()
    window = _window(timezone.localdate(now), table)
    with transaction.atomic():
        locked = CarrierBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.submitted_at is not None:
            raise TransitionRefused(_("This batch was already submitted."))
        for filing in Filing.objects.filter(batch=locked, status=t.PENDING).order_by("pk"):
            workflow.move(filing, action=t.SEND, to_status=t.SUBMITTED, actor=actor,
                          fields={"submitted_at": now, **window})  # fmt: skip
        CarrierBatch.objects.filter(pk=locked.pk).update(submitted_at=now, submitted_by=actor)
    batch.refresh_from_db()
    return batch


@dataclass(frozen=True)
class Outcome:
    """What a carrier said of one filing: filed, failed or cleared (compliance.filings.OUTCOMES), with
    the reason codes of a failure or a clearance, the carrier's reference and a note."""

    filing_id: int
    outcome: str
    reason_codes: tuple[str, ...] = ()
    carrier_ref: str = ""
    note: str = ""


def record_outcome(filing: Filing, outcome: Outcome, *, actor, now=None) -> Filing:
    """One result, in the caller's transaction (or one of its own), with what follows from it for
    the signature's templates at the same carrier."""
    action = rules.OUTCOMES.get(outcome.outcome)
    if action is None:
        raise TransitionRefused(_("Unknown outcome: %(outcome)s.") % {"outcome": outcome.outcome})
    now = now or timezone.now()
    fields = {"reason_codes": list(outcome.reason_codes)}
    if outcome.carrier_ref:
        fields["carrier_ref"] = outcome.carrier_ref
    if outcome.outcome == t.FILED:
        fields["filed_at"] = now
    with transaction.atomic():
        moved = workflow.move(filing, action=action, to_status=outcome.outcome, actor=actor,
                              reason_codes=outcome.reason_codes, note=outcome.note, fields=fields)  # fmt: skip
        if moved.signature_id:
            _follow_signature(moved)
    return moved


def _follow_signature(filing: Filing) -> None:
    """A signature's filing at a carrier moved: its templates there follow. Cleared, the templates
    filed there are affected; filed (again), the affected ones go back to be filed."""
    templates = Filing.objects.filter(carrier=filing.carrier, template__signature_id=filing.signature_id)
    if filing.status == t.CLEARED:
        for affected in templates.filter(status=t.FILED):
            workflow.move(affected, action=t.AFFECT, to_status=t.AFFECTED, actor=None,
                          reason_codes=("FIL_SIGNATURE_CLEARED",),
                          fields={"reason_codes": ["FIL_SIGNATURE_CLEARED"]})  # fmt: skip
    elif filing.status == t.FILED:
        for waiting in templates.filter(status=t.AFFECTED):
            refile(waiting, actor=None)


def refile(filing: Filing, *, actor) -> Filing:
    """A failed, cleared or affected filing goes back to be sent in the next batch."""
    cleared = {"batch": None, "submitted_at": None, "due_from": None, "due_by": None, "due_exact": True,
               "filed_at": None, "reason_codes": []}  # fmt: skip
    return workflow.move(filing, action=t.REFILE, to_status=t.PENDING, actor=actor, fields=cleared)


def rewindow_estimates() -> int:
    """Count again the window of every filing with a carrier whose window was an estimate (the year's
    holidays were not known): called when policy admins change the holiday table. Returns how many
    changed."""
    table = holiday_table()
    changed = 0
    for filing in Filing.objects.filter(status=t.SUBMITTED, due_exact=False, submitted_at__isnull=False):
        window = _window(timezone.localdate(filing.submitted_at), table)
        if (window["due_from"], window["due_by"], window["due_exact"]) != (filing.due_from, filing.due_by,
                                                                             filing.due_exact):  # fmt: skip
            changed += Filing.objects.filter(pk=filing.pk, status=t.SUBMITTED).update(**window)
    return changed
