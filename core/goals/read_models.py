"""Read models of goals that pages render, and the choices they offer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd

from core.goals import rules as pm
from core.imports import ImportPreview
from db.models import (
    Confidence,
    GoalKind,
    GoalLevel,
    GoalStatus,
    MetricType,
    ProgressUpdateRead,
)

OPEN_STATUSES = (GoalStatus.draft.value, GoalStatus.active.value)
# What a goal form offers, the default first: a new goal is a commitment.
STATUS_CHOICES = (GoalStatus.active.value, GoalStatus.draft.value)
CLOSING_STATUSES = (GoalStatus.completed.value, GoalStatus.cancelled.value)
LEVELS = [level.value for level in GoalLevel]
KINDS = [kind.value for kind in GoalKind]
METRICS = [metric.value for metric in MetricType]
CONFIDENCES = [confidence.value for confidence in Confidence]


# --- read models ------------------------------------------------------------


@dataclass(frozen=True)
class KeyResultView:
    id: int
    goal_id: int
    title: str
    metric: str
    start_value: float
    target_value: float
    current_value: float
    unit: str
    weight: float
    version: int
    progress: float
    decreasing: bool
    last_confidence: str | None
    last_update_at: datetime | None

    def shown(self, value: float) -> str:
        return pm.format_value(value, metric=self.metric, unit=self.unit)


@dataclass(frozen=True)
class GoalView:
    id: int
    title: str
    description: str
    level: str
    kind: str
    status: str
    owner_id: int | None
    owner_name: str | None
    org_unit_id: int | None
    unit_name: str | None
    parent_id: int | None
    parent_title: str | None
    parent_progress: float | None
    cycle_id: int
    due_on: date | None
    final_rating: int | None
    version: int
    progress: float | None
    rolled_up: float | None
    at_risk: bool
    stale: bool
    last_activity: datetime | None
    can_edit: bool
    key_results: list[KeyResultView] = field(default_factory=list)

    @property
    def holder(self) -> str:
        return self.owner_name or self.unit_name or ""

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


def average_progress(goals: list[GoalView]) -> float | None:
    """Mean rolled-up progress of the open goals that have one (None: none has)."""
    measured = [g.rolled_up for g in goals if g.is_open and g.rolled_up is not None]
    return sum(measured) / len(measured) if measured else None


_COMPARED_FIELDS = {
    "title": "title",
    "description": "description",
    "kind": "kind",
    "status": "status",
    "due_on": "due date",
    "parent_id": "alignment",
    "final_rating": "rating",
}


def goal_changes(before: GoalView, after: GoalView) -> list[str]:
    """What differs between two views of one goal, in words ("title",
    "key result Latency: progress")."""
    changed = [
        label
        for name, label in _COMPARED_FIELDS.items()
        if getattr(before, name) != getattr(after, name)
    ]
    old_krs = {kr.id: kr for kr in before.key_results}
    new_krs = {kr.id: kr for kr in after.key_results}
    for kr_id, kr in new_krs.items():
        old = old_krs.get(kr_id)
        if old is None:
            changed.append(f"new key result {kr.title}")
        elif old.current_value != kr.current_value:
            changed.append(f"progress of {kr.title}")
        elif old.version != kr.version:
            changed.append(f"key result {kr.title}")
    changed.extend(
        f"removed key result {kr.title}" for i, kr in old_krs.items() if i not in new_krs
    )
    return changed


@dataclass(frozen=True)
class GoalDetail:
    goal: GoalView
    history: list[ProgressUpdateRead]

    def history_frame(self) -> pd.DataFrame:
        """Newest first, with each update's progress on its key result."""
        krs = {kr.id: kr for kr in self.goal.key_results}
        rows = []
        for update in self.history:
            kr = krs.get(update.key_result_id)
            rows.append(
                {
                    "at": update.at,
                    "key result": kr.title if kr else "",
                    "value": update.value,
                    "progress": pm.key_result_progress(
                        start=kr.start_value,
                        target=kr.target_value,
                        current=update.value,
                        metric=kr.metric,
                    )
                    if kr
                    else None,
                    "confidence": update.confidence,
                    "note": update.note,
                    "by": update.author_name or "",
                }
            )
        return pd.DataFrame(
            rows, columns=["at", "key result", "value", "progress", "confidence", "note", "by"]
        )


@dataclass(frozen=True)
class AlignmentBranch:
    root_id: int | None  # None: goals not aligned to anything visible
    title: str
    rolled_up: float | None
    rows: pd.DataFrame


@dataclass(frozen=True)
class GoalReport:
    by_team: pd.DataFrame
    by_person: pd.DataFrame
    at_risk: pd.DataFrame
    distribution: pd.DataFrame
    goals: int

    @property
    def average_progress(self) -> float | None:
        """The mean of the people's average progress (None: nobody has any)."""
        if self.by_person.empty:
            return None
        value = self.by_person["average progress"].mean()
        return None if pd.isna(value) else float(value)


@dataclass(frozen=True, kw_only=True)
class GoalImportPreview(ImportPreview):
    """The shared import contract, plus the rows read (for the preview
    tables) and the parsed sheets, so a commit does not read the file again."""

    goals: pd.DataFrame = field(default_factory=pd.DataFrame)
    key_results: pd.DataFrame = field(default_factory=pd.DataFrame)
    sheets: Any = field(default=None, repr=False, compare=False)

    @property
    def goals_added(self) -> int:
        return self.counts.get("goals added", 0)

    @property
    def key_results_added(self) -> int:
        return self.counts.get("key results added", 0)
