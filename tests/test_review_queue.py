"""The review queue in the admin: one queue for the three kinds, claims, the checklist, decisions
with coded reasons, and the same queries for 5 items as for 500."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from compliance import transitions as t
from qualifications import services as qualification_services
from qualifications.models import PackageReview
from review.kinds import manual_codes
from signatures import services as signature_services
from signatures.models import Signature
from templates_app import services as template_services

from .conftest import make_staff, otp_code, otp_login
from .factories import make_entity, walk
from .test_signatures import complete_package

pytestmark = pytest.mark.django_db


@pytest.fixture
def entity(org_a):
    return complete_package(make_entity(organization=org_a, name="北京百度网讯科技有限公司", uscc="91110000802100433B",
                                        legal_rep_name="李四"))  # fmt: skip


@pytest.fixture
def three(org_a, owner_a, entity):
    """A package, a signature and a template, each waiting for review."""
    package = qualification_services.package_submit(entity=entity, user=owner_a)
    draft = signature_services.Draft(entity=entity, source="abbreviation", text="百度")
    signature = signature_services.signature_submit(organization=org_a, user=owner_a, draft=draft,
                                                    acknowledge_warnings=True)  # fmt: skip
    held = signature_services.signature_submit(organization=org_a, user=owner_a, acknowledge_warnings=True,
                                               draft=signature_services.Draft(entity=entity, source="abbreviation",
                                                                              text="百度网讯"))  # fmt: skip
    walk(held, t.APPROVED)
    template = template_services.template_submit(organization=org_a, user=owner_a, signature=held,
                                                 kind="notification", name="发货", text="您的订单已发货")  # fmt: skip
    return package, signature, template


@pytest.fixture
def staff_client(client, reviewer):
    otp_login(client, reviewer)
    return client


def test_the_queue_shows_the_three_kinds_oldest_first_with_their_check(staff_client, three):
    page = staff_client.get(reverse("review-queue"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    html = page.content.decode()
    package, signature, template = three
    rows = [html.index(f'data-kind="{kind}" data-pk="{obj.pk}"') for kind, obj in
            (("entity", package), ("signature", signature), ("template", template))]  # fmt: skip
    assert rows == sorted(rows)  # oldest first
    assert "资质材料" in html and "通过自动检查" in html and "审核队列" in html
    only = staff_client.get(reverse("review-queue"), {"kind": "template"}).content.decode()
    assert f'data-pk="{template.pk}"' in only and 'data-kind="signature"' not in only


def test_only_reviewers_reach_the_queue_and_a_missing_item_is_404(client, account_manager, three, owner_a):
    otp_login(client, account_manager)
    assert client.get(reverse("review-queue")).status_code == 404
    client.logout()
    client.force_login(owner_a)  # a customer: as if the page did not exist
    assert client.get(reverse("review-queue")).status_code == 404
    client.logout()  # anonymous: the admin's log-in
    assert client.get(reverse("review-queue")).status_code == 302


def test_a_missing_or_unknown_item_is_404(staff_client, three):
    assert staff_client.get(reverse("review-item", args=["signature", 999999])).status_code == 404
    assert staff_client.get(reverse("review-item", args=["invoice", 1])).status_code == 404
    assert staff_client.get(reverse("review-item", args=["signature", "x"])).status_code == 404


def test_claim_check_request_changes_then_approve_after_the_resubmission(staff_client, reviewer, owner_a, three):
    _package, signature, _template = three
    item = reverse("review-item", args=["signature", signature.pk])
    page = staff_client.get(item, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="claim"' in page and 'name="ticked"' not in page and "disabled" in page  # claim first
    staff_client.post(reverse("review-claim", args=["signature", signature.pk]))
    signature.refresh_from_db()
    assert (signature.status, signature.reviewer) == (t.IN_REVIEW, reviewer)
    page = staff_client.get(item, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-item="SIG_RULES" data-automatic="1"' in page and 'data-result="passed"' in page
    decide = reverse("review-decide", args=["signature", signature.pk])
    seen = signature.updated_at.isoformat()
    # Changes without a reason: refused, nothing moves.
    response = staff_client.post(decide, {"decision": "request_changes", "seen": seen}, HTTP_ACCEPT_LANGUAGE="en",
                                 follow=True)  # fmt: skip
    assert "Choose at least one reason" in response.content.decode()
    assert Signature.objects.get(pk=signature.pk).status == t.IN_REVIEW
    # Approval with an unticked item: refused with the item named.
    response = staff_client.post(decide, {"decision": "approve", "seen": seen}, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "Not satisfied: The text names the sender plainly" in response.content.decode()
    staff_client.post(decide, {"decision": "request_changes", "seen": seen, "reasons": ["SIG_NEUTRAL"],
                               "note": "请使用能识别主体的名称"})  # fmt: skip
    signature.refresh_from_db()
    assert signature.status == t.CHANGES_REQUESTED
    signature_services.signature_update(signature=signature, user=owner_a, submit=True, acknowledge_warnings=True,
                                        draft=signature_services.Draft(entity=signature.entity, source="abbreviation",
                                                                       text="百度网讯科技"))  # fmt: skip
    staff_client.post(reverse("review-claim", args=["signature", signature.pk]))
    page = staff_client.get(item, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="changes"' in page and "signature" in page.split('data-testid="changes"')[1][:300].lower()
    signature.refresh_from_db()
    staff_client.post(decide, {"decision": "approve", "seen": signature.updated_at.isoformat(),
                               "ticked": sorted(manual_codes(signature))})  # fmt: skip
    assert Signature.objects.get(pk=signature.pk).status == t.APPROVED


def test_a_stale_page_cannot_decide(staff_client, reviewer, three):
    _package, signature, _template = three
    staff_client.post(reverse("review-claim", args=["signature", signature.pk]))
    stale = {"decision": "reject", "seen": "2020-01-01T00:00:00+00:00", "reasons": ["SIG_NEUTRAL"]}
    response = staff_client.post(reverse("review-decide", args=["signature", signature.pk]), stale,
                                 HTTP_ACCEPT_LANGUAGE="en", follow=True)  # fmt: skip
    assert "changed after you opened it" in response.content.decode()
    assert Signature.objects.get(pk=signature.pk).status == t.IN_REVIEW


@pytest.mark.parametrize(
    ("language", "roles", "claim", "colon"),
    [("zh-hans", ("(客户)", "(审核员)"), "已提交 → 审核中", "提交后出现的问题："),
     ("en", ("(Customer)", "(Reviewer)"), "Submitted → In review", "Broken since submission: ")],
)  # fmt: skip
def test_the_timeline_names_roles_and_claims_in_the_readers_language(staff_client, three, language, roles, claim,
                                                                    colon):  # fmt: skip
    _package, signature, _template = three
    staff_client.post(reverse("review-claim", args=["signature", signature.pk]))
    staff_client.post(reverse("review-release", args=["signature", signature.pk]))
    Signature.objects.filter(pk=signature.pk).update(blockers=["EVID_PACKAGE_INCOMPLETE"])
    html = staff_client.get(reverse("review-item", args=["signature", signature.pk]),
                            HTTP_ACCEPT_LANGUAGE=language).content.decode()  # fmt: skip
    timeline = html[html.index('data-testid="review-timeline"') :]
    assert all(role in timeline for role in roles)
    assert "(customer)" not in timeline and "(reviewer)" not in timeline  # never the raw role code
    assert claim in timeline
    queue = staff_client.get(reverse("review-queue"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert colon in queue


SAME_STATE = "Awaiting a second reviewer"


@pytest.mark.parametrize(
    ("language", "shown", "not_shown"),
    [("zh-hans", "等待复核 · 领取", "等待复核 → 等待复核"),
     ("en", f"{SAME_STATE} · Claim", f"{SAME_STATE} → {SAME_STATE}")],
)  # fmt: skip
def test_a_second_reviewer_s_claim_reads_as_a_claim_not_a_move_to_the_same_state(
    staff_client, reviewer, org_a, owner_a, language, shown, not_shown
):
    from accounts import roles
    from review import services as review

    from .test_signatures import partner_signature_ready

    signature = walk(partner_signature_ready(org_a, owner_a), t.AWAITING_SECOND, reviewer=reviewer)
    review.claim(signature, reviewer=make_staff("second-reviewer@platform.cn", roles.REVIEWER))
    html = staff_client.get(reverse("review-item", args=["signature", signature.pk]),
                            HTTP_ACCEPT_LANGUAGE=language).content.decode()  # fmt: skip
    timeline = html[html.index('data-testid="review-timeline"') :]
    assert shown in timeline and not_shown not in timeline


def test_a_package_is_reviewed_with_its_documents_and_checklist(staff_client, three):
    package, _signature, _template = three
    staff_client.post(reverse("review-claim", args=["entity", package.pk]))
    page = staff_client.get(reverse("review-item", args=["entity", package.pk]), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert 'data-item="PKG_COMPLETE" data-automatic="1"' in html and 'data-item="PKG_OWN_ENTITY"' in html
    assert 'data-testid="documents"' in html and 'data-testid="view-original"' in html
    package.refresh_from_db()
    decision = {"decision": "approve", "seen": package.updated_at.isoformat(), "ticked": sorted(manual_codes(package))}
    staff_client.post(reverse("review-decide", args=["entity", package.pk]), decision)
    assert PackageReview.objects.get(pk=package.pk).status == t.APPROVED


def _queue_more(org, entity, held, start, n):
    """n more signatures, templates and packages waiting (rows made directly, with their organization)."""
    from qualifications.models import Entity
    from templates_app.models import SmsTemplate

    numbers = range(start, start + n)
    Signature.objects.bulk_create(
        Signature(organization=org, entity=entity, source="abbreviation", text=f"签名{i}", status=t.SUBMITTED,
                  precheck=[{"severity": "warning"}]) for i in numbers
    )  # fmt: skip
    SmsTemplate.objects.bulk_create(
        SmsTemplate(organization=org, signature=held, kind="notification", name=f"模板{i}", text="您的订单已发货",
                    status=t.SUBMITTED) for i in numbers
    )  # fmt: skip
    partners = Entity.objects.bulk_create(
        Entity(organization=org, name=f"第{i}号科技有限公司", uscc=f"9111000080210{i:05d}", legal_rep_name="李四")
        for i in numbers
    )  # fmt: skip
    PackageReview.objects.bulk_create(PackageReview(entity=e, organization=org, status=t.SUBMITTED) for e in partners)


def test_the_queue_costs_the_same_queries_for_5_items_as_for_500(staff_client, org_a, entity, reviewer):
    make_staff("second@platform.cn", "reviewer")
    held = Signature.objects.create(organization=org_a, entity=entity, source="abbreviation", text="百度",
                                    status=t.APPROVED)  # fmt: skip

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = staff_client.get(reverse("review-queue"))
        assert response.status_code == 200
        return len(queries), response.content.decode().count('<tr data-kind="')

    _queue_more(org_a, entity, held, 0, 5)
    count()  # the holiday table, read once and kept in the cache
    small, rows = count()
    assert rows == 15
    _queue_more(org_a, entity, held, 5, 495)
    assert count() == (small, 1500)


def test_the_admin_index_leads_reviewers_to_the_queue_and_no_one_else(client, reviewer, account_manager, three):
    otp_login(client, reviewer)
    page = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-testid="review-entry"' in page and reverse("review-queue") in page and "3 个申请等待审核" in page
    client.logout()
    otp_login(client, account_manager)
    page = client.get(reverse("admin:index")).content.decode()
    assert 'data-testid="review-entry"' not in page


@pytest.mark.parametrize("view", ["review-claim", "review-release", "review-decide"])
def test_a_move_on_a_missing_item_is_404_and_a_get_is_refused(staff_client, view):
    assert staff_client.post(reverse(view, args=["signature", 987654321])).status_code == 404
    assert staff_client.post(reverse(view, args=["signature", "not-an-id"])).status_code == 404
    assert staff_client.get(reverse(view, args=["signature", 987654321])).status_code == 405


def test_a_customer_reaches_no_staff_route_nor_any_move(client, owner_a, three):
    package, signature, _template = three
    client.force_login(owner_a)
    for name, method in (("review-item", "get"), ("review-claim", "post"), ("review-decide", "post"),
                         ("review-release", "post"), ("review-reveal", "post")):  # fmt: skip
        response = getattr(client, method)(reverse(name, args=["signature", signature.pk]),
                                           {"decision": "approve", "person": "legal_rep"})  # fmt: skip
        assert response.status_code == 404, name
    assert Signature.objects.get(pk=signature.pk).status == t.SUBMITTED


def test_a_full_id_number_is_shown_only_when_asked_and_each_reveal_is_logged(staff_client, reviewer, three):
    from qualifications.models import IdNumberReveal

    package, _signature, _template = three
    entity = package.entity
    entity.legal_rep_id_number = "11010519491231002X"
    entity.save(update_fields=["legal_rep_id_number"])
    page = staff_client.get(reverse("review-item", args=["entity", package.pk])).content.decode()
    assert "11010519491231002X" not in page and 'data-testid="reveal-legal_rep"' in page
    assert not IdNumberReveal.objects.exists()
    shown = staff_client.post(reverse("review-reveal", args=["entity", package.pk]),
                              {"person": "legal_rep", "otp_token": otp_code(reviewer, steps_ahead=1)})  # fmt: skip
    assert "11010519491231002X" in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    [logged] = IdNumberReveal.objects.all()
    assert (logged.entity, logged.user, logged.person) == (entity, reviewer, "legal_rep")
    again = staff_client.get(reverse("review-item", args=["entity", package.pk])).content.decode()
    assert "11010519491231002X" not in again  # shown once
    assert staff_client.post(reverse("review-reveal", args=["entity", package.pk]), {"person": "x"}).status_code == 404
    assert IdNumberReveal.objects.count() == 1


def test_no_reveal_once_decided_nor_of_an_agent_the_entity_does_not_file_with(staff_client, three):
    from qualifications.models import IdNumberReveal

    package, _signature, _template = three
    reveal = reverse("review-reveal", args=["entity", package.pk])
    assert staff_client.post(reveal, {"person": "agent"}).status_code == 404  # no agent on this entity
    walk(package, t.APPROVED)
    assert staff_client.post(reveal, {"person": "legal_rep"}).status_code == 404  # decided: nothing to check
    assert not IdNumberReveal.objects.exists()


def test_a_refused_decision_keeps_what_the_reviewer_ticked_chose_and_wrote(staff_client, three):
    _package, signature, _template = three
    staff_client.post(reverse("review-claim", args=["signature", signature.pk]))
    signature.refresh_from_db()
    response = staff_client.post(reverse("review-decide", args=["signature", signature.pk]), {
        "decision": "request_changes", "seen": signature.updated_at.isoformat(), "ticked": ["SIG_IDENTIFIES"],
        "note": "请补充说明",
    }, HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose at least one reason" in html
    assert 'value="SIG_IDENTIFIES" checked' in html
    assert re.search(r'value="request_changes"[^>]*checked', html)
    assert "请补充说明" in html
    assert Signature.objects.get(pk=signature.pk).status == t.IN_REVIEW


def test_an_approved_package_s_documents_read_approved_and_its_checklist_what_was_confirmed(staff_client, three):
    from qualifications.models import Document

    package, _signature, _template = three
    staff_client.post(reverse("review-claim", args=["entity", package.pk]))
    package.refresh_from_db()
    decision = {"decision": "approve", "seen": package.updated_at.isoformat(), "ticked": sorted(manual_codes(package))}
    staff_client.post(reverse("review-decide", args=["entity", package.pk]), decision)
    states = set(Document.objects.filter(entity=package.entity, is_current=True).values_list("review_state", flat=True))
    assert states == {"approved"}
    page = staff_client.get(reverse("review-item", args=["entity", package.pk])).content.decode()
    assert page.count('data-result="confirmed"') == len(manual_codes(package))
