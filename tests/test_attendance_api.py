"""API: PUT/GET a session's attendance and GET a cohort's attendance percentages."""

from datetime import timedelta

from lms.cohorts import attendance
from lms.extensions import db as database
from tests import factories
from tests.conftest import api_headers


def training(people=("Бондар Ольга", "Антоненко Іван", "Вовк Степан")):
    course = factories.CourseFactory(days=2, min_attendance_percent=75)
    cohort = factories.CohortFactory(
        course=course,
        status="in_progress",
        start_date=attendance.local_today() - timedelta(days=1),
        with_sessions=True,
    )
    enrollments = [
        factories.EnrollmentFactory(cohort=cohort, user=factories.UserFactory(full_name=name))
        for name in people
    ]
    database.session.flush()  # sessions added after the cohort's own flush get their ids
    return cohort, enrollments


def test_put_marks_listed_present_and_everyone_else_absent(client, db):
    cohort, (olha, ivan, stepan) = training()
    session = cohort.sessions[0]
    response = client.put(
        f"/api/v1/sessions/{session.id}/attendance",
        json={"present": [olha.id], "late": [stepan.id], "notes": {str(stepan.id): "прийшов о 10:00"}},
        headers=api_headers(cohort.lead_trainer),
    )
    assert response.status_code == 200, response.json
    items = {item["enrollment_id"]: item for item in response.json["items"]}
    assert {k: v["status"] for k, v in items.items()} == {
        olha.id: "present",
        ivan.id: "absent",
        stepan.id: "late",
    }
    assert items[stepan.id]["note"] == "прийшов о 10:00"
    assert {v["source"] for v in items.values()} == {"api"}
    assert [item["full_name"] for item in response.json["items"]] == [
        "Антоненко Іван",
        "Бондар Ольга",
        "Вовк Степан",
    ]
    stored = attendance.marks_by_enrollment(session)
    assert {k: row.status for k, row in stored.items()} == {
        olha.id: "present",
        ivan.id: "absent",
        stepan.id: "late",
    }


def test_put_again_replaces_the_register_without_duplicates(client, db):
    cohort, (olha, ivan, stepan) = training()
    session = cohort.sessions[0]
    headers = api_headers(cohort.lead_trainer)
    client.put(f"/api/v1/sessions/{session.id}/attendance", json={"present": [olha.id]}, headers=headers)
    response = client.put(
        f"/api/v1/sessions/{session.id}/attendance", json={"present": [ivan.id, stepan.id]}, headers=headers
    )
    assert response.status_code == 200
    stored = attendance.marks_by_enrollment(session)
    assert {k: row.status for k, row in stored.items()} == {
        olha.id: "absent",
        ivan.id: "present",
        stepan.id: "present",
    }


def test_put_with_unknown_or_not_enrolled_ids_is_refused_naming_them(client, db):
    cohort, (olha, _ivan, _stepan) = training()
    withdrawn = factories.EnrollmentFactory(cohort=cohort, status="withdrawn")
    waitlisted = factories.EnrollmentFactory(cohort=cohort, status="waitlisted")
    elsewhere = factories.EnrollmentFactory()
    session = cohort.sessions[0]
    response = client.put(
        f"/api/v1/sessions/{session.id}/attendance",
        json={"present": [olha.id, withdrawn.id, waitlisted.id, elsewhere.id, 999999]},
        headers=api_headers(cohort.lead_trainer),
    )
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "validation_error"
    message = error["fields"]["present"][0]
    for refused in (withdrawn.id, waitlisted.id, elsewhere.id, 999999):
        assert str(refused) in message
    assert attendance.marks_by_enrollment(session) == {}


def test_put_refuses_a_person_both_present_and_late(client, db):
    cohort, (olha, _ivan, _stepan) = training()
    response = client.put(
        f"/api/v1/sessions/{cohort.sessions[0].id}/attendance",
        json={"present": [olha.id], "late": [olha.id]},
        headers=api_headers(cohort.lead_trainer),
    )
    assert response.status_code == 422
    assert "late" in response.json["error"]["fields"]


def test_put_refuses_note_keys_that_are_not_enrollment_ids(client, db):
    cohort, (olha, _ivan, _stepan) = training()
    response = client.put(
        f"/api/v1/sessions/{cohort.sessions[0].id}/attendance",
        json={"present": [olha.id], "notes": {"²": "пізніше"}},
        headers=api_headers(cohort.lead_trainer),
    )
    assert response.status_code == 422
    assert "notes" in response.json["error"]["fields"]


