"""A small programme whose results report is computed by hand (tests/test_reports.py).

Region «Рідна» has three districts: D1, D2 and D3 (no training); region «Інша» has one (DO).
The master trainer M leads every training; certificates are issued by closing each training
through the real path (close → issuance job), then one is revoked and one reissued.

    A   course C (2 days)  D1  in the period  p1 (40→90), p2 (60→80), p3 (50→90), pf (50→50),
                                              pw withdrawn
    B   course C           D2  in the period  p1 again (70→90), p4 (post 90 only)
    TT  ToT course T       D1  in the period  t1 (20→100), t2 (100→100)
    X   course C           DO  in the period  px (90)          — another region
    OLD course C           D1  60 days ago    po (90)          — outside the period

p3's certificate is revoked, p2's reissued (the old one superseded); pf failed the post-test.
Step-down events by t1 (generation 1): 28 people and 40 materials in D2 in the period; 10 in DO;
5 in D2 before the period.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from lms.assessments.paper import enter_scores
from lms.cascade import services as cascade_services
from lms.certificates import closing, issuance
from lms.certificates import services as certificate_services
from lms.certificates.models import Certificate
from lms.cohorts.models import Attendance, Cohort
from lms.core.jobs import run_job
from lms.courses.services import grant_accreditation
from lms.extensions import db as _db
from lms.reports.filters import ReportFilters
from tests import factories

TODAY = date.today()
START = TODAY - timedelta(days=30)


@dataclass
class Programme:
    home: object
    other: object
    d1: object
    d2: object
    d3: object
    do: object
    course: object
    tot: object
    master: object
    admin: object
    people: dict
    cohorts: dict

    def filters(self, **changes) -> ReportFilters:
        values = {"start": START, "end": TODAY, "region_ids": (self.home.id,)} | changes
        return ReportFilters(**values)

    def args(self) -> dict:
        return {"from": START.isoformat(), "to": TODAY.isoformat(), "region_id": str(self.home.id)}


def _training(course, district, lead, ends_days_ago: int, people: list, scores: list, *, admin) -> Cohort:
    """A two-day training that ended ``ends_days_ago`` days ago, everyone present at both sessions,
    with the given (pre, post) scores (None: not taken)."""
    end = TODAY - timedelta(days=ends_days_ago)
    cohort = factories.CohortFactory(
        course=course,
        district=district,
        lead_trainer=lead,
        status="in_progress",
        start_date=end - timedelta(days=1),
        end_date=end,
        with_sessions=True,
        accredited=False,
    )
    for person, (pre, post) in zip(people, scores, strict=True):
        enrollment = factories.EnrollmentFactory(cohort=cohort, user=person)
        for session in cohort.sessions:
            enrollment.attendance.append(Attendance(session=session, status="present", source="trainer"))
        _db.session.flush()
        entered = {phase: score for phase, score in (("pre", pre), ("post", post)) if score is not None}
        if entered:
            enter_scores(enrollment, entered, by=admin)
    return cohort


def close(cohort) -> None:
    job = closing.close_cohort(cohort, by=factories.UserFactory(roles=["admin"]))
    _db.session.flush()
    run_job(job.id, issuance.run_issuance_job)


def certificate_of(person, cohort) -> Certificate:
    return _db.session.scalar(
        select(Certificate).where(
            Certificate.user_id == person.id,
            Certificate.cohort_id == cohort.id,
            Certificate.status == "valid",
        )
    )


def build_programme() -> Programme:
    home = factories.RegionFactory(name="Рідна область", name_en="Home Oblast")
    other = factories.RegionFactory(name="Інша область", name_en="Other Oblast")
    d1 = factories.DistrictFactory(region=home, name="Перший район", name_en="First Raion")
    d2 = factories.DistrictFactory(region=home, name="Другий район", name_en="Second Raion")
    d3 = factories.DistrictFactory(region=home, name="Третій район", name_en="Third Raion")
    do = factories.DistrictFactory(region=other, name="Далекий район", name_en="Far Raion")
    centre = factories.InstitutionFactory(district=d1, type="social_services_centre")
    school = factories.InstitutionFactory(district=d2, type="school", name="Школа № 1")
    admin = factories.UserFactory(roles=["admin"])
    course = factories.CourseFactory(code="PTL-C", title="Процедура встановлення статусу")
    tot = factories.CourseFactory(code="TOT-T", title="Підготовка тренерів", is_tot=True)
    tot.accredits = [course]
    master = factories.UserFactory(roles=["trainer"], full_name="Наталія Бондаренко")
    for accredited in (course, tot):
        grant_accreditation(
            by=admin, user_id=master.id, course_id=accredited.id, granted_on=TODAY - timedelta(days=400)
        )

    def person(name, institution=None, position=""):
        return factories.UserFactory(full_name=name, institution=institution, position=position)

    people = {
        "p1": person("Ірина Яковенко", centre, "Психолог"),
        "p2": person("Андрій Антоненко", centre, "Психолог"),
        "p3": person("Богдан Гончар", school, "Вчитель"),
        "pf": person("Віра Дорошенко", school, "Вчитель"),
        "pw": person("Галина Євтушенко", centre, "Психолог"),
        "p4": person("Євген Шевчук"),
        "t1": person("Тарас Ткаченко", school, "Вчитель"),
        "t2": person("Ганна Ґудзь", centre, "  Соціальний працівник "),
        "px": person("Олег Коваль", centre, "Психолог"),
        "po": person("Петро Старий", centre, "Психолог"),
    }
    p = people
    cohorts = {
        "A": _training(
            course,
            d1,
            master,
            9,
            [p["p1"], p["p2"], p["p3"], p["pf"], p["pw"]],
            [(40, 90), (60, 80), (50, 90), (50, 50), (None, None)],
            admin=admin,
        ),
        "B": _training(course, d2, master, 5, [p["p1"], p["p4"]], [(70, 90), (None, 90)], admin=admin),
        "TT": _training(tot, d1, master, 3, [p["t1"], p["t2"]], [(20, 100), (100, 100)], admin=admin),
        "X": _training(course, do, master, 3, [p["px"]], [(None, 90)], admin=admin),
        "OLD": _training(course, d1, master, 60, [p["po"]], [(None, 90)], admin=admin),
    }
    withdrawn = next(e for e in cohorts["A"].enrollments if e.user_id == p["pw"].id)
    withdrawn.status = "withdrawn"
    _db.session.flush()
    for cohort in cohorts.values():
        close(cohort)
    certificate_services.revoke(certificate_of(p["p3"], cohorts["A"]), by=admin, reason="Помилка в даних")
    certificate_services.reissue(certificate_of(p["p2"], cohorts["A"]), by=admin)
    for district, days_ago, headcount, materials in ((d2, 2, 28, 40), (do, 2, 10, 0), (d2, 45, 5, 3)):
        cascade_services.log_event(
            by=p["t1"],
            date=TODAY - timedelta(days=days_ago),
            district_id=district.id,
            audience="pupils",
            headcount=headcount,
            materials_distributed=materials,
        )
    _db.session.flush()
    return Programme(home, other, d1, d2, d3, do, course, tot, master, admin, people, cohorts)
