"""Assessments, the current levels they choose, and learning."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Column, Field, SQLModel, Text

from db.models.base import Versioned, utcnow


class AssessmentSource(enum.StrEnum):
    """Who gave a rating. `review360` comes from 360 reviews (a later issue);
    the current-level rule already ranks it (core.assessments.rules.SOURCE_PRIORITY)."""

    self_ = "self"
    manager = "manager"
    review360 = "360"


class AssessmentBase(SQLModel):
    person_id: int = Field(foreign_key="person.id", index=True)
    competency_id: int = Field(foreign_key="competency.id", index=True)
    # The value on the competency's effective scale.
    value_id: int = Field(foreign_key="scalevalue.id", index=True)
    source: str = Field(max_length=20)
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    evidence: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class Assessment(AssessmentBase, table=True):
    """Append-only history of ratings; `CurrentLevel` holds what counts now."""

    id: int | None = Field(default=None, primary_key=True)
    # None for ratings that come from an anonymous 360 group.
    rater_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    at: datetime = Field(default_factory=utcnow, index=True)


class AssessmentCreate(SQLModel):
    person_id: int
    competency_id: int
    value_id: int
    comment: str = ""
    evidence: str = ""


class AssessmentRead(AssessmentBase):
    id: int
    rater_id: int | None
    at: datetime


class CurrentLevel(SQLModel, table=True):
    """The assessment that counts now for each person and competency, chosen
    by core.assessments.rules.pick_current (latest manager rating, else latest 360, else
    latest self-rating). Written with every assessment in the same
    transaction, so gap aggregates over 10,000 people are one join instead of
    a window over the whole history; `rebuild_current_levels` recomputes it."""

    __table_args__ = (UniqueConstraint("person_id", "competency_id", name="uq_currentlevel_pair"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    competency_id: int = Field(foreign_key="competency.id", index=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    value_id: int = Field(foreign_key="scalevalue.id", index=True)
    source: str = Field(max_length=20)
    at: datetime


class LearningStatus(enum.StrEnum):
    assigned = "assigned"
    in_progress = "in progress"
    completed = "completed"
    cancelled = "cancelled"


class LearningItemBase(SQLModel):
    title: str = Field(max_length=200)
    url: str = Field(default="", max_length=500)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    competency_id: int = Field(foreign_key="competency.id", index=True)
    # The level the item helps someone reach (on the competency's scale).
    target_value_id: int = Field(foreign_key="scalevalue.id", index=True)
    hours: float = Field(default=1.0, ge=0, le=1000)
    active: bool = True


class LearningItem(Versioned, LearningItemBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(default=1)


class LearningItemCreate(LearningItemBase):
    pass


class LearningItemRead(LearningItemBase):
    id: int
    version: int


class LearningAssignmentBase(SQLModel):
    person_id: int = Field(foreign_key="person.id", index=True)
    item_id: int = Field(foreign_key="learningitem.id", index=True)
    due_on: date | None = None
    status: str = Field(default=LearningStatus.assigned.value, max_length=20, index=True)


class LearningAssignment(Versioned, LearningAssignmentBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    assigned_by_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    assigned_at: datetime = Field(default_factory=utcnow)
    completed_at: datetime | None = None
    version: int = Field(default=1)


class LearningAssignmentRead(LearningAssignmentBase):
    id: int
    assigned_by_id: int | None
    assigned_at: datetime
    completed_at: datetime | None
    version: int
