"""How a concurrent save's refusal becomes StaleEdit or Busy (core.versioning)."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from core.errors import Busy, StaleEdit
from core.versioning import lost_race, refuse_if_stale


class _SqliteError(Exception):
    def __init__(self, code: int) -> None:
        self.sqlite_errorcode = code


class _PostgresError(Exception):
    def __init__(self, sqlstate: str) -> None:
        self.sqlstate = sqlstate


def _wrapped(original: Exception) -> OperationalError:
    return OperationalError("UPDATE …", {}, original)


@pytest.mark.parametrize(
    ("original", "lost"),
    [
        (_SqliteError(5), True),  # SQLITE_BUSY
        (_SqliteError(517), True),  # SQLITE_BUSY_SNAPSHOT
        (_SqliteError(6), False),  # SQLITE_LOCKED: a table lock, not a race between saves
        (_SqliteError(10), False),  # SQLITE_IOERR
        (_PostgresError("40001"), True),
        (_PostgresError("40P01"), True),
        (_PostgresError("57014"), False),  # statement timeout
    ],
)
def test_lost_race(original: Exception, lost: bool) -> None:
    assert lost_race(_wrapped(original)) is lost


def test_refusals_become_stale_edits_and_other_errors_pass() -> None:
    with pytest.raises(StaleEdit, match="Ann changed"), refuse_if_stale("Ann changed it"):
        raise StaleDataError("0 rows matched")
    # A lock not had in time is "busy, try again", never "someone changed it".
    with pytest.raises(Busy), refuse_if_stale("Ann changed it"):
        raise _wrapped(_SqliteError(5))
    with pytest.raises(OperationalError), refuse_if_stale("Ann changed it"):
        raise _wrapped(_SqliteError(10))
