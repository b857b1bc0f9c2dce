"""The demo trainings: past, running, upcoming, cancelled and draft ones around today; idempotent."""

from datetime import date

from sqlalchemy import func, select

from lms.cohorts.calendar import local_today
from lms.cohorts.models import Cohort, TrainingSession
from seed import cohorts as seed_cohorts
from tests import factories

DISTRICTS = {
    "Черкаський район": ["Черкаська міська громада", "Смілянська міська громада"],
    "Уманський район": ["Уманська міська громада"],
    "Золотоніський район": ["Золотоніська міська громада", "Чорнобаївська селищна громада"],
    "Звенигородський район": ["Шполянська міська громада", "Звенигородська міська громада"],
}
COURSES = {"PTL-STATUS": 1, "PTL-NEEDS": 1, "PTL-MDG": 2, "SCH-DIGNITY": 3, "TOT-MDG": 3}
MASTERS = ["n.bondarenko@cascade.demo", "a.shevchuk@cascade.demo"]
TRAINERS = ["o.melnyk@cascade.demo", "v.tkachenko@cascade.demo"]


def demo_people() -> dict:
    """The geography, courses and people the cohorts loader builds on (as the earlier loaders leave them)."""
    cherkasy = factories.RegionFactory(code="UA-71", name="Черкаська область")
    for district, communities in DISTRICTS.items():
        place = factories.DistrictFactory(region=cherkasy, name=district)
        for community in communities:
            factories.CommunityFactory(district=place, name=community)
    courses = {code: factories.CourseFactory(code=code, days=days) for code, days in COURSES.items()}
    people = {
        "koordynator.cherkasy@cascade.demo": factories.UserFactory(roles=["coordinator"], regions=[cherkasy])
    }
    for email in MASTERS + TRAINERS:
        people[email] = factories.UserFactory(email=email, roles=["trainer", "participant"])
        for code, course in courses.items():
            if email in MASTERS or code.startswith("PTL"):
                factories.AccreditationFactory(user=people[email], course=course, granted_on=date(2023, 9, 1))
    return people


def test_demo_trainings_span_past_present_and_future_and_load_once(db):
    people = demo_people()
    first = seed_cohorts.load(people)
    assert first == seed_cohorts.load(people)
    assert first["cohorts"] == 9 and first["sessions"] == db.session.scalar(
        select(func.count(TrainingSession.id))
    )
    cohorts = db.session.scalars(select(Cohort).order_by(Cohort.start_date)).all()
    assert len(cohorts) == 9
    by_status = {}
    for cohort in cohorts:
        # The finished ones wait, started, for seed/certificates.py to close them (and issue).
        by_status.setdefault(seed_cohorts.demo_status(cohort), []).append(cohort)
    today = local_today()
    assert {len(v) for k, v in by_status.items() if k in ("in_progress", "draft", "cancelled")} == {1}
    running = by_status["in_progress"][0]
    assert running.course.code == "PTL-MDG" and running.start_date <= today <= running.end_date
    assert (
        running.district.name == "Уманський район" and running.lead_trainer.email == "o.melnyk@cascade.demo"
    )
    assert all(c.end_date < today and c.status == "in_progress" for c in by_status["closed"])
    assert {c.course.code for c in by_status["closed"]} == {"PTL-STATUS", "PTL-NEEDS", "TOT-MDG"}
    assert all(c.start_date > today for c in by_status["scheduled"])
    assert by_status["cancelled"][0].cancelled_reason
    assert all(c.sessions and all(s.modules for s in c.sessions) for c in cohorts)
