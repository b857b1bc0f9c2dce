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

from flask import current_app, g, session
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
    if not _keep_alive(record.remember):
        return None
    user.current_session_id = record.id
    g.signed_in_until = (record.expires_at.timestamp(), record.remember)
    return user


def kept_identity() -> tuple | None:
    """What a kept page (lms.core.page_cache) must check again before it is sent to this
    request's person without loading her: when her session or token ends, and whether the idle
    timeout applies. Her rows themselves are versioned tables, checked by the cache."""
    return g.get("signed_in_until")


def still_signed_in(kept: tuple | None) -> bool:
    """The clock's part of ``load`` for a kept page: the session (or token) has not ended and,
    without "keep me signed in", was used within the idle timeout; then it counts as used now."""
    if kept is None:
        return True
    ends, remember = kept
    if time.time() >= ends:
        return False
    if remember is None:  # an API token: no cookie session to keep alive
        return True
    return _keep_alive(remember)


def _keep_alive(remember: bool) -> bool:
    """False when a session without "keep me signed in" has been idle past the timeout; else
    the session counts as used now. The stamp in the cookie moves only once it is a minute old
    (a tenth of the timeout when that is shorter): the cookie is signed again once a minute,
    not on every request, and the idle timeout is kept to the minute."""
    now = time.time()
    idle = current_app.config["SESSION_IDLE_MINUTES"] * 60
    seen = float(session.get(LAST_SEEN) or 0)
    if not remember and now - seen > idle:
        return False
    if now - seen >= min(60.0, idle / 10):
        session[LAST_SEEN] = now
    return True
