"""A cohort's values checked into a ``Plan``: the records they name, and what a plan must
satisfy before anything is written (an accredited lead, modules of its course, sessions inside
its dates, not overlapping each other and not double-booking a trainer or a venue)."""

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lms.accounts.models import User
from lms.cohorts.conflicts import Slot, require_free, require_inside, require_no_overlap
from lms.cohorts.models import Cohort
from lms.core.errors import ValidationError
from lms.core.text import refuse_control_characters
from lms.courses.models import Course, CourseModule
from lms.courses.services import is_accredited
from lms.extensions import db
from lms.org.models import Community, District

MAX_CAPACITY = 1000


@dataclass
class Plan:
    """A cohort's values after checking: the records they name, ready to write."""

    course: Course
    lead: User
    co_trainers: list[User]
    district: District
    community: Community | None
    venue: str
    start_date: date
    end_date: date
    capacity: int
    notes: str

    @property
    def trainer_ids(self) -> set[int]:
        return {self.lead.id} | {user.id for user in self.co_trainers}


def resolve_plan(values: dict, current: Cohort | None = None) -> Plan:
    """Check the values (merged over ``current``) and load the records they name."""

    def pick(name, default=None):
        if name in values:
            return values[name]
        return getattr(current, name) if current is not None else default

    course = _course(pick("course_id"), must_be_active=current is None or "course_id" in values)
    lead = _trainer(pick("lead_trainer_id"), "lead_trainer_id")
    if "co_trainer_ids" in values:
        co_ids = values["co_trainer_ids"]
        if lead.id in set(co_ids or []):
            raise ValidationError.on(
                "co_trainer_ids",
                _l(
                    "%(name)s leads this training and cannot also be its co-trainer: untick her "
                    "among the co-trainers or choose another lead trainer.",
                    name=lead.full_name,
                ),
            )
    else:
        # A co-trainer promoted to lead leaves the co-trainers.
        co_ids = _co_ids(current)
    co_trainers = [
        _trainer(user_id, "co_trainer_ids") for user_id in dict.fromkeys(co_ids or []) if user_id != lead.id
    ]
    district = db.session.get(District, pick("district_id") or 0)
    if district is None:
        raise ValidationError.on("district_id", _l("Choose a district."))
    community = None
    if pick("community_id"):
        community = db.session.get(Community, pick("community_id"))
        if community is None or community.district_id != district.id:
            raise ValidationError.on("community_id", _l("Choose a community of the chosen district."))
    start_date = pick("start_date")
    if not isinstance(start_date, date):
        raise ValidationError.on("start_date", _l("Enter the first day of the training."))
    end_date = pick("end_date") or start_date + timedelta(days=course.days - 1)
    if end_date < start_date:
        raise ValidationError.on("end_date", _l("The last day cannot be before the first."))
    return Plan(
        course=course,
        lead=lead,
        co_trainers=co_trainers,
        district=district,
        community=community,
        venue=_venue(pick("venue", "")),
        start_date=start_date,
        end_date=end_date,
        capacity=_capacity(pick("capacity", 25)),
        notes=(pick("notes", "") or "").strip(),
    )


def _co_ids(cohort: Cohort | None) -> list[int]:
    return [user.id for user in cohort.co_trainers] if cohort is not None else []


def _course(course_id, *, must_be_active: bool) -> Course:
    query = select(Course).where(Course.id == (course_id or 0)).options(joinedload(Course.modules))
    course = db.session.scalars(query).unique().one_or_none()
    if course is None or (must_be_active and not course.active):
        raise ValidationError.on("course_id", _l("Choose an active course."))
    return course


def _trainer(user_id, field: str) -> User:
    user = (
        db.session.scalars(select(User).where(User.id == (user_id or 0)).options(joinedload(User.role_rows)))
        .unique()
        .one_or_none()
    )
    if user is None or not user.active or not user.has_role("trainer"):
        raise ValidationError.on(field, _l("Choose an active trainer."))
    return user


def _venue(venue: str | None) -> str:
    venue = " ".join(refuse_control_characters(venue or "", "venue").split())
    if not venue:
        raise ValidationError.on("venue", _l("Enter where the training takes place."))
    if len(venue) > 255:
        raise ValidationError.on("venue", _l("At most %(n)d characters.", n=255))
    return venue


def _capacity(capacity) -> int:
    if not isinstance(capacity, int) or isinstance(capacity, bool):
        raise ValidationError.on("capacity", _l("Enter a number of places from 1 to %(n)d.", n=MAX_CAPACITY))
    if capacity < 1:
        raise ValidationError.on("capacity", _l("A training needs at least 1 place."))
    if capacity > MAX_CAPACITY:
        raise ValidationError.on("capacity", _l("Places: at most %(n)d.", n=MAX_CAPACITY))
    return capacity


def check_plan(
    plan: Plan,
    slots: list[Slot],
    *,
    cohort_id: int | None,
    accreditation: bool = True,
    bookings: bool = True,
    sessions_field: str = "sessions",
) -> None:
    """Everything a cohort's plan must satisfy: sessions inside its dates and not overlapping each
    other, modules of its course, an accredited lead, no trainer or venue booked elsewhere."""
    for slot in slots:
        require_inside(slot, plan.start_date, plan.end_date, on=sessions_field)
        modules_of(plan.course, slot.module_ids, field=sessions_field)
    require_no_overlap(slots, on=sessions_field)
    if accreditation and not is_accredited(plan.lead.id, plan.course.id, on=plan.start_date):
        raise ValidationError.on(
            "lead_trainer_id",
            _l(
                "%(name)s is not accredited to lead «%(course)s» on %(date)s.",
                name=plan.lead.full_name,
                course=plan.course.code,
                date=plan.start_date.strftime("%d.%m.%Y"),
            ),
        )
    if bookings:
        require_free(slots, plan.trainer_ids, plan.venue, cohort_id, lead_id=plan.lead.id)


def check_sessions(cohort: Cohort, slot: Slot, *, siblings: list[Slot]) -> None:
    """A new or changed session: inside the cohort's dates, its course's modules, no overlap with
    the cohort's other sessions, its trainers and venue free elsewhere."""
    require_inside(slot, cohort.start_date, cohort.end_date, on="date")
    modules_of(cohort.course, slot.module_ids)
    require_no_overlap([*siblings, slot], on="starts_at")
    require_free([slot], cohort.trainer_ids, cohort.venue, cohort.id, lead_id=None)


def modules_of(course: Course, module_ids, field: str = "module_ids") -> list[CourseModule]:
    by_id = {module.id: module for module in course.modules}
    unknown = [module_id for module_id in module_ids or [] if module_id not in by_id]
    if unknown:
        raise ValidationError.on(field, _l("Choose modules of the training's course."))
    return [by_id[module_id] for module_id in module_ids or []]
