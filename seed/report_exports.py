"""Demo data: the Cherkasy coordinator's export of her region's report, ready to download from
"My exports" (the job runs here as the worker would after the commit)."""

from flask import current_app
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from lms.core.jobs import run_job
from lms.core.models import Job
from lms.extensions import db
from lms.reports.exports import services
from seed.cohorts import COORDINATOR


def load(people: dict) -> dict:
    coordinator = people.get(COORDINATOR)
    if coordinator is None:
        return {}
    done = db.session.scalar(
        select(Job.id).where(Job.kind == services.KIND, Job.created_by_id == coordinator.id).limit(1)
    )
    if done is None:
        with current_app.test_request_context():  # the job's links are built as a page builds them
            job = services.start_export(MultiDict({"format": "xlsx"}), by=coordinator)
        db.session.flush()
        run_job(job.id, services.run_export)
    count = db.session.scalar(select(func.count(Job.id)).where(Job.kind == services.KIND))
    return {"report_exports": count or 0}
