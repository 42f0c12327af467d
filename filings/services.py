"""Every change to a filing: opened by the platform's approval, sent in a carrier batch, its result
recorded, re-filed. Each move goes through filing_portal.workflow.move (the table of
compliance/transitions.py, kind ``filing``), in one transaction with what follows from it: a
signature cleared at a carrier marks its templates filed there as affected; filed again, they go
back to be filed (docs/filings.md)."""

from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import staff
from compliance import carriers
from compliance import filings as rules
from compliance import reasons as catalogue
from compliance import transitions as t
from filing_portal import workflow
from filing_portal.workflow import TransitionRefused
from policies.timeline import expected_by, holiday_table
from qualifications.models import IdNumberReveal
from qualifications.services import client_address

from .batches import reason_codes_of
from .gateway import Artefact, BadFile, Gateway
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


def window_from(day, table=None) -> dict:
    """The window a carrier takes for a filing sent on ``day``: its first and last expected working
    days, and whether China's calendar for them is known (else an estimate from weekends only)."""
    table = holiday_table() if table is None else table
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
        # Locking the filings only: the template's join is an outer one, which PostgreSQL will not lock.
        rows = list(exportable(carrier).select_for_update(of=("self",)).values_list("pk", flat=True))
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
    window = window_from(timezone.localdate(now), table)
    with transaction.atomic():
        locked = CarrierBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.submitted_at is not None:
            raise TransitionRefused(_("This batch was already submitted."))
        # A template whose signature the carrier cleared since the batch was opened stays behind, pending,
        # out of the batch, until the signature is filed there again (compliance.filings.template_may_file).
        held_back = _templates_without_their_signature(Filing.objects.filter(batch=locked, status=t.PENDING))
        Filing.objects.filter(pk__in=held_back).update(batch=None)
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
        elif moved.status == t.FILED and _templates_without_their_signature(Filing.objects.filter(pk=moved.pk)):
            # Filed while its signature is not (cleared there meanwhile): not usable there; it follows
            # the signature back (compliance.filings.template_may_file).
            moved = _affect(moved)
    return moved


def _templates_without_their_signature(filings) -> list[int]:
    """The template filings among ``filings`` whose signature is not filed at the same carrier."""
    filed = Filing.objects.filter(signature_id=OuterRef("template__signature_id"), carrier=OuterRef("carrier"),
                                  status=t.FILED)  # fmt: skip
    return list(filings.filter(template__isnull=False).exclude(Exists(filed)).values_list("pk", flat=True))


def _affect(filing: Filing) -> Filing:
    return workflow.move(filing, action=t.AFFECT, to_status=t.AFFECTED, actor=None,
                         reason_codes=("FIL_SIGNATURE_CLEARED",),
                         fields={"reason_codes": ["FIL_SIGNATURE_CLEARED"]})  # fmt: skip


def _follow_signature(filing: Filing) -> None:
    """A signature's filing at a carrier moved: its templates there follow. Cleared, the templates
    filed there are affected; filed (again), the affected ones go back to be filed."""
    templates = Filing.objects.filter(carrier=filing.carrier, template__signature_id=filing.signature_id)
    if filing.status == t.CLEARED:
        for affected in templates.filter(status=t.FILED):
            _affect(affected)
        # Pending in a batch not yet handed over: they leave it, and wait for the signature.
        templates.filter(status=t.PENDING, batch__submitted_at__isnull=True).update(batch=None)
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
        window = window_from(timezone.localdate(filing.submitted_at), table)
        if (window["due_from"], window["due_by"], window["due_exact"]) != (filing.due_from, filing.due_by,
                                                                             filing.due_exact):  # fmt: skip
            changed += Filing.objects.filter(pk=filing.pk, status=t.SUBMITTED).update(**window)
    return changed


# --- carrier batches as files (filings/gateway.py, filings/batches.py) ---------------------------


