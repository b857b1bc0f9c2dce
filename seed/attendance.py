"""Demo data: attendance for the sessions of closed and running trainings.

Most people come (about nine in ten marks are "present", some "late", a few "absent"); in each
closed training one or two people miss enough to fall below the course's attendance rule, so
the certificate pages have someone to leave out. Closed trainings were partly entered from the
paper sign-in sheets; in a running training today's session has the first self check-ins.
"""

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from lms.cohorts import attendance, checkin
from lms.cohorts.models import Attendance, Cohort, Enrollment, TrainingSession
from lms.core.db import utcnow
from lms.core.i18n import local_today
from lms.extensions import db
from seed.cohorts import demo_status

DEMO_PARTICIPANT = "uchasnyk@cascade.demo"
LATE_NOTES = ["Запізнення через транспорт", "Затримали на роботі", "Прийшла після обіду"]
ABSENT_NOTES = ["Лікарняний", "Службове відрядження", "Сімейні обставини", ""]


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def _at(session: TrainingSession, *, days_later: int = 0) -> datetime:
    """The end of the session (or some days later) in the trainings' time zone."""
    return datetime.combine(session.date + timedelta(days=days_later), session.ends_at, tzinfo=_zone())


def _random_status(rng: random.Random) -> str:
    roll = rng.random()
    return "present" if roll < 0.9 else "late" if roll < 0.96 else "absent"


def _plan(cohort: Cohort, sessions: list[TrainingSession], people: list[Enrollment], rng) -> dict:
    """{enrollment id: [status per session]}: mostly present, everyone meeting the rule except
    one or two people in a closed training."""
    minimum = cohort.course.min_attendance_percent
    below = set()
    # In a closed training one or two fall short, except in a training of trainers, whose
    # graduates go on to train (the demo's cascade).
    if demo_status(cohort) == "closed" and minimum > 0 and people and not cohort.course.is_tot:
        # The demo participant passes: her home page shows a completed training and certificate.
        others = [e for e in people if e.user.email != DEMO_PARTICIPANT] or people
        below = {e.id for e in rng.sample(others, 2 if len(people) >= 15 else 1)}
    plan = {}
    for enrollment in people:
        statuses = [_random_status(rng) for _ in sessions]
        if enrollment.id in below:
            statuses = ["present"] * len(sessions)
            for index in reversed(range(len(sessions))):
                statuses[index] = "absent"
                if _percent(sessions, statuses) < minimum:
                    break
        else:
            for index, status in enumerate(statuses):
                if status == "absent" and _percent(sessions, statuses) < minimum:
                    statuses[index] = "present"
        plan[enrollment.id] = statuses
    return plan


def _percent(sessions: list[TrainingSession], statuses: list[str]) -> float:
    attended = {s.id for s, status in zip(sessions, statuses, strict=True) if status != "absent"}
    return attendance.share_of_session_time(sessions, attended)


def _note(status: str, rng: random.Random) -> str:
    if status == "late":
        return rng.choice(LATE_NOTES)
    if status == "absent":
        return rng.choice(ABSENT_NOTES)
    return ""


def _first_check_ins(session: TrainingSession, people: list[Enrollment], rng) -> None:
    """Today's session of a running training, once begun: some people have scanned the code."""
    now = datetime.combine(session.date, session.starts_at, tzinfo=_zone()) + timedelta(minutes=5)
    if now > utcnow():
        return
    token = checkin.checkin_token(session, int(now.timestamp()) // 60)
    for enrollment in rng.sample(people, max(1, len(people) * 2 // 5)):
        checkin.check_in(session.id, token, by=enrollment.user, now=now)


def _mark_cohort(cohort: Cohort) -> None:
    today = local_today()
    people = attendance.roster(cohort)
    if not people:
        return
    rng = random.Random(  # nosec B311
        f"attendance-{cohort.course.code}-{cohort.start_date}"
    )  # reproducible demo data, not security
    finished = demo_status(cohort, today) == "closed"
    past = [s for s in cohort.sessions if s.date < today or (finished and s.date <= today)]
    plan = _plan(cohort, past, people, rng)
    marked = set(
        db.session.scalars(
            select(Attendance.session_id).join(TrainingSession).where(TrainingSession.cohort_id == cohort.id)
        )
    )
    for index, session in enumerate(past):
        if session.id in marked:
            continue
        statuses = {eid: plan[eid][index] for eid in plan}
        paper = finished and rng.random() < 0.5
        attendance.mark_attendance(
            session,
            by=cohort.lead_trainer,
            statuses=statuses,
            notes={eid: _note(status, rng) for eid, status in statuses.items()},
            source="paper" if paper else "trainer",
            now=_at(session, days_later=2 if paper else 0),
        )
    todays = [s for s in cohort.sessions if s.date == today and s.id not in marked]
    if not finished and cohort.status == "in_progress" and todays:
        _first_check_ins(todays[0], people, rng)


def load(people: dict) -> dict:
    """Attendance for closed and running trainings; sessions already marked are left alone."""
    cohorts = db.session.scalars(
        select(Cohort)
        .where(Cohort.status.in_(("closed", "in_progress")))
        .order_by(Cohort.start_date, Cohort.id)
    ).all()
    if not cohorts:
        return {}
    for cohort in cohorts:
        _mark_cohort(cohort)
    db.session.flush()
    return {"attendance_marks": db.session.scalar(select(func.count(Attendance.id)))}
