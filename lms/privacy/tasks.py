"""Periodic privacy work (scheduled by Celery beat, see ``lms.config``)."""

from celery import shared_task

from lms.privacy import services


@shared_task(name="lms.privacy.apply_retention")
def apply_retention() -> int:
    return services.apply_retention()
