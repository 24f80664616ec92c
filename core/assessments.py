"""Assessments and skills gaps: ratings, current levels, heatmaps, insights.

A rating is appended to `Assessment` (the history) and, in the same
transaction, `CurrentLevel` is recomputed for that person and competency with
`core.gaps.pick_current`. Gap data is then one join of people × role
requirements × current levels, grouped in SQL for the organisation views —
never a query per person — so 10,000 people stay fast on SQLite.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import pandas as pd
from sqlalchemy import case, func
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from core import gaps
from core.access import (
    Actor,
    Relation,
    can_rate_as_manager,
    can_self_assess,
    can_view_assessments,
    can_view_org_gaps,
    can_view_team_gaps,
    relation_between,
    require,
    unit_parents,
)
from core.audit import record_event
from core.competencies import (
    effective_scale_id,
    requirements_for_position,
    scale_values_by_competency,
)
from core.errors import NotFound, ValidationError
from db.models import (
    Assessment,
    AssessmentRead,
    AssessmentSource,
    Competency,
    CurrentLevel,
    Framework,
    JobFamily,
    LevelDescriptor,
    OrgUnit,
    Person,
    Position,
    RoleRequirement,
    ScaleValue,
)

MAX_MARKS = 5_000
TEXT_LIMIT = 4_000
RowDimension = Literal["org_unit", "job_family", "position"]

CELL_COLUMNS = [
    "person_id",
    "person",
    "org_unit_id",
    "position_id",
    "competency_id",
    "critical",
    "required_rank",
    "required_level",
    "current_rank",
    "current_level",
    "source",
    "assessed_at",
]


# --- scope and filters -------------------------------------------------------


def _frame(rows: Iterable[Any], columns: list[str]) -> pd.DataFrame:
    """A DataFrame from result rows, column-wise: pandas inspects every Row
    object when given them directly, which costs more than the query."""
    data = [tuple(r) for r in rows]
    if not data:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame(dict(zip(columns, zip(*data, strict=True), strict=True)))


@dataclass(frozen=True)
class GapFilter:
    """What part of the organisation a gap query covers. None = no filter."""

    unit_ids: frozenset[int] | None = None
    job_family_id: int | None = None
    framework_id: int | None = None
    critical_only: bool = False
    manager_id: int | None = None  # only people below this manager
    direct_only: bool = False


def _reports_subquery(manager_id: int, direct_only: bool) -> Any:
    if direct_only:
        return sa_select(col(Person.id)).where(col(Person.manager_id) == manager_id)
    reports = (
        sa_select(col(Person.id).label("id"))
        .where(col(Person.manager_id) == manager_id)
        .cte("gap_reports", recursive=True)
    )
    reports = reports.union(
        sa_select(col(Person.id).label("id")).where(col(Person.manager_id) == reports.c.id)
    )
    return sa_select(reports.c.id)


# The required and the current level are both scale values.
_REQUIRED = aliased(ScaleValue, name="required_value")
_CURRENT = aliased(ScaleValue, name="current_value")


def _cell_joins(query: Any, flt: GapFilter) -> Any:
    """people × role requirements, outer-joined to current levels."""
    required, current = _REQUIRED, _CURRENT
    query = (
        query.select_from(Person)
        .join(RoleRequirement, col(RoleRequirement.position_id) == col(Person.position_id))
        .join(required, col(required.id) == col(RoleRequirement.required_value_id))
        .join(
            CurrentLevel,
            (col(CurrentLevel.person_id) == col(Person.id))
            & (col(CurrentLevel.competency_id) == col(RoleRequirement.competency_id)),
            isouter=True,
        )
        .join(current, col(current.id) == col(CurrentLevel.value_id), isouter=True)
    )
    return _requirement_filters(_person_filters(query, flt), flt)


def _cell_query(flt: GapFilter) -> Any:
    """The CELL_COLUMNS of every required cell in scope."""
    return _cell_joins(
        sa_select(
            col(Person.id),
            col(Person.full_name),
            col(Person.org_unit_id),
            col(Person.position_id),
            col(RoleRequirement.competency_id),
            col(RoleRequirement.critical),
            col(_REQUIRED.rank),
            col(_REQUIRED.name),
            col(_CURRENT.rank),
            col(_CURRENT.name),
            col(CurrentLevel.source),
            col(CurrentLevel.at),
        ),
        flt,
    )


def load_gap_cells(session: Session, *, flt: GapFilter) -> pd.DataFrame:
    """Every required cell in scope, with the current level or <NA> (no access
    check: callers decide the scope)."""
    query = _cell_query(flt).order_by(
        col(Person.full_name), col(Person.id), col(RoleRequirement.competency_id)
    )
    frame = _frame(session.execute(query).all(), CELL_COLUMNS)
    frame["current_rank"] = frame["current_rank"].astype("Int64")
    frame["required_rank"] = frame["required_rank"].astype(int)
    frame["critical"] = frame["critical"].astype(bool)
    return gaps.add_gap_columns(frame)


def _person_filters(query: Any, flt: GapFilter) -> Any:
    query = query.where(col(Person.active).is_(True))
    if flt.unit_ids is not None:
        query = query.where(col(Person.org_unit_id).in_(sorted(flt.unit_ids)))
    if flt.job_family_id is not None:
        query = query.where(
            col(Person.position_id).in_(
                sa_select(col(Position.id)).where(col(Position.job_family_id) == flt.job_family_id)
            )
        )
    if flt.manager_id is not None:
        query = query.where(col(Person.id).in_(_reports_subquery(flt.manager_id, flt.direct_only)))
    return query


def _requirement_filters(query: Any, flt: GapFilter) -> Any:
    if flt.framework_id is not None:
        query = query.join(
            Competency, col(Competency.id) == col(RoleRequirement.competency_id)
        ).where(Competency.framework_id == flt.framework_id)
    if flt.critical_only:
        query = query.where(col(RoleRequirement.critical).is_(True))
    return query


def sum_gaps(
    session: Session,
    *,
    flt: GapFilter,
    by: Literal["org_unit", "position", "person"],
    unit_groups: dict[int, int] | None = None,
) -> pd.DataFrame:
    """The SQL aggregate: per (`by` key, competency) the counts of
    core.gaps.SUM_COLUMNS. Equal to gaps.sums_from_cells on the same cells.

    Two statements instead of one outer join over every cell: the required
    counts are head counts per (key, position) times the role map (a few
    thousand rows), and only the assessed cells are joined, driven from
    `CurrentLevel` — half the work at 10,000 people.

    With `unit_groups` (unit → the row it counts under, from
    gaps.unit_groups) and by="org_unit", the roll-up happens in SQL as well:
    one IN list per row, so a handful of rows come back instead of one per
    (team, competency); units outside the mapping drop out."""
    key: Any = {
        "org_unit": col(Person.org_unit_id),
        "position": col(Person.position_id),
        "person": col(Person.id),
    }[by]
    if by == "org_unit" and unit_groups is not None:
        members: dict[int, list[int]] = {}
        for unit, group in unit_groups.items():
            members.setdefault(group, []).append(unit)
        if not members:
            return pd.DataFrame(columns=[by, "competency_id", *gaps.SUM_COLUMNS])
        key = case(
            *[
                (col(Person.org_unit_id).in_(sorted(units)), group)
                for group, units in sorted(members.items())
            ],
            else_=None,
        )
        flt = GapFilter(
            unit_ids=frozenset(unit_groups)
            if flt.unit_ids is None
            else flt.unit_ids & frozenset(unit_groups),
            job_family_id=flt.job_family_id,
            framework_id=flt.framework_id,
            critical_only=flt.critical_only,
            manager_id=flt.manager_id,
            direct_only=flt.direct_only,
        )
    # Grouped by the label: PostgreSQL must see the same expression in SELECT
    # and GROUP BY, and a CASE with bound IN lists renders differently twice.
    label = key.label(by)
    heads = session.execute(
        _person_filters(
            sa_select(label, col(Person.position_id), func.count())
            .select_from(Person)
            .where(col(Person.position_id).is_not(None)),
            flt,
        ).group_by(label, col(Person.position_id))
    ).all()
    roles = session.execute(
        _requirement_filters(
            sa_select(col(RoleRequirement.position_id), col(RoleRequirement.competency_id)), flt
        )
    ).all()
    head_frame = _frame(heads, [by, "position_id", "people"])
    role_frame = _frame(roles, ["position_id", "competency_id"])
    required = (
        head_frame.merge(role_frame, on="position_id")
        .groupby([by, "competency_id"], as_index=False)[["people"]]
        .sum()
        .rename(columns={"people": "required"})
    )
    gap_value = col(_REQUIRED.rank) - col(_CURRENT.rank)
    assessed_query = _requirement_filters(
        _person_filters(
            sa_select(
                label,
                col(CurrentLevel.competency_id),
                func.count(),
                func.sum(gap_value),
                func.sum(case((col(_CURRENT.rank) >= col(_REQUIRED.rank), 1), else_=0)),
            )
            .select_from(CurrentLevel)
            .join(Person, col(Person.id) == col(CurrentLevel.person_id))
            .join(
                RoleRequirement,
                (col(RoleRequirement.position_id) == col(Person.position_id))
                & (col(RoleRequirement.competency_id) == col(CurrentLevel.competency_id)),
            )
            .join(_REQUIRED, col(_REQUIRED.id) == col(RoleRequirement.required_value_id))
            .join(_CURRENT, col(_CURRENT.id) == col(CurrentLevel.value_id)),
            flt,
        ),
        flt,
    ).group_by(label, col(CurrentLevel.competency_id))
    assessed = _frame(
        session.execute(assessed_query).all(),
        [by, "competency_id", "assessed", "gap_sum", "proficient"],
    )
    frame = required.merge(assessed, on=[by, "competency_id"], how="left").fillna(0)
    for column in gaps.SUM_COLUMNS:
        frame[column] = frame[column].astype(int)
    frame[by] = frame[by].astype(int)
    frame["competency_id"] = frame["competency_id"].astype(int)
    return (
        frame[[by, "competency_id", *gaps.SUM_COLUMNS]]
        .sort_values([by, "competency_id"])
        .reset_index(drop=True)
    )


def gap_data_stamp(session: Session) -> str:
    """Changes whenever gap data may have changed (a rating, a role-map or
    people edit): part of every cache key, so another replica's write is
    picked up on the next rerun. A few indexed aggregates, a millisecond."""
    assessment = session.execute(sa_select(func.max(col(Assessment.id)))).scalar()
    requirements = session.execute(
        sa_select(
            func.count(),
            func.coalesce(func.sum(col(RoleRequirement.version)), 0),
            func.coalesce(func.max(col(RoleRequirement.id)), 0),
        ).select_from(RoleRequirement)
    ).one()
    people = session.execute(
        sa_select(
            func.count(), func.coalesce(func.sum(col(Person.version)), 0), func.max(col(Person.id))
        ).select_from(Person)
    ).one()
    values = session.execute(
        sa_select(func.coalesce(func.sum(col(ScaleValue.version)), 0))
    ).scalar()
    return f"a{assessment}-r{tuple(requirements)}-p{tuple(people)}-v{values}"


def gap_scope_key(actor: Actor, *, view: Literal["team", "org"]) -> str:
    """Who may share cached gap data: one manager's team view is theirs alone;
    the organisation view is the same for every HR admin."""
    if view == "org":
        return "org:hr" if actor.is_hr_admin else f"org:denied:{actor.person_id}"
    return f"team:{actor.person_id}"


# --- recording ratings -------------------------------------------------------


def _clean(text: str, what: str) -> str:
    cleaned = (text or "").strip()
    if len(cleaned) > TEXT_LIMIT:
        raise ValidationError(f"The {what} is too long (at most {TEXT_LIMIT} characters).")
    return cleaned


def _refresh_current_level(session: Session, *, person_id: int, competency_id: int) -> None:
    rows = session.exec(
        select(Assessment.id, Assessment.source, Assessment.at, Assessment.value_id).where(
            Assessment.person_id == person_id, Assessment.competency_id == competency_id
        )
    ).all()
    chosen = gaps.pick_current(
        gaps.Rating(assessment_id=i or 0, source=s, at=a, value_id=v) for i, s, a, v in rows
    )
    existing = session.exec(
        select(CurrentLevel).where(
            CurrentLevel.person_id == person_id, CurrentLevel.competency_id == competency_id
        )
    ).first()
    if chosen is None:
        if existing is not None:
            session.delete(existing)
        return
    if existing is None:
        existing = CurrentLevel(
            person_id=person_id,
            competency_id=competency_id,
            assessment_id=chosen.assessment_id,
            value_id=chosen.value_id,
            source=chosen.source,
            at=chosen.at,
        )
    else:
        existing.assessment_id = chosen.assessment_id
        existing.value_id = chosen.value_id
        existing.source = chosen.source
        existing.at = chosen.at
    session.add(existing)


def _person_in_reach(
    session: Session,
    *,
    actor: Actor,
    person_id: int,
    rule: Callable[[Actor, Relation], bool],
    action: str,
    message: str,
) -> Person:
    """The person behind an id from a widget or URL, once `rule` lets the
    actor act on them (refusals audited)."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("There is no such person.")
    relation = relation_between(session, viewer_id=actor.person_id, target_id=person_id)
    require(
        rule(actor, relation),
        session=session,
        actor=actor,
        action=action,
        entity="person",
        entity_id=person_id,
        message=message,
    )
    return person


