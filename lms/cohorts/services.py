"""Planning trainings: cohorts and their sessions, who may plan what, the status flow.

Pages, the API and the demo seed all change cohorts through these functions. Each one checks
the person's permission, the values, the lead trainer's accreditation and double bookings
(``lms.cohorts.plans`` and ``lms.cohorts.conflicts``) on plain values first, and only then writes
and audits the change.
"""

import secrets
from datetime import date, time, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload, undefer

from lms.accounts.models import User
from lms.cohorts import enrolment
from lms.cohorts.calendar import calendar_for
from lms.cohorts.conflicts import Slot, slot_from
from lms.cohorts.models import (
    COHORT_STATUSES,
    Attendance,
    Cohort,
    Enrollment,
    TrainingSession,
    cohort_trainers,
)
from lms.cohorts.plans import Plan, check_plan, check_sessions, modules_of, resolve_plan
from lms.cohorts.rules import visible_cohorts
from lms.core import audit
from lms.core.errors import Conflict, PermissionDenied, ValidationError
from lms.core.i18n import local_today, localized
from lms.core.mail import queue_email
from lms.core.permissions import can, require
from lms.courses import services as courses_services
from lms.courses.models import Course
from lms.extensions import db
from lms.org.models import District

STATUS_FLOW = {
    "draft": ("scheduled", "cancelled"),
    "scheduled": ("in_progress", "cancelled"),
    "in_progress": ("closed", "cancelled"),
    "closed": (),
    "cancelled": (),
}
FINAL_STATUSES = ("closed", "cancelled")
STATUS_LABELS = {
    "draft": _l("Draft"),
    "scheduled": _l("Scheduled"),
    "in_progress": _l("In progress"),
    "closed": _l("Closed"),
    "cancelled": _l("Cancelled"),
}
COHORT_FIELDS = frozenset(
    {
        "course_id",
        "lead_trainer_id",
        "co_trainer_ids",
        "district_id",
        "community_id",
        "venue",
        "start_date",
        "end_date",
        "capacity",
        "notes",
    }
)
SESSION_FIELDS = frozenset({"date", "starts_at", "ends_at", "module_ids", "venue"})
# Fields whose change can create a double booking or move sessions out of the cohort's dates.
TEAM_FIELDS = frozenset({"lead_trainer_id", "co_trainer_ids"})
BOOKING_FIELDS = frozenset({"lead_trainer_id", "co_trainer_ids", "venue", "start_date", "end_date"})
ACCREDITATION_FIELDS = frozenset({"lead_trainer_id", "course_id", "start_date"})
DAY_STARTS, DAY_ENDS = time(9), time(17)


def cohort_query(
    by,
    *,
    status: str | None = None,
    course_id: int | None = None,
    district_id: int | None = None,
    region_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    q: str = "",
) -> Select:
    """Cohorts ``by`` may see, filtered: running and upcoming ones first (soonest first), then
    past ones (latest first). Dates select cohorts that run at some point between ``date_from``
    and ``date_to``."""
    query = visible_cohorts(by, select(Cohort)).join(Cohort.district)
    if status:
        query = query.where(Cohort.status == status)
    if course_id:
        query = query.where(Cohort.course_id == course_id)
    if district_id:
        query = query.where(Cohort.district_id == district_id)
    if region_id:
        query = query.where(District.region_id == region_id)
    if date_from:
        query = query.where(Cohort.end_date >= date_from)
    if date_to:
        query = query.where(Cohort.start_date <= date_to)
    if q.strip():
        query = query.where(_matches(q.strip()))
    today = local_today()
    finished = case((Cohort.end_date < today, 1), else_=0)
    upcoming_first = case((Cohort.end_date < today, None), else_=Cohort.start_date)
    return query.options(
        contains_eager(Cohort.district),
        joinedload(Cohort.course),
        joinedload(Cohort.lead_trainer),
        joinedload(Cohort.community),
        joinedload(Cohort.co_trainers),
        undefer(Cohort.enrolled_count),
        undefer(Cohort.session_count),
    ).order_by(finished, upcoming_first, Cohort.start_date.desc(), Cohort.id.desc())


def _matches(needle: str):
    """Course code or title, venue, district or a trainer's name contains ``needle``.

    Names are matched on the users' case-folded search text; other text tries the common
    capitalisations, because SQLite folds the case of Latin letters only.
    """
    variants = {needle, needle.lower(), needle.capitalize(), needle.upper()}
    people = select(User.id).where(User.search_text.contains(needle.casefold(), autoescape=True))
    courses = select(Course.id).where(
        or_(
            *(column.contains(v, autoescape=True) for v in variants for column in (Course.code, Course.title))
        )
    )
    return or_(
        Cohort.course_id.in_(courses),
        *(Cohort.venue.contains(v, autoescape=True) for v in variants),
        *(District.name.contains(v, autoescape=True) for v in variants),
        Cohort.lead_trainer_id.in_(people),
        Cohort.id.in_(select(cohort_trainers.c.cohort_id).where(cohort_trainers.c.user_id.in_(people))),
    )


