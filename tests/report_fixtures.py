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

``build_programme`` makes it through the real services (closing, the issuance job, revoking,
reissuing: about half a second); ``write_programme`` writes the same rows directly (a tenth of
that), for tests/test_report_figures_rules.py, which the mutation run reruns for every mutant.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import count
from weakref import WeakKeyDictionary

from sqlalchemy import func, select

from lms.accounts.models import User
from lms.assessments.models import Attempt, CohortTest
from lms.assessments.paper import enter_scores
from lms.cascade import services as cascade_services
from lms.cascade.models import StepDownEvent, TrainerLineage
from lms.certificates import closing, issuance
from lms.certificates import services as certificate_services
from lms.certificates.models import Certificate
from lms.cohorts.models import Attendance, Cohort, Enrollment, TrainingSession
from lms.core.jobs import run_job
from lms.courses.models import Course
from lms.courses.services import grant_accreditation
from lms.extensions import db as _db
from lms.org.models import District, Institution, Region
from lms.reports.filters import ReportFilters
from lms.reports.kept.models import CohortFigures, CohortStamp, PeopleStamp
from tests import factories
from tests.rows import certificate_row, two_day_training

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


# The programme's people: key -> (name, workplace, position), the same in both builds.
PEOPLE = {
    "p1": ("Ірина Яковенко", "centre", "Психолог"),
    "p2": ("Андрій Антоненко", "centre", "Психолог"),
    "p3": ("Богдан Гончар", "school", "Вчитель"),
    "pf": ("Віра Дорошенко", "school", "Вчитель"),
    "pw": ("Галина Євтушенко", "centre", "Психолог"),
    "p4": ("Євген Шевчук", None, ""),
    "t1": ("Тарас Ткаченко", "school", "Вчитель"),
    "t2": ("Ганна Ґудзь", "centre", "  Соціальний працівник "),
    "px": ("Олег Коваль", "centre", "Психолог"),
    "po": ("Петро Старий", "centre", "Психолог"),
}


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

    workplaces = {"centre": centre, "school": school, None: None}
    people = {
        key: factories.UserFactory(full_name=name, institution=workplaces[where], position=position)
        for key, (name, where, position) in PEOPLE.items()
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


_serial = count(1)
_tests: WeakKeyDictionary = WeakKeyDictionary()  # each written cohort's tests by phase


def _add(obj):
    _db.session.add(obj)
    return obj


def person(name: str, institution=None, position: str = "", *roles: str) -> User:
    """A person written directly (no flush per object, as the factories do)."""
    number = next(_serial)
    written = _add(
        User(
            email=f"report{number}@example.org",
            full_name=name,
            full_name_latin=f"Person {number}",
            institution=institution,
            position=position,
        )
    )
    written.set_roles(roles or ["participant"])
    return written


def certificate(
    enrollment: Enrollment, cohort: Cohort, *, kind="participation", status="valid"
) -> Certificate:
    return _add(
        certificate_row(
            enrollment, cohort, number=next(_serial), prefix="RPT", year=TODAY.year, kind=kind, status=status
        )
    )


def training(course, district, lead, ends_days_ago: int, *, sessions: int = 2, status="closed") -> Cohort:
    """A two-day training that ended ``ends_days_ago`` days ago, with a session on each of its
    last ``sessions`` days."""
    end = TODAY - timedelta(days=ends_days_ago)
    cohort = _add(two_day_training(lead, course, district, status, end - timedelta(days=1)))
    for days_before in range(sessions):
        _add(
            TrainingSession(
                cohort=cohort, date=end - timedelta(days=days_before), starts_at=time(9), ends_at=time(17)
            )
        )
    return cohort


def enrol(
    cohort: Cohort, someone: User, pre=None, post=None, *, status="enrolled", submitted=True
) -> Enrollment:
    """Her enrolment, with her pre- and post-test scores (None: not taken) as submitted attempts
    (``submitted=False``: started, scored, never submitted)."""
    enrollment = _add(Enrollment(cohort=cohort, user=someone, status=status))
    for phase, score in (("pre", pre), ("post", post)):
        if score is None:
            continue
        tests = _tests.setdefault(cohort, {})
        if phase not in tests:
            tests[phase] = _add(
                CohortTest(cohort=cohort, phase=phase, form="A", room_code=f"R{next(_serial)}")
            )
        test = tests[phase]
        _add(
            Attempt(
                test=test,
                enrollment=enrollment,
                form="A",
                score_percent=score,
                submitted_at=datetime(TODAY.year, 1, 1, tzinfo=UTC) if submitted else None,
            )
        )
    return enrollment


def event(trainer, district, days_ago: int, headcount: int, materials: int = 0, course=None) -> StepDownEvent:
    return _add(
        StepDownEvent(
            trainer=trainer,
            district=district,
            date=TODAY - timedelta(days=days_ago),
            audience="pupils",
            headcount=headcount,
            materials_distributed=materials,
            course=course,
        )
    )


def write_programme() -> Programme:
    """The programme of ``build_programme`` (the same figures), its rows written directly."""
    home = _add(Region(code="RH", name="Рідна область", name_en="Home Oblast"))
    other = _add(Region(code="RO", name="Інша область", name_en="Other Oblast"))
    d1 = _add(District(region=home, name="Перший район", name_en="First Raion"))
    d2 = _add(District(region=home, name="Другий район", name_en="Second Raion"))
    d3 = _add(District(region=home, name="Третій район", name_en="Third Raion"))
    do = _add(District(region=other, name="Далекий район", name_en="Far Raion"))
    centre = _add(Institution(district=d1, type="social_services_centre", name="Центр"))
    school = _add(Institution(district=d2, type="school", name="Школа № 1"))
    admin = person("Адміністраторка", None, "", "admin")
    course = _add(Course(code="PTL-C", title="Процедура встановлення статусу", days=2))
    tot = _add(Course(code="TOT-T", title="Підготовка тренерів", days=2, is_tot=True))
    master = person("Наталія Бондаренко", None, "", "trainer")
    workplaces = {"centre": centre, "school": school, None: None}
    people = {
        # t1's trainer role: build_programme's issuance gives it with her ToT certificate.
        key: person(name, workplaces[where], position, *(("participant", "trainer") if key == "t1" else ()))
        for key, (name, where, position) in PEOPLE.items()
    }
    p = people
    a = training(course, d1, master, 9)
    b = training(course, d2, master, 5)
    tt = training(tot, d1, master, 3)
    x = training(course, do, master, 3)
    old = training(course, d1, master, 60)
    certificate(enrol(a, p["p1"], 40, 90), a)
    p2 = enrol(a, p["p2"], 60, 80)
    reissued = certificate(p2, a)
    certificate(p2, a, status="superseded").superseded_by = reissued
    certificate(enrol(a, p["p3"], 50, 90), a, status="revoked")
    enrol(a, p["pf"], 50, 50)
    enrol(a, p["pw"], status="withdrawn")
    certificate(enrol(b, p["p1"], 70, 90), b)
    certificate(enrol(b, p["p4"], None, 90), b)
    certificate(enrol(tt, p["t1"], 20, 100), tt, kind="trainer")
    certificate(enrol(tt, p["t2"], 100, 100), tt, kind="trainer")
    certificate(enrol(x, p["px"], None, 90), x)
    certificate(enrol(old, p["po"], None, 90), old)
    _db.session.flush()
    _add(TrainerLineage(user_id=master.id, root_id=master.id, generation=0, accredited_on=TODAY))
    for trainer in (p["t1"], p["t2"]):
        _add(
            TrainerLineage(
                user_id=trainer.id,
                parent_id=master.id,
                root_id=master.id,
                generation=1,
                region_id=home.id,
                accredited_on=tt.end_date,
            )
        )
    event(p["t1"], d2, 2, 28, 40)
    event(p["t1"], do, 2, 10)
    event(p["t1"], d2, 45, 5, 3)
    _db.session.flush()
    cohorts = {"A": a, "B": b, "TT": tt, "X": x, "OLD": old}
    return Programme(home, other, d1, d2, d3, do, course, tot, master, admin, people, cohorts)


def stamp_of(cohort) -> int:
    """The training's stamp: moved on by every write its figures read."""
    return _db.session.scalar(select(CohortStamp.version).where(CohortStamp.cohort_id == cohort.id)) or 0


def kept_version_of(cohort) -> int | None:
    """The version of the training's kept figures (none: not kept)."""
    return _db.session.scalar(select(CohortFigures.version).where(CohortFigures.cohort_id == cohort.id))


def people_stamp() -> int:
    return _db.session.scalar(select(func.coalesce(func.max(PeopleStamp.version), 0)))
