"""Module switches per org unit and the rollout plan (issue: pilot and tailor)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from db.models.base import Versioned, utcnow


class ModuleSwitch(Versioned, SQLModel, table=True):
    """A unit's own on/off for one module; no row means "as the parent"."""

    __table_args__ = (UniqueConstraint("org_unit_id", "module"),)

    id: int | None = Field(default=None, primary_key=True)
    org_unit_id: int = Field(foreign_key="orgunit.id", index=True)
    module: str = Field(max_length=30)
    enabled: bool
    version: int = 1
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by_id: int | None = Field(default=None, foreign_key="person.id")


class RolloutStepKind(enum.StrEnum):
    pilot = "pilot"
    widening = "widening"


class RolloutStepBase(SQLModel):
    module: str = Field(max_length=30)
    org_unit_id: int = Field(foreign_key="orgunit.id")
    kind: str = Field(default=RolloutStepKind.pilot.value, max_length=20)
    starts_on: date
    note: str = Field(default="", max_length=500)


class RolloutStep(Versioned, RolloutStepBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    version: int = 1


class RolloutStepRead(RolloutStepBase):
    id: int
    version: int
    unit_name: str
