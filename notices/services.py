"""Every write of the notices: a notice and its deliveries (in the caller's transaction), claiming and
sending one delivery, the sweep, and the endpoints an organization keeps (docs/notices.md).

The guarantees:
- **Once per audience and key.** ``notify`` writes nothing when the organization (or staff member)
  already has a notice with that key: a re-run, a redelivered task or a second worker is a no-op.
- **Once per recipient and channel.** A delivery is unique per notice, channel and recipient, and is
  sent by whoever claims it first (a conditional UPDATE); a claim that died mid-send is released by
  the sweep after ``CLAIM_TIMEOUT`` (so a crash can repeat one e-mail, never lose one).
- **Nothing lost while the broker is down.** Rows are written with their cause; the task is only a
  nudge after commit. The beat sweep finds what is due and enqueues it again.
"""

import json
import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from standardwebhooks import Webhook

from accounts.models import Membership, Organization
from filing_portal import outage

from . import webhooks
from .models import Delivery, Notice, WebhookAttempt, WebhookEndpoint

log = logging.getLogger(__name__)

# A delivery claimed this long ago and never finished: its worker died; the sweep releases it.
CLAIM_TIMEOUT = timedelta(minutes=10)
# A failed delivery is tried again after 30 s, 1, 2, 4 ... minutes, capped at an hour between tries,
# until a day has passed since the notice was written; then it is given up (and shown so).
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY_GAP = timedelta(hours=1)
RETRY_FOR = timedelta(days=1)


@dataclass(frozen=True)
class Text:
    """Chinese and English, the pair every notice carries."""

    zh: str
    en: str


def _recipients(organization_id) -> list[tuple[str, str]]:
    """(e-mail, language) of each active member of the organization."""
    rows = Membership.objects.filter(organization_id=organization_id, user__is_active=True)
    return list(rows.order_by("pk").values_list("user__email", "user__language"))


def notify(*, organization: Organization | None = None, user=None, kind: str, key: str, subject: Text,
           body: Text = Text("", ""), items=(), severity: str = Notice.Severity.INFO, deadline=None,
           needs_ack: bool = False, in_inbox: bool = True, email: bool = True, webhooks_too: bool = True,
           event_type: str = "notice.created", data=None, ref: str = "") -> Notice | None:  # fmt: skip
    """Write one notice to an organization (its members: inbox, e-mail; its webhook endpoints) or to one
    staff member (inbox on the desk, e-mail), with its deliveries, in the caller's transaction; the
    sending is enqueued once that commits. None when this audience already has a notice with ``key``."""
    audience = {"organization": organization} if organization is not None else {"user": user}
    if (organization is None) == (user is None):
        raise ValueError("notify: exactly one of organization and user")
    if len(key) > 200:  # the column's length: a longer key would be cut and could meet another's
        raise ValueError(f"notify: a key of at most 200 characters, not {len(key)}")
    if Notice.objects.filter(key=key, **audience).exists():
        return None
    notice = Notice(kind=kind, key=key, subject_zh=subject.zh[:300], subject_en=subject.en[:300],
                    body_zh=body.zh, body_en=body.en, items=list(items), severity=severity, deadline=deadline,
                    needs_ack=needs_ack, in_inbox=in_inbox, event_type=event_type, data=data or {}, ref=ref,
                    **audience)  # fmt: skip
    try:
        with transaction.atomic():  # a savepoint: a second writer's notice wins, this one is dropped
            notice.save()
    except IntegrityError:
        return None
    deliveries = []
    if email and in_inbox:
        people = _recipients(organization.pk) if organization is not None else [(user.email, user.language)]
        deliveries += [Delivery(notice=notice, channel=Delivery.Channel.EMAIL, recipient=address, language=language)
                       for address, language in people if address]  # fmt: skip
    if webhooks_too and organization is not None:
        endpoints = WebhookEndpoint.objects.filter(organization=organization, active=True).order_by("pk")
        deliveries += [Delivery(notice=notice, channel=Delivery.Channel.WEBHOOK, recipient=str(endpoint.pk),
                                endpoint=endpoint) for endpoint in endpoints]  # fmt: skip
    created = Delivery.objects.bulk_create(deliveries)
    ids = [d.pk for d in created]
    if ids:
        transaction.on_commit(lambda: enqueue(ids), robust=True)
    return notice


# After a publish fails, this process leaves the broker alone for a while: a clerk's batch of 500 filings
# writes 500 history rows, and 500 failed publishes would hold the request. The sweep catches up.
BROKER_REST_SECONDS = 30
_broker_down_until = 0.0


