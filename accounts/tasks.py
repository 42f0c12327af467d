"""Thin tasks: ids in, load by id, call one service."""

from datetime import timedelta

from celery import shared_task

from . import services


# Well inside the sweep's 5-minute claim window, so a slow send is never handed to a second worker.
@shared_task(name="accounts.tasks.send_invitation_email", soft_time_limit=60, time_limit=90)
def send_invitation_email(invitation_id: int) -> bool:
    return services.invitation_send_email(invitation_id=invitation_id)


@shared_task(name="accounts.tasks.sweep_unsent_invitations")
def sweep_unsent_invitations() -> int:
    """A lost broker message delays an invitation but never loses it."""
    ids = services.invitations_requeue_stuck(older_than=timedelta(minutes=5))
    for invitation_id in ids:
        send_invitation_email.delay(invitation_id)
    return len(ids)
