"""Planning a grid save (core.grid), on plain rows: no database needed."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pytest

from core.errors import StaleEdit, ValidationError
from core.grid import GridChanges, GridSaveResult, RowPlan, plan_rows, touched_names


@dataclass
class Row:
    id: int
    name: str
    version: int


def _setup(*rows: Row) -> tuple[pd.DataFrame, dict[int, Row]]:
    shown = pd.DataFrame([{"id": r.id, "name": r.name, "version": r.version} for r in rows])
    return shown, {r.id: r for r in rows}


def _plan(shown: pd.DataFrame, stored: dict[int, Row], changes: GridChanges) -> list[RowPlan]:
    return plan_rows(shown=shown, changes=changes, load=stored.get, label_column="name")


def test_rows_are_numbered_from_one_and_planned_edited_deleted_added() -> None:
    shown, stored = _setup(Row(10, "Ann", 1), Row(11, "Bob", 3), Row(12, "Cy", 1))
    changes = GridChanges(
        edited_rows={2: {"name": "Cyd"}},
        deleted_rows=[0],
        added_rows=[{"name": "Dee"}, {"name": ""}],
    )
    plans = _plan(shown, stored, changes)
    assert [(p.label, p.delete, p.name) for p in plans] == [
        ("3", False, "Cy"),
        ("1", True, "Ann"),
        ("new 1", False, "Dee"),
        ("new 2", False, "new row 2"),
    ]
    assert plans[0].row is stored[12]
    assert plans[0].values == {"id": 12, "name": "Cyd", "version": 1}
    assert plans[2].row is None
    assert plans[2].values == {"name": "Dee"}
    assert touched_names(plans) == ["Cy", "Ann"]


def test_one_stale_edit_names_every_moved_or_removed_row() -> None:
    shown, stored = _setup(Row(10, "Ann", 1), Row(11, "Bob", 1), Row(12, "Cy", 1))
    stored[11].version = 2
    del stored[12]
    changes = GridChanges(edited_rows={1: {"name": "B"}, 0: {"name": "A"}}, deleted_rows=[2])
    with pytest.raises(StaleEdit) as stale:
        _plan(shown, stored, changes)
    message = str(stale.value)
    assert "Bob, Cy after you opened the grid" in message
    assert "Ann" not in message
    assert "Nothing was saved" in message


def test_a_row_no_longer_in_the_grid_is_a_row_error_counted_from_one() -> None:
    shown, stored = _setup(Row(10, "Ann", 1))
    with pytest.raises(ValidationError) as problem:
        _plan(shown, stored, GridChanges(edited_rows={4: {"name": "x"}}))
    assert [(e.row, e.message) for e in problem.value.rows] == [
        (5, "This row is not in the grid any more.")
    ]


def test_current_values_are_what_an_edit_lands_on() -> None:
    shown, stored = _setup(Row(10, "Ann", 1))
    plans = plan_rows(
        shown=shown,
        changes=GridChanges(edited_rows={0: {"name": "Anna"}}, deleted_rows=[0]),
        load=stored.get,
        label_column="name",
        current_values=lambda row, _shown: {"name": row.name, "extra": row.id},
    )
    assert [p.values for p in plans] == [
        {"name": "Anna", "extra": 10},
        {"name": "Ann", "extra": 10},
    ]


def test_summary_counts_and_removal_verb() -> None:
    plans = [
        RowPlan("1", object(), {}),
        RowPlan("2", object(), {}, delete=True),
        RowPlan("new 1", None, {}),
        RowPlan("new 2", None, {}),
    ]
    assert GridSaveResult.of(plans).summary() == "Saved: 2 added, 1 edited, 1 deleted."
    deactivated = GridSaveResult.of(plans, removal="deactivated")
    assert (deactivated.created, deactivated.updated, deactivated.removed) == (2, 1, 1)
    assert deactivated.summary() == "Saved: 2 added, 1 edited, 1 deactivated."
