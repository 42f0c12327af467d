"""Every file response, whichever door it leaves by: the document door (qualifications/views.py
document_response, behind the site's /documents/ route and the API's signed links) and the staff files
(carrier batch downloads, the desk's exports). Each carries ``X-Content-Type-Options: nosniff``,
``Cache-Control`` with no-store and private, the stored content type and an RFC 6266
``Content-Disposition`` (file_headers in filing_portal/downloads.py). ID images leave watermarked
only; their stored originals are ciphertext that a wrong key does not open.

Proved elsewhere and not repeated here: anyone who may not see a document gets 404 and nothing is logged
(tests/test_qualifications.py::test_everyone_else_gets_404_and_nothing_is_logged); a member never gets
the unwatermarked original (::test_a_member_never_gets_the_unwatermarked_original); a ciphertext opens
only for its own document and untampered (::test_a_ciphertext_opens_only_for_its_own_document_and_untampered);
forged or expired signed links (tests/test_api_entities.py).
"""

import re
from io import BytesIO
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from PIL import Image, ImageChops

from compliance import qualification as rules
from filing_portal.downloads import file_headers
from qualifications import crypto, services, uploads
from qualifications.models import Document

from .. import files
from ..api_helpers import for_member
from ..conftest import otp_login
from ..factories import make_entity
from ..test_carrier_batches import batch, clerk, entity, signatures  # noqa: F401  (fixtures)
from ..test_qualifications import ID_A, USCC_A, upload

pytestmark = pytest.mark.django_db

# RFC 6266: a disposition type, then either a quoted printable-ASCII filename (quotes and backslashes
# escaped) or the RFC 8187 filename* form (UTF-8, percent-encoded).
QUOTED = r'filename="(?:[\t\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])+"'
EXTENDED = r"filename\*=utf-8''[A-Za-z0-9%._~!$&'*+^`|-]+"
DISPOSITION = re.compile(rf"(inline|attachment); ({QUOTED}|{EXTENDED})")


def assert_file_headers(response, content_type: str, disposition: str = "inline"):
    assert response.status_code == 200, response.status_code
    assert response["X-Content-Type-Options"] == "nosniff"
    assert {"no-store", "private"} <= {part.strip() for part in response["Cache-Control"].split(",")}
    assert response["Content-Type"] == content_type
    value = response["Content-Disposition"]
    assert DISPOSITION.fullmatch(value), value
    assert value.startswith(disposition + ";")


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def licensed(org_a, owner_a):
    """An entity with a PDF licence and a watermarked ID image, both uploaded through the site."""
    owned = make_entity(organization=org_a, name="甲科技有限公司", uscc=USCC_A, legal_rep_name="张三",
                        legal_rep_id_number=ID_A, created_by=owner_a)  # fmt: skip
    services.consent_grant(entity=owned, user=owner_a)
    client = Client()
    client.force_login(owner_a)
    for kind, data, name in ((rules.ENTITY_CERTIFICATE, files.pdf(), "执照.pdf"),
                             (rules.LEGAL_REP_ID_FRONT, files.jpeg(900, 600), "身份证.jpg")):  # fmt: skip
        assert upload(client, org_a, owned, kind, data, name=name).status_code == 302
    return owned


def documents(owned):
    return {d.kind: d for d in Document.objects.filter(entity=owned)}


def door(document, variant="file"):
    return reverse("document-file", args=[document.pk, variant])


def test_the_document_door_sends_the_file_headers_for_every_variant(client, owner_a, reviewer, password, licensed):
    docs = documents(licensed)
    licence, id_image = docs[rules.ENTITY_CERTIFICATE], docs[rules.LEGAL_REP_ID_FRONT]
    assert services.thumbnail_make(document_id=id_image.pk)
    client.force_login(owner_a)
    assert_file_headers(client.get(door(licence)), licence.content_type)
    assert_file_headers(client.get(door(licence), {"download": "1"}), licence.content_type, "attachment")
    served = client.get(door(id_image))
    assert_file_headers(served, id_image.content_type)
    # The name sent is generated, never the one it was uploaded under (身份证.jpg).
    assert served["Content-Disposition"] == f'inline; filename="legal_rep_id_front-{str(id_image.pk)[:8]}.jpg"'
    assert_file_headers(client.get(door(id_image, "thumbnail")), "image/jpeg")
    client.logout()
    assert otp_login(client, reviewer, password).status_code == 302
    assert_file_headers(client.get(door(id_image, "original")), "image/jpeg")


def test_the_apis_signed_link_sends_the_same_headers_as_the_site(owner_a, licensed):
    api = for_member(owner_a.memberships.get())
    for document in documents(licensed).values():
        detail = api.get(f"/api/v1/entities/{licensed.pk}/documents/{document.pk}/").json()
        served = Client().get(detail["download_url"])
        assert_file_headers(served, document.content_type)
        with document.file.open("rb") as handle:
            assert body_of(served) == handle.read()


