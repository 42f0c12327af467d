"""Every write of the rule-change run: an announcement saved, a run started and cut into chunks, a chunk
claimed, re-checked and recorded, the run finalised into notices, the sweep that resumes what a dead
worker left, and the reminders (docs/notices.md, "The rule-change run").

The guarantees:
- **A chunk is done once.** A worker claims it by compare-and-set (pending → running, with a token of
  its own); it records its items and marks the chunk done in one transaction, only if it still holds
  the claim. Items are unique per run, kind and id, written with ``ignore_conflicts``: a chunk done again
  (a redelivered message, a claim released from a worker that was only slow) adds nothing.
- **A dead worker's chunk is resumed.** The sweep gives a chunk claimed longer ago than
  ``POLICY_IMPACT_CLAIM_TIMEOUT`` back to the others (the task's hard time limit is well inside it, so a
  live worker is never overtaken), and sends again the chunks of a run that has stalled.
- **One finaliser.** The worker that finishes the last chunk moves the run from running to finalising
  by a conditional UPDATE: one wins. The finaliser holds the run by a token and a heartbeat, and walks
  the organizations in batches, each batch one transaction that also records how far it got; one that
  died is resumed there by the sweep.
- **One notice per organization.** notices.services.notify writes nothing for an organization that
  already has the key ``policy:<key>``: a finaliser run twice, or two at once, writes each notice once.
"""

import datetime as dt
import logging
import os
import socket
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization
from compliance.carriers import CARRIERS
from notices.models import Notice
from notices.services import Text, notify

from . import recheck
from .models import Announcement, ImpactChunk, ImpactItem, ImpactRun

log = logging.getLogger(__name__)

# A run with no chunk claimed or finished for this long has lost its messages: they are sent again.
STALLED_AFTER = dt.timedelta(minutes=2)
# A chunk that failed this many times is left failed (the run says so) rather than tried for ever.
MAX_ATTEMPTS = 3
# Organizations notified per transaction by the finaliser.
NOTIFY_BATCH = 200


def claim_timeout() -> dt.timedelta:
    return dt.timedelta(seconds=settings.POLICY_IMPACT_CLAIM_TIMEOUT)


def worker_name() -> str:
    """This process, as the chunks and the finaliser record who holds them: host:pid."""
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


# --- the announcement -----------------------------------------------------------------------------------


def announcement_save(*, announcement: Announcement, actor) -> Announcement:
    """Write a new announcement, or change one not yet published. A published one is a record: refused."""
    with transaction.atomic():
        if announcement.pk is None:
            announcement.created_by = actor
            announcement.save()
            return announcement
        fields = ["policy", "title_zh", "title_en", "body_zh", "body_en"]
        values = {name: getattr(announcement, name) for name in fields}
        if not Announcement.objects.filter(pk=announcement.pk, status=Announcement.Status.DRAFT).update(**values):
            raise ValidationError(_("A published announcement cannot be changed."))
    return announcement


def _live_ids(queryset):
    return queryset.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=10_000)


def _plan(run: ImpactRun) -> list[ImpactChunk]:
    """Cut the live signatures and templates into ranges of about POLICY_IMPACT_CHUNK_SIZE items each."""
    size = max(1, settings.POLICY_IMPACT_CHUNK_SIZE)
    chunks = []
    for kind, queryset in ((ImpactChunk.Kind.SIGNATURE, recheck.live_signatures()),
                           (ImpactChunk.Kind.TEMPLATE, recheck.live_templates())):  # fmt: skip
        first = last = None
        count = 0
        for pk in _live_ids(queryset):
            if first is None:
                first = pk
            last, count = pk, count + 1
            if count == size:
                chunks.append(ImpactChunk(run=run, kind=kind, first_id=first, last_id=last, size=count))
                first, count = None, 0
        if count:
            chunks.append(ImpactChunk(run=run, kind=kind, first_id=first, last_id=last, size=count))
    return chunks


