"""Personal access without a password: an unguessable link per enrolment (the QR slip, the
invitation), or the room's link with her name and a short personal code. Either opens a limited
session for her own tests and results only, during the cohort's dates."""

import hmac
import secrets
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from lms.assessments.models import AccessPass, CodeFailure, CohortTest
from lms.cohorts.models import Cohort, Enrollment
from lms.core.db import utcnow
from lms.core.errors import NotFound, TooManyRequests, ValidationError
from lms.core.i18n import local_today
from lms.extensions import db

CODE_DIGITS = 6
CODE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_PERSON = 5
MAX_FAILURES_PER_ADDRESS = 30


def _new_pass(enrollment: Enrollment) -> AccessPass:
    """A 32-character random token and a six-digit code, added to the session."""
    access = AccessPass(
        enrollment_id=enrollment.id,
        token=secrets.token_urlsafe(24),
        code=f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}",
    )
    db.session.add(access)
    return access


def pass_for(enrollment: Enrollment) -> AccessPass:
    """Her pass, made on first use."""
    existing = db.session.get(AccessPass, enrollment.id)
    if existing is not None:
        return existing
    access = _new_pass(enrollment)
    db.session.flush()
    return access


def passes_for(enrollments: list[Enrollment]) -> tuple[dict[int, AccessPass], bool]:
    """Passes for many people in one query, making the missing ones in one more; and whether
    any was made."""
    ids = [e.id for e in enrollments]
    found = {
        p.enrollment_id: p
        for p in db.session.scalars(select(AccessPass).where(AccessPass.enrollment_id.in_(ids)))
    }
    missing = [e for e in enrollments if e.id not in found]
    for enrollment in missing:
        found[enrollment.id] = _new_pass(enrollment)
    if missing:
        db.session.flush()
    return found, bool(missing)


def is_valid_for_dates(cohort: Cohort, now: datetime | None = None) -> bool:
    """Passes work during the cohort's dates (its local days, first to last)."""
    return pass_dates_valid(cohort.status, cohort.start_date, cohort.end_date, now)


def pass_dates_valid(status: str, start: date, end: date, now: datetime | None = None) -> bool:
    """The same rule from a cohort's columns (the answer path reads them, not the cohort)."""
    return status not in ("cancelled", "draft") and start <= local_today(now) <= end


def enrollment_from_token(token: str, *, now: datetime | None = None) -> Enrollment:
    """The enrolment a personal link belongs to; NotFound for an unknown, withdrawn or
    out-of-date link (the same answer, so a guess learns nothing)."""
    access = db.session.scalars(
        select(AccessPass)
        .options(joinedload(AccessPass.enrollment).joinedload(Enrollment.cohort))
        .where(AccessPass.token == token[:64])
    ).first()
    if access is None or not _usable(access.enrollment, now):
        raise NotFound(_l("This link is not valid. Ask the trainer for your personal code."))
    return access.enrollment


def _usable(enrollment: Enrollment, now: datetime | None) -> bool:
    return enrollment.status == "enrolled" and is_valid_for_dates(enrollment.cohort, now)


def test_from_room_code(room_code: str, *, now: datetime | None = None) -> CohortTest:
    test = db.session.scalars(
        select(CohortTest)
        .options(joinedload(CohortTest.cohort).joinedload(Cohort.course))
        .where(CohortTest.room_code == room_code[:16])
    ).first()
    if test is None or not is_valid_for_dates(test.cohort, now):
        raise NotFound(_l("This room link is not valid."))
    return test


def confirm_code(
    test: CohortTest, enrollment_id: int, code: str, *, ip: str = "", now: datetime | None = None
) -> Enrollment:
    """The enrolment if ``code`` is hers. A wrong code is recorded (the caller commits it) and
    refused; too many wrong codes for one person or from one address are throttled."""
    now = now or utcnow()
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None or enrollment.cohort_id != test.cohort_id or not _usable(enrollment, now):
        raise NotFound(_l("This person is not in the training."))
    since = now - CODE_WINDOW
    by_person = db.session.scalar(
        select(func.count(CodeFailure.id)).where(
            CodeFailure.enrollment_id == enrollment.id, CodeFailure.at > since
        )
    )
    by_address = db.session.scalar(
        select(func.count(CodeFailure.id)).where(CodeFailure.ip == ip, CodeFailure.at > since)
    )
    if by_person >= MAX_FAILURES_PER_PERSON or (ip and by_address >= MAX_FAILURES_PER_ADDRESS):
        raise TooManyRequests(_l("Too many wrong codes. Wait 15 minutes or ask the trainer."))
    access = db.session.get(AccessPass, enrollment.id)
    if access is None or not hmac.compare_digest(access.code, (code or "").strip()[: CODE_DIGITS + 2]):
        db.session.add(CodeFailure(enrollment_id=enrollment.id, ip=ip[:64], at=now))
        raise WrongCode()
    return enrollment


class WrongCode(ValidationError):
    code = "wrong_code"

    def default_message(self):
        return _l("This code is not right. Check the code on your slip.")
