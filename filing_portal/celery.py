"""The Celery application, in the standard Django form.

Configuration lives in settings under the ``CELERY_`` prefix: JSON only,
``acks_late``, ``reject_on_worker_lost``, prefetch 1, and a static beat schedule.
"""

import logging
import os

from celery import Celery, Task, signals
from django.db import InterfaceError, OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "filing_portal.settings")


class PortalTask(Task):
    """Every task: a lost database connection (a restart, a failover) is tried again later, with exponential
    backoff and jitter (1, 2, 4 … 60 s), not failed at once; the tasks are idempotent (docs/architecture.md), and
    Celery's Django fixup drops the broken connection before the next try. After ``max_retries`` the task fails
    and the beat sweeps pick its rows up again."""

    autoretry_for = (OperationalError, InterfaceError)
    retry_backoff = True
    retry_backoff_max = 60
    retry_jitter = True
    max_retries = 8


app = Celery("filing_portal", task_cls=PortalTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_failure.connect
def _record_failure(sender=None, task_id=None, exception=None, args=None, **kwargs):
    """A task that gave up leaves a row staff see (the status page): with results ignored, nothing else would."""
    from .models import TaskFailure

    try:
        TaskFailure.objects.create(
            task_name=getattr(sender, "name", str(sender))[:200], task_id=str(task_id)[:64],
            args=[a for a in (args or ()) if isinstance(a, (int, str))],
            error=f"{type(exception).__name__}: {exception}"[:500],
            tries=(getattr(getattr(sender, "request", None), "retries", 0) or 0) + 1,
        )  # fmt: skip
    except Exception:  # noqa: BLE001  (the database may be what failed: the worker's log keeps the failure)
        logging.getLogger(__name__).warning("could not record the failure of %s", task_id, exc_info=True)
