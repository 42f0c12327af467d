"""No metadata survives an upload: every JPEG segment, PNG chunk and WebP chunk that could carry
a payload (a `<?php …` comment, EXIF, XMP, ICC, Photoshop/IPTC, bytes after the image) is gone
from the stored copy, the thumbnail and the encrypted ID original. Through the real upload path."""

from io import BytesIO, StringIO
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from PIL import Image

from qualifications import services, uploads
from qualifications.models import Document

from . import files
from .test_qualifications import ID_A, consented, entity_a, private_files, upload  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

JPEG_KINDS = list(files.JPEG_METADATA)


def stored_variants(document) -> dict[str, bytes]:
    """Every copy of the image the portal keeps: the stored file, the thumbnail, and the decrypted original."""
    if document.thumbnail_state == Document.ThumbnailState.PENDING:
        assert services.thumbnail_make(document_id=document.pk)
    document.refresh_from_db()
    variants = {}
    with document.file.open("rb") as handle:
        variants["stored copy"] = handle.read()
    with document.thumbnail.open("rb") as handle:
        variants["thumbnail"] = handle.read()
    if document.original:
        variants["ID original"] = services.document_original_bytes(document=document)
    return variants


@pytest.mark.parametrize("doc_kind", ["entity_certificate", "legal_rep_id_front"])
@pytest.mark.parametrize("kind", JPEG_KINDS)
def test_no_jpeg_metadata_segment_survives(client, org_a, owner_a, consented, kind, doc_kind):  # noqa: F811
    tag = b"<?php echo 'TAG-" + kind.encode() + b"'; ?>"
    raw = files.jpeg_with_metadata(kind, tag)
    assert tag in raw and files.jpeg_metadata_markers(raw)  # the upload really carries it
    client.force_login(owner_a)
    assert upload(client, org_a, consented, doc_kind, raw).status_code == 302
    variants = stored_variants(Document.objects.get())
    assert set(variants) == {"stored copy", "thumbnail"} | ({"ID original"} if doc_kind.endswith("_front") else set())
    for name, data in variants.items():
        assert tag not in data and b"<?php" not in data, name
        assert files.jpeg_metadata_markers(data) == [], name
        image = Image.open(BytesIO(data))
        assert image.format == "JPEG"
        assert not {"comment", "exif", "xmp", "icc_profile", "photoshop"} & set(image.info), (name, image.info)


@pytest.mark.parametrize("kind", ["tEXt", "zTXt", "iTXt", "eXIf", "iCCP", "trailer"])
def test_no_png_text_or_profile_chunk_survives(client, org_a, owner_a, consented, kind):  # noqa: F811
    raw = files.png_with_metadata(kind)
    client.force_login(owner_a)
    assert upload(client, org_a, consented, "entity_certificate", raw, name="licence.png").status_code == 302
    document = Document.objects.get()
    assert document.content_type == "image/png"
    stored = stored_variants(document)
    assert files.png_chunks(stored["stored copy"]) == [b"IHDR", b"IDAT", b"IEND"]
    assert files.jpeg_metadata_markers(stored["thumbnail"]) == []
    # An ID image sent as PNG: its original stays PNG, bare too.
    assert upload(client, org_a, consented, "legal_rep_id_front", raw, name="id.png").status_code == 302
    stored = stored_variants(Document.objects.get(kind="legal_rep_id_front"))
    assert files.png_chunks(stored["ID original"]) == [b"IHDR", b"IDAT", b"IEND"]
    for name, data in stored.items():
        assert files.PAYLOAD not in data, name


def test_no_webp_metadata_chunk_survives(client, org_a, owner_a, consented):  # noqa: F811
    raw = files.webp_with_metadata()
    assert {b"EXIF", b"XMP ", b"ICCP"} <= set(files.webp_chunks(raw))
    client.force_login(owner_a)
    assert upload(client, org_a, consented, "legal_rep_id_front", raw, name="id.webp").status_code == 302
    stored = stored_variants(Document.objects.get())
    assert files.webp_chunks(stored["ID original"]) == [b"VP8 "]
    for name, data in stored.items():
        assert files.PAYLOAD not in data, name


