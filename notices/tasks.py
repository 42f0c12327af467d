"""Thin tasks: ids in, call one service."""

from celery import shared_task

from . import services


# Well inside the claim timeout (10 minutes): a slow send is never handed to a second worker.
@shared_task(name="notices.tasks.deliver", soft_time_limit=60, time_limit=90)
def deliver(delivery_id: int) -> bool:
    return services.deliver(delivery_id=delivery_id)


@shared_task(name="notices.tasks.dispatch_event")
def dispatch_event(kind: str, event_id: int) -> bool:
    from . import events

    return events.dispatch(kind, event_id) is not None


@shared_task(name="notices.tasks.sweep")
def sweep() -> int:
    """What is due, or stuck, is enqueued again: a lost broker message delays a notice, never loses it."""
    from . import events

    try:
        events.dispatch_pending()
    finally:  # the deliveries are swept even when dispatching failed
        ids = services.sweep()
    for delivery_id in ids:
        deliver.delay(delivery_id)
    return len(ids)
