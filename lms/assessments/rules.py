"""Permission rules of the assessments feature, registered with ``lms.core.permissions``."""

from sqlalchemy import select

from lms.core.permissions import rule
from lms.extensions import db
from lms.org.rules import region_id_of


def _accredited_for(user, course) -> bool:
    from lms.courses.models import Accreditation

    return (
        db.session.scalar(
            select(Accreditation.id).where(
                Accreditation.user_id == user.id,
                Accreditation.course_id == course.id,
                Accreditation.revoked_at.is_(None),
            )
        )
        is not None
    )


@rule("question.view")
def _see_bank(user, course) -> bool:
    """Coordinators and trainers read banks; participants never (the answers are in it)."""
    return user.has_role("coordinator", "trainer")


@rule("question.manage")
def _write_bank(user, course) -> bool:
    """Coordinators, and trainers accredited to deliver the course, write its questions."""
    if course is None:
        return user.has_role("coordinator", "trainer")
    return user.has_role("coordinator") or (user.has_role("trainer") and _accredited_for(user, course))


def _runs(user, cohort) -> bool:
    if cohort is None:
        return False
    if user.has_role("coordinator") and region_id_of(cohort) in user.region_ids:
        return True
    return user.id in cohort.trainer_ids


@rule("test.manage", "results.view", "scores.enter")
def _cohort_staff(user, cohort) -> bool:
    """Open and close tests, enter paper answers, read results: the cohort's trainers and its
    region's coordinator only."""
    return _runs(user, cohort)


@rule("results.view_own")
def _own_results(user, enrollment) -> bool:
    return enrollment is not None and enrollment.user_id == user.id
