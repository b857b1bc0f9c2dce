"""Demo data: trainings in Cherkasy oblast, placed around today so the demo always has closed,
running, upcoming, cancelled and draft cohorts.

They follow the BO «Від серця до серця» programme: the trainings on the status of a victim of
trafficking (21 specialists of the departments of family, youth and sports) and on needs
assessment and the rehabilitation plan (23 specialists of the centres of social services), the
master trainers' training of trainers for the district MDGs, the two-day MDG trainings in the
districts, and the school programme for boarding-school teachers. Everything goes through the
planning services, so the demo obeys the same rules (accreditation, no double bookings).
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from lms.cohorts import services
from lms.cohorts.models import Cohort, TrainingSession
from lms.core.errors import Conflict, ValidationError
from lms.core.i18n import local_today
from lms.courses.models import Course
from lms.extensions import db
from lms.org.models import Community, District, Region

COORDINATOR = "koordynator.cherkasy@cascade.demo"


@dataclass
class DemoCohort:
    course: str
    starts_in: int  # days from today (negative: in the past), moved to a weekday
    district: str
    community: str | None
    venue: str
    lead: str
    co_trainers: tuple[str, ...]
    capacity: int
    status: str
    notes: str = ""
    cancelled_reason: str = ""


CHERKASY_CSS = "Черкаський обласний центр соціальних служб, вул. Хрещатик 187, зала 2"
DEMO = [
    DemoCohort(
        "PTL-STATUS",
        -200,
        "Черкаський район",
        "Черкаська міська громада",
        "Управління у справах сім'ї, молоді та спорту Черкаської ОДА, бульв. Шевченка 185, конференц-зала",
        "n.bondarenko@cascade.demo",
        ("a.shevchuk@cascade.demo",),
        25,
        "closed",
        "Для фахівців районних відділів у справах сім'ї, молоді та спорту; навчено 21 спеціаліста.",
    ),
    DemoCohort(
        "PTL-NEEDS",
        -170,
        "Черкаський район",
        "Черкаська міська громада",
        CHERKASY_CSS,
        "a.shevchuk@cascade.demo",
        ("n.bondarenko@cascade.demo",),
        25,
        "closed",
        "Для фахівців обласного та районних центрів соціальних служб; навчено 23 спеціалісти.",
    ),
    DemoCohort(
        "TOT-MDG",
        -120,
        "Черкаський район",
        "Черкаська міська громада",
        CHERKASY_CSS,
        "n.bondarenko@cascade.demo",
        ("a.shevchuk@cascade.demo",),
        16,
        "closed",
        "Підготовка тренерів для районних мультидисциплінарних груп.",
    ),
    DemoCohort(
        "PTL-MDG",
        -1,
        "Уманський район",
        "Уманська міська громада",
        "Уманський районний центр соціальних служб, вул. Незалежності 2, зала засідань",
        "o.melnyk@cascade.demo",
        ("v.tkachenko@cascade.demo",),
        20,
        "in_progress",
        "Члени МДГ Уманського району: ССД, ЦСС, відділ освіти, ювенальна превенція поліції.",
    ),
    DemoCohort(
        "PTL-MDG",
        12,
        "Золотоніський район",
        "Золотоніська міська громада",
        "Золотоніська районна державна адміністрація, вул. Садова 10, мала зала",
        "v.tkachenko@cascade.demo",
        (),
        20,
        "scheduled",
        "Запрошення через районну МДГ; потрібен проєктор.",
    ),
    DemoCohort(
        "PTL-NEEDS",
        19,
        "Золотоніський район",
        "Чорнобаївська селищна громада",
        "Чорнобаївський центр надання соціальних послуг, вул. Центральна 150",
        "a.shevchuk@cascade.demo",
        (),
        20,
        "cancelled",
        cancelled_reason=(
            "Приміщення центру недоступне через ремонт після пошкодження вікон; "
            "нову дату погодимо з управлінням соціального захисту."
        ),
    ),
    DemoCohort(
        "PTL-MDG",
        26,
        "Звенигородський район",
        "Шполянська міська громада",
        "Шполянський ліцей № 1, вул. Лозуватська 26, актова зала",
        "o.melnyk@cascade.demo",
        ("a.shevchuk@cascade.demo",),
        20,
        "scheduled",
    ),
    DemoCohort(
        "SCH-DIGNITY",
        40,
        "Черкаський район",
        "Смілянська міська громада",
        "Смілянська загальноосвітня школа-інтернат І-ІІІ ступенів, вул. Незалежності 41, актова зала",
        "n.bondarenko@cascade.demo",
        (),
        20,
        "scheduled",
        "Для вчителів, вихователів і психологів шкіл-інтернатів області.",
    ),
    DemoCohort(
        "PTL-STATUS",
        55,
        "Звенигородський район",
        "Звенигородська міська громада",
        "Звенигородський районний центр соціальних служб, вул. Шевченка 5",
        "o.melnyk@cascade.demo",
        (),
        25,
        "draft",
        "Чекаємо на підтвердження зали та списку від управління.",
    ),
]
# The steps from a new draft to each demo status.
STEPS = {
    "draft": [],
    "scheduled": ["scheduled"],
    "in_progress": ["scheduled", "in_progress"],
    # Closed later through the real path (seed/certificates.py), once attendance and the
    # post-test are in, so that closing issues the certificates.
    "closed": ["scheduled", "in_progress"],
    "cancelled": ["scheduled", "cancelled"],
}


def demo_status(cohort: Cohort, today: date | None = None) -> str:
    """The status a demo training has in the story: a running training whose last day has
    passed is one of the closed ones, waiting for seed/certificates.py to close it."""
    today = today or local_today()
    if cohort.status == "in_progress" and cohort.end_date < today:
        return "closed"
    return cohort.status


def load(people: dict) -> dict:
    """Plan the demo trainings that are not there yet; safe to run again."""
    coordinator = people[COORDINATOR]
    today = local_today()
    ids = []
    for demo in DEMO:
        cohort = _ensure(demo, people, coordinator, today)
        if cohort is not None:
            ids.append(cohort.id)
    sessions = db.session.scalar(
        select(func.count(TrainingSession.id)).where(TrainingSession.cohort_id.in_(ids))
    )
    return {"cohorts": len(ids), "sessions": sessions or 0}


def _ensure(demo: DemoCohort, people: dict, coordinator, today: date) -> Cohort | None:
    course = db.session.scalars(select(Course).where(Course.code == demo.course)).one()
    district = db.session.scalars(
        select(District).join(District.region).where(District.name == demo.district, Region.code == "UA-71")
    ).one()
    start = _start_date(demo, course.days, today)
    # Found by what does not move with the calendar, so a run on a later day adds nothing.
    existing = db.session.scalars(
        select(Cohort).where(
            Cohort.course_id == course.id,
            Cohort.district_id == district.id,
            Cohort.venue == demo.venue,
            Cohort.lead_trainer_id == people[demo.lead].id,
        )
    ).first()
    if existing is not None:
        return existing
    community = None
    if demo.community:
        community = db.session.scalars(
            select(Community).where(Community.district_id == district.id, Community.name == demo.community)
        ).first()
    try:
        with db.session.begin_nested():
            cohort = services.create_cohort(
                by=coordinator,
                course_id=course.id,
                lead_trainer_id=people[demo.lead].id,
                co_trainer_ids=[people[email].id for email in demo.co_trainers],
                district_id=district.id,
                community_id=community.id if community else None,
                venue=demo.venue,
                start_date=start,
                capacity=demo.capacity,
                notes=demo.notes,
                sessions=services.propose_sessions(course, start),
            )
            for status in STEPS[demo.status]:
                reason = demo.cancelled_reason if status == "cancelled" else None
                services.change_status(cohort, status, by=coordinator, reason=reason)
    except Conflict:
        return None
    except ValidationError as error:
        if "lead_trainer_id" in (error.fields or {}):
            return None  # led by a trainer her ToT certificate accredits, in the chain's next pass
        raise
    return cohort


def _start_date(demo: DemoCohort, days: int, today: date) -> date:
    """``starts_in`` days from today, moved forward until every day of the course falls on a
    working day; the running training starts yesterday (today on a Monday), so today is its
    second day."""
    if demo.status == "in_progress":
        return today if today.weekday() == 0 else today + timedelta(days=demo.starts_in)
    day = today + timedelta(days=demo.starts_in)
    while any((day + timedelta(days=n)).weekday() >= 5 for n in range(min(days, 5))):
        day += timedelta(days=1)
    return day
