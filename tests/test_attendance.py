"""Marking attendance on the grid, the percentages the completion rule reads, and who may do it."""

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import selectinload

from lms.cohorts import attendance
from lms.cohorts.models import Attendance, Cohort
from lms.core.collation import sort_key
from lms.core.errors import ValidationError
from lms.core.models import AuditEvent
from tests import factories
from tests.conftest import sign_in


def training(*, days=2, start=None, status="in_progress", names=("Бондар Ольга", "Антоненко Іван")):
    """A cohort with one 09:00–17:00 session a day and the named people enrolled."""
    course = factories.CourseFactory(days=days)
    start = start or attendance.local_today()
    cohort = factories.CohortFactory(course=course, start_date=start, status=status, with_sessions=True)
    enrollments = [
        factories.EnrollmentFactory(cohort=cohort, user=factories.UserFactory(full_name=name))
        for name in names
    ]
    return cohort, enrollments


def marks(session) -> dict[int, tuple[str, str, str]]:
    rows = attendance.marks_by_enrollment(session)
    return {eid: (row.status, row.note, row.source) for eid, row in rows.items()}


def grid(client, session, **form):
    return client.post(f"/sessions/{session.id}/attendance", data=form)


def test_grid_lists_enrolled_people_numbered_by_name(client, db):
    cohort, (olha, ivan) = training(names=("Бондар Ольга", "Антоненко Іван"))
    waiting = factories.EnrollmentFactory(
        cohort=cohort, status="waitlisted", user=factories.UserFactory(full_name="Чекає Марія")
    )
    gone = factories.EnrollmentFactory(
        cohort=cohort, status="withdrawn", user=factories.UserFactory(full_name="Пішов Петро")
    )
    sign_in(client, cohort.lead_trainer)
    page = client.get(f"/sessions/{cohort.sessions[0].id}/attendance").get_data(as_text=True)
    assert page.index("Антоненко Іван") < page.index("Бондар Ольга")
    assert f'name="status-{ivan.id}"' in page and f'name="status-{olha.id}"' in page
    assert waiting.user.full_name not in page and gone.user.full_name not in page


def test_ukrainian_names_sort_in_alphabet_order():
    names = [
        "Яковенко",
        "Іваненко",
        "Гнатюк",
        "Ґудзь",
        "Євтушенко",
        "Бондаренко Ірина",
        "Бондар Ольга",
        "Ющенко",
        "Їжак",
        "Smith",
    ]
    assert sorted(names, key=lambda name: sort_key(name, "uk")) == [
        "Бондар Ольга", "Бондаренко Ірина", "Гнатюк", "Ґудзь", "Євтушенко", "Іваненко", "Їжак", "Ющенко", "Яковенко", "Smith",
    ]  # fmt: skip


def test_unmarked_people_have_no_row_until_saved(client, db):
    cohort, _ = training()
    sign_in(client, cohort.lead_trainer)
    assert client.get(f"/sessions/{cohort.sessions[0].id}/attendance").status_code == 200
    assert db.session.scalar(select(Attendance.id)) is None


def test_saving_the_grid_records_marks_and_updates_them_without_duplicates(client, db):
    cohort, (olha, ivan) = training()
    session = cohort.sessions[0]
    trainer = cohort.lead_trainer
    sign_in(client, trainer)
    response = grid(
        client,
        session,
        enrollment=[olha.id, ivan.id],
        **{f"status-{olha.id}": "present", f"status-{ivan.id}": "late", f"note-{ivan.id}": "bus was late"},
    )
    assert response.status_code == 302
    assert marks(session) == {
        olha.id: ("present", "", "trainer"),
        ivan.id: ("late", "bus was late", "trainer"),
    }
    assert {row.marked_by_id for row in attendance.marks_by_enrollment(session).values()} == {trainer.id}

    grid(
        client,
        session,
        enrollment=[olha.id, ivan.id],
        **{f"status-{olha.id}": "absent", f"status-{ivan.id}": "late"},
    )
    assert marks(session) == {olha.id: ("absent", "", "trainer"), ivan.id: ("late", "", "trainer")}
    assert len(db.session.scalars(select(Attendance)).all()) == 2