def _record(
    session: Session,
    *,
    actor: Actor,
    person_id: int,
    competency_id: int,
    value_id: int,
    source: AssessmentSource,
    comment: str,
    evidence: str,
) -> AssessmentRead:
    person = session.get(Person, person_id)
    if person is None or not person.active:
        raise NotFound("There is no such person.")
    requirement = session.exec(
        select(RoleRequirement).where(
            RoleRequirement.position_id == person.position_id,
            RoleRequirement.competency_id == competency_id,
        )
    ).first()
    if person.position_id is None or requirement is None:
        raise ValidationError(
            "That competency is not part of the role profile, so it can't be assessed here."
        )
    value = session.get(ScaleValue, value_id)
    if value is None or value.scale_id != effective_scale_id(session, competency_id=competency_id):
        raise ValidationError("Choose a level from this competency's scale.")
    assessment = Assessment(
        person_id=person_id,
        competency_id=competency_id,
        value_id=value_id,
        source=source.value,
        rater_id=actor.person_id,
        comment=_clean(comment, "comment"),
        evidence=_clean(evidence, "evidence"),
    )
    session.add(assessment)
    session.flush()
    _refresh_current_level(session, person_id=person_id, competency_id=competency_id)
    record_event(
        session,
        actor_id=actor.person_id,
        action=f"assessment.{source.value}",
        entity="assessment",
        entity_id=assessment.id,
        detail={"person_id": person_id, "competency_id": competency_id, "level": value.name},
    )
    session.flush()
    return AssessmentRead.model_validate(assessment, from_attributes=True)


