"""The Celery application, in the standard Django form.

Configuration lives in settings under the ``CELERY_`` prefix: JSON only,
``acks_late``, ``reject_on_worker_lost``, prefetch 1, and a static beat schedule.
"""

import os

from celery import Celery, Task
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
