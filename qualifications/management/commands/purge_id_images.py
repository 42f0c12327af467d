"""Delete ID card images that are past retention or whose consent was withdrawn.

Beat runs the same service every six hours (qualifications.tasks.purge_id_images); this
command is for operators. Each purged document stays as a tombstone row.
"""

from django.core.management.base import BaseCommand

from qualifications.services import purge_due_id_images


class Command(BaseCommand):
    help = "Purge ID card images past ID_IMAGE_RETENTION_DAYS or whose consent was withdrawn; keep tombstones."

    def handle(self, *args, **options):
        count = purge_due_id_images()
        self.stdout.write(f"Purged {count} ID image document(s).")