def test_a_thumbnail_of_a_file_stored_before_the_fix_is_bare_too():
    """Files stored by an earlier version may still hold a comment: their thumbnail must not copy it."""
    data = uploads.thumbnail(files.jpeg_with_metadata("comment"))
    assert files.PAYLOAD not in data and files.jpeg_metadata_markers(data) == []


def test_an_orientated_photo_is_still_turned_upright_before_its_exif_goes():
    processed = uploads.process_upload(
        SimpleUploadedFile("p.jpg", files.jpeg(800, 500, orientation=6)), allowed=uploads.IMAGE_TYPES
    )
    assert (processed.width, processed.height) == (500, 800)
    assert files.jpeg_metadata_markers(processed.data) == []


def test_a_phone_photo_with_a_second_picture_keeps_only_the_first_and_no_mpo_index(client, org_a, owner_a, consented):  # noqa: F811
    raw = files.mpo()
    assert raw.count(b"\xff\xd8\xff") == 2 and b"MPF\x00" in raw  # two pictures and the index (APP2 MPF)
    client.force_login(owner_a)
    assert upload(client, org_a, consented, "legal_rep_id_front", raw).status_code == 302
    for name, data in stored_variants(Document.objects.get()).items():
        assert data.count(b"\xff\xd8\xff") == 1 and b"MPF" not in data, name
        assert files.jpeg_metadata_markers(data) == [], name


def test_images_stored_by_an_earlier_version_are_cleaned_by_the_command(client, org_a, owner_a, consented):  # noqa: F811
    from io import StringIO
    from pathlib import Path

    from django.core.management import call_command

    from qualifications import crypto

    client.force_login(owner_a)
    assert upload(client, org_a, consented, "legal_rep_id_front", files.jpeg()).status_code == 302
    document = Document.objects.get()
    stored_variants(document)  # the thumbnail made

    # As an earlier version stored it: a comment after the JFIF header, in every copy.
    def tainted(data):
        return data[:20] + files.JPEG_METADATA["comment"](files.PAYLOAD) + data[20:]

    associated = f"document:{document.pk}"
    for field in (document.file, document.thumbnail):
        Path(field.path).write_bytes(tainted(Path(field.path).read_bytes()))
    original = crypto.unseal(Path(document.original.path).read_bytes(), associated=associated)
    Path(document.original.path).write_bytes(crypto.seal(tainted(original), associated=associated).data)
    old_paths = [Path(f.path) for f in (document.file, document.thumbnail, document.original)]
    assert all(uploads.metadata_found(data) == ["COM"] for data in stored_variants(document).values())

    out = StringIO()
    call_command("strip_image_metadata", "--dry-run", stdout=out)
    assert f"{document.pk}: file, thumbnail, original" in out.getvalue()
    assert all(path.exists() for path in old_paths)  # a dry run touches nothing

    call_command("strip_image_metadata", stdout=out)
    assert "1 document(s) were cleaned of metadata." in out.getvalue()
    document.refresh_from_db()
    for name, data in stored_variants(document).items():
        assert files.PAYLOAD not in data and files.jpeg_metadata_markers(data) == [], name
        assert uploads.metadata_found(data) == [], name
    assert not any(path.exists() for path in old_paths)
    assert client.get(f"/documents/{document.pk}/file/").status_code == 200

    out = StringIO()
    call_command("strip_image_metadata", stdout=out)
    assert "0 document(s) were cleaned of metadata." in out.getvalue()


# --- the clean-up command: one bad document does not stop it, and it leaves no file behind ---------


