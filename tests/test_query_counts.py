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


def _participant_with_trainings(n: int):
    """A participant in ``n`` trainings: closed ones with marks and released scores, a running
    one with an open pre-test, upcoming ones; one waitlisted and one withdrawn."""
    from lms.assessments import delivery
    from lms.assessments.paper import enter_scores

    person = factories.UserFactory(roles=["participant"])
    admin = _admin()
    for i in range(n):
        kind = (i + 1) % 3  # the first one is running: with one training, the page has it all
        start = date.today() + timedelta(days=(-10 - i, 0, 5 + i)[kind])
        cohort = factories.CohortFactory(
            start_date=start, status=("in_progress", "in_progress", "scheduled")[kind], with_sessions=True
        )
        enrollment = factories.EnrollmentFactory(cohort=cohort, user=person)
        if kind == 0:
            _db.session.add(
                Attendance(session_id=cohort.sessions[0].id, enrollment_id=enrollment.id, status="present")
            )
            for attempt in enter_scores(enrollment, {"pre": 50, "post": 80}, by=admin):
                attempt.test.results_released = True
        elif kind == 1:
            delivery.test_of(cohort, "pre").status = "open"
    waitlisted = factories.CohortFactory()
    factories.EnrollmentFactory(cohort=waitlisted, user=person, status="waitlisted")
    _db.session.flush()
    return person


def participant_home(n):
    return _participant_with_trainings(n), "/"


def my_trainings_api(n):
    return _participant_with_trainings(n), "/api/v1/me/trainings"


def _coordinator_with_people(n: int):
    region = factories.RegionFactory()
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[region])
    cohort = factories.CohortFactory(district=factories.DistrictFactory(region=region))
    institution = factories.InstitutionFactory(district=cohort.district)
    for i in range(n):
        if i % 2:
            factories.EnrollmentFactory(cohort=cohort, user__institution=institution)
        else:
            factories.UserFactory(roles=["participant", "trainer"], institution=institution)
    _db.session.flush()
    return coordinator, cohort


def people_page_for_a_coordinator(n):
    return _coordinator_with_people(n)[0], "/admin/users/"


def people_api_for_a_coordinator(n):
    return _coordinator_with_people(n)[0], "/api/v1/users"


def person_page_for_a_coordinator(n):
    coordinator, cohort = _coordinator_with_people(n)
    person = factories.EnrollmentFactory(cohort=cohort).user
    return coordinator, f"/admin/users/{person.id}/view"


def profile_page(n):
    return factories.UserFactory(roles=["participant"], regions=factories.RegionFactory.create_batch(n)), (
        "/account/profile"
    )


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


def _trained_programme(n: int, *, region=None):
    """``n`` trainings that ended in the last 12 months, each of its own course and district
    (in ``region``, or each in a region of its own), each with a trained person (certificate,
    pre- and post-test), its lead trainer a master trainer of long ago with a step-down event."""
    from lms.assessments.paper import enter_scores
    from lms.cascade.models import StepDownEvent, TrainerLineage
    from lms.certificates.models import Certificate

    admin = _admin()
    today = date.today()
    for i in range(n):
        district = factories.DistrictFactory(**({"region": region} if region else {}))
        end = today - timedelta(days=10 + i % 300)
        cohort = factories.CohortFactory(district=district, start_date=end, end_date=end, status="closed")
        enrollment = factories.EnrollmentFactory(cohort=cohort)
        enter_scores(enrollment, {"pre": 40 + i % 50, "post": 90}, by=admin)
        lead = cohort.lead_trainer
        _db.session.add_all(
            [
                Certificate(
                    enrollment_id=enrollment.id, user_id=enrollment.user_id, cohort_id=cohort.id,
                    kind="participation", prefix="QC", year=end.year, number=cohort.id,
                    serial=f"QC-{cohort.id}", verification_code=f"qc{cohort.id:030d}",
                    holder_name="Олена", holder_name_latin="Olena", course_code=cohort.course.code,
                    course_title="Курс", course_title_en="Course", start_date=end, issued_on=end,
                    hours=8, lead_trainer_name="Тренерка", organisation="ГО", organisation_en="NGO",
                    verification_url="https://example.org/verify",
                ),
                TrainerLineage(
                    user_id=lead.id, root_id=lead.id, generation=0, region_id=district.region_id,
                    accredited_on=today - timedelta(days=400), active=True,
                ),
                StepDownEvent(
                    trainer_id=lead.id, date=end, district_id=district.id, audience="pupils", headcount=20
                ),
            ]
        )  # fmt: skip
    _db.session.flush()


def dashboard_for_an_admin(n):
    _trained_programme(n)
    return _admin(), "/reports/dashboard"


def dashboard_for_a_coordinator(n):
    region = factories.RegionFactory()
    _trained_programme(n, region=region)
    return factories.UserFactory(roles=["coordinator"], regions=[region]), "/reports/dashboard"


def coverage_for_an_admin(n):
    _trained_programme(n)
    return _admin(), "/reports/coverage"


def coverage_for_a_coordinator(n):
    region = factories.RegionFactory()
    _trained_programme(n, region=region)
    return factories.UserFactory(roles=["coordinator"], regions=[region]), "/reports/coverage"


def home_for_an_admin(n):
    _trained_programme(n)
    return _admin(), "/"


def home_for_a_coordinator(n):
    region = factories.RegionFactory()
    _trained_programme(n, region=region)
    return factories.UserFactory(roles=["coordinator"], regions=[region]), "/"


