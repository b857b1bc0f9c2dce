"""Submitting from two phones at the same moment scores one attempt, on PostgreSQL with real
concurrent transactions (committed data in a database of its own)."""

import threading

import pytest

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
