"""Optimistic locking, the part services share.

Versioned tables (db.models.Versioned) make every ORM UPDATE and DELETE
conditional on the version that was loaded. A save first compares the loaded
version with the one the user opened (`check_version`), which refuses edits
that are already stale; the conditional write then settles the race between
that read and the write atomically, and `refuse_if_stale` turns the
database's refusal into the same `StaleEdit` a page shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from core.errors import Busy, StaleEdit

# PostgreSQL: a serialization failure or a deadlock between two saves.
_LOST_RACE_SQLSTATES = {"40001", "40P01"}
# The primary result code; extended codes keep it in the low byte.
_SQLITE_BUSY = 5


def check_version(row: Any, expected: int, message: str) -> None:
    """Refuse the edit when the row moved on since the user opened it."""
    if row.version != expected:
        raise StaleEdit(message)


def touch(row: Any) -> None:
    """Make the next flush write the row (and so check and move its version)
    even when the edit left every value as it was."""
    mapper = inspect(row).mapper
    for attribute in mapper.column_attrs:
        column = attribute.columns[0]
        if not column.primary_key and column is not mapper.version_id_col:
            flag_modified(row, attribute.key)
            return


def lost_race(error: OperationalError) -> bool:
    """Whether the database refused a write because a concurrent transaction
    is writing or wrote first.

    SQLite answers SQLITE_BUSY (or its BUSY_SNAPSHOT variant) at once, without
    waiting, when a transaction that has read tries to write while another
    holds the write lock or has committed since: its snapshot would be stale.
    PostgreSQL reports a serialization failure or a deadlock between saves."""
    original = error.orig
    code = getattr(original, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF == _SQLITE_BUSY
    return getattr(original, "sqlstate", None) in _LOST_RACE_SQLSTATES


@contextmanager
def refuse_if_stale(message: str) -> Iterator[None]:
    """Turn a concurrent save's refusal of the writes inside into `StaleEdit`.
    Flush inside the block, or the refusal surfaces at commit, outside it."""
    try:
        yield
    except StaleDataError as error:
        raise StaleEdit(message) from error
    except OperationalError as error:
        if lost_race(error):
            # With writers queueing (BEGIN IMMEDIATE), this is a lock that could
            # not be had in time, not a lost edit: the user can simply retry.
            raise Busy() from error
        raise


def flush_versioned(session: Session, message: str) -> None:
    with refuse_if_stale(message):
        session.flush()