def record_self_assessment(
    session: Session,
    *,
    actor: Actor,
    competency_id: int,
    value_id: int,
    comment: str = "",
    evidence: str = "",
) -> AssessmentRead:
    require(
        can_self_assess(actor, Relation.self_),
        session=session,
        actor=actor,
        action="self_assess",
        entity="assessment",
    )
    return _record(
        session,
        actor=actor,
        person_id=actor.person_id,
        competency_id=competency_id,
        value_id=value_id,
        source=AssessmentSource.self_,
        comment=comment,
        evidence=evidence,
    )


def record_manager_rating(
    session: Session,
    *,
    actor: Actor,
    person_id: int,
    competency_id: int,
    value_id: int,
    comment: str = "",
    evidence: str = "",
) -> AssessmentRead:
    _person_in_reach(
        session,
        actor=actor,
        person_id=person_id,
        rule=can_rate_as_manager,
        action="manager_rating",
        message="You can only rate people who report to you.",
    )
    return _record(
        session,
        actor=actor,
        person_id=person_id,
        competency_id=competency_id,
        value_id=value_id,
        source=AssessmentSource.manager,
        comment=comment,
        evidence=evidence,
    )


def rebuild_current_levels(session: Session, *, person_ids: Iterable[int] | None = None) -> int:
    """Recompute `CurrentLevel` from the whole history (after bulk loads or a
    rule change) with one window query; returns the rows written."""
    priority = case(
        *[(col(Assessment.source) == s, p) for s, p in gaps.SOURCE_PRIORITY.items()], else_=99
    )
    ranked = sa_select(
        col(Assessment.id).label("assessment_id"),
        col(Assessment.person_id).label("person_id"),
        col(Assessment.competency_id).label("competency_id"),
        col(Assessment.value_id).label("value_id"),
        col(Assessment.source).label("source"),
        col(Assessment.at).label("at"),
        func.row_number()
        .over(
            partition_by=(col(Assessment.person_id), col(Assessment.competency_id)),
            order_by=(priority, col(Assessment.at).desc(), col(Assessment.id).desc()),
        )
        .label("position"),
    )
    ids = None if person_ids is None else sorted(set(person_ids))
    if ids is not None:
        ranked = ranked.where(col(Assessment.person_id).in_(ids))
    sub = ranked.subquery()
    rows = session.execute(
        sa_select(
            sub.c.person_id,
            sub.c.competency_id,
            sub.c.assessment_id,
            sub.c.value_id,
            sub.c.source,
            sub.c.at,
        ).where(sub.c.position == 1)
    ).all()
    delete = CurrentLevel.__table__.delete()  # type: ignore[attr-defined]
    if ids is not None:
        delete = delete.where(CurrentLevel.__table__.c.person_id.in_(ids))  # type: ignore[attr-defined]
    session.execute(delete)
    records = [
        {
            "person_id": r[0],
            "competency_id": r[1],
            "assessment_id": r[2],
            "value_id": r[3],
            "source": r[4],
            "at": r[5],
        }
        for r in rows
    ]
    for start in range(0, len(records), 5_000):
        session.execute(
            CurrentLevel.__table__.insert(),  # type: ignore[attr-defined]
            records[start : start + 5_000],
        )
    session.flush()
    return len(records)


