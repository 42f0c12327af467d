"""Filings per carrier: opened by the approval, moved only through the one entry point by the roles the
table names, carried in batches with their working-day window, and templates following their
signature's clearance at each carrier (docs/filings.md)."""

import datetime as dt

import pytest
from django.utils import timezone

from compliance import filings as rules
from compliance import transitions as t
from filing_portal import workflow
from filings import services
from filings.models import CarrierBatch, Filing, FilingEvent
from signatures import services as signature_services
from templates_app import services as template_services

from .conftest import make_staff
from .factories import make_entity, walk
from .test_signatures import complete_package

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def clerk(db):
    from accounts import roles

    return make_staff("clerk@platform.cn", roles.FILING_CLERK)


def approved_signature(org, owner, text="百度"):
    entity = complete_package(make_entity(organization=org, name="北京百度网讯科技有限公司",
                                          uscc="91110000802100433B", legal_rep_name="李四"))  # fmt: skip
    draft = signature_services.Draft(entity=entity, source="abbreviation", text=text)
    signature = signature_services.signature_submit(organization=org, user=owner, draft=draft,
                                                    acknowledge_warnings=True)  # fmt: skip
    return walk(signature, t.APPROVED)


def approved_template(org, owner, signature, name="发货通知"):
    template = template_services.template_submit(
        organization=org,
        user=owner,
        signature=signature,
        kind="notification",
        name=name,
        text="您的订单${order}已发货。",
    )
    return walk(template, t.APPROVED)


@pytest.fixture
def signature(org_a, owner_a):
    return approved_signature(org_a, owner_a)


def states(application):
    return dict(application.filings.values_list("carrier", "status"))


def test_the_approval_opens_one_pending_filing_per_carrier_and_only_the_approval(signature, org_a, owner_a):
    assert states(signature) == {"mobile": t.PENDING, "unicom": t.PENDING, "telecom": t.PENDING}
    first = FilingEvent.objects.filter(filing__signature=signature).order_by("pk").first()
    assert (first.action, first.from_status, first.to_status, first.actor_role) == (t.CREATE, "", t.PENDING,
                                                                                   t.REVIEWER)  # fmt: skip
    assert services.open_filings(signature, actor=None) == []  # idempotent: each carrier once
    assert Filing.objects.filter(signature=signature).count() == 3
    # a template sent back for changes has none
    template = template_services.template_submit(organization=org_a, user=owner_a, signature=signature,
                                                 kind="notification", name="n", text="您的订单已发货。")  # fmt: skip
    walk(template, t.CHANGES_REQUESTED)
    assert not template.filings.exists()


FILING_MOVES = [m for m in t.MOVES if t.FILING in m.kinds and m.source]


@pytest.mark.parametrize("move", FILING_MOVES, ids=lambda m: f"{m.action}:{m.source}->{m.target}")
def test_each_filing_move_is_made_by_its_roles_and_refused_to_the_others(move, signature, clerk, owner_a,
                                                                          account_manager, reviewer):  # fmt: skip
    actors = {t.CUSTOMER: owner_a, t.REVIEWER: reviewer, t.ACCOUNT_MANAGER: account_manager, t.CLERK: clerk,
              t.SYSTEM: None}  # fmt: skip
    filing = signature.filings.get(carrier="telecom")
    codes = ("FIL_CARRIER_NO_REASON",) if move.reasons_required else ()
    for role, actor in actors.items():
        Filing.objects.filter(pk=filing.pk).update(status=move.source)
        filing.refresh_from_db()
        before = FilingEvent.objects.count()
        if role in move.roles:
            workflow.move(filing, action=move.action, to_status=move.target, actor=actor, reason_codes=codes)
            assert filing.status == move.target
            assert filing.events.latest("pk").actor_role == role
        else:
            with pytest.raises(workflow.TransitionRefused):
                workflow.move(filing, action=move.action, to_status=move.target, actor=actor, reason_codes=codes)
            assert Filing.objects.get(pk=filing.pk).status == move.source, role
            assert FilingEvent.objects.count() == before, role


