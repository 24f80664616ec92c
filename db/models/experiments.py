"""Cadence experiments: HR compares two check-in cadences between units, or
between randomly assigned manager–report pairs of one unit, for a period.

An `Experiment` names its two variants (check-in cadences) and its period;
its `ExperimentMember` rows say who is in which arm and what cadence they had
before, so finishing restores it:

- a unit row (`unit_id`): in the units design, a unit whose default cadence
  the experiment sets (`chosen` marks the units HR picked; the units below
  them are added when it starts, since a unit's default cadence covers only
  the people sitting in it);
- a person row (`employee_id`): in the pairs design, a pair assigned to an
  arm; in the units design, a pair of an arm's units that had a cadence of
  its own, cleared while the experiment runs so the arm's cadence applies.

`previous_every` is the cadence before the start (None: no own cadence, the
unit's or the organisation's default applied).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlmodel import Column, Field, SQLModel, Text

from db.models.base import Versioned, utcnow


class ExperimentDesign(enum.StrEnum):
    units = "units"  # arm A's units against arm B's units
    pairs = "pairs"  # the pairs of one unit, assigned to arms at random


class ExperimentStatus(enum.StrEnum):
    draft = "draft"
    running = "running"
    finished = "finished"
    applied = "applied"


class ExperimentBase(SQLModel):
    name: str = Field(max_length=120)
    hypothesis: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    design: str = Field(default=ExperimentDesign.units.value, max_length=20)
    # The pairs design: the unit whose pairs are assigned (with the units below it).
    unit_id: int | None = Field(default=None, foreign_key="orgunit.id")
    variant_a: str = Field(max_length=20)
    variant_b: str = Field(max_length=20)
    # The outcome that decides the winner (core.experiments.rules.Outcome).
    primary_outcome: str = Field(default="adherence", max_length=30)
    starts_on: date
    ends_on: date
    seed: int = 0


class Experiment(Versioned, ExperimentBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(default=ExperimentStatus.draft.value, max_length=20, index=True)
    winner: str | None = Field(default=None, max_length=1)
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    applied_at: datetime | None = None
    version: int = Field(default=1)


class ExperimentCreate(ExperimentBase):
    """What HR fills in; the units design also names each arm's units."""

    units_a: list[int] = []
    units_b: list[int] = []


class ExperimentRead(ExperimentBase):
    id: int
    status: str
    winner: str | None
    version: int
    unit_name: str | None = None
    units_a: list[str] = []
    units_b: list[str] = []
    people_a: int = 0
    people_b: int = 0


class ExperimentMember(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    experiment_id: int = Field(foreign_key="experiment.id", index=True)
    arm: str = Field(max_length=1)
    unit_id: int | None = Field(default=None, foreign_key="orgunit.id", index=True)
    employee_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    chosen: bool = False
    previous_every: str | None = Field(default=None, max_length=20)
