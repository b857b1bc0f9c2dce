"""Server-side sign-in sessions with idle and absolute timeouts.

The session and remember-me cookies carry ``"<user id>:<nonce>:<session id>"``. A request is
signed in only while the session row exists, has not reached its absolute end, the person's
nonce is unchanged (password change, reset, deactivation rotate it) and, for a session without
"keep me signed in", the last request was within the idle timeout. Signing out deletes the row,
so a cookie copied before that opens nothing afterwards.
"""

import secrets
import time
from datetime import timedelta

from flask import current_app, session
from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload

from lms.accounts.models import User, UserSession
from lms.core.db import utcnow
from lms.extensions import db

LAST_SEEN = "_seen"


def start(user: User, *, remember: bool = False, ip: str | None = None) -> UserSession:
    """Open a session for ``user`` (the caller then calls ``login_user``)."""
    config = current_app.config
    now = utcnow()
    lifetime = (
        timedelta(days=config["REMEMBER_DAYS"]) if remember else timedelta(hours=config["SESSION_MAX_HOURS"])
    )
    db.session.execute(
        delete(UserSession).where(UserSession.user_id == user.id, UserSession.expires_at < now)
    )
    record = UserSession(
        id=secrets.token_urlsafe(32),
        user_id=user.id,
        remember=remember,
        expires_at=now + lifetime,
        ip=(ip or "")[:64] or None,
    )
    db.session.add(record)
    user.current_session_id = record.id
    session[LAST_SEEN] = time.time()
    return record


def end(user: User) -> None:
    """End the session of this request."""
    if user.current_session_id:
        db.session.execute(delete(UserSession).where(UserSession.id == user.current_session_id))


def end_all(user: User) -> None:
    """End every session of ``user`` (the rotated nonce also refuses cookies issued before)."""
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))


def forget_expired() -> int:
    """Delete sessions past their absolute end (run hourly by the worker's beat)."""
    result = db.session.execute(delete(UserSession).where(UserSession.expires_at <= utcnow()))
    return result.rowcount or 0


def load(cookie_value: str) -> User | None:
    """The person a session or remember-me cookie stands for, or None when it has ended."""
    user_id, _, rest = (cookie_value or "").partition(":")
    nonce, _, session_id = rest.partition(":")
    if not user_id.isdigit() or not session_id:
        return None
    # The session, the person, her roles and regions: one statement per request.
    record = (
        db.session.scalars(
            select(UserSession)
            .options(
                joinedload(UserSession.user).joinedload(User.role_rows),
                joinedload(UserSession.user).joinedload(User.regions),
            )
            .where(UserSession.id == session_id, UserSession.user_id == int(user_id))
        )
        .unique()
        .one_or_none()
    )
    if record is None or record.expires_at <= utcnow():
        return None
    user = record.user
    if not user.active or user.session_nonce != nonce:
        return None
    now = time.time()
    idle = current_app.config["SESSION_IDLE_MINUTES"] * 60
    if not record.remember and now - float(session.get(LAST_SEEN) or 0) > idle:
        return None
    session[LAST_SEEN] = now
    user.current_session_id = record.id
    return user