# --- one person's skills -------------------------------------------------------


@dataclass(frozen=True)
class LevelOption:
    value_id: int
    name: str
    rank: int
    descriptor: str


@dataclass(frozen=True)
class SkillRow:
    competency_id: int
    competency: str
    framework: str
    cluster: str | None
    critical: bool
    required_level: str
    required_rank: int
    current_level: str | None
    current_rank: int | None
    source: str | None  # "manager", "360", "self" or None (unknown)
    assessed_at: datetime | None
    self_level: str | None
    manager_level: str | None
    gap: int | None
    status: str
    levels: list[LevelOption] = field(default_factory=list)

    @property
    def source_label(self) -> str:
        return gaps.SOURCE_LABELS.get(self.source or "", "not assessed")


@dataclass(frozen=True)
class SkillsProfile:
    person_id: int
    person_name: str
    position_title: str | None
    rows: list[SkillRow]
    rule: str = gaps.CURRENT_LEVEL_RULE

    @property
    def below(self) -> int:
        """Competencies assessed below the role's level."""
        return sum(r.status == gaps.STATUS_GAP for r in self.rows)

    @property
    def unknown(self) -> int:
        """Competencies nobody has assessed yet."""
        return sum(r.status == gaps.STATUS_UNKNOWN for r in self.rows)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "framework": r.framework,
                    "competency": r.competency,
                    "critical": r.critical,
                    "required": r.required_level,
                    "current": r.current_level or "unknown",
                    "from": r.source_label,
                    "self-assessment": r.self_level or "",
                    "manager rating": r.manager_level or "",
                    "gap": r.gap,
                    "status": r.status,
                }
                for r in self.rows
            ],
            columns=[
                "framework",
                "competency",
                "critical",
                "required",
                "current",
                "from",
                "self-assessment",
                "manager rating",
                "gap",
                "status",
            ],
        ).astype({"gap": "Int64"})


