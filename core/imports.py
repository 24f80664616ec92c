"""What every file import shares: the preview contract and the column limits.

An importer reads a file, checks every row against the rules and the database,
and returns an `ImportPreview`: the row errors (row, column, message), the
counts of what would change, notes, and by name what the import would
delete. Row-level problems never raise; only a file that cannot be read at
all raises `ValidationError`. Committing returns the same kind of object,
with `committed` set once the rows were written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from core.errors import RowError, ValidationError
from core.export import workbook_bytes

ERROR_COLUMNS = ["row", "column", "problem"]
# Enough to fix a file by; a broken file of 20,000 rows would list them all.
MAX_ERRORS = 200


@dataclass(frozen=True, kw_only=True)
class ImportPreview:
    errors: tuple[RowError, ...] = ()
    counts: Mapping[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    # What the file leaves out that an import could delete, by name.
    removals: tuple[str, ...] = ()
    committed: bool = False

    @property
    def valid(self) -> bool:
        return not self.errors

    def errors_frame(self) -> pd.DataFrame:
        return errors_frame(self.errors)

    def errors_workbook(self) -> bytes:
        return workbook_bytes({"Errors": self.errors_frame()})

    def counts_frame(self) -> pd.DataFrame:
        return pd.DataFrame(sorted(self.counts.items()), columns=["change", "rows"])


def errors_frame(errors: Iterable[RowError]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"row": str(e.row), "column": e.column, "problem": e.message} for e in errors],
        columns=ERROR_COLUMNS,
    )


class RowProblems(ValidationError):
    """Raised inside a parser for problems of rows; the importer turns it
    into a preview, so it never reaches a page."""


def column_limit(model: type[Any], name: str) -> int:
    """The length the database enforces on a text column, read from the model
    so that checks follow the schema (PostgreSQL refuses longer text, SQLite
    stores it: checking here keeps both backends alike)."""
    length = model.__table__.columns[name].type.length
    if not isinstance(length, int):
        raise TypeError(f"{model.__name__}.{name} has no length limit")
    return length


def length_problem(value: str, limit: int) -> str | None:
    if len(value) <= limit:
        return None
    return f"At most {limit:,} characters (this has {len(value):,})."


def file_digest(data: bytes) -> str:
    """What a page keys a parsed upload by: the same bytes are parsed once."""
    return hashlib.sha256(data).hexdigest()
