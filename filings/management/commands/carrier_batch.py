"""Carrier batches for automation (docs/filings.md, "Carrier batches"):

    manage.py carrier_batch export --carrier telecom --out FILE [--format xlsx|csv] [--no-submit] [--as EMAIL]
    manage.py carrier_batch import FILE [--dry-run] [--as EMAIL]

Each runs as the system (the table's ``system`` role, as a scheduled task does), or as the filing
clerk ``--as`` names; either way through the same services as the admin's pages. A refused import
prints its report per row and exits with status 1; nothing waiting to be exported exits with status 1.
"""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import staff
from compliance import carriers
from filing_portal.workflow import TransitionRefused
from filings import services
from filings.batches import FORMATS
from filings.gateway import FileGateway
from filings.models import filing_state_label


class Command(BaseCommand):
    help = "Export a carrier's pending filings as a batch file, or import a carrier's results file."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="Open a batch of one carrier, write it to a file, mark it submitted.")
        export.add_argument("--carrier", required=True, choices=carriers.CODES)
        export.add_argument("--out", required=True, help="The file to write (.xlsx or .csv).")
        export.add_argument("--format", choices=sorted(FORMATS), help="Default: from the file's suffix, else xlsx.")
        export.add_argument("--no-submit", action="store_true", help="Leave the batch open (not submitted).")
        export.add_argument("--as", dest="as_email", help="Act as this filing clerk (default: the system).")
        results = sub.add_parser("import", help="Record a carrier's results file (XLSX or CSV).")
        results.add_argument("file")
        results.add_argument("--dry-run", action="store_true", help="Check and report; record nothing.")
        results.add_argument("--as", dest="as_email", help="Act as this filing clerk (default: the system).")

    def handle(self, *args, action, as_email=None, **options):
        actor = self._actor(as_email)
        if action == "export":
            return self._export(actor, **options)
        return self._import(actor, **options)

    def _actor(self, email):
        if not email:
            return None
        user = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
        if user is None or not staff.is_clerk(user):
            raise CommandError(f"{email} is not an active filing clerk.")
        return user

    def _export(self, actor, *, carrier, out, format=None, no_submit=False, **options):
        path = Path(out)
        fmt = format or (path.suffix.lstrip(".").lower() if path.suffix.lower() in (".xlsx", ".csv") else "xlsx")
        # All or nothing: a file that cannot be written leaves no batch open holding the filings (nor a
        # logged reveal of a number that went nowhere). Written beside its place, then moved there.
        partial = path.with_name(f".{path.name}.partial")
        try:
            with transaction.atomic():
                batch = services.open_batch(carrier=carrier, actor=actor)
                artefact = services.batch_send(batch=batch, actor=actor, gateway=FileGateway(fmt))
                partial.write_bytes(artefact.content)
                if not no_submit:
                    services.submit_batch(batch, actor=actor)
                partial.replace(path)
        except TransitionRefused as refused:
            raise CommandError(str(refused)) from refused
        except OSError as failed:
            raise CommandError(f"Cannot write {path}: {failed.strerror or failed}. Nothing was changed.") from failed
        finally:
            partial.unlink(missing_ok=True)
        state = "submitted" if not no_submit else "open (not submitted)"
        self.stdout.write(f"Batch #{batch.pk} ({carrier}): {batch.size} filing(s) written to {path} ({fmt}); {state}.")
        if batch.full_id_numbers:
            self.stdout.write(
                "The file carries full ID numbers: each was logged. Keep it safe and delete it after use."
            )

    def _import(self, actor, *, file, dry_run=False, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        if path.stat().st_size > settings.CARRIER_BATCH_MAX_BYTES:  # refused before it is read
            raise CommandError(services.too_large_message())
        report = services.batch_import(source=path.read_bytes(), actor=actor, gateway=FileGateway(), dry_run=dry_run)
        for row in report.rows:
            current = filing_state_label(row.current) if row.current else "—"
            outcome = filing_state_label(row.outcome) if row.outcome else "—"
            self.stdout.write(f"{row.line}\t{row.filing_id or '—'}\t{row.application or '—'}\t{current} → {outcome}"
                              f"\t{row.status}\t{row.message}")  # fmt: skip
        batch = f"batch #{report.batch.pk}" if report.batch else "no batch"
        if report.refused:
            raise CommandError(f"Refused ({batch}): nothing recorded. " + (report.problem or
                               f"{report.count(services.ERROR)} row(s) in error."))  # fmt: skip
        counts = {s: report.count(s) for s in (services.OK, services.UNCHANGED, services.SKIPPED)}
        verb = "would be recorded" if dry_run else "recorded"
        self.stdout.write(
            f"{batch.capitalize()}: {counts[services.OK]} {verb}, {counts[services.UNCHANGED]} unchanged, "
            f"{counts[services.SKIPPED]} without a result yet." + (" Dry run: nothing recorded." if dry_run else "")
        )
