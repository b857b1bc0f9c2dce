"""Atomic failure counters that limit guessing: per account and per client address.

A slot is taken *before* the password is checked, with one ``INSERT … ON CONFLICT DO UPDATE
… RETURNING`` that the database serialises per key. Fifty simultaneous requests therefore get
fifty different counts, and only those within the limit are checked. A successful attempt gives
its slot back; failures stay counted until the window that began with the first one ends.
"""

import hashlib
from datetime import timedelta

from sqlalchemy import case, delete, literal, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from lms.accounts.models import LoginThrottle
from lms.core.db import UTCDateTime, utcnow
from lms.extensions import db


def key(kind: str, value: str) -> str:
    """A counter's key; the account or address is hashed so the table holds no email."""
    return f"{kind}:{hashlib.sha256((value or '').strip().lower().encode()).hexdigest()}"


def take(keys: dict[str, int], window_seconds: int) -> bool:
    """Count one attempt against every key (``{key: limit}``) and commit at once, so that other
    requests see it. True when every count stays within its limit."""
    now = utcnow()
    since = now - timedelta(seconds=window_seconds)
    allowed = True
    for name, limit in keys.items():
        allowed = _increment(name, now, since) <= limit and allowed
        # One row lock at a time, released at once: no lock order for a deadlock to form.
        db.session.commit()
    return allowed


def give_back(keys) -> None:
    """Return the slots of an attempt that succeeded (the caller's transaction commits)."""
    db.session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key.in_(list(keys)), LoginThrottle.failures > 0)
        .values(failures=LoginThrottle.failures - 1)
    )


def forget_expired(window_seconds: int) -> None:
    """Delete counters whose window has passed, skipping rows another request holds (so this
    clean-up never waits on, or deadlocks with, a sign-in in flight)."""
    since = utcnow() - timedelta(seconds=window_seconds)
    expired = (
        select(LoginThrottle.key).where(LoginThrottle.window_start < since).with_for_update(skip_locked=True)
    )
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(expired)))


def _increment(name: str, now, since) -> int:
    insert = postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    expired = LoginThrottle.window_start < since
    now = literal(now, UTCDateTime())  # typed, so SQLite stores it as the column does
    statement = (
        insert(LoginThrottle)
        .values(key=name, window_start=now, failures=1)
        .on_conflict_do_update(
            index_elements=[LoginThrottle.key],
            set_={
                "failures": case((expired, 1), else_=LoginThrottle.failures + 1),
                "window_start": case((expired, now), else_=LoginThrottle.window_start),
            },
        )
        .returning(LoginThrottle.failures)
    )
    return db.session.execute(statement).scalar_one()