def _latest_by_source(
    session: Session, *, person_id: int, competency_ids: list[int]
) -> dict[tuple[int, str], str]:
    """(competency, source) → name of the latest level given from that source."""
    rows = session.exec(
        select(Assessment.competency_id, Assessment.source, ScaleValue.name, Assessment.at)
        .join(ScaleValue, col(ScaleValue.id) == col(Assessment.value_id))
        .where(Assessment.person_id == person_id, col(Assessment.competency_id).in_(competency_ids))
        .order_by(col(Assessment.at), col(Assessment.id))
    ).all()
    return {(c, s): name for c, s, name, _ in rows}


def get_skills_profile(
    session: Session, *, actor: Actor, person_id: int | None = None
) -> SkillsProfile:
    """Required versus current for every competency of a person's role."""
    target_id = actor.person_id if person_id is None else person_id
    person = _person_in_reach(
        session,
        actor=actor,
        person_id=target_id,
        rule=can_view_assessments,
        action="view_assessments",
        message="You can only see your own skills and those of people who report to you.",
    )
    position = session.get(Position, person.position_id) if person.position_id else None
    if position is None:
        return SkillsProfile(target_id, person.full_name, None, [])
    requirements = requirements_for_position(session, position_id=position.id or 0)
    ids = [r.competency_id for r in requirements]
    options = scale_values_by_competency(session, competency_ids=ids)
    texts = {
        (d.competency_id, d.scale_value_id): d.text
        for d in session.exec(
            select(LevelDescriptor).where(col(LevelDescriptor.competency_id).in_(ids))
        ).all()
    }
    current = {
        c: (rank, name, source, at)
        for c, rank, name, source, at in session.execute(
            sa_select(
                col(CurrentLevel.competency_id),
                col(ScaleValue.rank),
                col(ScaleValue.name),
                col(CurrentLevel.source),
                col(CurrentLevel.at),
            )
            .join(ScaleValue, col(ScaleValue.id) == col(CurrentLevel.value_id))
            .where(
                col(CurrentLevel.person_id) == target_id,
                col(CurrentLevel.competency_id).in_(ids),
            )
        ).all()
    }
    latest = _latest_by_source(session, person_id=target_id, competency_ids=ids)
    rows = []
    for r in requirements:
        rank, name, source, at = current.get(r.competency_id, (None, None, None, None))
        rows.append(
            SkillRow(
                competency_id=r.competency_id,
                competency=r.competency_name,
                framework=r.framework_name,
                cluster=r.cluster_name,
                critical=r.critical,
                required_level=r.required_value_name,
                required_rank=r.required_rank,
                current_level=name,
                current_rank=rank,
                source=source,
                assessed_at=at,
                self_level=latest.get((r.competency_id, "self")),
                manager_level=latest.get((r.competency_id, "manager")),
                gap=gaps.gap(r.required_rank, rank),
                status=gaps.status(r.required_rank, rank),
                levels=[
                    LevelOption(v.id, v.name, v.rank, texts.get((r.competency_id, v.id), ""))
                    for v in options.get(r.competency_id, [])
                ],
            )
        )
    return SkillsProfile(target_id, person.full_name, position.title, rows)


def list_assessment_history(
    session: Session, *, actor: Actor, person_id: int, limit: int = 500
) -> pd.DataFrame:
    relation = relation_between(session, viewer_id=actor.person_id, target_id=person_id)
    require(
        can_view_assessments(actor, relation),
        session=session,
        actor=actor,
        action="view_assessments",
        entity="person",
        entity_id=person_id,
    )
    rater = aliased(Person)
    rows = session.execute(
        sa_select(
            col(Assessment.at),
            col(Competency.name),
            col(Assessment.source),
            col(ScaleValue.name),
            col(rater.full_name),
            col(Assessment.comment),
            col(Assessment.evidence),
        )
        .join(Competency, col(Competency.id) == col(Assessment.competency_id))
        .join(ScaleValue, col(ScaleValue.id) == col(Assessment.value_id))
        .join(rater, col(rater.id) == col(Assessment.rater_id), isouter=True)
        .where(col(Assessment.person_id) == person_id)
        .order_by(col(Assessment.at).desc(), col(Assessment.id).desc())
        .limit(limit)
    ).all()
    return pd.DataFrame(
        rows,
        columns=["at (UTC)", "competency", "source", "level", "by", "comment", "evidence"],
    )


# --- heatmaps ----------------------------------------------------------------


def _competency_labels(session: Session, ids: Iterable[int]) -> pd.DataFrame:
    wanted = sorted(set(int(i) for i in ids))
    rows = (
        session.execute(
            sa_select(
                col(Competency.id),
                col(Competency.name),
                col(Framework.name),
                col(Competency.sort_order),
            )
            .join(Framework, col(Framework.id) == col(Competency.framework_id))
            .where(col(Competency.id).in_(wanted))
        ).all()
        if wanted
        else []
    )
    frame = pd.DataFrame(rows, columns=["competency_id", "competency", "framework", "sort_order"])
    frame = frame.sort_values(["framework", "sort_order", "competency_id"]).reset_index(drop=True)
    frame["column_order"] = range(len(frame))
    return frame.drop(columns=["sort_order"])


