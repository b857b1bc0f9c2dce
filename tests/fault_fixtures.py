"""The fault-test stage shared by every crash test: a private Redis the test stops and starts,
a migrated PostgreSQL database, the app on them, and real workers stopped at the end."""

import os
import shutil

import pytest
from flask_migrate import upgrade

from lms import create_app
from lms.extensions import db
from tests import factories
from tests.conftest import app_config, drop_postgres_database, make_database_url
from tests.fault_helpers import RedisServer, Worker, new_queue, worker_env
from tests.services import unavailable

LEASE = int(os.environ.get("LMS_FAULT_LEASE_SECONDS", "3"))
# How long a request may take to answer while the broker is down before we call it hanging.
HANGS_AFTER = 5.0


@pytest.fixture
def redis_server(tmp_path):
    if shutil.which("redis-server") is None:
        unavailable("redis-server (to stop and start a Redis of the test's own)")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def stage(tmp_path, redis_server):
    """A migrated PostgreSQL database, the app on it and the private Redis, and a way to start
    workers that are all stopped at the end."""
    database_url = make_database_url("postgresql", tmp_path, "faults")
    queue = new_queue()
    config = app_config(
        database_url, tmp_path, JOB_LEASE_SECONDS=LEASE, CELERY_EXTRA_IMPORTS=["tests.fault_tasks"]
    )
    config["CELERY"] = {
        "broker_url": redis_server.url,
        "task_default_queue": queue,
        "task_always_eager": False,
    }
    application = create_app(config)
    with application.app_context():
        upgrade()
    env = worker_env(database_url, redis_server.url, tmp_path, queue, LEASE)
    workers = []

    def start_worker(name: str, beat: bool = True) -> Worker:
        workers.append(Worker(env, tmp_path, name, beat=beat))
        return workers[-1]

    try:
        with application.app_context():
            factories.bind(db.session)
            yield application, start_worker
    finally:
        for worker in workers:
            worker.stop()
            print(worker.output()[-2500:])
        with application.app_context():
            db.session.remove()
            db.engine.dispose()
        drop_postgres_database(database_url)
