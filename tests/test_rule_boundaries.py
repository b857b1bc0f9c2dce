"""Boundaries of the rules that protect people and data, on pages and in the API alike.

Each test here was written against a bug that once passed the whole suite (issue 12): the
region check dropped for coordinators, withdrawn people still seeing a cohort, one session's
check-in code accepted for another, the attendance rule's threshold, the marking window, an
admin's own role and capacity below the enrolled.
"""

from datetime import time, timedelta

import pytest

from lms.cohorts import attendance, checkin
from lms.cohorts.models import TrainingSession
from lms.core.db import utcnow
from lms.extensions import db as database
from tests import factories
from tests.conftest import api_headers, sign_in


def english(client) -> None:
    with client.session_transaction() as browser:
        browser["lang"] = "en"


def cohort_in_region(region, **extra):
    district = factories.DistrictFactory(region=region)
    return factories.CohortFactory(district=district, with_sessions=True, **extra)


# Who may manage a cohort: a coordinator only in her own regions.


@pytest.fixture
def regions(db):
    return factories.RegionFactory(), factories.RegionFactory()


def test_coordinator_cannot_manage_a_cohort_in_another_region(client, regions):
    mine, other = regions
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[mine])
    foreign = cohort_in_region(other)
    sign_in(client, coordinator)
    assert client.get(f"/cohorts/{foreign.id}").status_code == 404
    assert client.get(f"/cohorts/{foreign.id}/edit").status_code == 404
    assert client.post(f"/cohorts/{foreign.id}/edit", data={"venue": "Захоплено"}).status_code == 404
    assert client.get(f"/cohorts/{foreign.id}/enrolments").status_code == 404
    assert client.get(f"/sessions/{foreign.sessions[0].id}/attendance").status_code == 404
    headers = api_headers(coordinator)
    assert client.get(f"/api/v1/cohorts/{foreign.id}", headers=headers).status_code == 404
    patched = client.patch(f"/api/v1/cohorts/{foreign.id}", json={"venue": "Захоплено"}, headers=headers)
    assert patched.status_code == 404
    assert client.get(f"/api/v1/cohorts/{foreign.id}/enrollments", headers=headers).status_code == 404
    assert client.get("/api/v1/cohorts", headers=headers).get_json()["total"] == 0
    assert foreign.venue != "Захоплено"


def test_coordinator_manages_a_cohort_in_her_own_region(client, regions):
    mine, _other = regions
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[mine])
    own = cohort_in_region(mine)
    sign_in(client, coordinator)
    assert client.get(f"/cohorts/{own.id}").status_code == 200
    assert client.get(f"/cohorts/{own.id}/edit").status_code == 200
    headers = api_headers(coordinator)
    patched = client.patch(f"/api/v1/cohorts/{own.id}", json={"venue": "Нова зала"}, headers=headers)
    assert patched.status_code == 200, patched.json
    assert own.venue == "Нова зала"
    assert [item["id"] for item in client.get("/api/v1/cohorts", headers=headers).get_json()["items"]] == [
        own.id
    ]


# Who may see a cohort: a withdrawn participant no longer does.


def test_withdrawn_participant_no_longer_sees_the_cohort(client, db):
    cohort = factories.CohortFactory(with_sessions=True)
    enrollment = factories.EnrollmentFactory(cohort=cohort, status="withdrawn")
    sign_in(client, enrollment.user)
    assert client.get(f"/cohorts/{cohort.id}").status_code == 404
    assert cohort.course.title not in client.get("/cohorts/").get_data(as_text=True)
    headers = api_headers(enrollment.user)
    assert client.get(f"/api/v1/cohorts/{cohort.id}", headers=headers).status_code == 404
    assert client.get("/api/v1/cohorts", headers=headers).get_json()["total"] == 0


@pytest.mark.parametrize("status", ["enrolled", "waitlisted"])
def test_enrolled_or_waitlisted_participant_sees_the_cohort(client, db, status):
    cohort = factories.CohortFactory(with_sessions=True)
    enrollment = factories.EnrollmentFactory(cohort=cohort, status=status)
    sign_in(client, enrollment.user)
    assert client.get(f"/cohorts/{cohort.id}").status_code == 200
    headers = api_headers(enrollment.user)
    assert client.get(f"/api/v1/cohorts/{cohort.id}", headers=headers).status_code == 200
    assert client.get("/api/v1/cohorts", headers=headers).get_json()["total"] == 1


# QR self check-in: a code belongs to one session.


def two_sessions_today():
    course = factories.CourseFactory(days=1)
    cohort = factories.CohortFactory(course=course, status="in_progress", start_date=attendance.local_today())
    morning = factories.TrainingSessionFactory(cohort=cohort, starts_at=time(9), ends_at=time(12))
    afternoon = factories.TrainingSessionFactory(cohort=cohort, starts_at=time(13), ends_at=time(17))
    cohort.checkin_secret = "secret-of-this-cohort"
    enrollment = factories.EnrollmentFactory(cohort=cohort)
    database.session.flush()
    return morning, afternoon, enrollment


