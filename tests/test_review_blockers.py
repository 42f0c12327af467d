"""Blockers: an application whose evidence breaks after submission shows it, to the customer on the
application and to the reviewer in the queue (a consent withdrawn, a document replaced, a letter
expired)."""

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from compliance import transitions as t
from qualifications import services as qualification_services
from review import blockers
from signatures import services as signature_services
from signatures.models import Signature

from .conftest import otp_login
from .files import jpeg
from .test_signatures import complete_package
from .test_signatures import partner_signature_ready as partner_ready

pytestmark = pytest.mark.django_db


@pytest.fixture
def signature(org_a, owner_a):
    from .factories import make_entity

    entity = complete_package(make_entity(organization=org_a, name="北京百度网讯科技有限公司",
                                          uscc="91110000802100433B", legal_rep_name="李四"))  # fmt: skip
    draft = signature_services.Draft(entity=entity, source="abbreviation", text="百度")
    return signature_services.signature_submit(organization=org_a, user=owner_a, draft=draft, acknowledge_warnings=True)


def test_a_withdrawn_consent_shows_on_the_signature_and_in_the_queue(
    client, org_a, owner_a, reviewer, signature, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        qualification_services.consent_withdraw(entity=signature.entity)
    signature.refresh_from_db()
    assert signature.blockers == ["EVID_PACKAGE_INCOMPLETE"]
    client.force_login(owner_a)
    page = client.get(reverse("org:signature-detail", args=[org_a.pk, signature.pk]),
                      HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()  # fmt: skip
    assert 'data-testid="blockers"' in page and "提交后，此申请的依据出现了问题" in page and "主体资质材料不全" in page
    client.logout()
    otp_login(client, reviewer)
    queue = client.get(reverse("review-queue"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-testid="blockers"' in queue and "主体资质材料不全" in queue


def test_a_document_replaced_after_submission_is_flagged_until_it_is_submitted_again(
    org_a, owner_a, signature, django_capture_on_commit_callbacks
):
    qualification_services.consent_grant(entity=signature.entity, user=owner_a)
    upload = SimpleUploadedFile("licence.jpg", jpeg(), content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        qualification_services.document_upload(entity=signature.entity, user=owner_a, kind="entity_certificate",
                                                upload=upload)  # fmt: skip
    signature.refresh_from_db()
    assert signature.blockers == ["EVID_DOCUMENT_REPLACED"]


def test_a_partner_letter_that_expires_is_found_by_the_daily_task(org_a, owner_a):
    signature = partner_ready(org_a, owner_a)
    assert blockers.refresh_all() == 0 and Signature.objects.get(pk=signature.pk).blockers == []
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=400)):
        assert blockers.refresh_all() >= 1
    assert "EVID_PARTNER_NOT_VALID" in Signature.objects.get(pk=signature.pk).blockers


def test_resubmitting_clears_what_the_new_submission_passed(org_a, owner_a, reviewer, signature):
    from .factories import walk

    Signature.objects.filter(pk=signature.pk).update(blockers=["EVID_PACKAGE_INCOMPLETE"])
    walk(signature, t.CHANGES_REQUESTED, reviewer=reviewer)
    signature_services.signature_update(signature=signature, user=owner_a, submit=True, acknowledge_warnings=True,
                                        draft=signature_services.Draft(entity=signature.entity, source="abbreviation",
                                                                       text="百度"))  # fmt: skip
    assert Signature.objects.get(pk=signature.pk).blockers == []


def test_a_document_of_a_new_kind_added_after_submission_is_no_blocker(
    org_a, owner_a, signature, django_capture_on_commit_callbacks
):
    from qualifications.models import PartnerAuthorization

    from .factories import make_entity

    partner = make_entity(organization=org_a, name="小米科技有限责任公司", uscc="91110108551385082Q")
    today = timezone.localdate()
    upload = SimpleUploadedFile("letter.jpg", jpeg(), content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        qualification_services.evidence_create(
            entity=signature.entity, user=owner_a, model=PartnerAuthorization, upload=upload,
            data={"partner": partner, "signatures": "小米", "valid_from": today,
                  "valid_until": today + dt.timedelta(days=30)},
        )  # fmt: skip
    assert Signature.objects.get(pk=signature.pk).blockers == []


def test_a_package_changed_after_the_reviewer_opened_it_cannot_be_decided_on(
    org_a, owner_a, reviewer, signature, django_capture_on_commit_callbacks
):
    from review import services as review
    from review.kinds import manual_codes
    from review.services import TransitionRefused

    package = qualification_services.package_submit(entity=signature.entity, user=owner_a)
    review.claim(package, reviewer=reviewer)
    seen = package.updated_at  # what the reviewer's page showed
    qualification_services.consent_grant(entity=signature.entity, user=owner_a)
    upload = SimpleUploadedFile("id.jpg", jpeg(), content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        qualification_services.document_upload(entity=signature.entity, user=owner_a, kind="legal_rep_id_front",
                                                upload=upload)  # fmt: skip
    with pytest.raises(TransitionRefused):
        review.decide(package, reviewer=reviewer, decision=t.APPROVE, seen=seen, ticked=manual_codes(package))
    package.refresh_from_db()
    assert package.status == t.IN_REVIEW and package.blockers == ["EVID_DOCUMENT_REPLACED"]
    assert Signature.objects.get(pk=signature.pk).updated_at > signature.updated_at  # its reviewer is told too
