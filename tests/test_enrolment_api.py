"""API: a cohort's enrolments and withdrawal."""

import pytest
from sqlalchemy import select

from lms.accounts.models import User
from tests import factories
from tests.conftest import api_headers


@pytest.fixture
def cohort(db):
    return factories.CohortFactory(capacity=1)


def test_enrolling_a_registered_person_returns_the_enrollment(client, db, cohort):
    person = factories.UserFactory(full_name="Бойко Олена", email="olena@example.org")
    response = client.post(
        f"/api/v1/cohorts/{cohort.id}/enrollments",
        json={"user_id": person.id, "send_invitation": False},
        headers=api_headers(cohort.lead_trainer),
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert {
        k: body[k] for k in ("cohort_id", "user_id", "status", "full_name", "email", "waitlisted_at")
    } == {
        "cohort_id": cohort.id,
        "user_id": person.id,
        "status": "enrolled",
        "full_name": "Бойко Олена",
        "email": "olena@example.org",
        "waitlisted_at": None,
    }
    assert body["id"] and body["created_at"]


def test_a_new_person_beyond_capacity_is_created_and_waitlisted(client, db, cohort):
    factories.EnrollmentFactory(cohort=cohort)
    institution = factories.InstitutionFactory(district=cohort.district)
    response = client.post(
        f"/api/v1/cohorts/{cohort.id}/enrollments",
        json={"email": "new@example.org", "full_name": "Їжакевич Олег", "phone": "0671234567",
              "position": "Соціальний педагог", "institution_id": institution.id},
        headers=api_headers(cohort.lead_trainer),
    )  # fmt: skip
    assert response.status_code == 201, response.json
    assert response.json["status"] == "waitlisted" and response.json["waitlisted_at"]
    user = db.session.scalar(select(User).where(User.email == "new@example.org"))
    assert (user.full_name_latin, user.institution_id, user.phone) == (
        "Yizhakevych Oleh",
        institution.id,
        "+380671234567",
    )


def test_enrolling_twice_is_a_conflict_and_a_closed_cohort_refuses(client, db, cohort):
    person = factories.UserFactory()
    headers = api_headers(cohort.lead_trainer)
    url = f"/api/v1/cohorts/{cohort.id}/enrollments"
    assert client.post(url, json={"user_id": person.id}, headers=headers).status_code == 201
    response = client.post(url, json={"user_id": person.id}, headers=headers)
    assert response.status_code == 409 and response.json["error"]["code"] == "conflict"
    closed = factories.CohortFactory(status="closed", lead_trainer=cohort.lead_trainer, accredited=False)
    response = client.post(
        f"/api/v1/cohorts/{closed.id}/enrollments", json={"user_id": person.id}, headers=headers
    )
    assert response.status_code == 409


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "user_id"),
        ({"user_id": 999999}, "user_id"),
        ({"email": "x@example.org"}, "full_name"),
        ({"full_name": "Без Пошти"}, "email"),
        ({"user_id": "one"}, "user_id"),
    ],
)
def test_bad_requests_name_the_field(client, db, cohort, payload, field):
    response = client.post(
        f"/api/v1/cohorts/{cohort.id}/enrollments", json=payload, headers=api_headers(cohort.lead_trainer)
    )
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["fields"]


def test_list_filters_by_status_and_pages(client, db, cohort):
    first = factories.EnrollmentFactory(cohort=cohort)
    waiting = [
        factories.EnrollmentFactory(cohort=cohort, status="waitlisted", waitlisted_at=first.created_at)
        for _ in range(3)
    ]
    headers = api_headers(cohort.lead_trainer)
    response = client.get(
        f"/api/v1/cohorts/{cohort.id}/enrollments?status=waitlisted&per_page=2", headers=headers
    )
    assert response.status_code == 200
    assert (response.json["total"], response.json["per_page"]) == (3, 2)
    assert [e["id"] for e in response.json["items"]] == [waiting[0].id, waiting[1].id]
    everyone = client.get(f"/api/v1/cohorts/{cohort.id}/enrollments", headers=headers).json
    assert everyone["total"] == 4
    assert (
        client.get(f"/api/v1/cohorts/{cohort.id}/enrollments?status=gone", headers=headers).status_code == 422
    )


def test_withdrawing_moves_the_first_waiting_person_up(client, db, cohort):
    enrolled = factories.EnrollmentFactory(cohort=cohort)
    waiting = factories.EnrollmentFactory(
        cohort=cohort, status="waitlisted", waitlisted_at=enrolled.created_at
    )
    headers = api_headers(cohort.lead_trainer)
    response = client.post(f"/api/v1/enrollments/{enrolled.id}/withdraw", headers=headers)
    assert response.status_code == 200 and response.json["status"] == "withdrawn"
    db.session.refresh(waiting)
    assert waiting.status == "enrolled"
    assert client.post(f"/api/v1/enrollments/{enrolled.id}/withdraw", headers=headers).status_code == 409


def test_another_trainer_gets_not_found_and_a_participant_forbidden(client, db, cohort):
    enrollment = factories.EnrollmentFactory(cohort=cohort)
    person = factories.UserFactory()
    stranger = api_headers(factories.UserFactory(roles=["trainer"]))
    participant = api_headers(enrollment.user)
    url = f"/api/v1/cohorts/{cohort.id}/enrollments"
    assert client.get(url, headers=stranger).status_code == 404
    assert client.post(url, json={"user_id": person.id}, headers=stranger).status_code == 404
    assert client.post(f"/api/v1/enrollments/{enrollment.id}/withdraw", headers=stranger).status_code == 404
    assert client.get(url, headers=participant).status_code == 403
    assert client.post(url, json={"user_id": person.id}, headers=participant).status_code == 403
    assert (
        client.post(f"/api/v1/enrollments/{enrollment.id}/withdraw", headers=participant).status_code == 403
    )
    assert client.get("/api/v1/cohorts/999999/enrollments", headers=stranger).status_code == 404
    db.session.refresh(enrollment)
    assert enrollment.status == "enrolled"


def test_coordinator_of_the_region_enrols_through_the_api(client, db, cohort):
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[cohort.district.region])
    response = client.post(
        f"/api/v1/cohorts/{cohort.id}/enrollments",
        json={"user_id": factories.UserFactory().id},
        headers=api_headers(coordinator),
    )
    assert response.status_code == 201
