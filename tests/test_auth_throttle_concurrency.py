"""Finding 2: simultaneous sign-in attempts on PostgreSQL, over real HTTP to a threaded server.

The check-and-count is one atomic statement, so of fifty attempts fired at once only the
limit reach a password check, and a correct password sent once the limit is used gets no token.
"""

import json
import threading
import time
import urllib.error
import urllib.request

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from werkzeug.serving import make_server

from lms import create_app
from lms.accounts import passwords, services
from lms.accounts.models import LoginThrottle
from lms.extensions import db
from tests import factories
from tests.conftest import app_config, drop_postgres_database, make_database_url

pytestmark = pytest.mark.postgres

ATTEMPTS = 50
# A deliberately slow hash, as in production: the race was between the count and the slow check.
SLOW_HASH = "pbkdf2:sha256:300000"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    instance = tmp_path_factory.mktemp("throttle")
    url = make_database_url("postgresql", instance, "throttle")
    application = create_app(
        app_config(
            url,
            instance,
            PASSWORD_HASH_METHOD=SLOW_HASH,
            SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 10, "max_overflow": ATTEMPTS + 10, "pool_timeout": 120},
        )
    )
    with application.app_context():
        upgrade()
    http = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield application, f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    with application.app_context():
        db.engine.dispose()
    drop_postgres_database(url)


def _person(application, email: str) -> None:
    with application.app_context():
        services.create_user(by=None, email=email, full_name="Олена Ткаченко", password=factories.PASSWORD)
        db.session.commit()
        db.session.remove()


def _ask_for_token(base: str, email: str, password: str) -> tuple[int, dict]:
    body = json.dumps({"email": email, "password": password}).encode()
    request = urllib.request.Request(  # noqa: S310 - our local server over http
        f"{base}/api/v1/auth/tokens", data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - our local server
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture(autouse=True)
def _fresh_counters(server):
    """Every test starts with no failures counted (they all come from 127.0.0.1)."""
    application, _base = server
    with application.app_context():
        db.session.execute(sa.delete(LoginThrottle))
        db.session.commit()
        db.session.remove()


@pytest.fixture
def password_checks(monkeypatch):
    """Counts every password hash comparison made by the server (it runs in this process)."""
    checks = []
    original = passwords.verify
    lock = threading.Lock()

    def counting(password_hash, password):
        with lock:
            checks.append(password)
        return original(password_hash, password)

    monkeypatch.setattr(passwords, "verify", counting)
    return checks


def _fire(base: str, email: str, passwords_to_send: list[str], late: dict[int, float] | None = None):
    """Send every attempt from its own thread, released together; ``late`` delays some."""
    results: list[tuple[int, dict] | None] = [None] * len(passwords_to_send)
    start = threading.Barrier(len(passwords_to_send))

    def attempt(index: int) -> None:
        start.wait()
        time.sleep((late or {}).get(index, 0))
        results[index] = _ask_for_token(base, email, passwords_to_send[index])

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(passwords_to_send))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return results


def test_fifty_simultaneous_wrong_passwords_reach_at_most_the_limit_of_checks(server, password_checks):
    application, base = server
    limit = application.config["LOGIN_THROTTLE_MAX_FAILURES"]
    _person(application, "concurrent@example.org")
    results = _fire(base, "concurrent@example.org", [f"guess number {i}" for i in range(ATTEMPTS)])
    statuses = sorted(status for status, _body in results)
    assert len(password_checks) == limit
    assert statuses.count(422) == limit
    assert statuses.count(429) == ATTEMPTS - statuses.count(422)
    # The right password afterwards is refused too, without a check.
    status, body = _ask_for_token(base, "concurrent@example.org", factories.PASSWORD)
    assert status == 429 and "token" not in body
    assert len(password_checks) <= limit


def test_a_correct_password_in_the_batch_beyond_the_limit_gets_no_token(server, password_checks):
    application, base = server
    limit = application.config["LOGIN_THROTTLE_MAX_FAILURES"]
    _person(application, "batch@example.org")
    sent = [f"wrong {i}" for i in range(ATTEMPTS - 1)] + [factories.PASSWORD]
    # The correct one leaves half a second after the others: by then they have taken every slot,
    # while not one of their slow password checks has finished.
    results = _fire(base, "batch@example.org", sent, late={ATTEMPTS - 1: 0.5})
    status, body = results[-1]
    assert status == 429 and "token" not in body
    assert len(password_checks) == limit
    assert sum(1 for status, _ in results if status == 201) == 0


def test_simultaneous_attempts_from_one_address_stop_at_the_address_limit(server, password_checks):
    """Many accounts guessed from one address at once: at most the per-address limit checked."""
    application, base = server
    per_address = application.config["LOGIN_THROTTLE_MAX_PER_IP"]
    emails = [f"spray{i}@example.org" for i in range(ATTEMPTS)]
    results: list[int | None] = [None] * ATTEMPTS
    start = threading.Barrier(ATTEMPTS)

    def attempt(index: int) -> None:
        start.wait()
        results[index] = _ask_for_token(base, emails[index], "Summer2026!")[0]

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert len(password_checks) == per_address
    assert results.count(422) == per_address
    assert results.count(429) == ATTEMPTS - results.count(422)


def test_an_expired_window_restarts_cleanly_under_concurrency(server, password_checks):
    """Counters from an old window are cleared and restarted while fifty attempts arrive: no
    deadlock between the clean-up and the counting, and again exactly the limit is checked."""
    from datetime import timedelta

    from lms.accounts import throttle
    from lms.core.db import utcnow

    application, base = server
    limit = application.config["LOGIN_THROTTLE_MAX_FAILURES"]
    _person(application, "returning@example.org")
    long_ago = utcnow() - timedelta(hours=3)
    with application.app_context():
        for name in (
            throttle.key("sign-in-account", "returning@example.org"),
            throttle.key("sign-in-address", "127.0.0.1"),
        ):
            db.session.add(LoginThrottle(key=name, window_start=long_ago, failures=1000))
        db.session.commit()
        db.session.remove()
    results = _fire(base, "returning@example.org", [f"guess {i}" for i in range(ATTEMPTS)])
    statuses = [status for status, _body in results]
    assert set(statuses) == {422, 429}
    assert len(password_checks) == limit == statuses.count(422)
