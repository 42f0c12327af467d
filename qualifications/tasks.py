"""Thin tasks: ids in, load by id, call one service."""

from celery import shared_task

from . import services


@shared_task(name="qualifications.tasks.make_thumbnail", soft_time_limit=60, time_limit=90)
def make_thumbnail(document_id: str) -> bool:
    return services.thumbnail_make(document_id=document_id)


@shared_task(name="qualifications.tasks.sweep_missing_thumbnails")
def sweep_missing_thumbnails() -> int:
    ids = services.thumbnails_requeue_stuck()
    for document_id in ids:
        make_thumbnail.delay(document_id)
    return len(ids)


@shared_task(name="qualifications.tasks.purge_id_images")
def purge_id_images() -> int:
    return services.purge_due_id_images()
