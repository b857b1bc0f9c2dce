"""Rules for cohorts, their enrolment and attendance, and the query behind every cohort list."""

from sqlalchemy import inspect, or_, select

from lms.cohorts.models import Cohort, Enrollment, cohort_trainers
from lms.core.permissions import rule
from lms.extensions import db
from lms.org.models import District
from lms.org.rules import coordinates


@rule("cohort.list")
def _cohort_list(user, obj) -> bool:
    return True  # the list itself is filtered by ``visible_cohorts``


@rule("cohort.create")
def _cohort_create(user, obj) -> bool:
    return user.has_role("coordinator", "trainer")


@rule("cohort.view")
def _cohort_view(user, cohort) -> bool:
    if cohort is None:
        return False
    if coordinates(user, cohort) or user.id in cohort.trainer_ids:
        return True
    return _is_enrolled(user, cohort, ("enrolled", "waitlisted"))


@rule("cohort.manage", "attendance.mark", "enrollment.manage")
def _cohort_manage(user, cohort) -> bool:
    """Plan sessions, enrol, mark attendance: the cohort's trainers and its region's coordinator."""
    return cohort is not None and (coordinates(user, cohort) or user.id in cohort.trainer_ids)


@rule("cohort.change_status", "cohort.change_team")
def _cohort_change_status(user, cohort) -> bool:
    """Schedule, start, close or cancel, and choose the lead and co-trainers: the lead trainer
    and the region's coordinator (a co-trainer could otherwise add a friend who then sees the
    participants' contacts, or remove her colleagues)."""
    return cohort is not None and (coordinates(user, cohort) or user.id == cohort.lead_trainer_id)


@rule("attendance.checkin")
def _self_checkin(user, session) -> bool:
    return session is not None and _is_enrolled(user, session.cohort, ("enrolled",))


def _is_enrolled(user, cohort, statuses: tuple[str, ...]) -> bool:
    """Whether ``user`` is in ``cohort`` with one of ``statuses``: from the loaded list when the
    caller loaded it, else one query (not the whole list)."""
    if "enrollments" in inspect(cohort).dict:
        return any(e.user_id == user.id and e.status in statuses for e in cohort.enrollments)
    query = select(Enrollment.id).where(
        Enrollment.cohort_id == cohort.id, Enrollment.user_id == user.id, Enrollment.status.in_(statuses)
    )
    return db.session.scalar(query.limit(1)) is not None


def visible_cohorts(user, query):
    """Narrow a ``select(Cohort)`` to what ``user`` may see: all (admin), her regions
    (coordinator), cohorts she trains, and cohorts she is enrolled in."""
    if user.has_role("admin"):
        return query
    conditions = [
        Cohort.lead_trainer_id == user.id,
        Cohort.id.in_(select(cohort_trainers.c.cohort_id).where(cohort_trainers.c.user_id == user.id)),
        Cohort.id.in_(
            select(Enrollment.cohort_id).where(
                Enrollment.user_id == user.id, Enrollment.status != "withdrawn"
            )
        ),
    ]
    if user.has_role("coordinator") and user.region_ids:
        conditions.append(
            Cohort.district_id.in_(select(District.id).where(District.region_id.in_(user.region_ids)))
        )
    return query.where(or_(*conditions))
