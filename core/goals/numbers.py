"""A cycle's measured numbers as plain values, and their stored form.

`_MeasuredCycle` is what `core.goals.queries` measures for a whole cycle
(every goal's own and rolled-up progress, its key results, its last
activity); it is kept per process and, as a snapshot, in the database
(core/snapshots.py). `encode_cycle` and `decode_cycle` turn it into
column lists of JSON values and back, exactly: the same goals in the same
order with the same values and types (ints stay ints, floats floats, NaN
NaN, aware datetimes aware). Pure: no database, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from core.goals.read_models import KeyResultView
from core.snapshots import SnapshotError


@dataclass(slots=True)
class _GoalRow:
    """The columns of a goal the numbers need (plain values: loading tens of
    thousands of ORM objects would dominate a page at 10,000 people)."""

    id: int
    title: str
    level: str
    kind: str
    status: str
    owner_id: int | None
    org_unit_id: int | None
    parent_id: int | None
    cycle_id: int
    due_on: date | None
    final_rating: int | None
    version: int
    created_at: datetime


@dataclass(frozen=True)
class _MeasuredCycle:
    """A cycle's numbers without the flags that depend on today. Shared
    between callers through the per-process memo: nobody mutates it."""

    goals: dict[int, _GoalRow]
    measured: set[int]
    key_results: Mapping[int, list[KeyResultView]]
    own: dict[int, float | None]
    rolled: dict[int, float | None]
    last_activity: dict[int, datetime]


class _StoredKeyResults(Mapping[int, list[KeyResultView]]):
    """The key results of a decoded snapshot, each goal's built when first
    asked for: the pages that show a whole cycle (alignment, goal report)
    need only each goal's latest confidences, and building 43,000 key
    results at 10,000 people was half of reading a snapshot. Equal to the
    dict it was encoded from."""

    def __init__(self, order: list[int], columns: list[list[Any]]) -> None:
        self._columns = columns
        self._rows: dict[int, list[int]] = {goal_id: [] for goal_id in order}
        for index, goal_id in enumerate(columns[_KR_GOAL]):
            self._rows[goal_id].append(index)
        self._built: dict[int, list[KeyResultView]] = {}

    def __getitem__(self, goal_id: int) -> list[KeyResultView]:
        built = self._built.get(goal_id)
        if built is None:
            columns = self._columns
            built = [
                KeyResultView(*[column[i] for column in columns[:-1]], _time(columns[-1][i]))  # type: ignore[call-arg]
                for i in self._rows[goal_id]
            ]
            # Two threads may both build it: equal lists, either is kept.
            self._built[goal_id] = built
        return built

    def __iter__(self) -> Iterator[int]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def confidences(self, goal_id: int) -> list[str | None]:
        column = self._columns[_KR_CONFIDENCE]
        return [column[i] for i in self._rows.get(goal_id, ())]


def last_confidences(
    key_results: Mapping[int, list[KeyResultView]], goal_id: int
) -> list[str | None]:
    """The latest confidence of each of a goal's key results (without
    building stored key results)."""
    if isinstance(key_results, _StoredKeyResults):
        return key_results.confidences(goal_id)
    return [kr.last_confidence for kr in key_results.get(goal_id, [])]


_GOAL_FIELDS = (
    "id",
    "title",
    "level",
    "kind",
    "status",
    "owner_id",
    "org_unit_id",
    "parent_id",
    "cycle_id",
    "due_on",
    "final_rating",
    "version",
    "created_at",
)
_KR_FIELDS = (
    "id",
    "goal_id",
    "title",
    "metric",
    "start_value",
    "target_value",
    "current_value",
    "unit",
    "weight",
    "version",
    "progress",
    "decreasing",
    "last_confidence",
    "last_update_at",
)
_KR_GOAL = _KR_FIELDS.index("goal_id")
_KR_CONFIDENCE = _KR_FIELDS.index("last_confidence")
assert _KR_FIELDS[-1] == "last_update_at"  # the one column decoded as a time
_GOAL_DATES = {"due_on"}
_GOAL_TIMES = {"created_at"}
_KR_TIMES = {"last_update_at"}


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _dates(values: list[str | None]) -> list[date | None]:
    return [None if v is None else date.fromisoformat(v) for v in values]


def _times(values: list[str | None]) -> list[datetime | None]:
    return [None if v is None else datetime.fromisoformat(v) for v in values]


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def encode_cycle(numbers: _MeasuredCycle) -> dict[str, Any]:
    """Column lists, goals in the memo's order; key results in their order
    under each goal; the per-goal figures aligned with `goals`."""
    goals = list(numbers.goals.values())
    goal_columns: dict[str, list[Any]] = {}
    for name in _GOAL_FIELDS:
        values = [getattr(goal, name) for goal in goals]
        if name in _GOAL_DATES or name in _GOAL_TIMES:
            values = [_iso(v) for v in values]
        goal_columns[name] = values
    key_results = [kr for krs in numbers.key_results.values() for kr in krs]
    kr_columns: dict[str, list[Any]] = {}
    for name in _KR_FIELDS:
        values = [getattr(kr, name) for kr in key_results]
        if name in _KR_TIMES:
            values = [_iso(v) for v in values]
        kr_columns[name] = values
    ids = [goal.id for goal in goals]
    return {
        "goals": goal_columns,
        "measured": sorted(numbers.measured),
        # Key results grouped by goal, in the groups' own order.
        "kr_goal_order": list(numbers.key_results),
        "key_results": kr_columns,
        # Per goal, aligned with "goals" (plain lists decode fastest).
        "own": _aligned(numbers.own, ids),
        "rolled": _aligned(numbers.rolled, ids),
        "last_activity": _aligned({i: _iso(at) for i, at in numbers.last_activity.items()}, ids),
    }


def _aligned(values: dict[int, Any], ids: list[int]) -> dict[str, Any]:
    """A per-goal figure as a list aligned with `ids`, the ids it has no
    entry for, and entries for goals not in `ids` (both normally empty)."""
    known = set(ids)
    return {
        "values": [values.get(i) for i in ids],
        "absent": [i for i in ids if i not in values],
        "others": [[i, v] for i, v in values.items() if i not in known],
    }


def _unaligned(column: dict[str, Any], ids: list[int]) -> dict[int, Any]:
    values = dict(zip(ids, column["values"], strict=True))
    for i in column["absent"]:
        del values[i]
    values.update((int(i), v) for i, v in column["others"])
    return values


def decode_cycle(value: Any) -> _MeasuredCycle:
    """The numbers `encode_cycle` wrote; SnapshotError if they do not fit."""
    try:
        goal_columns = value["goals"]
        columns = [goal_columns[name] for name in _GOAL_FIELDS]
        for index, name in enumerate(_GOAL_FIELDS):
            if name in _GOAL_DATES:
                columns[index] = _dates(columns[index])
            elif name in _GOAL_TIMES:
                columns[index] = _times(columns[index])
        goals = {row.id: row for row in map(_GoalRow, *columns)}
        kr_columns = value["key_results"]
        kr_lists = [kr_columns[name] for name in _KR_FIELDS]
        kr_lengths = {len(c) for c in kr_lists}
        if len(kr_lengths) > 1:
            raise SnapshotError("key result columns of different lengths")
        key_results = _StoredKeyResults(list(value["kr_goal_order"]), kr_lists)
        ids = list(goals)
        own = _unaligned(value["own"], ids)
        rolled = _unaligned(value["rolled"], ids)
        last_activity = {
            i: datetime.fromisoformat(v) for i, v in _unaligned(value["last_activity"], ids).items()
        }
        measured = set(value["measured"])
        goal_lengths = {len(c) for c in columns}
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise SnapshotError(f"cycle numbers do not decode: {error!r}") from error
    if len(goal_lengths) > 1 or len(goals) != len(columns[0]) or not measured <= set(goals):
        raise SnapshotError("cycle numbers do not fit together")
    return _MeasuredCycle(goals, measured, key_results, own, rolled, last_activity)
