"""Check-ins: cadences, templates, check-ins with their agenda, notes and actions.

The pair is a person and whoever is their manager now (`Person.manager_id`):
cadences and check-ins are keyed by the employee, so when the manager
changes the pair, its cadence and its open check-in move to the new manager,
and the person keeps reading their whole history. A check-in records the
manager who held it.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Column, Field, SQLModel, Text

from db.models.base import Versioned, utcnow


class CheckInStatus(enum.StrEnum):
    planned = "planned"  # on the calendar; agenda and notes editable
    completed = "completed"  # the manager closed it; read-only but for private notes
    acknowledged = "acknowledged"  # the employee read it (and may have commented)


class CheckInUnitCadence(Versioned, SQLModel, table=True):
    """The default cadence of the pairs whose employee sits in a unit."""

    id: int | None = Field(default=None, primary_key=True)
    org_unit_id: int = Field(foreign_key="orgunit.id", unique=True)
    every: str = Field(max_length=20)
    version: int = Field(default=1)


class CheckInPair(Versioned, SQLModel, table=True):
    """One row per employee that has check-ins or an own cadence."""

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(foreign_key="person.id", unique=True)
    # None: the unit's default applies.
    every: str | None = Field(default=None, max_length=20)
    focus: str = Field(default="performance", max_length=20)
    starts_on: date
    version: int = Field(default=1)


class CheckInTemplateBase(SQLModel):
    name: str = Field(max_length=120, unique=True)
    focus: str = Field(default="performance", max_length=20)
    is_default: bool = False
    active: bool = True


class CheckInTemplate(Versioned, CheckInTemplateBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(default=1)


class CheckInTemplateRead(CheckInTemplateBase):
    id: int
    version: int
    questions: list[str] = []


class CheckInQuestion(SQLModel, table=True):
    """An ordered agenda question of a template (rewritten as a whole on save)."""

    id: int | None = Field(default=None, primary_key=True)
    template_id: int = Field(foreign_key="checkintemplate.id", index=True)
    position: int
    text: str = Field(max_length=300)


class CheckIn(Versioned, SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(foreign_key="person.id", index=True)
    manager_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    template_id: int | None = Field(default=None, foreign_key="checkintemplate.id")
    focus: str = Field(default="performance", max_length=20)
    status: str = Field(default=CheckInStatus.planned.value, max_length=20, index=True)
    due_on: date | None = Field(default=None, index=True)
    held_on: date | None = Field(default=None, index=True)
    completed_at: datetime | None = None
    completed_by_id: int | None = Field(default=None, foreign_key="person.id")
    acknowledged_at: datetime | None = None
    employee_comment: str = Field(
        default="", sa_column=Column(Text, nullable=False, server_default="")
    )
    created_at: datetime = Field(default_factory=utcnow)
    version: int = Field(default=1)


class CheckInItem(Versioned, SQLModel, table=True):
    """An agenda entry: a template question or a talking point someone added,
    with the shared notes taken on it."""

    id: int | None = Field(default=None, primary_key=True)
    check_in_id: int = Field(foreign_key="checkin.id", index=True)
    position: int
    text: str = Field(max_length=300)
    kind: str = Field(default="question", max_length=20)  # question / talking point
    added_by_id: int | None = Field(default=None, foreign_key="person.id")
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    version: int = Field(default=1)


class CheckInPrivateNote(Versioned, SQLModel, table=True):
    """Visible to its author only: not the other party, not HR, not exports."""

    __table_args__ = (
        UniqueConstraint("check_in_id", "author_id", name="uq_checkinprivatenote_pair"),
    )

    id: int | None = Field(default=None, primary_key=True)
    check_in_id: int = Field(foreign_key="checkin.id", index=True)
    author_id: int = Field(foreign_key="person.id", index=True)
    text: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = Field(default=1)


class CheckInAction(Versioned, SQLModel, table=True):
    """An action item agreed in a check-in; open ones carry forward."""

    id: int | None = Field(default=None, primary_key=True)
    check_in_id: int = Field(foreign_key="checkin.id", index=True)
    # The pair's employee, so a pair's open actions are one indexed query.
    employee_id: int = Field(foreign_key="person.id", index=True)
    owner_id: int = Field(foreign_key="person.id", index=True)
    text: str = Field(max_length=500)
    due_on: date | None = None
    done: bool = Field(default=False, index=True)
    done_at: datetime | None = None
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
    version: int = Field(default=1)
