"""The completion rule at its edges: attendance at the minimum and just under, the post-test at
the pass mark and just under, what counts as a post-test, and every reason given."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.assessments import completion, delivery
from lms.assessments.models import Attempt
from lms.assessments.paper import enter_scores
from lms.cohorts.models import Attendance
from tests import factories
from tests.assessment_factories import question
from tests.certificate_fixtures import finished_cohort


def _course(minimum=75, mark=70, days=2):
    return factories.CourseFactory(days=days, min_attendance_percent=minimum, pass_mark_percent=mark)


def _person(attended_days: int, post: float | None, *, minimum=75, mark=70):
    """One person in a two-day training (two equal sessions), present on ``attended_days``."""
    course = _course(minimum, mark)
    cohort, (enrollment,) = finished_cohort(scores=(post,), course=course, attended=[attended_days])
    return cohort, enrollment


@pytest.mark.parametrize(("minimum", "days", "met"), [(50, 1, True), (51, 1, False), (100, 2, True)])
def test_attendance_exactly_at_the_minimum_meets_the_rule_and_below_does_not(db, minimum, days, met):
    """Two equal sessions: one is 50 %, the minimum itself when it is 50 and not when it is 51."""
    cohort, enrollment = _person(days, 90, minimum=minimum)
    assert len(cohort.sessions) == 2
    status = completion.completion_status(enrollment)
    assert status.attendance_percent == days * 50.0
    assert status.met is met
    assert status.reason_codes == ([] if met else ["attendance_below_minimum"])


@pytest.mark.parametrize(("score", "met"), [(70, True), (69.9, False), (100, True)])
def test_the_post_test_at_the_pass_mark_passes_and_just_below_does_not(db, score, met):
    _cohort, enrollment = _person(2, score)
    status = completion.completion_status(enrollment)
    assert status.post_percent == score and status.attendance_percent == 100.0
    assert status.met is met
    assert status.reason_codes == ([] if met else ["below_pass_mark"])


def test_every_reason_is_given_at_once_with_its_figures(db):
    _cohort, enrollment = _person(1, 40, minimum=80, mark=70)
    enrollment.status = "withdrawn"
    status = completion.completion_status(enrollment)
    assert status.met is False
    assert status.reason_codes == ["not_enrolled", "attendance_below_minimum", "below_pass_mark"]
    messages = dict(status.reasons)
    assert "50" in messages["attendance_below_minimum"] and "80" in messages["attendance_below_minimum"]
    assert "40" in messages["below_pass_mark"] and "70" in messages["below_pass_mark"]
    assert all(message for message in messages.values())


def test_no_post_test_is_its_own_reason(db):
    _cohort, enrollment = _person(2, None)
    status = completion.completion_status(enrollment)
    assert (status.met, status.post_percent, status.reason_codes) == (False, None, ["post_test_missing"])
    assert completion.post_score(enrollment) is None


def test_only_a_submitted_post_test_counts_not_the_pre_test_or_an_open_attempt(db):
    _cohort, enrollment = _person(2, None)
    admin = factories.UserFactory(roles=["admin"])
    enter_scores(enrollment, {"pre": 95}, by=admin)
    assert completion.post_score(enrollment) is None
    cohort = enrollment.cohort
    question(cohort.course, by=admin)
    cohort.status = "in_progress"
    cohort.end_date = cohort.start_date + timedelta(days=10)
    test = delivery.open_test(cohort, "post", by=admin)
    attempt = delivery.start_attempt(test, enrollment)
    attempt.score_percent = 100.0  # scored but not submitted
    assert completion.post_score(enrollment) is None
    assert completion.completion_status(enrollment).reason_codes == ["post_test_missing"]
    delivery.submit(attempt)
    assert completion.post_score(enrollment) == attempt.score_percent == 0
    assert completion.completion_status(enrollment).reason_codes == ["below_pass_mark"]


def test_a_whole_training_is_decided_in_one_call_person_by_person(db):
    cohort, enrollments = finished_cohort(scores=(90, 50, None), course=_course(mark=60, days=2))
    statuses = completion.completion_statuses(cohort, enrollments)
    assert [statuses[e.id].reason_codes for e in enrollments] == [
        [],
        ["below_pass_mark"],
        ["post_test_missing"],
    ]
    assert [statuses[e.id].post_percent for e in enrollments] == [90, 50, None]
    assert completion.post_scores([e.id for e in enrollments]) == {
        enrollments[0].id: 90,
        enrollments[1].id: 50,
    }
    assert set(completion.post_scores([enrollments[0].id])) == {enrollments[0].id}
    rows = select(Attendance).where(Attendance.enrollment_id == enrollments[0].id)
    assert len(db.session.scalars(rows).all()) == 2
    assert Attempt is not None
