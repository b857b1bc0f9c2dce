"""Loading a cohort or session for a person: one she may not see is not found (404, so ids reveal
nothing); one she sees but may not act on is refused (403).

Each loads, in a fixed number of statements, what the permission rules read (district, trainers)
plus what the caller shows (``load``: ``PAGE`` for a cohort's page, ``API`` for its API form).
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload, undefer

from lms.cohorts.models import Cohort, TrainingSession
from lms.core.errors import NotFound
from lms.core.permissions import can, require
from lms.courses.models import Course
from lms.extensions import db
from lms.org.models import District

# What the access rules read (the region through the district, the trainers) and what every
# page about a cohort names (course, lead trainer, place): one statement.
NAMES = (
    joinedload(Cohort.course),
    joinedload(Cohort.lead_trainer),
    joinedload(Cohort.community),
    joinedload(Cohort.district).joinedload(District.region),
    joinedload(Cohort.co_trainers),
)
# The default, for services that plan, enrol and write: the sessions and modules too. Joined, not
# selectin, because a cohort expired by a commit is refreshed with these same options, and a
# selectin load there would be a lazy load.
ACCESS = (
    *NAMES,
    joinedload(Cohort.course).joinedload(Course.modules),
    joinedload(Cohort.sessions).joinedload(TrainingSession.modules),
)
# Counted by the database in the statement that loads the cohort.
COUNTS = (undefer(Cohort.enrolled_count), undefer(Cohort.session_count))
# The API form: names and counts, no lists.
API = (*NAMES, *COUNTS)
# A cohort's page (a GET: nothing is committed, so nothing is refreshed): the lists in their own
# statements, which read far fewer rows than one statement joining every list to every other.
PAGE = (
    *NAMES,
    *COUNTS,
    selectinload(Cohort.sessions).selectinload(TrainingSession.modules),
    joinedload(Cohort.course).selectinload(Course.modules),
)


def get_cohort(cohort_id: int, *, by=None, action: str | None = None, load=ACCESS) -> Cohort:
    """The cohort loaded with ``load``; NotFound when there is none or ``by`` (when given) may not
    see it, and PermissionDenied when ``by`` may not do ``action`` to it."""
    query = select(Cohort).where(Cohort.id == cohort_id).options(*load)
    cohort = db.session.scalars(query).unique().one_or_none()
    if cohort is None or (by is not None and not can(by, "cohort.view", cohort)):
        raise NotFound(_l("No such training."))
    if action is not None:
        require(by, action, cohort)
    return cohort


def get_session(session_id: int, *, by=None, action: str | None = None, options=()) -> TrainingSession:
    """The session, under the same rules as its cohort."""
    query = (
        select(TrainingSession)
        .where(TrainingSession.id == session_id)
        .options(
            joinedload(TrainingSession.cohort).options(*ACCESS),
            joinedload(TrainingSession.modules),
            *options,
        )
    )
    session = db.session.scalars(query).unique().one_or_none()
    if session is None or (by is not None and not can(by, "cohort.view", session.cohort)):
        raise NotFound(_l("No such session."))
    if action is not None:
        require(by, action, session.cohort)
    return session
