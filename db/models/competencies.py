"""Competencies: frameworks, scales, level descriptors and role maps."""

from __future__ import annotations

import enum

from sqlalchemy import UniqueConstraint
from sqlmodel import Column, Field, SQLModel, Text

from db.models.base import Versioned


class CompetencyKind(enum.StrEnum):
    """`cluster` groups other competencies (the hierarchy's inner nodes); the
    other kinds are what roles require and people are assessed on."""

    cluster = "cluster"
    core = "core"
    specialist = "specialist"
    skill = "skill"


class ScaleBase(SQLModel):
    name: str = Field(max_length=120, unique=True)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class Scale(Versioned, ScaleBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(default=1)


class ScaleRead(ScaleBase):
    id: int
    version: int


class ScaleValueBase(SQLModel):
    scale_id: int = Field(foreign_key="scale.id", index=True)
    name: str = Field(max_length=120)
    # 1 is the lowest level; ranks are unique within a scale (checked in core,
    # not by a constraint, so a grid can reorder levels in one save).
    rank: int = Field(ge=1)
    # The lowest proficient value marks "meets the standard" for gap analysis.
    proficient: bool = False
    # The value a new rating starts on; at most one per scale.
    is_default: bool = False


class ScaleValue(Versioned, ScaleValueBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(default=1)


class ScaleValueRead(ScaleValueBase):
    id: int
    version: int


class FrameworkBase(SQLModel):
    code: str = Field(max_length=100, unique=True, index=True)
    name: str = Field(max_length=200)
    # Where it came from: "stride" (made here), "excel", "moodle".
    source: str = Field(default="stride", max_length=40)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # The scale of every competency that names none of its own.
    scale_id: int = Field(foreign_key="scale.id", index=True)


class Framework(Versioned, FrameworkBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(default=1)


class FrameworkRead(FrameworkBase):
    id: int
    version: int


class CompetencyBase(SQLModel):
    framework_id: int = Field(foreign_key="framework.id", index=True)
    parent_id: int | None = Field(default=None, foreign_key="competency.id", index=True)
    # Unique within a framework (Moodle's "Id number").
    code: str = Field(max_length=100)
    name: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    kind: str = Field(default=CompetencyKind.core.value, max_length=20)
    # None: the framework's scale (use core.competencies.effective_scale_id).
    scale_id: int | None = Field(default=None, foreign_key="scale.id", index=True)
    sort_order: int = Field(default=0)


class Competency(Versioned, CompetencyBase, table=True):
    __table_args__ = (
        UniqueConstraint("framework_id", "code", name="uq_competency_framework_code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(default=1)


class CompetencyRead(CompetencyBase):
    id: int
    version: int


class LevelDescriptorBase(SQLModel):
    competency_id: int = Field(foreign_key="competency.id", index=True)
    scale_value_id: int = Field(foreign_key="scalevalue.id", index=True)
    text: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class LevelDescriptor(Versioned, LevelDescriptorBase, table=True):
    __table_args__ = (
        UniqueConstraint("competency_id", "scale_value_id", name="uq_leveldescriptor_pair"),
    )

    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(default=1)


class LevelDescriptorRead(LevelDescriptorBase):
    id: int
    version: int


class RoleRequirementBase(SQLModel):
    position_id: int = Field(foreign_key="position.id", index=True)
    competency_id: int = Field(foreign_key="competency.id", index=True)
    required_value_id: int = Field(foreign_key="scalevalue.id", index=True)
    critical: bool = False


class RoleRequirement(Versioned, RoleRequirementBase, table=True):
    """One cell of the role map: what level a position needs of a competency."""

    __table_args__ = (
        UniqueConstraint("position_id", "competency_id", name="uq_rolerequirement_pair"),
    )

    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(default=1)


class RoleRequirementRead(RoleRequirementBase):
    id: int
    version: int
