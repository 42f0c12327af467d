"""manage.py import_sending_stats FILE [--dry-run]: sending statistics from the SMS gateway's export,
checked whole (sending/services.py); a refused file prints a line per row and exits 1."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from filings.services import too_large_message
from sending import services


class Command(BaseCommand):
    help = "Import sending statistics (CSV in UTF-8 or XLSX), per signature, carrier and day; all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="check and report, record nothing")

    def handle(self, *args, file, dry_run=False, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        if path.stat().st_size > settings.CARRIER_BATCH_MAX_BYTES:  # refused before it is read
            raise CommandError(too_large_message())
        report = services.import_stats(data=path.read_bytes(), dry_run=dry_run)
        for row in report.rows:
            self.stdout.write(f"row {row.line}: {row.status}: {row.message}")
        if report.refused:
            raise CommandError(report.problem or "Refused: nothing was recorded.")
        done = "checked (dry run, nothing recorded)" if dry_run else f"recorded ({report.replaced} replaced a day)"
        self.stdout.write(f"{len(report.rows)} row(s) {done}.")
