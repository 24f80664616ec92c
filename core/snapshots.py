"""Derived figures kept in the database (`computed_snapshot`), so that a
process that starts, or a second replica, reads what another computed.

A snapshot is a cache, never a source of truth. Its `stamp` names what it was
computed from (the data's own stamp and a fingerprint of the code that
computes it); a reader uses it only when the stamp is what it expects, and
anything it cannot read (no row, no table yet, a payload that does not
decode) means "compute it yourself". Writing never fails a page: two
processes writing the same key at once both succeed (an upsert, the newer
`computed_at` wins), and a database too busy to take the write leaves the
old row in place.

Payloads are zlib-compressed JSON (`pack`/`unpack`), never pickles: whoever
can write one row must not be able to run code in every process.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from db.engine import READ_ONLY
from db.models import ComputedSnapshot, utcnow

log = logging.getLogger(__name__)

FORMAT = 1


class SnapshotError(ValueError):
    """A payload that cannot be read back (corrupt, truncated, another format)."""


@dataclass(frozen=True)
class Snapshot:
    key: str
    stamp: str
    computed_at: datetime
    payload: bytes


# --- pure: the payload and the stamp --------------------------------------------


def pack(value: Any) -> bytes:
    """JSON (NaN allowed, as Python writes it) compressed with zlib."""
    text = json.dumps({"format": FORMAT, "value": value}, separators=(",", ":"))
    return zlib.compress(text.encode(), 1)


def unpack(payload: bytes) -> Any:
    """The value `pack` wrote; SnapshotError for anything else."""
    try:
        document = json.loads(zlib.decompress(payload))
    except (zlib.error, ValueError, TypeError) as error:
        raise SnapshotError(f"undecodable snapshot: {error}") from error
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise SnapshotError("snapshot of another format")
    return document.get("value")


@contextmanager
def collector_paused() -> Iterator[None]:
    """Decoding builds some 100,000 small objects at 10,000 people; Python's
    cyclic collector would walk them again and again (about 40% of the
    time). None of them form cycles, so it pauses meanwhile."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def stamp_text(*parts: Any) -> str:
    """A stamp as stored: its parts as JSON (dates as ISO text)."""
    return json.dumps([p.isoformat() if hasattr(p, "isoformat") else p for p in parts])


def encode_frame(frame: pd.DataFrame) -> dict[str, Any]:
    """A data frame as JSON values, exactly: column names, dtypes and values
    (dates in object columns tagged). Only what Stride's figures hold: a
    default index, string column names, numbers, strings, dates, None;
    anything else raises SnapshotError (the figures are then not stored)."""
    if not frame.index.equals(pd.RangeIndex(len(frame))) or type(frame.index) is not pd.RangeIndex:
        raise SnapshotError("only frames with a default index are stored")
    columns = []
    for name in frame.columns:
        if not isinstance(name, str):
            raise SnapshotError(f"column name {name!r} is not text")
        series = frame[name]
        dtype = str(series.dtype)
        if dtype == "object":
            values = [_tagged(v) for v in series.tolist()]
        elif dtype in _PLAIN_DTYPES:
            values = series.tolist()
        else:
            raise SnapshotError(f"column {name!r} of dtype {dtype} is not stored")
        columns.append([name, dtype, values])
    return {"rows": len(frame), "columns": columns}


# Dtypes whose values are JSON numbers, booleans or text (str: pandas' string
# dtype, missing values NaN).
_PLAIN_DTYPES = frozenset({"int64", "float64", "bool", "str", "string"})


def _tagged(value: Any) -> Any:
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    raise SnapshotError(f"a value of type {type(value).__name__} is not stored")


def _untagged(value: Any) -> Any:
    if isinstance(value, dict):
        if "datetime" in value:
            return datetime.fromisoformat(value["datetime"])
        return date.fromisoformat(value["date"])
    return value


def decode_frame(value: Any) -> pd.DataFrame:
    """The frame `encode_frame` wrote; SnapshotError if it does not fit."""
    try:
        rows = int(value["rows"])
        data: dict[str, pd.Series] = {}
        for name, dtype, values in value["columns"]:
            if len(values) != rows:
                raise SnapshotError(f"column {name!r} has {len(values)} of {rows} rows")
            if dtype == "object":
                data[name] = pd.Series([_untagged(v) for v in values], dtype="object")
            elif dtype in _PLAIN_DTYPES:
                data[name] = pd.Series(values, dtype=dtype)
            else:
                raise SnapshotError(f"dtype {dtype} is not stored")
        return pd.DataFrame(data, index=pd.RangeIndex(rows))
    except (KeyError, TypeError, ValueError) as error:
        if isinstance(error, SnapshotError):
            raise
        raise SnapshotError(f"frame does not decode: {error!r}") from error