def test_a_failure_or_clearance_needs_a_reason_code_of_the_filing_kind(signature, clerk):
    filing = signature.filings.get(carrier="mobile")
    Filing.objects.filter(pk=filing.pk).update(status=t.SUBMITTED)
    filing.refresh_from_db()
    with pytest.raises(workflow.TransitionRefused, match="reason"):
        services.record_outcome(filing, services.Outcome(filing.pk, t.FAILED), actor=clerk)
    with pytest.raises(workflow.TransitionRefused, match="Unknown reason code"):
        services.record_outcome(filing, services.Outcome(filing.pk, t.FAILED, ("REV_TEMPLATE_CONTENT",)), actor=clerk)
    assert Filing.objects.get(pk=filing.pk).status == t.SUBMITTED


def test_a_batch_takes_signatures_first_and_templates_only_where_their_signature_is_filed(
    signature, org_a, owner_a, clerk
):
    template = approved_template(org_a, owner_a, signature)
    batch = services.open_batch(carrier="telecom", actor=clerk)
    assert list(batch.filings.values_list("signature", "template")) == [(signature.pk, None)]
    # a second batch has nothing to take while the first is open
    with pytest.raises(workflow.TransitionRefused, match="Nothing waits"):
        services.open_batch(carrier="telecom", actor=clerk)
    services.submit_batch(batch, actor=clerk)
    filing = signature.filings.get(carrier="telecom")
    services.record_outcome(filing, services.Outcome(filing.pk, t.FILED, carrier_ref="DX-1"), actor=clerk)
    second = services.open_batch(carrier="telecom", actor=clerk)
    assert list(second.filings.values_list("template", flat=True)) == [template.pk]
    # Mobile has not filed the signature: its template waits there
    assert list(services.exportable("mobile").values_list("signature", flat=True)) == [signature.pk]


def test_only_a_clerk_opens_and_submits_a_batch(signature, reviewer, clerk):
    with pytest.raises(workflow.TransitionRefused):
        services.open_batch(carrier="telecom", actor=reviewer)
    batch = services.open_batch(carrier="telecom", actor=clerk)
    with pytest.raises(workflow.TransitionRefused):
        services.submit_batch(batch, actor=reviewer)
    assert states(signature)["telecom"] == t.PENDING
    assert CarrierBatch.objects.get(pk=batch.pk).submitted_at is None


def test_submitting_sets_the_window_in_working_days_and_overdue_follows_it(signature, clerk):
    batch = services.open_batch(carrier="unicom", actor=clerk)
    # Thursday 24 September 2026: Mid-Autumn (Friday 25 September) and the National Day holiday (1–7
    # October) lie in the window: three working days are 28, 29, 30 September; five reach 9 October
    at = timezone.make_aware(dt.datetime(2026, 9, 24, 10, 0))
    services.submit_batch(batch, actor=clerk, now=at)
    filing = signature.filings.get(carrier="unicom")
    assert filing.status == t.SUBMITTED
    assert (filing.due_from, filing.due_by, filing.due_exact) == (dt.date(2026, 9, 30), dt.date(2026, 10, 9), True)
    assert not rules.is_overdue(filing.status, filing.due_by, dt.date(2026, 10, 9))
    assert rules.is_overdue(filing.status, filing.due_by, dt.date(2026, 10, 10))
    with pytest.raises(workflow.TransitionRefused, match="already submitted"):
        services.submit_batch(batch, actor=clerk)


def test_a_window_beyond_the_known_calendar_is_an_estimate(signature, clerk):
    batch = services.open_batch(carrier="mobile", actor=clerk)
    services.submit_batch(batch, actor=clerk, now=timezone.make_aware(dt.datetime(2027, 3, 1, 10, 0)))
    filing = signature.filings.get(carrier="mobile")
    assert (filing.due_from, filing.due_by, filing.due_exact) == (dt.date(2027, 3, 4), dt.date(2027, 3, 8), False)


def _filed(application, carrier, clerk):
    filing = application.filings.get(carrier=carrier)
    if filing.status == t.PENDING:
        batch = services.open_batch(carrier=carrier, actor=clerk)
        services.submit_batch(batch, actor=clerk)
        filing.refresh_from_db()
    return services.record_outcome(filing, services.Outcome(filing.pk, t.FILED), actor=clerk)


