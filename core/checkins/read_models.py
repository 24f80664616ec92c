"""What check-in pages render: plain dataclasses, never live ORM rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd

from core.checkins.rules import CADENCE_LABELS


@dataclass(frozen=True)
class AgendaItemView:
    id: int
    position: int
    text: str
    kind: str  # question / talking point
    added_by_name: str | None
    notes: str
    version: int


@dataclass(frozen=True)
class ActionView:
    id: int
    check_in_id: int
    owner_id: int
    owner_name: str
    text: str
    due_on: date | None
    done: bool
    version: int
    carried_forward: bool = False

    def overdue(self, today: date) -> bool:
        return not self.done and self.due_on is not None and self.due_on < today


@dataclass(frozen=True)
class PrivateNoteView:
    """The actor's own private note on a check-in (never anyone else's)."""

    text: str
    version: int | None  # None: not written yet


@dataclass(frozen=True)
class CheckInView:
    id: int
    employee_id: int
    employee_name: str
    manager_id: int | None
    manager_name: str | None
    template_id: int | None
    template_name: str | None
    focus: str
    status: str
    due_on: date | None
    held_on: date | None
    completed_at: datetime | None
    acknowledged_at: datetime | None
    employee_comment: str
    version: int
    items: list[AgendaItemView] = field(default_factory=list)
    actions: list[ActionView] = field(default_factory=list)
    private_note: PrivateNoteView | None = None
    # What the actor may do here.
    can_prepare: bool = False
    can_run: bool = False
    can_acknowledge: bool = False
    can_write_private: bool = False

    @property
    def is_open(self) -> bool:
        return self.status == "planned"

    @property
    def talking_points(self) -> list[AgendaItemView]:
        return [i for i in self.items if i.kind == "talking point"]


@dataclass(frozen=True)
class CheckInSummary:
    id: int
    status: str
    due_on: date | None
    held_on: date | None
    manager_name: str | None
    focus: str
    acknowledged: bool


@dataclass(frozen=True)
class PairStatus:
    """One pair on the team page: cadence, last held, next due, streak."""

    employee_id: int
    employee_name: str
    manager_id: int | None
    cadence: str
    cadence_is_own: bool
    last_held_on: date | None
    next_due_on: date | None
    overdue: bool
    days_overdue: int
    streak: int
    open_check_in_id: int | None
    open_actions: int
    pair_version: int | None

    @property
    def cadence_label(self) -> str:
        return CADENCE_LABELS.get(self.cadence, self.cadence)


@dataclass(frozen=True)
class MyCheckIns:
    pair: PairStatus
    next_check_in: CheckInView | None
    history: list[CheckInSummary]
    open_actions: list[ActionView]
    manager_name: str | None = None  # None: nobody to check in with


@dataclass(frozen=True)
class AdherenceReport:
    """Per team (a manager's direct reports) and per unit; `reach` says whose."""

    reach: str
    since: date
    until: date
    by_team: pd.DataFrame
    by_unit: pd.DataFrame
