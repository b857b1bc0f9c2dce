"""Declarative base, naming convention for constraints, and small column helpers."""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from flask import current_app, has_request_context, request
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, registry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored and returned as aware UTC on every database (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use lms.core.db.utcnow()")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def in_values(column: str, values) -> str:
    """SQL text for a CHECK constraint that ``column`` is one of ``values``."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record) -> None:
    """SQLite: enforce foreign keys, let the web app and the worker share the file, and take
    transactions into SQLAlchemy's hands (pysqlite's own handling breaks SAVEPOINTs)."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# True inside ``writing()``, False inside ``reading()``, None elsewhere (then the request decides).
_writing: ContextVar[bool | None] = ContextVar("lms_writing", default=None)
# Set while a Celery task runs (in a worker, or eagerly inside a request in the tests): a task is
# not a page, and its loads are not held to a page's query count.
in_task: ContextVar[bool] = ContextVar("lms_in_task", default=False)


@contextmanager
def writing() -> Iterator[None]:
    """Transactions begun inside this block are meant to write (Celery tasks, a token touch)."""
    reset = _writing.set(True)
    try:
        yield
    finally:
        _writing.reset(reset)


@contextmanager
def keeping_loaded() -> Iterator[None]:
    """Commits inside the block keep what is loaded instead of expiring it: for a long job
    that commits often and owns the rows it reads (reloading them costs statements)."""
    from lms.extensions import db

    session = db.session()
    keep, session.expire_on_commit = session.expire_on_commit, False
    try:
        yield
    finally:
        session.expire_on_commit = keep


@contextmanager
def reading() -> Iterator[None]:
    """Transactions begun inside this block only read, even within a task (a second connection
    that streams rows while the task writes on its own: on SQLite it must not take the write
    lock the task's connection needs)."""
    reset = _writing.set(False)
    try:
        yield
    finally:
        _writing.reset(reset)


def unit_of_work_writes() -> bool:
    """Whether the transaction about to begin belongs to work that writes: a request with a
    writing method, or code inside ``writing()``."""
    declared = _writing.get()
    if declared is not None:  # ``reading()`` inside a POST's eager task reads, whatever the method
        return declared
    return has_request_context() and request.method in _WRITE_METHODS


@event.listens_for(Engine, "begin")
def _begin_sqlite(connection) -> None:
    """SQLite: work that writes takes the write lock at the start (``BEGIN IMMEDIATE``), so that
    concurrent writers wait their turn in the busy timeout. A deferred transaction that reads
    first and writes later cannot wait: when another writer got in between, SQLite refuses the
    upgrade at once (SQLITE_BUSY), which people saw as the 503 page. Readers stay deferred, so
    under WAL they never wait for writers."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE" if unit_of_work_writes() else "BEGIN")


class LazyLoadError(RuntimeError):
    """A relationship was lazy-loaded with SQL during a request while strict loading is on."""


@event.listens_for(Session, "do_orm_execute")
def _refuse_lazy_loads(state) -> None:
    """With ``LMS_STRICT_LOADING`` on (the tests), a page or endpoint that lazy-loads a
    relationship fails loudly: what a request shows is loaded with explicit eager loading, so
    its query count does not grow with its rows. Loads answered from the identity map run no
    SQL and pass."""
    if not state.is_select or state.lazy_loaded_from is None or not has_request_context() or in_task.get():
        return
    if current_app.config.get("LMS_STRICT_LOADING"):
        mapper = state.lazy_loaded_from.mapper
        path = state.loader_strategy_path
        what = (
            f"{mapper.class_.__name__}.{path[-1].key}"
            if path is not None and len(path)
            else mapper.class_.__name__
        )
        raise LazyLoadError(f"lazy load from {what} during a request; eager-load it")
