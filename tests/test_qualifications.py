"""Entities, documents and the people's data in them: through the real views and upload path."""

import re
from datetime import timedelta
from html import unescape
from io import BytesIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts import roles
from compliance import qualification as rules
from compliance.validators import resident_id_check_character, uscc_check_character
from qualifications import services, tasks
from qualifications.models import Document, DocumentAccess, Entity, IdImageConsent

from . import files
from .conftest import make_staff, otp_login
from .factories import OrganizationFactory, make_entity

pytestmark = pytest.mark.django_db

USCC_A = "91110000802100433B"
USCC_B = "914403001922038216"
ID_A = "11010519491231002X"


def entity_data(**overrides):
    data = {
        "name": "甲科技有限公司",
        "kind": "enterprise",
        "mainland": "on",
        "uscc": USCC_A,
        "industry": "internet",
        "legal_rep_name": "张三",
        "legal_rep_id_type": "resident_id",
        "legal_rep_id_number": ID_A,
        "agent_id_type": "resident_id",
        "is_own": "own",  # asked of the organization's first entity (a later one is a partner)
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def entity_a(org_a, owner_a):
    return make_entity(
        organization=org_a, name="甲科技有限公司", uscc=USCC_A, legal_rep_name="张三", legal_rep_id_number=ID_A,
        created_by=owner_a,
    )  # fmt: skip


@pytest.fixture
def consented(entity_a, owner_a):
    services.consent_grant(entity=entity_a, user=owner_a)
    return entity_a


def private_files() -> set[Path]:
    root = Path(settings.PRIVATE_STORAGE_ROOT)
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def upload(client, org, entity, kind, data, name="upload.jpg", **extra):
    return client.post(
        reverse("org:document-upload", args=[org.pk, entity.pk]),
        {"kind": kind, "file": SimpleUploadedFile(name, data)},
        **extra,
    )


# --- entities ---------------------------------------------------------------------------


def test_a_customer_registers_an_entity(client, org_a, owner_a):
    client.force_login(owner_a)
    data = entity_data(uscc="9111 0000 8021 0043 3b", legal_rep_id_number="110105-19491231-002x")
    response = client.post(reverse("org:entity-create", args=[org_a.pk]), data)
    entity = Entity.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("org:entity-detail", args=[org_a.pk, entity.pk])
    assert (entity.uscc, entity.legal_rep_id_number, entity.organization) == (USCC_A, ID_A, org_a)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("uscc", "91110000802100433C", "统一社会信用代码的校验位不正确"),
        ("uscc", "9111000080210043", "统一社会信用代码应为 18 位"),
        ("legal_rep_id_number", "110105194902300024", "出生日期（第 7–14 位）不是真实日期"),  # 30 February
        ("legal_rep_id_number", "11010519491231002", "身份证号码应为 18 位"),
    ],
)
def test_a_wrong_code_is_named_and_the_form_keeps_its_values(client, org_a, owner_a, field, value, message):
    client.force_login(owner_a)
    response = client.post(
        reverse("org:entity-create", args=[org_a.pk]), entity_data(**{field: value}), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 200
    html = response.content.decode()
    # The message under the field that is wrong, and that field marked invalid.
    assert re.search(rf'<div id="id_{field}_error" class="invalid-feedback">.*?{message}.*?</div>', html, re.S)
    assert "is-invalid" in re.search(rf'<input[^>]* name="{field}"[^>]*>', html).group()
    assert 'value="甲科技有限公司"' in html and 'value="张三"' in html
    assert not Entity.objects.exists()


def test_the_live_check_answers_as_the_form_would(client, org_a, owner_a):
    client.force_login(owner_a)
    url = reverse("org:entity-field-check", args=[org_a.pk])
    assert client.get(url, {"field": "uscc", "value": USCC_A}).status_code == 405  # never in a URL
    assert client.post(url, {"field": "uscc", "value": USCC_A}).json() == {"ok": True, "message": ""}
    bad = client.post(url, {"field": "uscc", "value": USCC_A[:-1] + "C"}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert bad["ok"] is False and "check character" in bad["message"]
    id_bad = client.post(url, {"field": "id_number", "value": "110105194902300024"}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert id_bad["ok"] is False and "birth date" in id_bad["message"]
    taken = client.post(url, {"field": "uscc", "value": USCC_A}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert taken == {"ok": True, "message": ""}  # not registered yet
    make_entity(organization=org_a, name="甲", uscc=USCC_A, legal_rep_name="张三", legal_rep_id_number=ID_A)
    taken = client.post(url, {"field": "uscc", "value": USCC_A}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert taken["ok"] is False and "already registered in your organization" in taken["message"]


def test_an_expired_id_document_cannot_support_real_name_filing():
    import datetime as dt

    day = dt.date(2026, 12, 1)
    assert rules.id_document_expired(dt.date(2020, 1, 1), as_of=day)
    assert not rules.id_document_expired(day, as_of=day)  # the last day printed is still valid
    assert not rules.id_document_expired(None, as_of=day)  # long-term


@pytest.mark.parametrize(
    ("overrides", "field", "zh", "en"),
    [
        ({}, "legal_rep_id_valid_until", "“法定代表人证件有效期至”已过：请您上传有效证件的信息",
         "“Legal representative's ID valid until” has passed"),
        ({"kind": "public_institution", "uses_agent": "on", "agent_name": "李四", "agent_id_number": ID_A},
         "agent_id_valid_until", "“经办人证件有效期至”已过", "“Agent's ID valid until” has passed"),
    ],
)  # fmt: skip
def test_an_expired_id_is_refused_by_the_form_naming_the_field(client, org_a, owner_a, overrides, field, zh, en):
    client.force_login(owner_a)
    url = reverse("org:entity-create", args=[org_a.pk])
    data = entity_data(**overrides, **{field: "2020-01-01"})
    for language, message in (("zh-hans", zh), ("en", en)):
        response = client.post(url, data, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200
        html = unescape(response.content.decode())
        assert re.search(rf'<div id="id_{field}_error" class="invalid-feedback">.*?{message}.*?</div>', html, re.S)
    assert not Entity.objects.exists()
    future = (timezone.now() + timedelta(days=400)).date().isoformat()
    assert client.post(url, entity_data(**overrides, **{field: future})).status_code == 302


def test_the_entity_page_shows_the_ids_validity_and_an_old_expired_one_still_opens(client, org_a, owner_a, entity_a):
    import datetime as dt

    client.force_login(owner_a)
    url = reverse("org:entity-detail", args=[org_a.pk, entity_a.pk])
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert re.search(r'data-testid="legal-rep-id-valid">证件有效期至 长期', html)
    # Saved before the platform refused expired IDs: the page still opens, and says so.
    Entity.objects.filter(pk=entity_a.pk).update(legal_rep_id_valid_until=dt.date(2020, 1, 1))
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'data-testid="legal-rep-id-valid">ID valid until 2020-01-01 · .*?expired', html)


def test_a_uscc_is_unique_across_the_platform(client, org_b, owner_b, entity_a):
    client.force_login(owner_b)
    response = client.post(reverse("org:entity-create", args=[org_b.pk]), entity_data(), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Another customer account has already registered" in response.content.decode()
    assert Entity.objects.count() == 1


def test_only_public_institutions_and_non_profits_file_through_an_agent(client, org_a, owner_a):
    client.force_login(owner_a)
    data = entity_data(uses_agent="on", agent_name="李四", agent_id_number=ID_A)
    response = client.post(reverse("org:entity-create", args=[org_a.pk]), data, HTTP_ACCEPT_LANGUAGE="en")
    assert "Only public institutions and non-profits" in response.content.decode()
    public = entity_data(kind="public_institution", uses_agent="on", agent_name="李四", agent_id_number=ID_A)
    assert client.post(reverse("org:entity-create", args=[org_a.pk]), public).status_code == 302


def test_a_bomb_is_refused_from_its_header_alone():
    from qualifications import uploads

    with pytest.raises(uploads.UploadRejected) as rejected:
        uploads.process_upload(SimpleUploadedFile("b.png", files.png_bomb(8000, 8000)), allowed=uploads.IMAGE_TYPES)
    assert rejected.value.code == "too_many_pixels"
    assert "8000 × 8000" in rejected.value.message


def test_the_id_number_is_masked_on_the_customer_page(client, org_a, owner_a, entity_a):
    client.force_login(owner_a)
    html = client.get(reverse("org:entity-detail", args=[org_a.pk, entity_a.pk])).content.decode()
    assert "110105********002X" in html
    assert ID_A not in html


@pytest.mark.parametrize(("pages", "en", "zh"), [(1, "PDF, 1 page<", "PDF，1 页"), (2, "PDF, 2 pages", "PDF，2 页")])
def test_the_entity_page_counts_a_pdfs_pages_in_words_that_agree(client, org_a, owner_a, entity_a, pages, en, zh):
    Document.objects.create(entity=entity_a, kind=Document.Kind.ENTITY_CERTIFICATE, content_type="application/pdf",
                            sha256="0" * 64, pages=pages)  # fmt: skip
    client.force_login(owner_a)
    url = reverse("org:entity-detail", args=[org_a.pk, entity_a.pk])
    assert en in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert zh in client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()


def test_entity_pages_of_another_organization_are_404(client, org_a, entity_a, owner_b):
    client.force_login(owner_b)
    for name in ("org:entity-detail", "org:entity-edit", "org:entity-consent"):
        assert client.get(reverse(name, args=[org_a.pk, entity_a.pk])).status_code == 404, name
    assert upload(client, org_a, entity_a, "entity_certificate", files.jpeg()).status_code == 404
    assert client.post(reverse("org:entity-consent-withdraw", args=[org_a.pk, entity_a.pk])).status_code == 404
    # Nor under their own organization's prefix.
    org_b = owner_b.memberships.get().organization
    assert client.get(reverse("org:entity-detail", args=[org_b.pk, entity_a.pk])).status_code == 404


# --- the checklist ----------------------------------------------------------------------


def test_the_checklist_for_an_enterprise_in_an_ordinary_industry():
    items = rules.checklist(entity_kind="enterprise", industry_code="internet", uses_agent=False, present=frozenset())
    assert [i.kind for i in items] == ["entity_certificate", "legal_rep_id_front", "legal_rep_id_back"]


def test_a_special_industry_needs_its_permit_named():
    items = rules.checklist(entity_kind="enterprise", industry_code="medical", uses_agent=False, present=frozenset())
    permit = next(i for i in items if i.kind == "industry_permit")
    assert "医疗机构执业许可证" in permit.name_zh and "medical institution practice licence" in permit.name_en


def test_an_agent_replaces_the_legal_representative_only_where_allowed():
    kinds = [i.kind for i in rules.checklist(entity_kind="social_organization", industry_code="other",
                                             uses_agent=True, present=frozenset())]  # fmt: skip
    assert kinds == ["entity_certificate", "agent_id_front", "agent_id_back", "agent_authorization"]
    kinds = [i.kind for i in rules.checklist(entity_kind="enterprise", industry_code="other",
                                             uses_agent=True, present=frozenset())]  # fmt: skip
    assert "legal_rep_id_front" in kinds


def test_the_lists_know_every_kind_compliance_can_require():
    """The entity list and a partner's checklist read one annotation per PACKAGE_KINDS, the entity page
    reads the documents themselves: over every entity kind the model offers, every industry and either
    agent choice, every kind compliance can require is one the lists know (and no other)."""
    from compliance.industries import INDUSTRIES
    from qualifications import selectors

    required = {
        kind
        for entity_kind in Entity.Kind.values
        for ind in INDUSTRIES
        for uses_agent in (False, True)
        for kind in rules.required_documents(entity_kind=entity_kind, industry_code=ind.code, uses_agent=uses_agent)
    }
    assert set(selectors.PACKAGE_KINDS) == required
    assert len(selectors.PACKAGE_KINDS) == len(required)
    assert selectors.PACKAGE_KINDS is rules.PACKAGE_KINDS  # derived from compliance, not a second copy
    assert set(rules.ENTITY_KINDS) == set(Entity.Kind.values)  # compliance walks the kinds the model offers
    assert required <= set(Document.Kind.values)


# --- uploads ----------------------------------------------------------------------------


def test_a_licence_is_stored_clean_of_metadata_and_upright(client, org_a, owner_a, entity_a):
    client.force_login(owner_a)
    response = upload(client, org_a, entity_a, "entity_certificate", files.jpeg(800, 500, orientation=6, gps=True))
    assert response.status_code == 302
    document = Document.objects.get()
    with document.file.open("rb") as handle:
        stored = Image.open(BytesIO(handle.read()))
        assert dict(stored.getexif()) == {}
        assert (stored.width, stored.height) == (500, 800)  # EXIF orientation 6 applied
    assert document.original == ""  # only ID images keep an encrypted original


def test_an_id_image_needs_consent_first(client, org_a, owner_a, entity_a):
    client.force_login(owner_a)
    before = private_files()
    response = upload(client, org_a, entity_a, "legal_rep_id_front", files.jpeg(), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "read and accept the notice" in response.content.decode()
    assert private_files() == before and not Document.objects.exists()


def test_consent_not_ticked_says_what_to_do_not_only_that_a_field_is_required(client, org_a, owner_a, entity_a):
    client.force_login(owner_a)
    url = reverse("org:entity-consent", args=[org_a.pk, entity_a.pk])
    for language, message in (("zh-hans", "请您阅读并勾选同意后再上传证件图片"), ("en", "Tick the box to consent")):
        html = client.post(url, {}, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert message in html and "这个字段是必填项" not in html and "This field is required" not in html
    assert not IdImageConsent.objects.exists()


def test_consent_is_recorded_with_the_notice_version(client, org_a, owner_a, entity_a):
    client.force_login(owner_a)
    assert client.post(reverse("org:entity-consent", args=[org_a.pk, entity_a.pk]), {}).status_code == 200
    response = client.post(reverse("org:entity-consent", args=[org_a.pk, entity_a.pk]), {"agree": "on"})
    assert response.status_code == 302
    consent = IdImageConsent.objects.get()
    assert (consent.user, consent.notice_version) == (owner_a, settings.ID_CONSENT_NOTICE_VERSION)


def test_an_id_image_is_watermarked_and_its_original_is_ciphertext(client, org_a, owner_a, consented):
    client.force_login(owner_a)
    raw = files.jpeg(1000, 630, gps=True)
    assert upload(client, org_a, consented, "legal_rep_id_front", raw).status_code == 302
    document = Document.objects.get()
    assert document.key_id == settings.DOCUMENT_KEY_ID
    on_disk = Path(document.original.path).read_bytes()
    assert on_disk.startswith(b"FPE1")
    assert b"\xff\xd8\xff" not in on_disk[:64] and b"JFIF" not in on_disk
    original = Image.open(BytesIO(services.document_original_bytes(document=document)))
    shown = Image.open(document.file.path)
    assert original.size == shown.size == (1000, 630)
    assert dict(original.getexif()) == {}
    # The watermark changed many pixels: the red stamp is where the original is plain blue.
    from PIL import ImageChops

    diff = ImageChops.difference(original.convert("L"), shown.convert("L")).point(lambda v: 255 if v > 25 else 0)
    differing = diff.histogram()[255]
    assert differing > 1000


@pytest.mark.parametrize(
    ("kind", "name", "make", "message"),
    [
        ("entity_certificate", "setup.jpg", lambda: files.EXECUTABLE, "Only JPEG, PNG or WebP images or PDF files"),
        ("entity_certificate", "page.png", lambda: files.HTML, "Only JPEG, PNG or WebP images or PDF files"),
        ("entity_certificate", "logo.png", lambda: files.SVG, "Only JPEG, PNG or WebP images or PDF files"),
        ("entity_certificate", "photo.jpg", files.polyglot_jpeg_zip, "also carries an archive"),
        ("entity_certificate", "zipped.pdf", files.pdf_with_zip_appended, "also carries an archive"),
        ("entity_certificate", "hidden.pdf", files.pdf_with_indirect_escaped_launch, "launch actions, links"),
        ("entity_certificate", "link.pdf", files.pdf_with_uri_action, "launch actions, links"),
        ("entity_certificate", "scans.jpg", files.jpeg_with_many_scans, "damaged or incomplete"),
        ("entity_certificate", "bomb.png", files.png_bomb, "at most 40 megapixels are accepted"),
        ("entity_certificate", "half.jpg", files.truncated_jpeg, "damaged or incomplete"),
        ("entity_certificate", "moving.png", files.animated_png, "Animated or multi-page images"),
        (
            "entity_certificate",
            "script.pdf",
            files.pdf_with_javascript,
            "scripts, launch actions, links or attached files",
        ),
        (
            "entity_certificate",
            "launch.pdf",
            files.pdf_with_launch_action,
            "scripts, launch actions, links or attached files",
        ),
        (
            "entity_certificate",
            "attach.pdf",
            files.pdf_with_attachment,
            "scripts, launch actions, links or attached files",
        ),
        ("entity_certificate", "locked.pdf", files.pdf_encrypted, "password-protected"),
        ("entity_certificate", "long.pdf", lambda: files.pdf(pages=21), "21 pages; at most 20"),
        ("entity_certificate", "empty.jpg", lambda: b"", "The submitted file is empty"),
        ("legal_rep_id_front", "id.pdf", files.pdf, "Only JPEG, PNG or WebP images are accepted here"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(client, org_a, owner_a, consented, kind, name, make, message):
    client.force_login(owner_a)
    before = private_files()
    response = upload(client, org_a, consented, kind, make(), name=name, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert private_files() == before
    assert not Document.objects.exists()


def test_a_50_mb_file_is_refused_before_it_is_read(client, org_a, owner_a, entity_a):
    client.force_login(owner_a)
    before = private_files()
    big = files.jpeg() + b"\x00" * (50 * 1024 * 1024)
    response = upload(client, org_a, entity_a, "entity_certificate", big, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "at most 10 MB" in response.content.decode()
    assert private_files() == before


def test_the_upload_script_gets_json_errors_in_chinese(client, org_a, owner_a, entity_a):
    client.force_login(owner_a)
    response = upload(client, org_a, entity_a, "entity_certificate", files.HTML, HTTP_ACCEPT="application/json",
                      HTTP_ACCEPT_LANGUAGE="zh-hans")  # fmt: skip
    assert response.status_code == 400
    assert response.json()["ok"] is False
    assert "仅接受" in response.json()["errors"][0]


@pytest.mark.parametrize("make", [files.png, files.webp, files.pdf])
def test_png_webp_and_pdf_licences_are_accepted(client, org_a, owner_a, entity_a, make):
    client.force_login(owner_a)
    assert upload(client, org_a, entity_a, "entity_certificate", make()).status_code == 302
    assert Document.objects.get().is_current


def test_replacing_a_document_keeps_the_old_one_as_history(client, org_a, owner_a, entity_a):
    client.force_login(owner_a)
    upload(client, org_a, entity_a, "entity_certificate", files.jpeg())
    upload(client, org_a, entity_a, "entity_certificate", files.png())
    assert Document.objects.filter(is_current=True).get().content_type == "image/png"
    assert Document.objects.filter(is_current=False, replaced_at__isnull=False).count() == 1


def test_the_checklist_turns_complete(client, org_a, owner_a, consented):
    client.force_login(owner_a)
    for kind in ("entity_certificate", "legal_rep_id_front", "legal_rep_id_back"):
        assert upload(client, org_a, consented, kind, files.jpeg()).status_code == 302
    assert all(item.satisfied for item in services.entity_checklist(entity=consented))
    html = client.get(reverse("org:entity-detail", args=[org_a.pk, consented.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert 'data-testid="checklist-state">Complete' in html.content.decode()


# --- downloads --------------------------------------------------------------------------


@pytest.fixture
def id_document(client, org_a, owner_a, consented):
    client.force_login(owner_a)
    upload(client, org_a, consented, "legal_rep_id_front", files.jpeg())
    client.logout()
    return Document.objects.get()


def _verified(client, user, password):
    assert otp_login(client, user, password).status_code == 302


def test_a_member_views_the_watermarked_file_with_safe_headers_and_it_is_logged(client, member_a, id_document):
    client.force_login(member_a)
    response = client.get(reverse("document-file", args=[id_document.pk, "file"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith("inline; filename=")
    assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"
    access = DocumentAccess.objects.get()
    assert (access.user, access.variant, access.ip_address) == (member_a, "file", "127.0.0.1")


def test_everyone_else_gets_404_and_nothing_is_logged(client, owner_b, id_document, reviewer):
    urls = [reverse("document-file", args=[id_document.pk, v]) for v in ("file", "thumbnail", "original")]
    for url in urls:
        assert client.get(url).status_code == 404  # anonymous
    client.force_login(owner_b)
    for url in urls:
        assert client.get(url).status_code == 404  # another customer
    import uuid

    assert client.get(reverse("document-file", args=[uuid.uuid4(), "file"])).status_code == 404  # a guess
    client.force_login(reviewer)  # staff, but no second factor in this session
    for url in urls:
        assert client.get(url).status_code == 404
    assert not DocumentAccess.objects.exists()


def test_a_member_never_gets_the_unwatermarked_original(client, owner_a, id_document):
    client.force_login(owner_a)
    assert client.get(reverse("document-file", args=[id_document.pk, "original"])).status_code == 404


def test_a_verified_reviewer_sees_the_original_decrypted_in_memory(client, reviewer, password, id_document):
    _verified(client, reviewer, password)
    response = client.get(reverse("document-file", args=[id_document.pk, "original"]))
    assert response.status_code == 200
    assert response.content[:3] == b"\xff\xd8\xff"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert DocumentAccess.objects.get().variant == "original"


def test_the_account_manager_of_the_organization_sees_the_file_but_not_others(
    client, account_manager, id_document, password
):
    other_manager = make_staff("am-other@platform.cn", roles.ACCOUNT_MANAGER)
    url = reverse("document-file", args=[id_document.pk, "file"])
    _verified(client, other_manager, password)
    assert client.get(url).status_code == 404
    client.logout()
    _verified(client, account_manager, password)
    assert client.get(url).status_code == 200
    assert client.get(reverse("document-file", args=[id_document.pk, "original"])).status_code == 404


def test_no_upload_is_reachable_under_static_or_media_urls(client, id_document):
    name = id_document.file.name
    assert client.get(settings.STATIC_URL + name).status_code == 404
    assert client.get("/media/" + name).status_code == 404
    assert client.get("/" + name).status_code == 404
    from django.core.files.storage import default_storage

    with pytest.raises(NotImplementedError):
        default_storage.url(name)  # private storage has no address at all


# --- thumbnails, consent withdrawal, retention ------------------------------------------


def test_the_thumbnail_task_run_twice_makes_one(id_document):
    assert tasks.make_thumbnail(str(id_document.pk)) is True
    assert tasks.make_thumbnail(str(id_document.pk)) is False
    id_document.refresh_from_db()
    assert id_document.thumbnail_state == "ready"
    with id_document.thumbnail.open("rb") as handle:
        assert max(Image.open(BytesIO(handle.read())).size) <= 360


def test_withdrawing_consent_deletes_the_id_images_and_keeps_a_tombstone(
    client, org_a, owner_a, id_document, django_capture_on_commit_callbacks
):
    paths = [Path(id_document.file.path), Path(id_document.original.path)]
    client.force_login(owner_a)
    response = client.post(reverse("org:entity-consent-withdraw", args=[org_a.pk, id_document.entity_id]))
    assert response.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        services.purge_due_id_images()  # what the task enqueued on commit does; files go after commit
    id_document.refresh_from_db()
    assert id_document.purged_at is not None and id_document.purge_reason == "consent_withdrawn"
    assert (id_document.file.name, id_document.original.name) == ("", "")
    assert id_document.sha256  # the tombstone keeps what was there
    assert not any(p.exists() for p in paths)
    assert client.get(reverse("document-file", args=[id_document.pk, "file"])).status_code == 404


def test_retention_purges_id_images_of_long_closed_entities_only(id_document, entity_a, owner_a, client, org_a):
    client.force_login(owner_a)
    upload(client, org_a, entity_a, "entity_certificate", files.jpeg())
    services.entity_set_status(entity=entity_a, status=Entity.Status.CLOSED)
    call_command("purge_id_images")
    assert Document.objects.filter(purged_at__isnull=False).count() == 0  # not yet past retention
    Entity.objects.filter(pk=entity_a.pk).update(
        closed_at=timezone.now() - timedelta(days=settings.ID_IMAGE_RETENTION_DAYS + 1)
    )
    call_command("purge_id_images")
    purged = Document.objects.get(purged_at__isnull=False)
    assert purged.pk == id_document.pk and purged.purge_reason == "retention"
    assert Document.objects.get(kind="entity_certificate").purged_at is None  # the licence stays


def test_generated_codes_used_by_the_demo_are_valid():
    assert uscc_check_character("91110108MA01DEM0A") in "0123456789ABCDEFGHJKLMNPQRTUWXY"
    assert resident_id_check_character("11010519800101001") in "0123456789X"


# --- evidence ---------------------------------------------------------------------------


def evidence_url(org, entity, kind):
    return reverse("org:evidence-create", args=[org.pk, entity.pk, kind])


def test_a_trademark_is_added_with_its_certificate(client, org_a, owner_a, entity_a):
    client.force_login(owner_a)
    data = {"name": "甲云", "registration_number": "12345678", "owner_name": "甲科技有限公司", "nice_class": "38",
            "file": SimpleUploadedFile("cert.pdf", files.pdf())}  # fmt: skip
    response = client.post(evidence_url(org_a, entity_a, "trademark"), data)
    assert response.status_code == 302
    trademark = entity_a.trademarks.get()
    document = trademark.documents.get()
    assert (document.kind, document.content_type, document.is_current) == (
        "trademark_certificate",
        "application/pdf",
        True,
    )
    # Evidence documents do not touch the package checklist.
    assert not any(item.satisfied for item in services.entity_checklist(entity=entity_a))


def test_a_bad_evidence_file_leaves_no_evidence_and_no_file(client, org_a, owner_a, entity_a):
    client.force_login(owner_a)
    before = private_files()
    data = {"name": "甲云", "registration_number": "1", "owner_name": "甲科技有限公司",
            "file": SimpleUploadedFile("cert.jpg", files.EXECUTABLE)}  # fmt: skip
    response = client.post(evidence_url(org_a, entity_a, "trademark"), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "Only JPEG, PNG or WebP images or PDF files" in response.content.decode()
    assert 'value="甲云"' in response.content.decode()
    assert not entity_a.trademarks.exists() and private_files() == before


@pytest.mark.parametrize(
    ("kind", "value", "stored"),
    [
        ("domain", "https://WWW.Example.COM/act?id=1", "www.example.com"),
        ("domain", "例子.中国", "xn--fsqu00a.xn--fiqs8s"),
        ("ip", "203.0.113.010", None),
        ("ip", "[2001:DB8::1]", "2001:db8::1"),
    ],
)
def test_owned_addresses_are_stored_canonical(client, org_a, owner_a, entity_a, kind, value, stored):
    client.force_login(owner_a)
    data = {
        "kind": kind,
        "value": value,
        "icp_number": "京ICP备12345678号",
        "file": SimpleUploadedFile("e.png", files.png()),
    }
    response = client.post(evidence_url(org_a, entity_a, "address"), data, HTTP_ACCEPT_LANGUAGE="en")
    if stored is None:
        assert response.status_code == 400
        assert "Enter an IPv4 or IPv6 address" in response.content.decode()
        assert not entity_a.addresses.exists()
    else:
        assert response.status_code == 302
        assert entity_a.addresses.get().value == stored


def test_a_partner_authorization_names_a_partner_entity_of_the_organization(client, org_a, owner_a, entity_a):
    partner = make_entity(organization=org_a, name="乙合作有限公司", uscc=USCC_B, legal_rep_name="李四",
                                    legal_rep_id_number=ID_A)  # fmt: skip
    client.force_login(owner_a)
    data = {"partner": str(partner.pk), "signatures": "乙合作", "valid_from": "2026-01-01", "valid_until": "2025-01-01",
            "file": SimpleUploadedFile("letter.pdf", files.pdf())}  # fmt: skip
    response = client.post(evidence_url(org_a, entity_a, "partner"), data, HTTP_ACCEPT_LANGUAGE="en")
    assert "cannot end before it starts" in response.content.decode()
    data.update(valid_until="2027-01-01", file=SimpleUploadedFile("letter.pdf", files.pdf()))
    assert client.post(evidence_url(org_a, entity_a, "partner"), data).status_code == 302
    authorization = entity_a.partner_authorizations.get()
    assert authorization.partner == partner
    assert authorization.documents.get().kind == "partner_letter"
    html = client.get(reverse("org:entity-detail", args=[org_a.pk, entity_a.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "partner's package incomplete" in unescape(html.content.decode())


def test_the_partner_select_offers_the_organization_s_other_entities_as_light_options(client, org_a, owner_a, entity_a):
    """Read as plain rows (filing_portal.choices.light_choices), searchable once long; another
    customer's entity, or the entity itself, is still refused."""
    partners = [
        make_entity(organization=org_a, name=f"乙合作{i}有限公司", uscc=f"X{i:017d}", legal_rep_name="李四",
                              legal_rep_id_number=ID_A)
        for i in range(3)
    ]  # fmt: skip
    theirs = make_entity(organization=OrganizationFactory(), name="丙有限公司", uscc=USCC_B,
                                   legal_rep_name="王五", legal_rep_id_number=ID_A)  # fmt: skip
    client.force_login(owner_a)
    html = client.get(evidence_url(org_a, entity_a, "partner"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    select = re.search(r'<select name="partner"[^>]*>(.*?)</select>', html, re.S)
    assert "data-searchable" in select.group()
    options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select.group(1))
    assert options == [("", " selected", "—— Choose ——")] + [(str(p.pk), "", p.name) for p in partners]
    for refused in (theirs, entity_a):
        data = {"partner": str(refused.pk), "signatures": "丙", "valid_from": "2026-01-01", "valid_until": "2027-01-01",
                "file": SimpleUploadedFile("letter.pdf", files.pdf())}  # fmt: skip
        response = client.post(evidence_url(org_a, entity_a, "partner"), data, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert not entity_a.partner_authorizations.exists()


def test_the_entity_page_writes_one_csrf_token_that_every_form_accepts(org_a, owner_a, consented):
    """Django's Jinja2 backend masked a new token for each form (about 40 µs each, 40-odd forms)."""
    from django.test import Client

    trademarks = [
        consented.trademarks.create(name=f"甲云{i}", registration_number=str(i), owner_name="甲") for i in "12"
    ]
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner_a)
    html = client.get(reverse("org:entity-detail", args=[org_a.pk, consented.pk])).content.decode()
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert len(tokens) >= 5 and len(set(tokens)) == 1  # language, 2 removals, consent withdrawal, uploads
    for trademark in trademarks:
        url = reverse("org:evidence-delete", args=[org_a.pk, consented.pk, "trademark", trademark.pk])
        assert client.post(url, {"csrfmiddlewaretoken": tokens[0]}).status_code == 302
    assert not consented.trademarks.exists()


def test_removing_evidence_deletes_its_file(client, org_a, owner_a, entity_a, django_capture_on_commit_callbacks):
    client.force_login(owner_a)
    client.post(evidence_url(org_a, entity_a, "app"), {"name": "甲云", "icp_number": "京ICP备1号-1A",
                "filing_subject": "甲科技有限公司", "file": SimpleUploadedFile("s.png", files.png())})  # fmt: skip
    app = entity_a.apps.get()
    path = Path(app.documents.get().file.path)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("org:evidence-delete", args=[org_a.pk, entity_a.pk, "app", app.pk]))
    assert response.status_code == 302
    assert not entity_a.apps.exists()
    assert not path.exists()


def test_evidence_urls_of_another_organization_are_404(client, org_a, entity_a, owner_b):
    trademark = entity_a.trademarks.create(name="甲云", registration_number="1", owner_name="甲科技有限公司")
    client.force_login(owner_b)
    assert client.get(evidence_url(org_a, entity_a, "trademark")).status_code == 404
    delete = reverse("org:evidence-delete", args=[org_a.pk, entity_a.pk, "trademark", trademark.pk])
    assert client.post(delete).status_code == 404
    assert entity_a.trademarks.exists()


def test_an_account_manager_transfers_an_entity_to_their_customer(client, org_b, entity_a, account_manager, password):
    org_b.account_manager = account_manager
    org_b.save()
    _verified(client, account_manager, password)
    url = reverse("admin:qualifications_entity_transfer", args=[entity_a.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"organization": org_b.pk}).status_code == 302
    entity_a.refresh_from_db()
    assert entity_a.organization == org_b


def test_a_reviewer_cannot_transfer(client, entity_a, org_b, reviewer, password):
    _verified(client, reviewer, password)
    url = reverse("admin:qualifications_entity_transfer", args=[entity_a.pk])
    assert client.post(url, {"organization": org_b.pk}).status_code == 403
    entity_a.refresh_from_db()
    assert entity_a.organization != org_b


def test_the_admin_masks_id_numbers_for_every_role_a_reviewer_reveals_one_on_the_review_page_logged(
    client, entity_a, reviewer, account_manager, password
):
    from qualifications.models import IdNumberReveal

    url = reverse("admin:qualifications_entity_change", args=[entity_a.pk])
    for staff_user in (reviewer, account_manager):
        _verified(client, staff_user, password)
        html = client.get(url).content.decode()
        assert "110105********002X" in html and ID_A not in html, staff_user
        client.logout()
    assert not IdNumberReveal.objects.exists()  # (the review page's reveal: tests/test_review_queue.py)


def test_a_phone_photo_with_a_second_picture_mpo_is_accepted(client, org_a, owner_a, entity_a):
    client.force_login(owner_a)
    response = upload(client, org_a, entity_a, "entity_certificate", files.mpo())
    assert response.status_code == 302
    document = Document.objects.get()
    assert document.content_type == "image/jpeg"
    with document.file.open("rb") as handle:
        assert Image.open(BytesIO(handle.read())).format == "JPEG"


def test_an_account_manager_cannot_rebuild_an_id_number_from_admin_filters(client, entity_a, account_manager, password):
    _verified(client, account_manager, password)
    url = reverse("admin:qualifications_entity_changelist")
    response = client.get(url, {"legal_rep_id_number__startswith": "1101"})
    assert response.status_code in (302, 400)  # Django refuses the disallowed lookup
    assert ID_A not in client.get(reverse("admin:qualifications_entity_change", args=[entity_a.pk])).content.decode()


def test_a_replaced_id_image_is_scheduled_for_deletion(client, org_a, owner_a, consented):
    client.force_login(owner_a)
    upload(client, org_a, consented, "legal_rep_id_front", files.jpeg())
    old = Document.objects.get()
    upload(client, org_a, consented, "legal_rep_id_front", files.jpeg(color=(10, 10, 10)))
    old.refresh_from_db()
    assert old.purge_after is not None and old.purge_reason == "replaced"
    assert client.get(reverse("document-file", args=[old.pk, "file"])).status_code == 404
    services.purge_due_id_images()
    old.refresh_from_db()
    assert old.purged_at is not None and old.original_filename == ""


def test_a_ciphertext_opens_only_for_its_own_document_and_untampered():
    from qualifications import crypto

    sealed = crypto.seal(b"id-card-bytes", associated="document:one")
    assert crypto.unseal(sealed.data, associated="document:one") == b"id-card-bytes"
    with pytest.raises(crypto.DecryptionError):
        crypto.unseal(sealed.data, associated="document:two")  # copied onto another row
    tampered = sealed.data[:-1] + bytes([sealed.data[-1] ^ 1])
    with pytest.raises(crypto.DecryptionError):
        crypto.unseal(tampered, associated="document:one")
    with pytest.raises(crypto.DecryptionError):
        crypto.unseal(b"FPE1\xff", associated="document:one")  # a damaged header


@pytest.mark.parametrize(
    "keys",
    ["k1:" + "A" * 44 + ",k1:" + "B" * 44, "k1", "k1:not base64!", "k" * 40 + ":" + "A" * 44, "k1:" + "AAAA"],
)
def test_malformed_document_keys_stop_the_start_with_a_clear_message(keys):
    import os
    import subprocess
    import sys

    env = {**os.environ, "DOCUMENT_KEYS": keys, "DJANGO_SETTINGS_MODULE": "filing_portal.settings"}
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=settings.BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "DOCUMENT_KEYS" in result.stderr


def test_a_shared_entity_is_seen_read_only_and_used_for_signatures(client, org_a, entity_a, org_b, owner_b, owner_a):
    from qualifications.models import EntityShare

    from .test_signatures import complete_package

    complete_package(entity_a)
    EntityShare.objects.create(entity=entity_a, organization=org_b, granted_by=None)
    client.force_login(owner_b)
    assert entity_a.name in client.get(reverse("org:entity-list", args=[org_b.pk])).content.decode()
    html = client.get(reverse("org:entity-detail", args=[org_b.pk, entity_a.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert html.status_code == 200 and 'data-testid="shared-note"' in html.content.decode()
    assert "data-upload" not in html.content.decode()
    # Changes and documents stay with the organization that registered it.
    assert client.get(reverse("org:entity-edit", args=[org_b.pk, entity_a.pk])).status_code == 404
    assert upload(client, org_b, entity_a, "entity_certificate", files.jpeg()).status_code == 404
    document = entity_a.documents.first()
    assert client.get(reverse("document-file", args=[document.pk, "file"])).status_code == 404
    # It may file signatures with it.
    response = client.post(reverse("org:signature-create", args=[org_b.pk]),
                           {"entity": str(entity_a.pk), "source": "abbreviation", "text": "甲科技"})  # fmt: skip
    assert response.status_code == 302
    assert org_b.signatures.get().entity == entity_a


def test_an_account_manager_shares_an_entity_with_their_customer(client, org_b, entity_a, account_manager, password):
    from qualifications.models import EntityShare

    org_b.account_manager = account_manager
    org_b.save()
    _verified(client, account_manager, password)
    url = reverse("admin:qualifications_entity_share", args=[entity_a.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"organization": org_b.pk}).status_code == 302
    assert EntityShare.objects.filter(entity=entity_a, organization=org_b).exists()
    entity_a.refresh_from_db()
    assert entity_a.organization != org_b  # shared, not moved


def test_the_consent_page_reads_chinese_first_and_gives_the_english_its_own_heading(client, org_a, owner_a, entity_a):
    import re

    client.force_login(owner_a)
    url = reverse("org:entity-consent", args=[org_a.pk, entity_a.pk])
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    chinese, english = html.index('data-testid="notice-zh"'), html.index("To file your SMS signatures")
    assert chinese < english
    folded = html.split('data-testid="notice-en"', 1)[1].split("</details>", 1)[0]
    assert re.match(r">\s*<summary[^>]*>告知书英文版本</summary>", folded) and "To file your SMS signatures" in folded
    assert "To file your SMS signatures" not in html.replace(folded, "")  # no English outside its heading
    # In English, the English text is open under the same heading.
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="notice-en" open>' in html and "The notice in English" in html
