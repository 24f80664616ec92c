"""The gap-cell query every skills view shares: people × role requirements ×
current levels, with its filters, SQL sums and cache keys."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
from sqlalchemy import case, func
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from core.access import (
    Actor,
    Capability,
    has,
)
from core.assessments import rules as gaps
from core.org import reports_query
from db.models import (
    Assessment,
    Competency,
    CurrentLevel,
    Framework,
    LevelSummary,
    Person,
    Position,
    RoleRequirement,
    ScaleValue,
)

MAX_MARKS = 5_000
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
        query = query.where(
            col(Person.id).in_(reports_query(flt.manager_id, direct_only=flt.direct_only))
        )
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
    summary_units: frozenset[int] | None = None,
) -> pd.DataFrame:
    """The SQL aggregate: per (`by` key, competency) the counts of
    core.assessments.rules.SUM_COLUMNS. Equal to gaps.sums_from_cells on the same cells.

    Two statements instead of one outer join over every cell: the required
    counts are head counts per (key, position) times the role map (a few
    thousand rows), and only the assessed cells are joined, driven from
    `CurrentLevel` — half the work at 10,000 people.

    With `unit_groups` (unit → the row it counts under, from
    gaps.unit_groups) and by="org_unit", the roll-up happens in SQL as well:
    one IN list per row, so a handful of rows come back instead of one per
    (team, competency); units outside the mapping drop out.

    With `summary_units` the assessed counts come from the level summary
    (db.models.level_summary) instead of the current levels: the caller
    guarantees that the people in scope are exactly those in and below these
    units (disjoint subtrees) and, for by="org_unit", that each row is one of
    them with its whole subtree."""
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
    if summary_units is not None:
        assessed = _assessed_from_summary(session, flt=flt, by=by, units=summary_units)
    else:
        assessed = _assessed_from_levels(session, flt=flt, by=by, label=label)
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


_ASSESSED_COLUMNS = ["assessed", "gap_sum", "proficient"]


def _assessed_from_summary(
    session: Session, *, flt: GapFilter, by: str, units: frozenset[int]
) -> pd.DataFrame:
    """The assessed counts from the level summary: per unit of `units` (the
    people in it and below) or per position over those units' people."""
    key: Any = col(LevelSummary.unit_id) if by == "org_unit" else col(LevelSummary.position_id)
    people = col(LevelSummary.people)
    query = (
        sa_select(
            key,
            col(LevelSummary.competency_id),
            func.sum(people),
            func.sum(people * (col(_REQUIRED.rank) - col(_CURRENT.rank))),
            func.sum(case((col(_CURRENT.rank) >= col(_REQUIRED.rank), people), else_=0)),
        )
        .select_from(LevelSummary)
        .join(
            RoleRequirement,
            (col(RoleRequirement.position_id) == col(LevelSummary.position_id))
            & (col(RoleRequirement.competency_id) == col(LevelSummary.competency_id)),
        )
        .join(_REQUIRED, col(_REQUIRED.id) == col(RoleRequirement.required_value_id))
        .join(_CURRENT, col(_CURRENT.id) == col(LevelSummary.value_id))
        .where(col(LevelSummary.unit_id).in_(sorted(units)))
    )
    if flt.job_family_id is not None:
        query = query.where(
            col(LevelSummary.position_id).in_(
                sa_select(col(Position.id)).where(col(Position.job_family_id) == flt.job_family_id)
            )
        )
    query = _requirement_filters(query, flt).group_by(key, col(LevelSummary.competency_id))
    return _frame(session.execute(query).all(), [by, "competency_id", *_ASSESSED_COLUMNS])


def _assessed_from_levels(session: Session, *, flt: GapFilter, by: str, label: Any) -> pd.DataFrame:
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
    return _frame(session.execute(assessed_query).all(), [by, "competency_id", *_ASSESSED_COLUMNS])


def _table_stamp(session: Session, model: Any) -> tuple[Any, ...]:
    """Row count, version sum and highest id: moves on any insert, delete or edit."""
    return tuple(
        session.execute(
            sa_select(
                func.count(),
                func.coalesce(func.sum(col(model.version)), 0),
                func.coalesce(func.max(col(model.id)), 0),
            ).select_from(model)
        ).one()
    )


def gap_data_stamp(session: Session) -> str:
    """Changes whenever anything a skills view shows may have changed (a rating,
    a role-map, people, competency, framework or scale edit): part of every
    cache key, so another replica's write is picked up on the next rerun.
    A few indexed aggregates, a millisecond."""
    assessment = session.execute(sa_select(func.max(col(Assessment.id)))).scalar()
    tables = (RoleRequirement, Person, ScaleValue, Competency, Framework)
    return f"a{assessment}-" + "-".join(str(_table_stamp(session, model)) for model in tables)


def gap_scope_key(actor: Actor, *, view: Literal["team", "org"]) -> str:
    """Who may share cached gap data: one manager's team view is theirs alone;
    the organisation view is the same for every HR admin."""
    if view == "org":
        return "org:all" if has(actor, Capability.org_gaps) else f"org:denied:{actor.person_id}"
    return f"team:{actor.person_id}"
