"""Loading a cohort for the test pages with what the permission checks read already loaded
(trainers, district, course), so the checks add no queries."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lms.cohorts.models import Cohort
from lms.core.errors import NotFound
from lms.core.permissions import can, require
from lms.extensions import db


def cohort_for(cohort_id: int, *, by, action: str) -> Cohort:
    """The cohort; NotFound when there is none or ``by`` may not see it, PermissionDenied when
    ``by`` may not do ``action`` to it (as ``lms.cohorts.lookup.get_cohort``)."""
    cohort = (
        db.session.scalars(
            select(Cohort)
            .options(
                # Joined, not selectin: a cohort expired by a commit is refreshed with these options.
                joinedload(Cohort.co_trainers),
                joinedload(Cohort.district),
                joinedload(Cohort.course),
                joinedload(Cohort.enrollments),
            )
            .where(Cohort.id == cohort_id)
        )
        .unique()
        .first()
    )
    if cohort is None or not can(by, "cohort.view", cohort):
        raise NotFound(_l("No such training."))
    require(by, action, cohort)
    return cohort
