"""A finished training ready to close: sessions in the past, marks, post-test scores."""

from datetime import date, timedelta

from lms.assessments.paper import enter_scores
from lms.cohorts.models import Attendance
from tests import factories


def finished_cohort(*, scores=(90, 80, 50), attended=None, course=None, region_coordinator=None, **kwargs):
    """A two-day training that ended three days ago, with one enrolled person per score (None:
    no post-test). ``attended`` lists, per person, how many of the two sessions she attended
    (default both). Every person is marked at every session."""
    course = course or factories.CourseFactory()
    start = date.today() - timedelta(days=4)
    cohort = factories.CohortFactory(
        course=course,
        status="in_progress",
        start_date=start,
        end_date=start + timedelta(days=1),
        with_sessions=True,
        **kwargs,
    )
    admin = factories.UserFactory(roles=["admin"])
    enrollments = []
    for index, score in enumerate(scores):
        enrollment = factories.EnrollmentFactory(cohort=cohort)
        days = 2 if attended is None else attended[index]
        for number, session in enumerate(cohort.sessions):
            status = "present" if number < days else "absent"
            enrollment.attendance.append(Attendance(session=session, status=status, source="trainer"))
        if score is not None:
            enter_scores(enrollment, {"post": score}, by=admin)
        enrollments.append(enrollment)
    return cohort, enrollments