def test_one_sessions_check_in_code_is_refused_for_another_session(client, db):
    morning, afternoon, enrollment = two_sessions_today()
    minute = int(utcnow().timestamp()) // 60
    morning_code = checkin.checkin_token(morning, minute)
    assert checkin.checkin_token(afternoon, minute) != morning_code
    sign_in(client, enrollment.user)
    assert client.get(f"/checkin/{afternoon.id}/{morning_code}").status_code == 410
    assert attendance.marks_by_enrollment(afternoon) == {}
    assert client.get(f"/checkin/{morning.id}/{morning_code}").status_code == 200
    assert attendance.marks_by_enrollment(morning)[enrollment.id].status == "present"
    assert attendance.marks_by_enrollment(afternoon) == {}


def test_check_in_keeps_a_trainers_late_mark_and_only_replaces_absent(db):
    morning, afternoon, enrollment = two_sessions_today()
    trainer = morning.cohort.lead_trainer
    attendance.mark_attendance(morning, by=trainer, statuses={enrollment.id: "late"})
    attendance.mark_attendance(afternoon, by=trainer, statuses={enrollment.id: "absent"}, notes={})
    minute = int(utcnow().timestamp()) // 60
    assert (
        checkin.check_in(morning.id, checkin.checkin_token(morning, minute), by=enrollment.user)[1] is False
    )
    assert attendance.marks_by_enrollment(morning)[enrollment.id].status == "late"
    _session, marked = checkin.check_in(
        afternoon.id, checkin.checkin_token(afternoon, minute), by=enrollment.user
    )
    assert marked is True
    row = attendance.marks_by_enrollment(afternoon)[enrollment.id]
    assert (row.status, row.source) == ("present", "self_checkin")


# The attendance rule at its threshold, in the summary (page and API) as in the completion rule.


def cohort_at_threshold():
    """Four equal sessions and a 75 % minimum: three attended is exactly the minimum."""
    course = factories.CourseFactory(days=4, min_attendance_percent=75)
    cohort = factories.CohortFactory(
        course=course,
        status="in_progress",
        start_date=attendance.local_today() - timedelta(days=5),
        with_sessions=True,
    )
    at_minimum = factories.EnrollmentFactory(
        cohort=cohort, user=factories.UserFactory(full_name="Андрієнко Ганна")
    )
    one_below = factories.EnrollmentFactory(
        cohort=cohort, user=factories.UserFactory(full_name="Бойко Дарина")
    )
    for day, session in enumerate(cohort.sessions):
        attendance.mark_attendance(
            session,
            by=cohort.lead_trainer,
            statuses={
                at_minimum.id: "present" if day < 3 else "absent",
                one_below.id: "late" if day < 2 else "absent",
            },
        )
    return cohort, at_minimum, one_below


def test_summary_counts_attendance_exactly_at_the_minimum_as_meeting_the_rule(client, db):
    cohort, at_minimum, one_below = cohort_at_threshold()
    summary = attendance.cohort_attendance_summary(cohort)
    assert [(p.enrollment.id, p.percent, p.meets_rule) for p in summary.participants] == [
        (at_minimum.id, 75.0, True),
        (one_below.id, 50.0, False),
    ]
    assert summary.below_rule == 1
    assert [attendance.meets_attendance_rule(e) for e in (at_minimum, one_below)] == [True, False]
    response = client.get(f"/api/v1/cohorts/{cohort.id}/attendance", headers=api_headers(cohort.lead_trainer))
    assert response.status_code == 200
    rules = {
        item["enrollment_id"]: (item["attendance_percent"], item["meets_rule"])
        for item in response.json["items"]
    }
    assert rules == {at_minimum.id: (75.0, True), one_below.id: (50.0, False)}


def test_summary_and_completion_rule_ask_the_same_rule_function(db, monkeypatch):
    cohort, at_minimum, _one_below = cohort_at_threshold()
    asked = []

    def strict_rule(percent, minimum):
        asked.append((percent, minimum))
        return percent > minimum

    monkeypatch.setattr(attendance, "attendance_rule_met", strict_rule)
    summary = attendance.cohort_attendance_summary(cohort)
    assert [p.meets_rule for p in summary.participants] == [False, False]
    assert attendance.meets_attendance_rule(at_minimum) is False
    assert asked == [(75.0, 75), (50.0, 75), (75.0, 75)]


@pytest.mark.parametrize(
    ("percent", "minimum", "met"), [(80.0, 80, True), (79.99, 80, False), (0.0, 0, True)]
)
def test_attendance_rule_includes_the_minimum_itself(percent, minimum, met):
    assert attendance.attendance_rule_met(percent, minimum) is met


# The marking window: "present" from the day before a session, not two days before.


def session_in(days: int) -> tuple[TrainingSession, object]:
    course = factories.CourseFactory(days=1)
    cohort = factories.CohortFactory(
        course=course,
        status="scheduled",
        start_date=attendance.local_today() + timedelta(days=days),
        with_sessions=True,
    )
    enrollment = factories.EnrollmentFactory(cohort=cohort)
    database.session.flush()
    return cohort.sessions[0], enrollment