def batch_send(*, batch: CarrierBatch, actor, gateway: Gateway, request=None) -> Artefact:
    """``batch`` as the gateway hands it over (the file today). The legal representative's ID number is
    masked unless the carrier's channel needs it (settings.CARRIER_BATCH_FULL_ID_NUMBERS): then each
    number the file carries is logged as a reveal, with the batch marked as carrying full numbers, in
    the same transaction. Moves nothing: submit_batch does, once the file was handed over."""
    if actor is not None and not staff.is_clerk(actor):
        raise TransitionRefused(_("You may not make this change."))
    full = batch.carrier in settings.CARRIER_BATCH_FULL_ID_NUMBERS
    with transaction.atomic():
        sent = gateway.send(batch, full_id_numbers=full)
        if sent.revealed:
            address = client_address(request) if request is not None else None
            IdNumberReveal.objects.bulk_create(
                IdNumberReveal(entity_id=entity_id, person=IdNumberReveal.Person.LEGAL_REP, user=actor,
                               ip_address=address)
                for entity_id in sent.revealed
            )  # fmt: skip
            CarrierBatch.objects.filter(pk=batch.pk).update(full_id_numbers=True)
            batch.full_id_numbers = True
    return sent.artefact


# How a row of a results file fares: recorded (or would be, on a dry run), already recorded, no result
# yet, or wrong (and then the whole file is refused).
OK, UNCHANGED, SKIPPED, ERROR = "ok", "unchanged", "skipped", "error"


@dataclass
class RowReport:
    line: int  # the spreadsheet's row number (the header is row 1)
    filing_id: int | None = None
    application: str = ""
    current: str = ""  # the filing's state now
    outcome: str = ""  # the state the row records
    status: str = OK
    message: str = ""


@dataclass
class ImportReport:
    batch: CarrierBatch | None
    rows: list[RowReport] = field(default_factory=list)
    problem: str = ""  # the file could not be read as a whole
    dry_run: bool = False
    applied: int = 0

    @property
    def refused(self) -> bool:
        return bool(self.problem) or any(row.status == ERROR for row in self.rows)

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)


def batch_import(*, source: bytes, actor, gateway: Gateway, batch: CarrierBatch | None = None, dry_run=False,
                 now=None) -> ImportReport:  # fmt: skip
    """The carrier's results for ``batch`` (or for the batch the file names), checked row by row and
    recorded together in one transaction, or not at all: one bad row (or a file that cannot be read)
    refuses the whole file, with a report per row. A row already recorded is unchanged (importing the
    same file again changes nothing); an empty outcome is no result yet. ``dry_run``: the report of what
    would happen, nothing recorded."""
    if actor is not None and not staff.is_clerk(actor):
        raise TransitionRefused(_("You may not make this change."))
    report = ImportReport(batch=batch, dry_run=dry_run)
    if len(source) > settings.CARRIER_BATCH_MAX_BYTES:
        report.problem = too_large_message()
        return report
    try:
        rows = gateway.results(source)
    except BadFile as bad:
        report.problem = str(bad)
        return report
    if batch is None:
        batch = _named_batch(rows, report)
        if batch is None:
            return report
        report.batch = batch
    with transaction.atomic():
        batch = CarrierBatch.objects.select_for_update().get(pk=batch.pk)
        report.batch = batch
        named = {int(row.filing) for row in rows if _is_id(row.filing)}
        filings = Filing.objects.select_for_update(of=("self",)).select_related("signature", "template")
        filings = filings.in_bulk(named)
        applying = _check_rows(rows, batch=batch, filings=filings, actor=actor, report=report)
        if report.refused:
            for line, _filing, _outcome in applying:
                line.message = _("This row is right, but nothing was recorded: the file was refused.")
            return report
        if dry_run:
            return report
        for row, filing, outcome in applying:
            try:
                record_outcome(filing, outcome, actor=actor, now=now)
            except TransitionRefused as refused:  # moved meanwhile, or by what an earlier row set off
                row.status, row.message = ERROR, str(refused)
                transaction.set_rollback(True)
                return report
            row.message = _("Recorded.")
        report.applied = len(applying)
    return report


def _is_id(text: str) -> bool:
    """A row's number as a database id may be: ASCII digits ("²" is a digit to str.isdigit, not to int),
    and short enough for a 64-bit integer."""
    return text.isascii() and text.isdecimal() and len(text) <= 18


def too_large_message() -> str:
    limit = settings.CARRIER_BATCH_MAX_BYTES
    return _("The file is larger than %(size)s: split it, or ask for the limit to be raised.") % {
        "size": filesizeformat(limit)
    }


def _named_batch(rows, report) -> CarrierBatch | None:
    """The batch a results file names in its batch column (its first row that names one)."""
    named = next((row.batch for row in rows if row.batch), "")
    batch = CarrierBatch.objects.filter(pk=int(named)).first() if _is_id(named) else None
    if batch is None:
        report.problem = (
            _("No batch has the number “%(batch)s”.") % {"batch": named}
            if named
            else _("The file names no batch: the column “批次 Batch” is empty.")
        )
    return batch


