from django.db import models
from django.utils import timezone


class TaskFailure(models.Model):
    """A task that gave up: an error not worth trying again, or its tries spent (``PortalTask.max_retries``).
    Written by the worker (``filing_portal.celery``), shown to staff on the status page. No traceback and the
    arguments are ids (the tasks take ids), so no one's data lands here."""

    task_name = models.CharField(max_length=200)
    task_id = models.CharField(max_length=64)
    args = models.JSONField(default=list)
    error = models.CharField(max_length=500)
    tries = models.PositiveIntegerField(default=1)
    failed_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-failed_at"]

    def __str__(self):
        return f"{self.task_name} {self.task_id}"