def code_fingerprint(files: Iterable[str | Path]) -> str:
    """A short hash of the source files whose code computes a snapshot: a
    release that changes how figures are computed never reads the figures an
    older one stored."""
    digest = hashlib.sha256(str(FORMAT).encode())
    for name in files:
        try:
            digest.update(Path(name).read_bytes())
        except OSError:  # no sources shipped: the file's name stands in
            digest.update(str(name).encode())
    return digest.hexdigest()[:16]


# --- sessions that wrote --------------------------------------------------------

# Set on a session once it flushed or executed an INSERT, UPDATE or DELETE:
# what it reads may include changes that are later rolled back, so nothing
# it computed is kept for others (per process or in the database).
WROTE = "stride_wrote"


@event.listens_for(OrmSession, "before_flush")
def _mark_flush(session: OrmSession, *_: Any) -> None:
    session.info[WROTE] = True


@event.listens_for(OrmSession, "do_orm_execute")
def _mark_write(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[WROTE] = True


def has_written(session: OrmSession) -> bool:
    """Whether the session wrote, or holds changes it has not flushed yet."""
    return bool(session.info.get(WROTE) or session.new or session.dirty or session.deleted)


# --- storage ----------------------------------------------------------------------


def read_snapshot(session: Session, *, key: str) -> Snapshot | None:
    """The stored snapshot of `key`, or None."""
    table = ComputedSnapshot.__table__  # type: ignore[attr-defined]
    row = session.execute(
        select(table.c.stamp, table.c.computed_at, table.c.payload).where(table.c.key == key)
    ).first()
    if row is None:
        return None
    return Snapshot(key, row.stamp, row.computed_at, bytes(row.payload))


_writers: list[threading.Thread] = []
_writers_lock = threading.Lock()


def write_snapshot(
    session: Session,
    *,
    key: str,
    stamp: str,
    payload: Callable[[], bytes],
    computed_at: datetime | None = None,
) -> None:
    """Store `payload()` under `key` in a transaction of its own.

    On a session bound to an engine (the app), the payload is encoded and
    written in a background thread: the page that computed the figures does
    not wait for the encoding or for the database's write lock. On a session
    bound to a connection (an outer transaction, as in the tests), it is
    written at once, inside a savepoint of that transaction. Never raises."""
    at = computed_at or utcnow()
    bind: Any = session.get_bind()
    if isinstance(bind, Connection):
        try:
            with bind.begin_nested():
                _upsert(bind, key=key, stamp=stamp, computed_at=at, payload=payload())
        except Exception:
            log.warning("snapshot %s not written", key, exc_info=True)
        return
    engine: Engine = bind.engine.execution_options(**{READ_ONLY: False})
    thread = threading.Thread(
        target=_write_in_background,
        args=(engine, key, stamp, at, payload),
        name=f"stride-snapshot-{key}",
        daemon=True,
    )
    # Started before it is listed: `wait_for_writes` in another thread must
    # never join a thread that has not started (RuntimeError).
    with _writers_lock:
        thread.start()
        _writers[:] = [t for t in _writers if t.is_alive()]
        _writers.append(thread)


def _write_in_background(
    engine: Engine, key: str, stamp: str, at: datetime, payload: Callable[[], bytes]
) -> None:
    try:
        data = payload()
        with engine.begin() as connection:
            _upsert(connection, key=key, stamp=stamp, computed_at=at, payload=data)
    except Exception:  # a cache: the old row (or none) stays, readers compute
        log.warning("snapshot %s not written", key, exc_info=True)


def wait_for_writes(timeout_s: float = 60.0) -> None:
    """Wait for the background writes started so far (tests, benchmarks)."""
    with _writers_lock:
        pending = list(_writers)
    for thread in pending:
        thread.join(timeout_s)


def _upsert(
    connection: Connection, *, key: str, stamp: str, computed_at: datetime, payload: bytes
) -> None:
    """Insert, or replace a row computed no later than this one: two writers
    of one key at once both succeed and the later computation stays."""
    table = ComputedSnapshot.__table__  # type: ignore[attr-defined]
    values = {"key": key, "stamp": stamp, "computed_at": computed_at, "payload": payload}
    dialect = connection.dialect.name
    insert: Any
    if dialect == "postgresql":
        insert = postgresql.insert(table)
    elif dialect == "sqlite":
        insert = sqlite.insert(table)
    else:  # pragma: no cover - Stride runs on SQLite and PostgreSQL only
        raise NotImplementedError(dialect)
    statement = insert.values(**values).on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "stamp": insert.excluded.stamp,
            "computed_at": insert.excluded.computed_at,
            "payload": insert.excluded.payload,
        },
        where=table.c.computed_at <= insert.excluded.computed_at,
    )
    connection.execute(statement)


def delete_snapshots(session: Session, *, prefix: str = "") -> int:
    """Forget stored snapshots whose key starts with `prefix` (benchmarks
    measuring a database nobody computed on; safe at any time)."""
    table = ComputedSnapshot.__table__  # type: ignore[attr-defined]
    result: Any = session.execute(table.delete().where(table.c.key.startswith(prefix)))
    return int(result.rowcount or 0)
