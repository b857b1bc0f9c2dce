"""Closing a training: only when it is over and its attendance is complete; then the issuance job.

Closing is final, so the checks are strict: the last session has ended, and every session's
register has a mark for every enrolled person, or the trainer recorded that attendance was not
taken at that session (audited). What is missing is listed, on the page and in the API's 409.
"""

from datetime import datetime

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lms.cohorts.models import Attendance, Cohort, Enrollment, TrainingSession
from lms.core import audit
from lms.core.db import utcnow
from lms.core.errors import Conflict
from lms.core.i18n import local_zone
from lms.core.jobs import start_job
from lms.core.models import Job
from lms.core.permissions import require
from lms.extensions import db

ISSUE_TASK = "lms.certificates.issue_for_cohort"


def closing_gaps(cohort: Cohort, now: datetime | None = None) -> list[str]:
    """What stands between ``cohort`` and closing, in words; empty when it may close."""
    now = (now or utcnow()).astimezone(local_zone())
    sessions = list(
        db.session.scalars(
            select(TrainingSession)
            .where(TrainingSession.cohort_id == cohort.id)
            .order_by(TrainingSession.date, TrainingSession.starts_at)
        )
    )
    if not sessions:
        return [str(_l("The training has no sessions."))]
    gaps: list[str] = []
    last = sessions[-1]
    if datetime.combine(last.date, last.ends_at, tzinfo=local_zone()) > now:
        gaps.append(
            str(
                _l(
                    "The last session (%(date)s) has not ended yet.",
                    date=format_date(last.date, "medium"),
                )
            )
        )
    enrolled = db.session.scalar(
        select(func.count())
        .select_from(Enrollment)
        .where(Enrollment.cohort_id == cohort.id, Enrollment.status == "enrolled")
    )
    marked = dict(
        db.session.execute(
            select(Attendance.session_id, func.count())
            .join(Enrollment, Enrollment.id == Attendance.enrollment_id)
            .where(Enrollment.cohort_id == cohort.id, Enrollment.status == "enrolled")
            .group_by(Attendance.session_id)
        ).all()
    )
    for session in sessions:
        if session.attendance_not_taken:
            continue
        missing = enrolled - marked.get(session.id, 0)
        if missing > 0:
            gaps.append(
                str(
                    _l(
                        "%(date)s: attendance not marked for %(count)s of %(enrolled)s people.",
                        date=format_date(session.date, "medium"),
                        count=missing,
                        enrolled=enrolled,
                    )
                )
            )
    return gaps


def require_closable(cohort: Cohort) -> None:
    gaps = closing_gaps(cohort)
    if gaps:
        message = _l("The training cannot be closed yet.")
        raise Conflict(message, fields={"missing": gaps})


def start_issuance(cohort: Cohort, *, by) -> Job:
    """Start the job that evaluates every enrolment and issues the certificates."""
    total = db.session.scalar(
        select(func.count())
        .select_from(Enrollment)
        .where(Enrollment.cohort_id == cohort.id, Enrollment.status == "enrolled")
    )
    return start_job("certificates.issue", ISSUE_TASK, by=by, total=total or 0, cohort_id=cohort.id)


def close_cohort(cohort: Cohort, *, by) -> Job:
    """Close ``cohort`` (checks above) and start issuing its certificates; returns the job."""
    from lms.cohorts.services import change_status

    change_status(cohort, "closed", by=by)
    return issuance_job(cohort)


def issuance_job(cohort: Cohort) -> Job | None:
    """The latest issuance job of ``cohort``."""
    jobs = db.session.scalars(
        select(Job).where(Job.kind == "certificates.issue").order_by(Job.id.desc()).limit(50)
    )
    return next((job for job in jobs if job.params.get("cohort_id") == cohort.id), None)


def record_attendance_not_taken(session: TrainingSession, *, by, taken: bool = False) -> TrainingSession:
    """The trainer states that no register was kept at ``session`` (or takes it back); audited."""
    require(by, "attendance.mark", session.cohort)
    if session.cohort.status in ("closed", "cancelled"):
        raise Conflict(_l("The training is closed."))
    session.attendance_not_taken = not taken
    audit.record(
        by,
        "session.attendance_not_taken" if not taken else "session.attendance_taken",
        session,
        cohort_id=session.cohort_id,
        date=session.date,
    )
    return session


def start_zip(cohort: Cohort, *, by) -> Job:
    """Start the job that puts the training's certificates into one ZIP file."""
    from lms.certificates.models import Certificate

    require(by, "cohort.manage", cohort)
    total = db.session.scalar(
        select(func.count())
        .select_from(Certificate)
        .where(Certificate.cohort_id == cohort.id, Certificate.status != "superseded")
    )
    return start_job(
        "certificates.zip", "lms.certificates.zip_for_cohort", by=by, total=total or 0, cohort_id=cohort.id
    )


def zip_job(cohort: Cohort, job_id: int) -> Job:
    job = db.session.get(Job, job_id)
    if job is None or job.kind != "certificates.zip" or job.params.get("cohort_id") != cohort.id:
        from lms.core.errors import NotFound

        raise NotFound()
    return job