@dataclass(frozen=True)
class TeamGaps:
    """Person × competency cells of a manager's reports (one page of people)."""

    cells: pd.DataFrame
    people: int
    competencies: int
    page: int
    pages: int
    summary: pd.DataFrame  # per competency over the whole team


TEAM_COLUMNS = [
    "person_id",
    "person",
    "competency_id",
    "competency",
    "framework",
    "critical",
    "required_level",
    "current_level",
    "source",
    "gap",
    "status",
    "column_order",
]


def get_team_gaps(
    session: Session,
    *,
    actor: Actor,
    include_indirect: bool = False,
    framework_id: int | None = None,
    critical_only: bool = False,
    page: int = 1,
    max_marks: int = MAX_MARKS,
) -> TeamGaps:
    """The heatmap data of the actor's own reports — nobody else's."""
    require(
        can_view_team_gaps(actor),
        session=session,
        actor=actor,
        action="view_team_gaps",
        entity="gaps",
        message="The team view is for managers.",
    )
    flt = GapFilter(
        manager_id=actor.person_id,
        direct_only=not include_indirect,
        framework_id=framework_id,
        critical_only=critical_only,
    )
    cells = load_gap_cells(session, flt=flt)
    labels = _competency_labels(session, cells["competency_id"].unique())
    cells = cells.merge(labels, on="competency_id", how="left")
    people = list(dict.fromkeys(zip(cells["person"], cells["person_id"], strict=True)))
    per_page, pages = gaps.page_count(len(people), max(len(labels), 1), max_marks=max_marks)
    page = min(max(page, 1), pages)
    shown_ids = {pid for _, pid in people[(page - 1) * per_page : page * per_page]}
    summary = gaps.aggregate_cells(cells, ["competency_id"]).merge(labels, on="competency_id")
    shown = cells[cells["person_id"].isin(shown_ids)]
    shown = shown.assign(
        current_level=shown["current_level"].fillna("unknown"),
        source=shown["source"].map(lambda s: gaps.SOURCE_LABELS.get(s, "not assessed")),
    )
    return TeamGaps(
        cells=shown[TEAM_COLUMNS].reset_index(drop=True),
        people=len(people),
        competencies=len(labels),
        page=page,
        pages=pages,
        summary=summary,
    )


@dataclass(frozen=True)
class GapChoices:
    """What the organisation view's filters offer."""

    units: list[tuple[int, str]]  # (id, "Name · kind"), tree order
    root_unit_id: int | None
    job_families: list[tuple[int, str]]
    frameworks: list[tuple[int, str]]


def list_gap_choices(session: Session, *, actor: Actor) -> GapChoices:
    require(can_view_org_gaps(actor), session=session, actor=actor, action="view", entity="gaps")
    units = session.exec(select(OrgUnit.id, OrgUnit.name, OrgUnit.kind, OrgUnit.parent_id)).all()
    children: dict[int | None, list[tuple[int, str, str]]] = {}
    for uid, name, kind, parent in units:
        children.setdefault(parent, []).append((uid or 0, name, kind))
    ordered: list[tuple[int, str]] = []
    # Tree order, departments and teams indented; kept to the units with
    # children (drilling into a team shows its people in the team view).
    stack = [(u, 0) for u in sorted(children.get(None, []), key=lambda x: x[1], reverse=True)]
    while stack:
        (uid, name, kind), depth = stack.pop()
        if uid in children:
            ordered.append((uid, f"{'· ' * depth}{name} ({kind})"))
            for child in sorted(children[uid], key=lambda x: x[1], reverse=True):
                stack.append((child, depth + 1))
    families = session.exec(select(JobFamily.id, JobFamily.name).order_by(JobFamily.name)).all()
    frameworks = session.exec(select(Framework.id, Framework.name).order_by(Framework.name)).all()
    roots = children.get(None, [])
    return GapChoices(
        units=ordered,
        root_unit_id=roots[0][0] if len(roots) == 1 else None,
        job_families=[(i or 0, n) for i, n in families],
        frameworks=[(i or 0, n) for i, n in frameworks],
    )


@dataclass(frozen=True)
class OrgHeatmap:
    frame: pd.DataFrame  # one row per (row, competency) with the aggregates
    rows: RowDimension
    row_count: int
    competencies: int
    page: int
    pages: int


ORG_COLUMNS = [
    "row_id",
    "row",
    "competency_id",
    "competency",
    "framework",
    "column_order",
    *gaps.AGGREGATE_COLUMNS,
]


