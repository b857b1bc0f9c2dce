"""Transactional outbox: tasks are written with the change and published after commit.

``enqueue`` adds a row in the caller's transaction. When that transaction commits, the rows
become ready and ``publish_ready`` (called at the request, task and command boundaries) sends
them. A row whose publish fails stays unpublished; ``relay`` (run periodically by the worker's
beat and by ``lms outbox relay``) sends it later. A row may be sent twice if a crash falls
between send and mark, so every task is idempotent.
"""

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from lms.core.db import utcnow
from lms.core.models import OutboxMessage
from lms.extensions import db

_PENDING = "outbox_pending"
_READY = "outbox_ready"


def enqueue(task: str, **kwargs) -> OutboxMessage:
    """Schedule ``task(**kwargs)`` to run once the current transaction commits."""
    message = OutboxMessage(task=task, kwargs=kwargs)
    db.session.add(message)
    db.session.info.setdefault(_PENDING, []).append(message)
    return message


@event.listens_for(Session, "after_commit")
def _mark_ready(session: Session) -> None:
    pending = session.info.pop(_PENDING, [])
    if pending:
        session.info.setdefault(_READY, []).extend(m.id for m in pending if m.id is not None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_pending(session: Session, previous_transaction) -> None:
    if not session.in_transaction():
        session.info.pop(_PENDING, None)


def publish_ready() -> int:
    """Publish the messages committed by this session; return how many were sent.

    Runs at the end of requests, so it never waits on a broker: each attempt gives up after
    ``OUTBOX_PUBLISH_TIMEOUT`` without retrying, and after the first failure the rest are left
    to the relay rather than each costing the person another timeout.
    """
    ids = db.session.info.pop(_READY, [])
    sent = 0
    for message_id in ids:
        published = _publish(message_id)
        if published is None:
            break
        sent += published
    return sent


def relay(limit: int = 200) -> int:
    """Publish messages left unpublished (a broker outage, a crash); return how many were sent."""
    query = (
        select(OutboxMessage.id)
        .where(OutboxMessage.published_at.is_(None))
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    ids = list(db.session.scalars(query))
    db.session.commit()
    return sum(bool(_publish(message_id)) for message_id in ids)


def _quick_connection(celery):
    """A broker connection that fails fast: no connection retries, short socket timeouts."""
    timeout = current_app.config.get("OUTBOX_PUBLISH_TIMEOUT", 0.5)
    options = {"max_retries": 0}
    if str(celery.conf.broker_url).startswith(("redis", "rediss")):
        options |= {"socket_connect_timeout": timeout, "socket_timeout": timeout, "retry_on_timeout": False}
    return celery.connection_for_write(connect_timeout=timeout, transport_options=options)


def _publish(message_id: int) -> bool | None:
    """True when sent, False when there was nothing to send, None when the broker failed."""
    # Lock the row so two relays on two machines do not send it at the same moment.
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.id == message_id).with_for_update(skip_locked=True)
    ).first()
    if message is None or message.published_at is not None:
        db.session.commit()
        return False
    celery = current_app.extensions["celery"]
    try:
        with _quick_connection(celery) as connection:
            celery.tasks[message.task].apply_async(kwargs=message.kwargs, retry=False, connection=connection)
    except Exception as error:  # any broker failure leaves the row for the relay
        db.session.rollback()
        message = db.session.get(OutboxMessage, message_id)
        message.attempts += 1
        message.last_error = f"{type(error).__name__}: {error}"[:2000]
        db.session.commit()
        current_app.logger.warning("outbox: could not publish %s (%s)", message_id, error)
        return None
    message.published_at = utcnow()
    message.attempts += 1
    db.session.commit()
    return True
