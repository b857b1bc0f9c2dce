"""Nothing is lost between the database and the queue."""

import signal
import socket
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from lms.core import outbox
from lms.core.mail import queue_email
from lms.core.models import OutboxMessage
from lms.core.tasks import send_email
from tests.fault_fixtures import HANGS_AFTER


def test_committed_work_is_published_after_commit(db, mail_dir):
    before = set(mail_dir.glob("*.eml")) if mail_dir.exists() else set()
    queue_email("olena@example.org", "Запрошення", "Текст листа")
    db.session.commit()
    assert outbox.publish_ready() == 1
    message = db.session.scalars(select(OutboxMessage)).one()
    assert message.published_at is not None
    assert len(set(mail_dir.glob("*.eml")) - before) == 1


def test_rolled_back_work_is_never_published(db):
    queue_email("olena@example.org", "Запрошення", "Текст листа")
    db.session.rollback()
    assert outbox.publish_ready() == 0
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_broker_outage_keeps_the_message_for_the_relay(app, db, monkeypatch, mail_dir):
    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("broker unreachable")

    monkeypatch.setattr(app.extensions["celery"].tasks["lms.core.send_email"], "apply_async", broker_down)
    queue_email("olena@example.org", "Запрошення", "Текст листа")
    db.session.commit()
    assert outbox.publish_ready() == 0
    message = db.session.scalars(select(OutboxMessage)).one()
    assert message.published_at is None
    assert message.attempts == 1
    assert message.last_error == "ConnectionRefusedError: broker unreachable"
    assert outbox.relay() == 0  # still down: one more attempt counted
    db.session.refresh(message)
    assert message.attempts == 2

    monkeypatch.undo()
    before = set(mail_dir.glob("*.eml")) if mail_dir.exists() else set()
    assert outbox.relay() == 1
    db.session.refresh(message)
    assert message.published_at is not None and message.attempts == 3
    assert len(set(mail_dir.glob("*.eml")) - before) == 1
    assert outbox.relay() == 0  # published once, not again


def test_a_long_broker_error_is_kept_to_its_first_2000_characters(app, db, monkeypatch):
    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("ж" * 2500)

    monkeypatch.setattr(app.extensions["celery"].tasks["lms.core.send_email"], "apply_async", broker_down)
    queue_email("olena@example.org", "Запрошення", "Текст листа")
    db.session.commit()
    assert outbox.publish_ready() == 0
    message = db.session.scalars(select(OutboxMessage)).one()
    assert message.last_error == ("ConnectionRefusedError: " + "ж" * 2500)[:2000]


def test_a_retried_email_task_writes_one_file(db, mail_dir):
    kwargs = {"to": "a@example.org", "subject": "S", "body": "B", "attachments": [], "message_id": "fixed@x"}
    first = send_email.apply(kwargs=kwargs).get()
    second = send_email.apply(kwargs=kwargs).get()
    assert first == second
    assert len(list(mail_dir.glob("fixed.eml"))) == 1