def nudge(task, *args) -> bool:
    """Enqueue ``task`` now if the broker answers; False (and nothing raised) when it does not: the rows
    it would act on wait for the beat sweep."""
    global _broker_down_until
    if not settings.NOTICES_NUDGE or time.monotonic() < _broker_down_until:
        return False
    on_redis = task.app.conf.broker_url.startswith("redis")
    if on_redis and outage.redis_down():  # the cache just waited on the same Redis (filing_portal.cache)
        return False
    try:
        task.apply_async(args, retry=False)
    except Exception:  # noqa: BLE001  (kombu's errors vary by transport; the rows are safe)
        _broker_down_until = time.monotonic() + BROKER_REST_SECONDS
        if on_redis:
            outage.redis_failed(BROKER_REST_SECONDS)
        log.warning("broker unavailable: %s%s waits for the sweep", task.name, args)
        return False
    return True


def enqueue(delivery_ids) -> None:
    """Nudge the worker for each delivery; a broker that is down only delays them (the sweep sends them)."""
    from .tasks import deliver

    for delivery_id in delivery_ids:
        if not nudge(deliver, delivery_id):
            return


def _claim(delivery_id) -> bool:
    now = timezone.now()
    due = Q(status__in=[Delivery.Status.PENDING, Delivery.Status.FAILED], next_attempt_at__lte=now)
    rows = Delivery.objects.filter(due, pk=delivery_id)
    return rows.update(status=Delivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1) == 1


def deliver(*, delivery_id: int) -> bool:
    """Send one delivery if it is due and nobody else holds it. False: nothing to do."""
    if not _claim(delivery_id):
        return False
    delivery = Delivery.objects.select_related("notice", "notice__organization", "endpoint").get(pk=delivery_id)
    try:
        if delivery.channel == Delivery.Channel.EMAIL:
            _send_email(delivery)
            code = None
        else:
            code = _send_webhook(delivery)
    except DeliveryFailed as exc:
        _failed(delivery, str(exc), exc.code)
        return False
    except SoftTimeLimitExceeded:  # the task's own limit: a failure like any other, retried later
        _failed(delivery, "the send took longer than the task's time limit", None)
        return False
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING).update(
        status=Delivery.Status.SENT, sent_at=timezone.now(), last_code=code, last_error=""
    )
    return True


class DeliveryFailed(Exception):
    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code


