"""The REST API's entities and documents (qualifications/api.py): through real keys, the site's form and services,
the real upload path with generated files, and the signed links to the site's file door."""

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Membership
from api.models import IdempotentRequest
from compliance import qualification as rules
from qualifications import services
from qualifications.models import Document, DocumentAccess, Entity, EntityShare

from . import files
from .api_helpers import Api, for_member
from .factories import make_entity

pytestmark = pytest.mark.django_db

USCC_A = "91110000802100433B"
USCC_B = "914403001922038216"
ID_A = "11010519491231002X"
ENTITIES = "/api/v1/entities/"


def body(**overrides):
    data = {"name": "甲科技有限公司", "uscc": USCC_A, "legal_rep_name": "张三", "legal_rep_id_number": ID_A,
            "is_own": True}  # fmt: skip
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def api(owner_a):
    return for_member(owner_a.memberships.get())


@pytest.fixture
def api_en(owner_a):
    return for_member(owner_a.memberships.get(), language="en")


@pytest.fixture
def api_b(owner_b):
    return for_member(owner_b.memberships.get())


@pytest.fixture
def entity_a(org_a, owner_a):
    return make_entity(organization=org_a, name="甲科技有限公司", uscc=USCC_A, legal_rep_name="张三",
                       legal_rep_id_number=ID_A, created_by=owner_a)  # fmt: skip


@pytest.fixture
def entity_b(org_b, owner_b):
    return make_entity(organization=org_b, name="乙网络有限公司", uscc=USCC_B, legal_rep_name="李四",
                       legal_rep_id_number=ID_A, created_by=owner_b)  # fmt: skip


def private_files() -> set[Path]:
    root = Path(settings.PRIVATE_STORAGE_ROOT)
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def documents_url(entity):
    return f"{ENTITIES}{entity.pk}/documents/"


def upload(api, entity, kind, data, name="upload.jpg", headers=None, **fields):
    return api.post(documents_url(entity), {"kind": kind, "file": SimpleUploadedFile(name, data), **fields},
                    multipart=True, headers=headers)  # fmt: skip


def errors_of(response) -> dict:
    return {e["field"]: e["code"] for e in response.json().get("errors", [])}


# --- creating ---------------------------------------------------------------------------------------------------


def test_an_entity_is_registered_through_the_sites_form(api, org_a):
    response = api.post(ENTITIES, body(uscc="9111 0000 8021 0043 3b", legal_rep_id_number="110105-19491231-002x"))
    assert response.status_code == 201, response.content
    entity = Entity.objects.get()
    data = response.json()
    assert (entity.uscc, entity.legal_rep_id_number, entity.organization, entity.is_own) == (USCC_A, ID_A, org_a, True)
    assert response["Location"].endswith(f"{ENTITIES}{entity.pk}/")
    assert response["ETag"].startswith('"') and response["ETag"] == api.get(f"{ENTITIES}{entity.pk}/")["ETag"]
    # The model's defaults where nothing was said, as the form preselects them.
    assert (data["kind"], data["mainland"], data["industry"]) == ("enterprise", True, "internet")
    # Never the full ID number.
    assert data["legal_rep_id_number_masked"] == "110105********002X"
    assert ID_A not in response.content.decode()
    assert data["state"] == "incomplete" and data["package_complete"] is False
    assert [item["kind"] for item in data["checklist"]] == [rules.ENTITY_CERTIFICATE, rules.LEGAL_REP_ID_FRONT,
                                                            rules.LEGAL_REP_ID_BACK]  # fmt: skip
    assert not any(item["satisfied"] for item in data["checklist"])


