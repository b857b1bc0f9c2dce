"""Which people a coordinator sees.

A coordinator sees the people of her regions: a person whose institution is in a district of
one of her regions, or who is (or was: waitlisted and withdrawn count too) enrolled in a training
held in one of her regions. Nobody else: another region's people are not found (404), as if
they did not exist. Admins see everyone; anyone else sees only herself.
"""

from sqlalchemy import or_, select

from lms.cohorts.models import Cohort, Enrollment
from lms.extensions import db
from lms.org.models import District, Institution


def people_in_scope(user, query):
    """Narrow a ``select(User)`` to the people ``user`` may see (see the module's rule)."""
    from lms.accounts.models import User

    if user.has_role("admin"):
        return query
    region_ids = sorted(user.region_ids) if user.has_role("coordinator") else []
    if not region_ids:
        return query.where(User.id == user.id)
    districts = select(District.id).where(District.region_id.in_(region_ids))
    return query.where(
        or_(
            User.id == user.id,
            User.institution_id.in_(select(Institution.id).where(Institution.district_id.in_(districts))),
            User.id.in_(
                select(Enrollment.user_id)
                .join(Cohort, Cohort.id == Enrollment.cohort_id)
                .where(Cohort.district_id.in_(districts))
            ),
        )
    )


def in_coordinator_scope(user, person) -> bool:
    """Whether ``person`` is one of ``user``'s people: one statement."""
    from lms.accounts.models import User

    query = people_in_scope(user, select(User.id).where(User.id == person.id))
    return db.session.scalar(query.limit(1)) is not None
