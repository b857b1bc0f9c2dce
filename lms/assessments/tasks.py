"""Background work of the assessments feature: files of paper answers, checked then saved."""

from celery import shared_task

from lms.assessments import paper_upload
from lms.core.jobs import run_job


@shared_task(name="lms.assessments.check_paper_answers")
def check_paper_answers(job_id: int) -> None:
    """Check an uploaded file of paper answers (the preview) as the job ``job_id`` asks."""
    run_job(job_id, paper_upload.run_check_job)


@shared_task(name="lms.assessments.save_paper_answers")
def save_paper_answers(job_id: int) -> None:
    """Save the checked answers of an uploaded file as the job ``job_id`` asks."""
    job = run_job(job_id, paper_upload.run_save_job)
    if job is not None and job.status == "done":
        paper_upload.PAPERS.discard(job.params["token"])