def test_carrier_batch_downloads_send_the_file_headers(client, clerk, batch):  # noqa: F811
    from filings import batches

    assert otp_login(client, clerk).status_code == 302
    for fmt, content_type in (("xlsx", batches.XLSX_TYPE), ("csv", "text/csv; charset=utf-8")):
        response = client.post(reverse("carrier-batch-download", args=[batch.pk, fmt]))
        assert_file_headers(response, content_type, "attachment")
        assert response["Content-Disposition"] == f'attachment; filename="carrier-batch-{batch.pk}-telecom.{fmt}"'


def test_desk_exports_send_the_file_headers(client, account_manager, password):
    from filing_portal.tabular import XLSX_TYPE

    assert otp_login(client, account_manager, password).status_code == 302
    for fmt, content_type in (("csv", "text/csv; charset=utf-8"), ("xlsx", XLSX_TYPE)):
        response = client.get("/admin/desk/", {"export": fmt})
        assert_file_headers(response, content_type, "attachment")
        assert re.fullmatch(rf'attachment; filename="desk-\d{{8}}-\d{{4}}\.{fmt}"', response["Content-Disposition"])
        assert body_of(response)


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("batch-1.xlsx", 'attachment; filename="batch-1.xlsx"'),
        ('a "quoted" \\ name.csv', 'attachment; filename="a \\"quoted\\" \\\\ name.csv"'),
        ("报备批次 1.xlsx", "attachment; filename*=utf-8''%E6%8A%A5%E5%A4%87%E6%89%B9%E6%AC%A1%201.xlsx"),
        ("x.csv\r\nSet-Cookie: session=evil", "attachment; filename*=utf-8''x.csv%0D%0ASet-Cookie%3A%20session%3Devil"),
        ("a\u202egpj.exe", "attachment; filename*=utf-8''a%E2%80%AEgpj.exe"),
    ],
    ids=["ascii", "quotes-and-backslash", "chinese", "crlf", "rlo"],
)
def test_a_content_disposition_is_rfc_6266_whatever_the_name(filename, expected):
    response = file_headers(HttpResponse(b"x", content_type="text/csv"), filename=filename)
    assert response["Content-Disposition"] == expected
    assert DISPOSITION.fullmatch(expected)
    head = response.serialize_headers().decode("latin-1")
    assert "Set-Cookie" not in head.replace("Set-Cookie%3A", "") and "\u202e" not in head
    assert len(head.split("\r\n")) == len(response.headers)  # one line per header: nothing was split


def test_an_id_image_is_served_only_watermarked_by_every_door(client, owner_a, account_manager, password, licensed):
    id_image = documents(licensed)[rules.LEGAL_REP_ID_FRONT]
    clean = services.document_original_bytes(document=id_image)
    assert services.thumbnail_make(document_id=id_image.pk)
    id_image.refresh_from_db()
    client.force_login(owner_a)
    served = body_of(client.get(door(id_image)))
    api = for_member(owner_a.memberships.get())
    detail = api.get(f"/api/v1/entities/{licensed.pk}/documents/{id_image.pk}/").json()
    linked = body_of(Client().get(detail["download_url"]))
    thumbnail = body_of(client.get(door(id_image, "thumbnail")))
    with id_image.file.open("rb") as handle:
        assert served == linked == handle.read() != clean

    def stamped(a: bytes, b: bytes) -> int:
        """Pixels the red stamp changed: far apart in at least one channel (JPEG noise is a few levels)."""
        first, second = Image.open(BytesIO(a)).convert("RGB"), Image.open(BytesIO(b)).convert("RGB")
        second = second.resize(first.size)
        difference = ImageChops.difference(first, second).convert("L").point(lambda v: 255 if v > 40 else 0)
        return difference.histogram()[255]

    assert stamped(clean, served) > 0.05 * 900 * 600
    # The preview is made from the stamped copy, not the clean one.
    assert stamped(uploads.thumbnail(clean), thumbnail) > 0.05 * 360 * 240
    # The clean original is no variant anyone but a verified reviewer reaches: not the owner, not a manager.
    assert client.get(door(id_image, "original")).status_code == 404
    assert "original" not in str(detail)
    client.logout()
    assert otp_login(client, account_manager, password).status_code == 302
    assert client.get(door(id_image)).status_code == 200
    assert client.get(door(id_image, "original")).status_code == 404


def test_a_stored_original_is_ciphertext_that_a_wrong_key_does_not_open(settings, licensed):
    id_image = documents(licensed)[rules.LEGAL_REP_ID_FRONT]
    on_disk = Path(id_image.original.path).read_bytes()
    clean = services.document_original_bytes(document=id_image)  # the right key opens it
    assert on_disk.startswith(crypto.MAGIC) and clean.startswith(b"\xff\xd8\xff")
    assert b"\xff\xd8\xff" not in on_disk and clean[200:264] not in on_disk  # no stretch of the image in clear
    associated = f"document:{id_image.pk}"
    settings.DOCUMENT_KEYS = {id_image.key_id: bytes(range(32))}  # the same key id, another key
    with pytest.raises(crypto.DecryptionError):
        crypto.unseal(on_disk, associated=associated)
    with pytest.raises(crypto.DecryptionError):
        services.document_original_bytes(document=id_image)
    settings.DOCUMENT_KEYS = {"other": bytes(32)}  # the key it names is gone
    with pytest.raises(crypto.DecryptionError):
        crypto.unseal(on_disk, associated=associated)
