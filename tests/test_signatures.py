"""Signature applications: the precheck, the flow, the timeline, isolation, the live check's cost."""

import datetime as dt
import re
from html import unescape

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from policies.models import Policy
from qualifications.models import Document, Entity
from signatures import services
from signatures.models import Signature, SignatureEvent

from .factories import make_entity, walk

pytestmark = pytest.mark.django_db

NAME = "北京百度网讯科技有限公司"
# Days on either side of 2026-05-01 (notice 2026.4.23: app names no longer accepted), noon in Beijing: the
# tests that depend on the cut-off travel to one of them instead of reading the real clock.
AFTER_CUTOFF = dt.datetime(2026, 6, 15, 12, tzinfo=dt.timezone(dt.timedelta(hours=8)))
BEFORE_CUTOFF = dt.datetime(2026, 4, 15, 12, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def complete_package(entity, **extra):
    """Rows for the documents a package needs (the upload path has its own tests)."""
    for kind in ("entity_certificate", "legal_rep_id_front", "legal_rep_id_back"):
        Document.objects.create(entity=entity, kind=kind, content_type="image/jpeg", sha256="0" * 64)
    return entity


@pytest.fixture
def entity(org_a, owner_a):
    created = make_entity(organization=org_a, name=NAME, uscc="91110000802100433B", legal_rep_name="张三",
                                    legal_rep_id_number="11010519491231002X")  # fmt: skip
    return complete_package(created)


@pytest.fixture
def other_entity(org_b):
    return make_entity(organization=org_b, name="深圳市腾讯计算机系统有限公司", uscc="914403001922038216",
                                 legal_rep_name="李四", legal_rep_id_number="11010519491231002X")  # fmt: skip


def submit(client, org, entity, text, source="abbreviation", **extra):
    data = {"entity": str(entity.pk), "source": source, "text": text, **extra}
    return client.post(reverse("org:signature-create", args=[org.pk]), data, HTTP_ACCEPT_LANGUAGE="en")


def test_a_compliant_abbreviation_is_submitted_with_its_snapshot_and_timeline(client, org_a, owner_a, entity):
    client.force_login(owner_a)
    response = submit(client, org_a, entity, "百度")
    signature = Signature.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("org:signature-detail", args=[org_a.pk, signature.pk])
    assert signature.status == "submitted" and signature.precheck == []
    assert "2026.4.23" in signature.policy_notices
    assert [(e.from_status, e.to_status) for e in signature.events.all()] == [("", "draft"), ("draft", "submitted")]
    html = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "【百度】" in html and "Draft → Submitted" in html


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "This field is required."),
        ("百" * 200, "Ensure this value has at most 64 characters"),
        ("度百", "in the same order"),
        ("百度\u200b", "Chinese characters only"),
        ("百\u202e度", "Chinese characters only"),
        ("百度а", "letters of other scripts"),
        ("【百度】", "the platform adds 【】"),
    ],
)
def test_bad_signatures_are_refused_with_a_clear_message_and_nothing_is_made(
    client, org_a, owner_a, entity, text, message
):
    client.force_login(owner_a)
    response = submit(client, org_a, entity, text)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Signature.objects.exists() and not SignatureEvent.objects.exists()


def test_warnings_need_an_acknowledgement_that_reviewers_then_see(client, org_a, owner_a, entity):
    client.force_login(owner_a)
    response = submit(client, org_a, entity, "百度科技")
    assert response.status_code == 400
    assert "tick the box" in response.content.decode()
    assert submit(client, org_a, entity, "百度科技", acknowledge_warnings="on").status_code == 302
    signature = Signature.objects.get()
    assert signature.warnings_acknowledged
    assert signature.precheck[0]["code"] == "SIG_ABBREVIATION_NOT_CONTIGUOUS"


def test_a_double_submit_makes_one_application(client, org_a, owner_a, entity):
    client.force_login(owner_a)
    assert submit(client, org_a, entity, "百度").status_code == 302
    response = submit(client, org_a, entity, "百度")
    assert response.status_code == 400
    assert Signature.objects.count() == 1


def test_a_signature_held_by_another_entity_is_taken(client, org_a, owner_a, entity, org_b, owner_b, other_entity):
    client.force_login(owner_b)
    Signature.objects.create(organization=org_b, entity=other_entity, source="trademark", text="百度",
                             status="approved")  # fmt: skip
    client.force_login(owner_a)
    response = submit(client, org_a, entity, "百度")
    assert "already held by another entity" in response.content.decode()


def test_an_entity_of_another_organization_cannot_be_chosen(client, org_a, owner_a, entity, other_entity):
    client.force_login(owner_a)
    response = submit(client, org_a, other_entity, "腾讯")
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Signature.objects.exists()


def test_a_partner_authorization_must_be_valid_and_list_the_signature(client, org_a, owner_a, entity):
    partner = make_entity(organization=org_a, name="小米科技有限责任公司", uscc="91110108551385082Q",
                                    legal_rep_name="雷某", legal_rep_id_number="11010519491231002X")  # fmt: skip
    today = timezone.localdate()
    expired = entity.partner_authorizations.create(
        partner=partner,
        signatures="小米",
        valid_from=today.replace(year=2020),
        valid_until=today - dt.timedelta(days=1),
    )
    client.force_login(owner_a)
    response = submit(client, org_a, entity, "小米", source="partner", partner_authorization=str(expired.pk))
    assert "is valid from" in response.content.decode()
    current = entity.partner_authorizations.create(partner=partner, signatures="小米科技", valid_from=today,
                                                   valid_until=today + dt.timedelta(days=365))  # fmt: skip
    response = submit(client, org_a, entity, "小米", source="partner", partner_authorization=str(current.pk))
    assert "does not list" in response.content.decode()
    response = submit(client, org_a, entity, "小米科技", source="partner", partner_authorization=str(current.pk))
    html = unescape(response.content.decode())  # the text the customer reads, whatever the escaping
    assert "Upload the partner's signed authorization letter" in html
    assert "partner's own qualification package is incomplete" in html
    complete_package(partner)
    Document.objects.create(entity=entity, kind="partner_letter", partner_authorization=current,
                            content_type="application/pdf", sha256="0" * 64)  # fmt: skip
    response = submit(client, org_a, entity, "小米科技", source="partner", partner_authorization=str(current.pk))
    assert response.status_code == 302
    assert not Signature.objects.get().precheck  # checked against the partner's name, in order


def test_a_trademark_source_needs_a_trademark(client, org_a, owner_a, entity):
    client.force_login(owner_a)
    response = submit(client, org_a, entity, "小度", source="trademark")
    assert "Choose the registered trademark" in response.content.decode()
    trademark = entity.trademarks.create(name="小度", registration_number="1", owner_name="别家公司")
    response = submit(client, org_a, entity, "小度", source="trademark", trademark=str(trademark.pk))
    assert "is not the entity" in response.content.decode()


