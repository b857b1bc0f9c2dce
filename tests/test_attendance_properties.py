"""Properties of attendance weighting, checked by Hypothesis: a person's share is the minutes of
the sessions attended over the minutes of all sessions, whatever their number, order or length."""

import math
from dataclasses import dataclass
from datetime import date, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from lms.cohorts import attendance
from lms.cohorts.models import TrainingSession
from lms.extensions import db as database
from tests import factories


@dataclass
class Planned:
    """What ``share_of_session_time`` reads of a session."""

    id: int
    date: date
    starts_at: time
    ends_at: time


@st.composite
def sessions(draw, max_size=8):
    count = draw(st.integers(0, max_size))
    planned = []
    for number in range(count):
        start = draw(st.integers(7 * 60, 20 * 60))
        end = draw(st.integers(start + 1, 21 * 60))
        planned.append(
            Planned(
                number + 1,
                date(2026, 4, 1) + timedelta(days=number),
                time(*divmod(start, 60)),
                time(*divmod(end, 60)),
            )
        )
    attended = draw(st.sets(st.sampled_from([s.id for s in planned]))) if planned else set()
    return planned, attended


def length(session) -> int:
    return (
        (session.ends_at.hour - session.starts_at.hour) * 60
        + session.ends_at.minute
        - session.starts_at.minute
    )


@given(sessions())
def test_share_is_attended_minutes_over_all_minutes(drawn):
    planned, attended = drawn
    share = attendance.share_of_session_time(planned, attended)
    total = sum(length(s) for s in planned)
    if total == 0:
        assert share == 0.0
    else:
        assert math.isclose(share, 100 * sum(length(s) for s in planned if s.id in attended) / total)
    assert 0.0 <= share <= 100.0


@given(sessions())
def test_share_does_not_depend_on_the_order_of_sessions(drawn):
    planned, attended = drawn
    assert attendance.share_of_session_time(list(reversed(planned)), attended) == (
        attendance.share_of_session_time(planned, attended)
    )


@given(sessions(), st.data())
def test_attending_one_more_session_never_lowers_the_share(drawn, data):
    planned, attended = drawn
    missed = [s.id for s in planned if s.id not in attended]
    if not missed:
        assert attendance.share_of_session_time(planned, attended) == (100.0 if planned else 0.0)
        return
    extra = data.draw(st.sampled_from(missed))
    before = attendance.share_of_session_time(planned, attended)
    after = attendance.share_of_session_time(planned, attended | {extra})
    assert after > before


def test_a_half_day_counts_half_a_full_day():
    full = Planned(100, date(2026, 5, 1), time(9), time(17))
    half = Planned(101, date(2026, 5, 2), time(9), time(13))
    assert attendance.share_of_session_time([full, half], {full.id}) == 2 * attendance.share_of_session_time(
        [full, half], {half.id}
    )
    assert attendance.share_of_session_time([full, half], {half.id}) == 100 * 4 / 12


@given(st.floats(0, 100, allow_nan=False), st.integers(0, 100))
def test_rule_is_met_from_the_minimum_up(percent, minimum):
    assert attendance.attendance_rule_met(percent, minimum) is (percent >= minimum)
    assert attendance.attendance_rule_met(float(minimum), minimum) is True


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    hours=st.lists(st.integers(1, 8), min_size=1, max_size=4),
    marks=st.lists(st.sampled_from(["present", "late", "absent", None]), min_size=4, max_size=4),
    minimum=st.integers(0, 100),
)
def test_summary_and_completion_rule_agree_for_any_marks(db, hours, marks, minimum):
    """The cohort summary (one query for everyone) and the completion rule (per person) give each
    person the same percent and the same verdict."""
    # Each example adds its own course and cohort; the test's transaction is rolled back after.
    course = factories.CourseFactory(days=len(hours), min_attendance_percent=minimum)
    cohort = factories.CohortFactory(
        course=course, status="in_progress", start_date=attendance.local_today() - timedelta(days=10)
    )
    for day, length_in_hours in enumerate(hours):
        factories.TrainingSessionFactory(
            cohort=cohort,
            date=cohort.start_date + timedelta(days=day),
            starts_at=time(8),
            ends_at=time(8 + length_in_hours),
        )
    person = factories.EnrollmentFactory(cohort=cohort)
    database.session.flush()
    for session, status in zip(
        database.session.scalars(select(TrainingSession).where(TrainingSession.cohort_id == cohort.id)),
        marks,
        strict=False,
    ):
        if status is not None:
            attendance.mark_attendance(session, by=cohort.lead_trainer, statuses={person.id: status})
    (line,) = attendance.cohort_attendance_summary(cohort).participants
    assert line.percent == attendance.attendance_percent(person)
    assert line.meets_rule is attendance.meets_attendance_rule(person)


def test_register_and_summary_number_people_from_one_and_order_sessions_by_day_and_hour(db):
    course = factories.CourseFactory(days=2)
    cohort = factories.CohortFactory(
        course=course, status="in_progress", start_date=attendance.local_today() - timedelta(days=3)
    )
    second_day = factories.TrainingSessionFactory(cohort=cohort, date=cohort.start_date + timedelta(days=1))
    afternoon = factories.TrainingSessionFactory(cohort=cohort, starts_at=time(14), ends_at=time(17))
    morning = factories.TrainingSessionFactory(cohort=cohort, starts_at=time(9), ends_at=time(12))
    names = ["Андрусенко Яна", "Бабенко Юлія"]
    for name in reversed(names):
        factories.EnrollmentFactory(cohort=cohort, user=factories.UserFactory(full_name=name))
    database.session.flush()
    register = attendance.session_register(morning)
    assert [(line.number, line.enrollment.user.full_name) for line in register] == [
        (1, names[0]),
        (2, names[1]),
    ]
    summary = attendance.cohort_attendance_summary(cohort)
    assert summary.cohort is cohort
    assert [s.id for s in summary.sessions] == [morning.id, afternoon.id, second_day.id]
    assert [(p.number, p.enrollment.user.full_name) for p in summary.participants] == [
        (1, names[0]),
        (2, names[1]),
    ]