def test_person_left_unmarked_on_the_grid_stays_unmarked(client, db):
    cohort, (olha, ivan) = training()
    session = cohort.sessions[0]
    sign_in(client, cohort.lead_trainer)
    grid(client, session, enrollment=[olha.id, ivan.id], **{f"status-{olha.id}": "present"})
    assert set(marks(session)) == {olha.id}


def test_saving_with_nobody_chosen_asks_for_a_choice(client, db):
    cohort, (olha, ivan) = training()
    sign_in(client, cohort.lead_trainer)
    response = grid(client, cohort.sessions[0], enrollment=[olha.id, ivan.id])
    assert response.status_code == 422
    assert marks(cohort.sessions[0]) == {}
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "attendance.mark")) is None


def test_saving_is_audited_with_counts(client, db):
    cohort, (olha, ivan) = training()
    session = cohort.sessions[0]
    sign_in(client, cohort.lead_trainer)
    grid(
        client,
        session,
        enrollment=[olha.id, ivan.id],
        **{f"status-{olha.id}": "present", f"status-{ivan.id}": "absent"},
    )
    event_ = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "attendance.mark")).one()
    assert (event_.object_type, event_.object_id) == ("sessions", session.id)
    assert event_.details == {"source": "trainer", "present": 1, "late": 0, "absent": 1}


def test_mark_all_present_without_javascript_marks_everyone_listed(client, db):
    cohort, (olha, ivan) = training()
    session = cohort.sessions[0]
    sign_in(client, cohort.lead_trainer)
    response = grid(
        client,
        session,
        action="all_present",
        enrollment=[olha.id, ivan.id],
        **{f"status-{ivan.id}": "absent"},
    )
    assert response.status_code == 302
    assert {status for status, _note, _source in marks(session).values()} == {"present"}
    assert set(marks(session)) == {olha.id, ivan.id}


def test_grid_offers_the_mark_all_present_button_and_the_paper_tick(client, db):
    cohort, _ = training()
    sign_in(client, cohort.lead_trainer)
    page = client.get(f"/sessions/{cohort.sessions[0].id}/attendance").get_data(as_text=True)
    assert 'value="all_present"' in page and 'name="paper"' in page


def test_marks_entered_from_the_paper_sheet_record_their_source(client, db):
    cohort, (olha, ivan) = training(start=attendance.local_today() - timedelta(days=10), status="closed")
    session = cohort.sessions[1]
    sign_in(client, cohort.lead_trainer)
    grid(
        client,
        session,
        paper="1",
        enrollment=[olha.id, ivan.id],
        **{f"status-{olha.id}": "present", f"status-{ivan.id}": "absent"},
    )
    assert {source for _status, _note, source in marks(session).values()} == {"paper"}


def test_resaving_an_unchanged_mark_keeps_how_it_was_made(client, db):
    cohort, (olha, ivan) = training()
    session = cohort.sessions[0]
    attendance.mark_attendance(session, by=cohort.lead_trainer, statuses={olha.id: "present"}, source="api")
    sign_in(client, cohort.lead_trainer)
    grid(
        client,
        session,
        enrollment=[olha.id, ivan.id],
        **{f"status-{olha.id}": "present", f"status-{ivan.id}": "late"},
    )
    assert marks(session) == {olha.id: ("present", "", "api"), ivan.id: ("late", "", "trainer")}


def test_grid_refuses_people_who_are_not_enrolled(client, db):
    cohort, (olha, _ivan) = training()
    withdrawn = factories.EnrollmentFactory(cohort=cohort, status="withdrawn")
    sign_in(client, cohort.lead_trainer)
    session = cohort.sessions[0]
    response = grid(
        client, session, enrollment=[olha.id, withdrawn.id], **{f"status-{withdrawn.id}": "present"}
    )
    assert response.status_code == 422
    assert marks(session) == {}


