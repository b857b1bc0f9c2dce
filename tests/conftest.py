"""Test fixtures: one database per backend for the session, rolled back after each test.

Every test that uses ``app`` runs on SQLite and on PostgreSQL (when reachable; required when
``LMS_REQUIRE_SERVICES=1``). Both databases are built by the real migrations.
"""

import os
import secrets
import shutil
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session as FlaskSession

from lms import create_app
from lms.core.db import utcnow
from lms.extensions import db as _db
from tests import factories
from tests.services import postgres_url, unavailable

# Fixtures of the crash tests (workers, a private Redis), shared by every test module that needs them.
pytest_plugins = ["tests.fault_fixtures"]
# Made once per process: two runs on one machine (a developer and CI, xdist workers) never share
# a database name, so each creates and drops only its own (a pid alone can be reused).
_RUN_TOKEN = secrets.token_hex(4)


def _worker_suffix() -> str:
    return f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}_{_RUN_TOKEN}"


def drop_postgres_database(url: str) -> None:
    parsed = sa.engine.make_url(url)
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


def _fresh_postgres_database(base_url: str, name: str) -> str:
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        # No DROP first: the name is this run's own, and a clash must fail, not wipe another run.
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return sa.engine.make_url(base_url).set(database=name).render_as_string(hide_password=False)


def make_database_url(backend: str, tmp_path: Path, label: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / f'{label}.sqlite3'}"
    base = postgres_url()
    if base is None:
        unavailable("PostgreSQL")
    return _fresh_postgres_database(base, f"lms_test_{label}_{_worker_suffix()}")


@contextmanager
def app_on_its_own_database(backend: str, tmp_path: Path, label: str):
    """An app on a migrated database of its own, the factories writing through its session, for
    tests of real concurrent transactions (committed data, several connections at once). The
    database is dropped afterwards."""
    url = make_database_url(backend, tmp_path, label)
    application = create_app(app_config(url, tmp_path))
    try:
        with application.app_context():
            upgrade()
        factories.bind(_db.session)
        yield application
    finally:
        factories.bind(None)
        with application.app_context():
            _db.session.remove()
            _db.engine.dispose()
        drop_postgres_database(url)


def app_config(database_url: str, instance_path: Path, **extra) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(instance_path),
        "WTF_CSRF_ENABLED": False,
        # Strong hashing is the point in production and a waste of seconds in tests.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "SERVER_NAME": None,
        "CELERY": {"task_always_eager": True, "broker_url": "memory://"},
        # A lazy load during a request fails every test: pages load what they show up front.
        "LMS_STRICT_LOADING": True,
        # The page cache (tests/test_page_cache.py turns it on): off, whatever the environment says.
        "PAGE_CACHE_URL": "",
    }
    config.update(extra)
    return config


class FreshClient(FlaskClient):
    """Each request runs in its own app context and session on the test's connection, as in
    production: the test's changes are flushed first so the request sees them, and the test's
    objects are re-read afterwards."""

    def open(self, *args, **kwargs):
        _db.session.flush()
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        _db.session.expire_all()
        return response


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


# A mutation run (scripts/mutants.py) starts one pytest session per mutant, forked from the process
# that ran the tests once to see which cover what. It migrates a SQLite file once and names it in
# LMS_TEST_SQLITE_TEMPLATE; each session starts from a copy. Building the app (blueprints, the
# OpenAPI spec) was then most of a mutant's time, so in that run the first session also builds a
# spare app that it never uses, and each forked session takes the spare instead of building its
# own: untouched by any test, since every fork gets its own copy of the process.
_spare: dict = {}
# A mutant may make a statement that never ends (a recursive query joined on `!=`), and mutmut
# waits (its tests' time + 1 s) × 15 before calling it a timeout: a minute or more. SQLite calls
# a progress handler while a statement runs; in a mutant's session it interrupts any statement
# running longer than this, the test fails and the mutant is killed in seconds.
MUTANT_STATEMENT_SECONDS = 10.0


def _build_spare(instance: Path) -> None:
    """Build the app that forked sessions of a mutation run take, once per run."""
    application = create_app(app_config(f"sqlite:///{instance / 'unit.sqlite3'}", instance))
    application.test_client_class = FreshClient
    with application.app_context():
        engine = _db.engine

    @sa.event.listens_for(engine, "do_connect")
    def _this_sessions_database(dialect, record, cargs, cparams):
        cargs[0] = _spare["database"]  # the engine was made in the parent; the file is this session's

    started = [time.monotonic()]

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _statement_starts(*_args):
        started[0] = time.monotonic()

    @sa.event.listens_for(engine, "connect")
    def _interrupt_endless_statements(dbapi_connection, record):
        dbapi_connection.set_progress_handler(
            lambda: int(time.monotonic() - started[0] > MUTANT_STATEMENT_SECONDS), 100_000
        )

    _spare.update(app=application, instance=str(instance), pid=os.getpid())


