"""Session pages name their own date; the attendance warning counts only the sessions held."""

from datetime import date, timedelta

from flask_babel import force_locale, format_date

from lms.cohorts import attendance
from tests import factories
from tests.conftest import sign_in


def breadcrumb(page: str) -> str:
    start = page.index('aria-label="breadcrumb"')
    return page[start : page.index("</nav>", start)]


def training(start: date, days: int, people: int = 2):
    course = factories.CourseFactory(days=days, min_attendance_percent=75)
    cohort = factories.CohortFactory(
        course=course, start_date=start, status="in_progress", with_sessions=True
    )
    enrollments = [factories.EnrollmentFactory(cohort=cohort) for _ in range(people)]
    return cohort, enrollments


def long_date(day: date) -> str:
    with force_locale("uk"):
        return format_date(day, "long")


def test_the_breadcrumb_of_day_two_shows_day_twos_date(client, db):
    cohort, _people = training(date(2031, 3, 12), days=2)
    day_one, day_two = cohort.sessions
    sign_in(client, cohort.lead_trainer)
    trail = breadcrumb(client.get(f"/sessions/{day_two.id}/attendance").get_data(as_text=True))
    assert long_date(day_two.date) in trail and long_date(day_one.date) not in trail
    trail = breadcrumb(client.get(f"/sessions/{day_one.id}/attendance").get_data(as_text=True))
    assert long_date(day_one.date) in trail and long_date(day_two.date) not in trail
    edit = breadcrumb(client.get(f"/cohorts/{cohort.id}/sessions/{day_two.id}").get_data(as_text=True))
    assert long_date(day_two.date) in edit


def test_the_warning_counts_only_sessions_that_have_taken_place(client, db):
    today = attendance.local_today()
    cohort, (came, missed) = training(today - timedelta(days=1), days=4)
    yesterday = cohort.sessions[0]
    attendance.mark_attendance(
        yesterday, by=cohort.lead_trainer, statuses={came.id: "present", missed.id: "absent"}
    )
    summary = attendance.cohort_attendance_summary(cohort)
    assert [s.id for s in summary.held] == [yesterday.id]  # today's is not marked yet, two are ahead
    assert summary.below_rule == 1
    by_person = {p.enrollment.id: p for p in summary.participants}
    assert (by_person[came.id].percent_so_far, by_person[came.id].below_so_far) == (100.0, False)
    assert (by_person[missed.id].percent_so_far, by_person[missed.id].below_so_far) == (0.0, True)
    assert not by_person[came.id].meets_rule  # the final rule still needs the remaining days
    sign_in(client, cohort.lead_trainer)
    page = client.get(f"/cohorts/{cohort.id}/attendance").get_data(as_text=True)
    assert "Враховуючи 1 проведене заняття, 1 особа не досягає порогу відвідування." in page


def test_a_marked_session_today_counts_as_held(db):
    today = attendance.local_today()
    cohort, (person, other) = training(today, days=2)
    attendance.mark_attendance(
        cohort.sessions[0], by=cohort.lead_trainer, statuses={person.id: "present", other.id: "present"}
    )
    summary = attendance.cohort_attendance_summary(cohort)
    assert len(summary.held) == 1 and summary.below_rule == 0


def test_before_the_first_session_nobody_is_flagged(client, db):
    cohort, _people = training(attendance.local_today() + timedelta(days=3), days=2)
    summary = attendance.cohort_attendance_summary(cohort)
    assert summary.held == [] and summary.below_rule == 0
    sign_in(client, cohort.lead_trainer)
    page = client.get(f"/cohorts/{cohort.id}/attendance").get_data(as_text=True)
    assert "Ще не відбулося жодного заняття." in page and "не досягає" not in page
