"""Submitting from two phones at the same moment scores one attempt, on PostgreSQL with real
concurrent transactions (committed data in a database of its own)."""

import threading
import time

import pytest
from sqlalchemy import text

from lms.assessments import delivery
from lms.assessments.models import Attempt, Response
from lms.extensions import db
from tests import factories
from tests.assessment_factories import question, running_cohort
from tests.conftest import app_on_its_own_database


@pytest.mark.postgres_only
def test_two_simultaneous_submits_score_one_attempt_on_postgresql(backend, tmp_path):
    with app_on_its_own_database(backend, tmp_path, "race") as application:
        with application.app_context():
            admin = factories.UserFactory(roles=["admin"])
            cohort, (enrollment,) = running_cohort(participants=1)
            item = question(cohort.course, by=admin)
            attempt = delivery.start_attempt(delivery.open_test(cohort, "post", by=admin), enrollment)
            delivery.save_answer(attempt, item.id, [c.id for c in item.current.choices if c.correct])
            db.session.commit()
            attempt_id = attempt.id
            db.session.remove()

        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def submit_from_a_phone():
            with application.app_context():
                mine = db.session.get(Attempt, attempt_id)
                barrier.wait()
                outcomes.append(delivery.submit(mine))
                db.session.commit()
                db.session.remove()

        threads = [threading.Thread(target=submit_from_a_phone) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        assert sorted(outcomes) == ["already", "submitted"]
        with application.app_context():
            assert db.session.query(Attempt).count() == 1
            scored = db.session.get(Attempt, attempt_id)
            assert scored.score_percent == 100.0
            assert db.session.query(Response).count() == 1
            db.session.remove()


def _two_questions_one_answered(application):
    """A participant's open post-test of two questions, the first answered right, committed."""
    with application.app_context():
        admin = factories.UserFactory(roles=["admin"])
        cohort, (enrollment,) = running_cohort(participants=1)
        first, second = question(cohort.course, by=admin), question(cohort.course, by=admin)
        attempt = delivery.start_attempt(delivery.open_test(cohort, "post", by=admin), enrollment)
        delivery.save_answer(attempt, first.id, [c.id for c in first.current.choices if c.correct])
        db.session.commit()
        ids = attempt.id, enrollment.id, second.id, [c.id for c in second.current.choices if c.correct]
        db.session.remove()
    return ids


def _someone_waits_for_a_lock(seconds: float = 10.0) -> bool:
    """Whether another connection to this database is waiting for a lock, within ``seconds``."""
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
    )
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        db.session.execute(text("SELECT pg_stat_clear_snapshot()"))  # kept per transaction otherwise
        if db.session.execute(waiting).scalar_one():
            return True
        time.sleep(0.05)
    return False


def _second_waits_for_first(application, first, second) -> None:
    """Run ``first`` in a transaction left open, then ``second`` on another connection; check
    that ``second`` waits on a lock for ``first`` to commit (seen in ``pg_stat_activity``, not
    guessed from a thread's timing), then lets it finish."""

    def run_second():
        with application.app_context():
            try:
                second()
                db.session.commit()
            finally:
                db.session.remove()

    with application.app_context():
        first()
        waiting = threading.Thread(target=run_second)
        waiting.start()
        blocked = _someone_waits_for_a_lock()
        db.session.commit()
        db.session.remove()
    waiting.join(timeout=30)
    assert not waiting.is_alive(), "the second transaction finished once the first committed"
    assert blocked, "the second transaction waited on a lock for the first"


@pytest.mark.postgres_only
def test_a_submit_waits_for_the_answer_her_other_phone_is_saving_and_scores_it(backend, tmp_path):
    with app_on_its_own_database(backend, tmp_path, "save_then_submit") as application:
        attempt_id, enrollment_id, second_id, right = _two_questions_one_answered(application)
        outcomes: list[str] = []
        _second_waits_for_first(
            application,
            lambda: delivery.save_to(
                delivery.answer_target(enrollment_id, "post", second_id), second_id, right
            ),
            lambda: outcomes.append(delivery.submit_target(delivery.attempt_target(enrollment_id, "post"))),
        )
        assert outcomes == ["submitted"]
        with application.app_context():
            assert db.session.get(Attempt, attempt_id).score_percent == 100.0
            assert sorted(r.credit for r in db.session.query(Response)) == [1.0, 1.0]
            db.session.remove()


@pytest.mark.postgres_only
def test_an_answer_arriving_while_her_other_phone_submits_is_refused_not_kept_unscored(backend, tmp_path):
    with app_on_its_own_database(backend, tmp_path, "submit_then_save") as application:
        attempt_id, enrollment_id, second_id, right = _two_questions_one_answered(application)
        outcomes: list[str] = []

        def save_the_second_answer():
            try:
                delivery.save_to(delivery.answer_target(enrollment_id, "post", second_id), second_id, right)
                outcomes.append("saved")
            except delivery.TestUnavailable:
                outcomes.append("refused")

        _second_waits_for_first(
            application,
            lambda: outcomes.append(delivery.submit_target(delivery.attempt_target(enrollment_id, "post"))),
            save_the_second_answer,
        )
        assert outcomes == ["submitted", "refused"]
        with application.app_context():
            assert db.session.get(Attempt, attempt_id).score_percent == 50.0
            assert [r.credit for r in db.session.query(Response)] == [1.0]
            db.session.remove()


@pytest.mark.postgres_only
def test_closing_the_test_waits_for_an_answer_being_saved_and_scores_it(backend, tmp_path):
    with app_on_its_own_database(backend, tmp_path, "save_then_close") as application:
        attempt_id, enrollment_id, second_id, right = _two_questions_one_answered(application)

        def close_the_test():
            cohort = db.session.get(Attempt, attempt_id).test.cohort
            delivery.close_test(cohort, "post", by=cohort.lead_trainer)

        _second_waits_for_first(
            application,
            lambda: delivery.save_to(
                delivery.answer_target(enrollment_id, "post", second_id), second_id, right
            ),
            close_the_test,
        )
        with application.app_context():
            closed = db.session.get(Attempt, attempt_id)
            assert closed.submitted_at is not None and closed.score_percent == 100.0
            db.session.remove()
