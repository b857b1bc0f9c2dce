"""Starting, running, auditing, offering and expiring report exports.

An export is a ``Job`` (kind ``reports.export``): the request checks the filters exactly as the
report page does (``filters_from_args``: a coordinator only her regions, trainers and
participants refused), stores them with the format in the job and enqueues the job's id through
the outbox. The worker checks again that the person may still see those regions, writes every
registered report table to a file under the instance folder (a ``.part`` file renamed when
complete, so a half-written file is never offered, and a retried job simply writes it again),
and records one audit event with the finished job. Only the person who started an export (and
admins) may download it; files are deleted after ``EXPORT_KEEP_DAYS`` days."""

import secrets
from datetime import date, datetime, timedelta
from pathlib import Path

from flask import current_app, has_request_context, request, send_file, url_for
from flask_babel import force_locale, format_date, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.accounts.models import User
from lms.core import audit
from lms.core.db import utcnow
from lms.core.errors import NotFound, PermissionDenied, ValidationError
from lms.core.i18n import current_language, localized
from lms.core.jobs import start_job
from lms.core.models import AuditEvent, Job
from lms.core.permissions import can
from lms.courses.models import Course
from lms.extensions import db
from lms.org.models import Region
from lms.reports.exports.writers import PDF_MAX_ROWS, WRITERS, Counter, Cover
from lms.reports.filters import ReportFilters, filters_from_args
from lms.reports.tables import DEFINITIONS, report_tables

KIND = "reports.export"
TASK = "lms.reports.export"
AUDIT_ACTION = "report.export"
FORMATS = {
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "csv": ("application/zip", "zip"),
    "pdf": ("application/pdf", "pdf"),
}
FORMAT_LABELS = {"xlsx": "XLSX", "csv": "CSV (ZIP)", "pdf": "PDF"}


def keep_days() -> int:
    return int(current_app.config.get("EXPORT_KEEP_DAYS", 7))


def export_folder() -> Path:
    folder = Path(current_app.config.get("EXPORT_DIR") or Path(current_app.instance_path) / "exports")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def export_path(job: Job) -> Path:
    """The job's file: its id and a random token name it, so that no other file (an earlier
    database's job of the same id, a guessed name) is ever taken for it."""
    extension = FORMATS[job.params["format"]][1]
    return export_folder() / f"report-{job.id}-{job.params.get('token', '')}.{extension}"


def download_name(job: Job) -> str:
    extension = FORMATS[job.params["format"]][1]
    day = (job.finished_at or job.created_at or utcnow()).date().isoformat()
    return f"cascade-report-{day}-{job.id}.{extension}"


def start_export(args, *, by) -> Job:
    """Check ``format`` and the filters (422 for bad ones, 403 outside one's regions) and start
    the job; the caller commits."""
    fmt = (args.get("format") or "").strip().lower()
    filters = filters_from_args(args, by)
    if fmt not in FORMATS:
        raise ValidationError.on("format", _l("Choose XLSX, CSV or PDF."))
    job = start_job(
        KIND,
        TASK,
        by=by,
        format=fmt,
        filters=filters.as_args(),
        locale=current_language(),
        token=secrets.token_hex(8),
        ip=request.remote_addr if has_request_context() else None,
    )
    job.params = dict(
        job.params,
        download_url=url_for("reports_exports_api.download", job_id=job.id),
        page_url=url_for("reports_exports.status", job_id=job.id),
    )
    return job


def export_job(job_id: int, *, by) -> Job:
    """The export ``job_id`` if ``by`` started it (or is an admin); anyone else gets a 404."""
    job = db.session.get(Job, job_id)
    if job is None or job.kind != KIND or not can(by, "job.view", job):
        raise NotFound()
    return job


def ready_file(job: Job) -> Path:
    """The finished file of ``job``; 404 while it is not ready, after it failed or expired."""
    if job.status != "done" or job.finished_at is None:
        raise NotFound()
    if utcnow() - job.finished_at > timedelta(days=keep_days()):
        raise NotFound()  # expired: the beat deletes the file, this does not wait for it
    path = export_path(job)
    if not path.exists():
        raise NotFound()
    return path


def file_response(job_id: int, *, by):
    """The export's file as a download, for the person who started it (and admins); 404 for
    anyone else, before the job is done and after the file expired (the page and the API)."""
    job = export_job(job_id, by=by)
    return send_file(
        ready_file(job),
        mimetype=FORMATS[job.params["format"]][0],
        as_attachment=True,
        download_name=download_name(job),
    )


def is_available(job: Job) -> bool:
    try:
        ready_file(job)
    except NotFound:
        return False
    return True


def expires_on(job: Job) -> date | None:
    return (job.finished_at + timedelta(days=keep_days())).date() if job.finished_at else None


