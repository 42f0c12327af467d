"""Reads of the notices, scoped to the caller: another organization's notice or endpoint is a 404."""

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from .models import Delivery, Notice, WebhookAttempt, WebhookEndpoint

PAGE = 50


def inbox_rows(*, organization, kind: str | None = None, severity: str | None = None,
               unacknowledged: bool = False) -> QuerySet[Notice]:  # fmt: skip
    """The organization's inbox as a query (the API pages it by cursor): each notice with who acknowledged it;
    ``unacknowledged``: only those that still wait for an acknowledgement."""
    rows = Notice.objects.filter(organization=organization, in_inbox=True).select_related("acknowledged_by")
    if kind:
        rows = rows.filter(kind=kind)
    if severity:
        rows = rows.filter(severity=severity)
    if unacknowledged:
        rows = rows.filter(needs_ack=True, acknowledged_at__isnull=True)
    return rows


def inbox(*, organization, page: int = 1):
    """The organization's inbox, newest first, a page at a time (one query)."""
    start = (max(1, page) - 1) * PAGE
    rows = inbox_rows(organization=organization).order_by("-created_at", "-pk")
    return list(rows[start : start + PAGE + 1])


def notice_get(*, organization, notice_id) -> Notice:
    return get_object_or_404(Notice.objects.select_related("acknowledged_by"), pk=notice_id,
                             organization=organization, in_inbox=True)  # fmt: skip


def endpoints(*, organization) -> list[WebhookEndpoint]:
    return list(WebhookEndpoint.objects.filter(organization=organization).order_by("created_at", "pk"))


def endpoint_rows(*, organization) -> QuerySet[WebhookEndpoint]:
    """The organization's endpoints as a query, each with ``waiting``: its deliveries not sent yet (one query)."""
    waiting = [Delivery.Status.PENDING, Delivery.Status.FAILED, Delivery.Status.SENDING]
    rows = WebhookEndpoint.objects.filter(organization=organization).select_related("created_by")
    return rows.annotate(waiting=Count("deliveries", filter=Q(deliveries__status__in=waiting)))


def endpoint_get(*, organization, endpoint_id) -> WebhookEndpoint:
    return get_object_or_404(WebhookEndpoint, pk=endpoint_id, organization=organization)


def endpoint_row(*, organization, endpoint_id) -> WebhookEndpoint:
    """One endpoint as ``endpoint_rows`` gives it (with ``waiting``), or 404."""
    return get_object_or_404(endpoint_rows(organization=organization), pk=endpoint_id)


def attempt_rows(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookAttempt]:
    """The endpoint's attempts as a query, each with its delivery and the event it carried."""
    return WebhookAttempt.objects.filter(delivery__endpoint=endpoint).select_related("delivery", "delivery__notice")


def delivery_log(*, endpoint: WebhookEndpoint, limit: int = 100) -> list[WebhookAttempt]:
    """The endpoint's latest attempts, with the event each carried."""
    return list(attempt_rows(endpoint=endpoint).order_by("-at", "-pk")[:limit])


def pending_for(*, endpoint: WebhookEndpoint) -> int:
    waiting = [Delivery.Status.PENDING, Delivery.Status.FAILED, Delivery.Status.SENDING]
    return Delivery.objects.filter(endpoint=endpoint, status__in=waiting).count()


def staff_notices(*, user, limit: int = 20) -> list[Notice]:
    """An account manager's own notices (digests, flags of their customers), for the desk."""
    return list(Notice.objects.filter(user=user).order_by("-created_at", "-pk")[:limit])


def outbox_health(*, now=None) -> tuple[bool, str]:
    """For the staff status page: the outbox is healthy when no history row and no delivery has waited
    past the sweep's reach (five minutes); retries and endpoints given up are shown, not alarms (they
    are the receivers' trouble)."""
    from datetime import timedelta

    from django.utils import timezone
    from django.utils.translation import gettext as _

    from . import events

    now = now or timezone.now()
    late = now - timedelta(minutes=5)
    waiting = sum(model.objects.filter(processed_at__isnull=True, at__lt=late).count()
                  for model in events._models().values())  # fmt: skip
    counts = Delivery.objects.aggregate(
        stuck=Count("pk", filter=Q(status=Delivery.Status.PENDING, created_at__lt=late)),
        retrying=Count("pk", filter=Q(status=Delivery.Status.FAILED)),
        gave_up=Count("pk", filter=Q(status=Delivery.Status.GAVE_UP)),
    )
    detail = _("waiting over 5 minutes: events %(events)s, deliveries %(stuck)s; retrying %(retrying)s; "
               "given up %(gave_up)s") % {"events": waiting, **counts}  # fmt: skip
    return waiting == 0 and counts["stuck"] == 0, detail
