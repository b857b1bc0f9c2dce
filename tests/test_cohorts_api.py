"""API: /api/v1/cohorts and their sessions, with the same rules and permissions as the pages."""

from datetime import date, timedelta

import pytest

from tests import factories
from tests.conftest import api_headers

START = date.today() + timedelta(days=30)


@pytest.fixture
def region(db):
    return factories.RegionFactory()


@pytest.fixture
def district(region):
    return factories.DistrictFactory(region=region, name="Золотоніський район")


@pytest.fixture
def course(db):
    return factories.CourseFactory(code="PTL-MDG", days=2)


def trainer_for(course, **extra):
    person = factories.UserFactory(roles=["trainer"], **extra)
    factories.AccreditationFactory(user=person, course=course, granted_on=date.today() - timedelta(days=90))
    return person


def new_cohort(course, lead, district, **extra) -> dict:
    body = {
        "course_id": course.id,
        "lead_trainer_id": lead.id,
        "district_id": district.id,
        "venue": "Золотоніська РДА, вул. Садова 10, мала зала",
        "start_date": START.isoformat(),
    }
    body.update(extra)
    return body


def test_coordinator_creates_a_cohort_with_sessions_and_reads_it_back(client, region, district, course):
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[region])
    lead, co_trainer = trainer_for(course), factories.UserFactory(roles=["trainer"])
    headers = api_headers(coordinator)
    body = new_cohort(
        course,
        lead,
        district,
        co_trainer_ids=[co_trainer.id],
        capacity=20,
        status="scheduled",
        sessions=[
            {
                "date": START.isoformat(),
                "starts_at": "09:00",
                "ends_at": "17:00",
                "module_ids": [course.modules[0].id],
            },
            {"date": (START + timedelta(days=1)).isoformat(), "starts_at": "09:30", "ends_at": "16:00"},
        ],
    )
    response = client.post("/api/v1/cohorts", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert (
        created["status"] == "scheduled" and created["session_count"] == 2 and created["enrolled_count"] == 0
    )
    assert created["end_date"] == (START + timedelta(days=1)).isoformat()
    assert created["co_trainer_ids"] == [co_trainer.id] and created["community_id"] is None
    fetched = client.get(f"/api/v1/cohorts/{created['id']}", headers=headers).get_json()
    assert fetched == created
    sessions = client.get(f"/api/v1/cohorts/{created['id']}/sessions", headers=headers).get_json()
    assert sessions["total"] == 2
    assert [(s["starts_at"], s["ends_at"]) for s in sessions["items"]] == [
        ("09:00", "17:00"),
        ("09:30", "16:00"),
    ]
    assert sessions["items"][0]["module_ids"] == [course.modules[0].id]


def test_list_is_scoped_and_filtered(client, region, district, course):
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[region])
    lead = trainer_for(course)
    here = factories.CohortFactory(
        course=course, lead_trainer=lead, district=district, start_date=START, accredited=False
    )
    later = factories.CohortFactory(
        course=course,
        lead_trainer=lead,
        district=district,
        start_date=START + timedelta(days=20),
        status="draft",
        accredited=False,
    )
    factories.CohortFactory(
        course=course, lead_trainer=lead, start_date=START + timedelta(days=40), accredited=False
    )
    headers = api_headers(coordinator)

    def ids(query=""):
        return {
            item["id"] for item in client.get(f"/api/v1/cohorts{query}", headers=headers).get_json()["items"]
        }

    assert ids() == {here.id, later.id}
    assert ids("?status=draft") == {later.id}
    assert ids(f"?region_id={region.id}&district_id={district.id}&course_id={course.id}") == {
        here.id,
        later.id,
    }
    assert ids(f"?from={(START + timedelta(days=5)).isoformat()}") == {later.id}
    assert ids(f"?to={(START + timedelta(days=5)).isoformat()}") == {here.id}
    assert client.get("/api/v1/cohorts?status=finished", headers=headers).status_code == 422


