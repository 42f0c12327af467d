"""The Celery application, in the standard Django form.

Configuration lives in settings under the ``CELERY_`` prefix: JSON only,
``acks_late``, ``reject_on_worker_lost``, prefetch 1, and a static beat schedule.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "filing_portal.settings")

app = Celery("filing_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
