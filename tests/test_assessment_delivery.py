"""Taking a test: opening, resuming, shuffling, the deadline, extra time, submitting once."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.assessments import delivery, room
from lms.assessments.completion import completion_status
from lms.assessments.models import Response
from lms.cohorts import attendance
from lms.core.db import utcnow
from lms.core.errors import Conflict, PermissionDenied, ValidationError
from tests import factories
from tests.assessment_factories import question, running_cohort


@pytest.fixture
def setup(db, admin):
    cohort, enrollments = running_cohort(participants=2)
    questions = [question(cohort.course, text=f"Питання {i}", correct=(i % 4,)) for i in range(6)]
    return cohort, enrollments, questions


def _correct(attempt, question_id):
    item = next(i for i in delivery.items_of(attempt) if i.question_id == question_id)
    return [c.id for c in item.version.choices if c.correct]


def test_a_test_that_is_not_open_cannot_be_started(setup):
    cohort, (enrollment, _other), _questions = setup
    test = delivery.test_of(cohort, "pre")
    with pytest.raises(delivery.TestUnavailable):
        delivery.start_attempt(test, enrollment)


def test_other_trainer_cannot_open_the_cohorts_test(setup):
    cohort, _enrollments, _questions = setup
    with pytest.raises(PermissionDenied):
        delivery.open_test(cohort, "pre", by=factories.UserFactory(roles=["trainer"]))


def test_reopening_resumes_the_same_attempt_in_the_same_order(setup, admin):
    cohort, (enrollment, _other), questions = setup
    test = delivery.open_test(cohort, "pre", by=admin)
    first = delivery.start_attempt(test, enrollment)
    order = [(i.question_id, [c.id for c in i.choice_order]) for i in delivery.items_of(first)]
    again = delivery.start_attempt(test, enrollment)
    assert again.id == first.id
    assert [(i.question_id, [c.id for c in i.choice_order]) for i in delivery.items_of(again)] == order
    assert sorted(first.item_ids) == sorted(q.id for q in questions)


def test_items_are_shuffled_per_participant(setup, admin):
    cohort, _enrollments, _questions = setup
    for _ in range(6):
        question(cohort.course)
    extra = [factories.EnrollmentFactory(cohort=cohort) for _ in range(3)]
    test = delivery.open_test(cohort, "pre", by=admin)
    orders = {tuple(delivery.start_attempt(test, e).item_ids) for e in extra}
    assert len(orders) > 1


def test_answers_are_saved_replaced_and_scored_once(setup, admin):
    cohort, (enrollment, _other), questions = setup
    attempt = delivery.start_attempt(delivery.open_test(cohort, "pre", by=admin), enrollment)
    first, second = questions[0].id, questions[1].id
    delivery.save_answer(attempt, first, _other_choices(attempt, first)[:1])
    delivery.save_answer(attempt, first, _correct(attempt, first))  # changed her mind
    delivery.save_answer(attempt, second, _correct(attempt, second))
    assert delivery.submit(attempt) == "submitted"
    assert attempt.score_percent == round(100 * 2 / 6, 1)
    assert delivery.submit(attempt) == "already"
    with pytest.raises(delivery.TestUnavailable):
        delivery.save_answer(attempt, first, [])


def test_a_second_close_of_the_same_attempt_writes_no_score_and_no_credit(setup, admin, db):
    """Two tabs read her attempt while it was open; the one that closes it second finds it
    closed and leaves the first one's score and credits alone."""
    cohort, (enrollment, _other), questions = setup
    attempt = delivery.start_attempt(delivery.open_test(cohort, "pre", by=admin), enrollment)
    delivery.save_answer(attempt, questions[0].id, _correct(attempt, questions[0].id))
    assert delivery.finish(attempt, now=utcnow()) is True
    response = db.session.scalars(select(Response).where(Response.attempt_id == attempt.id)).one()
    assert (attempt.score_percent, response.credit) == (round(100 / 6, 1), 1.0)
    attempt.score_percent, response.credit = 50.0, 0.5  # what a second scoring would overwrite
    db.session.flush()
    assert delivery.finish(attempt, now=utcnow()) is False
    db.session.refresh(response)
    assert (attempt.score_percent, response.credit) == (50.0, 0.5)


