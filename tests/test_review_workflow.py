"""The one way an application's status moves: the role-aware table (compliance/transitions.py), walked
for every role both ways, the reviewer's moves, four-eyes, and two people acting at once."""

import itertools
import threading

import pytest
from django.db import connection

from compliance import transitions as t
from filing_portal import workflow
from review import services as review
from review.kinds import manual_codes
from signatures import services as signature_services
from signatures.models import Signature, SignatureEvent

from .conftest import make_staff
from .factories import MembershipFactory, make_entity
from .test_signatures import complete_package

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    from django.utils import translation

    with translation.override("en"):
        yield


ACTIONS = (t.CREATE, t.SUBMIT, t.RESUBMIT, t.WITHDRAW, t.CLAIM, t.RELEASE, t.APPROVE, t.REQUEST_CHANGES, t.REJECT)


@pytest.fixture
def actors(org_a, owner_a, owner_b, reviewer, account_manager):
    from accounts import roles

    return {
        t.CUSTOMER: owner_a,
        "another customer": owner_b,
        t.REVIEWER: reviewer,
        t.ACCOUNT_MANAGER: account_manager,
        t.POLICY_ADMIN: make_staff("policy@platform.cn", roles.POLICY_ADMIN),
        t.SYSTEM: None,
    }


@pytest.fixture
def signature(org_a, owner_a):
    entity = complete_package(make_entity(organization=org_a, name="北京百度网讯科技有限公司",
                                          uscc="91110000802100433B", legal_rep_name="李四"))  # fmt: skip
    draft = signature_services.Draft(entity=entity, source="abbreviation", text="百度")
    return signature_services.signature_save_draft(organization=org_a, user=owner_a, draft=draft)


def _in_state(signature, state):
    Signature.objects.filter(pk=signature.pk).update(status=state, reviewer=None)
    signature.refresh_from_db()
    return signature


def _role_of(name):
    return None if name == "another customer" else name


def test_every_move_of_every_role_is_allowed_by_the_table_and_nothing_else(signature, actors):
    """Every (state, action, target) for every actor: check_move refuses exactly what the table does
    not list for the actor's role; a member of another organization holds no role at all."""
    refused = allowed = 0
    for source, action, target in itertools.product(t.STATES, ACTIONS, t.STATES):
        _in_state(signature, source)
        for name, actor in actors.items():
            expected = t.allowed(action, source, target, _role_of(name), kind="signature")
            codes = ("REV_SIGNATURE_MISLEADING",) if action in (t.REQUEST_CHANGES, t.REJECT) else ()
            try:
                workflow.check_move(signature, action=action, to_status=target, actor=actor, reason_codes=codes)
            except workflow.TransitionRefused:
                assert not expected, (source, action, target, name)
                refused += 1
            else:
                assert expected, (source, action, target, name)
                allowed += 1
    # each listed role once, nobody else (the moves a signature has: the package's own are walked below)
    assert allowed == sum(len(m.roles) for m in t.MOVES if m.source and (not m.kinds or "signature" in m.kinds))
    assert refused > allowed


SIGNATURE_MOVES = [m for m in t.MOVES if m.source and (not m.kinds or "signature" in m.kinds)]


@pytest.mark.parametrize("move", SIGNATURE_MOVES, ids=lambda m: f"{m.action}:{m.source}->{m.target}")
def test_each_move_is_made_by_its_roles_and_refused_to_the_others_with_nothing_written(move, signature, actors):
    codes = ("REV_SIGNATURE_MISLEADING",) if move.reasons_required else ()
    for name, actor in actors.items():
        if _role_of(name) in move.roles:
            continue
        _in_state(signature, move.source)
        before = SignatureEvent.objects.count()
        with pytest.raises(workflow.TransitionRefused):
            workflow.move(signature, action=move.action, to_status=move.target, actor=actor, reason_codes=codes)
        assert Signature.objects.get(pk=signature.pk).status == move.source, name
        assert SignatureEvent.objects.count() == before, name
    for role in sorted(move.roles):
        _in_state(signature, move.source)
        workflow.move(signature, action=move.action, to_status=move.target, actor=actors[role], reason_codes=codes,
                      note="说明")  # fmt: skip
        assert signature.status == move.target
        event = signature.events.latest("pk")
        recorded = (
            event.action,
            event.from_status,
            event.to_status,
            event.actor_role,
            event.reason_codes,
            event.reason,
        )
        assert recorded == (move.action, move.source, move.target, role, list(codes), "说明")
        assert event.processed_at is None  # the outbox row notices and webhooks will read


