"""A real Celery worker, on the embedded filesystem broker and on Redis, runs our tasks end to end."""

import email
import email.policy
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from flask_migrate import upgrade

from lms import create_app
from lms.core import outbox
from lms.core.mail import queue_email
from lms.core.models import OutboxMessage
from lms.extensions import db
from tests.conftest import app_config, drop_postgres_database, make_database_url
from tests.services import redis_url, unavailable

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.worker


def wait_for(condition, timeout=40.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture(params=["filesystem", "redis"])
def broker_url(request, tmp_path):
    if request.param == "redis":
        url = redis_url()
        if url is None:
            unavailable("Redis")
        return url
    return "filesystem://"


@pytest.fixture
def live(backend, broker_url, tmp_path):
    """A migrated database, an app configured like production, and a running worker process."""
    database_url = make_database_url(backend, tmp_path, "worker")
    queue = f"lms-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "LMS_INSTANCE_PATH": str(tmp_path),
        "LMS_CELERY_QUEUE": queue,
        "SECRET_KEY": "test-secret",
    }
    config = app_config(database_url, tmp_path)
    config["CELERY"] = {"broker_url": broker_url, "task_default_queue": queue, "task_always_eager": False}
    if broker_url.startswith("filesystem"):
        folder = str(tmp_path / "celery" / "queue")
        os.makedirs(folder, exist_ok=True)
        config["CELERY"]["broker_transport_options"] = {
            "data_folder_in": folder,
            "data_folder_out": folder,
            "store_processed": False,
            "control_folder": str(tmp_path / "celery" / "control"),
        }
    application = create_app(config)
    with application.app_context():
        upgrade()
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "celery_worker",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "-Q",
            queue,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield application, tmp_path / "mail", worker
    finally:
        worker.terminate()
        try:
            output, _ = worker.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
        with application.app_context():
            db.session.remove()
            db.engine.dispose()
        if backend == "postgresql":
            drop_postgres_database(database_url)
        print(output[-3000:])


def read_subjects(mail_dir: Path) -> list[str]:
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)["Subject"]
        for path in mail_dir.glob("*.eml")
    ]


def test_worker_delivers_a_queued_email(live):
    application, mail_dir, worker = live
    with application.app_context():
        queue_email("olena@example.org", "Запрошення на тренінг", "Черкаси, 12 березня")
        db.session.commit()
        assert outbox.publish_ready() == 1
    assert wait_for(lambda: mail_dir.exists() and read_subjects(mail_dir)), "the worker wrote no email"
    assert read_subjects(mail_dir) == ["Запрошення на тренінг"]
    assert worker.poll() is None


def test_outbox_survives_a_broker_outage(live):
    application, mail_dir, _worker = live
    # The same code and database, but the broker it points at does not answer.
    broken = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": application.config["SQLALCHEMY_DATABASE_URI"],
            "INSTANCE_PATH": application.instance_path,
            "SECRET_KEY": "test-secret",
            "CELERY": {"broker_url": "redis://127.0.0.1:1/0", "broker_connection_timeout": 1},
        }
    )
    with broken.app_context():
        queue_email("olena@example.org", "Лист під час збою", "Текст")
        db.session.commit()
        assert outbox.publish_ready() == 0
        message = db.session.query(OutboxMessage).one()
        assert message.published_at is None and message.attempts == 1
        assert message.last_error
        db.session.remove()
    assert not (mail_dir.exists() and read_subjects(mail_dir))

    with application.app_context():
        assert outbox.relay() == 1
        assert db.session.query(OutboxMessage).one().published_at is not None
    assert wait_for(lambda: mail_dir.exists() and read_subjects(mail_dir)), "the relayed email never arrived"
    assert read_subjects(mail_dir) == ["Лист під час збою"]
