"""What every grid save shares: the edit as `st.data_editor` reports it, the
test for an empty cell (None, NaN, NaT, pd.NA or blank text), and planning a
save row by row against the rows as they are now."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlmodel import Session

from core.errors import RowError, StaleEdit, ValidationError


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


# --- planning a grid save ------------------------------------------------------


@dataclass
class RowPlan:
    """One row of a grid save: what it becomes and the row it was re-read as."""

    # How people count the row: "3" is the third row shown (from 1),
    # "new 1" the first added row.
    label: str
    # The stored row, re-read for this save; None for an added row.
    row: Any | None
    # The shown values with the edits on top; an added row's own values.
    values: dict[str, Any]
    delete: bool = False
    # What the stale message calls the row (its label column as shown).
    name: str = ""


@dataclass(frozen=True)
class GridSaveResult:
    created: int = 0
    updated: int = 0
    removed: int = 0
    # Some grids delete removed rows; the people grid deactivates them.
    removal: str = "deleted"

    @classmethod
    def of(cls, plans: list[RowPlan], *, removal: str = "deleted") -> GridSaveResult:
        return cls(
            created=sum(p.row is None for p in plans),
            updated=sum(p.row is not None and not p.delete for p in plans),
            removed=sum(p.delete for p in plans),
            removal=removal,
        )

    def summary(self) -> str:
        return f"Saved: {self.created} added, {self.updated} edited, {self.removed} {self.removal}."


def stale_refusal(names: list[str]) -> str:
    return (
        "Someone else changed "
        + ", ".join(sorted(set(names)))
        + " after you opened the grid (or removed them). Nothing was saved; reload to see "
        "their change and edit again."
    )


def refuse(problems: list[RowError]) -> None:
    if problems:
        raise ValidationError("Nothing was saved: fix the rows below.", rows=problems)


def loader(
    session: Session, model: type[Any], *, scope: Callable[[Any], bool] | None = None
) -> Callable[[int], Any | None]:
    """Re-read a row by id; a row outside `scope` counts as gone."""

    def load(row_id: int) -> Any | None:
        row = session.get(model, row_id)
        return row if row is not None and (scope is None or scope(row)) else None

    return load


def plan_rows(
    *,
    shown: pd.DataFrame,
    changes: GridChanges,
    load: Callable[[int], Any | None],
    label_column: str,
    current_values: Callable[[Any, dict[str, Any]], dict[str, Any]] | None = None,
) -> list[RowPlan]:
    """Turn a grid edit into row plans: edited, then deleted, then added rows.

    Every edited or deleted row is re-read (`load`, by the shown `id`) and its
    version compared with the shown `version`; if any is gone or moved on, one
    `StaleEdit` names them all and nothing is planned. `current_values` gives
    the values an edit lands on (default: the row as shown)."""
    stale: list[str] = []
    problems: list[RowError] = []
    plans: list[RowPlan] = []

    def existing(position: int, *, delete: bool, edits: dict[str, Any]) -> None:
        if not 0 <= position < len(shown):
            problems.append(RowError(position + 1, "", "This row is not in the grid any more."))
            return
        values = {str(k): v for k, v in shown.iloc[position].to_dict().items()}
        name = str(values.get(label_column))
        row = load(int(values["id"]))
        if row is None or row.version != int(values["version"]):
            stale.append(name)
            return
        if current_values is not None:
            values = current_values(row, values)
        plans.append(RowPlan(str(position + 1), row, {**values, **edits}, delete, name))

    for position, edits in changes.edited_rows.items():
        existing(int(position), delete=False, edits=edits)
    for position in changes.deleted_rows:
        existing(int(position), delete=True, edits={})
    for index, added in enumerate(changes.added_rows, start=1):
        name = text_or_none(added.get(label_column)) or f"new row {index}"
        plans.append(RowPlan(f"new {index}", None, dict(added), name=name))
    if stale:
        raise StaleEdit(stale_refusal(stale))
    refuse(problems)
    return plans


def touched_names(plans: list[RowPlan]) -> list[str]:
    """The stored rows a save writes, as its stale message names them."""
    return [p.name for p in plans if p.row is not None]
