"""Whom a trainer may find and enrol, and whose contact details she sees.

A trainer's search covers people in her region (the training's region and her own) and people
already known to her trainings, plus anyone whose exact email or phone she types: she knows those
already. Contact details show where her role needs them: for people known to her trainings and
exact matches. Trainers enrol participants and trainers only, never an admin or a coordinator.
Admins search everyone; a coordinator searches her regions.
"""

from dataclasses import dataclass

from sqlalchemy import or_, select, union
from sqlalchemy.orm import joinedload

from lms.accounts.models import User, UserRole
from lms.accounts.services import normalize_email, normalize_phone, roles_of
from lms.cohorts.models import Cohort, Enrollment, cohort_trainers
from lms.core.collation import by_name
from lms.core.errors import DomainError
from lms.extensions import db
from lms.org.models import District, Institution

SEARCH_MIN_LENGTH = 2
ROLES_TRAINERS_ENROL = frozenset({"participant", "trainer"})


@dataclass(frozen=True)
class Found:
    user: User
    status: str | None  # in this cohort: enrolled, waitlisted, withdrawn, or None
    contacts: bool  # whether the searcher sees the email and phone


def _coordinates(by, cohort: Cohort) -> bool:
    return by.has_role("coordinator") and cohort.district.region_id in by.region_ids


def _sees_everyone(by) -> bool:
    return by.has_role("admin")


def _trusted_with_staff(by, cohort: Cohort) -> bool:
    """Admins and the training's coordinator may enrol staff (a coordinator in a ToT)."""
    return _sees_everyone(by) or _coordinates(by, cohort)


def _regions(by, cohort: Cohort) -> set[int]:
    regions = {cohort.district.region_id}
    if by.has_role("coordinator"):
        regions |= by.region_ids
    if by.institution_id is not None:
        own = db.session.scalar(
            select(District.region_id).join(Institution).where(Institution.id == by.institution_id)
        )
        if own is not None:
            regions.add(own)
    return regions


def _known_to(by):
    """Ids of people in trainings ``by`` leads or co-trains (and their trainers)."""
    own_cohorts = select(Cohort.id).where(
        or_(
            Cohort.lead_trainer_id == by.id,
            Cohort.id.in_(select(cohort_trainers.c.cohort_id).where(cohort_trainers.c.user_id == by.id)),
        )
    )
    return union(
        select(Enrollment.user_id).where(Enrollment.cohort_id.in_(own_cohorts)),
        select(cohort_trainers.c.user_id).where(cohort_trainers.c.cohort_id.in_(own_cohorts)),
        select(Cohort.lead_trainer_id).where(Cohort.id.in_(own_cohorts)),
    )


def _exact(text: str):
    """A condition for an exact email or phone match, or None when ``text`` is neither."""
    conditions = []
    if "@" in text:
        try:
            conditions.append(User.email == normalize_email(text))
        except DomainError:
            pass
    elif sum(character.isdigit() for character in text) >= 9:
        try:
            phone = normalize_phone(text)
        except DomainError:
            phone = None
        if phone:
            conditions.append(User.phone == phone)
    return or_(*conditions) if conditions else None


def _staff_ids():
    return select(UserRole.user_id).where(UserRole.role.not_in(ROLES_TRAINERS_ENROL))


def may_enrol(by, cohort: Cohort, user: User) -> bool:
    """Trainers enrol participants and trainers; staff only the training's coordinator or an admin."""
    return _trusted_with_staff(by, cohort) or roles_of(user) <= ROLES_TRAINERS_ENROL


def search_people(by, cohort: Cohort, query: str, *, limit: int = 20) -> list[Found]:
    """Active people matching ``query`` whom ``by`` may find for ``cohort``, at most ``limit``."""
    text = (query or "").strip()
    if len(text) < SEARCH_MIN_LENGTH:
        return []
    exact = _exact(text)
    matches = User.search_text.contains(text.casefold(), autoescape=True)
    statement = select(User).options(joinedload(User.institution)).where(User.active.is_(True))
    if not _sees_everyone(by):
        in_regions = User.institution_id.in_(
            select(Institution.id).join(District).where(District.region_id.in_(_regions(by, cohort)))
        )
        scoped = matches & or_(in_regions, User.id.in_(_known_to(by)))
        statement = statement.where(or_(scoped, exact) if exact is not None else scoped)
        if not _trusted_with_staff(by, cohort):
            statement = statement.where(User.id.not_in(_staff_ids()))
    else:
        statement = statement.where(or_(matches, exact) if exact is not None else matches)
    people = list(
        db.session.scalars(statement.order_by(by_name(User.sort_name), User.id).limit(limit)).unique()
    )
    if not people:
        return []
    ids = [person.id for person in people]
    statuses = dict(
        db.session.execute(
            select(Enrollment.user_id, Enrollment.status).where(
                Enrollment.cohort_id == cohort.id, Enrollment.user_id.in_(ids)
            )
        ).all()
    )
    if _trusted_with_staff(by, cohort):
        with_contacts = set(ids)
    else:
        known = set(db.session.scalars(select(User.id).where(User.id.in_(ids), User.id.in_(_known_to(by)))))
        exact_ids = (
            set(db.session.scalars(select(User.id).where(User.id.in_(ids), exact)))
            if exact is not None
            else set()
        )
        with_contacts = known | exact_ids
    return [Found(person, statuses.get(person.id), person.id in with_contacts) for person in people]