def tainted_document(client, org, entity, kind):
    """A document as an earlier version stored it: a comment after the JFIF header, in every copy."""
    from qualifications import crypto

    assert upload(client, org, entity, kind, files.jpeg()).status_code == 302
    document = Document.objects.filter(kind=kind).get()
    stored_variants(document)  # the thumbnail made

    def tainted(data):
        return data[:20] + files.JPEG_METADATA["comment"](files.PAYLOAD) + data[20:]

    for field in (document.file, document.thumbnail):
        Path(field.path).write_bytes(tainted(Path(field.path).read_bytes()))
    if document.original:
        associated = f"document:{document.pk}"
        original = crypto.unseal(Path(document.original.path).read_bytes(), associated=associated)
        Path(document.original.path).write_bytes(crypto.seal(tainted(original), associated=associated).data)
    return document


def test_one_missing_file_does_not_stop_the_run_which_fails_at_the_end(client, org_a, owner_a, consented, caplog):  # noqa: F811
    client.force_login(owner_a)
    documents = [
        tainted_document(client, org_a, consented, kind) for kind in ("legal_rep_id_front", "entity_certificate")
    ]
    broken, fine = sorted(documents, key=lambda d: d.pk)  # the broken one comes first in the run
    Path(broken.file.path).unlink()

    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match=rf"1 document\(s\) could not be cleaned: {broken.pk}\."):
        call_command("strip_image_metadata", stdout=out, stderr=err)
    assert f"{fine.pk}: file, thumbnail" in out.getvalue()
    assert "1 document(s) were cleaned of metadata." in out.getvalue()
    assert f"{broken.pk}: failed (FileNotFoundError)" in err.getvalue()
    assert f"document {broken.pk} failed: FileNotFoundError" in caplog.text
    assert ID_A not in caplog.text + out.getvalue() + err.getvalue()  # no ID number in what an operator sees
    fine.refresh_from_db()
    for name, data in stored_variants(fine).items():
        assert uploads.metadata_found(data) == [], name


def test_a_document_replaced_meanwhile_keeps_its_new_file_and_no_orphan_is_left(client, org_a, owner_a, consented):  # noqa: F811
    """The run read the row, then the customer replaced the file: the compare-and-set loses."""

    client.force_login(owner_a)
    document = tainted_document(client, org_a, consented, "legal_rep_id_front")
    stale = Document.objects.get(pk=document.pk)  # as the run read it
    replacement = Document.objects.get(pk=document.pk).file.name + ".new"

    replacement = default_storage.save(replacement, ContentFile(files.jpeg()))
    Document.objects.filter(pk=document.pk).update(file=replacement)
    before = private_files()

    assert services.document_strip_metadata(document=stale) == ["thumbnail", "original"]
    document.refresh_from_db()
    assert document.file.name == replacement  # the newer file stays the document's
    after = private_files()
    # The thumbnail and original were swapped for clean copies (same count); no plaintext copy of the ID left over.
    assert len(after) == len(before)
    assert {str(p) for p in after - before} == {document.thumbnail.path, document.original.path}


def test_an_update_the_database_refuses_leaves_no_new_file_behind(client, org_a, owner_a, consented):  # noqa: F811
    """A crash between writing the clean copy and moving the row to it: for an ID image that copy is
    a plaintext (watermarked) ID image no row points to, which no purge would ever reach."""

    client.force_login(owner_a)
    document = tainted_document(client, org_a, consented, "legal_rep_id_front")
    table = Document._meta.db_table
    with connection.cursor() as cursor:  # the real database refuses the update
        if connection.vendor == "sqlite":
            cursor.execute(
                f"CREATE TRIGGER refuse_update BEFORE UPDATE ON {table} BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
        else:
            cursor.execute(
                "CREATE FUNCTION refuse_update() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'refused'; END $$"
            )
            cursor.execute(f"CREATE TRIGGER refuse_update BEFORE UPDATE ON {table} EXECUTE FUNCTION refuse_update()")
    before = private_files()
    with pytest.raises(DatabaseError), transaction.atomic():
        services.document_strip_metadata(document=document)
    assert private_files() == before
    document.refresh_from_db()
    assert uploads.metadata_found(Path(document.file.path).read_bytes()) == ["COM"]  # the document is whole, as it was
