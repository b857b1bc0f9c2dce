"""Self check-in by the QR code the trainer shows in the room."""

from datetime import UTC, datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import time_machine

from lms.cohorts import attendance, checkin
from lms.core.db import utcnow
from lms.core.errors import ValidationError
from tests import factories
from tests.conftest import sign_in


@pytest.fixture(autouse=True)
def steady_minute():
    """Keep each test inside one minute of the clock: a code made at hh:mm:59.9 for "the
    previous minute" is two minutes old by the time the request arrives a moment later. Near
    the end of a minute, the clock moves on to five seconds into the next one and ticks on."""
    now = utcnow()
    if now.second < 45:
        yield
        return
    next_minute = now.replace(second=5, microsecond=0) + timedelta(minutes=1)
    # Zoned in Kyiv: time-machine takes the destination's zone for the process while travelling.
    with time_machine.travel(next_minute.astimezone(ZoneInfo("Europe/Kyiv")), tick=True):
        yield


def todays_session(status="in_progress", start_offset_days=0):
    course = factories.CourseFactory(days=1)
    cohort = factories.CohortFactory(
        course=course,
        status=status,
        start_date=attendance.local_today() + timedelta(days=start_offset_days),
        with_sessions=True,
    )
    enrollment = factories.EnrollmentFactory(cohort=cohort)
    return cohort.sessions[0], enrollment


def code_url(session, minutes_ago: int = 0) -> str:
    minute = int(utcnow().timestamp()) // 60 - minutes_ago
    return f"/checkin/{session.id}/{checkin.checkin_token(session, minute)}"


def mark_of(session, enrollment):
    return attendance.marks_by_enrollment(session).get(enrollment.id)


def test_enrolled_participant_checks_in_with_the_current_code(client, db):
    session, enrollment = todays_session()
    sign_in(client, enrollment.user)
    response = client.get(code_url(session))
    assert response.status_code == 200
    assert 'data-outcome="marked"' in response.get_data(as_text=True)
    row = mark_of(session, enrollment)
    assert (row.status, row.source, row.marked_by_id) == ("present", "self_checkin", enrollment.user_id)


def test_code_from_the_previous_minute_is_still_accepted(client, db):
    session, enrollment = todays_session()
    sign_in(client, enrollment.user)
    assert client.get(code_url(session, minutes_ago=1)).status_code == 200
    assert mark_of(session, enrollment).status == "present"


def test_expired_code_asks_for_the_new_one(client, db):
    session, enrollment = todays_session()
    sign_in(client, enrollment.user)
    with client.session_transaction() as browser:
        browser["lang"] = "en"
    response = client.get(code_url(session, minutes_ago=2))
    assert response.status_code == 410
    assert "Ask the trainer to show the new code" in response.get_data(as_text=True)
    assert mark_of(session, enrollment) is None


def test_made_up_code_is_refused(client, db):
    session, enrollment = todays_session()
    sign_in(client, enrollment.user)
    assert client.get(f"/checkin/{session.id}/AAAAAAAAAAAAAAAA").status_code == 410
    assert mark_of(session, enrollment) is None


def test_rotating_the_cohort_secret_invalidates_the_code(client, db):
    session, enrollment = todays_session()
    url = code_url(session)
    session.cohort.checkin_secret = "rotated"
    sign_in(client, enrollment.user)
    assert client.get(url).status_code == 410


def test_person_not_enrolled_is_told_so(client, db):
    session, _enrollment = todays_session()
    stranger = factories.UserFactory()
    waitlisted = factories.EnrollmentFactory(cohort=session.cohort, status="waitlisted")
    for person in (stranger, waitlisted.user):
        sign_in(client, person)
        response = client.get(code_url(session))
        assert response.status_code == 403
        assert 'data-outcome="not_enrolled"' in response.get_data(as_text=True)
    assert attendance.marks_by_enrollment(session) == {}


def test_code_for_a_session_on_another_day_is_refused(client, db):
    session, enrollment = todays_session(status="scheduled", start_offset_days=1)
    sign_in(client, enrollment.user)
    response = client.get(code_url(session))
    assert response.status_code == 422
    assert 'data-outcome="wrong_day"' in response.get_data(as_text=True)
    assert mark_of(session, enrollment) is None


