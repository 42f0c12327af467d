"""Health: a public database probe and a staff status page (database, broker, workers)."""

import logging
import time
from dataclasses import dataclass

from django.contrib import admin
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .celery import app as celery_app

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Probe:
    key: str
    name: str
    ok: bool
    detail: str
    millis: int


def _timed(key, name, fn):
    started = time.monotonic()
    try:
        detail = fn()
        ok = True
    except Exception as exc:  # a probe reports every failure, whatever its kind
        logger.warning("health probe %s failed", key, exc_info=True)
        detail, ok = f"{type(exc).__name__}: {exc}", False
    return Probe(key=key, name=name, ok=ok, detail=detail, millis=round((time.monotonic() - started) * 1000))


def _ping_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _ping_broker():
    # One attempt: a Redis that hangs costs the page its socket timeout once, not once per retry.
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=0, timeout=2)
        return conn.as_uri()


def _ping_workers():
    replies = celery_app.control.ping(timeout=1.5)
    if not replies:
        raise RuntimeError(_("No worker answered within 1.5 s."))
    return ", ".join(sorted(name for reply in replies for name in reply))


def _check_outbox():
    from notices.selectors import outbox_health

    ok, detail = outbox_health()
    if not ok:
        raise RuntimeError(detail)
    return detail


def _check_task_failures():
    from django.utils import timezone

    from .models import TaskFailure

    recent = TaskFailure.objects.filter(failed_at__gte=timezone.now() - timezone.timedelta(days=1))
    latest = recent.first()
    if latest is None:
        return _("No task failed in the last 24 hours.")
    raise RuntimeError(
        _("%(count)d failed in the last 24 hours; the latest: %(name)s[%(id)s] at %(time)s, %(error)s")
        % {"count": recent.count(), "name": latest.task_name, "id": latest.task_id,
           "time": timezone.localtime(latest.failed_at).strftime("%Y-%m-%d %H:%M"), "error": latest.error}
    )  # fmt: skip


def _broker_is_down():
    raise RuntimeError(_("Not asked: the broker is down."))


def probe_all():
    broker = _timed("broker", _("Broker"), _ping_broker)
    # Workers are asked through the broker: with the broker down, asking would only wait out its timeout again.
    return [
        _timed("database", _("Database"), _ping_database),
        broker,
        _timed("workers", _("Workers"), _ping_workers if broker.ok else _broker_is_down),
        _timed("outbox", _("Notices outbox"), _check_outbox),
        _timed("tasks", _("Failed tasks"), _check_task_failures),
    ]


@require_GET
@never_cache
def healthz(request):
    """Liveness for load balancers: 200 when the database answers, 503 otherwise."""
    probe = _timed("database", "database", _ping_database)
    # The error itself is logged, never shown: this URL is public and errors name internal hosts.
    if probe.ok:
        return JsonResponse({"status": "ok", "database": probe.detail})
    return JsonResponse({"status": "error", "database": "unreachable"}, status=503)


@never_cache
def status_page(request):
    """Staff-only (wrapped by the admin site, so a second factor is required)."""
    probes = probe_all()
    context = {
        **admin.site.each_context(request),
        "title": _("System status"),
        "probes": probes,
        "all_ok": all(p.ok for p in probes),
    }
    return render(request, "admin/system_status.html", context, status=200 if context["all_ok"] else 503)