def filters_of(params: dict) -> ReportFilters:
    """The filters a job stored (``ReportFilters.as_args``) back as filters."""
    args = params.get("filters") or {}

    def day(name):
        return date.fromisoformat(args[name]) if args.get(name) else None

    def ids(name):
        return tuple(int(i) for i in args[name]) if name in args else None

    return ReportFilters(day("from"), day("to"), ids("region_id"), ids("course_id"))


def describe_filters(filters: ReportFilters) -> list[tuple[str, str]]:
    """The filters in words, for the first sheet and the audit trail."""
    if filters.start and filters.end:
        period = f"{format_date(filters.start, 'long')} – {format_date(filters.end, 'long')}"
    elif filters.start:
        period = _("from %(date)s", date=format_date(filters.start, "long"))
    elif filters.end:
        period = _("until %(date)s", date=format_date(filters.end, "long"))
    else:
        period = _("All time")
    if filters.region_ids is None:
        regions = _("All regions")
    else:
        found = db.session.execute(
            select(Region.name, Region.name_en).where(Region.id.in_(filters.region_ids))
        ).all()
        regions = "; ".join(sorted(localized(uk, en) for uk, en in found)) or _("None")
    if filters.course_ids is None:
        courses = _("All courses")
    else:
        found = db.session.execute(
            select(Course.code, Course.title, Course.title_en)
            .where(Course.id.in_(filters.course_ids))
            .order_by(Course.code)
        ).all()
        courses = "; ".join(f"{code} {localized(uk, en)}" for code, uk, en in found) or _("None")
    return [(_("Period"), period), (_("Regions"), regions), (_("Courses"), courses)]


def cover_of(filters: ReportFilters, user: User | None, at: datetime) -> Cover:
    lines = describe_filters(filters)
    lines.append((_("Exported by"), user.full_name if user else ""))
    lines.append((_("Exported at"), format_datetime(at, "medium")))
    lines.append((_("Definition of trained"), str(DEFINITIONS["trained"])))
    return Cover(
        title=_("Cascade LMS: training report"),
        lines=lines,
        definitions=[str(text) for key, text in DEFINITIONS.items() if key != "trained"],
    )


def _audited(job_id: int) -> bool:
    return (
        db.session.scalar(
            select(AuditEvent.id).where(
                AuditEvent.action == AUDIT_ACTION,
                AuditEvent.object_type == Job.__tablename__,
                AuditEvent.object_id == job_id,
            )
        )
        is not None
    )


def run_export(job: Job, report_progress) -> dict:
    """The job's work: every registered table written to the file, progress as rows stream."""
    user = db.session.get(User, job.created_by_id) if job.created_by_id else None
    filters = filters_of(job.params)
    if user is None or not user.is_active or not can(user, "reports.view", filters.region_ids):
        raise PermissionDenied()
    fmt = job.params["format"]
    with force_locale(job.params.get("locale") or "uk"):
        tables = report_tables(filters)
        sizes = [table.size() for table in tables]
        job.total = sum(min(s, PDF_MAX_ROWS) if fmt == "pdf" else s for s in sizes if s is not None)
        report_progress(0)
        cover = cover_of(filters, user, utcnow())
        path = export_path(job)
        partial = path.with_name(path.name + ".part")
        written = WRITERS[fmt](partial, cover, tables, Counter(report_progress))
        partial.replace(path)
        filter_words = dict(describe_filters(filters))
    if not _audited(job.id):  # a job finished once is never run again; this guards a doubled run
        event = audit.record(
            user,
            AUDIT_ACTION,
            job,
            format=fmt,
            filters=job.params.get("filters") or {},
            filters_text=filter_words,
            rows=written,
            tables=[table.key for table in tables],
        )
        event.ip = job.params.get("ip")
    return {
        "format": fmt,
        "rows": written,
        "tables": [table.key for table in tables],
        "download_url": job.params.get("download_url"),
        "page_url": job.params.get("page_url"),
        "filename": download_name(job),
        "bytes": path.stat().st_size,
        "expires_on": (utcnow() + timedelta(days=keep_days())).date().isoformat(),
    }


def expire_files(now: datetime | None = None) -> int:
    """Delete export files older than ``EXPORT_KEEP_DAYS`` (and ``.part`` files a crashed
    worker left behind a day ago); returns how many were deleted."""
    now = now or utcnow()
    cutoff = (now - timedelta(days=keep_days())).timestamp()
    stale_part = (now - timedelta(days=1)).timestamp()
    deleted = 0
    for path in export_folder().glob("report-*"):
        modified = path.stat().st_mtime
        if modified < cutoff or (path.name.endswith(".part") and modified < stale_part):
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted
