"""The embedded default under concurrent use: people saving at the same moment on SQLite wait
their turn (``BEGIN IMMEDIATE`` plus the busy timeout) instead of getting the 503 page."""

import http.client
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select
from werkzeug.serving import make_server

from lms import create_app
from lms.accounts.services import create_token
from lms.cohorts.models import Enrollment
from lms.core.models import AuditEvent
from lms.extensions import db
from tests import factories
from tests.conftest import app_config

WRITERS = 20


@pytest.fixture
def sqlite_server(tmp_path):
    """A threaded werkzeug server on a real SQLite file, as ``make run`` serves it."""
    application = create_app(app_config(f"sqlite:///{tmp_path / 'lms.sqlite3'}", tmp_path))
    with application.app_context():
        upgrade()
        factories.bind(db.session)
        coordinator = factories.UserFactory(roles=["admin"], email="admin@example.org")
        cohort = factories.CohortFactory(capacity=WRITERS)
        db.session.flush()
        _token, plain = create_token(coordinator, name="writers")
        db.session.commit()
        cohort_id = cohort.id
        db.session.remove()
    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield application, server.server_port, plain, cohort_id
    server.shutdown()
    with application.app_context():
        db.engine.dispose()


def _enrol(port: int, token: str, cohort_id: int, n: int) -> int:
    body = {"email": f"writer{n}@example.org", "full_name": f"Коваленко Олена {n}", "send_invitation": False}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(
            "POST",
            f"/api/v1/cohorts/{cohort_id}/enrollments",
            body=json.dumps(body),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        return connection.getresponse().status
    finally:
        connection.close()


def test_twenty_people_saving_at_once_on_sqlite_all_succeed_and_nothing_is_lost(sqlite_server):
    application, port, token, cohort_id = sqlite_server
    start = threading.Barrier(WRITERS)

    def writer(n: int) -> int:
        start.wait()  # all twenty requests leave together
        return _enrol(port, token, cohort_id, n)

    with ThreadPoolExecutor(WRITERS) as pool:
        statuses = list(pool.map(writer, range(WRITERS)))

    assert statuses == [201] * WRITERS
    with application.app_context():
        enrolled = db.session.scalar(
            select(func.count(Enrollment.id)).where(
                Enrollment.cohort_id == cohort_id, Enrollment.status == "enrolled"
            )
        )
        trail = db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "enrollment.enrol")
        )
    assert enrolled == WRITERS  # exactly the capacity: none lost, none waitlisted
    assert trail == WRITERS