@pytest.mark.parametrize(
    ("overrides", "field", "code", "message"),
    [
        ({"uscc": "91110000802100433C"}, "uscc", "uscc", "check character"),
        ({"uscc": "9111000080210043"}, "uscc", "uscc", "18 characters"),
        ({"legal_rep_id_number": "110105194902300024"}, "legal_rep_id_number", "invalid", "birth date"),
        ({"uses_agent": True}, "uses_agent", "invalid", "public institutions"),
        ({"licence_valid_from": "2030-01-01", "licence_valid_until": "2029-01-01"}, "licence_valid_until", "invalid",
         "cannot end before"),
        ({"is_own": None}, "is_own", "required", "your organization itself"),
    ],
)  # fmt: skip
def test_the_forms_checks_come_back_as_field_errors(api_en, overrides, field, code, message):
    response = api_en.post(ENTITIES, body(**overrides))
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "validation-failed"
    found = [e for e in problem["errors"] if e["field"] == field]
    assert found and found[0]["code"] == code and message in found[0]["message"], problem
    assert not Entity.objects.exists()


def test_messages_come_in_the_callers_language(api):
    response = api.post(ENTITIES, body(uscc="91110000802100433C"))
    assert "统一社会信用代码的校验位不正确" in response.json()["errors"][0]["message"]


def test_a_uscc_registered_by_another_organization_is_refused_with_its_code(api, entity_b):
    response = api.post(ENTITIES, body(uscc=USCC_B))
    assert response.status_code == 400
    assert errors_of(response) == {"uscc": "uscc_taken"}
    assert Entity.objects.count() == 1


def test_a_second_own_entity_is_refused_not_silently_made_a_partner(api, entity_a):
    response = api.post(ENTITIES, body(uscc=USCC_B, is_own=True))
    assert response.status_code == 400 and errors_of(response) == {"is_own": "is_own_fixed"}
    response = api.post(ENTITIES, body(uscc=USCC_B, is_own=False))
    assert response.status_code == 201 and response.json()["is_own"] is False


def test_unknown_fields_wrong_types_and_malformed_json_are_refused(api):
    response = api.post(ENTITIES, body(nickname="甲"))
    assert response.status_code == 400 and errors_of(response) == {"nickname": "unknown_field"}
    response = api.post(ENTITIES, body(name=["甲"], mainland="maybe", licence_valid_from="soon", kind=5))
    assert response.status_code == 400
    assert errors_of(response) == {"name": "invalid", "mainland": "invalid", "licence_valid_from": "invalid",
                                   "kind": "invalid_choice"}  # fmt: skip
    response = api.client.post(ENTITIES, '{"name": "甲",', content_type="application/json", headers=api.headers)
    assert response.status_code == 400 and response.json()["code"] == "malformed-request"
    response = api.client.post(ENTITIES, "[1, 2]", content_type="application/json", headers=api.headers)
    assert response.status_code == 400
    assert not Entity.objects.exists()


