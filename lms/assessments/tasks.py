"""Background work of the assessments feature: uploaded files (paper answers, question banks),
checked then saved."""

from celery import shared_task

from lms.assessments import bank_upload, paper_upload
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


@shared_task(name="lms.assessments.check_question_bank")
def check_question_bank(job_id: int) -> None:
    """Check an uploaded question bank (the preview) as the job ``job_id`` asks."""
    run_job(job_id, bank_upload.run_check_job)


@shared_task(name="lms.assessments.import_question_bank")
def import_question_bank(job_id: int) -> None:
    """Import the checked questions of an uploaded file as the job ``job_id`` asks."""
    job = run_job(job_id, bank_upload.run_import_job)
    if job is not None and job.status == "done":
        bank_upload.BANKS.discard(job.params["token"])
