"""Calendars of sessions: iCalendar documents (invitations, the private feed behind each
person's secret address) and the month and week views of the calendar page."""

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from icalendar import Calendar, Event
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, selectinload

from lms.accounts.models import User
from lms.cohorts.models import Cohort, Enrollment, TrainingSession, cohort_trainers
from lms.cohorts.rules import visible_cohorts
from lms.core import audit
from lms.core.errors import NotFound
from lms.core.i18n import local_today, local_zone
from lms.core.permissions import require
from lms.core.text import one_line
from lms.extensions import db
from lms.org.models import District

EVENT_STATUS = {"cancelled": "CANCELLED", "draft": "TENTATIVE"}
VIEWS = ("month", "week")
FEED_PAST_DAYS = 60


def session_event(session: TrainingSession) -> Event:
    cohort = session.cohort
    event = Event()
    event.add("uid", f"session-{session.id}@cascade-lms")
    # Titles and venues from before input was checked may hold line breaks: strip them here.
    event.add("summary", one_line(cohort.course.title))
    event.add("dtstart", datetime.combine(session.date, session.starts_at, tzinfo=local_zone()))
    event.add("dtend", datetime.combine(session.date, session.ends_at, tzinfo=local_zone()))
    event.add("location", one_line(f"{session.effective_venue}, {cohort.district.name}"))
    modules = "; ".join(module.title for module in session.modules)
    event.add("description", one_line(f"{cohort.course.code} · {modules}" if modules else cohort.course.code))
    event.add("status", EVENT_STATUS.get(cohort.status, "CONFIRMED"))
    return event


def calendar_for(sessions, name: str, method: str | None = None) -> bytes:
    """An .ics document holding ``sessions``; ``method="CANCEL"`` for a cancellation notice."""
    calendar = Calendar()
    calendar.add("prodid", "-//Cascade LMS//uk")
    calendar.add("version", "2.0")
    if method:
        calendar.add("method", method)
    calendar.add("x-wr-calname", one_line(name))
    calendar.add("x-wr-timezone", current_app.config["BABEL_DEFAULT_TIMEZONE"])
    for session in sessions:
        calendar.add_component(session_event(session))
    calendar.add_missing_timezones()  # a VTIMEZONE for Europe/Kyiv, as RFC 5545 asks
    return calendar.to_ical()


def cohort_ics(cohort: Cohort) -> bytes:
    """The cohort's sessions as an .ics attachment for invitations."""
    return calendar_for(cohort.sessions, cohort.course.title)


@dataclass
class CalendarDay:
    date: date
    in_period: bool
    sessions: list = field(default_factory=list)

    @property
    def is_today(self) -> bool:
        return self.date == local_today()


@dataclass
class Period:
    """What one page of the calendar shows: a month (whole weeks around it) or a week."""

    view: str
    first: date  # the month's first day or the week's Monday
    last: date
    previous: date
    next: date

    @property
    def grid_start(self) -> date:
        return self.first - timedelta(days=self.first.weekday())

    @property
    def grid_end(self) -> date:
        return self.last + timedelta(days=6 - self.last.weekday())


def period(view: str, anchor: date) -> Period:
    """The month or the Monday-to-Sunday week holding ``anchor``, with its neighbours."""
    if view == "week":
        monday = anchor - timedelta(days=anchor.weekday())
        return Period(
            "week", monday, monday + timedelta(days=6), monday - timedelta(days=7), monday + timedelta(days=7)
        )
    first = anchor.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    return Period("month", first, following - timedelta(days=1), previous, following)


def calendar_weeks(shown: Period, sessions) -> list[list[CalendarDay]]:
    """Whole Monday-to-Sunday weeks covering the period, each day with its sessions."""
    by_date: dict[date, list] = {}
    for session in sessions:
        by_date.setdefault(session.date, []).append(session)
    weeks, day = [], shown.grid_start
    while day <= shown.grid_end:
        week = []
        for _weekday in range(7):
            week.append(CalendarDay(day, shown.first <= day <= shown.last, by_date.get(day, [])))
            day += timedelta(days=1)
        weeks.append(week)
    return weeks


def calendar_sessions(by, start: date, end: date, *, region_id: int | None = None) -> list[TrainingSession]:
    """Sessions between ``start`` and ``end`` of the cohorts ``by`` trains, oversees or attends."""
    cohorts = visible_cohorts(by, select(Cohort.id))
    if region_id:
        cohorts = cohorts.join(Cohort.district).where(District.region_id == region_id)
    query = (
        select(TrainingSession)
        .where(TrainingSession.cohort_id.in_(cohorts), TrainingSession.date.between(start, end))
        .options(  # many-to-one all the way: one statement, not four round trips
            joinedload(TrainingSession.cohort).joinedload(Cohort.course),
            joinedload(TrainingSession.cohort).joinedload(Cohort.district),
        )
        .order_by(TrainingSession.date, TrainingSession.starts_at, TrainingSession.id)
    )
    return list(db.session.scalars(query))


def feed_sessions(user: User, *, today: date | None = None) -> list[TrainingSession]:
    """The person's own sessions for the private iCal feed: as lead or co-trainer and as an
    enrolled participant, from FEED_PAST_DAYS ago on (cancelled ones too, marked so)."""
    since = (today or local_today()) - timedelta(days=FEED_PAST_DAYS)
    mine = or_(
        Cohort.lead_trainer_id == user.id,
        Cohort.id.in_(select(cohort_trainers.c.cohort_id).where(cohort_trainers.c.user_id == user.id)),
        Cohort.id.in_(
            select(Enrollment.cohort_id).where(Enrollment.user_id == user.id, Enrollment.status == "enrolled")
        ),
    )
    query = (
        select(TrainingSession)
        .join(TrainingSession.cohort)
        .where(mine, TrainingSession.date >= since)
        .options(
            selectinload(TrainingSession.modules),
            joinedload(TrainingSession.cohort).joinedload(Cohort.course),
            joinedload(TrainingSession.cohort).joinedload(Cohort.district),
        )
        .order_by(TrainingSession.date, TrainingSession.starts_at)
    )
    return list(db.session.scalars(query))


def rotate_calendar_token(user: User, *, by) -> str:
    """Give ``user`` a new private feed address; subscriptions to the old one stop at once."""
    if by is None or by.id != user.id:
        require(by, "user.manage")
    user.calendar_token = secrets.token_urlsafe(32)
    audit.record(by, "calendar.token_rotated", user)
    return user.calendar_token


def user_for_calendar_token(token: str) -> User:
    """The active person whose feed this is; NotFound for an unknown or rotated token."""
    user = None
    if token:
        user = db.session.scalar(select(User).where(User.calendar_token == token, User.active.is_(True)))
    if user is None:
        raise NotFound(_l("No such calendar."))
    return user


def private_feed(token: str) -> bytes:
    """The .ics feed behind a private calendar address, named in its owner's language."""
    user = user_for_calendar_token(token)
    with force_locale(user.locale or "uk"):
        name = _("Trainings: %(name)s", name=user.full_name)
    return calendar_for(feed_sessions(user), name)
