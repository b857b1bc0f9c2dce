"""How the cohorts package's audit events read (see ``lms.core.audit_log``)."""

from flask import url_for
from flask_babel import format_date, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.accounts.models import User
from lms.cohorts.models import Cohort, Enrollment, TrainingSession
from lms.cohorts.services import STATUS_LABELS
from lms.core.audit_log import action_text, record_kind
from lms.courses.models import Course
from lms.extensions import db


def _cohorts(ids):
    rows = db.session.execute(
        select(Cohort.id, Course.code, Cohort.start_date).join(Course).where(Cohort.id.in_(ids))
    )
    return {
        i: (f"{code}, {format_date(start, 'medium')}", url_for("cohorts.detail", cohort_id=i))
        for i, code, start in rows
    }


def _sessions(ids):
    rows = db.session.execute(
        select(TrainingSession.id, TrainingSession.date, Course.code)
        .join(Cohort, TrainingSession.cohort_id == Cohort.id)
        .join(Course, Cohort.course_id == Course.id)
        .where(TrainingSession.id.in_(ids))
    )
    return {
        i: (f"{code}, {format_date(day, 'medium')}", url_for("attendance.session_attendance", session_id=i))
        for i, day, code in rows
    }


def _enrollments(ids):
    rows = db.session.execute(
        select(Enrollment.id, Enrollment.cohort_id, User.full_name, Course.code)
        .join(User, Enrollment.user_id == User.id)
        .join(Cohort, Enrollment.cohort_id == Cohort.id)
        .join(Course, Cohort.course_id == Course.id)
        .where(Enrollment.id.in_(ids))
    )
    return {
        i: (f"{name} · {code}", url_for("enrolment.index", cohort_id=cohort_id, q=name))
        for i, cohort_id, name, code in rows
    }


def _attendance_counts(details: dict) -> str:
    parts = [ngettext("%(num)d present", "%(num)d present", int(details.get("present") or 0))]
    if details.get("late"):
        parts.append(ngettext("%(num)d late", "%(num)d late", int(details["late"])))
    if details.get("absent"):
        parts.append(ngettext("%(num)d absent", "%(num)d absent", int(details["absent"])))
    return ", ".join(parts)


def _new_status(details: dict) -> str:
    label = STATUS_LABELS.get(details.get("after"))
    return str(label) if label else ""


def _roster_counts(details: dict) -> str:
    parts = [ngettext("%(num)d enrolled", "%(num)d enrolled", int(details.get("enrolled") or 0))]
    if details.get("waitlisted"):
        parts.append(
            ngettext("%(num)d on the waitlist", "%(num)d on the waitlist", int(details["waitlisted"]))
        )
    if details.get("created"):
        parts.append(ngettext("%(num)d new person", "%(num)d new people", int(details["created"])))
    return ", ".join(parts)


record_kind("cohorts", label=_l("Trainings"), names=_cohorts)
record_kind("sessions", label=_l("Sessions"), names=_sessions)
record_kind("enrollments", label=_l("Enrolments"), names=_enrollments)

action_text("cohort.create", label=_l("Training planned"), sentence=_l("%(actor)s planned a training"))
action_text("cohort.update", label=_l("Training changed"), sentence=_l("%(actor)s changed a training"))
action_text(
    "cohort.status",
    label=_l("Training status changed"),
    sentence=_l("%(actor)s changed the status of a training"),
    details=_new_status,
)
action_text("session.create", label=_l("Session added"), sentence=_l("%(actor)s added a session"))
action_text("session.update", label=_l("Session changed"), sentence=_l("%(actor)s changed a session"))
action_text("session.delete", label=_l("Session deleted"), sentence=_l("%(actor)s deleted a session"))
action_text(
    "enrollment.enrol", label=_l("Participant enrolled"), sentence=_l("%(actor)s enrolled a participant")
)
action_text(
    "enrollment.waitlist",
    label=_l("Put on the waitlist"),
    sentence=_l("%(actor)s put a participant on the waitlist"),
)
action_text(
    "enrollment.withdraw", label=_l("Participant withdrawn"), sentence=_l("%(actor)s withdrew a participant")
)
action_text(
    "enrollment.promote",
    label=_l("Moved up from the waitlist"),
    sentence=_l("%(actor)s moved a participant up from the waitlist"),
)
action_text(
    "enrollment.create_person",
    label=_l("New participant added"),
    sentence=_l("%(actor)s added a new participant"),
)
action_text(
    "enrollment.roster_import",
    label=_l("Roster imported"),
    sentence=_l("%(actor)s imported a roster"),
    details=_roster_counts,
)
action_text(
    "attendance.mark",
    label=_l("Attendance marked"),
    sentence=_l("%(actor)s marked attendance"),
    details=_attendance_counts,
)
action_text(
    "attendance.checkin",
    label=_l("Checked in by QR code"),
    sentence=_l("%(actor)s checked in with the QR code"),
)
action_text(
    "calendar.token_rotated",
    label=_l("Calendar link renewed"),
    sentence=_l("%(actor)s renewed the private calendar link"),
)
