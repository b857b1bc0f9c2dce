"""A participant's own trainings on her home page and in ``GET /api/v1/me/trainings``: status,
attendance, results only once released, her certificate, tests to take now; nobody else's."""

from datetime import date, timedelta

from sqlalchemy import select

from lms.assessments import delivery
from lms.assessments.models import CohortTest
from lms.certificates import closing, issuance
from lms.certificates.models import Certificate
from lms.cohorts.models import Cohort
from lms.core.jobs import run_job
from lms.extensions import db as _db
from lms.me.services import my_trainings, training_status
from tests import factories
from tests.certificate_fixtures import finished_cohort
from tests.conftest import api_headers, sign_in

TODAY = date.today()


def _close(cohort) -> None:
    job = closing.close_cohort(cohort, by=factories.UserFactory(roles=["admin"]))
    _db.session.flush()
    run_job(job.id, issuance.run_issuance_job)


def _release(cohort, phase="post", released=True):
    test = _db.session.scalar(
        select(CohortTest).where(CohortTest.cohort_id == cohort.id, CohortTest.phase == phase)
    )
    test.results_released = released
    _db.session.flush()


def _completed(score=90):
    """A closed training she passed (post-test ``score``), with her certificate issued."""
    cohort, (enrollment,) = finished_cohort(scores=(score,))
    _close(cohort)
    return cohort, enrollment


def _running_with_open_test(user):
    cohort = factories.CohortFactory(
        start_date=TODAY, end_date=TODAY + timedelta(days=1), status="in_progress", with_sessions=True
    )
    enrollment = factories.EnrollmentFactory(cohort=cohort, user=user)
    delivery.test_of(cohort, "pre").status = "open"  # opened (its questions do not matter here)
    _db.session.flush()
    return cohort, enrollment


def test_the_status_reads_her_enrolment_first_then_the_training():
    class Stub:
        def __init__(self, status, cohort_status, start, end):
            self.status = status
            self.cohort = type("C", (), {"status": cohort_status, "start_date": start, "end_date": end})

    day = date(2025, 5, 10)
    assert training_status(Stub("withdrawn", "closed", day, day), day) == "withdrawn"
    assert training_status(Stub("waitlisted", "scheduled", day, day), day) == "waitlisted"
    assert training_status(Stub("enrolled", "closed", day, day), day) == "completed"
    assert training_status(Stub("enrolled", "cancelled", day, day), day) == "cancelled"
    assert training_status(Stub("enrolled", "scheduled", day, day), day - timedelta(days=1)) == "upcoming"
    # Its first day counts as in progress, even before anyone pressed "start".
    assert training_status(Stub("enrolled", "scheduled", day, day), day) == "in_progress"
    assert training_status(Stub("enrolled", "draft", day, day), day) == "upcoming"


def test_results_stay_hidden_until_the_trainer_releases_them(db):
    cohort, enrollment = _completed(score=85)
    user = enrollment.user
    (row,) = my_trainings(user).items
    assert row.status == "completed" and row.attendance_percent == 100.0
    assert (row.pre, row.post, row.results_released) == (None, None, False)
    _release(cohort, "post")
    (row,) = my_trainings(user).items
    assert (row.post, row.results_released) == (85.0, True)
    assert row.pre is None  # never taken: nothing to release


def test_her_certificate_is_linked_and_a_failed_training_has_none(db):
    _cohort, passed = _completed(score=90)
    (row,) = my_trainings(passed.user).items
    assert row.certificate is not None and row.certificate.status == "valid"
    _cohort, failed = _completed(score=40)
    (row,) = my_trainings(failed.user).items
    assert row.certificate is None


def test_an_open_test_is_offered_until_she_submits_it(db):
    user = factories.UserFactory()
    cohort, enrollment = _running_with_open_test(user)
    (row,) = my_trainings(user).items
    assert [t.phase for t in row.tests_to_take] == ["pre"]
    test = _db.session.scalar(select(CohortTest).where(CohortTest.cohort_id == cohort.id))
    attempt = delivery.start_attempt(test, enrollment)
    delivery.submit(attempt)
    _db.session.flush()
    (row,) = my_trainings(user).items
    assert row.tests_to_take == []


def test_a_withdrawn_or_waitlisted_person_has_no_test_to_take(db):
    user = factories.UserFactory()
    _cohort, enrollment = _running_with_open_test(user)
    for status in ("withdrawn", "waitlisted"):
        enrollment.status = status
        _db.session.flush()
        (row,) = my_trainings(user).items
        assert row.status == status and row.tests_to_take == []
    assert row.attendance_percent is None  # waitlisted: no place, no attendance


