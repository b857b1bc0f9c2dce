"""Every list and detail page and API endpoint runs the same statements for 1 row and for 30.

Each entry of ``ROUTES`` names a route and a ``build(n)`` that makes ``n`` rows of what the route
shows and returns who looks and the path. The test runs the route for 1 and for 30 rows (under
strict loading, on for every test) and asserts the same number of statements, and at most
``MAX_STATEMENTS``. To cover a new page or endpoint, add one ``Route`` here.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from lms.cohorts.models import Attendance
from lms.core.models import AuditEvent, Job
from lms.extensions import db as _db
from tests import factories
from tests.queries import request_statements

SIZES = (1, 30)
MAX_STATEMENTS = 16


@dataclass(frozen=True)
class Route:
    name: str
    build: Callable[[int], tuple[object, str]]  # n rows -> (who looks, path)


def _admin():
    return factories.UserFactory(roles=["admin"])


def _trainer_with_cohorts(n: int, *, start: date | None = None):
    """A trainer leading ``n`` cohorts, each with its own course, district, co-trainer, sessions
    and two participants."""
    trainer = factories.UserFactory(roles=["trainer"])
    cohorts = []
    for i in range(n):
        cohort = factories.CohortFactory(
            lead_trainer=trainer,
            start_date=(start or date.today() + timedelta(days=3)) + timedelta(days=i % 20),
            with_sessions=True,
        )
        cohort.co_trainers = [factories.UserFactory(roles=["trainer"])]
        factories.EnrollmentFactory.create_batch(2, cohort=cohort)
        cohorts.append(cohort)
    _db.session.flush()
    return trainer, cohorts


def _cohort_with_people(n: int):
    """A running cohort with two sessions and ``n`` participants, all marked at the first."""
    cohort = factories.CohortFactory(start_date=date.today(), status="in_progress", with_sessions=True)
    cohort.co_trainers = [factories.UserFactory(roles=["trainer"])]
    institution = factories.InstitutionFactory()
    people = factories.EnrollmentFactory.create_batch(n, cohort=cohort, user__institution=institution)
    factories.EnrollmentFactory(cohort=cohort, status="waitlisted")
    factories.EnrollmentFactory(cohort=cohort, status="withdrawn")
    _db.session.flush()
    first = cohort.sessions[0]
    _db.session.add_all(
        Attendance(
            session_id=first.id, enrollment_id=e.id, status="present", marked_by_id=cohort.lead_trainer_id
        )
        for e in people
    )
    _db.session.flush()
    return cohort


def home(n):
    trainer, _ = _trainer_with_cohorts(n, start=date.today())
    return trainer, "/"


def cohort_list_page(n):
    trainer, _ = _trainer_with_cohorts(n)
    return trainer, "/cohorts/"


def cohort_list_api(n):
    trainer, _ = _trainer_with_cohorts(n)
    return trainer, "/api/v1/cohorts"


def cohort_page(n):
    cohort = _cohort_with_people(n)
    return cohort.lead_trainer, f"/cohorts/{cohort.id}"


def cohort_api(n):
    cohort = _cohort_with_people(n)
    return cohort.lead_trainer, f"/api/v1/cohorts/{cohort.id}"


def cohort_page_for_a_participant(n):
    cohort = _cohort_with_people(n)
    return cohort.enrollments[0].user, f"/cohorts/{cohort.id}"


def sessions_api(n):
    cohort = factories.CohortFactory()
    for i in range(n):
        factories.TrainingSessionFactory(cohort=cohort, date=cohort.start_date + timedelta(days=i))
    return cohort.lead_trainer, f"/api/v1/cohorts/{cohort.id}/sessions"


def _cohort_with_sessions(n):
    cohort = factories.CohortFactory(status="draft")
    for i in range(n):
        factories.TrainingSessionFactory(cohort=cohort, date=cohort.start_date + timedelta(days=i))
    _db.session.flush()
    return cohort


def cohort_edit_page(n):
    cohort = _cohort_with_sessions(n)
    return cohort.lead_trainer, f"/cohorts/{cohort.id}/edit"


def session_page(n):
    cohort = _cohort_with_sessions(n)
    return cohort.lead_trainer, f"/cohorts/{cohort.id}/sessions/{cohort.sessions[0].id}"


def calendar_feed(n):
    trainer, _ = _trainer_with_cohorts(n)
    trainer.calendar_token = f"feed-token-{n}"
    return trainer, f"/calendar/{trainer.calendar_token}.ics"


def calendar_page(n):
    trainer, _ = _trainer_with_cohorts(n, start=date.today().replace(day=1))
    return trainer, "/cohorts/calendar"


def enrolment_list_page(n):
    cohort = _cohort_with_people(n)
    return cohort.lead_trainer, f"/cohorts/{cohort.id}/enrolments"


def enrolment_list_api(n):
    cohort = _cohort_with_people(n)
    return cohort.lead_trainer, f"/api/v1/cohorts/{cohort.id}/enrollments"


def attendance_grid_page(n):
    cohort = _cohort_with_people(n)
    return cohort.lead_trainer, f"/sessions/{cohort.sessions[0].id}/attendance"


def attendance_grid_api(n):
    cohort = _cohort_with_people(n)
    return cohort.lead_trainer, f"/api/v1/sessions/{cohort.sessions[0].id}/attendance"


def attendance_summary_page(n):
    cohort = _cohort_with_people(n)
    return cohort.lead_trainer, f"/cohorts/{cohort.id}/attendance"


def attendance_summary_api(n):
    cohort = _cohort_with_people(n)
    return cohort.lead_trainer, f"/api/v1/cohorts/{cohort.id}/attendance"


def _courses(n):
    tot = factories.CourseFactory(is_tot=True)
    courses = factories.CourseFactory.create_batch(n)
    tot.accredits = list(courses)
    return courses


def course_list_page(n):
    _courses(n)
    return _admin(), "/courses/"


def course_list_api(n):
    _courses(n)
    return _admin(), "/api/v1/courses"


def course_page(n):
    course = factories.CourseFactory(modules=[(f"Модуль {i}", 2.0) for i in range(n)])
    factories.AccreditationFactory.create_batch(n, course=course)
    return _admin(), f"/courses/{course.id}"


def course_api(n):
    course = factories.CourseFactory(modules=[(f"Модуль {i}", 2.0) for i in range(n)])
    return _admin(), f"/api/v1/courses/{course.id}"


def accreditations_page(n):
    factories.AccreditationFactory.create_batch(n)
    return _admin(), "/courses/accreditations"


def accreditations_api(n):
    factories.AccreditationFactory.create_batch(n)
    return _admin(), "/api/v1/cascade/accreditations"


def _people(n):
    region = factories.RegionFactory()
    return [
        factories.UserFactory(
            roles=["coordinator", "trainer"], regions=[region], institution=factories.InstitutionFactory()
        )
        for _ in range(n)
    ]


def people_page(n):
    _people(n)
    return _admin(), "/admin/users/"


def people_api(n):
    _people(n)
    return _admin(), "/api/v1/users"


def person_page(n):
    person = factories.UserFactory(roles=["coordinator"], regions=factories.RegionFactory.create_batch(n))
    return _admin(), f"/admin/users/{person.id}"


def person_api(n):
    person = factories.UserFactory(roles=["coordinator"], regions=factories.RegionFactory.create_batch(n))
    return _admin(), f"/api/v1/users/{person.id}"


def me_api(n):
    return factories.UserFactory(
        roles=["coordinator"], regions=factories.RegionFactory.create_batch(n)
    ), "/api/v1/me"


def regions_page(n):
    factories.RegionFactory.create_batch(n)
    return _admin(), "/admin/geography/"


def regions_api(n):
    factories.RegionFactory.create_batch(n)
    return _admin(), "/api/v1/regions"


def region_page(n):
    region = factories.RegionFactory()
    factories.DistrictFactory.create_batch(n, region=region)
    return _admin(), f"/admin/geography/regions/{region.id}"


def districts_api(n):
    factories.DistrictFactory.create_batch(n)
    return _admin(), "/api/v1/districts"


def district_page(n):
    district = factories.DistrictFactory()
    factories.CommunityFactory.create_batch(n, district=district)
    factories.InstitutionFactory.create_batch(n, district=district)
    return _admin(), f"/admin/geography/districts/{district.id}"


def communities_api(n):
    factories.CommunityFactory.create_batch(n)
    return _admin(), "/api/v1/communities"


def institutions_page(n):
    factories.InstitutionFactory.create_batch(n)
    return _admin(), "/admin/geography/institutions"


def institutions_api(n):
    factories.InstitutionFactory.create_batch(n)
    return _admin(), "/api/v1/institutions"


def audit_page(n):
    admin = _admin()
    _db.session.add_all(
        AuditEvent(actor_id=admin.id, action="cohort.create", object_type="cohorts", object_id=i)
        for i in range(n)
    )
    return admin, "/admin/audit/"


def tokens_page(n):
    from lms.accounts.services import create_token

    person = factories.UserFactory(roles=["trainer"])
    for i in range(n):
        create_token(person, name=f"token {i}")
    return person, "/account/tokens"


def job_api(n):
    person = factories.UserFactory(roles=["trainer"])
    job = Job(kind="roster_import", created_by_id=person.id, total=n, progress=n, params={})
    _db.session.add(job)
    _db.session.flush()
    return person, f"/api/v1/jobs/{job.id}"


def _export_job(person, n: int, **params) -> Job:
    job = Job(
        kind="reports.export",
        task="lms.reports.export",
        status="done",
        created_by_id=person.id,
        total=n,
        progress=n,
        params={"format": "xlsx", "token": "t", **params},
        result={"rows": n},
    )
    _db.session.add(job)
    _db.session.flush()
    return job


def exports_page(n):
    person = factories.UserFactory(roles=["coordinator"])
    for _ in range(n):
        _export_job(person, n)
    return person, "/reports/exports"


def export_page(n):
    """An export whose filters name ``n`` regions and ``n`` courses (named on the page)."""
    person = factories.UserFactory(roles=["admin"])
    regions = factories.RegionFactory.create_batch(n)
    courses = factories.CourseFactory.create_batch(n, modules=[])
    filters = {
        "region_id": [r.id for r in regions],
        "course_id": [c.id for c in courses],
        "from": "2026-01-01",
    }
    job = _export_job(person, n, filters=filters)
    return person, f"/reports/exports/{job.id}"


ROUTES = [
    Route("home", home),
    Route("cohort list page", cohort_list_page),
    Route("cohort list API", cohort_list_api),
    Route("cohort page", cohort_page),
    Route("cohort page for a participant", cohort_page_for_a_participant),
    Route("cohort API", cohort_api),
    Route("sessions API", sessions_api),
    Route("cohort edit page", cohort_edit_page),
    Route("session page", session_page),
    Route("calendar page", calendar_page),
    Route("calendar feed", calendar_feed),
    Route("enrolment list page", enrolment_list_page),
    Route("enrolment list API", enrolment_list_api),
    Route("attendance grid page", attendance_grid_page),
    Route("attendance grid API", attendance_grid_api),
    Route("attendance summary page", attendance_summary_page),
    Route("attendance summary API", attendance_summary_api),
    Route("course list page", course_list_page),
    Route("course list API", course_list_api),
    Route("course page", course_page),
    Route("course API", course_api),
    Route("accreditations page", accreditations_page),
    Route("accreditations API", accreditations_api),
    Route("people page", people_page),
    Route("people API", people_api),
    Route("person page", person_page),
    Route("person API", person_api),
    Route("me API", me_api),
    Route("regions page", regions_page),
    Route("regions API", regions_api),
    Route("region page", region_page),
    Route("districts API", districts_api),
    Route("district page", district_page),
    Route("communities API", communities_api),
    Route("institutions page", institutions_page),
    Route("institutions API", institutions_api),
    Route("audit log page", audit_page),
    Route("tokens page", tokens_page),
    Route("job API", job_api),
    Route("report exports page", exports_page),
    Route("report export page", export_page),
]


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.name.replace(" ", "_"))
def test_statements_do_not_grow_with_the_rows_shown(client, db, route):
    counts = {}
    for n in SIZES:
        viewer, path = route.build(n)
        counts[n] = len(request_statements(client, viewer, path))
    assert counts[SIZES[0]] == counts[SIZES[-1]], counts
    assert counts[SIZES[-1]] <= MAX_STATEMENTS, counts


def test_the_signed_in_person_costs_one_statement(client, db):
    """Roles and regions come with the person: a page that reads nothing else runs one SELECT."""
    person = factories.UserFactory(
        roles=["coordinator", "trainer"], regions=factories.RegionFactory.create_batch(3)
    )
    statements = request_statements(client, person, "/account/password")
    # Staff pages also read the programme's two-factor policy once: not the person.
    about_her = [s for s in statements if "security_settings" not in s]
    assert len(about_her) == 1 and len(statements) <= 2, statements
    assert "users" in about_her[0] and "user_roles" in about_her[0] and "coordinator_regions" in about_her[0]


def test_the_api_person_costs_one_statement(client, db):
    person = factories.UserFactory(roles=["coordinator"], regions=factories.RegionFactory.create_batch(3))
    statements = request_statements(client, person, "/api/v1/me")
    assert len(statements) == 1, statements
    assert "api_tokens" in statements[0] and "user_roles" in statements[0]