def test_a_customer_cannot_approve_their_own_signature(signature, owner_a):
    signature_services.signature_update(signature=signature, user=owner_a, draft=signature_services.Draft(
        entity=signature.entity, source="abbreviation", text="百度"), submit=True)  # fmt: skip
    with pytest.raises(workflow.TransitionRefused, match="may not"):
        workflow.move(signature, action=t.CLAIM, to_status=t.IN_REVIEW, actor=owner_a)
    _in_state(signature, t.IN_REVIEW)
    with pytest.raises(workflow.TransitionRefused, match="may not"):
        workflow.move(signature, action=t.APPROVE, to_status=t.APPROVED, actor=owner_a)
    assert Signature.objects.get(pk=signature.pk).status == t.IN_REVIEW


def _submitted(signature, owner):
    draft = signature_services.Draft(entity=signature.entity, source=signature.source, text=signature.text)
    return signature_services.signature_update(signature=signature, user=owner, draft=draft, submit=True)


def test_a_reviewer_claims_decides_with_a_coded_reason_and_the_customer_resubmits(signature, owner_a, reviewer):
    signature = _submitted(signature, owner_a)
    review.claim(signature, reviewer=reviewer)
    assert (signature.status, signature.reviewer) == (t.IN_REVIEW, reviewer)
    review.decide(signature, reviewer=reviewer, decision=t.REQUEST_CHANGES, reason_codes=["SIG_NEUTRAL"],
                  note="请使用能识别主体的名称")  # fmt: skip
    assert signature.status == t.CHANGES_REQUESTED
    event = signature.events.latest("pk")
    assert (event.reason_codes, event.reason, event.actor_role) == (
        ["SIG_NEUTRAL"],
        "请使用能识别主体的名称",
        "reviewer",
    )
    _submitted(signature, owner_a)
    assert signature.events.latest("pk").action == t.RESUBMIT


@pytest.mark.parametrize(
    ("decision", "codes", "message"),
    [
        (t.REQUEST_CHANGES, [], "at least one reason code"),
        (t.REJECT, [], "at least one reason code"),
        (t.REJECT, ["NOT_A_CODE"], "Unknown reason code: NOT_A_CODE"),
        (t.REQUEST_CHANGES, ["TPL_LENGTH"], "Unknown reason code: TPL_LENGTH"),  # a template's, not a signature's
        ("publish", [], "Unknown decision"),
    ],
)
def test_a_decision_without_its_reasons_or_with_codes_outside_the_catalogue_is_refused(
    signature, owner_a, reviewer, decision, codes, message
):
    signature = _submitted(signature, owner_a)
    review.claim(signature, reviewer=reviewer)
    before = SignatureEvent.objects.count()
    with pytest.raises(workflow.TransitionRefused, match=message):
        review.decide(signature, reviewer=reviewer, decision=decision, reason_codes=codes)
    assert Signature.objects.get(pk=signature.pk).status == t.IN_REVIEW
    assert SignatureEvent.objects.count() == before


def test_only_the_reviewer_holding_it_decides_and_a_changed_application_is_refused(signature, owner_a, reviewer):
    from accounts import roles

    other = make_staff("other@platform.cn", roles.REVIEWER)
    signature = _submitted(signature, owner_a)
    review.claim(signature, reviewer=reviewer)
    with pytest.raises(workflow.TransitionRefused, match="holds this application already"):
        review.claim(Signature.objects.get(pk=signature.pk), reviewer=other)
    with pytest.raises(workflow.TransitionRefused, match="Claim this application"):
        review.decide(Signature.objects.get(pk=signature.pk), reviewer=other, decision=t.APPROVE)
    seen = signature.updated_at
    Signature.objects.filter(pk=signature.pk).update(updated_at=seen.replace(year=seen.year + 1))  # changed since
    with pytest.raises(workflow.TransitionRefused, match="changed after you opened it"):
        review.decide(signature, reviewer=reviewer, decision=t.APPROVE, seen=seen, ticked=manual_codes(signature))
    assert Signature.objects.get(pk=signature.pk).status == t.IN_REVIEW


def test_a_partner_signature_waits_for_a_second_different_reviewer(org_a, owner_a, reviewer):
    from accounts import roles

    from .test_signatures import partner_signature_ready

    signature = partner_signature_ready(org_a, owner_a)
    second = make_staff("second-reviewer@platform.cn", roles.REVIEWER)
    review.claim(signature, reviewer=reviewer)
    review.decide(signature, reviewer=reviewer, decision=t.APPROVE, ticked=manual_codes(signature))
    assert (signature.status, signature.reviewer) == (t.AWAITING_SECOND, None)
    for attempt in (lambda: review.claim(signature, reviewer=reviewer),):
        with pytest.raises(workflow.TransitionRefused, match="second, different reviewer"):
            attempt()
    review.claim(signature, reviewer=second)
    review.decide(signature, reviewer=second, decision=t.APPROVE, ticked=manual_codes(signature))
    assert signature.status == t.APPROVED
    assert list(signature.events.values_list("to_status", "actor_id")[2:]) == [
        (t.IN_REVIEW, reviewer.pk), (t.AWAITING_SECOND, reviewer.pk), (t.AWAITING_SECOND, second.pk),
        (t.APPROVED, second.pk),
    ]  # fmt: skip