def test_put_needs_the_present_list(client, db):
    cohort, _ = training()
    response = client.put(
        f"/api/v1/sessions/{cohort.sessions[0].id}/attendance",
        json={},
        headers=api_headers(cohort.lead_trainer),
    )
    assert response.status_code == 422
    assert "present" in response.json["error"]["fields"]


def test_get_lists_everyone_enrolled_with_their_mark(client, db):
    cohort, (olha, ivan, stepan) = training()
    session = cohort.sessions[0]
    attendance.mark_attendance(
        session, by=cohort.lead_trainer, statuses={olha.id: "present"}, notes={olha.id: "ok"}
    )
    response = client.get(
        f"/api/v1/sessions/{session.id}/attendance", headers=api_headers(cohort.lead_trainer)
    )
    assert response.status_code == 200
    assert response.json["total"] == 3
    by_id = {item["enrollment_id"]: item for item in response.json["items"]}
    assert set(by_id[olha.id]) >= {
        "enrollment_id",
        "user_id",
        "full_name",
        "status",
        "note",
        "source",
        "marked_at",
    }
    assert (by_id[olha.id]["status"], by_id[olha.id]["note"], by_id[olha.id]["source"]) == (
        "present",
        "ok",
        "trainer",
    )
    assert by_id[olha.id]["user_id"] == olha.user_id and by_id[olha.id]["marked_at"]
    assert by_id[ivan.id]["status"] is None and by_id[stepan.id]["marked_at"] is None


def test_cohort_attendance_gives_percent_and_rule_per_enrollment(client, db):
    cohort, (olha, ivan, stepan) = training()
    first, second = cohort.sessions
    trainer = cohort.lead_trainer
    attendance.set_session_attendance(first, by=trainer, present=[olha.id, ivan.id], late=[stepan.id])
    attendance.set_session_attendance(second, by=trainer, present=[olha.id])
    response = client.get(f"/api/v1/cohorts/{cohort.id}/attendance", headers=api_headers(trainer))
    assert response.status_code == 200
    rows = {item["enrollment_id"]: item for item in response.json["items"]}
    assert rows[olha.id]["attendance_percent"] == 100.0 and rows[olha.id]["meets_rule"] is True
    assert rows[ivan.id]["attendance_percent"] == 50.0 and rows[ivan.id]["meets_rule"] is False
    assert rows[stepan.id]["sessions_attended"] == 1 and rows[stepan.id]["sessions_total"] == 2
    assert rows[ivan.id]["user_id"] == ivan.user_id


def test_api_hides_other_trainers_sessions_and_cohorts(client, db):
    cohort, (olha, _ivan, _stepan) = training()
    headers = api_headers(factories.UserFactory(roles=["trainer"]))
    session = cohort.sessions[0]
    assert client.get(f"/api/v1/sessions/{session.id}/attendance", headers=headers).status_code == 404
    response = client.put(
        f"/api/v1/sessions/{session.id}/attendance", json={"present": [olha.id]}, headers=headers
    )
    assert response.status_code == 404
    assert client.get(f"/api/v1/cohorts/{cohort.id}/attendance", headers=headers).status_code == 404
    assert client.get("/api/v1/sessions/987654/attendance", headers=headers).status_code == 404
    assert attendance.marks_by_enrollment(session) == {}


def test_participant_cannot_mark_through_the_api(client, db):
    cohort, (olha, _ivan, _stepan) = training()
    headers = api_headers(olha.user)
    session = cohort.sessions[0]
    response = client.put(
        f"/api/v1/sessions/{session.id}/attendance", json={"present": [olha.id]}, headers=headers
    )
    assert response.status_code == 403
    assert client.get(f"/api/v1/sessions/{session.id}/attendance", headers=headers).status_code == 403
    assert attendance.marks_by_enrollment(session) == {}


def test_api_needs_a_token(client, db):
    cohort, _ = training()
    assert client.get(f"/api/v1/sessions/{cohort.sessions[0].id}/attendance").status_code == 401


def test_put_for_a_training_nobody_is_enrolled_in_gives_an_empty_register(client, db):
    cohort, _ = training(people=())
    response = client.put(
        f"/api/v1/sessions/{cohort.sessions[0].id}/attendance",
        json={"present": []},
        headers=api_headers(cohort.lead_trainer),
    )
    assert response.status_code == 200
    assert response.json["items"] == [] and response.json["total"] == 0
