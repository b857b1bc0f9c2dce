"""The room during a test: who has started and submitted, and extra time for one person."""

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lms.assessments.models import Attempt, CohortTest, Response
from lms.cohorts.attendance import roster
from lms.cohorts.models import Enrollment
from lms.core import audit
from lms.core.db import utcnow
from lms.core.errors import Conflict, ValidationError
from lms.core.permissions import require
from lms.extensions import db


def extend_time(attempt: Attempt, minutes: int, *, by, now: datetime | None = None) -> Attempt:
    """Give one person more time (from her deadline, or from now if it has passed)."""
    require(by, "test.manage", attempt.test.cohort)
    if not 1 <= minutes <= 120:
        raise ValidationError.on("minutes", _l("Extra time is between 1 and 120 minutes."))
    if attempt.submitted_at is not None:
        raise Conflict(_l("This attempt is already submitted."))
    if attempt.test.status != "open":
        raise Conflict(_l("This test is not open."))
    now = now or utcnow()
    base = max(attempt.deadline or now, now)
    attempt.deadline = base + timedelta(minutes=minutes)
    audit.record(by, "test.extend_time", attempt, minutes=minutes)
    return attempt


def live_status(test: CohortTest) -> list[tuple[Enrollment, Attempt | None, int]]:
    """Each enrolled person with her attempt and how many answers she saved (two queries)."""
    people = roster(test.cohort)
    attempts = {
        a.enrollment_id: a for a in db.session.scalars(select(Attempt).where(Attempt.test_id == test.id))
    }
    answered = dict(
        db.session.execute(
            select(Response.attempt_id, func.count(Response.id))
            .join(Attempt, Attempt.id == Response.attempt_id)
            .where(Attempt.test_id == test.id)
            .group_by(Response.attempt_id)
        ).all()
    )
    return [
        (e, attempts.get(e.id), answered.get(attempts[e.id].id, 0) if e.id in attempts else 0) for e in people
    ]