def _reported_cohorts(n):
    """``n`` closed trainings of one region in a month, each with two participants and their
    pre/post scores, and a coordinator of that region."""
    from lms.assessments.paper import enter_scores

    region = factories.RegionFactory()
    admin = _admin()
    for i in range(n):
        cohort = factories.CohortFactory(
            district=factories.DistrictFactory(region=region),
            start_date=date(2026, 3, 1) + timedelta(days=i % 20),
            status="closed",
            with_sessions=True,
        )
        for enrollment in factories.EnrollmentFactory.create_batch(
            2, cohort=cohort, user__institution=factories.InstitutionFactory()
        ):
            enter_scores(enrollment, {"pre": 40, "post": 80}, by=admin)
    _db.session.flush()
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[region])
    return coordinator, "from=2026-03-01&to=2026-03-31"


def report_page(n):
    coordinator, args = _reported_cohorts(n)
    return coordinator, f"/reports/?{args}"


def report_people_page(n):
    coordinator, args = _reported_cohorts(n)
    return coordinator, f"/reports/people?{args}&figure=participants"


def report_cohorts_page(n):
    coordinator, args = _reported_cohorts(n)
    return coordinator, f"/reports/cohorts?{args}"


def report_summary_api(n):
    coordinator, args = _reported_cohorts(n)
    return coordinator, f"/api/v1/reports/summary?{args}"


def _cascade_tree(n):
    """A master trainer of a region and ``n`` trainers she certified, each accredited for a course
    of her own, with a step-down event and a certified trainer of her own."""
    from lms.cascade.models import StepDownEvent, TrainerLineage

    region = factories.RegionFactory()
    district = factories.DistrictFactory(region=region)
    long_ago = date.today() - timedelta(days=400)
    root = factories.UserFactory(roles=["trainer"])
    _db.session.add(
        TrainerLineage(
            user_id=root.id, root_id=root.id, generation=0, accredited_on=long_ago, region_id=region.id
        )
    )
    for _ in range(n):
        child, grandchild = factories.UserFactory.create_batch(2, roles=["trainer"])
        factories.AccreditationFactory(user=child)
        _db.session.add_all(
            [
                TrainerLineage(
                    user_id=child.id,
                    parent_id=root.id,
                    root_id=root.id,
                    generation=1,
                    accredited_on=long_ago,
                    region_id=region.id,
                ),
                TrainerLineage(
                    user_id=grandchild.id,
                    parent_id=child.id,
                    root_id=root.id,
                    generation=2,
                    accredited_on=long_ago,
                    region_id=region.id,
                ),
                StepDownEvent(
                    trainer_id=child.id,
                    date=date.today(),
                    district_id=district.id,
                    audience="pupils",
                    headcount=5,
                ),
            ]
        )
    _db.session.flush()
    return root, region


def cascade_dashboard(n):
    _root, region = _cascade_tree(n)
    return factories.UserFactory(roles=["coordinator"], regions=[region]), "/cascade/"


def cascade_tree_csv(n):
    root, _region = _cascade_tree(n)
    return root, f"/cascade/trainers/{root.id}/tree.csv"


def cascade_tree_svg(n):
    root, _region = _cascade_tree(n)
    return root, f"/cascade/trainers/{root.id}/tree.svg"


def cascade_region_tree(n):
    _root, region = _cascade_tree(n)
    return factories.UserFactory(
        roles=["coordinator"], regions=[region]
    ), f"/cascade/tree.svg?region_id={region.id}"


def cascade_home(n):
    root, _region = _cascade_tree(n)
    return root, "/"


def cascade_nudges_page(n):
    from lms.cascade.models import Nudge

    people = factories.UserFactory.create_batch(n, roles=["trainer"])
    _db.session.add_all(
        Nudge(
            user_id=p.id,
            kind="trainer_dormant",
            period_start=date.today(),
            status="sent",
            details={"days": 90},
        )
        for p in people
    )
    return _admin(), "/cascade/nudges/"


def cascade_nudges_api(n):
    admin, _page = cascade_nudges_page(n)
    return admin, "/api/v1/cascade/nudges"


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
    Route("home for an admin (dashboard)", home_for_an_admin),
    Route("home for a coordinator (dashboard)", home_for_a_coordinator),
    Route("dashboard for an admin", dashboard_for_an_admin),
    Route("dashboard for a coordinator", dashboard_for_a_coordinator),
    Route("coverage for an admin", coverage_for_an_admin),
    Route("coverage for a coordinator", coverage_for_a_coordinator),
    Route("participant home", participant_home),
    Route("my trainings API", my_trainings_api),
    Route("people page for a coordinator", people_page_for_a_coordinator),
    Route("people API for a coordinator", people_api_for_a_coordinator),
    Route("person page for a coordinator", person_page_for_a_coordinator),
    Route("profile page", profile_page),
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
    Route("results report page", report_page),
    Route("report people drill-down", report_people_page),
    Route("report trainings drill-down", report_cohorts_page),
    Route("report summary API", report_summary_api),
    Route("cascade dashboard", cascade_dashboard),
    Route("cascade tree CSV", cascade_tree_csv),
    Route("cascade tree SVG", cascade_tree_svg),
    Route("cascade region tree", cascade_region_tree),
    Route("home of a trainer in the cascade", cascade_home),
    Route("cascade reminders page", cascade_nudges_page),
    Route("cascade reminders API", cascade_nudges_api),
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