def test_grid_passes_over_enrollment_values_that_are_not_numbers(client, db):
    cohort, (olha, _ivan) = training()
    sign_in(client, cohort.lead_trainer)
    session = cohort.sessions[0]
    # "²" is a digit to str.isdigit() but not a number int() reads.
    response = grid(client, session, enrollment=["²", olha.id], **{f"status-{olha.id}": "present"})
    assert response.status_code == 302
    assert marks(session) == {olha.id: ("present", "", "trainer")}


def test_present_cannot_be_marked_for_a_session_days_ahead_but_absent_can(client, db):
    cohort, (olha, ivan) = training(start=attendance.local_today() + timedelta(days=3), status="scheduled")
    session = cohort.sessions[0]
    sign_in(client, cohort.lead_trainer)
    with client.session_transaction() as browser:
        browser["lang"] = "en"
    response = grid(client, session, enrollment=[olha.id], **{f"status-{olha.id}": "present"})
    assert response.status_code == 422
    assert "from the day before" in response.get_data(as_text=True)
    assert marks(session) == {}
    assert grid(client, session, enrollment=[ivan.id], **{f"status-{ivan.id}": "absent"}).status_code == 302
    assert marks(session) == {ivan.id: ("absent", "", "trainer")}


def test_tomorrows_session_can_already_be_marked(db):
    cohort, (olha, _ivan) = training(start=attendance.local_today() + timedelta(days=1), status="scheduled")
    attendance.mark_attendance(cohort.sessions[0], by=cohort.lead_trainer, statuses={olha.id: "present"})
    assert marks(cohort.sessions[0])[olha.id][0] == "present"


def test_attendance_cannot_be_marked_for_a_cancelled_training(client, db):
    cohort, (olha, _ivan) = training(status="cancelled")
    sign_in(client, cohort.lead_trainer)
    response = grid(client, cohort.sessions[0], enrollment=[olha.id], **{f"status-{olha.id}": "absent"})
    assert response.status_code == 422
    assert marks(cohort.sessions[0]) == {}


def test_trainer_of_another_cohort_gets_not_found(client, db):
    cohort, _ = training()
    other_trainer = factories.UserFactory(roles=["trainer"])
    sign_in(client, other_trainer)
    session = cohort.sessions[0]
    assert client.get(f"/sessions/{session.id}/attendance").status_code == 404
    assert grid(client, session, action="all_present").status_code == 404
    assert client.get(f"/cohorts/{cohort.id}/attendance").status_code == 404
    assert client.get(f"/sessions/{session.id}/checkin-code").status_code == 404


def test_participant_cannot_mark_attendance(client, db):
    cohort, (olha, ivan) = training()
    sign_in(client, olha.user)
    session = cohort.sessions[0]
    assert client.get(f"/sessions/{session.id}/attendance").status_code == 403
    response = grid(client, session, enrollment=[olha.id, ivan.id], action="all_present")
    assert response.status_code == 403
    assert marks(session) == {}


def test_coordinator_of_the_region_and_a_co_trainer_may_mark(client, db):
    cohort, (olha, _ivan) = training()
    coordinator = factories.UserFactory(roles=["coordinator"], regions=[cohort.district.region])
    co_trainer = factories.UserFactory(roles=["trainer"])
    cohort.co_trainers.append(co_trainer)
    for person in (coordinator, co_trainer):
        sign_in(client, person)
        assert client.get(f"/sessions/{cohort.sessions[0].id}/attendance").status_code == 200


def test_attendance_percent_weights_sessions_by_duration(db):
    cohort, (olha, ivan) = training(days=1, names=("Ольга", "Іван"))
    full_day = cohort.sessions[0]
    half_day = factories.TrainingSessionFactory(
        cohort=cohort, date=full_day.date, starts_at=time(18), ends_at=time(22)
    )
    trainer = cohort.lead_trainer
    attendance.mark_attendance(full_day, by=trainer, statuses={olha.id: "present", ivan.id: "absent"})
    attendance.mark_attendance(half_day, by=trainer, statuses={olha.id: "absent", ivan.id: "late"})
    assert attendance.attendance_percent(olha) == pytest.approx(100 * 8 / 12)
    assert attendance.attendance_percent(ivan) == pytest.approx(100 * 4 / 12)


