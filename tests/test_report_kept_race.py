"""The kept report figures under real concurrent transactions on PostgreSQL (committed data in a
database of its own): a write committed between a fill's read and its store leaves the stored
row stale, and two reports filling the same cohorts at once both succeed."""

import threading

import pytest
from sqlalchemy import select, update

from lms.cohorts.models import Enrollment
from lms.extensions import db
from lms.reports.figures import results_report
from lms.reports.filters import ReportFilters
from lms.reports.kept import cohorts as kept
from lms.reports.kept.models import CohortFigures, CohortStamp
from tests.conftest import app_on_its_own_database
from tests.report_fixtures import START, TODAY, build_programme


@pytest.fixture
def committed(backend, tmp_path):
    """An app on a database of its own holding the hand-computed programme, committed."""
    with app_on_its_own_database(backend, tmp_path, "kept_race") as application:
        with application.app_context():
            programme = build_programme()
            db.session.commit()
            ids = {
                "A": programme.cohorts["A"].id,
                "p2": programme.people["p2"].id,
                "region": programme.home.id,
            }
            db.session.remove()
        yield application, ids


def _filters(ids) -> ReportFilters:
    return ReportFilters(START, TODAY, (ids["region"],))


@pytest.mark.postgres_only
def test_a_write_committed_between_a_fills_read_and_store_leaves_the_row_stale(committed, monkeypatch):
    application, ids = committed
    store = kept._store

    def store_after_another_transaction_commits(rows):
        # Another connection withdraws p2 and commits after this fill read the cohort's rows.
        with db.engine.begin() as connection:
            connection.execute(
                update(Enrollment)
                .where(Enrollment.cohort_id == ids["A"], Enrollment.user_id == ids["p2"])
                .values(status="withdrawn")
            )
        store(rows)

    with application.app_context():
        monkeypatch.setattr(kept, "_store", store_after_another_transaction_commits)
        assert results_report(_filters(ids)).participants == 7  # as read, before the withdrawal
        db.session.commit()
        monkeypatch.undo()
        stored = db.session.get(CohortFigures, ids["A"]).version
        assert db.session.get(CohortStamp, ids["A"]).version == stored + 1
        db.session.remove()
    with application.app_context():
        assert results_report(_filters(ids)).participants == 6
        db.session.commit()
        assert (
            db.session.get(CohortFigures, ids["A"]).version == db.session.get(CohortStamp, ids["A"]).version
        )
        db.session.remove()


@pytest.mark.postgres_only
def test_two_reports_filling_the_same_cohorts_at_once_both_succeed(committed):
    application, ids = committed
    stored = threading.Event()
    reports, errors = [], []

    def first():
        with application.app_context():
            try:
                reports.append(results_report(_filters(ids)))
                stored.set()  # its rows are written and locked until it commits
                threading.Event().wait(0.5)
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
                stored.set()
            finally:
                db.session.remove()

    def second():
        stored.wait(30)
        with application.app_context():
            try:
                # Its upsert waits for the first's rows, then leaves them (same version).
                reports.append(results_report(_filters(ids)))
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    # The figures are not kept yet: both compute and store the same cohorts.
    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(reports) == 2 and reports[0] == reports[1]
    assert reports[0].participants == 7 and reports[0].people_trained == 5
    with application.app_context():
        assert db.session.scalar(
            select(CohortFigures.version).where(CohortFigures.cohort_id == ids["A"])
        ) == (db.session.get(CohortStamp, ids["A"]).version)
        db.session.remove()