def application_label(filing: Filing) -> str:
    if filing.signature_id:
        return str(filing.signature)
    return f"{filing.template.name} v{filing.template.version}"


def _needs_reasons(action: str, target: str) -> bool:
    return any(m.reasons_required for m in t.MOVES if m.action == action and m.target == target
               and t.FILING in m.kinds)  # fmt: skip


def _check_rows(rows, *, batch, filings, actor, report) -> list:
    """Each row checked against the batch, the filing's state and the table, in the order written;
    the report gets a line per row. Returns what would be recorded: (row report, filing, Outcome)."""
    batch_carrier = carriers.BY_CODE[batch.carrier].name_zh
    words = "、".join(rules.OUTCOME_WORDS)
    seen: dict[int, int] = {}
    applying = []
    for row in rows:
        line = RowReport(line=row.line)
        report.rows.append(line)

        def refuse(message, line=line):
            line.status, line.message = ERROR, message

        if not _is_id(row.filing):
            refuse(_("The filing number “%(value)s” is not a number.") % {"value": row.filing} if row.filing
                   else _("The filing number is missing."))  # fmt: skip
            continue
        pk = line.filing_id = int(row.filing)
        if pk in seen:
            refuse(_("Filing %(id)s appears twice: first on row %(line)s.") % {"id": pk, "line": seen[pk]})
            continue
        seen[pk] = row.line
        filing = filings.get(pk)
        if filing is None:
            refuse(_("No filing has the number %(id)s.") % {"id": pk})
            continue
        line.application, line.current = application_label(filing), filing.status
        named_carrier = carriers.code_of(row.carrier) if row.carrier else None
        if row.carrier and named_carrier is None:
            refuse(_("Unknown carrier “%(value)s”.") % {"value": row.carrier})
            continue
        if filing.carrier != batch.carrier:
            refuse(_("Filing %(id)s is at %(carrier)s, not at %(batch)s: wrong carrier.") % {
                "id": pk, "carrier": carriers.BY_CODE[filing.carrier].name_zh, "batch": batch_carrier})  # fmt: skip
            continue
        if named_carrier is not None and named_carrier != batch.carrier:
            refuse(_("This row names %(carrier)s, but the batch is %(batch)s's: wrong carrier.") % {
                "carrier": row.carrier, "batch": batch_carrier})  # fmt: skip
            continue
        if (row.batch and row.batch != str(batch.pk)) or filing.batch_id != batch.pk:
            refuse(_("Filing %(id)s is not in batch %(batch)s.") % {"id": pk, "batch": batch.pk})
            continue
        if not row.outcome:
            line.status, line.message = SKIPPED, _("No result yet.")
            continue
        state = rules.outcome_of(row.outcome)
        if state is None:
            refuse(_("Unknown outcome “%(value)s”: write one of %(words)s.") % {"value": row.outcome, "words": words})
            continue
        line.outcome = state
        action = rules.OUTCOMES[state]
        codes = reason_codes_of(row.reasons)
        needs = _needs_reasons(action, state)
        if needs and not codes:
            refuse(_("This result needs a reason code (FIL_…): see the sheet “说明 Help”."))
            continue
        if codes and not needs:
            refuse(_("A filed result takes no reason code."))
            continue
        unknown = catalogue.unknown_codes(codes, kind=catalogue.FILING)
        if unknown:
            refuse(_("Unknown reason code: %(codes)s.") % {"codes": "、".join(unknown)})
            continue
        if len(row.carrier_ref) > Filing._meta.get_field("carrier_ref").max_length:
            refuse(_("The carrier's reference is too long."))
            continue
        if (filing.status == state and list(codes) == list(filing.reason_codes)
                and (not row.carrier_ref or row.carrier_ref == filing.carrier_ref)):  # fmt: skip
            line.status, line.message = UNCHANGED, _("Already recorded.")
            continue
        try:
            workflow.check_move(filing, action=action, to_status=state, actor=actor, reason_codes=codes)
        except TransitionRefused as refused:
            refuse(str(refused))
            continue
        line.message = _("Would be recorded.")
        applying.append((line, filing, Outcome(pk, state, codes, row.carrier_ref, row.note)))
    return applying