def test_attendance_percent_is_zero_without_sessions(db):
    cohort = factories.CohortFactory()
    enrollment = factories.EnrollmentFactory(cohort=cohort)
    assert attendance.attendance_percent(enrollment) == 0.0
    assert attendance.meets_attendance_rule(enrollment) is (cohort.course.min_attendance_percent == 0)


def test_attendance_rule_is_met_at_the_minimum_and_not_below(db):
    course = factories.CourseFactory(days=5, min_attendance_percent=80)
    cohort = factories.CohortFactory(
        course=course, start_date=attendance.local_today() - timedelta(days=6), with_sessions=True
    )
    four_days, three_days = (factories.EnrollmentFactory(cohort=cohort) for _ in range(2))
    for day, session in enumerate(cohort.sessions):
        attendance.mark_attendance(
            session,
            by=cohort.lead_trainer,
            statuses={
                four_days.id: "present" if day < 4 else "absent",
                three_days.id: "late" if day < 3 else "absent",
            },
        )
    assert attendance.attendance_percent(four_days) == 80.0
    assert attendance.meets_attendance_rule(four_days) is True
    assert attendance.meets_attendance_rule(three_days) is False


def test_cohort_summary_uses_the_same_number_of_queries_for_any_size(db, app):
    def queries_for(people: int) -> int:
        start = attendance.local_today() - timedelta(days=5)
        cohort, enrollments = training(days=3, start=start, names=[f"Людина {n}" for n in range(people)])
        for session in cohort.sessions:
            attendance.mark_attendance(
                session, by=cohort.lead_trainer, statuses={e.id: "present" for e in enrollments}
            )
        db.session.expire_all()
        cohort = db.session.get(type(cohort), cohort.id)
        count = 0

        def counter(*args, **kwargs):
            nonlocal count
            count += 1

        engine = db.session.get_bind().engine
        event.listen(engine, "before_cursor_execute", counter)
        try:
            summary = attendance.cohort_attendance_summary(cohort)
            assert [p.percent for p in summary.participants] == [100.0] * people
            assert all(p.enrollment.user.full_name for p in summary.participants)
        finally:
            event.remove(engine, "before_cursor_execute", counter)
        return count

    assert queries_for(2) == queries_for(12)


def test_cohort_attendance_page_shows_each_persons_percent_and_rule(client, db):
    cohort, (olha, ivan) = training(days=2)
    for session in cohort.sessions:
        attendance.mark_attendance(
            session, by=cohort.lead_trainer, statuses={olha.id: "present", ivan.id: "absent"}
        )
    attendance.mark_attendance(cohort.sessions[0], by=cohort.lead_trainer, statuses={ivan.id: "late"})
    sign_in(client, cohort.lead_trainer)
    response = client.get(f"/cohorts/{cohort.id}/attendance")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "100%" in page and "50%" in page
    summary = attendance.cohort_attendance_summary(cohort)
    assert [(p.enrollment.id, p.meets_rule) for p in summary.participants] == [
        (ivan.id, False),
        (olha.id, True),
    ]
    assert [(t.attended, t.late, t.absent, t.enrolled) for t in summary.tallies] == [
        (2, 1, 0, 2),
        (1, 0, 1, 2),
    ]