def test_check_in_uses_the_kyiv_date(db):
    session, enrollment = todays_session()
    session.date = datetime(2026, 3, 10).date()
    # 23:30 UTC on 9 March is already 10 March in Kyiv (UTC+2).
    late_evening = datetime(2026, 3, 9, 23, 30, tzinfo=UTC)
    token = checkin.checkin_token(session, int(late_evening.timestamp()) // 60)
    _session, newly = checkin.check_in(session.id, token, by=enrollment.user, now=late_evening)
    assert newly is True


def test_closed_training_takes_no_check_ins(client, db):
    session, enrollment = todays_session(status="closed")
    sign_in(client, enrollment.user)
    response = client.get(code_url(session))
    assert response.status_code == 422
    assert mark_of(session, enrollment) is None


def test_checking_in_twice_says_already_present(client, db):
    session, enrollment = todays_session()
    sign_in(client, enrollment.user)
    client.get(code_url(session))
    response = client.get(code_url(session))
    assert response.status_code == 200
    assert 'data-outcome="already"' in response.get_data(as_text=True)
    assert len(attendance.marks_by_enrollment(session)) == 1


def test_check_in_does_not_override_a_late_mark_but_replaces_absent(client, db):
    session, enrollment = todays_session()
    other = factories.EnrollmentFactory(cohort=session.cohort)
    attendance.mark_attendance(
        session, by=session.cohort.lead_trainer, statuses={enrollment.id: "late", other.id: "absent"}
    )
    sign_in(client, enrollment.user)
    assert 'data-outcome="already"' in client.get(code_url(session)).get_data(as_text=True)
    assert mark_of(session, enrollment).status == "late"
    sign_in(client, other.user)
    assert 'data-outcome="marked"' in client.get(code_url(session)).get_data(as_text=True)
    assert (mark_of(session, other).status, mark_of(session, other).source) == ("present", "self_checkin")


def test_signed_out_person_goes_through_the_login_page_and_comes_back(client, db):
    session, enrollment = todays_session()
    url = code_url(session)
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert quote(url, safe="") in response.headers["Location"]
    login = client.post(
        f"/login?next={quote(url, safe='')}",
        data={"email": enrollment.user.email, "password": factories.PASSWORD},
    )
    assert login.headers["Location"] == url
    assert client.get(url).status_code == 200
    assert mark_of(session, enrollment).status == "present"


def test_trainer_sees_a_qr_code_page_that_renews_itself(client, db):
    session, _enrollment = todays_session()
    sign_in(client, session.cohort.lead_trainer)
    at_42_seconds = utcnow().replace(second=42, microsecond=0) + timedelta(minutes=1)
    with time_machine.travel(at_42_seconds, tick=False):
        response = client.get(f"/sessions/{session.id}/checkin-code")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<svg" in page and 'class="segno"' in page
    assert 'http-equiv="refresh" content="19"' in page
    assert 'data-seconds-left="18"' in page
    assert "https://" not in page and "<script>" not in page  # nothing from elsewhere, no inline script
    assert '<script src="/static/js/checkin-countdown.js">' in page
    assert session.cohort.checkin_secret, "the cohort gets its own check-in secret"
    assert response.headers["Cache-Control"] == "no-store"


def test_code_shown_on_the_page_checks_the_participant_in(client, db):
    session, enrollment = todays_session()
    sign_in(client, session.cohort.lead_trainer)
    client.get(f"/sessions/{session.id}/checkin-code")
    code = checkin.current_checkin_code(session, by=session.cohort.lead_trainer)
    sign_in(client, enrollment.user)
    assert client.get(f"/checkin/{session.id}/{code.token}").status_code == 200
    assert mark_of(session, enrollment).status == "present"


def test_participant_cannot_open_the_qr_page(client, db):
    session, enrollment = todays_session()
    sign_in(client, enrollment.user)
    assert client.get(f"/sessions/{session.id}/checkin-code").status_code == 403


def test_check_in_is_audited(client, db):
    from sqlalchemy import select

    from lms.core.models import AuditEvent

    session, enrollment = todays_session()
    sign_in(client, enrollment.user)
    client.get(code_url(session))
    assert db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.actor_id == enrollment.user_id)
    ).all() == ["attendance.checkin"]


def test_check_in_audit_names_the_session_and_the_enrollment(db):
    from sqlalchemy import select

    from lms.core.models import AuditEvent

    session, enrollment = todays_session()
    checkin.check_in(
        session.id, checkin.checkin_token(session, int(utcnow().timestamp()) // 60), by=enrollment.user
    )
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "attendance.checkin")).one()
    assert (event.actor_id, event.object_type, event.object_id) == (
        enrollment.user_id,
        "sessions",
        session.id,
    )
    assert event.details == {"enrollment_id": enrollment.id}


def test_check_in_keeps_the_note_on_an_absent_mark_it_replaces(db):
    session, enrollment = todays_session()
    attendance.mark_attendance(
        session,
        by=session.cohort.lead_trainer,
        statuses={enrollment.id: "absent"},
        notes={enrollment.id: "попередила про запізнення"},
    )
    token = checkin.checkin_token(session, int(utcnow().timestamp()) // 60)
    assert checkin.check_in(session.id, token, by=enrollment.user) == (session, True)
    row = mark_of(session, enrollment)
    assert (row.status, row.note, row.marked_by_id) == (
        "present",
        "попередила про запізнення",
        enrollment.user_id,
    )


def test_code_shown_is_the_one_for_the_given_moment_with_the_seconds_left(db):
    session, _enrollment = todays_session()
    trainer = session.cohort.lead_trainer
    moment = datetime(2026, 3, 2, 9, 15, 42, tzinfo=UTC)
    code = checkin.current_checkin_code(session, by=trainer, now=moment)
    assert code.token == checkin.checkin_token(session, int(moment.timestamp()) // 60)
    assert code.seconds_left == 18
    secret = session.cohort.checkin_secret
    assert len(secret) >= 40
    checkin.current_checkin_code(session, by=trainer, now=moment)
    assert session.cohort.checkin_secret == secret, "an existing secret is kept"


@pytest.mark.parametrize("status", ["draft", "closed", "cancelled"])
def test_no_code_is_shown_for_a_training_that_is_not_scheduled_or_running(db, status):
    session, _enrollment = todays_session(status=status)
    with pytest.raises(ValidationError):
        checkin.current_checkin_code(session, by=session.cohort.lead_trainer)


@pytest.mark.parametrize("status", ["waitlisted", "withdrawn"])
def test_waitlisted_or_withdrawn_person_cannot_check_in(db, status):
    session, enrollment = todays_session()
    enrollment.status = status
    db.session.flush()
    token = checkin.checkin_token(session, int(utcnow().timestamp()) // 60)
    with pytest.raises(checkin.CheckinRefused) as refused:
        checkin.check_in(session.id, token, by=enrollment.user)
    assert refused.value.reason == "not_enrolled"
    assert mark_of(session, enrollment) is None