def test_templates_follow_their_signature_cleared_at_one_carrier_and_back(signature, org_a, owner_a, clerk):
    template = approved_template(org_a, owner_a, signature)
    other = approved_template(org_a, owner_a, signature, name="另一个")
    for carrier in ("mobile", "telecom"):
        _filed(signature, carrier, clerk)
        _filed(template, carrier, clerk)
    # cleared at Telecom: the template filed there is affected, with the reason; Mobile is untouched;
    # the other template, sent in the same batch but with no result yet, waits for it
    cleared = signature.filings.get(carrier="telecom")
    services.record_outcome(cleared, services.Outcome(cleared.pk, t.CLEARED, ("FIL_CLEARED_INACTIVE",)), actor=clerk)
    assert states(template) == {"mobile": t.FILED, "unicom": t.PENDING, "telecom": t.AFFECTED}
    affected = template.filings.get(carrier="telecom")
    assert affected.reason_codes == ["FIL_SIGNATURE_CLEARED"]
    event = affected.events.latest("pk")
    assert (event.action, event.actor_role, event.reason_codes) == (t.AFFECT, t.SYSTEM, ["FIL_SIGNATURE_CLEARED"])
    assert states(other)["telecom"] == t.SUBMITTED
    assert rules.availability(states(template)).sentence(chinese=True) == "可用：移动；联通待提交；电信不可用"
    # re-filed and filed again: the affected template goes back to be filed
    services.refile(cleared, actor=clerk)
    _filed(signature, "telecom", clerk)
    assert states(template)["telecom"] == t.PENDING
    assert template.filings.get(carrier="telecom").reason_codes == []


def test_the_customer_reads_the_three_filings_as_one_sentence():
    mixed = rules.availability({"mobile": t.FILED, "unicom": t.FILED, "telecom": t.SUBMITTED})
    assert mixed.sentence(chinese=True) == "可用：移动、联通；电信报备中"
    assert mixed.sentence(chinese=False) == "Usable: Mobile, Unicom; Telecom being filed"
    assert rules.availability({c: t.FILED for c in ("mobile", "unicom", "telecom")}).everywhere
    assert rules.availability({}).sentence(chinese=True) == "移动、联通、电信待提交"
    waiting = {"mobile": t.PENDING, "unicom": t.SUBMITTED, "telecom": "waiting_signature"}
    assert rules.availability(waiting).sentence(chinese=False) == "Unicom being filed; Mobile, Telecom not sent yet"


def _mixed(signature, template, clerk):
    """Filed at Mobile and Unicom, failed at Telecom (signature); the template filed at Mobile."""
    from django.urls import reverse  # noqa: F401

    for carrier in ("mobile", "unicom", "telecom"):
        batch = services.open_batch(carrier=carrier, actor=clerk)
        services.submit_batch(batch, actor=clerk)
    for carrier in ("mobile", "unicom"):
        filing = signature.filings.get(carrier=carrier)
        services.record_outcome(filing, services.Outcome(filing.pk, t.FILED), actor=clerk)
    failed = signature.filings.get(carrier="telecom")
    services.record_outcome(failed, services.Outcome(failed.pk, t.FAILED, ("FIL_DOCUMENTS_NOT_ACCEPTED",),
                                                     note="执照模糊"), actor=clerk)  # fmt: skip
    _filed(template, "mobile", clerk)