def get_org_heatmap(
    session: Session,
    *,
    actor: Actor,
    rows: RowDimension = "org_unit",
    unit_id: int | None = None,
    job_family_id: int | None = None,
    framework_id: int | None = None,
    critical_only: bool = False,
    page: int = 1,
    max_marks: int = MAX_MARKS,
) -> OrgHeatmap:
    """Aggregated gaps (HR): rows are the child units of `unit_id` (people
    directly in it count as the unit itself), job families or positions; one
    SQL GROUP BY and a pandas roll-up."""
    require(
        can_view_org_gaps(actor),
        session=session,
        actor=actor,
        action="view_org_gaps",
        entity="gaps",
        message="Organisation heatmaps are for HR.",
    )
    parents = unit_parents(session)
    if unit_id is not None and unit_id not in parents:
        raise NotFound("There is no such unit.")
    if job_family_id is not None and session.get(JobFamily, job_family_id) is None:
        raise NotFound("There is no such job family.")
    if framework_id is not None and session.get(Framework, framework_id) is None:
        raise NotFound("There is no such framework.")
    groups: dict[int, int] | None = None
    unit_filter: frozenset[int] | None = None
    if unit_id is not None:
        groups = gaps.unit_groups(parents, unit_id)
        if parents.get(unit_id) is not None:  # the whole company needs no filter
            unit_filter = frozenset(groups)
    elif rows == "org_unit":
        tops = [u for u, p in parents.items() if p is None]
        groups = {u: u for u in parents} if len(tops) != 1 else gaps.unit_groups(parents, tops[0])
    flt = GapFilter(
        unit_ids=unit_filter,
        job_family_id=job_family_id,
        framework_id=framework_id,
        critical_only=critical_only,
    )
    if rows == "org_unit":
        assert groups is not None
        sums = sum_gaps(session, flt=flt, by="org_unit", unit_groups=groups).rename(
            columns={"org_unit": "row_id"}
        )
        names = dict(session.exec(select(OrgUnit.id, OrgUnit.name)).all())
        label = {u: names.get(u, str(u)) for u in sums["row_id"].unique()}
    else:
        sums = sum_gaps(session, flt=flt, by="position")
        positions = session.exec(
            select(Position.id, Position.title, Position.job_family_id, JobFamily.name).join(
                JobFamily, col(JobFamily.id) == col(Position.job_family_id)
            )
        ).all()
        if rows == "job_family":
            mapping = {pid or 0: fam for pid, _, fam, _ in positions}
            sums = gaps.rollup(sums, key="position", mapping=mapping)
            label = {fam: name for _, _, fam, name in positions}
        else:
            label = {pid or 0: title for pid, title, _, _ in positions}
        sums = sums.rename(columns={"position": "row_id"})
    frame = gaps.finish_aggregates(sums)
    frame["row"] = frame["row_id"].map(label)
    labels = _competency_labels(session, frame["competency_id"].unique())
    frame = frame.merge(labels, on="competency_id", how="left")
    row_ids = sorted(frame["row_id"].unique(), key=lambda r: str(label.get(r, "")))
    per_page, pages = gaps.page_count(len(row_ids), max(len(labels), 1), max_marks=max_marks)
    page = min(max(page, 1), pages)
    shown = set(row_ids[(page - 1) * per_page : page * per_page])
    frame = frame[frame["row_id"].isin(shown)].sort_values(["row", "column_order"])
    return OrgHeatmap(
        frame=frame[ORG_COLUMNS].reset_index(drop=True),
        rows=rows,
        row_count=len(row_ids),
        competencies=len(labels),
        page=page,
        pages=pages,
    )


# --- insights (HR) -------------------------------------------------------------


def _require_insights(session: Session, actor: Actor, what: str) -> None:
    require(
        can_view_org_gaps(actor),
        session=session,
        actor=actor,
        action=f"insight.{what}",
        entity="gaps",
        message="Insights are for HR.",
    )


def get_non_differentiating(
    session: Session,
    *,
    actor: Actor,
    framework_id: int | None = None,
    threshold: float = 0.8,
    min_assessed: int = 5,
) -> pd.DataFrame:
    """Competencies where nearly every assessed person is on the same level:
    they do not tell people apart (counts per level grouped in SQL)."""
    _require_insights(session, actor, "non_differentiating")
    query = (
        sa_select(col(CurrentLevel.competency_id), col(ScaleValue.rank), func.count())
        .join(ScaleValue, col(ScaleValue.id) == col(CurrentLevel.value_id))
        .join(Person, col(Person.id) == col(CurrentLevel.person_id))
        .where(col(Person.active).is_(True))
        .group_by(col(CurrentLevel.competency_id), col(ScaleValue.rank))
    )
    if framework_id is not None:
        query = query.join(Competency, col(Competency.id) == col(CurrentLevel.competency_id)).where(
            col(Competency.framework_id) == framework_id
        )
    counts = _frame(session.execute(query).all(), ["competency_id", "current_rank", "n"])
    result = gaps.non_differentiating(counts, threshold=threshold, min_assessed=min_assessed)
    labels = _competency_labels(session, result["competency_id"])
    out = result.merge(labels, on="competency_id", how="left")
    return out[
        [
            "competency",
            "framework",
            "assessed",
            "modal_rank",
            "modal_share",
            "std_rank",
            "differentiates",
        ]
    ].rename(
        columns={
            "modal_rank": "most common level (rank)",
            "modal_share": "share at that level",
            "std_rank": "spread (std of rank)",
        }
    )