def test_present_is_refused_two_days_before_a_session_on_the_page_and_in_the_api(client, db):
    session, enrollment = session_in(2)
    trainer = session.cohort.lead_trainer
    sign_in(client, trainer)
    english(client)
    page = client.post(
        f"/sessions/{session.id}/attendance",
        data={"enrollment": [enrollment.id], f"status-{enrollment.id}": "present"},
    )
    assert page.status_code == 422
    assert "from the day before" in page.get_data(as_text=True)
    api = client.put(
        f"/api/v1/sessions/{session.id}/attendance",
        json={"present": [enrollment.id]},
        headers=api_headers(trainer),
    )
    assert api.status_code == 422
    assert api.json["error"]["code"] == "validation_error"
    assert attendance.marks_by_enrollment(session) == {}


@pytest.mark.parametrize("status", ["present", "late"])
def test_present_or_late_is_accepted_the_day_before_a_session(client, db, status):
    session, enrollment = session_in(1)
    response = client.put(
        f"/api/v1/sessions/{session.id}/attendance",
        json={"present": [], status: [enrollment.id]},
        headers=api_headers(session.cohort.lead_trainer),
    )
    assert response.status_code == 200, response.json
    assert attendance.marks_by_enrollment(session)[enrollment.id].status == status


# An admin's own admin role.


def test_admin_cannot_remove_her_own_admin_role_on_the_page_or_in_the_api(client, admin):
    sign_in(client, admin)
    english(client)
    form = {
        "email": admin.email,
        "full_name": admin.full_name,
        "full_name_latin": admin.full_name_latin,
        "roles": ["coordinator"],
        "institution_id": 0,
        "active": "y",
    }
    page = client.post(f"/admin/users/{admin.id}", data=form)
    assert page.status_code == 200
    assert "You cannot remove your own admin role." in page.get_data(as_text=True)
    assert admin.has_role("admin")
    api = client.patch(
        f"/api/v1/users/{admin.id}", json={"roles": ["coordinator"]}, headers=api_headers(admin)
    )
    assert api.status_code == 422
    assert "roles" in api.json["error"]["fields"]
    assert admin.has_role("admin")


def test_admin_may_keep_her_admin_role_while_adding_another_and_remove_anothers(client, admin):
    other_admin = factories.UserFactory(roles=["admin"])
    headers = api_headers(admin)
    kept = client.patch(
        f"/api/v1/users/{admin.id}",
        json={"roles": ["admin", "coordinator"], "region_ids": [factories.RegionFactory().id]},
        headers=headers,
    )
    assert kept.status_code == 200, kept.json
    assert admin.has_role("admin") and admin.has_role("coordinator")
    removed = client.patch(f"/api/v1/users/{other_admin.id}", json={"roles": ["trainer"]}, headers=headers)
    assert removed.status_code == 200, removed.json
    assert not other_admin.has_role("admin")


# Capacity is never below the number already enrolled.


def cohort_with_enrolled(people: int):
    cohort = factories.CohortFactory(capacity=5, with_sessions=True)
    for _ in range(people):
        factories.EnrollmentFactory(cohort=cohort)
    factories.EnrollmentFactory(cohort=cohort, status="withdrawn")  # not counted: the seat is free
    return cohort


def edit_form(cohort, capacity: int) -> dict:
    return {
        "course_id": cohort.course_id,
        "lead_trainer_id": cohort.lead_trainer_id,
        "district_id": cohort.district_id,
        "community_id": 0,
        "venue": cohort.venue,
        "start_date": cohort.start_date.isoformat(),
        "end_date": cohort.end_date.isoformat(),
        "capacity": capacity,
        "notes": "",
    }


def test_capacity_cannot_be_lowered_below_the_number_enrolled(client, admin):
    cohort = cohort_with_enrolled(3)
    sign_in(client, admin)
    english(client)
    page = client.post(f"/cohorts/{cohort.id}/edit", data=edit_form(cohort, 2))
    assert page.status_code == 200
    assert "3 people are already enrolled; reduce the list first." in page.get_data(as_text=True)
    api = client.patch(f"/api/v1/cohorts/{cohort.id}", json={"capacity": 2}, headers=api_headers(admin))
    assert api.status_code == 422
    assert "capacity" in api.json["error"]["fields"]
    assert cohort.capacity == 5


def test_capacity_can_be_lowered_to_exactly_the_number_enrolled(client, admin):
    cohort = cohort_with_enrolled(3)
    sign_in(client, admin)
    assert client.post(f"/cohorts/{cohort.id}/edit", data=edit_form(cohort, 4)).status_code == 302
    assert cohort.capacity == 4
    api = client.patch(f"/api/v1/cohorts/{cohort.id}", json={"capacity": 3}, headers=api_headers(admin))
    assert api.status_code == 200, api.json
    assert cohort.capacity == 3
