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
    """Publish the messages committed by this session; return how many were sent."""
    ids = db.session.info.pop(_READY, [])
    return sum(_publish(message_id) for message_id in ids)


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
    return sum(_publish(message_id) for message_id in ids)


def _publish(message_id: int) -> bool:
    # Lock the row so two relays on two machines do not send it at the same moment.
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.id == message_id).with_for_update(skip_locked=True)
    ).first()
    if message is None or message.published_at is not None:
        db.session.commit()
        return False
    celery = current_app.extensions["celery"]
    try:
        celery.tasks[message.task].apply_async(kwargs=message.kwargs, retry=False)
    except Exception as error:  # any broker failure leaves the row for the relay
        db.session.rollback()
        message = db.session.get(OutboxMessage, message_id)
        message.attempts += 1
        message.last_error = f"{type(error).__name__}: {error}"[:2000]
        db.session.commit()
        current_app.logger.warning("outbox: could not publish %s (%s)", message_id, error)
        return False
    message.published_at = utcnow()
    message.attempts += 1
    db.session.commit()
    return True
