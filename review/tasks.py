"""Thin tasks: call one service."""

from celery import shared_task

from . import services


@shared_task(name="review.tasks.release_idle_claims")
def release_idle_claims() -> int:
    return services.release_idle_claims()


@shared_task(name="review.tasks.refresh_blockers")
def refresh_blockers() -> int:
    from . import blockers

    return blockers.refresh_all()
