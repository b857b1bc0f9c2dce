"""Loading a cohort or session for a person: one she may not see is not found (404, so ids reveal
nothing); one she sees but may not act on is refused (403)."""

from flask_babel import lazy_gettext as _l

from lms.cohorts.models import Cohort, TrainingSession
from lms.core.errors import NotFound
from lms.core.permissions import can, require
from lms.extensions import db


def get_cohort(cohort_id: int, *, by=None, action: str | None = None) -> Cohort:
    """The cohort; NotFound when there is none or ``by`` (when given) may not see it, and
    PermissionDenied when ``by`` may not do ``action`` to it."""
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or (by is not None and not can(by, "cohort.view", cohort)):
        raise NotFound(_l("No such training."))
    if action is not None:
        require(by, action, cohort)
    return cohort


def get_session(session_id: int, *, by=None, action: str | None = None) -> TrainingSession:
    """The session, under the same rules as its cohort."""
    session = db.session.get(TrainingSession, session_id)
    if session is None or (by is not None and not can(by, "cohort.view", session.cohort)):
        raise NotFound(_l("No such session."))
    if action is not None:
        require(by, action, session.cohort)
    return session