def test_double_booking_answers_409_naming_the_other_cohort(client, admin, district, course):
    lead = trainer_for(course, full_name="Віктор Ткаченко")
    other = factories.CohortFactory(
        course=course, lead_trainer=lead, start_date=START, accredited=False, with_sessions=True
    )
    body = new_cohort(
        course,
        lead,
        district,
        sessions=[{"date": START.isoformat(), "starts_at": "13:00", "ends_at": "15:00"}],
    )
    response = client.post("/api/v1/cohorts", json=body, headers=api_headers(admin))
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "conflict"
    assert "Віктор Ткаченко" in error["message"] and f"{other.id}" in error["message"]
    assert "lead_trainer_id" in error["fields"]


def test_patch_changes_fields_and_status_through_the_same_flow(client, admin, district, course):
    lead = trainer_for(course)
    cohort = factories.CohortFactory(
        course=course,
        lead_trainer=lead,
        district=district,
        start_date=START,
        accredited=False,
        status="draft",
    )
    headers = api_headers(admin)
    response = client.patch(
        f"/api/v1/cohorts/{cohort.id}", json={"venue": "Нова зала", "capacity": 15}, headers=headers
    )
    assert response.status_code == 200 and response.get_json()["venue"] == "Нова зала"
    no_sessions = client.patch(f"/api/v1/cohorts/{cohort.id}", json={"status": "scheduled"}, headers=headers)
    assert no_sessions.status_code == 422 and cohort.status == "draft"
    skip = client.patch(f"/api/v1/cohorts/{cohort.id}", json={"status": "closed"}, headers=headers)
    assert skip.status_code == 409
    no_reason = client.patch(f"/api/v1/cohorts/{cohort.id}", json={"status": "cancelled"}, headers=headers)
    assert no_reason.status_code == 422 and "cancelled_reason" in no_reason.get_json()["error"]["fields"]
    cancelled = client.patch(
        f"/api/v1/cohorts/{cohort.id}",
        json={"status": "cancelled", "cancelled_reason": "Немає зали"},
        headers=headers,
    )
    assert cancelled.status_code == 200
    assert (
        cancelled.get_json()["status"] == "cancelled"
        and cancelled.get_json()["cancelled_reason"] == "Немає зали"
    )
    final = client.patch(f"/api/v1/cohorts/{cohort.id}", json={"venue": "Ще одна зала"}, headers=headers)
    assert final.status_code == 409 and cohort.venue == "Нова зала"


def test_sessions_are_added_changed_and_deleted(client, district, course):
    lead = trainer_for(course)
    cohort = factories.CohortFactory(
        course=course,
        lead_trainer=lead,
        district=district,
        start_date=START,
        accredited=False,
        status="draft",
    )
    headers = api_headers(lead)
    url = f"/api/v1/cohorts/{cohort.id}/sessions"
    created = client.post(
        url, json={"date": START.isoformat(), "starts_at": "09:00", "ends_at": "13:00"}, headers=headers
    )
    assert created.status_code == 201 and created.get_json()["cohort_id"] == cohort.id
    session_id = created.get_json()["id"]
    overlapping = client.post(
        url, json={"date": START.isoformat(), "starts_at": "12:00", "ends_at": "14:00"}, headers=headers
    )
    assert overlapping.status_code == 422
    backwards = client.post(
        url, json={"date": START.isoformat(), "starts_at": "15:00", "ends_at": "14:00"}, headers=headers
    )
    assert backwards.status_code == 422 and "ends_at" in backwards.get_json()["error"]["fields"]
    outside = client.post(
        url,
        json={"date": (START - timedelta(days=1)).isoformat(), "starts_at": "09:00", "ends_at": "13:00"},
        headers=headers,
    )
    assert outside.status_code == 422 and "date" in outside.get_json()["error"]["fields"]
    patched = client.patch(
        f"/api/v1/sessions/{session_id}",
        json={"ends_at": "12:30", "module_ids": [course.modules[1].id]},
        headers=headers,
    )
    assert patched.status_code == 200 and patched.get_json()["ends_at"] == "12:30"
    assert patched.get_json()["module_ids"] == [course.modules[1].id]
    assert client.delete(f"/api/v1/sessions/{session_id}", headers=headers).status_code == 204
    assert cohort.sessions == []


