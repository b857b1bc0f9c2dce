"""iCalendar documents for cohorts and sessions (invitations, private feeds)."""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from icalendar import Calendar, Event

from lms.cohorts.models import Cohort, TrainingSession


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def session_event(session: TrainingSession) -> Event:
    cohort = session.cohort
    event = Event()
    event.add("uid", f"session-{session.id}@cascade-lms")
    event.add("summary", cohort.course.title)
    event.add("dtstart", datetime.combine(session.date, session.starts_at, tzinfo=_zone()))
    event.add("dtend", datetime.combine(session.date, session.ends_at, tzinfo=_zone()))
    event.add("location", f"{session.effective_venue}, {cohort.district.name}")
    modules = "; ".join(module.title for module in session.modules)
    event.add("description", f"{cohort.course.code} · {modules}" if modules else cohort.course.code)
    event.add("status", "CANCELLED" if cohort.status == "cancelled" else "CONFIRMED")
    return event


def calendar_for(sessions, name: str) -> bytes:
    """An .ics document holding ``sessions``."""
    calendar = Calendar()
    calendar.add("prodid", "-//Cascade LMS//uk")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", current_app.config["BABEL_DEFAULT_TIMEZONE"])
    for session in sessions:
        calendar.add_component(session_event(session))
    return calendar.to_ical()


def cohort_ics(cohort: Cohort) -> bytes:
    """The cohort's sessions as an .ics attachment for invitations."""
    return calendar_for(cohort.sessions, cohort.course.title)
