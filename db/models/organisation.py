"""The organisation: units, job families, positions, people, accounts, audit log, settings."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlmodel import Column, Field, SQLModel, Text

from db.models.base import Versioned, utcnow


class OrgUnitKind(enum.StrEnum):
    company = "company"
    division = "division"
    department = "department"
    team = "team"


class OrgUnitBase(SQLModel):
    code: str = Field(max_length=40, unique=True, index=True)
    name: str = Field(max_length=200)
    kind: str = Field(default=OrgUnitKind.team.value, max_length=20)
    parent_id: int | None = Field(default=None, foreign_key="orgunit.id", index=True)
    # An inactive unit keeps its people, goals and history but is not offered
    # for new people or goals (a unit with people is deactivated, not deleted).
    active: bool = True


class OrgUnit(Versioned, OrgUnitBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    # Optimistic locking for HR's organisation grids (see Versioned).
    version: int = Field(default=1)


class OrgUnitRead(OrgUnitBase):
    id: int
    version: int


class JobFamilyBase(SQLModel):
    name: str = Field(max_length=120, unique=True)


class JobFamily(Versioned, JobFamilyBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(default=1)


class JobFamilyRead(JobFamilyBase):
    id: int
    version: int


class PositionBase(SQLModel):
    code: str = Field(max_length=40, unique=True, index=True)
    title: str = Field(max_length=200)
    job_family_id: int = Field(foreign_key="jobfamily.id", index=True)
    grade: int = Field(default=1, ge=1, le=20)
    # An inactive position stays with the people who hold it but is not
    # offered for new people.
    active: bool = True


class Position(Versioned, PositionBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(default=1)


class PositionRead(PositionBase):
    id: int
    version: int


class PersonBase(SQLModel):
    employee_code: str = Field(max_length=40, unique=True, index=True)
    full_name: str = Field(max_length=200)
    email: str = Field(max_length=254, unique=True, index=True)
    org_unit_id: int = Field(foreign_key="orgunit.id", index=True)
    position_id: int | None = Field(default=None, foreign_key="position.id", index=True)
    manager_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    hire_date: date | None = None
    years_experience: float | None = Field(default=None, ge=0, le=70)
    active: bool = True
    is_hr_admin: bool = False


class Person(Versioned, PersonBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    # A second reviewer (Totara's "appraiser"), kept from HR imports for reviews.
    appraiser_id: int | None = Field(default=None, foreign_key="person.id")
    # Optimistic locking: a grid edit carries the version it read, and a
    # save against a newer version is refused instead of overwriting.
    version: int = Field(default=1)


class PersonCreate(PersonBase):
    username: str | None = Field(default=None, max_length=80)


class PersonUpdate(SQLModel):
    full_name: str | None = None
    email: str | None = None
    org_unit_id: int | None = None
    position_id: int | None = None
    manager_id: int | None = None
    hire_date: date | None = None
    years_experience: float | None = None
    active: bool | None = None
    is_hr_admin: bool | None = None


class PersonRead(PersonBase):
    id: int
    version: int


class UserAccount(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", unique=True)
    username: str = Field(max_length=80, unique=True, index=True)
    password_hash: str = Field(max_length=100)
    failed_logins: int = 0
    locked_until: datetime | None = None
    # A session (or cookie) that started before this moment is no longer
    # valid: logout and password resets move it forward.
    sessions_valid_after: datetime = Field(default_factory=utcnow)


class AuditEvent(SQLModel, table=True):
    """Append-only: services insert, nothing updates or deletes."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    action: str = Field(max_length=60, index=True)
    entity: str = Field(max_length=60)
    entity_id: str | None = Field(default=None, max_length=60)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class AuditEventRead(SQLModel):
    id: int
    at: datetime
    actor_id: int | None
    actor_name: str | None
    action: str
    entity: str
    entity_id: str | None
    detail: str


class Setting(SQLModel, table=True):
    key: str = Field(primary_key=True, max_length=80)
    value: str = Field(default="", max_length=2000)
