"""Programme health for HR (everyone) and managers (their line)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import pandas as pd
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from core.access import Actor, can_read_programme_health, has_org_wide_health, require
from core.assessments.rules import gap
from core.health.rules import (
    REVIEW_WINDOW,
    HealthFacts,
    Measure,
    aligned_goals,
    furthest_behind,
    monthly_points,
    programme_health,
    unit_chains,
)
from core.org import list_units, managed_unit_ids, report_ids, unit_parents
from db.models import (
    Assessment,
    CurrentLevel,
    Goal,
    KeyResult,
    LearningAssignment,
    LearningItem,
    LearningStatus,
    Person,
    ProgressUpdate,
    RoleRequirement,
    ScaleValue,
)


def percent_text(share: float | None) -> str:
    """A share as people read it; "—" where nothing could be counted."""
    return "—" if share is None or pd.isna(share) else f"{share * 100:.0f}%"


@dataclass(frozen=True)
class ProgrammeHealth:
    scope: str  # "the organisation" or "your line"
    trend: pd.DataFrame  # at, measure, share (the whole scope)
    by_unit: pd.DataFrame  # the latest figures per unit, as shown
    behind: pd.DataFrame  # the units furthest behind per measure
    people: int


def _day(value: datetime | date | None) -> date | None:
    if value is None:
        return None
    return value.date() if isinstance(value, datetime) else value


def _load_facts(
    session: Session, *, person_ids: set[int] | None, unit_ids: set[int] | None, since: date
) -> HealthFacts:
    """The facts of the people in scope (None: everyone active)."""
    people_query = sa_select(col(Person.id), col(Person.org_unit_id), col(Person.hire_date)).where(
        col(Person.active)
    )
    if person_ids is not None:
        people_query = people_query.where(col(Person.id).in_(person_ids))
    people = pd.DataFrame(
        session.execute(people_query).all(), columns=["person_id", "unit_id", "hired_on"]
    )
    in_scope = set(people["person_id"])
    unit_of = dict(zip(people["person_id"], people["unit_id"], strict=True))

    all_goals = session.execute(
        sa_select(
            col(Goal.id),
            col(Goal.parent_id),
            col(Goal.level),
            col(Goal.owner_id),
            col(Goal.org_unit_id),
            col(Goal.status),
            col(Goal.created_at),
            col(Goal.closed_at),
        )
    ).all()
    aligned = aligned_goals({row[0]: (row[1], row[2]) for row in all_goals if row[0] is not None})
    key_results = dict(
        session.exec(select(KeyResult.goal_id, func.count()).group_by(col(KeyResult.goal_id))).all()
    )
    first_updates = dict(
        session.exec(
            select(KeyResult.goal_id, func.min(ProgressUpdate.at))
            .join(KeyResult, col(KeyResult.id) == ProgressUpdate.key_result_id)
            .group_by(col(KeyResult.goal_id))
        ).all()
    )
    goal_rows = []
    for goal_id, _parent, level, owner_id, org_unit_id, status, created_at, closed_at in all_goals:
        if owner_id is not None:
            if owner_id not in in_scope:
                continue
            unit_id = unit_of[owner_id]
        elif unit_ids is None or org_unit_id in unit_ids:
            unit_id = org_unit_id
        else:
            continue
        if unit_id is None:
            continue
        goal_rows.append(
            (
                goal_id,
                owner_id,
                unit_id,
                level,
                status,
                _day(created_at),
                _day(closed_at),
                goal_id in aligned,
                int(key_results.get(goal_id, 0)),
                _day(first_updates.get(goal_id)),
            )
        )
    goals = pd.DataFrame(
        goal_rows,
        columns=[
            "goal_id",
            "owner_id",
            "unit_id",
            "level",
            "status",
            "created_on",
            "closed_on",
            "aligned",
            "key_results",
            "first_update_on",
        ],
    )
    update_rows = session.exec(
        select(KeyResult.goal_id, ProgressUpdate.at)
        .join(KeyResult, col(KeyResult.id) == ProgressUpdate.key_result_id)
        .where(col(ProgressUpdate.at) >= datetime.combine(since - REVIEW_WINDOW, time.min, UTC))
    ).all()
    updates = pd.DataFrame(
        [(goal_id, _day(at)) for goal_id, at in update_rows], columns=["goal_id", "on"]
    ).drop_duplicates()

    first_rated = session.exec(
        select(Assessment.person_id, func.min(Assessment.at))
        .join(Person, col(Person.id) == Assessment.person_id)
        .join(
            RoleRequirement,
            (col(RoleRequirement.position_id) == Person.position_id)
            & (col(RoleRequirement.competency_id) == Assessment.competency_id),
        )
        .group_by(col(Assessment.person_id))
    ).all()
    assessed = pd.DataFrame(
        [(p, _day(at)) for p, at in first_rated if p in in_scope], columns=["person_id", "first_on"]
    )

    ranks = dict(session.exec(select(ScaleValue.id, ScaleValue.rank)).all())
    levels = session.exec(
        select(
            CurrentLevel.person_id,
            CurrentLevel.competency_id,
            CurrentLevel.value_id,
            RoleRequirement.required_value_id,
        )
        .join(Person, col(Person.id) == CurrentLevel.person_id)
        .join(
            RoleRequirement,
            (col(RoleRequirement.position_id) == Person.position_id)
            & (col(RoleRequirement.competency_id) == CurrentLevel.competency_id),
        )
        .where(col(Person.active))
    ).all()
    assigned = set(
        session.exec(
            select(LearningAssignment.person_id, LearningItem.competency_id)
            .join(LearningItem, col(LearningItem.id) == LearningAssignment.item_id)
            .where(col(LearningAssignment.status) != LearningStatus.cancelled.value)
        ).all()
    )
    gap_rows = [
        (person_id, competency_id, (person_id, competency_id) in assigned)
        for person_id, competency_id, value_id, required_id in levels
        if person_id in in_scope
        and (shortfall := gap(ranks.get(required_id, 0), ranks.get(value_id))) is not None
        and shortfall > 0
    ]
    gaps = pd.DataFrame(gap_rows, columns=["person_id", "competency_id", "learning"])
    return HealthFacts(people=people, goals=goals, updates=updates, assessed=assessed, gaps=gaps)


def get_programme_health(session: Session, *, actor: Actor, today: date) -> ProgrammeHealth:
    """Each measure over the last six months for the actor's scope, the
    latest figures per unit and the units furthest behind."""
    require(
        can_read_programme_health(actor),
        session=session,
        actor=actor,
        action="read",
        entity="programme_health",
    )
    points = monthly_points(today)
    parents = unit_parents(session)
    if has_org_wide_health(actor):
        person_ids: set[int] | None = None
        unit_ids: set[int] | None = None
        scope = "the organisation"
    else:
        person_ids = report_ids(session, manager_id=actor.person_id)
        unit_ids = managed_unit_ids(session, person_id=actor.person_id, parents=parents)
        scope = "your line"
    facts = _load_facts(session, person_ids=person_ids, unit_ids=unit_ids, since=points[0])
    # The scope as a whole: every fact counted once, under one pseudo-unit.
    whole = HealthFacts(
        people=facts.people.assign(unit_id=0),
        goals=facts.goals.assign(unit_id=0),
        updates=facts.updates,
        assessed=facts.assessed,
        gaps=facts.gaps,
    )
    trend = programme_health(whole, parents={0: None}, points=points)
    trend = trend[["at", "measure", "share", "hits", "of"]]

    health = programme_health(facts, parents=parents, points=points)
    latest = health[health["at"] == points[-1]]
    counted_people = facts.people.merge(unit_chains(parents), on="unit_id")
    sizes = counted_people.groupby("counted_in").size()
    people_per_unit = {int(u): int(c) for u, c in zip(sizes.index, sizes.to_numpy(), strict=True)}
    units = list_units(session)  # parents first, names indented by depth
    names = {unit_id: name.strip() for unit_id, name in units}
    order = {unit_id: index for index, (unit_id, _name) in enumerate(units)}
    if unit_ids is not None:
        latest = latest[latest["unit_id"].isin(unit_ids)]
    wide = latest.pivot_table(index="unit_id", columns="measure", values="share").reindex(
        columns=[m.value for m in Measure]
    )
    wide = wide.loc[sorted(wide.index, key=lambda u: order.get(u, len(order)))]
    by_unit = pd.DataFrame(
        {
            "Unit": [dict(units).get(u, "") for u in wide.index],
            "People": [int(people_per_unit.get(u, 0)) for u in wide.index],
            **{measure: wide[measure].map(percent_text) for measure in wide.columns},
        }
    ).reset_index(drop=True)
    now = trend[trend["at"] == points[-1]]
    overall = dict(zip(now["measure"], now["share"].fillna(0.0), strict=True))
    behind = furthest_behind(latest, people_per_unit=people_per_unit, overall=overall)
    behind = pd.DataFrame(
        {
            "Measure": behind["measure"],
            "Unit": behind["unit_id"].map(names),
            "Share": behind["share"].map(percent_text),
            "Counted": behind["hits"].astype(str) + " of " + behind["of"].astype(str),
        }
    )
    return ProgrammeHealth(
        scope=scope, trend=trend, by_unit=by_unit, behind=behind, people=len(facts.people)
    )