def _other_choices(attempt, question_id):
    item = next(i for i in delivery.items_of(attempt) if i.question_id == question_id)
    return [c.id for c in item.version.choices if not c.correct]


def test_a_choice_of_another_question_is_refused(setup, admin):
    cohort, (enrollment, _other), questions = setup
    attempt = delivery.start_attempt(delivery.open_test(cohort, "pre", by=admin), enrollment)
    with pytest.raises(ValidationError):
        delivery.save_answer(attempt, questions[0].id, _correct(attempt, questions[1].id))
    with pytest.raises(ValidationError):
        delivery.save_answer(attempt, 10**9, [])


def test_after_the_deadline_answers_are_refused_and_what_was_saved_counts(setup, admin):
    cohort, (enrollment, _other), questions = setup
    start = utcnow()
    test = delivery.open_test(cohort, "pre", by=admin, time_limit_minutes=10, now=start)
    attempt = delivery.start_attempt(test, enrollment, now=start)
    delivery.save_answer(attempt, questions[0].id, _correct(attempt, questions[0].id), now=start)
    late = start + timedelta(minutes=11)
    with pytest.raises(delivery.TestUnavailable):
        delivery.save_answer(attempt, questions[1].id, _correct(attempt, questions[1].id), now=late)
    assert delivery.submit(attempt, now=late) == "late"
    assert attempt.score_percent == round(100 / 6, 1)
    assert attempt.submitted_at == test.closes_at


def test_extra_time_for_one_person_lets_her_finish(setup, admin):
    cohort, (slow, other), questions = setup
    start = utcnow()
    test = delivery.open_test(cohort, "pre", by=admin, time_limit_minutes=10, now=start)
    attempt = delivery.start_attempt(test, slow, now=start)
    other_attempt = delivery.start_attempt(test, other, now=start)
    room.extend_time(attempt, 5, by=admin, now=start)
    later = start + timedelta(minutes=12)
    delivery.save_answer(attempt, questions[0].id, _correct(attempt, questions[0].id), now=later)
    assert delivery.submit(attempt, now=later) == "submitted"
    with pytest.raises(delivery.TestUnavailable):
        delivery.save_answer(other_attempt, questions[0].id, [], now=later)


def test_closing_scores_unsubmitted_attempts_on_what_was_saved(setup, admin):
    cohort, (enrollment, _other), questions = setup
    attempt = delivery.start_attempt(delivery.open_test(cohort, "post", by=admin), enrollment)
    delivery.save_answer(attempt, questions[2].id, _correct(attempt, questions[2].id))
    delivery.close_test(cohort, "post", by=admin)
    assert attempt.submitted_at is not None
    assert attempt.score_percent == round(100 / 6, 1)
    with pytest.raises(Conflict):
        delivery.close_test(cohort, "post", by=admin)


def test_completion_names_every_reason(setup, admin):
    cohort, (enrollment, _other), questions = setup
    status = completion_status(enrollment)
    assert not status.met
    assert set(status.reason_codes) == {"attendance_below_minimum", "post_test_missing"}


def test_completion_below_pass_mark_and_met(setup, admin):
    cohort, (weak, strong), questions = setup
    session = factories.TrainingSessionFactory(cohort=cohort, date=cohort.start_date)
    attendance.set_session_attendance(session, by=admin, present=[weak.id, strong.id])
    test = delivery.open_test(cohort, "post", by=admin)
    weak_attempt, strong_attempt = delivery.start_attempt(test, weak), delivery.start_attempt(test, strong)
    for q in questions:
        delivery.save_answer(strong_attempt, q.id, _correct(strong_attempt, q.id))
    delivery.save_answer(weak_attempt, questions[0].id, _correct(weak_attempt, questions[0].id))
    delivery.close_test(cohort, "post", by=admin)
    assert completion_status(strong).met
    weak_status = completion_status(weak)
    assert weak_status.reason_codes == ["below_pass_mark"]
