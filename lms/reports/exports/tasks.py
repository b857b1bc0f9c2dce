"""Background work of report exports: the export job and the deletion of old files."""

from celery import shared_task

from lms.core.jobs import run_job
from lms.reports.exports import services


@shared_task(name=services.TASK)
def export_report(job_id: int) -> None:
    run_job(job_id, services.run_export)


@shared_task(name="lms.reports.expire_exports")
def expire_exports() -> int:
    return services.expire_files()
