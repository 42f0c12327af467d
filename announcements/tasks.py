"""Thin tasks: ids in, call one service. Delivery is at least once (acks_late): each service claims its row
by compare-and-set before working, so a second delivery is a no-op."""

from celery import shared_task

from . import services


# The hard limit is well inside the claim timeout (POLICY_IMPACT_CLAIM_TIMEOUT, 5 minutes): a slow chunk is
# stopped before the sweep could take its worker for dead and hand the chunk to another.
@shared_task(name="announcements.tasks.process_chunk", soft_time_limit=150, time_limit=180)
def process_chunk(chunk_id: int) -> bool:
    return services.chunk_process(chunk_id=chunk_id)


# The finaliser writes a heartbeat each batch of organizations; one stopped by the limit is resumed.
@shared_task(name="announcements.tasks.finalise_run", soft_time_limit=30 * 60, time_limit=31 * 60)
def finalise_run(run_id: int) -> bool:
    return services.run_finalise(run_id=run_id)


@shared_task(name="announcements.tasks.sweep")
def sweep() -> int:
    """Chunks whose worker died, runs whose messages were lost, finalisers that stopped: sent again."""
    chunk_ids, run_ids = services.sweep()
    services.send(chunk_ids, run_ids)
    return len(chunk_ids) + len(run_ids)


@shared_task(name="announcements.tasks.send_reminders")
def send_reminders() -> int:
    return services.reminders_send()
