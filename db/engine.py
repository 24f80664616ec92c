"""Engine and session plumbing shared by the app, the seeders and the tests."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, exc
from sqlalchemy.engine import make_url
from sqlmodel import create_engine

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("STRIDE_DATA_DIR", PROJECT_ROOT / "data"))
DEFAULT_SQLITE_URL = f"sqlite:///{DATA_DIR / 'stride.db'}"
SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_POOL_SIZE = 10
SQLITE_POOL_OVERFLOW = 50
# Execution option for a connection whose transaction only reads (see
# `_configure_sqlite`); core.runtime sets it for `unit_of_work(read_only=True)`.
READ_ONLY = "stride_read_only"
# PostgreSQL's answers when a transaction lost a race for a row or a lock:
# serialization_failure, deadlock_detected, lock_not_available (lock_timeout).
_PG_CONTENTION_STATES = frozenset({"40001", "40P01", "55P03"})
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6


def resolve_database_url(secrets: Mapping[str, Any] | None = None) -> str:
    """DATABASE_URL wins, then `[database] url` in secrets, then a local SQLite file."""
    url = os.environ.get("DATABASE_URL")
    if not url and secrets is not None:
        database = secrets.get("database")
        if isinstance(database, Mapping):
            url = database.get("url")
    return normalise_url(url or DEFAULT_SQLITE_URL)


def normalise_url(url: str) -> str:
    """Hosted PostgreSQL providers hand out postgres:// URLs; we drive psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, *, schema: str | None = None, echo: bool = False) -> Engine:
    """Build an engine with the pragmas and pool settings each backend needs.

    `schema` pins PostgreSQL's search_path, which lets the test-suite run in a
    throw-away schema of a shared database.
    """
    url = normalise_url(url)
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={
                "check_same_thread": False,
                "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
            },
            # Writers wait for their turn holding a connection; a pool as
            # small as PostgreSQL's would make readers wait behind them.
            # A SQLite connection is only an open file.
            pool_size=SQLITE_POOL_SIZE,
            max_overflow=SQLITE_POOL_OVERFLOW,
        )
        _configure_sqlite(engine)
        return engine
    connect_args: dict[str, Any] = {}
    if schema:
        connect_args["options"] = f"-csearch_path={schema}"
    return create_engine(
        url,
        echo=echo,
        connect_args=connect_args,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=10,
    )


class _WriteQueue:
    """A first-come, first-served turn at one SQLite file's write lock for the
    threads of this process.

    SQLite's busy handler polls with growing sleeps (up to 100 ms), so a
    writer that has waited long polls rarely and keeps losing the freed lock
    to newcomers: with twenty writers some waited past the timeout although
    the lock was free most of the time. Handing the turn over in arrival
    order keeps every wait close to the queue's length; other processes are
    still kept apart by SQLite's own lock and busy_timeout.
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._held = False
        self._waiting: deque[threading.Event] = deque()

    def acquire(self, timeout: float) -> bool:
        with self._mutex:
            if not self._held and not self._waiting:
                self._held = True
                return True
            turn = threading.Event()
            self._waiting.append(turn)
        if turn.wait(timeout):
            return True
        with self._mutex:
            if turn.is_set():  # handed over just as we gave up
                return True
            self._waiting.remove(turn)
            return False

    def release(self) -> None:
        with self._mutex:
            if self._waiting:
                self._waiting.popleft().set()  # the turn passes on, never free
            else:
                self._held = False


_write_queues: dict[str, _WriteQueue] = {}
_write_queues_lock = threading.Lock()
_HOLDS_TURN = "stride_holds_write_turn"


def _write_queue(database: str) -> _WriteQueue:
    """One queue per database file, shared by every engine of this process."""
    key = os.path.realpath(database) if database and database != ":memory:" else database
    with _write_queues_lock:
        return _write_queues.setdefault(key, _WriteQueue())


def _configure_sqlite(engine: Engine) -> None:
    queue = _write_queue(make_url(engine.url).database or "")
    timeout = SQLITE_BUSY_TIMEOUT_MS / 1000

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling breaks SAVEPOINTs; we issue
        # BEGIN ourselves (SQLAlchemy's documented recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A deferred transaction that reads and then writes cannot wait for
        # the write lock: SQLite refuses the upgrade at once ("database is
        # locked") because its snapshot may be stale, and busy_timeout never
        # applies. IMMEDIATE takes the write lock up front, so writers queue
        # for up to busy_timeout instead. Which transactions will write is
        # not known when they begin, so every one is IMMEDIATE unless the
        # caller promised to only read.
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            if not connection.get_execution_options().get(READ_ONLY) and _begin_immediate(
                cursor, connection.info
            ):
                return
            # Read-only, or no write lock within the timeout: a deferred
            # transaction still reads (WAL readers never wait for writers),
            # and should it try to write, it fails at once and is rolled back.
            cursor.execute("BEGIN")
        finally:
            cursor.close()

    def _begin_immediate(cursor: Any, info: dict[str, Any]) -> bool:
        if not queue.acquire(timeout):
            log.warning("no turn to write on %s within %.0f s", engine.url, timeout)
            return False
        info[_HOLDS_TURN] = True
        try:
            cursor.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            _pass_turn(info)
            if not _sqlite_busy(error):
                raise
            log.warning("write lock on %s held elsewhere for %.0f s", engine.url, timeout)
            return False
        except BaseException:
            _pass_turn(info)
            raise
        return True

    def _pass_turn(info: dict[str, Any]) -> None:
        if info.pop(_HOLDS_TURN, False):
            queue.release()

    # Fired just before COMMIT / ROLLBACK: the next writer's BEGIN IMMEDIATE
    # then waits a millisecond in SQLite's busy handler, not in the queue.
    event.listen(engine, "commit", lambda connection: _pass_turn(connection.info))
    event.listen(engine, "rollback", lambda connection: _pass_turn(connection.info))
    # A connection handed back or thrown away mid-transaction gives up its turn too.
    event.listen(engine.pool, "reset", lambda _dbapi, record, _state: _pass_turn(record.info))
    event.listen(engine.pool, "invalidate", lambda _dbapi, record, _exc: _pass_turn(record.info))


def is_contention(error: BaseException) -> bool:
    """True when a statement failed only because other transactions held the
    database or a row for too long: trying again later can succeed."""
    if isinstance(error, exc.TimeoutError):  # no pooled connection came free in time
        return True
    if not isinstance(error, exc.DBAPIError):
        return False
    original = error.orig
    if isinstance(original, sqlite3.OperationalError):
        return _sqlite_busy(original)
    return getattr(original, "sqlstate", None) in _PG_CONTENTION_STATES


def _sqlite_busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
    message = str(error).lower()
    return "locked" in message or "busy" in message
