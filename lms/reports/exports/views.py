"""Pages of report exports: start one (the buttons on the report page post here), watch its
progress (the page reloads itself through the ``Refresh`` header: no script), download it, and
a list of one's recent exports."""

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask import request as http_request
from flask_login import current_user
from sqlalchemy import select

from lms.core import jobs
from lms.core.errors import DomainError, NotFound, PermissionDenied, ValidationError
from lms.core.models import Job
from lms.core.permissions import can, require
from lms.extensions import db
from lms.reports.exports import (
    services,
)

bp = Blueprint("reports_exports", __name__, template_folder="templates")
JOB_REFRESH_SECONDS = 2
RECENT = 20


@bp.post("/reports/exports")
def start():
    try:
        job = services.start_export(http_request.form, by=current_user)
    except ValidationError as error:
        db.session.rollback()
        return render_template("reports/export_error.html", error=error, back_url=_back_url()), 422
    db.session.commit()
    return redirect(url_for(".status", job_id=job.id), code=303)


@bp.get("/reports/exports")
def index():
    """The signed-in person's recent exports, newest first."""
    found = list(
        db.session.scalars(
            select(Job)
            .where(Job.kind == services.KIND, Job.created_by_id == current_user.id)
            .order_by(Job.id.desc())
            .limit(RECENT)
        )
    )
    return render_template(
        "reports/exports.html", jobs=found, labels=services.FORMAT_LABELS, keep_days=services.keep_days()
    )


@bp.get("/reports/exports/<int:job_id>")
def status(job_id: int):
    job = services.export_job(job_id, by=current_user)
    running = job.status in ("queued", "running")
    page = render_template(
        "reports/export.html",
        job=job,
        running=running,
        label=services.FORMAT_LABELS.get(job.params.get("format"), ""),
        expires_on=services.expires_on(job),
        available=job.status == "done" and services.is_available(job),
        keep_days=services.keep_days(),
        late=jobs.is_late(job),
        refresh=JOB_REFRESH_SECONDS,
        may_retry=can(current_user, "job.retry", job),
        filters=services.describe_filters(services.filters_of(job.params)),
    )
    response = Response(page)
    if running:
        response.headers["Refresh"] = str(JOB_REFRESH_SECONDS)
    return response


@bp.get("/reports/exports/<int:job_id>/download")
def download(job_id: int):
    return services.file_response(job_id, by=current_user)


@bp.post("/reports/exports/<int:job_id>/retry")
def retry(job_id: int):
    job = services.export_job(job_id, by=current_user)
    try:
        require(current_user, "job.retry", job)
        jobs.retry_job(job)
    except DomainError as error:
        db.session.rollback()
        if isinstance(error, (PermissionDenied, NotFound)):
            raise
        flash(str(error.message), "danger")
    else:
        db.session.commit()
    return redirect(url_for(".status", job_id=job_id), code=303)


def _back_url() -> str:
    """Where the person came from, when that is a page of this site; else her exports."""
    referrer = http_request.referrer or ""
    if referrer.startswith(http_request.host_url):
        return referrer
    return url_for(".index")
