"""Thin tasks: call one service."""

from celery import shared_task

from . import services


@shared_task(name="api.tasks.purge_idempotent_requests")
def purge_idempotent_requests() -> int:
    """Answers kept for Idempotency-Key retries live a day (services.IDEMPOTENCY_TTL); then they go."""
    return services.idempotent_purge()