@pytest.mark.parametrize(
    "attachment", [("training.ics", "text/calendar", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")]
)
def test_attachments_travel_through_the_queue(db, mail_dir, attachment):
    import email
    import email.policy

    queue_email("olena@example.org", "Запрошення на тренінг", "Деталі у вкладенні", attachments=[attachment])
    db.session.commit()
    outbox.publish_ready()
    newest = max(mail_dir.glob("*.eml"), key=lambda p: p.stat().st_mtime)
    message = email.message_from_bytes(newest.read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "Запрошення на тренінг"
    parts = list(message.iter_attachments())
    assert [(p.get_filename(), p.get_content_type(), p.get_content()) for p in parts] == [
        ("training.ics", "text/calendar", attachment[2].decode())
    ]


def test_long_ukrainian_subjects_keep_every_space(db, mail_dir):
    import email
    import email.policy

    subject = (
        "Запрошення на тренінг: Міждисциплінарний підхід до виявлення, ідентифікації та надання "
        "комплексної допомоги особам, які постраждали від торгівлі людьми (21–22 листопада 2026)"
    )
    queue_email("olena@example.org", subject, "Текст")
    db.session.commit()
    outbox.publish_ready()
    newest = max(mail_dir.glob("*.eml"), key=lambda p: p.stat().st_mtime)
    assert email.message_from_bytes(newest.read_bytes(), policy=email.policy.default)["Subject"] == subject


class StillWaiting(BaseException):
    """Not an ``Exception``: no broker error handler takes it for one failed attempt and tries again."""


@contextmanager
def interrupted_after(seconds: float):
    """Interrupt what runs inside after ``seconds`` (and every half second after that) instead of
    waiting for it: a publish without its timeouts waits on a hung broker for ever, and the
    mutation run (scripts/mutants.py) would wait out its own limit for each such mutant, 30 s."""

    def interrupt(signum, frame):
        raise StillWaiting(f"still waiting after {seconds} s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.5)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def hung_server():
    """The port of a server that accepts connections and never answers (a hung broker)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    yield server.getsockname()[1]
    server.close()


@pytest.fixture
def hung_broker(hung_server):
    return f"redis://127.0.0.1:{hung_server}/0"


@pytest.mark.parametrize("broker", ["closed port", "hung"])
def test_publishing_gives_up_fast_when_the_broker_is_down(app, db, monkeypatch, broker, hung_broker):
    url = hung_broker if broker == "hung" else "redis://127.0.0.1:1/0"
    conf = app.extensions["celery"].conf
    monkeypatch.setitem(conf, "broker_url", url)
    monkeypatch.setitem(conf, "task_always_eager", False)
    for n in range(3):
        queue_email(f"person{n}@example.org", "Запрошення", "Текст листа")
    db.session.commit()
    started = time.monotonic()
    with interrupted_after(HANGS_AFTER):
        assert outbox.publish_ready() == 0
    # Not kombu's own retries (20 s and more): the attempts below show it was one try.
    assert time.monotonic() - started < HANGS_AFTER
    messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [m.published_at for m in messages] == [None, None, None]
    # One attempt, then the rest are left to the relay instead of costing a timeout each.
    assert [m.attempts for m in messages] == [1, 0, 0]


def test_the_relay_sends_the_oldest_left_messages_first_and_at_most_its_limit(db):
    left = [
        OutboxMessage(task="lms.accounts.send_password_reset", kwargs={"email": f"nobody{i}@example.org"})
        for i in range(3)
    ]
    db.session.add_all(left)
    db.session.commit()
    db.session.info.pop("outbox_ready", None)  # as after a broker outage: nothing published yet
    assert outbox.relay(limit=2) == 2
    for message in left:
        db.session.refresh(message)
    assert [(m.published_at is not None, m.attempts) for m in left] == [(True, 1), (True, 1), (False, 0)]
    assert outbox.relay() == 1 and outbox.relay() == 0


def test_publishing_after_commit_counts_every_message_sent(db):
    for i in range(3):
        outbox.enqueue("lms.accounts.send_password_reset", email=f"nobody{i}@example.org")
    db.session.commit()
    assert outbox.publish_ready() == 3
    assert outbox.publish_ready() == 0


def test_a_message_the_relay_already_sent_is_not_counted_again_after_commit(db):
    outbox.enqueue("lms.accounts.send_password_reset", email="nobody@example.org")
    db.session.commit()
    ready = db.session.info.pop("outbox_ready")
    assert outbox.relay() == 1
    db.session.info["outbox_ready"] = ready
    assert outbox.publish_ready() == 0


def test_a_failed_publish_is_logged_with_the_message_and_the_error(app, db, monkeypatch, caplog):
    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("broker unreachable")

    monkeypatch.setattr(app.extensions["celery"].tasks["lms.core.send_email"], "apply_async", broker_down)
    queue_email("olena@example.org", "Запрошення", "Текст листа")
    db.session.commit()
    # The app's logger does not propagate to the root: listen on it directly.
    app.logger.addHandler(caplog.handler)
    try:
        outbox.publish_ready()
    finally:
        app.logger.removeHandler(caplog.handler)
    message = db.session.scalars(select(OutboxMessage)).one()
    assert f"outbox: could not publish {message.id} (broker unreachable)" in caplog.messages


# Longer than the app's 0.5 s, so that a second wait, or kombu's pause of 2 s before it connects
# again, shows against one wait of this length.
LONGER_TIMEOUT = 1.0


@pytest.mark.parametrize(
    ("broker", "error"),
    [
        ("redis://127.0.0.1:1/0", "Connection refused"),
        ("redis://127.0.0.1:{port}/0", "Timeout reading from"),
        ("amqp://guest@127.0.0.1:{port}//", "timed out"),
    ],
    ids=["redis refuses", "redis hangs", "amqp hangs"],
)
def test_a_failed_publish_waits_the_configured_timeout_once_and_does_not_retry(
    app, db, monkeypatch, hung_server, broker, error
):
    conf = app.extensions["celery"].conf
    monkeypatch.setitem(conf, "broker_url", broker.format(port=hung_server))
    monkeypatch.setitem(conf, "task_always_eager", False)
    monkeypatch.setitem(app.config, "OUTBOX_PUBLISH_TIMEOUT", LONGER_TIMEOUT)
    queue_email("olena@example.org", "Запрошення", "Текст листа")
    db.session.commit()
    started = time.monotonic()
    with interrupted_after(HANGS_AFTER):
        assert outbox.publish_ready() == 0
    waited = time.monotonic() - started
    message = db.session.scalars(select(OutboxMessage)).one()
    assert (message.attempts, message.published_at) == (1, None)
    assert error in message.last_error  # the broker's failure, not one of ours before it
    if "{port}" in broker:  # a hung broker is given the whole configured time, not the default
        assert waited >= 0.9 * LONGER_TIMEOUT
    assert waited < LONGER_TIMEOUT + 0.8
