"""Re-encrypt every stored ID original under the current document key, so an old key can be retired.

The rotation (docs/deploy.md, "Rotating the document key"): put a new key first in DOCUMENT_KEYS (keeping the
old ones after it), restart web and workers (new originals are then sealed with it), run this command, and drop
an old key once no document and no backup you may still restore needs it. Resumable and idempotent: a document
already under the current key is skipped, so an interrupted run is simply run again.
"""

import logging

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from qualifications import crypto, services
from qualifications.models import Document

logger = logging.getLogger(__name__)


def _live_originals():
    return Document.objects.filter(purged_at__isnull=True).exclude(original="")


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored ID original under the current document key (DOCUMENT_KEY_ID: the first of "
        "DOCUMENT_KEYS unless named). Skips what already is; run it again after an interruption."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Read and decrypt every original (a restore drill's check); say which would be re-encrypted.",
        )

    def handle(self, *args, dry_run=False, **options):
        current = settings.DOCUMENT_KEY_ID
        # Every key a document is under must be at hand before anything is touched: a missing one is a
        # configuration mistake (a key dropped too early), not something to discover halfway through.
        needed = set(_live_originals().exclude(key_id=current).values_list("key_id", flat=True).distinct())
        missing = sorted(key for key in needed if key and key not in settings.DOCUMENT_KEYS)
        if missing:
            raise CommandError(
                f"Documents are encrypted under the key(s) {', '.join(missing)}, which DOCUMENT_KEYS does not hold. "
                f"Put them back after the current key ({current}) and run again: they are needed to decrypt. "
                "Nothing was changed."
            )
        # The ids first: the run updates the rows it walks (as strip_image_metadata does). A dry run reads every
        # original, those under the current key too: it is also the restore drill's check that files and keys match.
        todo = _live_originals() if dry_run else _live_originals().exclude(key_id=current)
        pks = list(todo.order_by("pk").values_list("pk", flat=True))
        total, done, failed = len(pks), 0, []
        if dry_run:
            self.stdout.write(f"Dry run: reading and decrypting {total} ID original(s); none is written.")
        else:
            self.stdout.write(f"{total} ID original(s) to re-encrypt under {current}.")
        for number, pk in enumerate(pks, start=1):
            document = _live_originals().filter(pk=pk).first()
            if document is None:  # purged meanwhile
                continue
            try:
                was = services.document_rotate_key(document=document, dry_run=dry_run)
            except (crypto.DecryptionError, OSError) as error:  # a missing file, a damaged one, an unknown key
                # The id and the kind of failure only: no traceback (its frames hold the image).
                failed.append(pk)
                logger.error("rotate_document_key: document %s failed: %s", pk, error)
                self.stderr.write(f"[{number}/{total}] {pk}: failed ({error})")
                continue
            if was is not None:
                done += 1
                self.stdout.write(f"[{number}/{total}] {pk}: {was} → {current}")
        verb = "would be re-encrypted" if dry_run else "re-encrypted"
        self.stdout.write(f"{done} document(s) {verb} under {current}.")
        if failed:
            raise CommandError(
                f"{len(failed)} document(s) could not be {'read' if dry_run else 're-encrypted'}: "
                f"{', '.join(map(str, failed))}. Fix their files or keys and run again (the others are done)."
            )
        if not dry_run:
            left = sorted(set(_live_originals().exclude(key_id=current).values_list("key_id", flat=True)))
            retired = sorted(set(settings.DOCUMENT_KEYS) - {current} - set(left))
            if retired:
                self.stdout.write(
                    f"No document is under {', '.join(retired)} any more: drop it from DOCUMENT_KEYS once no backup "
                    "you may restore needs it."
                )