def retry_gap(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure: doubling from FIRST_RETRY, capped at MAX_RETRY_GAP."""
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), MAX_RETRY_GAP)


def _failed(delivery: Delivery, error: str, code, *, now=None) -> None:
    now = now or timezone.now()
    next_at = now + retry_gap(delivery.attempts)
    gave_up = next_at > delivery.notice.created_at + RETRY_FOR
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING).update(
        status=Delivery.Status.GAVE_UP if gave_up else Delivery.Status.FAILED,
        next_attempt_at=next_at, last_error=error[:300], last_code=code,
    )  # fmt: skip


def link(path: str) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def _send_email(delivery: Delivery) -> None:
    notice = delivery.notice
    language = delivery.language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "notice": notice,
            "subject": notice.subject(language),
            "paragraphs": [p for p in notice.body(language).split("\n\n") if p.strip()],
            "items": [item_for(entry, language) for entry in notice.items],
            "inbox": link(inbox_path(notice)),
            "portal_name": settings.PORTAL_NAME if language.startswith("zh") else _("SMS Filing Portal"),
            "english": language.startswith("en"),
        }
        text = render_to_string("notices/email/notice.txt", context)
        html = render_to_string("notices/email/notice.html", context)
    message = EmailMultiAlternatives(context["subject"], text, None, [delivery.recipient])
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except Exception as exc:  # noqa: BLE001  (SMTP and socket errors alike: tried again later)
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc


def inbox_path(notice: Notice) -> str:
    from django.urls import reverse

    if notice.organization_id:
        return reverse("org:notice-detail", args=[notice.organization_id, notice.pk])
    return reverse("desk") + "#notices"


def item_for(entry: dict, language: str) -> dict:
    """One item of a notice as a reader sees it: the label, the reason in their language, the link."""
    english = language.startswith("en")
    return {
        "label": entry.get("label_en" if english else "label", "") or entry.get("label", ""),
        "reason": entry.get("reason_en" if english else "reason_zh", ""),
        "codes": entry.get("codes", []),
        "carrier": entry.get("carrier", ""),
        "url": link(entry["url"]) if entry.get("url") else "",
    }


def payload(notice: Notice) -> dict:
    """The webhook body: the event type, when, and the data (never personal data beyond the ids)."""
    return {
        "type": notice.event_type,
        "timestamp": notice.created_at.isoformat(),
        "data": {
            "notice_id": notice.pk,
            "organization_id": notice.organization_id,
            "kind": notice.kind,
            "severity": notice.severity,
            "subject": {"zh": notice.subject_zh, "en": notice.subject_en},
            "deadline": notice.deadline.isoformat() if notice.deadline else None,
            "items": [{**item, "url": link(item["url"])} if item.get("url") else item for item in notice.items],
            **(notice.data or {}),
        },
    }


def _send_webhook(delivery: Delivery) -> int:
    endpoint = delivery.endpoint
    if endpoint is None or not endpoint.active:
        raise DeliveryFailed(_("The endpoint was removed or switched off."))
    body = json.dumps(payload(delivery.notice), ensure_ascii=False, separators=(",", ":"))
    message_id = f"msg_{delivery.notice_id}_{delivery.pk}"  # the same on every retry: receivers dedupe on it
    return post_signed(endpoint, message_id, body, delivery=delivery)


def post_signed(endpoint: WebhookEndpoint, message_id: str, body: str, *, delivery: Delivery | None) -> int:
    """POST ``body`` signed by the Standard Webhooks scheme; log the attempt; the response code, or
    DeliveryFailed for a network error or a non-2xx answer."""
    now = timezone.now()
    headers = {
        "content-type": "application/json",
        "user-agent": "filing-portal-webhooks/1",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(endpoint.secret).sign(message_id, now, body),
    }
    started = time.monotonic()
    answer = webhooks.post(endpoint.url, body.encode(), headers)
    if delivery is not None:
        duration = int((time.monotonic() - started) * 1000)
        WebhookAttempt.objects.create(delivery=delivery, at=now, status_code=answer.code, error=answer.error[:300],
                                      duration_ms=duration, response=answer.excerpt[:500])  # fmt: skip
    if answer.error:
        raise DeliveryFailed(answer.error, answer.code)
    return answer.code


def sweep(*, now=None) -> list[int]:
    """Release claims whose worker died, and the ids of deliveries due now (oldest first, at most 1,000):
    the beat task enqueues them. A delivery written in the last minute is left to its own nudge."""
    now = now or timezone.now()
    for delivery in Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT
                                            ).select_related("notice"):  # fmt: skip
        # As a failure: the same pauses and the same day's limit (a receiver that holds every request
        # until the worker is stopped is given up, not tried every ten minutes for ever).
        _failed(delivery, "claim released: the worker stopped", None, now=now)
    due = Delivery.objects.filter(
        Q(status=Delivery.Status.FAILED) | Q(status=Delivery.Status.PENDING, created_at__lt=now - timedelta(minutes=1)),
        next_attempt_at__lte=now,
    )
    return list(due.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:1000])


# The inbox


def mark_seen(*, membership) -> None:
    Membership.objects.filter(pk=membership.pk).update(inbox_seen_at=timezone.now())


def acknowledge(*, notice: Notice, user) -> bool:
    """The organization has read the notice and will act (once: the first member's acknowledgement)."""
    rows = Notice.objects.filter(pk=notice.pk, needs_ack=True, acknowledged_at__isnull=True)
    return rows.update(acknowledged_at=timezone.now(), acknowledged_by=user) == 1


# Webhook endpoints


def endpoint_create(*, organization, url: str, description: str, actor) -> WebhookEndpoint:
    webhooks.check_address(url)
    return WebhookEndpoint.objects.create(organization=organization, url=url, description=description,
                                          created_by=actor)  # fmt: skip


def endpoint_switch(*, endpoint: WebhookEndpoint, active: bool) -> None:
    endpoint_change(endpoint=endpoint, active=active)


def endpoint_change(*, endpoint: WebhookEndpoint, active: bool | None = None, description: str | None = None) -> None:
    """Pause or resume the endpoint, describe it anew, or both (one UPDATE); what is None stays as it is."""
    changes = {}
    if active is not None:
        changes["active"] = active
    if description is not None:
        changes["description"] = description.strip()
    if changes:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(**changes, updated_at=timezone.now())


def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    endpoint.delete()


def endpoint_test(*, endpoint: WebhookEndpoint, actor) -> Delivery:
    """A test event to one endpoint, through the same path as every notice (logged, retried)."""
    with transaction.atomic():
        notice = Notice.objects.create(
            organization=endpoint.organization, kind=Notice.Kind.TEST, key=f"test:{endpoint.pk}:{time.time_ns()}",
            subject_zh="测试事件", subject_en="Test event", in_inbox=False, event_type="webhook.test",
            data={"endpoint_id": endpoint.pk},
        )  # fmt: skip
        delivery = Delivery.objects.create(notice=notice, channel=Delivery.Channel.WEBHOOK,
                                           recipient=str(endpoint.pk), endpoint=endpoint)  # fmt: skip
    deliver(delivery_id=delivery.pk)  # at once: the owner waits for the answer on the page
    delivery.refresh_from_db()
    return delivery
