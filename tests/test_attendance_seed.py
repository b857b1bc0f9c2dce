"""The demo attendance loader: realistic marks for closed and running trainings, idempotent."""

from datetime import timedelta

from sqlalchemy import func, select

from lms.cohorts import attendance
from lms.cohorts.models import Attendance
from seed import attendance as seed_attendance
from tests import factories


def cohort_with_people(status: str, start, days: int, people: int):
    course = factories.CourseFactory(days=days, min_attendance_percent=80)
    cohort = factories.CohortFactory(course=course, status=status, start_date=start, with_sessions=True)
    for _ in range(people):
        factories.EnrollmentFactory(cohort=cohort)
    factories.EnrollmentFactory(cohort=cohort, status="withdrawn")
    return cohort


def count_marks(db, *conditions) -> int:
    return db.session.scalar(select(func.count(Attendance.id)).where(*conditions))


def test_loader_does_nothing_without_closed_or_running_trainings(db):
    factories.CohortFactory(with_sessions=True)
    assert seed_attendance.load({}) == {}
    assert count_marks(db) == 0


def test_loader_marks_closed_trainings_with_one_or_two_people_below_the_rule(db):
    closed = cohort_with_people("closed", attendance.local_today() - timedelta(days=40), days=2, people=20)
    assert seed_attendance.load({}) == {"attendance_marks": 2 * 20}
    summary = attendance.cohort_attendance_summary(closed)
    assert 1 <= summary.below_rule <= 2
    statuses = [status for person in summary.participants for status in person.statuses]
    assert statuses.count("present") > 0.75 * len(statuses)
    assert count_marks(db, Attendance.marked_by_id == closed.lead_trainer_id) == 2 * 20
    assert set(db.session.scalars(select(Attendance.source).distinct())) <= {"trainer", "paper"}


def test_loader_marks_only_past_sessions_of_a_running_training(db):
    today = attendance.local_today()
    running = cohort_with_people("in_progress", today - timedelta(days=1), days=3, people=6)
    seed_attendance.load({})
    marked = {session.date: len(attendance.marks_by_enrollment(session)) for session in running.sessions}
    assert marked[today - timedelta(days=1)] == 6
    assert marked[today + timedelta(days=1)] == 0
    # Today's session may have its first self check-ins, never more than the enrolled.
    assert marked[today] <= 6


def test_loader_is_idempotent(db):
    today = attendance.local_today()
    cohort_with_people("closed", today - timedelta(days=40), days=3, people=8)
    cohort_with_people("in_progress", today - timedelta(days=1), days=2, people=5)
    first = seed_attendance.load({})
    second = seed_attendance.load({})
    assert first == second
    assert count_marks(db) == first["attendance_marks"]