def test_a_retried_create_returns_the_first_answer_and_one_row(api):
    key = {"Idempotency-Key": "create-entity-1"}
    first = api.post(ENTITIES, body(), headers=key)
    again = api.post(ENTITIES, body(), headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Location"] == first["Location"] and again["ETag"] == first["ETag"]
    assert again["Idempotent-Replayed"] == "true"
    assert Entity.objects.count() == 1
    other = api.post(ENTITIES, body(name="另一个名字有限公司"), headers=key)
    assert other.status_code == 422 and other.json()["code"] == "idempotency-key-reused"
    assert Entity.objects.count() == 1


def test_a_refused_create_is_not_kept_for_its_key(api):
    key = {"Idempotency-Key": "create-entity-2"}
    assert api.post(ENTITIES, body(uscc="91110000802100433C"), headers=key).status_code == 400
    assert not IdempotentRequest.objects.exists()
    assert api.post(ENTITIES, body(), headers=key).status_code == 201


def test_a_read_only_key_cannot_write(owner_a, entity_a):
    reader = for_member(owner_a.memberships.get(), scope="read")
    response = reader.post(ENTITIES, body(uscc=USCC_B, is_own=False))
    assert response.status_code == 403 and response.json()["code"] == "scope-insufficient"
    response = reader.patch(f"{ENTITIES}{entity_a.pk}/", {"name": "新名字有限公司"})
    assert response.status_code == 403
    before = (Document.objects.count(), private_files())
    response = upload(reader, entity_a, rules.ENTITY_CERTIFICATE, files.pdf(), name="licence.pdf")
    assert response.status_code == 403
    assert (Document.objects.count(), private_files()) == before
    assert Entity.objects.get().name == "甲科技有限公司" and Entity.objects.count() == 1
    assert reader.get(f"{ENTITIES}{entity_a.pk}/").status_code == 200  # reading is what it may do


# --- listing ----------------------------------------------------------------------------------------------------


def _many(org, count, start=0):
    return [make_entity(organization=org, name=f"实体{n:03d}有限公司", uscc=f"9111{n:014d}", legal_rep_name="张三",
                        legal_rep_id_number=ID_A) for n in range(start, start + count)]  # fmt: skip


def test_the_list_pages_by_cursor_and_filters_by_status(api, org_a, org_b):
    made = _many(org_a, 25)
    _many(org_b, 3, start=100)
    services.entity_set_status(entity=made[0], status=Entity.Status.CLOSED)
    seen, url = [], f"{ENTITIES}?page_size=10"
    while url:
        response = api.get(url)
        assert response.status_code == 200
        page = response.json()
        assert len(page["results"]) <= 10
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(str(e.pk) for e in made)  # each once, none of the other organization's
    closed = api.get(ENTITIES, {"status": "closed"}).json()["results"]
    assert [row["id"] for row in closed] == [str(made[0].pk)] and closed[0]["state"] == "closed"
    response = api.get(ENTITIES, {"status": ""})
    assert response.status_code == 400 and errors_of(response) == {"status": "invalid_choice"}  # "" is no state
    response = api.get(ENTITIES, {"status": "sleeping"})
    assert response.status_code == 400 and "status" in errors_of(response)
    response = api.get(ENTITIES, {"colour": "red"})
    assert response.status_code == 400 and errors_of(response) == {"colour": "unknown_field"}


def test_the_list_makes_as_many_queries_for_50_entities_as_for_5(api, org_a, owner_a):
    def count():
        with CaptureQueriesContext(connection) as queries:
            response = api.get(ENTITIES, {"page_size": 100})
        assert response.status_code == 200
        return len(queries), len(response.json()["results"])

    entities = _many(org_a, 5)
    for entity in entities[:3]:  # a document and a consent on some: their annotations, not a query a row
        services.consent_grant(entity=entity, user=owner_a)
        services.document_upload(entity=entity, user=owner_a, kind=rules.ENTITY_CERTIFICATE,
                                 upload=SimpleUploadedFile("licence.pdf", files.pdf()))  # fmt: skip
    count()  # the key's first use is recorded once (api.services.key_used)
    few = count()
    _many(org_a, 45, start=5)
    many = count()
    assert (few[1], many[1]) == (5, 50)
    assert few[0] == many[0] <= 10, (few, many)


# --- reading and changing one -----------------------------------------------------------------------------------


def test_the_detail_carries_the_checklist_from_the_entity_page(api, entity_a, owner_a):
    services.document_upload(entity=entity_a, user=owner_a, kind=rules.ENTITY_CERTIFICATE,
                             upload=SimpleUploadedFile("licence.pdf", files.pdf()))  # fmt: skip
    response = api.get(f"{ENTITIES}{entity_a.pk}/")
    assert response.status_code == 200
    checklist = {item["kind"]: item["satisfied"] for item in response.json()["checklist"]}
    assert checklist == {rules.ENTITY_CERTIFICATE: True, rules.LEGAL_REP_ID_FRONT: False,
                         rules.LEGAL_REP_ID_BACK: False}  # fmt: skip
    assert response.json()["state"] == "incomplete"


def test_a_stale_if_match_is_a_412_and_nothing_changes(api, entity_a):
    url = f"{ENTITIES}{entity_a.pk}/"
    etag = api.get(url)["ETag"]
    first = api.patch(url, {"licence_valid_until": "2046-05-01"}, headers={"If-Match": etag})
    assert first.status_code == 200, first.content
    assert first["ETag"] != etag and first.json()["licence_valid_until"] == "2046-05-01"
    stale = api.patch(url, {"name": "丙科技有限公司"}, headers={"If-Match": etag})
    assert stale.status_code == 412 and stale.json()["code"] == "precondition-failed"
    entity_a.refresh_from_db()
    assert entity_a.name == "甲科技有限公司" and str(entity_a.licence_valid_until) == "2046-05-01"
    # The ID number left out is kept, as on the edit page.
    assert entity_a.legal_rep_id_number == ID_A
    fresh = api.patch(url, {"name": "丙科技有限公司"}, headers={"If-Match": first["ETag"]})
    assert fresh.status_code == 200 and Entity.objects.get().name == "丙科技有限公司"


def test_an_update_goes_through_the_edit_forms_rules(api_en, entity_a):
    url = f"{ENTITIES}{entity_a.pk}/"
    # A new legal representative with the old number left in place: refused, as on the edit page.
    response = api_en.patch(url, {"legal_rep_name": "王五"})
    assert response.status_code == 400 and "legal_rep_id_number" in errors_of(response)
    response = api_en.patch(url, {"uscc": "91110000802100433C"})
    assert errors_of(response) == {"uscc": "uscc"}
    response = api_en.patch(url, {"legal_rep_id_number": None})
    assert response.status_code == 400 and errors_of(response) == {"legal_rep_id_number": "null"}
    entity_a.refresh_from_db()
    assert (entity_a.legal_rep_name, entity_a.uscc, entity_a.legal_rep_id_number) == ("张三", USCC_A, ID_A)
    response = api_en.patch(url, {"legal_rep_name": "王五", "legal_rep_id_number": "11010519491231002x"})
    assert response.status_code == 200 and Entity.objects.get().legal_rep_name == "王五"


def test_a_shared_entity_is_read_only_and_its_documents_are_not_ours(api, org_a, entity_b, owner_b):
    EntityShare.objects.create(entity=entity_b, organization=org_a)
    services.document_upload(entity=entity_b, user=owner_b, kind=rules.ENTITY_CERTIFICATE,
                             upload=SimpleUploadedFile("licence.pdf", files.pdf()))  # fmt: skip
    listed = api.get(ENTITIES).json()["results"]
    assert [(row["id"], row["is_shared"]) for row in listed] == [(str(entity_b.pk), True)]
    detail = api.get(f"{ENTITIES}{entity_b.pk}/")
    assert detail.status_code == 200 and detail.json()["checklist"][0]["satisfied"] is True
    response = api.patch(f"{ENTITIES}{entity_b.pk}/", {"name": "改名有限公司"})
    assert response.status_code == 403 and response.json()["code"] == "permission-denied"
    assert api.get(documents_url(entity_b)).status_code == 404
    assert Entity.objects.get().name == "乙网络有限公司"


def test_another_organizations_entity_is_a_404_like_a_missing_one(api, entity_b, owner_b):
    document = services.document_upload(entity=entity_b, user=owner_b, kind=rules.ENTITY_CERTIFICATE,
                                         upload=SimpleUploadedFile("licence.pdf", files.pdf()))  # fmt: skip
    missing = uuid.uuid4()

    def answer(path):
        response = api.get(path)
        data = response.json()
        data.pop("instance")
        return response.status_code, response["Content-Type"], data

    assert answer(f"{ENTITIES}{entity_b.pk}/") == answer(f"{ENTITIES}{missing}/")
    assert answer(f"{ENTITIES}{entity_b.pk}/")[0] == 404
    assert answer(documents_url(entity_b)) == answer(f"{ENTITIES}{missing}/documents/")
    assert answer(f"{documents_url(entity_b)}{document.pk}/") == answer(f"{ENTITIES}{missing}/documents/{missing}/")
    assert api.patch(f"{ENTITIES}{entity_b.pk}/", {"name": "x有限公司"}).status_code == 404
    assert upload(api, entity_b, rules.ENTITY_CERTIFICATE, files.pdf()).status_code == 404
    assert api.post(f"{ENTITIES}{entity_b.pk}/consent/", {"agree": True, "notice_version": "x"}).status_code == 404
    assert Document.objects.count() == 1 and Entity.objects.get().name == "乙网络有限公司"


# --- documents ----------------------------------------------------------------------------------------------------


def test_a_document_is_uploaded_through_the_sites_path(api, entity_a):
    before = private_files()
    response = upload(api, entity_a, rules.ENTITY_CERTIFICATE, files.pdf(), name="licence.pdf",
                      valid_until="2030-01-01")  # fmt: skip
    assert response.status_code == 201, response.content
    document = Document.objects.get()
    data = response.json()
    assert response["Location"].endswith(f"{documents_url(entity_a)}{document.pk}/")
    assert response["ETag"] and data["id"] == str(document.pk)
    assert (data["kind"], data["filename"], data["content_type"], data["pages"], data["valid_until"]) == (
        rules.ENTITY_CERTIFICATE, "licence.pdf", "application/pdf", 1, "2030-01-01")  # fmt: skip
    assert data["size"] == document.size and data["status"] == "pending"
    assert len(private_files() - before) == 1
    listed = api.get(documents_url(entity_a)).json()["results"]
    assert [row["id"] for row in listed] == [str(document.pk)]
    assert "download_url" not in listed[0] and "%PDF" not in api.get(documents_url(entity_a)).content.decode()


def test_an_image_is_cleaned_as_the_site_cleans_it(api, entity_a):
    response = upload(api, entity_a, rules.ENTITY_CERTIFICATE, files.jpeg(gps=True), name="licence.jpg")
    assert response.status_code == 201
    document = Document.objects.get()
    with document.file.open("rb") as handle:
        assert files.jpeg_metadata_markers(handle.read()) == []  # no EXIF, no GPS


@pytest.mark.parametrize(
    ("kind", "data", "code"),
    [
        (rules.ENTITY_CERTIFICATE, files.EXECUTABLE, "type"),
        (rules.ENTITY_CERTIFICATE, files.HTML, "type"),
        (rules.ENTITY_CERTIFICATE, files.png_bomb(), "too_many_pixels"),
        (rules.ENTITY_CERTIFICATE, files.pdf_with_javascript(), "active_content"),
        (rules.ENTITY_CERTIFICATE, files.polyglot_jpeg_zip(), "polyglot"),
        (rules.LEGAL_REP_ID_FRONT, files.pdf(), "consent_required"),
    ],
)
def test_a_refused_file_is_a_400_naming_file_and_nothing_is_stored(api, entity_a, kind, data, code):
    before = (Document.objects.count(), private_files())
    response = upload(api, entity_a, kind, data, headers={"Idempotency-Key": f"upload-{code}"})
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation-failed"
    assert errors_of(response) == {"file": code}
    assert (Document.objects.count(), private_files()) == before
    assert not IdempotentRequest.objects.exists()


def test_an_oversized_upload_is_a_413_before_anything_is_stored(api, entity_a, settings):
    settings.UPLOAD_MAX_BYTES = 100_000
    before = (Document.objects.count(), private_files())
    response = upload(api, entity_a, rules.ENTITY_CERTIFICATE, b"%PDF-1.4\n" + b"0" * 200_000, name="big.pdf")
    assert response.status_code == 413 and response.json()["code"] == "payload-too-large"
    # Just over the limit, within the multipart envelope: the upload path refuses it, as on the site.
    response = upload(api, entity_a, rules.ENTITY_CERTIFICATE, b"%PDF-1.4\n" + b"0" * 100_000, name="big.pdf")
    assert response.status_code == 400 and errors_of(response) == {"file": "too_large"}
    assert (Document.objects.count(), private_files()) == before


def test_an_upload_must_be_multipart_and_strict(api, entity_a):
    response = api.post(documents_url(entity_a), {"kind": rules.ENTITY_CERTIFICATE, "file": "JVBERi0="})
    assert response.status_code == 415 and response.json()["code"] == "unsupported-media-type"
    response = upload(api, entity_a, rules.ENTITY_CERTIFICATE, files.pdf(), colour="red")
    assert response.status_code == 400 and errors_of(response) == {"colour": "unknown_field"}
    response = upload(api, entity_a, rules.ENTITY_CERTIFICATE, files.pdf(), valid_until="")
    assert response.status_code == 400 and errors_of(response) == {"valid_until": "blank"}
    response = upload(api, entity_a, "selfie", files.pdf())
    assert response.status_code == 400 and errors_of(response) == {"kind": "invalid_choice"}
    assert not Document.objects.exists()


def test_a_retried_upload_stores_one_document(api, entity_a):
    key = {"Idempotency-Key": "upload-licence"}
    data = files.pdf()
    first = upload(api, entity_a, rules.ENTITY_CERTIFICATE, data, name="licence.pdf", headers=key)
    files_after_first = private_files()
    again = upload(api, entity_a, rules.ENTITY_CERTIFICATE, data, name="licence.pdf", headers=key)
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    assert Document.objects.count() == 1 and private_files() == files_after_first
    other = upload(api, entity_a, rules.ENTITY_CERTIFICATE, files.pdf(pages=2), name="licence.pdf", headers=key)
    assert other.status_code == 422 and Document.objects.count() == 1


def test_id_images_need_the_consent_given_through_the_api(api, entity_a, owner_a):
    consent_url = f"{ENTITIES}{entity_a.pk}/consent/"
    refused = upload(api, entity_a, rules.LEGAL_REP_ID_FRONT, files.jpeg())
    assert refused.status_code == 400 and errors_of(refused) == {"file": "consent_required"}
    assert consent_url in refused.json()["detail"]
    shown = api.get(consent_url).json()
    assert shown["active"] is False and shown["notice_version"] == settings.ID_CONSENT_NOTICE_VERSION
    assert "身份证" in shown["notice_zh"]
    response = api.post(consent_url, {"agree": False, "notice_version": "2020-01"})
    assert response.status_code == 400
    assert errors_of(response) == {"agree": "required", "notice_version": "notice_changed"}
    response = api.post(consent_url, {"agree": True, "notice_version": shown["notice_version"]})
    assert response.status_code == 201 and response.json()["active"] is True
    assert services.consent_active(entity=entity_a).user == owner_a
    again = api.post(consent_url, {"agree": True, "notice_version": shown["notice_version"]})
    assert again.status_code == 200 and entity_a.consents.count() == 1
    assert upload(api, entity_a, rules.LEGAL_REP_ID_FRONT, files.jpeg()).status_code == 201
    withdrawn = api.post(f"{consent_url}withdraw/")
    assert withdrawn.status_code == 200 and withdrawn.json()["id_images_scheduled_for_deletion"] == 1
    assert api.get(documents_url(entity_a)).json()["results"] == []  # scheduled for deletion: gone at once


# --- signed links -----------------------------------------------------------------------------------------------


@pytest.fixture
def id_image(entity_a, owner_a):
    services.consent_grant(entity=entity_a, user=owner_a)
    return services.document_upload(entity=entity_a, user=owner_a, kind=rules.LEGAL_REP_ID_FRONT,
                                    upload=SimpleUploadedFile("id.jpg", files.jpeg(1200, 800)))  # fmt: skip


def _stored(document, variant="file") -> bytes:
    with getattr(document, variant).open("rb") as handle:
        return handle.read()


def test_the_owner_gets_a_signed_link_serving_what_the_site_serves(api, entity_a, id_image, owner_a):
    response = api.get(f"{documents_url(entity_a)}{id_image.pk}/")
    assert response.status_code == 200 and response["ETag"]
    data = response.json()
    assert data["is_id_image"] is True and data["thumbnail_url"] is None
    link = data["download_url"]
    assert link.startswith("http://testserver/api/v1/documents/link/")
    served = Client().get(link)  # no key, no session: the link is enough, for 5 minutes
    assert served.status_code == 200
    content = b"".join(served.streaming_content)
    # The watermarked copy, never the original: the same bytes and headers as the site's door.
    assert content == _stored(id_image) and content != services.document_original_bytes(document=id_image)
    assert served["Content-Type"] == "image/jpeg"
    assert served["X-Content-Type-Options"] == "nosniff" and served["Cache-Control"] == "no-store, private"
    access = DocumentAccess.objects.get()
    assert (access.document, access.user, access.variant) == (id_image, owner_a, "file")


def test_a_link_expires_after_five_minutes(api, entity_a, id_image):
    link = api.get(f"{documents_url(entity_a)}{id_image.pk}/").json()["download_url"]
    with time_machine.travel(timezone.now() + timedelta(seconds=290)):
        assert Client().get(link).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(seconds=301)):
        response = Client().get(link)
    assert response.status_code == 404 and response.json()["code"] == "not-found"
    assert DocumentAccess.objects.count() == 1