def test_panel_shows_marked_counts_and_actions_for_the_trainer(app, client, db):
    cohort, (olha, ivan) = training(days=2)
    attendance.mark_attendance(
        cohort.sessions[0], by=cohort.lead_trainer, statuses={olha.id: "present", ivan.id: "absent"}
    )
    sign_in(client, cohort.lead_trainer)
    with app.test_request_context():
        from flask_login import login_user

        login_user(cohort.lead_trainer)
        html = app.jinja_env.get_template("cohorts/_attendance_panel.html").render(
            cohort=cohort, **_context(app)
        )
    assert "1 / 2" in html
    assert f"/sessions/{cohort.sessions[0].id}/attendance" in html
    assert f"/sessions/{cohort.sessions[0].id}/checkin-code" in html, "today's session offers the QR code"
    assert f"/sessions/{cohort.sessions[1].id}/checkin-code" not in html, "tomorrow's does not yet"
    assert f"/cohorts/{cohort.id}/kit.pdf" in html


def test_panel_is_empty_for_a_participant(app, db):
    cohort, (olha, _ivan) = training()
    with app.test_request_context():
        from flask_login import login_user

        from lms.accounts.services import signed_in_person
        from lms.cohorts.lookup import get_cohort

        # Loaded as a request loads them: the person by the user loader, the cohort by the page.
        login_user(signed_in_person(olha.user.id))
        html = app.jinja_env.get_template("cohorts/_attendance_panel.html").render(
            cohort=get_cohort(cohort.id), **_context(app)
        )
    assert html.strip() == ""


def _context(app) -> dict:
    context: dict = {}
    app.update_template_context(context)
    return context


def test_grid_form_carries_a_csrf_token(client, db, csrf_enabled):
    cohort, (olha, _ivan) = training()
    session = cohort.sessions[0]
    sign_in(client, cohort.lead_trainer)
    assert grid(client, session, enrollment=[olha.id], **{f"status-{olha.id}": "present"}).status_code == 400
    page = client.get(f"/sessions/{session.id}/attendance").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = grid(
        client, session, csrf_token=token, enrollment=[olha.id], **{f"status-{olha.id}": "present"}
    )
    assert response.status_code == 302
    assert marks(session) == {olha.id: ("present", "", "trainer")}


def test_a_participant_of_the_training_is_refused_its_attendance_summary_with_403(client, db):
    cohort, (olha, _ivan) = training()
    sign_in(client, olha.user)
    assert client.get(f"/cohorts/{cohort.id}/attendance").status_code == 403
    sign_in(client, cohort.lead_trainer)
    assert client.get(f"/cohorts/{cohort.id}/attendance").status_code == 200


@pytest.mark.parametrize("field", ["present", "late", "notes"])
def test_the_whole_register_names_the_field_listing_someone_not_enrolled(db, field):
    cohort, (olha, _ivan) = training()
    stranger = factories.EnrollmentFactory()  # enrolled in another training
    given = {"present": [olha.id], "late": [], "notes": {}}
    given[field] = {stranger.id: "Прийшла з колегою"} if field == "notes" else [stranger.id]
    with pytest.raises(ValidationError) as refused:
        attendance.set_session_attendance(cohort.sessions[0], by=cohort.lead_trainer, **given)
    assert set(refused.value.fields) == {field}
    assert str(stranger.id) in str(refused.value.fields[field][0])


def test_the_whole_register_of_a_training_with_nobody_enrolled_counts_nobody(db):
    cohort, _people = training(names=())
    counts = attendance.set_session_attendance(cohort.sessions[0], by=cohort.lead_trainer, present=[])
    assert counts == {"present": 0, "late": 0, "absent": 0}


def test_the_whole_register_judges_the_marking_window_at_the_time_given(db):
    """ "Present" three days ahead is refused today, and accepted when the time given is the
    session's day (the register passes its ``now`` on to the marking window)."""
    cohort, (olha, _ivan) = training(start=attendance.local_today() + timedelta(days=3), status="scheduled")
    session = cohort.sessions[0]
    with pytest.raises(ValidationError):
        attendance.set_session_attendance(session, by=cohort.lead_trainer, present=[olha.id])
    on_the_day = datetime.now(UTC) + timedelta(days=3)
    counts = attendance.set_session_attendance(
        session, by=cohort.lead_trainer, present=[olha.id], now=on_the_day
    )
    assert counts["present"] == 1 and counts["absent"] == 1