def run_start(*, announcement: Announcement, actor, dry_run: bool, enqueue: bool = True) -> ImpactRun:
    """Start a run over every live signature and template: a dry run (counts and a sample, no notice) or
    publishing (the announcement moves from draft to publishing, once). Its chunks are sent to the workers
    once the transaction commits (``enqueue=False``: the caller runs them, ``run_inline``)."""
    policy = announcement.policy
    with transaction.atomic():
        if dry_run:
            if not Announcement.objects.filter(pk=announcement.pk).exists():
                raise ValidationError(_("The announcement is gone."))
        else:
            moved = Announcement.objects.filter(pk=announcement.pk, status=Announcement.Status.DRAFT).update(
                status=Announcement.Status.PUBLISHING, published_by=actor, published_at=timezone.now()
            )
            if moved != 1:
                raise ValidationError(_("This announcement has been published already."))
        run = ImpactRun.objects.create(announcement=announcement, dry_run=dry_run, as_of=policy.effective,
                                       started_by=actor)  # fmt: skip
        chunks = ImpactChunk.objects.bulk_create(_plan(run), batch_size=1000)
        ImpactRun.objects.filter(pk=run.pk).update(chunks_total=len(chunks), items_planned=sum(c.size for c in chunks))
        if not chunks:  # nothing live: straight to the notices (everyone is unaffected)
            ImpactRun.objects.filter(pk=run.pk).update(status=ImpactRun.Status.FINALISING, finalising_at=timezone.now())
        if enqueue:
            ids = [c.pk for c in chunks]
            transaction.on_commit(lambda: send(ids, [] if ids else [run.pk]), robust=True)
    run.refresh_from_db()
    return run


def send(chunk_ids, run_ids) -> None:
    """Nudge the workers; a broker that is down only delays the run (the sweep sends them again)."""
    from .tasks import finalise_run, process_chunk

    queue = settings.POLICY_IMPACT_QUEUE
    try:
        for chunk_id in chunk_ids:
            process_chunk.apply_async((chunk_id,), retry=False, queue=queue)
        for run_id in run_ids:
            finalise_run.apply_async((run_id,), retry=False, queue=queue)
    except Exception:  # noqa: BLE001  (kombu's errors vary by transport; the rows are safe)
        log.warning("broker unavailable; the run's chunks wait for the sweep")


# --- a chunk --------------------------------------------------------------------------------------------