def test_a_special_industry_needs_two_reviewers_and_the_setting_turns_it_off(org_a, owner_a, reviewer, settings):
    entity = complete_package(make_entity(organization=org_a, name="北京百度网讯科技有限公司", industry="finance",
                                          uscc="91110000802100433B", legal_rep_name="李四"))  # fmt: skip
    from qualifications.models import Document

    Document.objects.create(entity=entity, kind="industry_permit", content_type="image/jpeg", sha256="0" * 64)
    draft = signature_services.Draft(entity=entity, source="abbreviation", text="百度")
    signature = signature_services.signature_submit(organization=org_a, user=owner_a, draft=draft,
                                                    acknowledge_warnings=True)  # fmt: skip
    assert review.four_eyes(signature)
    settings.REVIEW_FOUR_EYES = ("partner",)
    assert not review.four_eyes(signature)
    review.claim(signature, reviewer=reviewer)
    review.decide(signature, reviewer=reviewer, decision=t.APPROVE, ticked=manual_codes(signature))
    assert signature.status == t.APPROVED


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_claiming_at_once_one_wins_the_other_is_told_and_one_row_is_written(org_a, owner_a, signature):
    from accounts import roles

    signature = _submitted(signature, owner_a)
    reviewers = [make_staff(f"r{i}@platform.cn", roles.REVIEWER) for i in range(2)]
    start, outcomes = threading.Barrier(2), []

    def claim(reviewer):
        try:
            start.wait(timeout=10)
            review.claim(Signature.objects.get(pk=signature.pk), reviewer=reviewer)
            outcomes.append("won")
        except workflow.TransitionRefused:  # stale ("someone else changed this") or held ("…已领取此申请")
            outcomes.append("told")
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(r,)) for r in reviewers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["told", "won"]
    assert SignatureEvent.objects.filter(signature=signature, to_status=t.IN_REVIEW).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_decision_and_a_withdrawal_at_once_one_wins_and_nothing_is_recorded_twice(
    org_a, owner_a, signature, reviewer
):
    signature = _submitted(signature, owner_a)
    review.claim(signature, reviewer=reviewer)
    start, outcomes = threading.Barrier(2), []

    def act(name, call):
        try:
            start.wait(timeout=10)
            call(Signature.objects.get(pk=signature.pk))
            outcomes.append(name)
        except workflow.TransitionRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    calls = {
        "rejected": lambda s: review.decide(s, reviewer=reviewer, decision=t.REJECT, reason_codes=["SIG_NEUTRAL"]),
        "withdrawn": lambda s: signature_services.signature_withdraw(signature=s, actor=owner_a),
    }
    threads = [threading.Thread(target=act, args=item) for item in calls.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) in (["refused", "rejected"], ["refused", "withdrawn"])
    final = Signature.objects.get(pk=signature.pk).status
    assert final in (t.REJECTED, t.WITHDRAWN)
    assert SignatureEvent.objects.filter(signature=signature, to_status__in=[t.REJECTED, t.WITHDRAWN]).count() == 1


def test_a_scheduled_task_releases_an_idle_claim(signature, owner_a, reviewer):
    signature = _submitted(signature, owner_a)
    review.claim(signature, reviewer=reviewer)
    review.release(signature, actor=None)
    assert (signature.status, signature.reviewer, signature.claimed_at) == (t.SUBMITTED, None, None)
    assert signature.events.latest("pk").actor_role == t.SYSTEM


def test_an_unknown_member_of_staff_without_a_role_makes_no_move(signature, owner_a):
    from .factories import UserFactory

    staff = UserFactory(email="nobody@platform.cn", is_staff=True)
    signature = _submitted(signature, owner_a)
    with pytest.raises(workflow.TransitionRefused, match="may not"):
        review.claim(signature, reviewer=staff)


def test_members_of_the_organization_act_as_customers_and_not_another_organizations(org_a, signature):
    member = MembershipFactory(organization=org_a, role="member").user
    signature_services.signature_withdraw(signature=signature, actor=member)
    assert signature.events.latest("pk").actor_role == t.CUSTOMER


