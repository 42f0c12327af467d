"""Thin tasks: call one service."""

from celery import shared_task

from . import activity


# Idempotent: the flags are open once and each notice has its key, so a redelivered or repeated run
# writes nothing twice (sending/activity.py).
@shared_task(name="sending.tasks.daily_activity_run", soft_time_limit=30 * 60, time_limit=35 * 60)
def daily_activity_run() -> dict:
    report = activity.daily_run()
    return {"raised": dict(report.raised), "ended": dict(report.ended), "notices": dict(report.notices),
            "purged": report.purged}  # fmt: skip
