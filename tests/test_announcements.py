"""The rule-change run in one process (issue 12, section 1): an announcement's dry run counts exactly what the
change breaks; publishing writes one notice per organization (the alarm listing exactly its items to the
affected, the announcement for information to the others) and a digest per account manager; a re-run, a
chunk done twice and two finalisers write nothing twice; a chunk whose worker died is resumed; reminders
go to those who have not acknowledged; the command; the admin's pages. The worker processes:
tests/test_announcements_workers.py."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from announcements import selectors, services
from announcements.models import Announcement, ImpactChunk, ImpactItem, ImpactRun
from compliance import transitions as t
from notices import services as notices
from notices.models import Notice
from policies.models import Policy
from qualifications.models import IcpApp, OwnedAddress
from signatures.models import Signature
from templates_app.models import SmsTemplate

from .conftest import make_staff, otp_login
from .factories import MembershipFactory, make_entity

pytestmark = pytest.mark.django_db

APP_RULE = "2026-05-01-no-app-names"
NO_LINKS = "2027-01-01-telecom-no-links"


def entity_of(org, name, n, **fields):
    return make_entity(organization=org, name=name, uscc=f"9111000080210{n:05d}", legal_rep_name="张三",
                       legal_rep_id_number="11010519491231002X", **fields)  # fmt: skip


def signature(org, entity, text, *, source="full_name", status=t.APPROVED, app=None):
    """A signature row as the services leave it (the run reads rows; the services have their own tests)."""
    return Signature.objects.create(organization=org, entity=entity, source=source, text=text, status=status, app=app)


def app_signature(org, entity, text, *, status=t.APPROVED):
    """An app-name signature approved before 2026-05-01, when app names still counted."""
    app = IcpApp.objects.create(
        entity=entity, name=text, icp_number=f"京ICP备{len(text)}号", filing_subject=entity.name
    )
    return signature(org, entity, text, source="app_name", status=status, app=app)


def template(org, sig, text, *, status=t.APPROVED, name="通知"):
    return SmsTemplate.objects.create(organization=org, signature=sig, kind="notification", name=name, text=text,
                                      status=status)  # fmt: skip


@pytest.fixture
def world(org_a, org_b, owner_a, account_manager):
    """Organization A: two app-name signatures the 2026-05-01 rule breaks (one approved, one in review), one it
    leaves alone (withdrawn: not live), one broken before the rule and by it (a digit); a full-name one. B:
    a full-name signature only (unaffected). C: a full-name signature of an entity outside mainland China
    (the same rule: SIG_NON_MAINLAND). A is followed by the account manager."""
    a = entity_of(org_a, "甲科技有限公司", 1)
    found = {
        "approved": app_signature(org_a, a, "甲出行"),
        "in_review": app_signature(org_a, a, "甲地图", status=t.IN_REVIEW),
        "withdrawn": app_signature(org_a, a, "甲音乐", status=t.WITHDRAWN),
        "digit": app_signature(org_a, a, "甲出行二号2"),
        "full_name": signature(org_a, a, "甲科技有限公司"),
    }
    b = entity_of(org_b, "乙网络有限公司", 2)
    found["b"] = signature(org_b, b, "乙网络有限公司")
    org_c = MembershipFactory(organization__name="丙贸易有限公司").organization
    c = entity_of(org_c, "香港丙贸易有限公司", 3, mainland=False)
    found["c"] = signature(org_c, c, "香港丙贸易有限公司")
    found["org_c"] = org_c
    return found


def announcement_of(key, **fields) -> Announcement:
    policy = Policy.objects.get(key=key)
    return services.announcement_save(announcement=Announcement(policy=policy, **fields), actor=None)


def dry_run(key) -> ImpactRun:
    announcement = Announcement.objects.filter(policy__key=key).first() or announcement_of(key)
    run = services.run_start(announcement=announcement, actor=None, dry_run=True, enqueue=False)
    return services.run_inline(run)


def publish(key) -> ImpactRun:
    announcement = Announcement.objects.filter(policy__key=key).first() or announcement_of(key)
    run = services.run_start(announcement=announcement, actor=None, dry_run=False, enqueue=False)
    return services.run_inline(run)


def found_items(run):
    return {(i.kind, i.object_id): i.codes for i in run.items.all()}


# --- the dry run ----------------------------------------------------------------------------------------


def test_the_dry_run_counts_exactly_what_the_app_name_rule_breaks_and_sends_nothing(world):
    run = dry_run(APP_RULE)
    assert run.status == ImpactRun.Status.DONE and run.dry_run
    assert found_items(run) == {
        ("signature", world["approved"].pk): ["SIG_SOURCE_NOT_ACCEPTED"],
        ("signature", world["in_review"].pk): ["SIG_SOURCE_NOT_ACCEPTED"],
        # The digit broke a rule before 2026-05-01 too: only what the change adds is listed.
        ("signature", world["digit"].pk): ["SIG_SOURCE_NOT_ACCEPTED"],
        ("signature", world["c"].pk): ["SIG_NON_MAINLAND"],
    }
    findings = selectors.findings(run)
    assert (findings.signatures, findings.templates, findings.organizations) == (4, 0, 2)
    assert selectors.progress(run).checked == 6  # the withdrawn one is not live
    assert not Notice.objects.exists()
    assert Announcement.objects.get().status == Announcement.Status.DRAFT
    # What to do depends on where the application is (compliance.signatures.withdrawn_source_warning).
    approved = run.items.get(object_id=world["approved"].pk)
    assert "运营商可能清理此签名" in approved.reason_zh and "Carriers may clear this signature" in approved.reason_en
    in_review = run.items.get(object_id=world["in_review"].pk)
    assert "请您撤回" in in_review.reason_zh


@pytest.fixture
def no_links(db):
    """A later change of a policy admin: Telecom allows no link at all from 2027-01-01."""
    return Policy.objects.create(key=NO_LINKS, effective=dt.date(2027, 1, 1), carriers=["telecom"], notice="2026.12.1",
                                 summary_zh="电信：模板不得含链接", summary_en="Telecom: no links in templates",
                                 params={"template_max_links": 0})  # fmt: skip


def test_a_template_rule_lists_the_templates_it_breaks_at_its_carrier_and_no_signature(org_a, no_links):
    entity = entity_of(org_a, "甲科技有限公司", 1)
    OwnedAddress.objects.create(entity=entity, kind="domain", value="alpha.cn")
    OwnedAddress.objects.create(entity=entity, kind="domain", value="alpha-shop.cn")
    sig = signature(org_a, entity, "甲科技有限公司")
    link = template(org_a, sig, "您的订单已发货，详见 https://shop.alpha.cn/o 。", name="发货")
    plain = template(org_a, sig, "您的订单${order}已发货，请留意查收。", name="到货")
    # Two links broke Telecom's rule of one link before; no link at all now is the same error: not listed.
    other = signature(org_a, entity, "甲科技")
    two = template(org_a, other, "详见 https://alpha.cn/x 或 https://alpha-shop.cn/y 。", name="两个")
    draft = template(org_a, sig, "详见 https://shop.alpha.cn/d 。", status=t.DRAFT, name="草稿")
    run = dry_run(NO_LINKS)
    assert found_items(run) == {("template", link.pk): ["TPL_TOO_MANY_LINKS"]}
    item = run.items.get()
    assert item.carriers == ["telecom"] and "电信" in item.reason_zh and "Telecom" in item.reason_en
    assert item.label_zh == "模板「发货」v1（签名【甲科技有限公司】）"
    assert (
        selectors.progress(run).checked == 5
    )  # two signatures (their rules unchanged: judged unaffected), three templates
    assert {plain.pk, two.pk, draft.pk}.isdisjoint(run.items.values_list("object_id", flat=True))


def test_a_version_replaced_by_an_approved_one_is_not_live(org_a, no_links):
    entity = entity_of(org_a, "甲科技有限公司", 1)
    OwnedAddress.objects.create(entity=entity, kind="domain", value="alpha.cn")
    sig = signature(org_a, entity, "甲科技有限公司")
    old = template(org_a, sig, "详见 https://shop.alpha.cn/o 。")
    new = SmsTemplate.objects.create(organization=org_a, signature=sig, kind="notification", name="通知",
                                     text="您的订单已发货。", status=t.APPROVED, version=2, previous=old)  # fmt: skip
    run = dry_run(NO_LINKS)
    assert found_items(run) == {} and selectors.progress(run).checked == 2
    assert new.pk


# --- publishing -------------------------------------------------------------------------------------------


def test_publishing_writes_one_notice_per_organization_and_a_digest_per_manager(world, org_a, org_b, owner_a,
                                                                               account_manager):  # fmt: skip
    announcement = announcement_of(APP_RULE, title_zh="应用名称不再作为签名来源", title_en="App names no longer count",
                                   body_zh="请尽快处理。", body_en="Please act soon.")  # fmt: skip
    run = publish(APP_RULE)
    announcement.refresh_from_db()
    assert (run.status, announcement.status) == (ImpactRun.Status.DONE, Announcement.Status.PUBLISHED)
    key = f"policy:{APP_RULE}"
    alarm = Notice.objects.get(organization=org_a, key=key)
    assert (alarm.severity, alarm.deadline, alarm.needs_ack, alarm.kind) == ("alarm", dt.date(2026, 5, 1), True,
                                                                             "rule_change")  # fmt: skip
    assert [(i["id"], i["codes"]) for i in alarm.items] == [
        (world["approved"].pk, ["SIG_SOURCE_NOT_ACCEPTED"]), (world["in_review"].pk, ["SIG_SOURCE_NOT_ACCEPTED"]),
        (world["digit"].pk, ["SIG_SOURCE_NOT_ACCEPTED"]),
    ]  # fmt: skip
    assert alarm.items[0]["url"] == reverse("org:signature-detail", args=[org_a.pk, world["approved"].pk])
    assert alarm.items[0]["label"] == "签名【甲出行】"
    assert alarm.subject_zh.startswith("规则变更：应用名称不再作为签名来源（3 项受影响，截止 2026-05-01）")
    assert alarm.body_zh.startswith("请尽快处理。") and "App names no longer count" in alarm.subject_en
    assert Notice.objects.get(organization=world["org_c"], key=key).items[0]["codes"] == ["SIG_NON_MAINLAND"]
    info = Notice.objects.get(organization=org_b, key=key)
    assert (info.severity, info.items, info.needs_ack, info.deadline) == ("info", [], False, None)
    assert "无需处理" in info.body_zh
    # Every organization once; the members' e-mails with each.
    assert Notice.objects.filter(key=key).count() == 3
    assert alarm.deliveries.filter(channel="email", recipient=owner_a.email).exists()
    digest = Notice.objects.get(user=account_manager, key=f"{key}:digest")
    assert [item["label"] for item in digest.items] == [org_a.name]  # C has no manager, B is unaffected
    assert "3 个签名、0 个模板受影响" in digest.items[0]["reason_zh"]
    assert alarm.data["policy"]["key"] == APP_RULE and alarm.event_type == "policy.announced"


def test_a_run_done_again_writes_nothing_twice(world):
    run = publish(APP_RULE)
    notices_before = Notice.objects.count()
    items_before = ImpactItem.objects.count()
    # A redelivered chunk message, a second finaliser message: nothing to claim.
    assert not services.chunk_process(chunk_id=run.chunks.first().pk)
    assert not services.run_finalise(run_id=run.pk)
    # Even a chunk and the finaliser done again from the start (a crash before their marks): no double effect.
    ImpactChunk.objects.filter(run=run).update(status=ImpactChunk.Status.PENDING)
    ImpactRun.objects.filter(pk=run.pk).update(status=ImpactRun.Status.RUNNING, finaliser="", notified_through=0)
    services.run_inline(run)
    assert (Notice.objects.count(), ImpactItem.objects.count()) == (notices_before, items_before)
    run.refresh_from_db()
    assert run.status == ImpactRun.Status.DONE
    with pytest.raises(ValidationError):  # published once
        services.run_start(announcement=run.announcement, actor=None, dry_run=False, enqueue=False)


@pytest.fixture
def small_chunks(settings):
    settings.POLICY_IMPACT_CHUNK_SIZE = 2


def test_a_chunk_whose_worker_died_is_resumed_after_the_claim_timeout(world, small_chunks):
    announcement = announcement_of(APP_RULE)
    run = services.run_start(announcement=announcement, actor=None, dry_run=False, enqueue=False)
    assert run.chunks_total == 3 and run.items_planned == 6
    first, *rest = run.chunks.order_by("first_id")
    # A worker claimed the first chunk and died.
    assert ImpactChunk.objects.filter(pk=first.pk).update(status="running", claim="dead", worker="gone:1",
                                                          claimed_at=timezone.now(), attempts=1)  # fmt: skip
    for chunk in rest:
        assert services.chunk_process(chunk_id=chunk.pk)
    run.refresh_from_db()
    assert run.status == ImpactRun.Status.RUNNING and not Notice.objects.exists()
    assert services.sweep() == ([], [])  # within the timeout: the worker may still be at it
    later = timezone.now() + services.claim_timeout() + dt.timedelta(seconds=1)
    chunk_ids, run_ids = services.sweep(now=later)
    assert (chunk_ids, run_ids) == ([first.pk], [])
    # The dead worker, had it been only slow, may no longer record: its claim is gone.
    assert services.chunk_process(chunk_id=first.pk)  # the next worker's
    run.refresh_from_db()
    assert run.status == ImpactRun.Status.FINALISING  # the last chunk done hands the run to the finaliser
    assert services.run_finalise(run_id=run.pk)
    assert Notice.objects.filter(key=f"policy:{APP_RULE}", severity="alarm").count() == 2
    assert ImpactChunk.objects.get(pk=first.pk).attempts == 2


def test_a_slow_worker_whose_claim_was_released_records_nothing(world, small_chunks):
    announcement = announcement_of(APP_RULE)
    run = services.run_start(announcement=announcement, actor=None, dry_run=True, enqueue=False)
    chunk = run.chunks.order_by("first_id").first()
    # Claimed by a slow worker; the sweep released it; another claimed it: the first one's mark is refused.
    ImpactChunk.objects.filter(pk=chunk.pk).update(status="running", claim="slow", claimed_at=timezone.now())
    services.sweep(now=timezone.now() + services.claim_timeout() + dt.timedelta(seconds=1))
    assert ImpactChunk.objects.get(pk=chunk.pk).status == "pending"
    assert services.chunk_process(chunk_id=chunk.pk)
    assert not ImpactChunk.objects.filter(pk=chunk.pk, claim="slow").update(status="done")
    assert ImpactItem.objects.filter(run=run).count() == ImpactChunk.objects.get(pk=chunk.pk).affected


def test_a_chunk_that_keeps_failing_is_marked_failed_not_retried_for_ever(world, small_chunks):
    run = services.run_start(announcement=announcement_of(APP_RULE), actor=None, dry_run=True, enqueue=False)
    chunk = run.chunks.first()
    long_ago = timezone.now() - services.claim_timeout() - dt.timedelta(seconds=1)
    ImpactChunk.objects.filter(pk=chunk.pk).update(status="running", claimed_at=long_ago, attempts=3)
    assert chunk.pk not in services.sweep()[0]
    assert ImpactChunk.objects.get(pk=chunk.pk).status == "failed"
    assert selectors.progress(run).chunks_failed == 1


def test_a_finaliser_that_stopped_is_resumed_where_it_stopped_and_two_never_write_twice(world, small_chunks):
    announcement = announcement_of(APP_RULE)
    run = services.run_start(announcement=announcement, actor=None, dry_run=False, enqueue=False)
    for chunk in run.chunks.all():
        services.chunk_process(chunk_id=chunk.pk)
    # A finaliser holds the run (fresh heartbeat): a second is turned away.
    ImpactRun.objects.filter(pk=run.pk).update(finaliser="other", finaliser_heartbeat=timezone.now())
    assert not services.run_finalise(run_id=run.pk)
    # It got through the first organization, then died: the sweep sends the finaliser again after the timeout.
    from accounts.models import Organization

    first = Organization.objects.order_by("pk").first()
    services.notify(organization=first, kind="rule_change", key=f"policy:{APP_RULE}",
                    subject=notices.Text("先写", "written first"))  # fmt: skip
    ImpactRun.objects.filter(pk=run.pk).update(notified_through=first.pk)
    later = timezone.now() + services.claim_timeout() + dt.timedelta(seconds=1)
    assert services.sweep(now=later) == ([], [run.pk])  # its claim released
    assert services.run_finalise(run_id=run.pk)
    assert Notice.objects.filter(key=f"policy:{APP_RULE}").count() == Organization.objects.count()
    assert Notice.objects.get(organization=first, key=f"policy:{APP_RULE}").subject_zh == "先写"  # not written again


def test_a_run_whose_last_worker_died_before_finalising_is_finalised_by_the_sweep(world):
    run = services.run_start(announcement=announcement_of(APP_RULE), actor=None, dry_run=False, enqueue=False)
    ImpactChunk.objects.filter(run=run).update(status="done", finished_at=timezone.now())
    later = timezone.now() + services.STALLED_AFTER + dt.timedelta(seconds=1)
    assert services.sweep(now=later) == ([], [run.pk])
    assert services.run_finalise(run_id=run.pk)


def test_a_run_whose_messages_were_lost_is_sent_again_once_it_stalls(world, small_chunks):
    run = services.run_start(announcement=announcement_of(APP_RULE), actor=None, dry_run=True, enqueue=False)
    pending = sorted(run.chunks.values_list("pk", flat=True))
    assert services.sweep() == ([], [])
    assert services.sweep(now=timezone.now() + services.STALLED_AFTER + dt.timedelta(seconds=1)) == (pending, [])


# --- acknowledgements and reminders ---------------------------------------------------------------------


@pytest.fixture
def soon(db):
    """A change ten days from now (all carriers: no signature may have digits... again: the rule is new)."""
    return Policy.objects.create(key="soon-shorter", effective=timezone.localdate() + dt.timedelta(days=10),
                                 carriers=["mobile", "unicom", "telecom"], notice="2026.12.1",
                                 summary_zh="签名最多 4 个字", summary_en="Signatures of 4 characters at most",
                                 params={"max_length": 4})  # fmt: skip


def test_reminders_go_to_those_who_have_not_acknowledged_until_the_deadline(world, soon, org_a, owner_a, settings):
    settings.POLICY_REMINDER_DAYS = [7, 1]
    publish(soon.key)
    key = f"policy:{soon.key}"
    affected = set(Notice.objects.filter(key=key, needs_ack=True).values_list("organization", flat=True))
    assert org_a.pk in affected and len(affected) >= 2
    deadline = soon.effective
    assert services.reminders_send(today=deadline - dt.timedelta(days=8)) == 0  # not yet
    assert services.reminders_send(today=deadline - dt.timedelta(days=7)) == len(affected)
    assert services.reminders_send(today=deadline - dt.timedelta(days=6)) == 0  # each threshold once
    reminder = Notice.objects.get(organization=org_a, key=f"{key}:reminder:7")
    assert reminder.kind == "reminder" and reminder.items == Notice.objects.get(organization=org_a, key=key).items
    assert "还有 7 天" in reminder.subject_zh
    # A acknowledges; the others are reminded again a day before, A is not.
    assert notices.acknowledge(notice=Notice.objects.get(organization=org_a, key=key), user=owner_a)
    assert services.reminders_send(today=deadline - dt.timedelta(days=1)) == len(affected) - 1
    assert not Notice.objects.filter(organization=org_a, key=f"{key}:reminder:1").exists()
    assert services.reminders_send(today=deadline + dt.timedelta(days=1)) == 0  # past the deadline
    ack = selectors.acknowledgements(Announcement.objects.get(policy=soon))
    assert (ack.notified, ack.acknowledged, ack.waiting) == (len(affected), 1, len(affected) - 1)
    assert [n.organization_id for n in ack.acknowledged_rows] == [org_a.pk]


def test_a_threshold_already_past_when_published_is_not_sent(world, soon, settings):
    settings.POLICY_REMINDER_DAYS = [7, 1]
    Policy.objects.filter(pk=soon.pk).update(effective=timezone.localdate() + dt.timedelta(days=3))
    soon.refresh_from_db()
    publish(soon.key)
    assert services.reminders_send(today=soon.effective - dt.timedelta(days=2)) == 0  # the announcement was the 7
    assert services.reminders_send(today=soon.effective - dt.timedelta(days=1)) > 0


# --- the command -----------------------------------------------------------------------------------------


def test_the_command_prints_the_dry_run_s_counts_and_publishes_without_it(world, capsys):
    call_command("policy_impact", APP_RULE, "--dry-run")
    out = capsys.readouterr().out
    assert "Affected: 4 signatures, 0 templates, 2 organizations." in out
    assert re.search(rf"signature {world['approved'].pk} · Signature 【甲出行】 · .* · SIG_SOURCE_NOT_ACCEPTED", out)
    assert not Notice.objects.exists()
    call_command("policy_impact", APP_RULE)  # to the workers (none here): the run waits for them
    out = capsys.readouterr().out
    assert "Publishing: run" in out and "3 chunks" not in out
    assert Announcement.objects.get().status == Announcement.Status.PUBLISHING
    with pytest.raises(CommandError, match="publishing already"):
        call_command("policy_impact", APP_RULE)
    with pytest.raises(CommandError, match="No policy change"):
        call_command("policy_impact", "no-such-change", "--dry-run")


def test_the_command_publishes_here_when_asked(world, capsys):
    call_command("policy_impact", APP_RULE, "--here")
    assert "Published: 6 live items checked" in capsys.readouterr().out
    assert Notice.objects.filter(key=f"policy:{APP_RULE}", severity="alarm").count() == 2


# --- the admin -------------------------------------------------------------------------------------------


@pytest.fixture
def policy_admin(db):
    return make_staff("policy@platform.cn", roles.POLICY_ADMIN)


def test_a_policy_admin_writes_runs_the_dry_run_publishes_and_sees_who_acknowledged(client, policy_admin, world,
                                                                                    org_a, owner_a):  # fmt: skip
    assert otp_login(client, policy_admin).status_code == 302
    policy = Policy.objects.get(key=APP_RULE)
    response = client.post(reverse("admin:announcements_announcement_add"), {
        "policy": policy.pk, "title_zh": "应用名称不再作为签名来源", "title_en": "App names no longer count",
        "body_zh": "", "body_en": ""}, HTTP_ACCEPT_LANGUAGE="zh-hans")  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    announcement = Announcement.objects.get()
    assert announcement.created_by == policy_admin
    page = reverse("admin:announcements_announcement_change", args=[announcement.pk])
    html = client.get(page, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "2026-05-01" in html and 'data-testid="dry-run"' in html and 'data-testid="publish"' in html
    assert client.get(reverse("admin:announcements_announcement_dry_run", args=[announcement.pk])).status_code == 405
    assert client.post(reverse("admin:announcements_announcement_dry_run", args=[announcement.pk])).status_code == 302
    run = ImpactRun.objects.get(dry_run=True)
    progress = client.get(reverse("admin:announcements_announcement_progress", args=[announcement.pk])).json()
    assert progress["runs"][0]["chunks_total"] == run.chunks_total and not progress["runs"][0]["finished"]
    html = client.get(page, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f'data-run="{run.pk}" data-state="running"' in html and "<progress" in html
    services.run_inline(run)  # (the workers' part: tests/test_announcements_workers.py)
    html = client.get(page, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-signatures="4" data-templates="0" data-organizations="2"' in html
    assert "签名【甲出行】" in html and "SIG_SOURCE_NOT_ACCEPTED" in html
    assert client.post(reverse("admin:announcements_announcement_publish", args=[announcement.pk])).status_code == 302
    services.run_inline(ImpactRun.objects.get(dry_run=False))
    notice = Notice.objects.get(organization=org_a, key=f"policy:{APP_RULE}")
    notices.acknowledge(notice=notice, user=owner_a)
    html = client.get(page, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-notified="2" data-acknowledged="1"' in html
    assert re.search(r'data-testid="acknowledged"><li>' + re.escape(org_a.name), html)
    assert re.search(r'data-testid="not-acknowledged"><li>' + re.escape(world["org_c"].name), html)
    # Published, it is a record: read only, not deleted, not published again.
    assert 'name="title_zh"' not in html and 'data-testid="publish"' not in html
    delete = reverse("admin:announcements_announcement_delete", args=[announcement.pk])
    assert client.get(delete).status_code == 403


def test_staff_without_the_publishing_permission_may_not_run_or_publish(client, world, reviewer):
    announcement = announcement_of(APP_RULE)
    assert otp_login(client, reviewer).status_code == 302
    for name in ("dry_run", "publish"):
        assert (
            client.post(reverse(f"admin:announcements_announcement_{name}", args=[announcement.pk])).status_code == 403
        )
    assert client.get(reverse("admin:announcements_announcement_change", args=[announcement.pk])).status_code == 403
    assert not ImpactRun.objects.exists()


def test_a_change_whose_announcement_went_out_is_no_longer_edited(client, world, policy_admin):
    own = Policy.objects.create(key="later-rule", effective=dt.date(2027, 3, 1), carriers=["telecom"],
                                notice="2027.2.1", summary_zh="测试", summary_en="test",
                                params={"max_length": 10})  # fmt: skip
    announcement = announcement_of(own.key)
    assert otp_login(client, policy_admin).status_code == 302
    change = reverse("admin:policies_policy_change", args=[own.pk])
    assert 'name="summary_zh"' in client.get(change).content.decode()  # a draft announcement: still editable
    services.run_start(announcement=announcement, actor=policy_admin, dry_run=False, enqueue=False)
    assert 'name="summary_zh"' not in client.get(change).content.decode()
    # Nor deleted: the announcement holds it.
    assert client.post(reverse("admin:policies_policy_delete", args=[own.pk]), {"post": "yes"}).status_code != 302
    assert Policy.objects.filter(pk=own.pk).exists()
