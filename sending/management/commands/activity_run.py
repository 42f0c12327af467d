"""The daily run by hand: `manage.py activity_run [--date YYYY-MM-DD]` (docs/notices.md)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from sending.activity import daily_run


class Command(BaseCommand):
    help = (
        "Flag inactive signatures and carrier failure spikes from the sending statistics, tell filings past "
        "their window and documents about to expire, and purge ID images past retention; prints the counts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="run as of this day (YYYY-MM-DD); default today in Asia/Shanghai")

    def handle(self, *args, **options):
        today = None
        if options["date"]:
            try:
                today = dt.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError(f"--date must be a date like 2026-11-30, not {options['date']!r}")
        report = daily_run(today=today)
        for line in report.lines():
            self.stdout.write(line)
