"""Background work of the cohorts package."""

from celery import shared_task

from lms.cohorts import roster
from lms.core.jobs import run_job


@shared_task(name="lms.cohorts.import_roster")
def import_roster(job_id: int) -> None:
    """Import an uploaded roster as the job ``job_id`` asks, reporting progress every batch."""
    job = run_job(job_id, roster.run_import_job)
    if job is not None and job.status == "done":
        # Only now: a resumed or retried job still needs the file until it is done.
        roster.uploads.discard(job.params["token"])


@shared_task(name="lms.cohorts.preview_roster")
def preview_roster(job_id: int) -> None:
    """Check an uploaded roster (the preview) as the job ``job_id`` asks."""
    run_job(job_id, roster.run_preview_job)
