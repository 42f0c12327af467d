"""The rule-change run on real worker processes (issue 12, "Reliability"), on every pass: SQLite with kombu's
filesystem broker, and PostgreSQL with Redis.

- Publishing through the shared test worker: the notice reaches the customer's inbox and e-mail.
- A run over 5,000 organizations on two workers of the test's own, one killed (SIGKILL) in the middle of a
  chunk and one in the middle of writing the notices, each started again: every affected organization
  ends with exactly one notice, listing exactly its items.
- Two workers take the chunks of one run at once: both do some, and the result is the one-process dry
  run's, with no duplicates.
"""

import contextlib
import datetime as dt
import socket
import time

import pytest
from django.utils import timezone

from accounts.models import Organization
from announcements import services
from announcements.models import Announcement, ImpactChunk, ImpactItem, ImpactRun
from compliance import transitions as t
from notices.models import Notice
from policies.models import Policy
from qualifications.models import Entity
from signatures.models import Signature
from templates_app.models import SmsTemplate

from .conftest import wait_for
from .workers import Worker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

APP_RULE = "2026-05-01-no-app-names"
KEY = f"policy:{APP_RULE}"


@pytest.fixture(autouse=True)
def builtin_policies(transactional_db):
    """The built-in timeline's rows (a data migration's), which the flush after a transactional test removed."""
    from compliance import BUILTIN_CHANGES

    for change in BUILTIN_CHANGES:
        params = {
            name: sorted(value) if isinstance(value, frozenset) else value for name, value in change.params.items()
        }
        Policy.objects.get_or_create(key=change.key, defaults={
            "effective": change.effective, "carriers": sorted(change.carriers), "notice": change.notice,
            "summary_zh": change.summary_zh, "summary_en": change.summary_en, "params": params, "builtin": True,
        })  # fmt: skip


def build(organizations: int, *, affected_every: int = 4) -> set[int]:
    """Organizations with an entity, a signature and (every other one) a template each, in bulk; every
    ``affected_every``-th signature an app name approved before 2026-05-01 (the rule breaks it). Returns the
    affected signatures' ids."""
    orgs = Organization.objects.bulk_create(Organization(name=f"压测{i:05d}有限公司") for i in range(organizations))
    entities = Entity.objects.bulk_create(
        Entity(organization=org, name=org.name, uscc=f"91350100{i:010d}", legal_rep_name="张三",
               legal_rep_id_number="11010519491231002X", is_own=True)
        for i, org in enumerate(orgs)
    )  # fmt: skip
    signatures = Signature.objects.bulk_create(
        Signature(organization=org, entity=entity, status=t.APPROVED, text=f"压测应用{i:05d}" if i % affected_every == 0
                  else org.name, source="app_name" if i % affected_every == 0 else "full_name")
        for i, (org, entity) in enumerate(zip(orgs, entities, strict=True))
    )  # fmt: skip
    SmsTemplate.objects.bulk_create(
        SmsTemplate(organization_id=s.organization_id, signature=s, kind="notification", name="通知",
                    text=f"您的订单{i}已发货。", status=t.APPROVED)
        for i, s in enumerate(signatures) if i % 2 == 0
    )  # fmt: skip
    return {s.pk for i, s in enumerate(signatures) if i % affected_every == 0}


def announcement() -> Announcement:
    return services.announcement_save(announcement=Announcement(policy=Policy.objects.get(key=APP_RULE)), actor=None)


def state() -> tuple:
    run = ImpactRun.objects.filter(dry_run=False).first()
    return run and (run.status, run.finaliser_worker, run.notified_through)


def host(worker: Worker) -> str:
    return f"{socket.gethostname()}:{worker.pid}"


def assert_one_notice_each(affected: set[int]):
    """Every organization has exactly one notice of the change: the affected ones an alarm listing exactly
    their signature, the others the announcement without items."""
    rows = list(Notice.objects.filter(key=KEY).values_list("organization", "severity", "items"))
    assert len(rows) == len({org for org, _s, _i in rows}) == Organization.objects.count()
    listed = {item["id"]: org for org, severity, items in rows if severity == "alarm" for item in items}
    assert set(listed) == affected
    owners = dict(Signature.objects.filter(pk__in=affected).values_list("pk", "organization"))
    assert listed == owners
    assert all(items == [] for _org, severity, items in rows if severity == "info")
    assert ImpactItem.objects.filter(run__dry_run=False).count() == len(affected)


@pytest.fixture
def own_queue(settings):
    """A queue for the test's own workers: the shared worker, if running, never takes their tasks."""
    name = f"impact-test-{socket.gethostname()}-{time.monotonic_ns()}"
    settings.POLICY_IMPACT_QUEUE = name
    return name


@pytest.fixture
def workers(own_queue, tmp_path):
    started = []

    def start(name):
        worker = Worker(name, queue=own_queue, log_dir=tmp_path, env={"POLICY_IMPACT_QUEUE": own_queue}).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        with contextlib.suppress(ProcessLookupError):
            worker.resume()
        worker.stop()


def logs(started) -> str:
    return "\n\n".join(f"--- {w.name} ---\n{w.log()[-4000:]}" for w in started)