def test_trainer_gets_404_for_another_trainers_cohort_and_403_where_she_only_looks(client, district, course):
    mine, theirs = trainer_for(course), trainer_for(course)
    other = factories.CohortFactory(
        course=course, lead_trainer=theirs, start_date=START, accredited=False, with_sessions=True
    )
    headers = api_headers(mine)
    assert client.get(f"/api/v1/cohorts/{other.id}", headers=headers).status_code == 404
    assert (
        client.patch(f"/api/v1/cohorts/{other.id}", json={"venue": "Захоплено"}, headers=headers).status_code
        == 404
    )
    assert client.get(f"/api/v1/cohorts/{other.id}/sessions", headers=headers).status_code == 404
    session_url = f"/api/v1/cohorts/{other.id}/sessions"
    body = {"date": START.isoformat(), "starts_at": "18:00", "ends_at": "19:00"}
    assert client.post(session_url, json=body, headers=headers).status_code == 404
    assert (
        client.patch(
            f"/api/v1/sessions/{other.sessions[0].id}", json={"ends_at": "18:00"}, headers=headers
        ).status_code
        == 404
    )
    assert client.get("/api/v1/cohorts", headers=headers).get_json()["total"] == 0
    assert other.venue != "Захоплено"

    participant = factories.UserFactory()
    factories.EnrollmentFactory(cohort=other, user=participant)
    as_participant = api_headers(participant)
    assert client.get(f"/api/v1/cohorts/{other.id}", headers=as_participant).status_code == 200
    assert (
        client.patch(
            f"/api/v1/cohorts/{other.id}", json={"venue": "Захоплено"}, headers=as_participant
        ).status_code
        == 403
    )
    assert client.post(session_url, json=body, headers=as_participant).status_code == 403


def test_coordinator_cannot_plan_outside_her_regions(client, region, course):
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[region])
    elsewhere = factories.DistrictFactory()
    response = client.post(
        "/api/v1/cohorts",
        json=new_cohort(course, trainer_for(course), elsewhere),
        headers=api_headers(coordinator),
    )
    assert response.status_code == 403 and "district_id" in response.get_json()["error"]["fields"]


def test_bad_input_is_a_422_not_a_500(client, admin, district, course):
    headers = api_headers(admin)
    lead = trainer_for(course)
    assert client.post("/api/v1/cohorts", json={"venue": "x"}, headers=headers).status_code == 422
    bad_time = new_cohort(
        course,
        lead,
        district,
        sessions=[{"date": START.isoformat(), "starts_at": "9 am", "ends_at": "17:00"}],
    )
    assert client.post("/api/v1/cohorts", json=bad_time, headers=headers).status_code == 422
    unknown_course = new_cohort(course, lead, district, course_id=999999)
    response = client.post("/api/v1/cohorts", json=unknown_course, headers=headers)
    assert response.status_code == 422 and "course_id" in response.get_json()["error"]["fields"]


def test_ids_and_dates_beyond_what_the_database_holds_are_a_422_not_a_500(client, admin, district, course):
    headers = api_headers(admin)
    lead = trainer_for(course)
    huge = 10**20
    far_future = new_cohort(course, lead, district, start_date="9999-12-31")
    assert client.post("/api/v1/cohorts", json=far_future, headers=headers).status_code == 422
    created = client.post("/api/v1/cohorts", json=new_cohort(course, lead, district), headers=headers)
    cohort_id = created.get_json()["id"]
    for body in ({"district_id": huge}, {"co_trainer_ids": [huge]}, {"community_id": huge}):
        response = client.patch(f"/api/v1/cohorts/{cohort_id}", json=body, headers=headers)
        assert response.status_code == 422, body
        assert response.get_json()["error"]["code"] == "validation_error"
    assert client.get(f"/api/v1/cohorts?course_id={huge}", headers=headers).status_code == 422
    assert (
        client.get(f"/api/v1/cohorts/{huge}", headers=headers).status_code == 404
    )  # an id no row can have names nothing
    assert (
        client.get(f"/api/v1/cohorts/{cohort_id}", headers=headers).get_json()["district_id"] == district.id
    )