def _take_spare(instance: Path, template: str):
    """The spare app, moved to this session's instance folder and its own copy of the template."""
    application = _spare["app"]
    before = _spare["instance"]
    application.instance_path = str(instance)
    for key, value in list(application.config.items()):
        if isinstance(value, str) and value.startswith(before):
            application.config[key] = str(instance) + value[len(before) :]
    _spare["database"] = str(instance / "unit.sqlite3")
    shutil.copyfile(template, _spare["database"])
    with application.app_context():
        _db.engine.dispose(close=False)  # connections the parent may hold stay the parent's
    return application


@pytest.fixture(scope="session")
def app(backend, tmp_path_factory):
    instance = tmp_path_factory.mktemp(f"instance-{backend}")
    template = os.environ.get("LMS_TEST_SQLITE_TEMPLATE")
    if backend == "sqlite" and template and _spare and _spare["pid"] != os.getpid():
        yield _take_spare(instance, template)
        return
    if backend == "sqlite" and template and not _spare:
        _build_spare(tmp_path_factory.mktemp("instance-spare"))
    url = make_database_url(backend, instance, "unit")
    application = create_app(app_config(url, instance))
    application.test_client_class = FreshClient
    if backend == "sqlite" and template:
        shutil.copyfile(template, instance / "unit.sqlite3")
    else:
        with application.app_context():
            upgrade()
    yield application
    with application.app_context():
        _db.engine.dispose()
    if backend == "postgresql":
        drop_postgres_database(url)


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgres_only`` test PostgreSQL behaviour (locks): not collected for SQLite."""
    kept, dropped = [], []
    for item in items:
        backend = getattr(getattr(item, "callspec", None), "params", {}).get("backend")
        (dropped if item.get_closest_marker("postgres_only") and backend == "sqlite" else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


class ConnectionBoundSession(FlaskSession):
    """Flask-SQLAlchemy picks engines by bind key; in tests every query uses the test connection."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        return bind if bind is not None else self.bind


@pytest.fixture
def db(app, _transaction):
    """The database for one test; everything it commits is rolled back afterwards."""
    return _db


@pytest.fixture(autouse=True)
def _transaction(request):
    """Wrap every test that uses the app in a transaction on one connection, rolled back after."""
    if "app" not in request.fixturenames:
        yield None
        return
    application = request.getfixturevalue("app")
    # Another test may have built an app of its own (a live worker's): shared tasks follow the
    # Celery app made current last, so make this test's the current one again.
    application.extensions["celery"].set_current()
    application.extensions["celery"].set_default()
    with application.app_context():
        connection = _db.engine.connect()
        transaction = connection.begin()
        original = _db.session
        _db.session = _db._make_scoped_session(
            {
                "bind": connection,
                "join_transaction_mode": "create_savepoint",
                "class_": ConnectionBoundSession,
            }
        )
        factories.bind(_db.session)
        try:
            yield _db
        finally:
            _db.session.remove()
            _db.session = original
            transaction.rollback()
            connection.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def strict_loading(app):
    """A lazy load that runs SQL during a request raises ``LazyLoadError`` in this test."""
    before = app.config.get("LMS_STRICT_LOADING", False)
    app.config["LMS_STRICT_LOADING"] = True
    yield
    app.config["LMS_STRICT_LOADING"] = before


@pytest.fixture
def csrf_enabled(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


def sign_in(client, user) -> None:
    """Start a browser session for ``user`` without going through the form."""
    from lms.accounts.models import UserSession

    record = UserSession(
        id=secrets.token_urlsafe(32), user_id=user.id, expires_at=utcnow() + timedelta(hours=12)
    )
    _db.session.add(record)
    _db.session.flush()
    user.current_session_id = record.id
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["_seen"] = time.time()


def api_headers(user) -> dict:
    from lms.accounts.services import create_token

    _token, plain = create_token(user, name="test")
    return {"Authorization": f"Bearer {plain}"}


@pytest.fixture
def admin(db):
    return factories.UserFactory(roles=["admin"], email="admin@example.org")


@pytest.fixture
def mail_dir(app) -> Path:
    """The app's mail folder, emptied: what a test finds there, the test sent."""
    folder = Path(app.config["MAIL_OUTBOX_DIR"])
    for sent in folder.glob("*.eml"):
        sent.unlink()
    return folder
