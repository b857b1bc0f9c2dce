"""A page cache that knows what each page read: a page is sent again only while none of the
tables it read has changed since.

Views marked ``@cached_page`` (GET pages and API reads that write nothing) keep their answer,
in each web process, for a few seconds (``PAGE_CACHE_SECONDS``), under a key made of everything
of the request that is not in the database: the address, the signed session cookie's contents
(her sign-in session, its CSRF token, the language she chose) or the API token, and the day.

What keeps a kept answer right is not a guess about what a page shows. While a page renders,
every SQL statement the request runs, from loading the signed-in person on, is read for the
tables it names, and the answer is kept with the version each of those tables had *before* the
request read anything. Every transaction that writes a table moves that table's version on, in
Redis, after it commits: from the web app, the Celery worker or the command line alike. Each
request to a cached view takes one snapshot of every version first (one Redis call); a kept
answer whose tables all still carry the snapshot's versions is sent without running the view
or loading the person. Her session row, roles, regions and tokens are tables that request read,
so signing out, a lost role or a deactivation is a changed version; the clock's part of her
sign-in (her session's end, the idle timeout) is checked by the hook ``accounts`` registers
(``register_identity``).

The cache can be late only by a missed bump (a process killed between its commit and the bump,
a write made outside the app) and by the clock (a test window closing at a set time): the few
seconds an answer is kept bound both. It is on when Redis is configured (``LMS_CACHE_URL``, or a
``redis://`` Celery broker); the embedded default, with no server, renders every request.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from flask import Flask, Response, current_app, g, has_app_context, request, session
from redis import Redis, RedisError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

VERSIONS_KEY = "lms:page-cache:versions"
EPOCH = "_epoch"  # a Redis emptied (restarted) gets a new epoch: versions starting over match nothing
LAST_SEEN = "_seen"  # the idle-timeout stamp the user loader moves on each request (accounts.sessions)
MAX_BODY = 256 * 1024  # with PAGE_CACHE_ENTRIES (256): at most 64 MB a process
_WRITE_WORDS = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE|MERGE|TRUNCATE|COPY|ALTER|DROP)\b", re.IGNORECASE)

# Tables named by statements run while a cached page renders (None when nothing is recorded).
_reads: ContextVar[set[str] | None] = ContextVar("lms_page_cache_reads", default=None)
# Tables written since this context's last commit: their versions move on after it commits.
_written: ContextVar[set[str] | None] = ContextVar("lms_page_cache_written", default=None)
# Tables a database trigger writes when a statement writes another (``written_with``).
_written_with: dict[str, frozenset[str]] = {}


def cached_page(view):
    """Mark a GET view whose answer depends only on the database, the person, her sign-in
    session, the address and the language (and the date): it may be served from the cache."""
    view.page_cache = True
    return view


# -- which tables a statement names ---------------------------------------------------------


class _Tables:
    """The application's table names found in a statement's SQL, remembered per statement."""

    LIMIT = 4096

    def __init__(self):
        self._pattern: re.Pattern | None = None
        self._known: dict[str, tuple[frozenset[str], bool]] = {}

    def of(self, statement: str) -> tuple[frozenset[str], bool]:
        found = self._known.get(statement)
        if found is None:
            if self._pattern is None:
                self._pattern = self._compile()
            head = statement.lstrip()[:10].upper()
            writes = not head.startswith(
                ("SELECT", "PRAGMA", "BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "SET", "SHOW")
            )
            writes = writes and bool(_WRITE_WORDS.search(statement))
            found = (frozenset(m.lower() for m in self._pattern.findall(statement)), writes)
            if len(self._known) >= self.LIMIT:  # long IN lists make each statement new
                self._known.clear()
            self._known[statement] = found
        return found

    @staticmethod
    def _compile() -> re.Pattern:
        from lms.core.db import Base

        names = sorted(Base.metadata.tables, key=len, reverse=True)
        return re.compile(r"(?<![\w.])\"?(" + "|".join(map(re.escape, names)) + r")\b", re.IGNORECASE)


_tables = _Tables()


@event.listens_for(Engine, "before_cursor_execute")
def _note_tables(conn, cursor, statement, parameters, context, executemany) -> None:
    reads = _reads.get()
    if reads is None and not _cache_on():
        return
    tables, writes = _tables.of(statement)
    if reads is not None:
        reads.update(tables)
    if writes and tables:
        written = _written.get()
        if written is None:
            written = set()
            _written.set(written)
        written.update(tables)
        for table in tables & _written_with.keys():
            written.update(_written_with[table])


def _cache_on() -> bool:
    return has_app_context() and current_app.extensions.get("page_cache") is not None


@event.listens_for(Session, "after_commit")
def _after_commit(session) -> None:
    bump_written()


def bump_written() -> None:
    """Move on the versions of the tables written since the last commit (after it committed)."""
    written = _written.get()
    if not written or not has_app_context():
        return
    cache = current_app.extensions.get("page_cache")
    if cache is None:
        written.clear()
        return
    tables = sorted(written)
    written.clear()
    cache.bump(tables)


# -- the cache ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    epoch: str
    versions: tuple[tuple[str, int], ...]
    expires: float
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    identity: object = None

    def current(self, snapshot: dict[str, int], epoch: str, now: float) -> bool:
        return (
            now < self.expires
            and self.epoch == epoch
            and all(snapshot.get(table, 0) == version for table, version in self.versions)
        )


class PageCache:
    """Kept answers of one web process (least recently used first out), and the table
    versions every process shares in Redis."""

    def __init__(self, url: str, *, seconds: float, entries: int, key: str = VERSIONS_KEY):
        self.key = key
        self.redis = Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)
        self.seconds = seconds
        self.limit = entries
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._lock = threading.Lock()

    def snapshot(self) -> tuple[str, dict[str, int]]:
        raw = self.redis.hgetall(self.key)
        epoch = raw.pop(EPOCH.encode(), None)
        if epoch is None:
            self.redis.hsetnx(self.key, EPOCH, secrets.token_hex(8))
            epoch = self.redis.hget(self.key, EPOCH)
        return epoch.decode(), {name.decode(): int(value) for name, value in raw.items()}

    def bump(self, tables: list[str]) -> None:
        try:
            pipe = self.redis.pipeline(transaction=False)
            for table in tables:
                pipe.hincrby(self.key, table, 1)
            pipe.execute()
        except RedisError:  # a cache outage must not fail the write that committed
            current_app.logger.warning(
                "page cache: versions of %s not moved on", ", ".join(tables), exc_info=True
            )

    def get(self, key: str) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: Entry) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.limit:
                self._entries.popitem(last=False)

    def forget(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)


@dataclass
class _Pending:
    epoch: str
    snapshot: dict[str, int]
    reads: set[str]
    reset: object
    key: str
    session_before: dict


class Identity:
    """How a kept answer stays the signed-in person's: the feature that signs people in
    registers ``kept`` (called when an answer is kept: what must still hold later, such as her
    session's end) and ``still_valid`` (called before a kept answer is sent: checks that against
    the clock and the session cookie, and refreshes what each request refreshes). What the
    database says about her (session row, roles, deactivation) needs no hook: those are tables
    the request read, so any change to them is a changed version."""

    kept: Callable[[], object] = staticmethod(lambda: None)
    still_valid: Callable[[object], bool] = staticmethod(lambda state: True)


def written_with(table: str, *others: str) -> None:
    """Declare that a database trigger writes ``others`` whenever a statement writes ``table``:
    their versions move on with its, so a page that read only ``others`` is rendered again."""
    _written_with[table] = _written_with.get(table, frozenset()) | frozenset(others)


def register_identity(kept: Callable[[], object], still_valid: Callable[[object], bool]) -> None:
    Identity.kept = staticmethod(kept)
    Identity.still_valid = staticmethod(still_valid)


def init_page_cache(app: Flask) -> None:
    """Register the cache's request hooks: ``_begin`` first of all (before the person is loaded,
    so that her own rows count among what a page read, and so that a kept answer costs no
    query), ``_store`` when the response is made."""
    url = app.config.get("PAGE_CACHE_URL")
    if url:
        app.extensions["page_cache"] = PageCache(
            url, seconds=app.config["PAGE_CACHE_SECONDS"], entries=app.config["PAGE_CACHE_ENTRIES"]
        )
    app.before_request(_begin)
    app.after_request(_store)
    app.teardown_request(_end)


def _cacheable_request(app: Flask) -> bool:
    if request.method != "GET" or request.endpoint is None:
        return False
    view = app.view_functions.get(request.endpoint)
    return bool(getattr(view, "page_cache", False))


def _key() -> str:
    """Everything of the request an answer may depend on that is not in the database: the
    address, the credential (the signed session cookie's contents — her sign-in session, its
    CSRF token, the language she chose — or the API token), and the day. Only the holder of
    the credential can ask for its answers."""
    from lms.core.i18n import local_today

    state = sorted((name, repr(value)) for name, value in session.items() if name != LAST_SEEN)
    parts = (
        request.full_path,
        repr(state),
        request.headers.get("Authorization", ""),
        request.headers.get("HX-Request", ""),
        request.headers.get("Accept-Language", ""),
        local_today().isoformat(),
    )
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _begin():
    app = current_app._get_current_object()
    cache = app.extensions.get("page_cache")
    if cache is None or not _cacheable_request(app) or "_flashes" in session:
        return None
    try:
        epoch, snapshot = cache.snapshot()
    except (RedisError, ValueError):  # without Redis (or with a garbled hash) the page renders uncached
        app.logger.warning("page cache: Redis unreachable; rendering", exc_info=True)
        return None
    key = _key()
    entry = cache.get(key)
    if (
        entry is not None
        and entry.current(snapshot, epoch, time.monotonic())
        and Identity.still_valid(entry.identity)
    ):
        response = Response(entry.body, status=entry.status)
        response.headers.clear()
        response.headers.extend(entry.headers)
        response.headers["X-Page-Cache"] = "hit"
        return response
    reads: set[str] = set()
    g._page_cache = _Pending(epoch, snapshot, reads, _reads.set(reads), key, _session_state())
    return None


def _session_state() -> dict:
    return {name: value for name, value in session.items() if name != LAST_SEEN}


def _store(response: Response) -> Response:
    pending: _Pending | None = g.get("_page_cache")
    if pending is None:
        return response
    _stop(pending)
    g._page_cache = None
    cache: PageCache = current_app.extensions["page_cache"]
    if not _keepable(response, pending):
        cache.forget(pending.key)
        return response
    versions = tuple(sorted((table, pending.snapshot.get(table, 0)) for table in pending.reads))
    headers = tuple(
        (name, value)
        for name, value in response.headers.items()
        if name.lower() not in {"set-cookie", "content-length", "x-request-id"}
    )
    entry = Entry(
        pending.epoch,
        versions,
        time.monotonic() + cache.seconds,
        response.status_code,
        headers,
        response.get_data(),
        Identity.kept(),
    )
    cache.put(pending.key, entry)
    response.headers["X-Page-Cache"] = "miss"
    return response


def _keepable(response: Response, pending: _Pending) -> bool:
    """Only a whole, ordinary answer that changed nothing: a 200 with a body under the limit,
    no cookie of its own, no flashed message shown, nothing written, the session as it was."""
    length = response.calculate_content_length()
    return (
        response.status_code == 200
        and not response.direct_passthrough
        and not response.is_streamed
        and length is not None
        and length <= MAX_BODY
        and "Set-Cookie" not in response.headers
        and not _written.get()
        and _session_state() == pending.session_before
        and bool(pending.reads)
    )


def _stop(pending: _Pending) -> None:
    if pending.reset is not None:
        _reads.reset(pending.reset)
        pending.reset = None


def _end(exc) -> None:
    pending: _Pending | None = g.get("_page_cache")
    if pending is not None:
        _stop(pending)
        g._page_cache = None
    # Writes committed outside the ORM session (a bare connection) move their versions on here.
    if _written.get():
        bump_written()