def propose_sessions(course: Course, start_date: date) -> list[Slot]:
    """One 09:00–17:00 session per course day from ``start_date``, the modules spread over the
    days in order so that each day holds about the same number of hours."""
    days = max(course.days, 1)
    per_day = (course.total_hours or days) / days
    slots = [Slot(start_date + timedelta(days=n), DAY_STARTS, DAY_ENDS) for n in range(days)]
    elapsed = 0.0
    for module in course.modules:
        midpoint = elapsed + module.hours / 2
        slots[min(int(midpoint // per_day), days - 1)].module_ids.append(module.id)
        elapsed += module.hours
    return slots


def allowed_statuses(cohort: Cohort, by) -> list[str]:
    """The statuses ``by`` may move the cohort to now."""
    if not can(by, "cohort.change_status", cohort):
        return []
    return list(STATUS_FLOW[cohort.status])


def create_cohort(*, by, sessions=None, status: str = "draft", **values) -> Cohort:
    """Plan a training with ``sessions`` (Slots or dicts of SESSION_FIELDS). A draft, unless
    ``status="scheduled"``. Coordinators plan in their regions, trainers the cohorts they lead."""
    require(by, "cohort.create")
    _reject_unknown(values, COHORT_FIELDS)
    if status not in ("draft", "scheduled"):
        raise ValidationError.on("status", _l("A new training is a draft or scheduled."))
    plan = resolve_plan(values)
    _require_may_plan(by, plan)
    slots = [slot_from(item) for item in sessions or []]
    check_plan(plan, slots, cohort_id=None)
    # Empty lists set up front: a new cohort has none, and reading them must not query.
    cohort = Cohort(
        status="draft",
        created_by_id=by.id,
        checkin_secret=secrets.token_urlsafe(24),
        sessions=[],
        enrollments=[],
        co_trainers=[],
    )
    _apply(cohort, plan)
    for slot in slots:
        cohort.sessions.append(_new_session(slot, plan.course))
    db.session.add(cohort)
    db.session.flush()
    audit.record(by, "cohort.create", cohort, after=_snapshot(cohort))
    if status != "draft":
        change_status(cohort, status, by=by)
    return cohort


def update_cohort(cohort: Cohort, *, by, **values) -> Cohort:
    """Change the given fields only; ``status`` (with ``cancelled_reason``) follows the flow."""
    require(by, "cohort.manage", cohort)
    status = values.pop("status", None)
    reason = values.pop("cancelled_reason", None)
    _reject_unknown(values, COHORT_FIELDS)
    changes = {name: value for name, value in values.items() if _differs(cohort, name, value)}
    if changes.keys() & TEAM_FIELDS:
        require(by, "cohort.change_team", cohort)
    if changes:
        _require_editable(cohort)
        plan = resolve_plan(changes, current=cohort)
        _require_may_replan(by, cohort, plan, changes)
        if "course_id" in changes and any(session.modules for session in cohort.sessions):
            raise ValidationError.on(
                "course_id", _l("The course cannot change while sessions list its modules.")
            )
        check_plan(
            plan,
            [Slot.of(session) for session in cohort.sessions],
            cohort_id=cohort.id,
            accreditation=bool(ACCREDITATION_FIELDS & changes.keys()),
            bookings=bool(BOOKING_FIELDS & changes.keys()),
            sessions_field="start_date",
        )
        _check_capacity(cohort, plan.capacity)
        before = _snapshot(cohort)
        _apply(cohort, plan)
        after = _snapshot(cohort)
        changed = [name for name in after if after[name] != before[name]]
        audit.record(
            by,
            "cohort.update",
            cohort,
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
        )
        if "capacity" in changed:
            enrolment.fill_from_waitlist(cohort, by=by)  # more seats: the waitlist moves up
    if status is not None and status != cohort.status:
        change_status(cohort, status, by=by, reason=reason)
    return cohort


def change_status(cohort: Cohort, status: str, *, by, reason: str | None = None) -> Cohort:
    """Move along draft → scheduled → in_progress → closed, or to cancelled (with a reason,
    which is emailed to everyone enrolled or waitlisted). Closed and cancelled are final."""
    require(by, "cohort.change_status", cohort)
    if status not in COHORT_STATUSES:
        raise ValidationError.on("status", _l("Unknown status."))
    if status == cohort.status:
        return cohort
    if status not in STATUS_FLOW[cohort.status]:
        message = _l(
            "A training that is “%(current)s” cannot become “%(wanted)s”.",
            current=STATUS_LABELS[cohort.status],
            wanted=STATUS_LABELS[status],
        )
        raise Conflict(message, fields={"status": [message]})
    if status == "closed":
        from lms.certificates.closing import require_closable

        require_closable(cohort)
    if status == "scheduled" and not cohort.sessions:
        raise ValidationError.on("status", _l("Add at least one session before scheduling the training."))
    reason = (reason or "").strip()
    if status == "cancelled" and not reason:
        raise ValidationError.on("cancelled_reason", _l("Give the reason for cancelling."))
    before = cohort.status
    cohort.status = status
    if status == "cancelled":
        cohort.cancelled_reason = reason
    audit.record(by, "cohort.status", cohort, before=before, after=status, reason=reason or None)
    if status == "cancelled":
        _email_cancellation(cohort)
    if status == "closed":
        from lms.certificates.closing import start_issuance

        start_issuance(cohort, by=by)
    return cohort


def add_session(cohort: Cohort, *, by, **values) -> TrainingSession:
    """Add a session (date, starts_at, ends_at, module_ids, venue) after the same checks as planning."""
    require(by, "cohort.manage", cohort)
    _require_editable(cohort)
    _reject_unknown(values, SESSION_FIELDS)
    slot = slot_from(values)
    check_sessions(cohort, slot, siblings=[Slot.of(s) for s in cohort.sessions])
    session = _new_session(slot, cohort.course)
    cohort.sessions.append(session)
    db.session.flush()
    audit.record(by, "session.create", session, after=_session_snapshot(session))
    return session


def update_session(session: TrainingSession, *, by, **values) -> TrainingSession:
    """Change the given fields of a session; the result is checked like a new one."""
    cohort = session.cohort
    require(by, "cohort.manage", cohort)
    _require_editable(cohort)
    _reject_unknown(values, SESSION_FIELDS)
    current = Slot.of(session)
    slot = slot_from({**vars(current), **values, "session_id": session.id})
    check_sessions(cohort, slot, siblings=[Slot.of(s) for s in cohort.sessions if s.id != session.id])
    before = _session_snapshot(session)
    session.date = slot.date
    session.starts_at = slot.starts_at
    session.ends_at = slot.ends_at
    session.venue = slot.venue
    session.modules = modules_of(cohort.course, slot.module_ids)
    db.session.flush()
    audit.record(by, "session.update", session, before=before, after=_session_snapshot(session))
    return session


def delete_session(session: TrainingSession, *, by) -> None:
    """Remove a session that has no attendance yet; a scheduled training keeps at least one."""
    cohort = session.cohort
    require(by, "cohort.manage", cohort)
    _require_editable(cohort)
    if cohort.status in ("scheduled", "in_progress") and len(cohort.sessions) == 1:
        raise Conflict(_l("A scheduled training needs at least one session; add another first."))
    marked = db.session.scalar(select(func.count(Attendance.id)).where(Attendance.session_id == session.id))
    if marked:
        raise Conflict(_l("Attendance has been marked for this session, so it cannot be deleted."))
    audit.record(by, "session.delete", session, before=_session_snapshot(session))
    cohort.sessions.remove(session)
    db.session.flush()


def accredited_trainers(course_id: int, on: date | None = None) -> list[User]:
    """Active trainers who may lead ``course_id`` on ``on`` (today when not given)."""
    query = courses_services.accredited_trainers(course_id, on or local_today())
    people = db.session.scalars(query.options(selectinload(User.role_rows)))
    return [user for user in people if user.has_role("trainer")]


def _reject_unknown(values: dict, known) -> None:
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ValidationError(_l("Unknown fields: %(names)s", names=", ".join(unknown)))


def _differs(cohort: Cohort, name: str, value) -> bool:
    if name == "co_trainer_ids":
        return set(value or []) != {user.id for user in cohort.co_trainers}
    return getattr(cohort, name) != value


def _check_capacity(cohort: Cohort, capacity: int) -> None:
    enrolled = db.session.scalar(
        select(func.count(Enrollment.id)).where(
            Enrollment.cohort_id == cohort.id, Enrollment.status == "enrolled"
        )
    )
    if capacity < enrolled:
        raise ValidationError.on(
            "capacity", _l("%(n)d people are already enrolled; reduce the list first.", n=enrolled)
        )


def _require_may_plan(by, plan: Plan) -> None:
    """Admins plan anything, coordinators in districts of their regions, trainers what they lead."""
    if by.has_role("admin") or _coordinates(by, plan.district):
        return
    if by.has_role("trainer") and plan.lead.id == by.id:
        return
    if by.has_role("coordinator"):
        message = _l("You can plan trainings only in districts of your regions.")
        raise PermissionDenied(message, fields={"district_id": [message]})
    message = _l("As a trainer you plan the trainings you lead yourself.")
    raise PermissionDenied(message, fields={"lead_trainer_id": [message]})


def _require_may_replan(by, cohort: Cohort, plan: Plan, changes: dict) -> None:
    """Handing a cohort to another lead or moving it to another district: the current lead, or
    a coordinator of the district it ends up in."""
    if not {"lead_trainer_id", "district_id"} & changes.keys():
        return
    if by.has_role("admin") or _coordinates(by, plan.district) or by.id == cohort.lead_trainer_id:
        return
    if by.has_role("coordinator"):
        message = _l("You can plan trainings only in districts of your regions.")
        field = "district_id"
    else:
        message = _l("Only the lead trainer or the region's coordinator can change the lead or the district.")
        field = "lead_trainer_id" if "lead_trainer_id" in changes else "district_id"
    raise PermissionDenied(message, fields={field: [message]})


def _coordinates(by, district: District) -> bool:
    return by.has_role("coordinator") and district.region_id in by.region_ids


def _require_editable(cohort: Cohort) -> None:
    if cohort.status in FINAL_STATUSES:
        raise Conflict(
            _l(
                "This training is “%(status)s” and can no longer be changed.",
                status=STATUS_LABELS[cohort.status],
            )
        )


def _new_session(slot: Slot, course: Course) -> TrainingSession:
    return TrainingSession(
        date=slot.date,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        venue=slot.venue,
        modules=modules_of(course, slot.module_ids),
    )


def _apply(cohort: Cohort, plan: Plan) -> None:
    # Ids as well as relationships: permission rules read ids before the next flush.
    cohort.course = plan.course
    cohort.course_id = plan.course.id
    cohort.lead_trainer = plan.lead
    cohort.lead_trainer_id = plan.lead.id
    cohort.co_trainers = plan.co_trainers
    cohort.district = plan.district
    cohort.district_id = plan.district.id
    cohort.community = plan.community
    cohort.venue = plan.venue
    cohort.start_date = plan.start_date
    cohort.end_date = plan.end_date
    cohort.capacity = plan.capacity
    cohort.notes = plan.notes


def _snapshot(cohort: Cohort) -> dict:
    return {
        "course_id": cohort.course.id,
        "lead_trainer_id": cohort.lead_trainer_id,
        "co_trainer_ids": sorted(user.id for user in cohort.co_trainers),
        "district_id": cohort.district_id,
        "community_id": cohort.community.id if cohort.community else None,
        "venue": cohort.venue,
        "start_date": cohort.start_date.isoformat(),
        "end_date": cohort.end_date.isoformat(),
        "capacity": cohort.capacity,
        "notes": cohort.notes,
        "status": cohort.status,
        "sessions": len(cohort.sessions),
    }


def _session_snapshot(session: TrainingSession) -> dict:
    return {
        "cohort_id": session.cohort_id,
        "date": session.date.isoformat(),
        "starts_at": session.starts_at.strftime("%H:%M"),
        "ends_at": session.ends_at.strftime("%H:%M"),
        "venue": session.venue,
        "module_ids": [module.id for module in session.modules],
    }


def _email_cancellation(cohort: Cohort) -> None:
    """Tell everyone enrolled or waitlisted, each in their own language, with a calendar update
    that removes the sessions from their calendars."""
    people = db.session.scalars(
        select(User)
        .join(Enrollment, Enrollment.user_id == User.id)
        .where(Enrollment.cohort_id == cohort.id, Enrollment.status.in_(("enrolled", "waitlisted")))
        .order_by(User.id)
    ).all()
    if not people:
        return
    invitation = calendar_for(cohort.sessions, cohort.course.title, method="CANCEL")
    for person in people:
        with force_locale(person.locale or "uk"):
            subject, body = _cancellation_message(cohort, person)
        queue_email(person.email, subject, body, attachments=[("training.ics", "text/calendar", invitation)])


def _cancellation_message(cohort: Cohort, person: User) -> tuple[str, str]:
    course = localized(cohort.course.title, cohort.course.title_en)
    if cohort.start_date == cohort.end_date:
        dates = cohort.start_date.strftime("%d.%m.%Y")
    else:
        dates = f"{cohort.start_date.strftime('%d.%m.%Y')}–{cohort.end_date.strftime('%d.%m.%Y')}"
    place = f"{cohort.venue}, {localized(cohort.district.name, cohort.district.name_en)}"
    subject = _("Training cancelled: %(course)s, %(dates)s", course=course, dates=dates)
    body = "\n\n".join(
        [
            _("Dear %(name)s,", name=person.full_name),
            _(
                "the training «%(course)s» planned for %(dates)s at %(place)s is cancelled.",
                course=course,
                dates=dates,
                place=place,
            ),
            _("Reason: %(reason)s", reason=cohort.cancelled_reason),
            _("You do not need to do anything. We will let you know when a new date is set."),
            "Cascade LMS",
        ]
    )
    return subject, body
