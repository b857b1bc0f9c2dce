"""Self check-in: the trainer shows a QR code that changes every minute; a participant who
scans it while signed in is marked present."""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.cohorts.attendance import ATTENDED, upsert_marks
from lms.cohorts.lookup import get_session
from lms.cohorts.models import Attendance, Enrollment, TrainingSession
from lms.core import audit
from lms.core.db import utcnow
from lms.core.errors import DomainError, NotFound, ValidationError
from lms.core.i18n import local_today
from lms.core.permissions import require
from lms.extensions import db

CHECKIN_COHORT_STATUSES = ("scheduled", "in_progress")
TOKEN_LENGTH = 16
# The code on the screen changes every minute; the one before it is still accepted so that a
# person who scanned just before the change is not turned away.
TOKEN_MINUTES_ACCEPTED = 2


class CheckinRefused(DomainError):
    """Self check-in was refused; ``reason`` is expired, not_enrolled, closed or wrong_day."""

    status = 422
    code = "checkin_refused"
    statuses = {"expired": 410, "not_enrolled": 403, "closed": 422, "wrong_day": 422}

    def __init__(self, reason: str, message):
        super().__init__(message)
        self.reason = reason
        self.status = self.statuses[reason]


def _minute(now: datetime | None) -> int:
    return int((now or utcnow()).timestamp()) // 60


def checkin_token(session: TrainingSession, minute: int) -> str:
    """The code for ``session`` during one minute (unix time // 60): an HMAC only the server
    can make, changed by rotating the cohort's check-in secret."""
    key = (current_app.config["SECRET_KEY"] + session.cohort.checkin_secret).encode()
    digest = hmac.new(key, f"{session.id}:{minute}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:TOKEN_LENGTH]


@dataclass
class CheckinCode:
    token: str
    seconds_left: int


def current_checkin_code(session: TrainingSession, *, by, now: datetime | None = None) -> CheckinCode:
    """The code to show in the room now, and how many seconds until it changes."""
    require(by, "attendance.mark", session.cohort)
    if session.cohort.status not in CHECKIN_COHORT_STATUSES:
        raise ValidationError(_l("Self check-in is open only for scheduled and running trainings."))
    if not session.cohort.checkin_secret:
        session.cohort.checkin_secret = secrets.token_urlsafe(32)
        db.session.flush()
    now = now or utcnow()
    return CheckinCode(checkin_token(session, _minute(now)), 60 - int(now.timestamp()) % 60)


def _token_is_current(session: TrainingSession, token: str, now: datetime | None) -> bool:
    minute = _minute(now)
    return any(
        hmac.compare_digest(checkin_token(session, minute - back), token)
        for back in range(TOKEN_MINUTES_ACCEPTED)
    )


def check_in(session_id: int, token: str, *, by, now: datetime | None = None) -> tuple[TrainingSession, bool]:
    """Mark ``by`` present at the session from a scanned code. Returns the session and whether
    this scan marked them (False: they were already marked present or late)."""
    try:
        session = get_session(session_id)
    except NotFound:
        raise NotFound() from None
    if not _token_is_current(session, token, now):
        raise CheckinRefused("expired", _l("This code has expired. Ask the trainer to show the new code."))
    enrollment = db.session.scalars(
        select(Enrollment).where(
            Enrollment.cohort_id == session.cohort_id,
            Enrollment.user_id == by.id,
            Enrollment.status == "enrolled",
        )
    ).first()
    if enrollment is None:
        raise CheckinRefused(
            "not_enrolled", _l("You are not enrolled in this training. Please speak to the trainer.")
        )
    require(by, "attendance.checkin", session)
    if session.cohort.status not in CHECKIN_COHORT_STATUSES:
        raise CheckinRefused("closed", _l("Check-in is closed for this training."))
    if session.date != local_today(now):
        raise CheckinRefused(
            "wrong_day", _l("Check-in for this session is only open on the day of the session.")
        )
    existing = db.session.scalars(
        select(Attendance).where(
            Attendance.session_id == session.id, Attendance.enrollment_id == enrollment.id
        )
    ).first()
    if existing is not None and existing.status in ATTENDED:
        return session, False
    row = {
        "session_id": session.id,
        "enrollment_id": enrollment.id,
        "status": "present",
        "note": existing.note if existing else "",
        "source": "self_checkin",
        "marked_by_id": by.id,
        "marked_at": now or utcnow(),
    }
    # Only an "absent" mark gives way: a trainer's present or late mark made meanwhile stands.
    upsert_marks([row], replace_statuses=("absent",))
    audit.record(by, "attendance.checkin", session, enrollment_id=enrollment.id)
    return session, True