def test_the_home_page_shows_her_trainings_results_certificate_and_tests(client, db):
    cohort, enrollment = _completed(score=90)
    _release(cohort, "post")
    user = enrollment.user
    _running_with_open_test(user)
    upcoming = factories.CohortFactory(start_date=TODAY + timedelta(days=20))
    factories.EnrollmentFactory(cohort=upcoming, user=user)
    sign_in(client, user)
    page = client.get("/").get_data(as_text=True)
    assert 'data-testid="my-trainings"' in page
    assert 'data-status="completed"' in page and 'data-status="upcoming"' in page
    assert 'data-status="in_progress"' in page
    assert "90%" in page
    certificate = _db.session.scalar(select(Certificate).where(Certificate.enrollment_id == enrollment.id))
    assert certificate.serial in page and certificate.verification_url in page
    assert 'data-testid="tests-to-take"' in page and "/t/mine/" in page


def test_unreleased_results_are_not_on_the_page(client, db):
    _cohort, enrollment = _completed(score=77)
    sign_in(client, enrollment.user)
    page = client.get("/").get_data(as_text=True)
    assert "77%" not in page and 'data-testid="results"' in page


def test_another_persons_training_is_absent(client, db):
    _cohort, mine = _completed()
    other_cohort, _other = finished_cohort(scores=(60,))
    sign_in(client, mine.user)
    page = client.get("/").get_data(as_text=True)
    assert other_cohort.course.title not in page
    body = client.get("/api/v1/me/trainings", headers=api_headers(mine.user)).get_json()
    assert [item["cohort_id"] for item in body["items"]] == [mine.cohort_id]


def test_a_person_with_no_training_sees_the_empty_state(client, db):
    sign_in(client, factories.UserFactory(roles=["participant"]))
    page = client.get("/").get_data(as_text=True)
    assert "Ви ще не берете участі в жодному тренінгу." in page


def test_staff_in_no_training_keep_their_home(client, db):
    sign_in(client, factories.UserFactory(roles=["trainer"]))
    page = client.get("/").get_data(as_text=True)
    assert 'data-testid="my-trainings"' not in page and "Найближчі заняття" in page


def test_a_trainer_who_is_also_a_participant_in_no_training_gets_no_empty_participant_section(client, db):
    sign_in(client, factories.UserFactory(roles=["trainer", "participant"]))
    page = client.get("/").get_data(as_text=True)
    assert 'data-testid="my-trainings"' not in page
    assert "Ви ще не берете участі в жодному тренінгу." not in page


def test_the_api_shows_what_the_page_shows(client, db):
    cohort, enrollment = _completed(score=88)
    user = enrollment.user
    headers = api_headers(user)
    (item,) = client.get("/api/v1/me/trainings", headers=headers).get_json()["items"]
    assert item["status"] == "completed" and item["cohort_id"] == cohort.id
    assert item["course_id"] == cohort.course_id and item["attendance_percent"] == 100.0
    assert (item["pre"], item["post"], item["results_released"]) == (None, None, False)
    assert item["certificate"]["status"] == "valid" and item["certificate"]["verification_url"]
    _release(cohort, "post")
    body = client.get("/api/v1/me/trainings", headers=headers).get_json()
    assert body["items"][0]["post"] == 88.0 and body["items"][0]["results_released"] is True
    assert body["total"] == 1 and body["page"] == 1


def test_the_api_pages_her_trainings(client, db):
    user = factories.UserFactory()
    for days in range(3):
        factories.EnrollmentFactory(
            user=user, cohort=factories.CohortFactory(start_date=TODAY + timedelta(days=days))
        )
    body = client.get("/api/v1/me/trainings?per_page=2&page=2", headers=api_headers(user)).get_json()
    assert body["total"] == 3 and len(body["items"]) == 1
    assert client.get("/api/v1/me/trainings?per_page=0", headers=api_headers(user)).status_code == 422


def test_her_test_link_opens_only_her_own_enrolment(client, db):
    user = factories.UserFactory()
    _cohort, enrollment = _running_with_open_test(user)
    stranger = factories.UserFactory()
    sign_in(client, stranger)
    assert client.get(f"/t/mine/{enrollment.id}").status_code == 404
    sign_in(client, factories.UserFactory(roles=["admin"]))
    assert client.get(f"/t/mine/{enrollment.id}").status_code == 404  # a pass would act as her
    sign_in(client, user)
    response = client.get(f"/t/mine/{enrollment.id}?phase=pre")
    assert response.status_code == 302 and response.headers["Location"].endswith("/t/pre")
    enrollment.status = "withdrawn"
    _db.session.flush()
    assert client.get(f"/t/mine/{enrollment.id}").status_code == 404


def test_a_participant_never_sees_free_places_of_a_closed_training(client, db):
    cohort, (enrollment,) = finished_cohort(scores=(90,))
    _close(cohort)
    assert _db.session.get(Cohort, cohort.id).status == "closed"
    sign_in(client, enrollment.user)
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert 'data-testid="seats"' not in page and "places free" not in page
    assert 'data-testid="my-place"' in page
    sign_in(client, cohort.lead_trainer)
    assert 'data-testid="seats"' in client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)


def test_a_participant_sees_free_places_while_a_training_is_open(client, db):
    enrollment = factories.EnrollmentFactory()
    sign_in(client, enrollment.user)
    assert 'data-testid="seats"' in client.get(f"/cohorts/{enrollment.cohort_id}").get_data(as_text=True)
