"""Home: what needs the signed-in person now, in one read.

`get_home` gathers everything the Home page renders: who I am, my manager
and reports, my to-dos (core.todos), my goals of the current cycle, for a
manager the team's goals and ratings that need attention, and for HR the
organisation's participation in the process (`get_participation`, counted in
SQL per unit and added up per division, so 10,000 people stay one query).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import func
from sqlmodel import Session, col, select

from core.access import Actor, Capability, can_read_participation, has, require
from core.assessments.todos import ReportRatings, list_report_ratings
from core.goals import GoalView, current_cycle_id, list_cycles, list_person_goals
from core.goals import list_team_goals as _list_team_goals
from core.goals.rules import STALE_AFTER
from core.org import unit_chain, unit_parents
from core.people.queries import Dashboard, get_dashboard
from core.todos import Todo, as_of, list_todos
from db.models import (
    Assessment,
    AssessmentSource,
    Goal,
    GoalCycleRead,
    GoalLevel,
    GoalStatus,
    KeyResult,
    OrgUnit,
    Person,
    ProgressUpdate,
)

# How many goals or people a Home list shows before "see all" on its page.
HOME_LIST = 5
# Goals that count as taking part: commitments, not drafts or cancelled ones.
PARTICIPATING_STATUSES = (GoalStatus.active.value, GoalStatus.completed.value)


@dataclass(frozen=True)
class FlaggedGoal:
    id: int
    person: str
    title: str
    progress: float | None
    at_risk: bool
    stale: bool


@dataclass(frozen=True)
class TeamAttention:
    """A manager's direct reports at a glance: their goals in the current
    cycle (Team goals shows everyone below), and their role competencies
    awaiting or missing a manager rating (rated on Skills gap)."""

    goals: int
    at_risk: int
    stale: int
    flagged: list[FlaggedGoal]  # the first HOME_LIST of them, at risk first
    flagged_count: int  # goals at risk or stale (or both)
    unrated: int  # role competencies of direct reports with no manager rating
    awaiting: int  # self-assessments of direct reports awaiting a manager rating
    people_unrated: list[ReportRatings]


PARTICIPATION_MEASURES: dict[str, str] = {
    "with_goals": "Goals this cycle",
    "updated": f"Progress update in {STALE_AFTER.days // 7} weeks",
    "self_assessed": "Self-assessed",
    "manager_rated": "Rated by a manager",
}


@dataclass(frozen=True)
class Participation:
    """Shares of active people taking part, overall and per division.

    `by_group` has a row per division (the units just below the top; people
    of the top unit itself under its own name): `group`, `people`, and a count
    per PARTICIPATION_MEASURES key."""

    cycle_name: str | None
    people: int
    counts: dict[str, int]
    by_group: pd.DataFrame

    def share(self, measure: str) -> float | None:
        return self.counts[measure] / self.people if self.people else None

    def shares_frame(self) -> pd.DataFrame:
        """Per division and measure: the share of people (for the chart)."""
        rows = [
            {
                "group": row["group"],
                "measure": label,
                "share": row[measure] / row["people"] if row["people"] else 0.0,
            }
            for row in self.by_group.to_dict("records")
            for measure, label in PARTICIPATION_MEASURES.items()
        ]
        return pd.DataFrame(rows, columns=["group", "measure", "share"])

    def table(self) -> pd.DataFrame:
        """Per division: people and each measure as a percentage (whole numbers)."""
        frame = self.by_group[["group", "people"]].rename(columns={"group": "division"})
        people = self.by_group["people"].where(self.by_group["people"] > 0)
        for measure, label in PARTICIPATION_MEASURES.items():
            frame[label] = (self.by_group[measure] / people).mul(100).round(0).fillna(0).astype(int)
        return frame


@dataclass(frozen=True)
class Home:
    dashboard: Dashboard
    todos: list[Todo]
    cycle: GoalCycleRead | None
    my_goals: list[GoalView]
    team: TeamAttention | None = None
    participation: Participation | None = None

    @property
    def open_goals(self) -> list[GoalView]:
        return [g for g in self.my_goals if g.is_open]


def get_participation(
    session: Session, *, actor: Actor, cycle_id: int | None, now: datetime
) -> Participation:
    """HR: the share of active people with goals in the cycle, with a
    progress update on them in the last three weeks, self-assessed and rated
    by a manager. One grouped query per measure (people counted per unit in
    SQL), added up per division."""
    require(
        can_read_participation(actor),
        session=session,
        actor=actor,
        action="read_participation",
        entity="participation",
        message="Participation figures are for HR.",
    )
    since = now - STALE_AFTER
    goal_of_person = (
        (col(Goal.owner_id) == col(Person.id))
        & (col(Goal.level) == GoalLevel.individual.value)
        & (col(Goal.cycle_id) == (cycle_id if cycle_id is not None else -1))
        & col(Goal.status).in_(PARTICIPATING_STATUSES)
    )
    with_goals = select(Goal.id).where(goal_of_person).exists()
    updated = (
        select(ProgressUpdate.id)
        .join(KeyResult, col(KeyResult.id) == col(ProgressUpdate.key_result_id))
        .join(Goal, col(Goal.id) == col(KeyResult.goal_id))
        .where(goal_of_person, col(ProgressUpdate.at) >= since)
        .exists()
    )

    def rated_by(source: str) -> Any:
        return (
            select(Assessment.id)
            .where(col(Assessment.person_id) == col(Person.id), col(Assessment.source) == source)
            .exists()
        )

    def per_unit(condition: Any | None = None) -> dict[int, int]:
        """Active people per unit (meeting `condition`): one grouped query."""
        query = select(Person.org_unit_id, func.count()).where(col(Person.active).is_(True))
        if condition is not None:
            query = query.where(condition)
        return dict(session.exec(query.group_by(col(Person.org_unit_id))).all())

    people = per_unit()
    measured = {
        "with_goals": per_unit(with_goals),
        "updated": per_unit(updated),
        "self_assessed": per_unit(rated_by(AssessmentSource.self_.value)),
        "manager_rated": per_unit(rated_by(AssessmentSource.manager.value)),
    }
    parents = unit_parents(session)
    names = {i: n for i, n in session.exec(select(OrgUnit.id, OrgUnit.name)).all() if i}
    measures = list(PARTICIPATION_MEASURES)
    groups: dict[int, dict[str, int]] = {}
    for unit_id, count in people.items():
        chain = unit_chain(parents, unit_id)
        group = chain[-2] if len(chain) >= 2 else chain[-1]
        totals = groups.setdefault(group, {"people": 0, **dict.fromkeys(measures, 0)})
        totals["people"] += count
        for measure in measures:
            totals[measure] += measured[measure].get(unit_id, 0)
    everyone = pd.DataFrame(list(groups.values()), columns=["people", *measures])
    # The company is not a division of itself: people directly in a top unit
    # (the CEO) count in the totals, not as a row beside the divisions.
    divisions = {g: t for g, t in groups.items() if parents.get(g) is not None} or groups
    by_group = pd.DataFrame(
        [{"group": names.get(g, ""), **totals} for g, totals in divisions.items()],
        columns=["group", "people", *measures],
    )
    by_group = by_group.sort_values("group").reset_index(drop=True)
    cycle_name = None
    if cycle_id is not None:
        cycle_name = next((c.name for c in list_cycles(session) if c.id == cycle_id), None)
    return Participation(
        cycle_name=cycle_name,
        people=int(everyone["people"].sum()),
        counts={m: int(everyone[m].sum()) for m in measures},
        by_group=by_group,
    )


def _team_attention(session: Session, *, actor: Actor, cycle_id: int | None) -> TeamAttention:
    flagged: list[FlaggedGoal] = []
    goals = at_risk = stale = flagged_count = 0
    if cycle_id is not None:
        grid = _list_team_goals(session=session, actor=actor, cycle_id=cycle_id, direct_only=True)
        grid = grid[grid["status"] != GoalStatus.cancelled.value]
        goals = len(grid)
        at_risk = int(grid["at risk"].sum())
        stale = int(grid["stale"].sum())
        shown = grid[grid["at risk"] | grid["stale"]]
        flagged_count = len(shown)
        shown = shown.sort_values(
            ["at risk", "progress"], ascending=[False, True], na_position="first"
        )
        flagged = [
            FlaggedGoal(
                id=int(row["id"]),
                person=str(row["person"]),
                title=str(row["title"]),
                progress=None if pd.isna(row["progress"]) else float(row["progress"]),
                at_risk=bool(row["at risk"]),
                stale=bool(row["stale"]),
            )
            for row in shown.head(HOME_LIST).to_dict("records")
        ]
    reports = list_report_ratings(session, actor=actor)
    people_unrated = sorted(
        (r for r in reports if r.unrated), key=lambda r: (-r.unrated, r.full_name)
    )[:HOME_LIST]
    return TeamAttention(
        goals=goals,
        at_risk=at_risk,
        stale=stale,
        flagged=flagged,
        flagged_count=flagged_count,
        unrated=sum(r.unrated for r in reports),
        awaiting=sum(len(r.awaiting) for r in reports),
        people_unrated=people_unrated,
    )


def get_home(session: Session, *, actor: Actor, today: date) -> Home:
    """Everything Home shows for the actor, judged as of `today`."""
    dashboard = get_dashboard(session, actor=actor)
    todos = list_todos(session=session, actor=actor, today=today)
    cycles = list_cycles(session)
    cycle_id = current_cycle_id(cycles, today)
    cycle = next((c for c in cycles if c.id == cycle_id), None)
    my_goals = (
        list_person_goals(session=session, actor=actor, cycle_id=cycle_id, with_parents=False)
        if cycle_id is not None
        else []
    )
    team = (
        _team_attention(session, actor=actor, cycle_id=cycle_id)
        if has(actor, Capability.team_goals)
        else None
    )
    participation = (
        get_participation(session, actor=actor, cycle_id=cycle_id, now=as_of(today))
        if can_read_participation(actor)
        else None
    )
    return Home(
        dashboard=dashboard,
        todos=todos,
        cycle=cycle,
        my_goals=my_goals,
        team=team,
        participation=participation,
    )


__all__ = [
    "HOME_LIST",
    "PARTICIPATION_MEASURES",
    "FlaggedGoal",
    "Home",
    "Participation",
    "TeamAttention",
    "get_home",
    "get_participation",
]
