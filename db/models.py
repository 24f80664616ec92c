"""All tables and their Create/Update/Read shapes, in one module.

Each entity follows SQLModel's split: `XBase` holds the fields people edit,
`X` (table=True) adds keys and bookkeeping, `XCreate`/`XUpdate` are what
services accept and `XRead` is what services return (never a live ORM object).

Feature sections are marked so that later issues add their tables below.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import MetaData, UniqueConstraint
from sqlalchemy.orm import declared_attr
from sqlmodel import Column, Field, SQLModel, Text

# A naming convention makes constraint names stable across SQLite and
# PostgreSQL, which Alembic's batch mode needs to alter SQLite tables.
SQLModel.metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class Versioned:
    """Optimistic locking for a table with a `version` column: every ORM
    UPDATE and DELETE of a row says `WHERE version = <the version loaded>`,
    moves it to the next version and raises StaleDataError when no row
    matched, so two saves of the same version cannot both win. Never set
    `version` by hand; compare it with the version the user opened (see
    core.versioning) and let the flush do the rest."""

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805 - declared_attr passes the class
        # The column exists only once SQLModel has built the table, which
        # declarative does before it reads the mapper arguments.
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


def utcnow() -> datetime:
    """Aware UTC; SQLModel's UTCDateTime stores it alike on SQLite and PostgreSQL."""
    return datetime.now(UTC)


# --------------------------------------------------------------------------
# Organisation (foundation)
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# Competencies: frameworks, scales, descriptors, role maps
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# Goals and OKRs: cycles, goals, key results, progress history
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# Assessments, current levels and learning
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# Invitations: a single-use sign-in link instead of a password handed out
# --------------------------------------------------------------------------


class Invitation(SQLModel, table=True):
    """Only the token's SHA-256 is stored; the link itself is shown once."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


from db import checkin_models as checkin_models  # noqa: E402
from db import experiment_models as experiment_models  # noqa: E402
from db import feedback_models as feedback_models  # noqa: E402
from db import module_models as module_models  # noqa: E402
from db import perf_models as perf_models  # noqa: E402
from db import review_models as review_models  # noqa: E402
from db import survey_models as survey_models  # noqa: E402