def test_a_session_without_a_register_counts_neither_way_for_the_completion_rule(db):
    cohort, (olha, ivan) = training(days=2, start=attendance.local_today() - timedelta(days=5))
    kept, not_kept = cohort.sessions
    attendance.mark_attendance(kept, by=cohort.lead_trainer, statuses={olha.id: "present", ivan.id: "absent"})
    not_kept.attendance_not_taken = True
    db.session.flush()
    assert attendance.attendance_percents(cohort.id, [olha.id, ivan.id]) == {olha.id: 100.0, ivan.id: 0.0}
    assert attendance.meets_attendance_rule(olha) is True


def test_the_summary_reads_the_sessions_once_and_not_again_when_the_page_loaded_them(db):
    cohort, (olha, _ivan) = training(days=2)
    engine = db.session.get_bind().engine

    def statements(load_sessions: bool) -> int:
        db.session.expire_all()
        options = [selectinload(Cohort.sessions)] if load_sessions else []
        found = db.session.scalars(select(Cohort).where(Cohort.id == cohort.id).options(*options)).one()
        found.course  # noqa: B018 - loaded before counting, as the page does
        count = 0

        def counter(*args, **kwargs):
            nonlocal count
            count += 1

        event.listen(engine, "before_cursor_execute", counter)
        try:
            summary = attendance.cohort_attendance_summary(found)
        finally:
            event.remove(engine, "before_cursor_execute", counter)
        assert [s.id for s in summary.sessions] == [s.id for s in cohort.sessions]
        return count

    assert statements(load_sessions=True) == statements(load_sessions=False) - 1


def test_the_summary_and_the_completion_rule_agree_when_a_session_kept_no_register(db):
    """A session recorded as "attendance not taken" counts neither way in the completion rule;
    the summary used to count it as missed (50 % and "below the rule" for someone the
    certificate run finds at 100 %)."""
    cohort, (olha, ivan) = training(days=2, start=attendance.local_today() - timedelta(days=5))
    kept, not_kept = cohort.sessions
    attendance.mark_attendance(kept, by=cohort.lead_trainer, statuses={olha.id: "present", ivan.id: "absent"})
    not_kept.attendance_not_taken = True
    db.session.flush()
    summary = attendance.cohort_attendance_summary(cohort)
    rows = {
        p.enrollment.id: (p.percent, p.meets_rule, p.percent_so_far, p.below_so_far)
        for p in summary.participants
    }
    assert rows == {olha.id: (100.0, True, 100.0, False), ivan.id: (0.0, False, 0.0, True)}
    assert [p.meets_rule for p in summary.participants] == [
        attendance.meets_attendance_rule(p.enrollment) for p in summary.participants
    ]
    assert len(summary.sessions) == 2  # the grid still shows both days


def test_a_note_of_255_characters_is_kept_and_one_of_256_refused(db):
    cohort, (olha, ivan) = training()
    session = cohort.sessions[0]
    attendance.mark_attendance(
        session, by=cohort.lead_trainer, statuses={olha.id: "late"}, notes={olha.id: "н" * 255}
    )
    assert marks(session)[olha.id][:2] == ("late", "н" * 255)
    with pytest.raises(ValidationError) as refused:
        attendance.mark_attendance(
            session, by=cohort.lead_trainer, statuses={ivan.id: "present"}, notes={ivan.id: "н" * 256}
        )
    assert set(refused.value.fields) == {f"note-{ivan.id}"}