def get_experience_mastery(session: Session, *, actor: Actor) -> gaps.ExperienceMastery:
    """Years of experience against mastery (mean normalised level, 0–1)."""
    _require_insights(session, actor, "experience")
    top = (
        sa_select(
            col(ScaleValue.scale_id).label("scale_id"), func.max(col(ScaleValue.rank)).label("top")
        )
        .group_by(col(ScaleValue.scale_id))
        .subquery()
    )
    share = (col(ScaleValue.rank) - 1) * 1.0 / func.nullif(top.c.top - 1, 0)
    rows = session.execute(
        sa_select(col(Person.id), col(Person.years_experience), func.avg(share))
        .select_from(CurrentLevel)
        .join(Person, col(Person.id) == col(CurrentLevel.person_id))
        .join(ScaleValue, col(ScaleValue.id) == col(CurrentLevel.value_id))
        .join(top, top.c.scale_id == col(ScaleValue.scale_id))
        .where(col(Person.active).is_(True))
        .group_by(col(Person.id), col(Person.years_experience))
    ).all()
    people = _frame(rows, ["person_id", "years_experience", "mastery"])
    for column in ("years_experience", "mastery"):
        people[column] = pd.to_numeric(people[column], errors="coerce").astype(float)
    return gaps.experience_vs_mastery(people)


def get_hidden_expertise(
    session: Session, *, actor: Actor, min_margin: int = 1, limit: int = 200
) -> pd.DataFrame:
    """People above what their role requires, with how many others fall short
    in the same competency (people they could mentor)."""
    _require_insights(session, actor, "hidden_expertise")
    # Only cells off the requirement matter: experts above it, learners below.
    query = _cell_query(GapFilter()).where(col(_CURRENT.rank) != col(_REQUIRED.rank))
    cells = _frame(session.execute(query).all(), CELL_COLUMNS)
    if cells.empty:
        return pd.DataFrame(
            columns=["person", "unit", "competency", "required", "current", "above by", "learners"]
        )
    experts = gaps.hidden_expertise(cells, min_margin=min_margin).head(limit)
    labels = _competency_labels(session, experts["competency_id"])
    units = dict(session.exec(select(OrgUnit.id, OrgUnit.name)).all())
    out = experts.merge(labels, on="competency_id", how="left")
    out["unit"] = out["org_unit_id"].map(units)
    return out.rename(
        columns={
            "required_level": "required",
            "current_level": "current",
            "margin": "above by",
            "learners": "people short in it",
        }
    )[
        [
            "person",
            "unit",
            "competency",
            "framework",
            "required",
            "current",
            "above by",
            "people short in it",
        ]
    ]


def get_role_fit(
    session: Session, *, actor: Actor, position_id: int, limit: int = 50
) -> pd.DataFrame:
    """Everyone ranked by fit for a position's role profile (core.gaps.role_fit)."""
    _require_insights(session, actor, "role_fit")
    if session.get(Position, position_id) is None:
        raise NotFound("There is no such position.")
    requirements = requirements_for_position(session, position_id=position_id)
    req = pd.DataFrame(
        [(r.competency_id, r.required_rank, r.critical) for r in requirements],
        columns=["competency_id", "required_rank", "critical"],
    )
    if req.empty:
        return pd.DataFrame(
            columns=["person", "position", "unit", "fit", "met", "critical missing", "unknown"]
        )
    rows = session.execute(
        sa_select(
            col(CurrentLevel.person_id), col(CurrentLevel.competency_id), col(ScaleValue.rank)
        )
        .join(ScaleValue, col(ScaleValue.id) == col(CurrentLevel.value_id))
        .join(Person, col(Person.id) == col(CurrentLevel.person_id))
        .where(
            col(Person.active).is_(True),
            col(CurrentLevel.competency_id).in_([int(c) for c in req["competency_id"]]),
        )
    ).all()
    levels = _frame(rows, ["person_id", "competency_id", "current_rank"])
    ranked = gaps.role_fit(req, levels).head(limit)
    if ranked.empty:
        return pd.DataFrame(
            columns=["person", "position", "unit", "fit", "met", "critical missing", "unknown"]
        )
    ids = [int(p) for p in ranked["person_id"]]
    info = {
        pid: (name, title, unit)
        for pid, name, title, unit in session.execute(
            sa_select(col(Person.id), col(Person.full_name), col(Position.title), col(OrgUnit.name))
            .join(OrgUnit, col(OrgUnit.id) == col(Person.org_unit_id))
            .join(Position, col(Position.id) == col(Person.position_id), isouter=True)
            .where(col(Person.id).in_(ids))
        ).all()
    }
    ranked["person"] = ranked["person_id"].map(lambda p: info[p][0])
    ranked["position"] = ranked["person_id"].map(lambda p: info[p][1])
    ranked["unit"] = ranked["person_id"].map(lambda p: info[p][2])
    ranked["met"] = ranked["met"].astype(str) + " of " + ranked["required"].astype(str)
    return ranked.rename(columns={"critical_missing": "critical missing"})[
        ["person", "position", "unit", "fit", "met", "critical missing", "unknown"]
    ]
