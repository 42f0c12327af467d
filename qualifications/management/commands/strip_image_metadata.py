"""Re-encode, without metadata, the images stored before uploads dropped all of it.

Until 2026-12 a JPEG's comment (and so a `<?php …` payload in it) and a PNG's colour profile
survived re-encoding, in the stored copy, the thumbnail and the encrypted ID original. Run once
after deploying; safe to run again (a clean file is left as it is).
"""

from django.core.management.base import BaseCommand

from qualifications import services, uploads
from qualifications.models import Document


class Command(BaseCommand):
    help = "Re-encode without metadata every stored image (file, thumbnail, ID original) that still carries some."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only count the documents that carry metadata.")

    def handle(self, *args, dry_run=False, **options):
        documents = Document.objects.filter(purged_at__isnull=True).exclude(content_type=uploads.PDF)
        touched = 0
        for document in documents.iterator():
            variants = services.document_strip_metadata(document=document, dry_run=dry_run)
            if variants:
                touched += 1
                self.stdout.write(f"{document.pk}: {', '.join(variants)}")
        self.stdout.write(f"{touched} document(s) {'carry' if dry_run else 'were cleaned of'} metadata.")
