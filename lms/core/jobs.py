"""Long work a person starts (imports, bulk issuance, exports), with progress they can watch."""

from collections.abc import Callable

from lms.core.db import utcnow
from lms.core.models import Job
from lms.core.outbox import enqueue
from lms.extensions import db


def start_job(kind: str, task: str, *, by, total: int = 0, **params) -> Job:
    """Create a queued job and schedule ``task(job_id=...)`` after commit."""
    job = Job(kind=kind, status="queued", total=total, params=params, created_by_id=getattr(by, "id", None))
    db.session.add(job)
    db.session.flush()
    enqueue(task, job_id=job.id)
    return job


def run_job(job_id: int, work: Callable[[Job, Callable[[int], None]], dict]) -> Job | None:
    """Run ``work(job, report_progress)`` for a queued or interrupted job and store its result.

    A job already done is left alone, so a redelivered task does nothing twice.
    """
    job = db.session.get(Job, job_id)
    if job is None or job.status == "done":
        return job
    job.status = "running"
    job.started_at = job.started_at or utcnow()
    db.session.commit()

    def report_progress(done: int) -> None:
        job.progress = done
        db.session.commit()

    try:
        job.result = work(job, report_progress)
    except Exception as error:
        db.session.rollback()
        job = db.session.get(Job, job_id)
        job.status = "failed"
        job.error = str(error)[:2000]
        job.finished_at = utcnow()
        db.session.commit()
        raise
    job.status = "done"
    job.progress = job.total or job.progress
    job.finished_at = utcnow()
    return job
