"""Shared records: the append-only audit trail, long-running jobs and the task outbox."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from lms.core.db import in_values, utcnow
from lms.extensions import db

JOB_STATUSES = ("queued", "running", "done", "failed")


class AuditEvent(db.Model):
    """Who did what to which record, when. Rows are never updated or deleted."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None]
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(64))


class AuditIsAppendOnly(RuntimeError):
    """Something tried to change or remove an audit event."""


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _audit_is_append_only(mapper, connection, target):
    raise AuditIsAppendOnly("audit events are append-only")


@event.listens_for(Session, "do_orm_execute")
def _no_bulk_audit_changes(state) -> None:
    """``update(AuditEvent)`` and ``delete(AuditEvent)`` skip the mapper events above; refuse them
    too. The database refuses them as well (a trigger, migration 0005)."""
    if (state.is_update or state.is_delete) and getattr(state.statement, "table", None) is not None:
        if state.statement.table.name == AuditEvent.__tablename__:
            raise AuditIsAppendOnly("audit events are append-only")


class Job(db.Model):
    """A long task a person started: its progress and, when done, its result."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(in_values("status", JOB_STATUSES), name="status"),
        CheckConstraint("progress >= 0 AND total >= 0", name="progress"),
        CheckConstraint("attempts >= 0", name="attempts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10), default="queued")
    progress: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # The lease (lms.core.jobs): the task that runs the job, who holds it, since when it last
    # showed life, how many times it was started, and what its committed batches so far add up to.
    task: Mapped[str] = mapped_column(String(120), default="", server_default="")
    lease_owner: Mapped[str | None] = mapped_column(String(120))
    heartbeat_at: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    checkpoint: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "progress": self.progress,
            "total": self.total,
            "result": self.result,
            "error": self.error,
            "attempts": self.attempts,
            "heartbeat_at": self.heartbeat_at,
        }


class OutboxMessage(db.Model):
    """A task to publish, written in the same transaction as the change that needs it."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(120))
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
