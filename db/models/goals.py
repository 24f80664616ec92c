"""Goals and OKRs: cycles, goals, key results and their progress history."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlmodel import Column, Field, SQLModel, Text

from db.models.base import Versioned, utcnow


class GoalLevel(enum.StrEnum):
    company = "company"
    team = "team"
    individual = "individual"


class GoalKind(enum.StrEnum):
    performance = "performance"
    development = "development"


class GoalStatus(enum.StrEnum):
    draft = "draft"
    active = "active"
    completed = "completed"
    cancelled = "cancelled"


class MetricType(enum.StrEnum):
    number = "number"
    percent = "percent"
    currency = "currency"
    boolean = "boolean"


class Confidence(enum.StrEnum):
    on_track = "on track"
    at_risk = "at risk"
    off_track = "off track"


class GoalCycleBase(SQLModel):
    name: str = Field(max_length=80, unique=True)
    starts_on: date
    ends_on: date


class GoalCycle(GoalCycleBase, table=True):
    id: int | None = Field(default=None, primary_key=True)


class GoalCycleCreate(GoalCycleBase):
    pass


class GoalCycleRead(GoalCycleBase):
    id: int


class GoalBase(SQLModel):
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    level: str = Field(default=GoalLevel.individual.value, max_length=20, index=True)
    kind: str = Field(default=GoalKind.performance.value, max_length=20)
    status: str = Field(default=GoalStatus.active.value, max_length=20, index=True)
    # An individual goal has an owner; a team or company goal has a unit.
    owner_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    org_unit_id: int | None = Field(default=None, foreign_key="orgunit.id", index=True)
    # Alignment: the team or company goal this one contributes to.
    parent_id: int | None = Field(default=None, foreign_key="goal.id", index=True)
    cycle_id: int = Field(foreign_key="goalcycle.id", index=True)
    due_on: date | None = None
    # Set when the goal is closed, on core.goals.rules.GOAL_RATINGS (1–5).
    final_rating: int | None = Field(default=None, ge=1, le=5)


class Goal(Versioned, GoalBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None
    version: int = Field(default=1)


class GoalCreate(SQLModel):
    title: str
    description: str = ""
    level: str = GoalLevel.individual.value
    kind: str = GoalKind.performance.value
    status: str = GoalStatus.active.value
    owner_id: int | None = None
    org_unit_id: int | None = None
    parent_id: int | None = None
    cycle_id: int
    due_on: date | None = None


class GoalUpdate(SQLModel):
    title: str | None = None
    description: str | None = None
    kind: str | None = None
    status: str | None = None
    parent_id: int | None = None
    due_on: date | None = None
    # Explicitly clear the alignment (None in parent_id means "unchanged").
    clear_parent: bool = False


class GoalRead(GoalBase):
    id: int
    version: int
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class KeyResultBase(SQLModel):
    title: str = Field(max_length=200)
    metric: str = Field(default=MetricType.number.value, max_length=20)
    # A target below the start is a decreasing key result (e.g. churn 8 % → 5 %).
    start_value: float = 0.0
    target_value: float = 100.0
    current_value: float = 0.0
    unit: str = Field(default="", max_length=20)
    weight: float = Field(default=1.0, ge=0)


class KeyResult(Versioned, KeyResultBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    goal_id: int = Field(foreign_key="goal.id", index=True)
    version: int = Field(default=1)


class KeyResultCreate(KeyResultBase):
    pass


class KeyResultRead(KeyResultBase):
    id: int
    goal_id: int
    version: int


class ProgressUpdate(SQLModel, table=True):
    """Append-only history of a key result's value; feeds trends and staleness."""

    id: int | None = Field(default=None, primary_key=True)
    key_result_id: int = Field(foreign_key="keyresult.id", index=True)
    value: float
    confidence: str = Field(default=Confidence.on_track.value, max_length=20)
    note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    author_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    at: datetime = Field(default_factory=utcnow, index=True)


class ProgressUpdateRead(SQLModel):
    id: int
    key_result_id: int
    value: float
    confidence: str
    note: str
    author_id: int | None
    author_name: str | None
    at: datetime
