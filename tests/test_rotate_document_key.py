"""`manage.py rotate_document_key`: every stored ID original re-encrypted under the current key, through the real
upload path and real files: resumable, idempotent, a dry run that writes nothing, a clear error for a missing key.
"""

import os
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command

from qualifications import crypto, services
from qualifications.models import Document

from . import files
from .test_qualifications import consented, entity_a, private_files, upload  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

OLD, NEW = os.urandom(32), os.urandom(32)


@pytest.fixture
def stored(client, settings, org_a, owner_a, consented):  # noqa: F811
    """Two ID images and a licence uploaded under the key k-old; then k-new is put first, as the rotation begins."""
    settings.DOCUMENT_KEYS, settings.DOCUMENT_KEY_ID = {"k-old": OLD}, "k-old"
    client.force_login(owner_a)
    for kind, color in (("legal_rep_id_front", (200, 30, 30)), ("legal_rep_id_back", (30, 200, 30)),
                        ("entity_certificate", (30, 30, 200))):  # fmt: skip
        assert upload(client, org_a, consented, kind, files.jpeg(color=color)).status_code == 302
    originals = list(Document.objects.exclude(original="").order_by("pk"))
    assert [d.key_id for d in originals] == ["k-old", "k-old"]
    plain = {d.pk: services.document_original_bytes(document=d) for d in originals}
    settings.DOCUMENT_KEYS, settings.DOCUMENT_KEY_ID = {"k-new": NEW, "k-old": OLD}, "k-new"
    return plain


def _run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("rotate_document_key", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _on_disk(document) -> bytes:
    return (Path(django_settings.PRIVATE_STORAGE_ROOT) / document.original.name).read_bytes()


def test_it_re_encrypts_every_original_under_the_current_key(stored, settings):
    before = private_files()
    out, _ = _run()
    assert "2 ID original(s) to re-encrypt under k-new." in out
    assert "[1/2]" in out and "[2/2]" in out and out.count("k-old → k-new") == 2
    assert "2 document(s) re-encrypted under k-new." in out
    assert "No document is under k-old any more" in out
    for document in Document.objects.exclude(original=""):
        data = _on_disk(document)
        assert document.key_id == crypto.key_id_of(data) == "k-new"
        assert services.document_original_bytes(document=document) == stored[document.pk]
        assert stored[document.pk] not in data  # ciphertext, not the image
    after = private_files()
    assert len(after) == len(before) and after != before  # new names; the old files are gone, none left over
    # The old key can go: the originals open with the new one alone, and not at all under the old one.
    settings.DOCUMENT_KEYS = {"k-new": NEW}
    document = Document.objects.exclude(original="").first()
    assert services.document_original_bytes(document=document) == stored[document.pk]
    settings.DOCUMENT_KEYS = {"k-new": OLD}
    with pytest.raises(crypto.DecryptionError):
        services.document_original_bytes(document=document)


def test_an_interrupted_run_resumes_and_a_second_run_changes_nothing(stored):
    first = Document.objects.exclude(original="").order_by("pk").first()
    assert services.document_rotate_key(document=first) == "k-old"  # as if a run stopped after one document
    out, _ = _run()
    assert "1 ID original(s) to re-encrypt" in out and "[1/1]" in out and str(first.pk) not in out
    files_then = {d.pk: (d.original.name, _on_disk(d)) for d in Document.objects.exclude(original="")}
    out, _ = _run()
    assert "0 ID original(s) to re-encrypt" in out and "0 document(s) re-encrypted" in out
    assert {d.pk: (d.original.name, _on_disk(d)) for d in Document.objects.exclude(original="")} == files_then
    # The service itself skips a document already under the current key, whatever selected it.
    assert services.document_rotate_key(document=first) is None


def test_a_dry_run_reads_everything_and_writes_nothing(stored):
    before = {p: p.read_bytes() for p in private_files()}
    out, _ = _run("--dry-run")
    assert "reading and decrypting 2 ID original(s)" in out and out.count("k-old → k-new") == 2
    assert "2 document(s) would be re-encrypted" in out
    assert {p: p.read_bytes() for p in private_files()} == before
    assert set(Document.objects.exclude(original="").values_list("key_id", flat=True)) == {"k-old"}


def test_a_dry_run_after_the_rotation_still_reads_every_original(stored):
    """The restore drill's check: an original under the current key that does not decrypt is named."""
    _run()
    out, _ = _run("--dry-run")
    assert "reading and decrypting 2 ID original(s)" in out and "0 document(s) would be re-encrypted" in out
    damaged = Document.objects.exclude(original="").order_by("pk").first()
    path = Path(django_settings.PRIVATE_STORAGE_ROOT) / damaged.original.name
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(CommandError, match=f"1 document\\(s\\) could not be read: {damaged.pk}"):
        _run("--dry-run")


def test_a_missing_key_is_a_clear_error_and_nothing_changes(stored, settings):
    settings.DOCUMENT_KEYS = {"k-new": NEW}  # k-old dropped before the rotation ran
    before = {p: p.read_bytes() for p in private_files()}
    with pytest.raises(CommandError, match=r"under the key\(s\) k-old, which DOCUMENT_KEYS does not hold"):
        _run()
    assert {p: p.read_bytes() for p in private_files()} == before


def test_a_document_that_fails_is_named_and_the_others_are_done(stored):
    broken, whole = Document.objects.exclude(original="").order_by("pk")
    (Path(django_settings.PRIVATE_STORAGE_ROOT) / broken.original.name).unlink()
    with pytest.raises(CommandError, match=f"1 document\\(s\\) could not be re-encrypted: {broken.pk}"):
        _run()
    broken.refresh_from_db()
    whole.refresh_from_db()
    assert (broken.key_id, whole.key_id) == ("k-old", "k-new")
    assert services.document_original_bytes(document=whole) == stored[whole.pk]


def test_new_uploads_after_the_switch_are_already_under_the_new_key(stored, client, org_a, consented):  # noqa: F811
    assert upload(client, org_a, consented, "legal_rep_id_front", files.jpeg(color=(1, 2, 3))).status_code == 302
    newest = Document.objects.get(kind="legal_rep_id_front", is_current=True)
    assert newest.key_id == crypto.key_id_of(_on_disk(newest)) == "k-new"
    out, _ = _run()
    assert str(newest.pk) not in out
