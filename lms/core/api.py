"""API: long-running jobs a person started."""

from flask_login import current_user
from flask_smorest import Blueprint

from lms.api.common import JobSchema
from lms.core.errors import NotFound
from lms.core.models import Job
from lms.core.permissions import can
from lms.extensions import db

blp = Blueprint("jobs_api", __name__, description="Long-running work: progress and results")


@blp.route("/jobs/<int:job_id>", methods=["GET"])
@blp.response(200, JobSchema)
def get_job(job_id: int):
    """A job's status (queued, running, done, failed), progress, total and result."""
    job = db.session.get(Job, job_id)
    if job is None or not can(current_user, "job.view", job):
        raise NotFound()  # another person's job: its id reveals nothing
    return job
