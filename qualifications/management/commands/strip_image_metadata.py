"""Re-encode, without metadata, the images stored before uploads dropped all of it.

Until 2026-12 a JPEG's comment (and so a `<?php …` payload in it) and a PNG's colour profile
survived re-encoding, in the stored copy, the thumbnail and the encrypted ID original. Run once
after deploying; safe to run again (a clean file is left as it is).
"""

import logging

from django.core.management.base import BaseCommand, CommandError

from qualifications import services, uploads
from qualifications.models import Document

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Re-encode without metadata every stored image (file, thumbnail, ID original) that still carries some."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only count the documents that carry metadata.")

    def handle(self, *args, dry_run=False, **options):
        # The ids first: the run updates the table it walks, and a long-lived cursor over it would not see
        # that (or, on PostgreSQL, hold a server-side cursor across every update).
        pks = list(
            Document.objects.filter(purged_at__isnull=True)
            .exclude(content_type=uploads.PDF)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        touched, failed = 0, []
        for pk in pks:
            document = Document.objects.filter(pk=pk, purged_at__isnull=True).first()
            if document is None:  # purged meanwhile
                continue
            try:
                variants = services.document_strip_metadata(document=document, dry_run=dry_run)
            except Exception as error:  # a missing file, a retired key, an image Pillow cannot read: go on
                # The id and the kind of failure only: no traceback (its frames hold the entity and its people).
                failed.append(pk)
                logger.error("strip_image_metadata: document %s failed: %s", pk, type(error).__name__)
                self.stderr.write(f"{pk}: failed ({type(error).__name__})")
                continue
            if variants:
                touched += 1
                self.stdout.write(f"{pk}: {', '.join(variants)}")
        self.stdout.write(f"{touched} document(s) {'carry' if dry_run else 'were cleaned of'} metadata.")
        if failed:
            raise CommandError(
                f"{len(failed)} document(s) could not be {'read' if dry_run else 'cleaned'}: "
                f"{', '.join(map(str, failed))}. Run again once their files are fixed."
            )