def test_withdrawing_writes_the_timeline_and_only_once(client, org_a, owner_a, entity):
    client.force_login(owner_a)
    submit(client, org_a, entity, "百度")
    signature = Signature.objects.get()
    url = reverse("org:signature-withdraw", args=[org_a.pk, signature.pk])
    assert client.post(url).status_code == 302
    assert client.post(url, HTTP_ACCEPT_LANGUAGE="en").status_code == 302
    signature.refresh_from_db()
    assert signature.status == "withdrawn"
    assert signature.events.filter(to_status="withdrawn").count() == 1


def test_the_transition_is_compare_and_set(org_a, owner_a, entity):
    signature = Signature.objects.create(organization=org_a, entity=entity, source="abbreviation", text="百度",
                                         status="submitted")  # fmt: skip
    stale = Signature.objects.get(pk=signature.pk)
    walk(signature, "in_review")
    with pytest.raises(services.TransitionRefused):
        services.signature_withdraw(signature=stale, actor=owner_a)  # it was submitted when read: no longer
    assert Signature.objects.get(pk=signature.pk).status == "in_review"


def test_every_signature_url_of_another_organization_is_404(client, org_a, owner_a, entity, owner_b):
    signature = Signature.objects.create(organization=org_a, entity=entity, source="abbreviation", text="百度",
                                         status="submitted")  # fmt: skip
    client.force_login(owner_b)
    for method, name, args in [("get", "org:signature-list", [org_a.pk]), ("get", "org:signature-create", [org_a.pk]),
                               ("get", "org:signature-detail", [org_a.pk, signature.pk]),
                               ("post", "org:signature-withdraw", [org_a.pk, signature.pk])]:  # fmt: skip
        assert getattr(client, method)(reverse(name, args=args)).status_code == 404, name
    check = reverse("org:signature-check", args=[org_a.pk])
    assert client.get(check, {"entity": str(entity.pk), "source": "abbreviation", "text": "百度"}).status_code == 404
    org_b = owner_b.memberships.get().organization
    check_b = reverse("org:signature-check", args=[org_b.pk])
    assert client.get(check_b, {"entity": str(entity.pk), "source": "abbreviation", "text": "百"}).status_code == 404
    signature.refresh_from_db()
    assert signature.status == "submitted"


def test_the_live_check_speaks_the_users_language_and_names_the_rule(client, org_a, owner_a, entity):
    client.force_login(owner_a)
    url = reverse("org:signature-check", args=[org_a.pk])
    data = client.get(url, {"entity": str(entity.pk), "source": "abbreviation", "text": "百度1"},
                      HTTP_ACCEPT_LANGUAGE="zh-hans").json()  # fmt: skip
    assert data["blocked"] is True
    assert data["violations"][0]["code"] == "SIG_HAS_DIGIT"
    assert "数字" in data["violations"][0]["message"]
    assert data["violations"][0]["rule_ref"] == "2025-06-03 · 2025.6.3"
    assert data["available_sources"] == ["full_name", "abbreviation"]


def test_the_live_check_costs_the_same_few_queries_however_many_signatures_exist(
    client, org_a, owner_a, entity, other_entity, django_assert_max_num_queries
):
    client.force_login(owner_a)
    url = reverse("org:signature-check", args=[org_a.pk])
    params = {"entity": str(entity.pk), "source": "abbreviation", "text": "百度"}
    client.get(url, params)  # warm the session
    Signature.objects.bulk_create(
        Signature(organization=other_entity.organization, entity=other_entity, source="trademark",
                  text=f"签名{chr(0x4E00 + i)}", status="approved")
        for i in range(300)
    )  # fmt: skip
    # session + user (middleware) + membership, entity, policy rows, taken: the view adds at most 5.
    with django_assert_max_num_queries(7):
        assert client.get(url, params).status_code == 200


def test_a_policy_added_in_the_admin_changes_results_after_its_date_only(client, org_a, owner_a, entity):
    from accounts import roles

    from .conftest import make_staff, otp_login

    assert otp_login(client, make_staff("policy@platform.cn", roles.POLICY_ADMIN)).status_code == 302
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    # Typed fields, one per parameter (issue 10: no JSON box).
    form = {"key": "short-signatures", "effective": tomorrow.isoformat(), "carriers": ["mobile", "unicom", "telecom"],
            "notice": "2026.12.1", "summary_zh": "签名最多 3 个字", "summary_en": "At most 3 characters",
            "max_length": "3"}  # fmt: skip
    bad = client.post(reverse("admin:policies_policy_add"), {**form, "max_length": "-3"})
    assert bad.status_code == 200 and list(bad.context["adminform"].form.errors) == ["max_length"]
    assert client.post(reverse("admin:policies_policy_add"), form).status_code == 302
    assert Policy.objects.get(key="short-signatures", builtin=False).params == {"max_length": 3}

    from policies.timeline import current_policy
    from signatures.services import Draft, precheck

    draft = Draft(entity=entity, source="full_name", text=NAME)
    assert precheck(draft, policy=current_policy(timezone.localdate())).violations == []
    [violation] = precheck(draft, policy=current_policy(tomorrow)).violations
    assert violation.code == "SIG_LENGTH" and violation.rule_ref.endswith("2026.12.1")


def test_the_built_in_timeline_shows_in_the_admin_and_cannot_be_edited(db):
    assert Policy.objects.filter(builtin=True).count() == 8


def test_the_detail_page_says_when_each_carrier_is_expected_to_file_on_chinas_calendar(
    client, org_a, owner_a, entity, django_capture_on_commit_callbacks
):
    from accounts import roles
    from filings import services as filings
    from policies.models import Holiday

    from .conftest import make_staff

    clerk = make_staff("clerk@platform.cn", roles.FILING_CLERK)
    client.force_login(owner_a)
    submit(client, org_a, entity, "百度")
    signature = Signature.objects.get()
    walk(signature, "approved")
    url = reverse("org:signature-detail", args=[org_a.pk, signature.pk])
    # Sent to Telecom on 2025-12-31: 3 to 5 working days; 1-3 January are holidays, Sunday 4 January a make-up day.
    batch = filings.open_batch(carrier="telecom", actor=clerk)
    filings.submit_batch(batch, actor=clerk, now=dt.datetime(2025, 12, 31, 2, tzinfo=dt.UTC))
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "2026-01-06 – 2026-01-08" in html and "estimate" not in html
    # Sent to Mobile on 2026-12-30: 2027's holidays are not known yet, so only weekends count, and it says so.
    batch = filings.open_batch(carrier="mobile", actor=clerk)
    filings.submit_batch(batch, actor=clerk, now=dt.datetime(2026, 12, 30, 2, tzinfo=dt.UTC))
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "2027-01-04 – 2027-01-06" in html and "estimate" in html
    # Once policy admins enter New Year's Day, the window is counted again.
    with django_capture_on_commit_callbacks(execute=True):
        Holiday.objects.create(day=dt.date(2027, 1, 1), name="元旦")
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "2027-01-05 – 2027-01-07" in html and "estimate" not in html