def test_the_customer_sees_each_carrier_on_the_lists_and_pages_in_their_language(
    client, signature, org_a, owner_a, clerk
):
    from django.urls import reverse

    template = approved_template(org_a, owner_a, signature)
    _mixed(signature, template, clerk)
    client.force_login(owner_a)
    html = client.get(reverse("org:signature-list", args=[org_a.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-carrier="mobile" data-state="filed"' in html and 'data-carrier="telecom" data-state="failed"' in html
    assert "可用：移动、联通；电信不可用" in html
    html = client.get(reverse("org:template-list", args=[org_a.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    # Unicom filed the signature: the template waits to be sent there; Telecom did not: it waits for the signature
    assert 'data-carrier="mobile" data-state="filed"' in html
    assert 'data-carrier="unicom" data-state="pending"' in html
    assert 'data-carrier="telecom" data-state="waiting_signature"' in html
    html = client.get(reverse("org:signature-detail", args=[org_a.pk, signature.pk]),
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()  # fmt: skip
    assert "Usable: Mobile, Unicom; Telecom not usable" in html
    assert "The carrier did not accept the documents" in html  # the reason, where the filing is shown
    assert "China Telecom: With the carrier → China Telecom: Failed" in html  # the timeline, per carrier
    assert "执照模糊" in html
    html = client.get(reverse("org:template-detail", args=[org_a.pk, template.pk]),
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()  # fmt: skip
    assert "Waiting for its signature to be filed at this carrier" in html


def test_the_timeline_shows_when_each_carrier_is_expected(client, signature, owner_a, org_a, clerk):
    from django.urls import reverse

    batch = services.open_batch(carrier="telecom", actor=clerk)
    services.submit_batch(batch, actor=clerk, now=timezone.make_aware(dt.datetime(2026, 11, 30, 10, 0)))
    client.force_login(owner_a)
    html = client.get(reverse("org:signature-detail", args=[org_a.pk, signature.pk]),
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()  # fmt: skip
    expected = html.split('data-testid="timeline-expected"', 1)[1].split("</li>", 1)[0]
    assert "China Telecom: expected to be filed" in expected and "2026-12-03 – 2026-12-07" in expected


def test_another_organization_sees_none_of_the_filings(client, signature, org_a, owner_b):
    from django.urls import reverse

    client.force_login(owner_b)
    response = client.get(reverse("org:signature-detail", args=[org_a.pk, signature.pk]))
    assert response.status_code == 404


def test_staff_see_each_carrier_on_the_signature_and_template_admin_pages_in_chinese(
    client, signature, org_a, owner_a, clerk, reviewer
):
    from django.urls import reverse

    from .conftest import otp_login

    template = approved_template(org_a, owner_a, signature)
    _mixed(signature, template, clerk)
    otp_login(client, reviewer)
    html = client.get(reverse("admin:signatures_signature_change", args=[signature.pk]),
                      HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()  # fmt: skip
    assert "运营商报备" in html and "报备失败" in html and "运营商不认可资质材料 (FIL_DOCUMENTS_NOT_ACCEPTED)" in html
    html = client.get(reverse("admin:templates_app_smstemplate_change", args=[template.pk]),
                      HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()  # fmt: skip
    assert "已报备" in html and "待提交运营商" in html


def test_an_approved_signature_shows_three_pending_filings_with_the_window_if_sent_today(client, signature, owner_a,
                                                                                          org_a):  # fmt: skip
    import time_machine
    from django.urls import reverse

    client.force_login(owner_a)
    with time_machine.travel(dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)):
        html = client.get(reverse("org:signature-detail", args=[org_a.pk, signature.pk]),
                          HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()  # fmt: skip
    card = html.split('data-testid="carrier-filings"', 1)[1].split("</table>", 1)[0]
    assert card.count('data-state="pending"') == 3
    assert card.count("2026-12-03 – 2026-12-07") == 3 and card.count("若今日提交") == 3


def test_an_account_manager_re_files_their_customers_failed_filing_from_the_admin(client, signature, clerk,
                                                                                    account_manager):  # fmt: skip
    from django.urls import reverse

    from .conftest import otp_login

    failed = signature.filings.get(carrier="telecom")
    services.submit_batch(services.open_batch(carrier="telecom", actor=clerk), actor=clerk)
    failed.refresh_from_db()
    services.record_outcome(failed, services.Outcome(failed.pk, t.FAILED, ("FIL_CARRIER_NO_REASON",)), actor=clerk)
    pending = signature.filings.get(carrier="mobile")
    otp_login(client, account_manager)
    response = client.post(reverse("admin:filings_filing_changelist"),
                           {"action": "refile_selected", "_selected_action": [failed.pk, pending.pk]},
                           HTTP_ACCEPT_LANGUAGE="zh-hans", follow=True)  # fmt: skip
    assert "1 项已退回待报备；1 项保持不变。" in response.content.decode()
    assert states(signature) == {"mobile": t.PENDING, "unicom": t.PENDING, "telecom": t.PENDING}
    event = signature.filings.get(carrier="telecom").events.latest("pk")
    assert (event.action, event.actor_role) == (t.REFILE, t.ACCOUNT_MANAGER)


@pytest.fixture
def every_migration_after():
    """Back to every app's latest state after a test that moves one app's migrations: going back to filings/0001
    also undoes the later migrations that depend on it (notices/0002, 0003), which going forward to filings/0002
    alone does not redo."""
    yield
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_applications_approved_before_filings_their_three_from_their_history(
    every_migration_after, org_a, owner_a
):
    """filings/0002: an application the carriers had filed (issue 10 kept its old state in the history's
    ``legacy`` record) is filed at each carrier; one being filed is submitted on that day, with its
    window; any other approved one is pending."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from signatures.models import Signature, SignatureEvent

    entity = make_entity(organization=org_a, name="北京百度网讯科技有限公司", uscc="91110000802100433B",
                         legal_rep_name="李四")  # fmt: skip
    executor = MigrationExecutor(connection)
    executor.migrate([("filings", "0001_filings_and_batches")])
    at = timezone.make_aware(dt.datetime(2025, 12, 31, 10, 0))
    made = {}
    for text, legacy in (("百度", "active"), ("百度网讯", "filing"), ("百度科技", None)):
        signature = Signature.objects.create(organization=org_a, entity=entity, source="abbreviation", text=text,
                                             status=t.APPROVED)  # fmt: skip
        record = {"legacy": {"from": "approved", "to": legacy}} if legacy else {}
        SignatureEvent.objects.create(signature=signature, from_status=t.APPROVED, to_status=t.APPROVED, at=at,
                                      record=record)  # fmt: skip
        made[text] = signature
    executor = MigrationExecutor(connection)
    executor.migrate([("filings", "0002_filings_for_approved_applications")])
    assert set(states(made["百度"]).values()) == {t.FILED}
    assert set(states(made["百度科技"]).values()) == {t.PENDING}
    being_filed = made["百度网讯"].filings.all()
    assert {f.status for f in being_filed} == {t.SUBMITTED}
    # in a legacy batch of each carrier, handed over: the clerk records their results as for any batch
    assert all(f.batch and f.batch.carrier == f.carrier and f.batch.submitted_at for f in being_filed)
    # the history tells of the past: written as read by the notices
    assert not FilingEvent.objects.filter(processed_at__isnull=True).exists()
    # run again, it leaves what it made alone
    executor = MigrationExecutor(connection)
    executor.migrate([("filings", "0001_filings_and_batches")])
    executor = MigrationExecutor(connection)
    executor.migrate([("filings", "0002_filings_for_approved_applications")])
    assert Filing.objects.count() == 9
    assert {(f.due_from, f.due_by, f.due_exact) for f in being_filed} == {(dt.date(2026, 1, 6), dt.date(2026, 1, 8),
                                                                           True)}  # fmt: skip


def test_a_template_never_counts_as_filed_where_its_signature_was_cleared(signature, org_a, owner_a, clerk):
    """Cleared at Telecom: a template pending in a batch not yet handed over leaves it; one already with
    the carrier and then reported filed is affected at once (compliance.filings.template_may_file)."""
    template = approved_template(org_a, owner_a, signature)
    other = approved_template(org_a, owner_a, signature, name="另一个")
    _filed(signature, "telecom", clerk)
    sent = services.open_batch(carrier="telecom", actor=clerk)  # both templates
    services.submit_batch(sent, actor=clerk)
    Filing.objects.filter(template=other, carrier="telecom").update(status=t.PENDING, batch=None)
    waiting = services.open_batch(carrier="telecom", actor=clerk)  # the other one, not yet handed over
    cleared = signature.filings.get(carrier="telecom")
    services.record_outcome(cleared, services.Outcome(cleared.pk, t.CLEARED, ("FIL_CLEARED_INACTIVE",)), actor=clerk)
    assert other.filings.get(carrier="telecom").batch_id is None  # out of the open batch, waiting
    services.submit_batch(waiting, actor=clerk)
    assert other.filings.get(carrier="telecom").status == t.PENDING
    reported = template.filings.get(carrier="telecom")
    services.record_outcome(reported, services.Outcome(reported.pk, t.FILED), actor=clerk)
    assert template.filings.get(carrier="telecom").status == t.AFFECTED


def test_a_clerk_records_a_clearance_outside_any_batch_from_the_admin(client, signature, org_a, owner_a, clerk):
    from django.urls import reverse

    from .conftest import otp_login

    template = approved_template(org_a, owner_a, signature)
    _filed(signature, "mobile", clerk)
    _filed(template, "mobile", clerk)
    filed = signature.filings.get(carrier="mobile")
    otp_login(client, clerk)
    response = client.post(reverse("admin:filings_filing_changelist"),
                           {"action": "cleared_inactive", "_selected_action": [filed.pk]},
                           HTTP_ACCEPT_LANGUAGE="zh-hans", follow=True)  # fmt: skip
    assert "1 项已记为被运营商清理；0 项保持不变。" in response.content.decode()
    assert signature.filings.get(carrier="mobile").reason_codes == ["FIL_CLEARED_INACTIVE"]
    assert template.filings.get(carrier="mobile").status == t.AFFECTED