def chunk_process(*, chunk_id: int) -> bool:
    """Claim the chunk, re-check its items, record what the change breaks and mark it done; finalise the
    run if it was the last. False when there was nothing to claim (done, or another worker holds it)."""
    token = uuid.uuid4().hex
    claimed = ImpactChunk.objects.filter(pk=chunk_id, status=ImpactChunk.Status.PENDING).update(
        status=ImpactChunk.Status.RUNNING,
        claim=token,
        worker=worker_name(),
        claimed_at=timezone.now(),
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return False
    chunk = ImpactChunk.objects.select_related("run__announcement__policy").get(pk=chunk_id)
    run = chunk.run
    ctx = recheck.context(run.pk, run.announcement.policy.key, run.as_of)
    check = recheck.signatures if chunk.kind == ImpactChunk.Kind.SIGNATURE else recheck.templates_in
    checked, found = check(chunk.first_id, chunk.last_id, ctx)
    items = [ImpactItem(run_id=run.pk, kind=f.kind, object_id=f.object_id, organization_id=f.organization_id,
                        label_zh=f.label_zh[:300], label_en=f.label_en[:300], codes=f.codes, carriers=f.carriers,
                        reason_zh=f.reason_zh, reason_en=f.reason_en) for f in found]  # fmt: skip
    with transaction.atomic():
        done = ImpactChunk.objects.filter(pk=chunk_id, status=ImpactChunk.Status.RUNNING, claim=token).update(
            status=ImpactChunk.Status.DONE, checked=checked, affected=len(items), finished_at=timezone.now()
        )
        if not done:  # released meanwhile (this worker was taken for dead): the one that holds it records
            return False
        ImpactItem.objects.bulk_create(items, batch_size=500, ignore_conflicts=True)
    # After the commit, so that of two workers finishing the last two chunks at once, the later sees both.
    if _all_done(run.pk):
        _start_finalising(run.pk)
    return True


def _all_done(run_id) -> bool:
    return not ImpactChunk.objects.filter(run_id=run_id).exclude(status=ImpactChunk.Status.DONE).exists()


def _start_finalising(run_id) -> bool:
    """Running → finalising, by one worker only; that one sends the finaliser."""
    moved = ImpactRun.objects.filter(pk=run_id, status=ImpactRun.Status.RUNNING).update(
        status=ImpactRun.Status.FINALISING, finalising_at=timezone.now()
    )
    if moved:
        transaction.on_commit(lambda: send([], [run_id]), robust=True)
    return bool(moved)


# --- the finaliser --------------------------------------------------------------------------------------


def _carrier_phrase(codes) -> tuple[str, str]:
    codes = set(codes or ())
    if codes >= {c.code for c in CARRIERS}:
        return "所有运营商", "all carriers"
    named = [c for c in CARRIERS if c.code in codes]
    return "、".join(c.name_zh for c in named), ", ".join(c.name_en for c in named)


def announcement_texts(announcement: Announcement) -> dict:
    """What every notice of the announcement says, in both languages."""
    policy = announcement.policy
    carriers_zh, carriers_en = _carrier_phrase(policy.carriers)
    effective = f"{policy.effective:%Y-%m-%d}"
    return {
        "title": Text(announcement.title_zh or policy.summary_zh, announcement.title_en or policy.summary_en),
        "body": Text(announcement.body_zh.strip(), announcement.body_en.strip()),
        "rule": Text(
            f"自 {effective} 起（通知 {policy.notice}，{carriers_zh}）",
            f"From {effective} (notice {policy.notice}, {carriers_en})",
        ),  # fmt: skip
        "effective": effective,
    }


def _paragraphs(*parts) -> str:
    return "\n\n".join(part for part in parts if part)


def _alarm(texts, count) -> tuple[Text, Text]:
    title, body, rule = texts["title"], texts["body"], texts["rule"]
    subject = Text(f"规则变更：{title.zh}（{count} 项受影响，截止 {texts['effective']}）",
                   f"Rule change: {title.en} ({count} affected, by {texts['effective']})")  # fmt: skip
    return subject, Text(
        _paragraphs(body.zh, f"{rule.zh}，您的以下 {count} 项签名或模板不再符合规则。请在截止日期前逐项处理，"
                             "并点击“确认已读”，告知我们您已知悉。"),
        _paragraphs(body.en, f"{rule.en}, {count} of your signatures and templates, listed below, no longer meet the "
                             "rules. Fix each before the deadline, and click Acknowledge to tell us you have read "
                             "this."),
    )  # fmt: skip


def _information(texts) -> tuple[Text, Text]:
    title, body, rule = texts["title"], texts["body"], texts["rule"]
    subject = Text(f"规则变更：{title.zh}（自 {texts['effective']} 起）",
                   f"Rule change: {title.en} (from {texts['effective']})")  # fmt: skip
    return subject, Text(
        _paragraphs(body.zh, f"{rule.zh}执行。您目前的签名和模板均不受此次变更影响，无需处理。"),
        _paragraphs(body.en, f"{rule.en}. None of your current signatures and templates is affected: nothing to do."),
    )


def notice_item(item: ImpactItem) -> dict:
    """An affected item as a notice lists it, with the link to fix it (notices.models.Notice.items)."""
    name = "org:signature-detail" if item.kind == ImpactItem.Kind.SIGNATURE else "org:template-detail"
    return {"label": item.label_zh, "label_en": item.label_en, "kind": item.kind, "id": item.object_id,
            "url": reverse(name, args=[item.organization_id, item.object_id]), "codes": item.codes,
            "reason_zh": item.reason_zh, "reason_en": item.reason_en, "carrier": ",".join(item.carriers)}  # fmt: skip


def _webhook_data(announcement, affected: int) -> dict:
    policy = announcement.policy
    return {"policy": {"key": policy.key, "effective": policy.effective.isoformat(), "notice": policy.notice,
                       "carriers": sorted(policy.carriers)}, "affected_items": affected}  # fmt: skip


def run_finalise(*, run_id: int) -> bool:
    """Write the run's notices, once: to each organization with affected items, one alarm listing exactly
    those, due on the change's date, to be acknowledged; to every other organization the announcement for
    information; to each account manager a digest of their affected organizations. Resumable: it carries
    on from the last organization done, and notify writes no key twice. A dry run writes nothing. False
    when another finaliser holds the run (or it is not finalising)."""
    token, now = uuid.uuid4().hex, timezone.now()
    stale = now - claim_timeout()
    claimed = ImpactRun.objects.filter(
        Q(finaliser="") | Q(finaliser_heartbeat__lt=stale), pk=run_id, status=ImpactRun.Status.FINALISING
    ).update(finaliser=token, finaliser_worker=worker_name(), finaliser_heartbeat=now)
    if not claimed:
        return False
    run = ImpactRun.objects.select_related("announcement__policy").get(pk=run_id)
    announcement = run.announcement
    if not run.dry_run:
        if not _notify_organizations(run, token):
            return False
        _notify_managers(run)
    with transaction.atomic():
        finished = ImpactRun.objects.filter(pk=run_id, finaliser=token, status=ImpactRun.Status.FINALISING).update(
            status=ImpactRun.Status.DONE, finished_at=timezone.now()
        )
        if finished and not run.dry_run:
            Announcement.objects.filter(pk=announcement.pk, status=Announcement.Status.PUBLISHING).update(
                status=Announcement.Status.PUBLISHED
            )
    return bool(finished)


def _notify_organizations(run: ImpactRun, token: str) -> bool:
    announcement = run.announcement
    key = announcement.notice_key
    texts = announcement_texts(announcement)
    deadline = announcement.policy.effective
    cursor = run.notified_through
    while True:
        batch = list(Organization.objects.filter(pk__gt=cursor).order_by("pk").values_list("pk", flat=True)[
            :NOTIFY_BATCH])  # fmt: skip
        if not batch:
            return True
        with transaction.atomic():
            # First the run's row: still this finaliser's (else stop), and how far it got, in the same commit.
            if not ImpactRun.objects.filter(pk=run.pk, finaliser=token).update(
                notified_through=batch[-1], finaliser_heartbeat=timezone.now()
            ):
                return False
            done = set(Notice.objects.filter(key=key, organization_id__in=batch).values_list("organization_id",
                                                                                            flat=True))  # fmt: skip
            items: dict[int, list] = {}
            rows = ImpactItem.objects.filter(run=run, organization_id__in=batch).order_by("organization", "kind",
                                                                                          "object_id")  # fmt: skip
            for item in rows:
                items.setdefault(item.organization_id, []).append(notice_item(item))
            for organization_id in batch:
                if organization_id in done:
                    continue
                listed = items.get(organization_id, [])
                subject, body = _alarm(texts, len(listed)) if listed else _information(texts)
                notify(
                    organization=Organization(pk=organization_id), kind=Notice.Kind.RULE_CHANGE, key=key,
                    subject=subject, body=body, items=listed,
                    severity=Notice.Severity.ALARM if listed else Notice.Severity.INFO,
                    deadline=deadline if listed else None, needs_ack=bool(listed),
                    event_type="policy.announced", data=_webhook_data(announcement, len(listed)), ref=key,
                )  # fmt: skip
        cursor = batch[-1]


def _notify_managers(run: ImpactRun) -> None:
    """A digest to each account manager of the organizations of theirs that the change affects."""
    announcement = run.announcement
    texts = announcement_texts(announcement)
    per_organization = (
        ImpactItem.objects.filter(run=run, organization__account_manager__isnull=False)
        .values("organization", "organization__name", "organization__account_manager")
        .annotate(signatures=Count("pk", filter=Q(kind=ImpactItem.Kind.SIGNATURE)),
                  templates=Count("pk", filter=Q(kind=ImpactItem.Kind.TEMPLATE)))
        .order_by("organization__account_manager", "organization__name", "organization")
    )  # fmt: skip
    digests: dict[int, list] = {}
    for row in per_organization:
        signatures, templates = row["signatures"], row["templates"]
        digests.setdefault(row["organization__account_manager"], []).append({
            "label": row["organization__name"],
            "url": reverse("admin:accounts_organization_change", args=[row["organization"]]),
            "codes": [], "carrier": "",
            "reason_zh": f"{signatures} 个签名、{templates} 个模板受影响，已通知该客户",
            "reason_en": f"Affected: signatures {signatures}, templates {templates}; the customer was told",
        })  # fmt: skip
    from accounts.models import User

    managers = User.objects.in_bulk(list(digests))
    title = texts["title"]
    for manager_id, listed in digests.items():
        with transaction.atomic():
            notify(
                user=managers[manager_id], kind=Notice.Kind.DIGEST, key=f"{announcement.notice_key}:digest",
                subject=Text(f"规则变更：{title.zh}——您负责的 {len(listed)} 个客户受影响",
                             f"Rule change: {title.en}: {len(listed)} of your customers affected"),
                body=Text(f"{texts['rule'].zh}，以下客户有签名或模板不再符合规则；他们已收到通知，截止日期为 "
                          f"{texts['effective']}。",
                          f"{texts['rule'].en}, signatures or templates of the customers below no longer meet the "
                          f"rules; they have been told, with {texts['effective']} as the deadline."),
                items=listed, severity=Notice.Severity.WARNING, deadline=announcement.policy.effective,
                event_type="policy.digest", ref=announcement.notice_key,
            )  # fmt: skip


# --- in-process, for the command and the tests -------------------------------------------------------------


def run_inline(run: ImpactRun) -> ImpactRun:
    """Do a run's chunks and its finalisation in this process, one after the other (the command's dry
    run; the same code the workers run)."""
    for chunk_id in run.chunks.filter(status=ImpactChunk.Status.PENDING).order_by("pk").values_list("pk", flat=True):
        chunk_process(chunk_id=chunk_id)
    if ImpactRun.objects.filter(pk=run.pk, status=ImpactRun.Status.FINALISING).exists():
        run_finalise(run_id=run.pk)
    run.refresh_from_db()
    return run


# --- the sweep ------------------------------------------------------------------------------------------


def sweep(*, now=None) -> tuple[list[int], list[int]]:
    """Resume what stopped: (chunk ids to send to the workers, run ids to finalise). Releases chunks claimed
    longer than the claim timeout ago (their worker died; one that failed MAX_ATTEMPTS times is marked
    failed), sends again the pending chunks of a run that made no progress for STALLED_AFTER (its
    messages were lost), moves to finalising a run whose chunks are all done (the last worker died before
    it could), and sends again the finaliser of a run whose finaliser stopped."""
    now = now or timezone.now()
    timeout = claim_timeout()
    dead = ImpactChunk.objects.filter(status=ImpactChunk.Status.RUNNING, claimed_at__lt=now - timeout)
    dead.filter(attempts__gte=MAX_ATTEMPTS).update(status=ImpactChunk.Status.FAILED)
    released = list(dead.values_list("pk", flat=True))
    ImpactChunk.objects.filter(pk__in=released, status=ImpactChunk.Status.RUNNING).update(
        status=ImpactChunk.Status.PENDING, claim="", claimed_at=None
    )
    chunk_ids, run_ids = list(released), []
    for run in ImpactRun.objects.filter(status=ImpactRun.Status.RUNNING, created_at__lt=now - STALLED_AFTER):
        latest = run.chunks.aggregate(claimed=Max("claimed_at"), finished=Max("finished_at"))
        moments = [m for m in latest.values() if m is not None]
        if _all_done(run.pk):
            if ImpactRun.objects.filter(pk=run.pk, status=ImpactRun.Status.RUNNING).update(
                status=ImpactRun.Status.FINALISING, finalising_at=now
            ):
                run_ids.append(run.pk)
        elif not moments or max(moments) < now - STALLED_AFTER:
            pending = run.chunks.filter(status=ImpactChunk.Status.PENDING).exclude(pk__in=released)
            chunk_ids += list(pending.order_by("pk").values_list("pk", flat=True))
    # A finaliser silent for the claim timeout died: its claim is released (as a dead worker's chunk is).
    finalising = ImpactRun.objects.filter(status=ImpactRun.Status.FINALISING)
    finalising.filter(finaliser_heartbeat__lt=now - timeout).update(finaliser="", finaliser_heartbeat=None)
    stopped = finalising.filter(finaliser="", finalising_at__lt=now - STALLED_AFTER).exclude(pk__in=run_ids)
    run_ids += list(stopped.values_list("pk", flat=True))
    return chunk_ids, run_ids


# --- reminders ------------------------------------------------------------------------------------------


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def reminders_send(*, today: dt.date | None = None) -> int:
    """Remind each organization that has not acknowledged its alarm, POLICY_REMINDER_DAYS days before the
    deadline (each threshold once: key ``policy:<key>:reminder:<days>``), until the deadline. A threshold
    already past when the announcement went out is not sent (the announcement itself was that
    reminder); of two reached at once (a sweep missed), the nearer one is. Returns the reminders written."""
    today = today or timezone.localdate()
    thresholds = sorted(set(settings.POLICY_REMINDER_DAYS))
    sent = 0
    published = Announcement.objects.filter(status=Announcement.Status.PUBLISHED, policy__effective__gte=today)
    for announcement in published.select_related("policy"):
        deadline = announcement.policy.effective
        reached = [n for n in thresholds if (deadline - today).days <= n]
        if not reached:
            continue
        days = reached[0]
        waiting = Notice.objects.filter(
            key=announcement.notice_key, organization__isnull=False, needs_ack=True, acknowledged_at__isnull=True,
            created_at__lt=_day_start(deadline - dt.timedelta(days=days)),
        ).order_by("pk")  # fmt: skip
        texts = announcement_texts(announcement)
        title, left = texts["title"], (deadline - today).days
        subject = Text(f"提醒：{title.zh}（截止 {texts['effective']}，还有 {left} 天）",
                       f"Reminder: {title.en} (deadline {texts['effective']}, {left} days left)")  # fmt: skip
        body = Text(f"{texts['rule'].zh}，您的以下签名或模板不再符合规则，尚未确认已读。请在截止日期前处理，"
                    "并在原通知中点击“确认已读”。",
                    f"{texts['rule'].en}, the signatures or templates of yours below no longer meet the rules, and "
                    "the notice has not been acknowledged. Fix them before the deadline, and acknowledge the "
                    "notice.")  # fmt: skip
        last = 0
        while True:
            batch = list(waiting.filter(pk__gt=last).values("pk", "organization_id", "items")[:NOTIFY_BATCH])
            if not batch:
                break
            with transaction.atomic():
                for row in batch:
                    written = notify(
                        organization=Organization(pk=row["organization_id"]), kind=Notice.Kind.REMINDER,
                        key=f"{announcement.notice_key}:reminder:{days}", subject=subject, body=body,
                        items=row["items"], severity=Notice.Severity.ALARM, deadline=deadline,
                        event_type="policy.reminder", data=_webhook_data(announcement, len(row["items"])),
                        ref=announcement.notice_key,
                    )  # fmt: skip
                    sent += written is not None
            last = batch[-1]["pk"]
    return sent