def _check(client, org, entity, **params):
    url = reverse("org:signature-check", args=[org.pk])
    return client.get(url, {"entity": str(entity.pk), **params}, HTTP_ACCEPT_LANGUAGE="en")


def test_the_partner_source_without_an_authorization_explains_instead_of_failing(client, org_a, owner_a, entity):
    client.force_login(owner_a)
    response = _check(client, org_a, entity, source="partner", text="示例")
    assert response.status_code == 200
    assert response.json()["blocked"]
    assert _evidence(response.json()) == {
        "EVID_PARTNER_MISSING": "Choose the partner authorization this signature rests on."
    }
    response = submit(client, org_a, entity, "示例", source="partner")
    assert response.status_code == 400 and not Signature.objects.exists()


def test_the_live_check_says_when_the_entity_already_holds_the_text(client, org_a, owner_a, entity):
    client.force_login(owner_a)
    submit(client, org_a, entity, "百度")
    data = _check(client, org_a, entity, source="abbreviation", text="百度").json()
    assert data["blocked"] and "already has" in _evidence(data)["EVID_ALREADY_HELD"]


def test_an_incomplete_package_blocks_the_signature(client, org_a, owner_a, entity):
    Document.objects.filter(entity=entity, kind="legal_rep_id_back").delete()
    client.force_login(owner_a)
    data = _check(client, org_a, entity, source="abbreviation", text="百度").json()
    assert data["blocked"] and "qualification package is incomplete" in _evidence(data)["EVID_PACKAGE_INCOMPLETE"]


def test_a_trademark_signature_is_the_trademark_and_it_must_be_in_force(client, org_a, owner_a, entity):
    trademark = entity.trademarks.create(name="小度", registration_number="1", owner_name=NAME,
                                         valid_until=dt.date(2020, 1, 1))  # fmt: skip
    client.force_login(owner_a)
    data = _check(client, org_a, entity, source="trademark", trademark=trademark.pk, text="阿里巴巴").json()
    assert "the trademark itself" in _evidence(data)["EVID_TRADEMARK_MISMATCH"]
    assert "expired on 2020-01-01" in _evidence(data)["EVID_TRADEMARK_EXPIRED"]


@time_machine.travel(AFTER_CUTOFF, tick=False)
def test_app_names_are_not_offered_once_they_stopped_counting(client, org_a, owner_a, entity):
    entity.apps.create(name="百度地图", icp_number="京ICP备1号-1A", filing_subject=NAME)
    client.force_login(owner_a)
    data = _check(client, org_a, entity, source="abbreviation", text="百度").json()
    assert "app_name" not in data["available_sources"]  # 2026-06-15 is after 2026-05-01


def test_the_admin_shows_exactly_the_built_in_timeline(db):
    from compliance import BUILTIN_CHANGES

    rows = {row.key: row for row in Policy.objects.filter(builtin=True)}
    assert set(rows) == {change.key for change in BUILTIN_CHANGES}
    for change in BUILTIN_CHANGES:
        row = rows[change.key]
        assert (row.effective, sorted(row.carriers), row.notice) == (change.effective, sorted(change.carriers),
                                                                     change.notice)  # fmt: skip
        assert set(row.params) == set(change.params)


def test_the_live_check_stays_within_five_queries_on_the_partner_path(
    client, org_a, owner_a, entity, django_assert_max_num_queries
):
    partner = complete_package(make_entity(organization=org_a, name="小米科技有限责任公司",
                                                     uscc="91110108551385082Q", legal_rep_name="雷某",
                                                     legal_rep_id_number="11010519491231002X"))  # fmt: skip
    today = timezone.localdate()
    authorization = entity.partner_authorizations.create(partner=partner, signatures="小米科技", valid_from=today,
                                                         valid_until=today + dt.timedelta(days=30))  # fmt: skip
    client.force_login(owner_a)
    _check(client, org_a, entity, source="abbreviation", text="百度")  # warm the session
    with django_assert_max_num_queries(7):  # session + user, and the view's five
        data = _check(client, org_a, entity, source="partner", partner_authorization=authorization.pk,
                      text="小米科技").json()  # fmt: skip
    assert _evidence(data) == {"EVID_PARTNER_LETTER_MISSING": "Upload the partner's signed authorization letter first."}