def test_publishing_through_the_worker_reaches_the_inbox_and_the_e_mail(celery_worker, org_a, owner_a, client):
    from .test_announcements import app_signature, entity_of

    sig = app_signature(org_a, entity_of(org_a, "甲科技有限公司", 1), "甲出行")
    services.run_start(announcement=announcement(), actor=None, dry_run=False)  # committed: sent to the worker
    done = wait_for(lambda: Announcement.objects.filter(status="published").exists(), timeout=60)
    assert done, celery_worker["log"].read_text()[-5000:]
    notice = Notice.objects.get(organization=org_a, key=KEY)
    assert [item["id"] for item in notice.items] == [sig.pk]
    client.force_login(owner_a)
    page = client.get(f"/o/{org_a.pk}/notices/{notice.pk}/").content.decode()
    assert "签名【甲出行】" in page and "SIG_SOURCE_NOT_ACCEPTED" in page

    def mail():
        for path in sorted(celery_worker["mail_dir"].glob("*.log")):
            text = path.read_text()
            if f"To: {owner_a.email}" in text and "甲出行" in text:
                return text
        return None

    assert wait_for(mail, timeout=60), celery_worker["log"].read_text()[-5000:]


def _pause_holding(worker: Worker, held, timeout=60.0) -> bool:
    """Pause ``worker`` at a moment ``held()`` says it holds the work (polled as fast as the database
    answers), and check again once it is paused: True when it is stopped in the middle of it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if held():
            worker.pause()
            if held():
                return True
            worker.resume()  # it finished in between: try again at the next chance
        time.sleep(0.002)
    return False


def test_a_worker_killed_in_the_middle_of_a_run_over_5000_organizations(workers, settings):
    settings.POLICY_IMPACT_CHUNK_SIZE = 250
    affected = build(5000)
    a, b = workers("killed"), workers("steady")
    run = services.run_start(announcement=announcement(), actor=None, dry_run=False)
    assert run.chunks_total == 20 + 10  # 5,000 signatures, 2,500 templates

    # 1. Kill a worker in the middle of a chunk: its claim stays, nobody else takes the chunk until the sweep.
    def a_holds_a_chunk():
        return (
            ImpactChunk.objects.filter(run=run, status="running", worker=host(a)).values_list("pk", flat=True).first()
        )

    assert _pause_holding(a, a_holds_a_chunk), logs([a, b])
    dead_chunk = a_holds_a_chunk()
    a.kill()
    again = workers("started-again")
    assert wait_for(lambda: not ImpactChunk.objects.filter(run=run).exclude(status="done").exclude(pk=dead_chunk)
                    .exists(), timeout=120), logs([a, b, again])  # fmt: skip
    time.sleep(1)
    assert ImpactChunk.objects.get(pk=dead_chunk).status == "running"  # held by the dead worker
    assert ImpactRun.objects.get(pk=run.pk).status == "running" and not Notice.objects.exists()

    # The sweep, once the claim has timed out, gives the chunk back; the run goes on to its notices.
    later = timezone.now() + services.claim_timeout() + dt.timedelta(seconds=1)
    assert services.sweep(now=later) == ([dead_chunk], [])
    services.send([dead_chunk], [])

    # 2. Kill the worker that writes the notices, in the middle of them.
    def finaliser():
        status, worker, through = state()
        holder = next((w for w in (b, again) if worker == host(w)), None)
        return holder if status == "finalising" and through and holder else None

    holder = wait_for(finaliser, timeout=120)
    assert holder, logs([b, again])
    assert _pause_holding(holder, lambda: finaliser() is holder and Notice.objects.filter(key=KEY).count() < 5000)
    stopped_at = state()[2]
    holder.kill()
    workers("finaliser-again")
    later = timezone.now() + services.claim_timeout() + dt.timedelta(seconds=1)
    assert services.sweep(now=later) == ([], [run.pk])
    services.send([], [run.pk])
    assert wait_for(lambda: state()[0] == "done", timeout=180), logs([b, again])

    assert_one_notice_each(affected)
    assert ImpactChunk.objects.get(pk=dead_chunk).attempts == 2
    assert 0 < stopped_at < Organization.objects.order_by("-pk").values_list("pk", flat=True).first()
    assert Announcement.objects.get().status == "published"


def test_two_workers_take_the_chunks_of_one_run_at_once_with_no_duplicates(workers, settings):
    # Small chunks, so that the run outlasts the filesystem broker's polling interval (a second): the worker
    # that found the queue empty looks again and joins in.
    settings.POLICY_IMPACT_CHUNK_SIZE = 25
    affected = build(3000, affected_every=3)
    expected = services.run_inline(services.run_start(announcement=announcement(), actor=None, dry_run=True,
                                                      enqueue=False))  # fmt: skip
    expected = sorted(expected.items.values_list("kind", "object_id", "organization", "codes"))
    a, b = workers("first"), workers("second")
    run = services.run_start(announcement=Announcement.objects.get(), actor=None, dry_run=False)
    assert wait_for(lambda: state()[0] == "done", timeout=180), logs([a, b])
    found = sorted(ImpactItem.objects.filter(run=run).values_list("kind", "object_id", "organization", "codes"))
    assert found == expected and len(found) == len(affected)
    by_worker = set(ImpactChunk.objects.filter(run=run).values_list("worker", flat=True))
    assert by_worker >= {host(a), host(b)}, by_worker  # both took chunks
    assert not ImpactChunk.objects.filter(run=run).exclude(status="done").exists()
    assert not ImpactChunk.objects.filter(run=run, attempts__gt=1).exists()
    assert_one_notice_each(affected)
