"""The history written before notices existed is not sent: every event already in the tables is
marked processed, so the first sweep does not mail customers years of moves. Re-runnable."""

from django.db import migrations
from django.utils import timezone

EVENTS = [("signatures", "SignatureEvent"), ("templates_app", "TemplateEvent"), ("filings", "FilingEvent"),
          ("qualifications", "PackageEvent")]  # fmt: skip


def forwards(apps, schema_editor):
    now = timezone.now()
    for app_label, name in EVENTS:
        apps.get_model(app_label, name).objects.filter(processed_at__isnull=True).update(processed_at=now)


class Migration(migrations.Migration):
    dependencies = [
        ("notices", "0001_initial"),
        ("signatures", "0006_policies_in_their_own_app"),
        ("templates_app", "0006_blockers"),
        ("filings", "0002_filings_for_approved_applications"),
        ("qualifications", "0008_id_number_reveal"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
