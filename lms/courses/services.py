"""Courses and trainer accreditation."""

from datetime import date

from sqlalchemy import select

from lms.courses.models import Accreditation
from lms.extensions import db


def is_accredited(user_id: int, course_id: int, on: date | None = None) -> bool:
    """True when the person holds an unrevoked accreditation for the course (granted by ``on``)."""
    query = select(Accreditation.id).where(
        Accreditation.user_id == user_id,
        Accreditation.course_id == course_id,
        Accreditation.revoked_at.is_(None),
    )
    if on is not None:
        query = query.where(Accreditation.granted_on <= on)
    return db.session.scalar(query.limit(1)) is not None
