"""What every grid save shares: the edit as `st.data_editor` reports it, and
the test for an empty cell (None, NaN, NaT, pd.NA or blank text)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass
class GridChanges:
    """What `st.data_editor` reports, keyed by row position in the shown frame."""

    edited_rows: dict[int, dict[str, Any]] = field(default_factory=dict)
    added_rows: list[dict[str, Any]] = field(default_factory=list)
    deleted_rows: list[int] = field(default_factory=list)

    @classmethod
    def from_editor_state(cls, state: dict[str, Any] | None) -> GridChanges:
        state = state or {}
        return cls(
            edited_rows={int(k): v for k, v in state.get("edited_rows", {}).items()},
            added_rows=list(state.get("added_rows", [])),
            deleted_rows=[int(r) for r in state.get("deleted_rows", [])],
        )

    @property
    def is_empty(self) -> bool:
        return not (self.edited_rows or self.added_rows or self.deleted_rows)


def is_blank(value: Any) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    if isinstance(value, float) and pd.isna(value):
        return True
    return isinstance(value, str) and not value.strip()


def text_or_none(value: Any) -> str | None:
    """Trimmed text of a cell, or None when it is blank."""
    return None if is_blank(value) else str(value).strip()