def test_the_early_warning_counts_only_sessions_held_so_far(db):
    """Yesterday was marked; today's session is not marked yet and is not "held": someone
    present yesterday is not flagged, someone absent is, whatever the whole training's share."""
    cohort, (olha, ivan) = training(days=3, start=attendance.local_today() - timedelta(days=1))
    yesterday, today, _tomorrow = cohort.sessions
    attendance.mark_attendance(
        yesterday, by=cohort.lead_trainer, statuses={olha.id: "present", ivan.id: "absent"}
    )
    summary = attendance.cohort_attendance_summary(cohort)
    assert [s.id for s in summary.held] == [yesterday.id]
    rows = {p.enrollment.id: p for p in summary.participants}
    assert (rows[olha.id].percent_so_far, rows[olha.id].below_so_far, rows[olha.id].meets_rule) == (
        100.0,
        False,
        False,
    )
    assert (rows[ivan.id].percent_so_far, rows[ivan.id].below_so_far) == (0.0, True)
    assert summary.below_rule == 1
    # Marking today's session makes it held even before the day is over.
    attendance.mark_attendance(
        today, by=cohort.lead_trainer, statuses={olha.id: "present", ivan.id: "present"}
    )
    summary = attendance.cohort_attendance_summary(cohort)
    assert [s.id for s in summary.held] == [yesterday.id, today.id]
    rows = {p.enrollment.id: p for p in summary.participants}
    assert (rows[ivan.id].percent_so_far, rows[ivan.id].below_so_far) == (50.0, True)


def test_before_the_first_session_nobody_is_flagged(db):
    cohort, (olha, ivan) = training(
        days=2, start=attendance.local_today() + timedelta(days=2), status="scheduled"
    )
    summary = attendance.cohort_attendance_summary(cohort)
    assert summary.held == [] and summary.below_rule == 0
    assert {(p.percent_so_far, p.below_so_far) for p in summary.participants} == {(None, False)}


def audit_entries(db, action):
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    ).all()


def test_a_mark_changed_after_closing_is_audited_with_who_was_changed_from_what_to_what(db):
    cohort, (olha, ivan) = training(start=attendance.local_today() - timedelta(days=10), status="closed")
    session, lead = cohort.sessions[1], cohort.lead_trainer
    attendance.mark_attendance(session, by=lead, statuses={olha.id: "present", ivan.id: "absent"})
    attendance.mark_attendance(session, by=lead, statuses={olha.id: "present", ivan.id: "late"})
    attendance.mark_attendance(session, by=lead, statuses={olha.id: "present", ivan.id: "late"})
    entries = audit_entries(db, "attendance.change_after_close")
    assert [(e.actor_id, e.object_type, e.object_id) for e in entries] == [
        (lead.id, "sessions", session.id)
    ] * 2
    assert [e.details for e in entries] == [
        {
            "cohort_id": cohort.id,
            "before": {str(olha.id): None, str(ivan.id): None},
            "after": {str(olha.id): "present", str(ivan.id): "absent"},
        },
        {"cohort_id": cohort.id, "before": {str(ivan.id): "absent"}, "after": {str(ivan.id): "late"}},
    ]
    assert [e.actor_id for e in audit_entries(db, "attendance.mark")] == [lead.id] * 3


def test_marks_of_a_training_not_yet_closed_are_not_audited_as_changes_after_closing(db):
    cohort, (olha, ivan) = training()
    session = cohort.sessions[0]
    attendance.mark_attendance(session, by=cohort.lead_trainer, statuses={olha.id: "present"})
    attendance.mark_attendance(session, by=cohort.lead_trainer, statuses={olha.id: "absent", ivan.id: "late"})
    assert audit_entries(db, "attendance.change_after_close") == []


def test_marking_someone_not_enrolled_or_a_note_without_a_mark_is_refused_on_its_field(db):
    cohort, (olha, ivan) = training()
    session = cohort.sessions[0]
    stranger = factories.EnrollmentFactory()
    with pytest.raises(ValidationError) as refused:
        attendance.mark_attendance(session, by=cohort.lead_trainer, statuses={stranger.id: "present"})
    assert set(refused.value.fields) == {"present"}
    with pytest.raises(ValidationError) as refused:
        attendance.mark_attendance(
            session, by=cohort.lead_trainer, statuses={olha.id: "present"}, notes={ivan.id: "запізниться"}
        )
    assert set(refused.value.fields) == {f"note-{ivan.id}"}
    assert marks(session) == {}
