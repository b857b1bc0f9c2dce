"""Pages that follow a job: they reload themselves while it runs, without any script."""

from flask import Response, render_template

from lms.core.jobs import is_late
from lms.core.models import Job

REFRESH_SECONDS = 2


def job_page(template: str, job: Job, **context) -> Response:
    """``template`` rendered with ``job``, ``late`` and ``refresh``; while the job is queued or
    running the answer asks the browser to reload it (the ``Refresh`` header)."""
    response = Response(
        render_template(template, job=job, late=is_late(job), refresh=REFRESH_SECONDS, **context)
    )
    if job.status in ("queued", "running"):
        response.headers["Refresh"] = str(REFRESH_SECONDS)
    return response