def test_a_draft_is_saved_unchecked_then_edited_and_submitted(client, org_a, owner_a, entity):
    client.force_login(owner_a)
    response = submit(client, org_a, entity, "度百", action="draft")  # breaks a rule: drafts are not checked
    signature = Signature.objects.get()
    assert response.status_code == 302 and signature.status == "draft"
    edit = reverse("org:signature-edit", args=[org_a.pk, signature.pk])
    data = {"entity": str(entity.pk), "source": "abbreviation", "text": "度百", "action": "submit"}
    response = client.post(edit, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "in the same order" in response.content.decode()
    response = client.post(edit, {**data, "text": "百度"})
    assert response.status_code == 302
    signature.refresh_from_db()
    assert (signature.status, signature.text) == ("submitted", "百度")
    assert [(e.from_status, e.to_status) for e in signature.events.all()] == [("", "draft"), ("draft", "submitted")]


def test_an_application_sent_back_for_changes_is_resubmitted(client, org_a, owner_a, entity):
    client.force_login(owner_a)
    submit(client, org_a, entity, "百度")
    signature = Signature.objects.get()
    walk(signature, "changes_requested")
    edit = reverse("org:signature-edit", args=[org_a.pk, signature.pk])
    # Its own text does not count as taken by itself.
    response = client.post(edit, {"entity": str(entity.pk), "source": "abbreviation", "text": "百度"})
    assert response.status_code == 302
    signature.refresh_from_db()
    assert signature.status == "submitted"
    assert signature.events.last().from_status == "changes_requested"


def test_a_submitted_application_is_not_edited_and_a_draft_can_be_withdrawn(client, org_a, owner_a, entity):
    client.force_login(owner_a)
    submit(client, org_a, entity, "百度")
    submitted = Signature.objects.get()
    response = client.post(reverse("org:signature-edit", args=[org_a.pk, submitted.pk]),
                           {"entity": str(entity.pk), "source": "abbreviation", "text": "百度网讯"})  # fmt: skip
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.text == "百度"
    submit(client, org_a, entity, "网讯", action="draft")
    draft = Signature.objects.get(status="draft")
    client.post(reverse("org:signature-withdraw", args=[org_a.pk, draft.pk]))
    draft.refresh_from_db()
    assert draft.status == "withdrawn"


def test_a_draft_withdrawn_unsubmitted_shows_no_rules_applied_but_a_withdrawn_application_does(
    client, org_a, owner_a, entity
):
    client.force_login(owner_a)
    submit(client, org_a, entity, "网讯", action="draft")
    submit(client, org_a, entity, "百度")
    draft, application = Signature.objects.get(text="网讯"), Signature.objects.get(text="百度")
    for signature in (draft, application):
        assert client.post(reverse("org:signature-withdraw", args=[org_a.pk, signature.pk])).status_code == 302
    page = {
        s: client.get(
            reverse("org:signature-detail", args=[org_a.pk, s.pk]), HTTP_ACCEPT_LANGUAGE="en"
        ).content.decode()
        for s in (draft, application)
    }
    # Never submitted: nothing was checked, so no rule "applied" (nor any "would apply": it is withdrawn).
    assert "rules-applied" not in page[draft] and "Rules applied" not in page[draft]
    assert "Rules that would apply today" not in page[draft]
    # Submitted, then withdrawn: the rules recorded at submission.
    assert "Rules applied" in page[application] and _rules_applied(page[application])


def test_another_organizations_draft_cannot_be_edited(client, org_a, owner_a, entity, owner_b):
    client.force_login(owner_a)
    submit(client, org_a, entity, "百度", action="draft")
    signature = Signature.objects.get()
    client.force_login(owner_b)
    assert client.get(reverse("org:signature-edit", args=[org_a.pk, signature.pk])).status_code == 404


# Issue 9: sources offered by the rules in force, reasons beside the source, proposals for a long full
# name, rules in the reader's language, the signature's own rules.
LONG = "福州闽江云通信科技有限公司"  # 13 characters: one more than a signature may have


@pytest.fixture
def long_entity(org_a):
    created = make_entity(organization=org_a, name=LONG, uscc="91350100MA2XYZ1234",
                                    legal_rep_name="林五", legal_rep_id_number="11010519491231002X")  # fmt: skip
    return complete_package(created)


def test_a_long_full_name_is_refused_with_abbreviations_that_pass_when_picked(client, org_a, owner_a, long_entity):
    client.force_login(owner_a)
    data = _check(client, org_a, long_entity, source="full_name", text="").json()
    assert data["full_name"] == LONG  # choosing the full name fills it in
    data = _check(client, org_a, long_entity, source="full_name", text=LONG).json()
    [violation] = data["violations"]
    assert violation["code"] == "SIG_LENGTH" and "13 characters" in violation["message"]
    assert violation["rule_ref"] == "platform rule" and violation["rule"] == "Platform rule"
    assert data["proposals"][:2] == ["闽江云通信", "闽江云通信科技"]
    for proposal in data["proposals"]:
        picked = _check(client, org_a, long_entity, source="abbreviation", text=proposal).json()
        assert picked["violations"] == [] and not picked["blocked"]
        assert picked["proposals"] == []  # offered for the full name only
    # Taken by someone else: no longer proposed.
    Signature.objects.create(organization=org_a, entity=long_entity, source="abbreviation", text="闽江云通信",
                             status="approved")  # fmt: skip
    assert "闽江云通信" not in _check(client, org_a, long_entity, source="full_name", text=LONG).json()["proposals"]


@time_machine.travel(AFTER_CUTOFF, tick=False)
def test_an_entity_outside_mainland_china_is_offered_no_abbreviation_that_would_be_refused(
    client, org_a, owner_a, long_entity
):
    Entity.objects.filter(pk=long_entity.pk).update(mainland=False)
    client.force_login(owner_a)
    data = _check(client, org_a, long_entity, source="full_name", text=LONG).json()
    codes = [v["code"] for v in data["violations"]]
    assert data["proposals"] == [] and "SIG_NON_MAINLAND" in codes
    # Nor told that every abbreviation is taken: none could be filed, and SIG_NON_MAINLAND says why.
    assert not any("choose “A company abbreviation”" in v["message"] for v in data["violations"])
    with time_machine.travel(BEFORE_CUTOFF, tick=False):  # before notice 2026.4.23 it may file one
        data = _check(client, org_a, long_entity, source="full_name", text=LONG).json()
    assert data["proposals"][:1] == ["闽江云通信"]


def test_the_live_check_names_the_rule_in_the_readers_language(client, org_a, owner_a, entity):
    client.force_login(owner_a)
    url = reverse("org:signature-check", args=[org_a.pk])
    params = {"entity": str(entity.pk), "source": "abbreviation", "text": "百"}
    zh = client.get(url, params, HTTP_ACCEPT_LANGUAGE="zh-hans").json()["violations"][0]
    en = client.get(url, params, HTTP_ACCEPT_LANGUAGE="en").json()["violations"][0]
    assert (zh["rule"], en["rule"]) == ("平台规则", "Platform rule")
    assert zh["rule_ref"] == en["rule_ref"] == "platform rule"  # the stable form for support and the API
    params["text"] = "百度1"
    zh = client.get(url, params, HTTP_ACCEPT_LANGUAGE="zh-hans").json()["violations"][0]
    assert zh["rule"] == "自 2025-06-03 起（通知 2025.6.3）"


@time_machine.travel(AFTER_CUTOFF, tick=False)
def test_app_names_are_not_offered_to_new_applications_and_the_form_says_why(client, org_a, owner_a, entity):
    entity.apps.create(name="百度地图", icp_number="京ICP备1号-1A", filing_subject=NAME)
    client.force_login(owner_a)
    url = reverse("org:signature-create", args=[org_a.pk])
    html = unescape(client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert 'value="app_name"' not in html
    assert (
        "From 2026-05-01 (notice 2026.4.23), an ICP-filed app name is not accepted as a signature source. "
        "Still accepted: a company's full name, a company abbreviation, a registered trademark or a "
        "partner's name under its letter of authorization."
    ) in html
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "自 2026-05-01 起（通知 2026.4.23），ICP 备案应用名称不能作为签名来源。" in html
    assert "仍可使用：企业全称、企业简称、注册商标或合作方名称（凭授权委托书）。" in html
    data = _check(client, org_a, entity, source="app_name", text="百度地图").json()
    assert "From 2026-05-01 (notice 2026.4.23), an ICP-filed app name" in data["source_note"]
    assert "A ICP" not in str(data)
    # Without an app chosen, no invitation to add one: it could not be used.
    data = _check(client, org_a, entity, source="app_name", text="百度").json()
    assert [v["code"] for v in data["violations"]] == ["SIG_SOURCE_NOT_ACCEPTED"]
    assert not any("ICP-filed app" in message for message in _evidence(data).values())


def test_the_sources_offered_follow_the_policy_in_force_not_a_fixed_date(client, org_a, owner_a, entity):
    client.force_login(owner_a)
    url = reverse("org:signature-create", args=[org_a.pk])
    assert 'value="trademark"' in client.get(url).content.decode()
    Policy.objects.create(key="no-trademarks", effective=timezone.localdate(), carriers=["mobile", "unicom", "telecom"],
                          notice="2026.11.30", summary_zh="商标不再作为签名来源", summary_en="No trademarks",
                          params={"accepted_sources": ["full_name", "abbreviation"]})  # fmt: skip
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'value="trademark"' not in html and "(notice 2026.11.30), a registered trademark is not accepted" in html


@time_machine.travel(AFTER_CUTOFF, tick=False)
def test_a_draft_keeps_a_source_it_cannot_use_and_says_why_beside_it(client, org_a, owner_a, entity):
    client.force_login(owner_a)
    # A trademark picked for an entity with none: saved as a draft, as picked.
    response = submit(client, org_a, entity, "小度", source="trademark", action="draft")
    assert response.status_code == 302
    draft = Signature.objects.get()
    assert (draft.status, draft.source, draft.text) == ("draft", "trademark", "小度")
    data = _check(client, org_a, entity, source="trademark", text="小度").json()
    assert "trademark" not in data["available_sources"]
    assert data["source_note"].startswith("This entity has no registered trademark on file")
    # An app-name draft from before 2026-05-01: editing keeps its source, and the page says why it is refused.
    draft.source = "app_name"
    draft.save()
    edit = reverse("org:signature-edit", args=[org_a.pk, draft.pk])
    html = client.get(edit, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<option value="app_name" selected>' in html
    assert "From 2026-05-01 (notice 2026.4.23), an ICP-filed app name is not accepted" in html
    response = client.post(edit, {"entity": str(entity.pk), "source": "app_name", "text": "百度地图",
                                  "action": "draft"}, HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.source, draft.text) == ("app_name", "百度地图")
    # Before the cut-off the same draft is offered its source with nothing said against it.
    with time_machine.travel(BEFORE_CUTOFF, tick=False):
        html = client.get(edit, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<option value="app_name" selected>' in html and "is not accepted" not in html


@time_machine.travel(AFTER_CUTOFF, tick=False)
def test_an_existing_app_name_signature_warns_and_shows_the_way_to_refile(client, org_a, owner_a, entity):
    app = entity.apps.create(name="百度地图", icp_number="京ICP备1号-1A", filing_subject=NAME)
    signature = Signature.objects.create(organization=org_a, entity=entity, source="app_name", app=app,
                                         text="百度地图", status="approved")  # fmt: skip
    client.force_login(owner_a)
    html = client.get(reverse("org:signature-detail", args=[org_a.pk, signature.pk]),
                      HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()  # fmt: skip
    assert "自 2026-05-01 起（通知 2026.4.23），ICP 备案应用名称不能作为签名来源" in html
    assert "运营商可能清理此签名" in html
    assert f"{reverse('org:signature-create', args=[org_a.pk])}?entity={entity.pk}" in html
    # Before the cut-off the source still counts: nothing to say, the usual next step.
    with time_machine.travel(BEFORE_CUTOFF, tick=False):
        html = client.get(reverse("org:signature-detail", args=[org_a.pk, signature.pk])).content.decode()
    assert 'data-testid="source-refused"' not in html and "平台已通过" in html
    signature.status = "withdrawn"
    signature.save()
    html = client.get(reverse("org:signature-detail", args=[org_a.pk, signature.pk])).content.decode()
    assert 'data-testid="source-refused"' not in html  # nothing to re-file for once it is gone


@time_machine.travel(AFTER_CUTOFF, tick=False)
def test_an_app_name_application_never_filed_is_not_told_carriers_may_clear_it(client, org_a, owner_a, entity):
    app = entity.apps.create(name="百度地图", icp_number="京ICP备1号-1A", filing_subject=NAME)
    signature = Signature.objects.create(organization=org_a, entity=entity, source="app_name", app=app,
                                         text="百度地图", status="draft")  # fmt: skip
    client.force_login(owner_a)
    detail = reverse("org:signature-detail", args=[org_a.pk, signature.pk])
    edit = reverse("org:signature-edit", args=[org_a.pk, signature.pk])
    refile = f"{reverse('org:signature-create', args=[org_a.pk])}?entity={entity.pk}"
    for status in ("draft", "changes_requested"):  # editable: change the source, on the edit page
        Signature.objects.filter(pk=signature.pk).update(status=status)
        html = client.get(detail, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        alert = html.split('data-testid="source-refused"', 1)[1].split("</div>", 1)[0]
        assert "an ICP-filed app name is not accepted" in alert, status
        assert "Carriers may clear" not in html and "never filed" in alert and f'href="{edit}"' in alert, status
        assert "change the source, then submit it" in html, status  # the next step
        assert "Its source is no longer accepted: change" in html
    Signature.objects.filter(pk=signature.pk).update(status="submitted")  # not editable, never filed
    html = client.get(detail, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    alert = html.split('data-testid="source-refused"', 1)[1].split("</div>", 1)[0]
    assert "Carriers may clear" not in alert and "withdraw it" in alert and refile in alert
    for status in ("approved",):  # filed: carriers may clear it
        Signature.objects.filter(pk=signature.pk).update(status=status)
        html = client.get(detail, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert "运营商可能清理此签名" in html and refile in html, status
    listing = client.get(reverse("org:signature-list", args=[org_a.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Its source is no longer accepted: apply for a new signature" in listing


@time_machine.travel(AFTER_CUTOFF, tick=False)
def test_a_signature_lists_the_signature_rules_that_apply_not_a_template_notice(client, org_a, owner_a, entity):
    client.force_login(owner_a)
    submit(client, org_a, entity, "百度")
    signature = Signature.objects.get()
    assert signature.policy_notices == ["2025.3.27", "2025.3.31", "2025.6.3", "2026.4.23"]
    # An application recorded before this fix, with the mobile template notice in it: not shown.
    Signature.objects.filter(pk=signature.pk).update(policy_notices=["2025.3.27", "2025.7.2", "2026.4.23"])
    html = client.get(reverse("org:signature-detail", args=[org_a.pk, signature.pk])).content.decode()
    assert "2025.7.2" not in html
    rules = _rules_applied(html)
    assert rules[0].startswith("自 2025-03-27 起（通知 2025.3.27）：签名实名报备")
    assert rules[-1].startswith("自 2026-05-01 起（通知 2026.4.23）：")
    assert len(rules) == 2


def test_the_check_at_submission_reads_the_sentence_first_then_the_rule_and_code(client, org_a, owner_a, entity):
    client.force_login(owner_a)
    submit(client, org_a, entity, "百度科技", acknowledge_warnings="on")
    signature = Signature.objects.get()
    html = client.get(reverse("org:signature-detail", args=[org_a.pk, signature.pk]),
                      HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()  # fmt: skip
    sentence = html.index("简称按顺序取字但跳过了中间的字")
    rule = html.index("自 2025-03-31 起（通知 2025.3.31）", sentence)  # (the rules applied list it earlier too)
    assert sentence < rule < html.index("SIG_ABBREVIATION_NOT_CONTIGUOUS")
    assert "platform rule" not in html and "平台规则 · " not in html


def _rules_applied(html: str) -> list[str]:
    import re

    block = html.split('data-testid="rules-applied"', 1)[1].split("</dd>", 1)[0]
    return [re.sub(r"\s+", " ", item).strip() for item in re.findall(r"<li[^>]*>(.*?)</li>", block, re.S)]


# --- issue 9, the signature side after the newcomer's trial ---------------------------------------


@pytest.fixture
def second_entity(org_a):
    created = make_entity(organization=org_a, name="北京小度科技有限公司", uscc="91110108MA01B2C3D4",
                                    legal_rep_name="王五", legal_rep_id_number="11010519491231002X")  # fmt: skip
    return complete_package(created)


def test_each_evidence_option_says_whose_it_is_in_one_query(client, org_a, owner_a, entity, second_entity):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    trademark = entity.trademarks.create(name="小度", registration_number="12345678", owner_name=NAME)
    app = second_entity.apps.create(name="小度地图", icp_number="京ICP备1号-1A", filing_subject=second_entity.name)
    client.force_login(owner_a)
    url = reverse("org:signature-create", args=[org_a.pk])
    html = client.get(url).content.decode()
    assert f'<option value="{trademark.pk}" data-entity="{entity.pk}">小度 (12345678)</option>' in html
    assert f'<option value="{app.pk}" data-entity="{second_entity.pk}">小度地图</option>' in html
    # An entity with none: the form has the note, with the link to the entity's page (portal.js fills its id).
    assert 'data-testid="no-trademark"' in html and "evidence-none" in html
    # Still one query per select, however many options.
    for i in range(30):
        entity.trademarks.create(name=f"小度{i}", registration_number=f"9{i:07d}", owner_name=NAME)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(30, 60):
        entity.trademarks.create(name=f"小度{i}", registration_number=f"9{i:07d}", owner_name=NAME)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(few) == len(many)


def test_a_draft_is_never_lost_to_evidence_of_another_entity(client, org_a, owner_a, entity, second_entity):
    trademark = entity.trademarks.create(name="小度", registration_number="12345678", owner_name=NAME)
    client.force_login(owner_a)
    # Trademark picked for the first entity, then the entity switched to the second one (none of its own).
    response = submit(client, org_a, second_entity, "小度", source="trademark", trademark=str(trademark.pk),
                      action="draft")  # fmt: skip
    assert response.status_code == 302
    draft = Signature.objects.get()
    assert (draft.entity, draft.source, draft.text, draft.trademark) == (second_entity, "trademark", "小度", None)
    page = client.get(response.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Trademark was left out of the draft: the one chosen belongs to another entity." in page
    # Submitting it is refused, the field named, and nothing more is made.
    response = submit(client, org_a, second_entity, "小度", source="trademark", trademark=str(trademark.pk))
    assert response.status_code == 400
    assert "Trademark: the one chosen belongs to another entity. Choose one of 北京小度科技有限公司" in (
        response.content.decode().replace("&#x27;", "'")
    )
    assert Signature.objects.count() == 1


@time_machine.travel(AFTER_CUTOFF, tick=False)
def test_an_app_name_signature_warns_in_the_list_and_on_the_dashboard(client, org_a, owner_a, entity):
    app = entity.apps.create(name="百度地图", icp_number="京ICP备1号-1A", filing_subject=NAME)
    signature = Signature.objects.create(organization=org_a, entity=entity, source="app_name", app=app,
                                         text="百度地图", status="approved")  # fmt: skip
    Signature.objects.create(organization=org_a, entity=entity, source="abbreviation", text="百度", status="approved")
    client.force_login(owner_a)
    html = client.get(reverse("org:signature-list", args=[org_a.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert html.count('data-testid="source-withdrawn"') == 1
    assert "来源已不被接受" in html and "自 2026-05-01 起（通知 2026.4.23）" in html
    assert html.count("平台已通过，等待向运营商报备") == 1  # the abbreviation's row only
    dashboard = client.get(reverse("org:dashboard", args=[org_a.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-testid="source-withdrawn"' in dashboard and "自 2026-05-01 起（通知 2026.4.23）" in dashboard
    assert f'href="{reverse("org:signature-create", args=[org_a.pk])}"' in dashboard
    detail = client.get(reverse("org:signature-detail", args=[org_a.pk, signature.pk]),
                        HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()  # fmt: skip
    assert "平台已通过" not in detail and "来源已不被接受" in detail
    # Read from the policy in force, not a date: a later change accepting app names again silences it.
    sources, carriers = ["full_name", "abbreviation", "trademark", "app_name"], ["mobile", "unicom", "telecom"]
    Policy.objects.create(key="app-names-again", effective=timezone.localdate(), carriers=carriers,
                          notice="2026.11.30", summary_zh="应用名称恢复为签名来源", summary_en="App names again",
                          params={"accepted_sources": sources})  # fmt: skip
    html = client.get(reverse("org:signature-list", args=[org_a.pk])).content.decode()
    dashboard = client.get(reverse("org:dashboard", args=[org_a.pk])).content.decode()
    assert 'data-testid="source-withdrawn"' not in html and 'data-testid="source-withdrawn"' not in dashboard
    # Once withdrawn, nothing to re-file for.
    signature.status = "withdrawn"
    signature.save()
    dashboard = client.get(reverse("org:dashboard", args=[org_a.pk])).content.decode()
    assert 'data-testid="source-withdrawn"' not in dashboard


@time_machine.travel(AFTER_CUTOFF, tick=False)
def test_a_draft_shows_the_rules_that_would_apply_today_and_its_current_check(client, org_a, owner_a, entity):
    client.force_login(owner_a)
    submit(client, org_a, entity, "百度科技", action="draft")
    draft = Signature.objects.get()
    html = client.get(reverse("org:signature-detail", args=[org_a.pk, draft.pk]),
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()  # fmt: skip
    assert "Rules that would apply today" in html
    rules = _rules_applied(html)
    assert rules[0].startswith("From 2025-03-27 (notice 2025.3.27): Real-name filing of signatures")
    assert any(r.startswith("From 2026-05-01 (notice 2026.4.23): ") for r in rules)
    assert "2025.7.2" not in html
    check = html.split('data-testid="current-check"', 1)[1]
    assert "SIG_ABBREVIATION_NOT_CONTIGUOUS" in check.split("</ul>", 1)[0]
    # A seeded signature (no notices recorded): the rules in force, never a bare "—".
    seeded = Signature.objects.create(organization=org_a, entity=entity, source="abbreviation", text="百度",
                                      status="approved")  # fmt: skip
    html = client.get(reverse("org:signature-detail", args=[org_a.pk, seeded.pk])).content.decode()
    assert _rules_applied(html) and "<li>—</li>" not in html


def test_with_every_proposal_taken_the_length_error_still_names_a_way_forward(
    client, org_a, owner_a, long_entity, org_b, other_entity
):
    from compliance.abbreviations import abbreviation_candidates

    for text in abbreviation_candidates(LONG):
        Signature.objects.create(organization=org_b, entity=other_entity, source="abbreviation", text=text,
                                 status="approved")  # fmt: skip
    client.force_login(owner_a)
    data = _check(client, org_a, long_entity, source="full_name", text=LONG).json()
    assert data["proposals"] == []
    [violation] = [v for v in data["violations"] if v["code"] == "SIG_LENGTH"]
    assert "choose “A company abbreviation” as the source" in violation["message"]
    assert "registered trademark" in violation["message"]


def test_the_form_leaves_no_empty_note_and_uses_only_classes_that_exist(client, org_a, owner_a, entity):
    from pathlib import Path

    from django.conf import settings

    client.force_login(owner_a)
    html = client.get(reverse("org:signature-create", args=[org_a.pk])).content.decode()
    assert "mt-n2" not in html  # Bootstrap 5 has no negative margins
    note = html.split('data-testid="source-note"', 1)[0].rsplit("<div", 1)[1]
    assert "d-none" in note  # nothing to say: no empty line under the source
    css = (Path(settings.BASE_DIR) / "static" / "css" / "portal.css").read_text()
    assert ".rule-ref {" in css  # the small, muted "where the rule comes from" after a sentence


# --- issue 9, the second trial ------------------------------------------------------------------


PARTNER_ZH = "合作方名称（凭授权委托书）"


@time_machine.travel(AFTER_CUTOFF, tick=False)
def test_every_list_of_the_sources_still_accepted_names_the_partner_source(client, org_a, owner_a, entity):
    app = entity.apps.create(name="百度地图", icp_number="京ICP备1号-1A", filing_subject=NAME)
    signature = Signature.objects.create(organization=org_a, entity=entity, source="app_name", app=app,
                                         text="百度地图", status="approved")  # fmt: skip
    client.force_login(owner_a)

    def page(name, *args, language="zh-hans"):
        return client.get(reverse(name, args=[org_a.pk, *args]), HTTP_ACCEPT_LANGUAGE=language).content.decode()

    form = page("org:signature-create")
    note = form.split('data-testid="withdrawn-source"', 1)[1].split("</div>", 1)[0]
    assert f"仍可使用：企业全称、企业简称、注册商标或{PARTNER_ZH}。" in note
    dashboard = page("org:dashboard")
    card = dashboard.split('data-testid="signature-sources"', 1)[1].split("</p>", 1)[0]
    assert PARTNER_ZH in card and "企业简称" in card
    warning = dashboard.split('data-testid="source-withdrawn"', 1)[1].split("</div>", 1)[0]
    assert f"仍可使用：企业全称、企业简称、注册商标或{PARTNER_ZH}。" in warning
    assert f"请以企业全称、企业简称、注册商标或{PARTNER_ZH}申请新签名" in warning
    intro = page("org:entity-detail", entity.pk).split('data-testid="signature-sources"', 1)[1].split("</p>", 1)[0]
    assert f"签名可基于：企业全称、企业简称、注册商标或{PARTNER_ZH}。" in intro
    detail = page("org:signature-detail", signature.pk)
    alert = detail.split('data-testid="source-refused"', 1)[1].split("</div>", 1)[0]
    assert f"请以企业全称、企业简称、注册商标或{PARTNER_ZH}申请新签名" in alert
    listing = unescape(page("org:signature-list", language="en"))  # as read: ' whichever entity wrote it
    assert "apply for a new signature from a company's full name, a company abbreviation, a registered " \
           "trademark or a partner's name under its letter of authorization" in listing  # fmt: skip
    # The English pages too, and none of them lists the old three only.
    for html in (page("org:signature-create", language="en"), page("org:dashboard", language="en"),
                 page("org:entity-detail", entity.pk, language="en")):  # fmt: skip
        html = unescape(html)
        assert "a partner's name under its letter of authorization" in html
        assert "or a registered trademark." not in html and "or your own trademark" not in html


@time_machine.travel(AFTER_CUTOFF, tick=False)
def test_the_dashboard_counts_app_name_signatures_by_what_is_to_be_done_with_them(client, org_a, owner_a, entity):
    app = entity.apps.create(name="百度地图", icp_number="京ICP备1号-1A", filing_subject=NAME)
    for n, status in enumerate(["draft", "draft", "changes_requested", "in_review", "approved", "rejected"]):
        Signature.objects.create(organization=org_a, entity=entity, source="app_name", app=app,
                                 text=f"百度地图{'甲乙丙丁戊己'[n]}", status=status)  # fmt: skip
    client.force_login(owner_a)
    url = reverse("org:dashboard", args=[org_a.pk])
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    warning = html.split('data-testid="source-withdrawn"', 1)[1].split("</div>", 1)[0]
    assert "您有 5 个签名的来源已不被接受" in warning  # the rejected one no longer counts
    editable = warning.split('data-testid="withdrawn-editable">', 1)[1].split("</li>", 1)[0]
    assert editable.startswith("3 个尚未提交") and "请您先修改签名来源，再提交" in editable
    assert "运营商可能清理" not in editable
    in_review = warning.split('data-testid="withdrawn-in-review">', 1)[1].split("</li>", 1)[0]
    assert in_review.startswith("1 个正在审核") and "请您撤回" in in_review and "运营商可能清理" not in in_review
    filed = warning.split('data-testid="withdrawn-filed">', 1)[1].split("</li>", 1)[0]
    assert filed.startswith("1 个已向运营商报备") and "运营商可能清理" in filed
    # Drafts only: nothing is said of carriers, and no new signature is needed.
    Signature.objects.exclude(status__in=["draft", "changes_requested"]).delete()
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    warning = html.split('data-testid="source-withdrawn"', 1)[1].split("</div>", 1)[0]
    assert "3 not submitted yet (drafts, or sent back for changes): change the source before submitting them." in (
        warning
    )
    assert "Carriers may clear" not in warning and "carriers may clear" not in warning
    assert 'data-testid="withdrawn-filed"' not in warning and 'data-testid="withdrawn-in-review"' not in warning
    assert reverse("org:signature-create", args=[org_a.pk]) not in warning


def test_the_states_a_signature_is_edited_in_are_compliance_s_one_set():
    from compliance import signatures as rules

    assert services.EDITABLE_STATES is rules.EDITABLE_STATES


def test_the_form_picks_the_only_entity_and_asks_for_one_when_there_is_none(client, org_a, owner_a, other_entity):
    """The entity select's options are read once (test_page_queries): whether there is any entity, and
    the only one, are told from them. Another organization's entity and a closed one do not count."""
    client.force_login(owner_a)
    url = reverse("org:signature-create", args=[org_a.pk])

    def entity_select(params=None):
        html = client.get(url, params or {}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        found = re.search(r'<select name="entity"[^>]*>(.*?)</select>', html, re.S)
        return found.group(1) if found else html

    make_entity(organization=org_a, name="北京已注销科技有限公司", uscc="91110000802100434B",
                          legal_rep_name="张三", legal_rep_id_number="11010519491231002X", status="closed")  # fmt: skip
    assert "Register an entity first: a signature always belongs to one." in entity_select()

    only = make_entity(organization=org_a, name=NAME, uscc="91110000802100433B", legal_rep_name="张三",
                                 legal_rep_id_number="11010519491231002X")  # fmt: skip
    select = entity_select()
    assert f'<option value="{only.pk}" selected>{NAME}</option>' in select
    assert '<option value="" selected>' not in select

    second = make_entity(organization=org_a, name="北京小度科技有限公司", uscc="91110000802100435B",
                                   legal_rep_name="张三", legal_rep_id_number="11010519491231002X")  # fmt: skip
    select = entity_select()
    assert '<option value="" selected>' in select and select.count(" selected>") == 1  # two: the customer chooses
    assert f'<option value="{second.pk}" selected>' in entity_select({"entity": str(second.pk)})  # as linked


def test_the_evidence_options_are_each_entity_s_whatever_the_kind(client, org_a, owner_a, entity, other_entity):
    """Trademarks, apps and partner authorizations are read in one query (test_page_queries); each
    option keeps its own label and entity, and another organization's evidence is not offered."""
    second = make_entity(organization=org_a, name="北京小度科技有限公司", uscc="91110000802100435B",
                                   legal_rep_name="张三", legal_rep_id_number="11010519491231002X")  # fmt: skip
    mark = second.trademarks.create(name="小度", registration_number="123", owner_name=second.name)
    app = entity.apps.create(name="百度地图", icp_number="京ICP备1号-1A", filing_subject=NAME)
    today = timezone.localdate()
    letter = second.partner_authorizations.create(partner=entity, signatures="小度", valid_from=today,
                                                  valid_until=today + dt.timedelta(days=30))  # fmt: skip
    other_entity.trademarks.create(name="腾讯", registration_number="9", owner_name=other_entity.name)
    client.force_login(owner_a)
    html = client.get(reverse("org:signature-create", args=[org_a.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    def options(name):
        select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
        return re.findall(r'<option value="([^"]+)" data-entity="([^"]+)">([^<]*)</option>', select)

    assert options("trademark") == [(str(mark.pk), str(second.pk), "小度 (123)")]
    assert options("app") == [(str(app.pk), str(entity.pk), "百度地图")]
    assert options("partner_authorization") == [(str(letter.pk), str(second.pk), f"{NAME} → 北京小度科技有限公司")]


def test_the_timeline_says_who_and_why_read_as_plain_rows(client, org_a, owner_a, entity):
    """The signature page's timeline: each change's states, who made it (none for the platform's own),
    why (the acknowledged warnings in the reader's words); read as rows, not events and users."""
    client.force_login(owner_a)
    assert submit(client, org_a, entity, "百度科技", acknowledge_warnings="on").status_code == 302
    signature = Signature.objects.get()
    SignatureEvent.objects.create(signature=signature, actor=None, from_status="submitted", to_status="in_review")
    url = reverse("org:signature-detail", args=[org_a.pk, signature.pk])
    with CaptureQueriesContext(connection) as queries:
        html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    timeline = html.split('data-testid="timeline"', 1)[1].split("</ol>", 1)[0]
    assert "Draft → Submitted · Warnings acknowledged." in timeline and "Submitted → In review" in timeline
    who = '<span class="text-break">{}</span>'
    assert timeline.count(who.format(owner_a.email)) == 2 and timeline.count(who.format("")) == 1
    [events] = [q["sql"] for q in queries.captured_queries if 'FROM "signatures_signatureevent"' in q["sql"]]
    assert '"accounts_user"."password"' not in events  # the e-mail alone, not the whole user


def _evidence(data) -> dict[str, str]:
    """The live check's evidence problems (compliance.evidence), by code."""
    return {v["code"]: v["message"] for v in data["violations"] if v["code"].startswith("EVID_")}


def partner_signature_ready(org, owner):
    """A partner signature submitted through the service: the organization's own entity, a partner
    entity with its package, its letter listing 小米科技, valid today."""
    import datetime as dt

    from django.utils import timezone

    from signatures import services as signature_services

    own = complete_package(make_entity(organization=org, name="北京百度网讯科技有限公司", uscc="91110000802100433B",
                                       legal_rep_name="李四", is_own=True))  # fmt: skip
    partner = complete_package(make_entity(organization=org, name="小米科技有限责任公司", uscc="91110108551385082Q",
                                           legal_rep_name="雷军", is_own=False))  # fmt: skip
    today = timezone.localdate()
    letter = own.partner_authorizations.create(partner=partner, signatures="小米科技", valid_from=today,
                                               valid_until=today + dt.timedelta(days=365))  # fmt: skip
    Document.objects.create(entity=own, kind="partner_letter", partner_authorization=letter,
                            content_type="application/pdf", sha256="0" * 64)  # fmt: skip
    draft = signature_services.Draft(entity=own, source="partner", text="小米科技", partner_authorization=letter)
    return signature_services.signature_submit(organization=org, user=owner, draft=draft, acknowledge_warnings=True)


def test_the_live_check_of_an_application_being_edited_does_not_count_its_own_hold(
    client, org_a, owner_a, entity, owner_b
):
    client.force_login(owner_a)
    submit(client, org_a, entity, "百度")
    signature = Signature.objects.get()
    params = {"entity": str(entity.pk), "source": "abbreviation", "text": "百度"}
    held = client.get(reverse("org:signature-check", args=[org_a.pk]), params, HTTP_ACCEPT_LANGUAGE="en").json()
    assert "EVID_ALREADY_HELD" in _evidence(held)  # a new application: the entity already has it
    mine = client.get(reverse("org:signature-check", args=[org_a.pk]), {**params, "signature": signature.pk}).json()
    assert "EVID_ALREADY_HELD" not in _evidence(mine) and not mine["blocked"]
    typed = services.Draft(entity=entity, source="abbreviation", text="百度网讯")
    draft = services.signature_save_draft(organization=org_a, user=owner_a, draft=typed)
    form = client.get(reverse("org:signature-edit", args=[org_a.pk, draft.pk])).content.decode()
    assert f'data-signature-id="{draft.pk}"' in form  # the page's script sends it with each check
    # Another organization's id excuses nothing.
    client.force_login(owner_b)
    other = client.get(reverse("org:signature-check", args=[org_a.pk]), {**params, "signature": signature.pk})
    assert other.status_code == 404


def test_the_live_check_s_kept_entity_follows_its_documents_at_once(client, org_a, owner_a, org_b, owner_b):
    from qualifications import services as qualification_services

    bare = make_entity(organization=org_a, name="北京百度网讯科技有限公司", uscc="91110000802100433B",
                       legal_rep_name="张三", legal_rep_id_number="11010519491231002X")  # fmt: skip
    client.force_login(owner_a)

    def problems():
        return set(_evidence(_check(client, org_a, bare, source="abbreviation", text="百度").json()))

    assert problems() == {"EVID_PACKAGE_INCOMPLETE"}
    assert problems() == {"EVID_PACKAGE_INCOMPLETE"}  # kept: asked again, the same
    complete_package(bare)  # documents saved (the admin or a service): the kept entity is forgotten
    assert problems() == set()
    qualification_services.consent_withdraw(entity=bare)  # an UPDATE of its ID images: forgotten too
    assert problems() == {"EVID_PACKAGE_INCOMPLETE"}
    client.force_login(owner_b)  # another organization's check never reads what A's kept
    assert _check(client, org_b, bare, source="abbreviation", text="百度").status_code == 404