def test_approval_needs_every_item_satisfied_and_the_decision_keeps_the_checklist(signature, owner_a, reviewer):
    signature = _submitted(signature, owner_a)
    review.claim(signature, reviewer=reviewer)
    with pytest.raises(workflow.TransitionRefused, match="Not satisfied: The text names the sender plainly"):
        review.decide(signature, reviewer=reviewer, decision=t.APPROVE, ticked=())
    assert Signature.objects.get(pk=signature.pk).status == t.IN_REVIEW
    review.decide(signature, reviewer=reviewer, decision=t.APPROVE, ticked=manual_codes(signature))
    record = signature.events.latest("pk").record
    assert record["checklist"] == {"SIG_RULES": "passed", "SIG_EVIDENCE": "passed", "SIG_IDENTIFIES": "ticked"}
    assert record["policy_keys"] == list(review.current_policy_keys()) and record["policy_keys"]
    assert record["snapshot"]["fields"]["text"] == "百度"


def test_approval_is_refused_while_an_automatic_item_fails(signature, owner_a, reviewer):
    from qualifications.models import Document

    signature = _submitted(signature, owner_a)
    review.claim(signature, reviewer=reviewer)
    Document.objects.filter(entity=signature.entity, kind="entity_certificate").delete()  # the package broke
    with pytest.raises(workflow.TransitionRefused, match="Not satisfied: Its evidence is complete"):
        review.decide(signature, reviewer=reviewer, decision=t.APPROVE, ticked=manual_codes(signature))


def test_the_beat_task_releases_claims_left_idle_and_leaves_fresh_ones(signature, owner_a, reviewer, settings):
    import datetime as dt

    from django.utils import timezone

    from review import tasks

    signature = _submitted(signature, owner_a)
    review.claim(signature, reviewer=reviewer)
    assert tasks.release_idle_claims() == 0  # claimed a moment ago
    Signature.objects.filter(pk=signature.pk).update(
        claimed_at=timezone.now() - dt.timedelta(hours=settings.REVIEW_CLAIM_IDLE_HOURS, minutes=1)
    )
    assert tasks.release_idle_claims() == 1
    signature.refresh_from_db()
    assert (signature.status, signature.reviewer) == (t.SUBMITTED, None)
    assert signature.events.latest("pk").actor_role == t.SYSTEM


def test_a_rejected_package_is_sent_again_but_a_rejected_signature_is_over(org_a, owner_a, reviewer, signature):
    from qualifications import services as qualification_services

    from .factories import walk

    package = qualification_services.package_submit(entity=signature.entity, user=owner_a)
    walk(package, t.REJECTED, reviewer=reviewer, codes=["REV_LICENCE_ILLEGIBLE"])
    qualification_services.package_submit(entity=signature.entity, user=owner_a)
    package.refresh_from_db()
    assert package.status == t.SUBMITTED and package.events.latest("pk").action == t.RESUBMIT
    signature = _submitted(signature, owner_a)
    walk(signature, t.REJECTED, reviewer=reviewer)
    with pytest.raises(workflow.TransitionRefused):
        workflow.move(signature, action=t.RESUBMIT, to_status=t.SUBMITTED, actor=owner_a)


def test_a_reviewer_who_is_a_member_of_the_organization_cannot_review_its_application(org_a, signature, owner_a):
    from accounts import roles

    from .factories import MembershipFactory

    insider = make_staff("insider@platform.cn", roles.REVIEWER)
    MembershipFactory(user=insider, organization=org_a, role="member")
    signature = _submitted(signature, owner_a)
    with pytest.raises(workflow.TransitionRefused, match="your own organization"):
        review.claim(signature, reviewer=insider)
    assert Signature.objects.get(pk=signature.pk).status == t.SUBMITTED


def test_withdrawing_under_review_ends_the_claim(signature, owner_a, reviewer):
    signature = _submitted(signature, owner_a)
    review.claim(signature, reviewer=reviewer)
    signature_services.signature_withdraw(signature=signature, actor=owner_a)
    assert (signature.status, signature.reviewer, signature.claimed_at) == (t.WITHDRAWN, None, None)


def test_an_approval_keeps_no_reason_code(signature, owner_a, reviewer):
    signature = _submitted(signature, owner_a)
    review.claim(signature, reviewer=reviewer)
    review.decide(signature, reviewer=reviewer, decision=t.APPROVE, reason_codes=["SIG_NEUTRAL"],
                  ticked=manual_codes(signature))  # fmt: skip
    assert signature.events.latest("pk").reason_codes == []


def test_only_the_reviewer_holding_a_claim_releases_it(signature, owner_a, reviewer):
    from accounts import roles

    other = make_staff("other-releaser@platform.cn", roles.REVIEWER)
    signature = _submitted(signature, owner_a)
    review.claim(signature, reviewer=reviewer)
    with pytest.raises(workflow.TransitionRefused, match="only they release it"):
        review.release(Signature.objects.get(pk=signature.pk), actor=other)
    assert Signature.objects.get(pk=signature.pk).reviewer == reviewer