def test_a_forged_or_altered_link_is_a_404(api, entity_a, id_image, entity_b):
    from django.core import signing

    link = api.get(f"{documents_url(entity_a)}{id_image.pk}/").json()["download_url"]
    token = link.rstrip("/").rsplit("/", 1)[1]
    altered = link.replace(token, token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"))
    forged = signing.dumps({"d": str(id_image.pk), "u": id_image.uploaded_by_id, "v": "file"}, salt="other")
    original = signing.dumps({"d": str(id_image.pk), "u": id_image.uploaded_by_id, "v": "original"},
                             salt="qualifications.api.document-link")  # fmt: skip
    for url in (altered, f"/api/v1/documents/link/{forged}/", f"/api/v1/documents/link/{original}/",
                "/api/v1/documents/link/nothing/"):  # fmt: skip
        response = Client().get(url)
        assert response.status_code == 404 and response["Content-Type"] == "application/problem+json", url
    assert not DocumentAccess.objects.exists()


def test_a_link_stops_working_when_its_person_leaves_the_organization(api, entity_a, id_image, member_a):
    member = Client()
    member.force_login(member_a)  # the portal's session: members see the documents, as on the site
    data = member.get(f"{documents_url(entity_a)}{id_image.pk}/").json()
    link = data["download_url"]
    assert link and Client().get(link).status_code == 200
    Membership.objects.filter(user=member_a).delete()
    assert Client().get(link).status_code == 404
    assert DocumentAccess.objects.filter(user=member_a).count() == 1


def test_a_document_of_another_entity_is_not_reachable_through_this_one(api, org_a, entity_a, owner_a):
    other = make_entity(organization=org_a, name="丙科技有限公司", uscc=USCC_B, legal_rep_name="李四",
                        legal_rep_id_number=ID_A)  # fmt: skip
    document = services.document_upload(entity=other, user=owner_a, kind=rules.ENTITY_CERTIFICATE,
                                        upload=SimpleUploadedFile("licence.pdf", files.pdf()))  # fmt: skip
    assert api.get(f"{documents_url(entity_a)}{document.pk}/").status_code == 404
    assert api.get(f"{documents_url(other)}{document.pk}/").status_code == 200


def test_anonymous_callers_get_401(entity_a):
    response = Api().get(ENTITIES)
    assert response.status_code == 401 and response.json()["code"] == "not-authenticated"
    assert Api().get(f"{ENTITIES}{entity_a.pk}/").status_code == 401


def test_the_lists_judge_their_page_parameters(api, entity_a):
    for path in (ENTITIES, documents_url(entity_a)):
        response = api.get(path, {"page_size": "many"})
        assert response.status_code == 400 and errors_of(response) == {"page_size": "invalid"}
        assert api.get(path, {"page_size": 0}).status_code == 200  # under 1: the default size, as DRF reads it
        response = api.get(path, {"page_size": ""})
        assert response.status_code == 400 and errors_of(response) == {"page_size": "invalid"}  # "" is no whole number
        assert api.get(path, {"cursor": ""}).status_code == 200
        response = api.get(path, {"cursor": "\x00not-a-cursor"})
        assert response.status_code == 404 and response.json()["code"] == "not-found"
