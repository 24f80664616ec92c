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
