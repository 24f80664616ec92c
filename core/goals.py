"""Goals and OKRs: cycles, goals with alignment, key results, progress
history, the team grid, the alignment tree, reports and Excel import/export.

Progress math lives in core.progress (pure); this module loads the numbers,
checks access (core.access) and writes. Who may do what:
- individual goals: the owner and their managers up the chain edit them;
  HR reads them;
- team and company goals: managers of the unit (core.access.units_managed)
  and HR edit them; everyone in the unit's chain reads them.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd
from openpyxl import load_workbook
from sqlalchemy import delete as sa_delete
from sqlalchemy import func
from sqlmodel import Session, col, select

from core import progress as pm
from core.access import (
    Actor,
    Relation,
    can_edit_goal,
    can_manage_goal_cycles,
    can_read_goal_report,
    can_view_goal,
    managed_unit_ids,
    relation_between,
    report_ids,
    require,
    unit_chain,
    unit_parents,
)
from core.audit import record_event
from core.errors import NotFound, RowError, StaleEdit, ValidationError
from core.export import workbook_bytes
from core.grid import is_blank, text_or_none
from db.models import (
    Confidence,
    Goal,
    GoalCreate,
    GoalCycle,
    GoalCycleCreate,
    GoalCycleRead,
    GoalKind,
    GoalLevel,
    GoalRead,
    GoalStatus,
    GoalUpdate,
    KeyResult,
    KeyResultCreate,
    MetricType,
    OrgUnit,
    Person,
    ProgressUpdate,
    ProgressUpdateRead,
    utcnow,
)

MAX_IMPORT_BYTES = 10 * 1024 * 1024
MAX_IMPORT_GOALS = 5_000
MAX_IMPORT_KEY_RESULTS = 20_000
MAX_KEY_RESULTS_PER_GOAL = 10
HISTORY_LIMIT = 200
TITLE_MAX = 200
OPEN_STATUSES = (GoalStatus.draft.value, GoalStatus.active.value)
LEVELS = [level.value for level in GoalLevel]
KINDS = [kind.value for kind in GoalKind]
METRICS = [metric.value for metric in MetricType]
CONFIDENCES = [confidence.value for confidence in Confidence]


# --- read models ------------------------------------------------------------


@dataclass(frozen=True)
class KeyResultView:
    id: int
    goal_id: int
    title: str
    metric: str
    start_value: float
    target_value: float
    current_value: float
    unit: str
    weight: float
    version: int
    progress: float
    decreasing: bool
    last_confidence: str | None
    last_update_at: datetime | None

    def shown(self, value: float) -> str:
        return pm.format_value(value, metric=self.metric, unit=self.unit)


@dataclass(frozen=True)
class GoalView:
    id: int
    title: str
    description: str
    level: str
    kind: str
    status: str
    owner_id: int | None
    owner_name: str | None
    org_unit_id: int | None
    unit_name: str | None
    parent_id: int | None
    parent_title: str | None
    parent_progress: float | None
    cycle_id: int
    due_on: date | None
    final_rating: int | None
    version: int
    progress: float | None
    rolled_up: float | None
    at_risk: bool
    stale: bool
    last_activity: datetime | None
    can_edit: bool
    key_results: list[KeyResultView] = field(default_factory=list)

    @property
    def holder(self) -> str:
        return self.owner_name or self.unit_name or ""


@dataclass(frozen=True)
class GoalDetail:
    goal: GoalView
    history: list[ProgressUpdateRead]

    def history_frame(self) -> pd.DataFrame:
        """Newest first, with each update's progress on its key result."""
        krs = {kr.id: kr for kr in self.goal.key_results}
        rows = []
        for update in self.history:
            kr = krs.get(update.key_result_id)
            rows.append(
                {
                    "at": update.at,
                    "key result": kr.title if kr else "",
                    "value": update.value,
                    "progress": pm.key_result_progress(
                        start=kr.start_value,
                        target=kr.target_value,
                        current=update.value,
                        metric=kr.metric,
                    )
                    if kr
                    else None,
                    "confidence": update.confidence,
                    "note": update.note,
                    "by": update.author_name or "",
                }
            )
        return pd.DataFrame(
            rows, columns=["at", "key result", "value", "progress", "confidence", "note", "by"]
        )


@dataclass(frozen=True)
class AlignmentBranch:
    root_id: int | None  # None: goals not aligned to anything visible
    title: str
    rolled_up: float | None
    rows: pd.DataFrame


@dataclass(frozen=True)
class GoalReport:
    by_team: pd.DataFrame
    by_person: pd.DataFrame
    at_risk: pd.DataFrame
    distribution: pd.DataFrame
    goals: int


@dataclass(frozen=True)
class GoalImportPreview:
    goals: pd.DataFrame
    key_results: pd.DataFrame
    errors: list[RowError]

    @property
    def valid(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class GoalImportResult:
    goals: int
    key_results: int


# --- scope ------------------------------------------------------------------


@dataclass
class _Scope:
    """What the actor may see and edit, computed once per call."""

    actor: Actor
    parents: dict[int, int | None]
    own_unit_id: int | None
    own_chain: set[int]
    managed_units: set[int]
    reports: set[int]

    @classmethod
    def load(cls, session: Session, actor: Actor) -> _Scope:
        parents = unit_parents(session)
        own_unit = session.exec(
            select(Person.org_unit_id).where(Person.id == actor.person_id)
        ).first()
        return cls(
            actor=actor,
            parents=parents,
            own_unit_id=own_unit,
            own_chain=set(unit_chain(parents, own_unit)) if own_unit else set(),
            managed_units=managed_unit_ids(session, person_id=actor.person_id, parents=parents),
            reports=report_ids(session, manager_id=actor.person_id) if actor.is_manager else set(),
        )

    def relation(self, person_id: int | None) -> Relation | None:
        if person_id is None:
            return None
        if person_id == self.actor.person_id:
            return Relation.self_
        if person_id in self.reports:
            # Direct or indirect makes no difference to goal rules.
            return Relation.indirect_report
        return Relation.other

    def can_view(self, level: str, owner_id: int | None, unit_id: int | None) -> bool:
        return can_view_goal(
            self.actor,
            level=level,
            relation=self.relation(owner_id),
            unit_in_own_chain=unit_id in self.own_chain,
            manages_unit=unit_id in self.managed_units,
        )

    def can_edit(self, level: str, owner_id: int | None, unit_id: int | None) -> bool:
        return can_edit_goal(
            self.actor,
            level=level,
            relation=self.relation(owner_id),
            manages_unit=unit_id in self.managed_units,
        )

    def visible_people(self) -> set[int] | None:
        """People whose individual goals the actor sees; None means everyone."""
        if self.actor.is_hr_admin:
            return None
        return {self.actor.person_id, *self.reports}


def _require_view(session: Session, scope: _Scope, goal: Goal) -> None:
    require(
        scope.can_view(goal.level, goal.owner_id, goal.org_unit_id),
        session=session,
        actor=scope.actor,
        action="view",
        entity="goal",
        entity_id=goal.id,
        message="You can't see that goal.",
    )


def _require_edit(session: Session, scope: _Scope, goal: Goal, action: str) -> None:
    require(
        scope.can_edit(goal.level, goal.owner_id, goal.org_unit_id),
        session=session,
        actor=scope.actor,
        action=action,
        entity="goal",
        entity_id=goal.id,
        message=(
            "You can edit your own goals and your reports' goals; team and company "
            "goals are edited by the unit's managers and HR."
        ),
    )


def _get_goal(session: Session, goal_id: int) -> Goal:
    goal = session.get(Goal, goal_id)
    if goal is None:
        raise NotFound("There is no such goal.")
    return goal


# --- cycles -----------------------------------------------------------------


def list_cycles(session: Session) -> list[GoalCycleRead]:
    """Cycle names and dates are shared organisation data."""
    rows = session.exec(select(GoalCycle).order_by(col(GoalCycle.starts_on).desc())).all()
    return [GoalCycleRead.model_validate(row) for row in rows]


def current_cycle_id(cycles: Sequence[GoalCycleRead], today: date) -> int | None:
    """The cycle containing today, else the latest that has started, else any."""
    containing = [c for c in cycles if c.starts_on <= today <= c.ends_on]
    if containing:
        return max(containing, key=lambda c: c.starts_on).id
    started = [c for c in cycles if c.starts_on <= today]
    if started:
        return max(started, key=lambda c: c.starts_on).id
    return cycles[0].id if cycles else None


def validate_cycle(cycle_in: GoalCycleCreate) -> list[str]:
    problems = []
    if not cycle_in.name.strip():
        problems.append("A cycle needs a name.")
    if cycle_in.ends_on <= cycle_in.starts_on:
        problems.append("A cycle ends after it starts.")
    else:
        months = pm.cycle_months(starts_on=cycle_in.starts_on, ends_on=cycle_in.ends_on)
        if not 0.9 <= months <= 4.1:
            problems.append("Goal cycles are short: 1 to 4 months.")
    return problems


def create_cycle(session: Session, *, actor: Actor, cycle_in: GoalCycleCreate) -> GoalCycleRead:
    require(
        can_manage_goal_cycles(actor),
        session=session,
        actor=actor,
        action="create",
        entity="goal_cycle",
    )
    problems = validate_cycle(cycle_in)
    name = cycle_in.name.strip()
    if session.exec(select(GoalCycle.id).where(GoalCycle.name == name)).first() is not None:
        problems.append(f"There is already a cycle called {name!r}.")
    if problems:
        raise ValidationError(" ".join(problems))
    cycle = GoalCycle(name=name, starts_on=cycle_in.starts_on, ends_on=cycle_in.ends_on)
    session.add(cycle)
    session.flush()
    record_event(
        session,
        actor_id=actor.person_id,
        action="goal_cycle.created",
        entity="goal_cycle",
        entity_id=cycle.id,
        detail={"name": name},
    )
    return GoalCycleRead.model_validate(cycle)


def _get_cycle(session: Session, cycle_id: int) -> GoalCycle:
    cycle = session.get(GoalCycle, cycle_id)
    if cycle is None:
        raise NotFound("There is no such goal cycle.")
    return cycle


# --- progress of a cycle ------------------------------------------------------


@dataclass(slots=True)
class _GoalRow:
    """The columns of a goal the numbers need (plain values: loading tens of
    thousands of ORM objects would dominate a page at 10,000 people)."""

    id: int
    title: str
    level: str
    kind: str
    status: str
    owner_id: int | None
    org_unit_id: int | None
    parent_id: int | None
    cycle_id: int
    due_on: date | None
    final_rating: int | None
    version: int
    created_at: datetime


_GOAL_ROW_COLUMNS: tuple[Any, ...] = (
    Goal.id,
    Goal.title,
    Goal.level,
    Goal.kind,
    Goal.status,
    Goal.owner_id,
    Goal.org_unit_id,
    Goal.parent_id,
    Goal.cycle_id,
    Goal.due_on,
    Goal.final_rating,
    Goal.version,
    Goal.created_at,
)
_KR_COLUMNS: tuple[Any, ...] = (
    KeyResult.id,
    KeyResult.goal_id,
    KeyResult.title,
    KeyResult.metric,
    KeyResult.start_value,
    KeyResult.target_value,
    KeyResult.current_value,
    KeyResult.unit,
    KeyResult.weight,
    KeyResult.version,
)
# Past this many goals a focused load reads the whole cycle instead of a long IN list.
FOCUS_LIMIT = 2_000


@dataclass
class _CycleNumbers:
    """Goals of a cycle with their own and rolled-up progress and flags.
    With a focus, only the focus goals' subtrees and their parents' subtrees
    are measured (enough for their roll-up and their parents')."""

    goals: dict[int, _GoalRow]
    measured: set[int]
    key_results: dict[int, list[KeyResultView]]
    own: dict[int, float | None]
    rolled: dict[int, float | None]
    last_activity: dict[int, datetime]
    at_risk: dict[int, bool]
    stale: dict[int, bool]


def _cycle_numbers(
    session: Session,
    cycle: GoalCycle,
    *,
    focus: Iterable[int] | None = None,
    now: datetime | None = None,
) -> _CycleNumbers:
    now = now or utcnow()
    goals = {
        row[0]: _GoalRow(*row)
        for row in session.exec(select(*_GOAL_ROW_COLUMNS).where(Goal.cycle_id == cycle.id)).all()
    }
    measured = set(goals)
    if focus is not None:
        children: dict[int, list[int]] = {}
        for goal in goals.values():
            if goal.parent_id is not None:
                children.setdefault(goal.parent_id, []).append(goal.id)
        wanted = {g for g in focus if g in goals}
        wanted |= {goals[g].parent_id for g in wanted if goals[g].parent_id in goals}  # type: ignore[misc]
        measured = set()
        stack = list(wanted)
        while stack:
            goal_id = stack.pop()
            if goal_id not in measured:
                measured.add(goal_id)
                stack.extend(children.get(goal_id, []))
    narrow = len(measured) <= FOCUS_LIMIT and len(measured) < len(goals)
    kr_query = (
        select(*_KR_COLUMNS)
        .join(Goal, col(Goal.id) == col(KeyResult.goal_id))
        .where(Goal.cycle_id == cycle.id)
        .order_by(col(KeyResult.id))
    )
    latest_ids = (
        select(
            func.max(ProgressUpdate.id).label("latest_id"),
            func.max(ProgressUpdate.at).label("last_at"),
        )
        .join(KeyResult, col(KeyResult.id) == col(ProgressUpdate.key_result_id))
        .join(Goal, col(Goal.id) == col(KeyResult.goal_id))
        .where(Goal.cycle_id == cycle.id)
        .group_by(col(ProgressUpdate.key_result_id))
    )
    if narrow:
        kr_query = kr_query.where(col(Goal.id).in_(measured))
        latest_ids = latest_ids.where(col(Goal.id).in_(measured))
    latest_sub = latest_ids.subquery()
    latest = {
        kr_id: (confidence, last_at)
        for kr_id, confidence, last_at in session.exec(
            select(
                ProgressUpdate.key_result_id, ProgressUpdate.confidence, latest_sub.c.last_at
            ).join(latest_sub, col(ProgressUpdate.id) == latest_sub.c.latest_id)
        ).all()
    }
    key_results: dict[int, list[KeyResultView]] = {}
    for (
        kr_id,
        goal_id,
        title,
        metric,
        start,
        target,
        current,
        unit,
        weight,
        version,
    ) in session.exec(kr_query).all():
        if goal_id not in measured:
            continue
        confidence, last_at = latest.get(kr_id, (None, None))
        key_results.setdefault(goal_id, []).append(
            KeyResultView(
                id=kr_id,
                goal_id=goal_id,
                title=title,
                metric=metric,
                start_value=start,
                target_value=target,
                current_value=current,
                unit=unit,
                weight=weight,
                version=version,
                progress=pm.key_result_progress(
                    start=start, target=target, current=current, metric=metric
                ),
                decreasing=pm.is_decreasing(start=start, target=target),
                last_confidence=confidence,
                last_update_at=last_at,
            )
        )
    own = {
        goal_id: pm.goal_progress(
            [pm.WeightedProgress(kr.progress, kr.weight) for kr in key_results.get(goal_id, [])]
        )
        for goal_id in measured
    }
    rolled = pm.roll_up(
        pm.GoalNode(
            id=g_id,
            parent_id=goals[g_id].parent_id,
            own_progress=own[g_id],
            status=goals[g_id].status,
        )
        for g_id in measured
    )
    elapsed = pm.elapsed_share(starts_on=cycle.starts_on, ends_on=cycle.ends_on, today=now.date())
    last_activity: dict[int, datetime] = {}
    at_risk: dict[int, bool] = {}
    stale: dict[int, bool] = {}
    for goal_id in measured:
        goal = goals[goal_id]
        krs = key_results.get(goal_id, [])
        updates = [kr.last_update_at for kr in krs if kr.last_update_at]
        last_activity[goal_id] = max([goal.created_at, *updates])
        stale[goal_id] = pm.is_stale(
            status=goal.status, last_activity=last_activity[goal_id], now=now
        )
        at_risk[goal_id] = pm.is_at_risk(
            status=goal.status,
            progress=rolled.get(goal_id),
            elapsed=elapsed,
            confidences=[kr.last_confidence for kr in krs],
        )
    return _CycleNumbers(goals, measured, key_results, own, rolled, last_activity, at_risk, stale)


def _names(session: Session, person_ids: Iterable[int | None]) -> dict[int, str]:
    ids = {i for i in person_ids if i is not None}
    if not ids:
        return {}
    rows = session.exec(select(Person.id, Person.full_name).where(col(Person.id).in_(ids))).all()
    return {person_id: name for person_id, name in rows if person_id is not None}


def _unit_names(session: Session) -> dict[int, str]:
    return {i: n for i, n in session.exec(select(OrgUnit.id, OrgUnit.name)).all() if i is not None}


def _views(
    session: Session, scope: _Scope, numbers: _CycleNumbers, goal_ids: Iterable[int]
) -> list[GoalView]:
    ids = list(goal_ids)
    goals = [numbers.goals[i] for i in ids]
    names = _names(session, [g.owner_id for g in goals])
    descriptions = {
        goal_id: text
        for goal_id, text in session.exec(
            select(Goal.id, Goal.description).where(col(Goal.id).in_(ids))
        ).all()
        if goal_id is not None
    }
    units = _unit_names(session)
    views = []
    for goal in goals:
        assert goal.id is not None
        parent = numbers.goals.get(goal.parent_id) if goal.parent_id else None
        views.append(
            GoalView(
                id=goal.id,
                title=goal.title,
                description=descriptions.get(goal.id, ""),
                level=goal.level,
                kind=goal.kind,
                status=goal.status,
                owner_id=goal.owner_id,
                owner_name=names.get(goal.owner_id) if goal.owner_id else None,
                org_unit_id=goal.org_unit_id,
                unit_name=units.get(goal.org_unit_id) if goal.org_unit_id else None,
                parent_id=goal.parent_id,
                parent_title=parent.title if parent else None,
                parent_progress=numbers.rolled.get(parent.id) if parent and parent.id else None,
                cycle_id=goal.cycle_id,
                due_on=goal.due_on,
                final_rating=goal.final_rating,
                version=goal.version,
                progress=numbers.own.get(goal.id),
                rolled_up=numbers.rolled.get(goal.id),
                at_risk=numbers.at_risk.get(goal.id, False),
                stale=numbers.stale.get(goal.id, False),
                last_activity=numbers.last_activity.get(goal.id),
                can_edit=scope.can_edit(goal.level, goal.owner_id, goal.org_unit_id),
                key_results=numbers.key_results.get(goal.id, []),
            )
        )
    return views


_STATUS_ORDER = {"active": 0, "draft": 1, "completed": 2, "cancelled": 3}


# --- my goals -----------------------------------------------------------------


def list_goal_owners(session: Session, *, actor: Actor) -> list[tuple[int, str]]:
    """Whom the actor may create individual goals for: themselves and reports."""
    ids = {actor.person_id}
    if actor.is_manager:
        ids |= report_ids(session, manager_id=actor.person_id)
    rows = session.exec(
        select(Person.id, Person.full_name)
        .where(col(Person.id).in_(ids), col(Person.active).is_(True))
        .order_by(Person.full_name)
    ).all()
    own = [(i, n) for i, n in rows if i == actor.person_id]
    return own + [(i, n) for i, n in rows if i != actor.person_id and i is not None]


def list_person_goals(
    session: Session, *, actor: Actor, cycle_id: int, person_id: int | None = None
) -> list[GoalView]:
    """A person's individual goals in a cycle (default: the actor's own)."""
    person_id = person_id or actor.person_id
    if session.get(Person, person_id) is None:
        raise NotFound("There is no such person.")
    relation = relation_between(session, viewer_id=actor.person_id, target_id=person_id)
    require(
        can_view_goal(actor, level="individual", relation=relation),
        session=session,
        actor=actor,
        action="list",
        entity="goal",
        entity_id=f"person:{person_id}",
        message="You can see your own goals and your reports' goals.",
    )
    cycle = _get_cycle(session, cycle_id)
    own_ids = session.exec(
        select(Goal.id).where(
            Goal.cycle_id == cycle_id, Goal.owner_id == person_id, Goal.level == "individual"
        )
    ).all()
    numbers = _cycle_numbers(session, cycle, focus=[i for i in own_ids if i is not None])
    ids = sorted(
        (i for i in own_ids if i is not None),
        key=lambda i: (_STATUS_ORDER.get(numbers.goals[i].status, 9), i),
    )
    return _views(session, _Scope.load(session, actor), numbers, ids)


def get_goal(session: Session, *, actor: Actor, goal_id: int) -> GoalDetail:
    goal = _get_goal(session, goal_id)
    scope = _Scope.load(session, actor)
    _require_view(session, scope, goal)
    numbers = _cycle_numbers(session, _get_cycle(session, goal.cycle_id), focus=[goal_id])
    view = _views(session, scope, numbers, [goal_id])[0]
    author = Person
    rows = session.exec(
        select(ProgressUpdate, author.full_name)
        .join(KeyResult, col(KeyResult.id) == col(ProgressUpdate.key_result_id))
        .join(author, col(author.id) == col(ProgressUpdate.author_id), isouter=True)
        .where(KeyResult.goal_id == goal_id)
        .order_by(col(ProgressUpdate.at).desc(), col(ProgressUpdate.id).desc())
        .limit(HISTORY_LIMIT)
    ).all()
    history = [
        ProgressUpdateRead(
            id=update.id or 0,
            key_result_id=update.key_result_id,
            value=update.value,
            confidence=update.confidence,
            note=update.note,
            author_id=update.author_id,
            author_name=name,
            at=update.at,
        )
        for update, name in rows
    ]
    return GoalDetail(goal=view, history=history)


def list_alignment_targets(
    session: Session, *, actor: Actor, cycle_id: int, level: str, org_unit_id: int | None = None
) -> list[tuple[int, str]]:
    """Goals a new goal of `level` may align to, that the actor can see."""
    scope = _Scope.load(session, actor)
    goals = session.exec(
        select(Goal)
        .where(
            Goal.cycle_id == cycle_id,
            col(Goal.level).in_(["company", "team"]),
            col(Goal.status).in_(["active", "draft", "completed"]),
        )
        .order_by(col(Goal.level), col(Goal.title))
    ).all()
    units = _unit_names(session)
    options = []
    for goal in goals:
        if goal.id is None or not scope.can_view(goal.level, goal.owner_id, goal.org_unit_id):
            continue
        if _parent_problem(scope.parents, level=level, org_unit_id=org_unit_id, parent=goal):
            continue
        unit = units.get(goal.org_unit_id or 0, "")
        options.append((goal.id, f"{goal.title} ({goal.level} · {unit})"))
    # Company goals first, then team goals nearest the viewer's own unit.
    options.sort(key=lambda o: (0 if "(company" in o[1] else 1, o[1]))
    return options


# --- validation ----------------------------------------------------------------


def _parent_problem(
    parents: dict[int, int | None], *, level: str, org_unit_id: int | None, parent: Goal
) -> str | None:
    """Alignment only points upwards, so the tree can never loop:
    individual → team or company; team → company, or a team goal of a unit
    above its own; company goals are the roots."""
    if parent.status == GoalStatus.cancelled.value:
        return "That goal is cancelled."
    if level == "company":
        return "Company goals are the top of the tree; they align to nothing."
    if parent.level == "individual":
        return "Goals align to a team or company goal, not to a person's goal."
    if level == "team" and parent.level == "team":
        if org_unit_id is None or parent.org_unit_id is None:
            return "A team goal aligns to a company goal or a team goal of a unit above it."
        above = unit_chain(parents, org_unit_id)[1:]
        if parent.org_unit_id not in above:
            return "A team goal aligns to a company goal or a team goal of a unit above it."
    return None


CREATE_REFUSAL = (
    "You may create goals for yourself and your reports; team and company "
    "goals for units you manage (HR: any unit)."
)


def _may_create(scope: _Scope, level: str, owner_id: int | None, org_unit_id: int | None) -> bool:
    if level == "individual":
        return owner_id is None or scope.can_edit(level, owner_id, None)
    return scope.can_edit(level, None, org_unit_id)


def _validate_goal(
    session: Session,
    scope: _Scope,
    *,
    title: Any,
    level: Any,
    kind: Any,
    status: Any,
    owner_id: int | None,
    org_unit_id: int | None,
    cycle: GoalCycle | None,
    due_on: date | None,
    parent: Goal | None,
    check_permission: bool = True,
) -> list[tuple[str, str]]:
    """(column, message) problems of one goal; empty when it may be saved."""
    problems: list[tuple[str, str]] = []
    if is_blank(title):
        problems.append(("title", "Required."))
    elif len(str(title).strip()) > TITLE_MAX:
        problems.append(("title", f"At most {TITLE_MAX} characters."))
    if level not in LEVELS:
        problems.append(("level", "One of " + ", ".join(LEVELS) + "."))
    if kind not in KINDS:
        problems.append(("kind", "One of " + ", ".join(KINDS) + "."))
    if status not in OPEN_STATUSES:
        problems.append(("status", "New goals are draft or active."))
    if level == "individual":
        if owner_id is None:
            problems.append(("owner", "An individual goal needs an owner."))
    elif level in ("team", "company"):
        unit_parent = scope.parents.get(org_unit_id) if org_unit_id is not None else None
        if org_unit_id is None or org_unit_id not in scope.parents:
            problems.append(("unit", "A team or company goal needs an org unit."))
        elif level == "company" and unit_parent is not None:
            problems.append(("unit", "Company goals belong to the top unit."))
        elif level == "team" and unit_parent is None:
            problems.append(("unit", "Goals of the top unit are company goals."))
    if cycle is None:
        problems.append(("cycle", "Unknown goal cycle."))
    elif due_on is not None and not cycle.starts_on <= due_on <= cycle.ends_on:
        problems.append(("due_on", f"Within the cycle ({cycle.starts_on} to {cycle.ends_on})."))
    if (
        check_permission
        and level in LEVELS
        and not _may_create(scope, level, owner_id, org_unit_id)
    ):
        problems.append(("owner" if level == "individual" else "unit", CREATE_REFUSAL))
    if parent is not None:
        if cycle is not None and parent.cycle_id != cycle.id:
            problems.append(("parent", "Align to a goal of the same cycle."))
        elif not scope.can_view(parent.level, parent.owner_id, parent.org_unit_id):
            problems.append(("parent", "You can't see that goal."))
        elif level in LEVELS and (
            reason := _parent_problem(
                scope.parents, level=str(level), org_unit_id=org_unit_id, parent=parent
            )
        ):
            problems.append(("parent", reason))
    return problems


def _number(value: Any) -> float | None:
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    try:
        number = (
            float(str(value).strip().replace(",", "")) if isinstance(value, str) else float(value)
        )
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _validate_key_result(
    values: dict[str, Any],
) -> tuple[KeyResultCreate | None, list[tuple[str, str]]]:
    problems: list[tuple[str, str]] = []
    title = values.get("title")
    if is_blank(title):
        problems.append(("title", "Required."))
    elif len(str(title).strip()) > TITLE_MAX:
        problems.append(("title", f"At most {TITLE_MAX} characters."))
    metric = str(values.get("metric") or "number").strip().lower()
    if metric in ("yes/no", "yes_no", "bool"):
        metric = "boolean"
    if metric not in METRICS:
        problems.append(("metric", "One of " + ", ".join(METRICS) + "."))
    numbers: dict[str, float] = {}
    defaults = {
        "start_value": 0.0,
        "target_value": 1.0 if metric == "boolean" else 100.0,
        "current_value": None,
        "weight": 1.0,
    }
    for column, default in defaults.items():
        raw = values.get(column)
        number = _number(raw)
        if number is None and not is_blank(raw):
            problems.append((column, "A number."))
        if number is None:
            number = default if default is not None else numbers.get("start_value", 0.0)
        numbers[column] = float(number)
    if metric == "boolean":
        numbers["start_value"], numbers["target_value"] = 0.0, 1.0
        numbers["current_value"] = 1.0 if numbers["current_value"] >= 0.5 else 0.0
    if not 0 <= numbers["weight"] <= 100:
        problems.append(("weight", "From 0 to 100."))
    unit = "" if is_blank(values.get("unit")) else str(values.get("unit")).strip()
    if len(unit) > 20:
        problems.append(("unit", "At most 20 characters."))
    if metric == "percent":
        unit = "%"
    if problems:
        return None, problems
    return (
        KeyResultCreate(
            title=str(title).strip(),
            metric=metric,
            start_value=numbers["start_value"],
            target_value=numbers["target_value"],
            current_value=numbers["current_value"],
            unit=unit,
            weight=numbers["weight"],
        ),
        [],
    )


def _raise_if(
    problems: list[tuple[str, str]], message: str = "Nothing was saved: fix these."
) -> None:
    if problems:
        raise ValidationError(
            message + " " + " ".join(f"{column}: {text}" for column, text in problems),
            rows=[RowError("form", column, text) for column, text in problems],
        )


# --- writes -------------------------------------------------------------------


def create_goal(
    session: Session,
    *,
    actor: Actor,
    goal_in: GoalCreate,
    key_results: Sequence[dict[str, Any] | KeyResultCreate] = (),
) -> GoalRead:
    """Create a goal with its key results in one go."""
    scope = _Scope.load(session, actor)
    level = goal_in.level
    owner_id = goal_in.owner_id if level == "individual" else None
    if level == "individual" and owner_id is None:
        owner_id = actor.person_id
    org_unit_id = goal_in.org_unit_id if level != "individual" else None
    if owner_id is not None and session.get(Person, owner_id) is None:
        raise NotFound("There is no such person.")
    parent = _get_goal(session, goal_in.parent_id) if goal_in.parent_id else None
    cycle = session.get(GoalCycle, goal_in.cycle_id)
    if level in LEVELS:
        require(
            _may_create(scope, level, owner_id, org_unit_id),
            session=session,
            actor=actor,
            action="create",
            entity="goal",
            entity_id=f"person:{owner_id}" if owner_id else f"unit:{org_unit_id}",
            message=CREATE_REFUSAL,
        )
    problems = _validate_goal(
        session,
        scope,
        title=goal_in.title,
        level=level,
        kind=goal_in.kind,
        status=goal_in.status,
        owner_id=owner_id,
        org_unit_id=org_unit_id,
        cycle=cycle,
        due_on=goal_in.due_on,
        parent=parent,
    )
    krs: list[KeyResultCreate] = []
    for index, raw in enumerate(key_results, start=1):
        values = raw.model_dump() if isinstance(raw, KeyResultCreate) else raw
        kr, kr_problems = _validate_key_result(values)
        problems.extend((f"key result {index} {column}", text) for column, text in kr_problems)
        if kr is not None:
            krs.append(kr)
    if len(krs) > MAX_KEY_RESULTS_PER_GOAL:
        problems.append(("key results", f"At most {MAX_KEY_RESULTS_PER_GOAL} per goal."))
    _raise_if(problems)
    goal = Goal(
        title=goal_in.title.strip(),
        description=goal_in.description.strip(),
        level=level,
        kind=goal_in.kind,
        status=goal_in.status,
        owner_id=owner_id,
        org_unit_id=org_unit_id,
        parent_id=parent.id if parent else None,
        cycle_id=goal_in.cycle_id,
        due_on=goal_in.due_on,
        created_by_id=actor.person_id,
    )
    session.add(goal)
    session.flush()
    assert goal.id is not None
    for kr in krs:
        _add_key_result_row(session, actor, goal.id, kr)
    record_event(
        session,
        actor_id=actor.person_id,
        action="goal.created",
        entity="goal",
        entity_id=goal.id,
        detail={"title": goal.title, "level": level, "key_results": len(krs)},
    )
    session.flush()
    return GoalRead.model_validate(goal)


def _add_key_result_row(
    session: Session, actor: Actor, goal_id: int, kr: KeyResultCreate
) -> KeyResult:
    row = KeyResult(goal_id=goal_id, **kr.model_dump())
    session.add(row)
    session.flush()
    assert row.id is not None
    # The starting point is the first entry of the history.
    session.add(
        ProgressUpdate(
            key_result_id=row.id, value=row.current_value, author_id=actor.person_id, note="Created"
        )
    )
    return row


def _check_version(goal: Goal, version: int) -> None:
    if goal.version != version:
        raise StaleEdit(
            f"Someone else changed “{goal.title}” after you opened it. "
            "Nothing was saved; reload to see their change."
        )


def _touch(goal: Goal) -> None:
    goal.version += 1
    goal.updated_at = utcnow()


def _editable_goal(
    session: Session, actor: Actor, goal_id: int, version: int, action: str
) -> tuple[Goal, _Scope]:
    """The goal behind an edit, once the actor may make it and nobody changed it since."""
    goal = _get_goal(session, goal_id)
    scope = _Scope.load(session, actor)
    _require_edit(session, scope, goal, action)
    _check_version(goal, version)
    return goal, scope


def _editable_key_result(
    session: Session, actor: Actor, key_result_id: int, version: int, action: str, verb: str
) -> tuple[KeyResult, Goal]:
    scope = _Scope.load(session, actor)
    kr, goal = _get_key_result(session, scope, key_result_id, action)
    if kr.version != version:
        raise StaleEdit(
            f"Someone else {verb} “{kr.title}” after you opened it. Reload and try again."
        )
    return kr, goal


def _save_change(
    session: Session,
    actor: Actor,
    goal: Goal,
    *,
    action: str,
    entity: str,
    entity_id: int | None,
    detail: dict[str, Any],
    also: Sequence[Any] = (),
) -> None:
    """Bump the goal's version (every change to it or its key results does) and audit."""
    _touch(goal)
    session.add_all([*also, goal])
    record_event(
        session,
        actor_id=actor.person_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        detail=detail,
    )
    session.flush()


def update_goal(
    session: Session, *, actor: Actor, goal_id: int, version: int, changes: GoalUpdate
) -> GoalRead:
    """Edit title, description, kind, due date, alignment, or move between
    draft and active (reopening a closed goal clears its rating)."""
    goal, scope = _editable_goal(session, actor, goal_id, version, "edit")
    parent = goal.parent_id and session.get(Goal, goal.parent_id)
    if changes.clear_parent:
        parent = None
    elif changes.parent_id is not None:
        parent = _get_goal(session, changes.parent_id)
    status = changes.status if changes.status is not None else goal.status
    reopening = goal.status not in OPEN_STATUSES and changes.status in OPEN_STATUSES
    problems = _validate_goal(
        session,
        scope,
        title=changes.title if changes.title is not None else goal.title,
        level=goal.level,
        kind=changes.kind if changes.kind is not None else goal.kind,
        status=status if status in OPEN_STATUSES or reopening else GoalStatus.active.value,
        owner_id=goal.owner_id,
        org_unit_id=goal.org_unit_id,
        cycle=session.get(GoalCycle, goal.cycle_id),
        due_on=changes.due_on if changes.due_on is not None else goal.due_on,
        parent=parent or None,
        check_permission=False,
    )
    if changes.status is not None and changes.status not in OPEN_STATUSES:
        problems.append(("status", "Use Close to complete or cancel a goal."))
    _raise_if(problems)
    before = goal.model_dump(include={"title", "kind", "status", "parent_id", "due_on"})
    if changes.title is not None:
        goal.title = changes.title.strip()
    if changes.description is not None:
        goal.description = changes.description.strip()
    if changes.kind is not None:
        goal.kind = changes.kind
    if changes.due_on is not None:
        goal.due_on = changes.due_on
    goal.parent_id = parent.id if parent else None
    if changes.status is not None:
        goal.status = changes.status
        if reopening:
            goal.final_rating = None
            goal.closed_at = None
    _save_change(
        session,
        actor,
        goal,
        action="goal.updated",
        entity="goal",
        entity_id=goal.id,
        detail={"before": before},
    )
    return GoalRead.model_validate(goal)


def close_goal(
    session: Session,
    *,
    actor: Actor,
    goal_id: int,
    version: int,
    status: str,
    final_rating: int | None,
) -> GoalRead:
    """Complete (with a final rating on the goal scale) or cancel a goal."""
    goal, _ = _editable_goal(session, actor, goal_id, version, "close")
    problems: list[tuple[str, str]] = []
    if status not in (GoalStatus.completed.value, GoalStatus.cancelled.value):
        problems.append(("status", "Close as completed or cancelled."))
    if status == GoalStatus.completed.value and final_rating is None:
        problems.append(("final_rating", "A completed goal gets a final rating."))
    if final_rating is not None and final_rating not in pm.GOAL_RATINGS:
        problems.append(("final_rating", "From 1 to 5."))
    if goal.status not in OPEN_STATUSES:
        problems.append(("status", "This goal is already closed."))
    _raise_if(problems)
    goal.status = status
    goal.final_rating = final_rating
    goal.closed_at = utcnow()
    _save_change(
        session,
        actor,
        goal,
        action="goal.closed",
        entity="goal",
        entity_id=goal.id,
        detail={"status": status, "final_rating": final_rating},
    )
    return GoalRead.model_validate(goal)


def add_key_result(
    session: Session, *, actor: Actor, goal_id: int, version: int, key_result: dict[str, Any]
) -> int:
    goal, _ = _editable_goal(session, actor, goal_id, version, "add_key_result")
    kr, problems = _validate_key_result(key_result)
    count = session.exec(
        select(func.count()).select_from(KeyResult).where(KeyResult.goal_id == goal_id)
    ).one()
    if count >= MAX_KEY_RESULTS_PER_GOAL:
        problems.append(("key results", f"At most {MAX_KEY_RESULTS_PER_GOAL} per goal."))
    _raise_if(problems)
    assert kr is not None
    row = _add_key_result_row(session, actor, goal_id, kr)
    _save_change(
        session,
        actor,
        goal,
        action="key_result.created",
        entity="key_result",
        entity_id=row.id,
        detail={"goal_id": goal_id, "title": kr.title},
    )
    assert row.id is not None
    return row.id


def _get_key_result(
    session: Session, scope: _Scope, key_result_id: int, action: str
) -> tuple[KeyResult, Goal]:
    kr = session.get(KeyResult, key_result_id)
    if kr is None:
        raise NotFound("There is no such key result.")
    goal = _get_goal(session, kr.goal_id)
    _require_edit(session, scope, goal, action)
    return kr, goal


def update_key_result(
    session: Session, *, actor: Actor, key_result_id: int, version: int, key_result: dict[str, Any]
) -> None:
    """Change a key result's definition (title, metric, start, target, unit, weight)."""
    kr, goal = _editable_key_result(
        session, actor, key_result_id, version, "edit_key_result", "changed"
    )
    checked, problems = _validate_key_result({"current_value": kr.current_value, **key_result})
    _raise_if(problems)
    assert checked is not None
    for name, value in checked.model_dump(exclude={"current_value"}).items():
        setattr(kr, name, value)
    kr.version += 1
    _save_change(
        session,
        actor,
        goal,
        action="key_result.updated",
        entity="key_result",
        entity_id=kr.id,
        detail=key_result,
        also=[kr],
    )


def delete_key_result(session: Session, *, actor: Actor, key_result_id: int, version: int) -> None:
    kr, goal = _editable_key_result(
        session, actor, key_result_id, version, "delete_key_result", "changed"
    )
    # The history goes with its key result (no ORM relationship to cascade).
    session.execute(sa_delete(ProgressUpdate).where(col(ProgressUpdate.key_result_id) == kr.id))
    session.delete(kr)
    _save_change(
        session,
        actor,
        goal,
        action="key_result.deleted",
        entity="key_result",
        entity_id=key_result_id,
        detail={"goal_id": goal.id, "title": kr.title},
    )


def record_progress(
    session: Session,
    *,
    actor: Actor,
    key_result_id: int,
    version: int,
    value: float,
    confidence: str,
    note: str = "",
) -> ProgressUpdateRead:
    """Set a key result's current value and keep the update in its history."""
    kr, goal = _editable_key_result(
        session, actor, key_result_id, version, "update_progress", "updated"
    )
    problems: list[tuple[str, str]] = []
    if goal.status not in OPEN_STATUSES:
        problems.append(("status", "This goal is closed; reopen it to update progress."))
    number = _number(value)
    if number is None:
        problems.append(("value", "A number."))
    if confidence not in CONFIDENCES:
        problems.append(("confidence", "One of " + ", ".join(CONFIDENCES) + "."))
    if len(note) > 2000:
        problems.append(("note", "At most 2,000 characters."))
    _raise_if(problems)
    assert number is not None
    if kr.metric == "boolean":
        number = 1.0 if number >= 0.5 else 0.0
    kr.current_value = number
    kr.version += 1
    update = ProgressUpdate(
        key_result_id=key_result_id,
        value=number,
        confidence=confidence,
        note=note.strip(),
        author_id=actor.person_id,
    )
    _save_change(
        session,
        actor,
        goal,
        action="key_result.progress",
        entity="key_result",
        entity_id=key_result_id,
        detail={"value": number, "confidence": confidence},
        also=[kr, update],
    )
    return ProgressUpdateRead(
        id=update.id or 0,
        key_result_id=key_result_id,
        value=number,
        confidence=confidence,
        note=update.note,
        author_id=actor.person_id,
        author_name=actor.full_name,
        at=update.at,
    )


# --- team grid ----------------------------------------------------------------

TEAM_COLUMNS = [
    "id",
    "person",
    "title",
    "kind",
    "status",
    "progress",
    "aligned to",
    "at risk",
    "stale",
    "last update",
    "due",
]


def list_team_goals(
    session: Session,
    *,
    actor: Actor,
    cycle_id: int,
    direct_only: bool = False,
    flagged_only: bool = False,
) -> pd.DataFrame:
    """Reports' individual goals in a grid, with the at-risk and stale flags."""
    require(
        actor.is_manager,
        session=session,
        actor=actor,
        action="list_team",
        entity="goal",
        message="Team goals are for managers.",
    )
    people = report_ids(session, manager_id=actor.person_id, direct_only=direct_only)
    cycle = _get_cycle(session, cycle_id)
    people_goals = session.exec(
        select(Goal.id, Goal.owner_id).where(Goal.cycle_id == cycle_id, Goal.level == "individual")
    ).all()
    ids = [g_id for g_id, owner in people_goals if g_id is not None and owner in people]
    numbers = _cycle_numbers(session, cycle, focus=ids)
    names = _names(session, [numbers.goals[i].owner_id for i in ids])
    rows = []
    for goal_id in ids:
        goal = numbers.goals[goal_id]
        if flagged_only and not (numbers.at_risk[goal_id] or numbers.stale[goal_id]):
            continue
        parent = numbers.goals.get(goal.parent_id) if goal.parent_id else None
        rows.append(
            [
                goal_id,
                names.get(goal.owner_id or 0, ""),
                goal.title,
                goal.kind,
                goal.status,
                numbers.rolled.get(goal_id),
                parent.title if parent else "",
                numbers.at_risk[goal_id],
                numbers.stale[goal_id],
                numbers.last_activity[goal_id],
                goal.due_on,
            ]
        )
    frame = pd.DataFrame(rows, columns=TEAM_COLUMNS)
    return frame.sort_values(
        ["person", "status", "title"],
        key=lambda s: s.map(_STATUS_ORDER).fillna(9) if s.name == "status" else s,
    ).reset_index(drop=True)


# --- alignment tree -------------------------------------------------------------

ALIGNMENT_COLUMNS = [
    "id",
    "goal",
    "level",
    "owner",
    "status",
    "progress",
    "at risk",
    "stale",
    "depth",
]


def list_units(session: Session) -> list[tuple[int, str]]:
    """Directory data: every unit, parents before children, indented names."""
    rows = session.exec(
        select(OrgUnit.id, OrgUnit.name, OrgUnit.parent_id).order_by(OrgUnit.name)
    ).all()
    children: dict[int | None, list[tuple[int, str]]] = {}
    for unit_id, name, parent_id in rows:
        if unit_id is not None:
            children.setdefault(parent_id, []).append((unit_id, name))
    ordered: list[tuple[int, str]] = []
    stack = [(u, n, 0) for u, n in reversed(children.get(None, []))]
    while stack:
        unit_id, name, depth = stack.pop()
        ordered.append((unit_id, "  " * depth + name))
        stack.extend((u, n, depth + 1) for u, n in reversed(children.get(unit_id, [])))
    return ordered


def _visible(scope: _Scope, goal: _GoalRow, visible_people: set[int] | None) -> bool:
    """The cheap form of can_view for many goals at once (scope preloaded)."""
    if goal.level == "individual":
        return visible_people is None or goal.owner_id in visible_people
    return scope.can_view(goal.level, None, goal.org_unit_id)


def list_goal_units(session: Session, *, actor: Actor) -> list[tuple[int, str, str]]:
    """Units the actor may set team or company goals for: (id, name, level)."""
    scope = _Scope.load(session, actor)
    return [
        (unit_id, name.strip(), "company" if scope.parents.get(unit_id) is None else "team")
        for unit_id, name in list_units(session)
        if scope.can_edit("team", None, unit_id)
    ]


def get_alignment_tree(
    session: Session,
    *,
    actor: Actor,
    cycle_id: int,
    unit_id: int | None = None,
    search: str | None = None,
    flagged_only: bool = False,
    include_individual: bool = True,
) -> list[AlignmentBranch]:
    """Company → team → individual goals the actor may see, one branch per
    company goal (plus "not aligned"). Filters keep it usable at 1,000+ people:
    `unit_id` keeps goals of that unit and below (and the goals above them,
    for context); `search` and `flagged_only` keep matching goals and their
    ancestors."""
    scope = _Scope.load(session, actor)
    numbers = _cycle_numbers(session, _get_cycle(session, cycle_id))
    visible_people = scope.visible_people()
    owner_units: dict[int, int] = {}
    if unit_id is not None:
        owner_units = {
            pid: uid
            for pid, uid in session.exec(select(Person.id, Person.org_unit_id)).all()
            if pid is not None
        }
    goals = {
        g_id: g
        for g_id, g in numbers.goals.items()
        if (g.level != "individual" or include_individual) and _visible(scope, g, visible_people)
    }

    def matches(goal: _GoalRow) -> bool:
        if unit_id is not None:
            goal_unit = (
                goal.org_unit_id
                if goal.level != "individual"
                else owner_units.get(goal.owner_id or 0)
            )
            if goal_unit is None or unit_id not in unit_chain(scope.parents, goal_unit):
                return False
        if search and search.strip().lower() not in goal.title.lower():
            return False
        return not flagged_only or bool(
            numbers.at_risk.get(goal.id or 0) or numbers.stale.get(goal.id or 0)
        )

    filtering = unit_id is not None or bool(search and search.strip()) or flagged_only
    if filtering:
        keep: set[int] = set()
        for g_id, goal in goals.items():
            if matches(goal):
                current: int | None = g_id
                while current is not None and current in goals and current not in keep:
                    keep.add(current)
                    current = goals[current].parent_id
        goals = {g_id: g for g_id, g in goals.items() if g_id in keep}

    names = _names(session, [g.owner_id for g in goals.values()])
    units = _unit_names(session)
    children: dict[int | None, list[int]] = {}
    for g_id, goal in goals.items():
        parent = goal.parent_id if goal.parent_id in goals else None
        children.setdefault(parent, []).append(g_id)
    level_order = {"company": 0, "team": 1, "individual": 2}

    def order(ids: list[int]) -> list[int]:
        return sorted(
            ids, key=lambda i: (level_order.get(goals[i].level, 3), goals[i].title.lower())
        )

    def rows_under(root: int, depth: int) -> list[list[Any]]:
        rows: list[list[Any]] = []
        stack = [(root, depth)]
        while stack:
            g_id, d = stack.pop()
            goal = goals[g_id]
            holder = (
                names.get(goal.owner_id or 0)
                if goal.level == "individual"
                else units.get(goal.org_unit_id or 0)
            )
            rows.append(
                [
                    g_id,
                    "    " * d + ("↳ " if d else "") + goal.title,
                    goal.level,
                    holder or "",
                    goal.status,
                    numbers.rolled.get(g_id),
                    numbers.at_risk.get(g_id, False),
                    numbers.stale.get(g_id, False),
                    d,
                ]
            )
            stack.extend((c, d + 1) for c in reversed(order(children.get(g_id, []))))
        return rows

    branches: list[AlignmentBranch] = []
    loose: list[list[Any]] = []
    for root in order(children.get(None, [])):
        goal = goals[root]
        if goal.level == "company":
            rows = rows_under(root, 0)
            branches.append(
                AlignmentBranch(
                    root,
                    goal.title,
                    numbers.rolled.get(root),
                    pd.DataFrame(rows, columns=ALIGNMENT_COLUMNS),
                )
            )
        else:
            loose.extend(rows_under(root, 0))
    if loose:
        branches.append(
            AlignmentBranch(
                None,
                "Not aligned to a company goal",
                None,
                pd.DataFrame(loose, columns=ALIGNMENT_COLUMNS),
            )
        )
    return branches


# --- report -------------------------------------------------------------------


def get_goal_report(session: Session, *, actor: Actor, cycle_id: int) -> GoalReport:
    """Attainment of individual goals by team and by person, the at-risk list
    and the progress distribution. HR: everyone; managers: their reports."""
    require(
        can_read_goal_report(actor),
        session=session,
        actor=actor,
        action="report",
        entity="goal",
        message="Goal reports are for managers and HR.",
    )
    scope = _Scope.load(session, actor)
    numbers = _cycle_numbers(session, _get_cycle(session, cycle_id))
    people_scope = None if actor.is_hr_admin else scope.reports
    people_query = select(Person.id, Person.full_name, Person.org_unit_id).where(
        col(Person.active).is_(True)
    )
    people = {
        pid: (name, uid)
        for pid, name, uid in session.exec(people_query).all()
        if pid is not None and (people_scope is None or pid in people_scope)
    }
    units = _unit_names(session)
    records = []
    for g_id, goal in numbers.goals.items():
        if goal.level != "individual" or goal.owner_id not in people or goal.status == "cancelled":
            continue
        name, unit = people[goal.owner_id]
        records.append(
            {
                "id": g_id,
                "person": name,
                "team": units.get(unit, ""),
                "title": goal.title,
                "kind": goal.kind,
                "status": goal.status,
                "progress": numbers.rolled.get(g_id),
                "final rating": goal.final_rating,
                "at risk": numbers.at_risk[g_id],
                "stale": numbers.stale[g_id],
                "last update": numbers.last_activity[g_id],
            }
        )
    goals = pd.DataFrame(
        records,
        columns=[
            "id",
            "person",
            "team",
            "title",
            "kind",
            "status",
            "progress",
            "final rating",
            "at risk",
            "stale",
            "last update",
        ],
    )
    goals["progress"] = goals["progress"].astype("float64")

    def summary(by: str) -> pd.DataFrame:
        if goals.empty:
            return pd.DataFrame(
                columns=[by, "goals", "average progress", "completed", "at risk", "stale"]
            )
        # Plain column sums: a lambda per group is slow with thousands of people.
        flagged = goals.assign(done=goals["status"] == "completed")
        grouped = flagged.groupby(by, as_index=False).agg(
            goals=("id", "count"),
            average_progress=("progress", "mean"),
            completed=("done", "sum"),
            at_risk=("at risk", "sum"),
            stale=("stale", "sum"),
        )
        grouped = grouped.rename(
            columns={"average_progress": "average progress", "at_risk": "at risk"}
        )
        grouped["average progress"] = grouped["average progress"].round(1)
        return grouped.sort_values(by).reset_index(drop=True)

    by_team = summary("team")
    if not goals.empty:
        people_per_team = goals.groupby("team")["person"].nunique()
        by_team.insert(1, "people", by_team["team"].map(people_per_team).astype(int))
    by_person = summary("person")
    if not goals.empty:
        teams = goals.drop_duplicates("person").set_index("person")["team"]
        by_person.insert(1, "team", by_person["person"].map(teams))
    at_risk = (
        goals[goals["at risk"] | goals["stale"]]
        .drop(columns=["id"])
        .sort_values(["team", "person"])
        .reset_index(drop=True)
    )
    buckets = goals.assign(
        band=goals["progress"].map(lambda p: pm.progress_bucket(None if pd.isna(p) else float(p)))
    )
    distribution = (
        buckets.groupby(["band", "kind"], as_index=False).size().rename(columns={"size": "goals"})
        if not goals.empty
        else pd.DataFrame(columns=["band", "kind", "goals"])
    )
    return GoalReport(by_team, by_person, at_risk, distribution, goals=len(goals))


def goal_report_workbook(report: GoalReport) -> bytes:
    """The report's tables as one Excel download."""
    at_risk = report.at_risk.copy()
    if "last update" in at_risk:
        # Excel has no time zones; the sheet says UTC in the header instead.
        at_risk["last update"] = at_risk["last update"].map(
            lambda value: value.replace(tzinfo=None) if isinstance(value, datetime) else value
        )
        at_risk = at_risk.rename(columns={"last update": "last update (UTC)"})
    return workbook_bytes(
        {"By team": report.by_team, "By person": report.by_person, "At risk or stale": at_risk}
    )


# --- Excel export / import -------------------------------------------------------

GOAL_SHEET = "Goals"
KR_SHEET = "Key results"
GOAL_COLUMNS = [
    "ref",
    "title",
    "description",
    "level",
    "kind",
    "status",
    "owner_code",
    "unit_code",
    "parent_ref",
    "cycle",
    "due_on",
    "progress",
    "final_rating",
]
KR_COLUMNS = [
    "goal_ref",
    "title",
    "metric",
    "start_value",
    "target_value",
    "current_value",
    "unit",
    "weight",
    "progress",
]
IMPORT_GOAL_REQUIRED = ["ref", "title", "level"]
IMPORT_KR_REQUIRED = ["goal_ref", "title"]
_EXISTING_REF = re.compile(r"^G(\d+)$", re.IGNORECASE)


def export_goals(session: Session, *, actor: Actor, cycle_id: int) -> bytes:
    """Goals the actor can see in a cycle and their key results, two sheets.
    The same layout imports back (with new refs for new goals)."""
    scope = _Scope.load(session, actor)
    cycle = _get_cycle(session, cycle_id)
    numbers = _cycle_numbers(session, cycle)
    visible_people = scope.visible_people()
    ids = [g_id for g_id, g in numbers.goals.items() if _visible(scope, g, visible_people)]
    descriptions = dict(
        session.exec(select(Goal.id, Goal.description).where(Goal.cycle_id == cycle_id)).all()
    )
    codes = {pid: code for pid, code in session.exec(select(Person.id, Person.employee_code)).all()}
    unit_codes = {uid: code for uid, code in session.exec(select(OrgUnit.id, OrgUnit.code)).all()}
    goal_rows = []
    kr_rows = []
    for g_id in sorted(ids):
        goal = numbers.goals[g_id]
        goal_rows.append(
            [
                f"G{g_id}",
                goal.title,
                descriptions.get(g_id, ""),
                goal.level,
                goal.kind,
                goal.status,
                codes.get(goal.owner_id) if goal.owner_id else None,
                unit_codes.get(goal.org_unit_id) if goal.org_unit_id else None,
                f"G{goal.parent_id}" if goal.parent_id else None,
                cycle.name,
                goal.due_on,
                None if numbers.rolled[g_id] is None else round(numbers.rolled[g_id] or 0.0, 1),
                goal.final_rating,
            ]
        )
        for kr in numbers.key_results.get(g_id, []):
            kr_rows.append(
                [
                    f"G{g_id}",
                    kr.title,
                    kr.metric,
                    kr.start_value,
                    kr.target_value,
                    kr.current_value,
                    kr.unit,
                    kr.weight,
                    round(kr.progress, 1),
                ]
            )
    record_event(
        session,
        actor_id=actor.person_id,
        action="goal.exported",
        entity="goal",
        detail={"cycle_id": cycle_id, "goals": len(goal_rows)},
    )
    return workbook_bytes(
        {
            GOAL_SHEET: pd.DataFrame(goal_rows, columns=GOAL_COLUMNS),
            KR_SHEET: pd.DataFrame(kr_rows, columns=KR_COLUMNS),
        }
    )


def _read_sheet(
    workbook: Any, name: str, required: list[str], cap: int, errors: list[RowError]
) -> list[tuple[int, dict[str, Any]]]:
    if name not in workbook.sheetnames:
        errors.append(RowError(name, "", f"The workbook has no sheet called {name!r}."))
        return []
    rows = workbook[name].iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        return []
    columns = [str(c).strip().lower() if c is not None else "" for c in header]
    missing = [c for c in required if c not in columns]
    if missing:
        errors.append(RowError(f"{name} 1", ", ".join(missing), "Missing column(s)."))
        return []
    result: list[tuple[int, dict[str, Any]]] = []
    for number, values in enumerate(rows, start=2):
        if all(is_blank(v) for v in values):
            continue
        if len(result) >= cap:
            errors.append(RowError(f"{name} {number}", "", f"At most {cap:,} rows per import."))
            break
        result.append((number, {c: v for c, v in zip(columns, values, strict=False) if c}))
    return result


@dataclass
class _PlannedGoal:
    ref: str
    row: int
    values: dict[str, Any]
    parent_ref: str | None
    goal: Goal | None = None


def _as_date(value: Any) -> date | None:
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return pd.Timestamp(str(value).strip()).date()


def _plan_import(
    session: Session, actor: Actor, content: bytes
) -> tuple[
    list[_PlannedGoal],
    list[tuple[int, str, KeyResultCreate | None]],
    list[RowError],
    pd.DataFrame,
    pd.DataFrame,
]:
    errors: list[RowError] = []
    if len(content) > MAX_IMPORT_BYTES:
        raise ValidationError(f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB.")
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as problem:  # openpyxl raises many kinds for a bad file
        raise ValidationError(f"That is not an Excel workbook (.xlsx): {problem}") from problem
    try:
        goal_rows = _read_sheet(
            workbook, GOAL_SHEET, IMPORT_GOAL_REQUIRED, MAX_IMPORT_GOALS, errors
        )
        kr_rows = _read_sheet(
            workbook, KR_SHEET, IMPORT_KR_REQUIRED, MAX_IMPORT_KEY_RESULTS, errors
        )
    finally:
        workbook.close()
    scope = _Scope.load(session, actor)
    people = {
        code: pid
        for pid, code in session.exec(
            select(Person.id, Person.employee_code).where(col(Person.active).is_(True))
        ).all()
    }
    unit_ids = {code: uid for uid, code in session.exec(select(OrgUnit.id, OrgUnit.code)).all()}
    cycles = {c.name.lower(): c for c in session.exec(select(GoalCycle)).all()}
    default_cycle_id = current_cycle_id(
        [GoalCycleRead.model_validate(c) for c in cycles.values()], utcnow().date()
    )
    planned: dict[str, _PlannedGoal] = {}
    goal_preview = []
    for row, values in goal_rows:
        label = f"{GOAL_SHEET} {row}"
        ref = "" if is_blank(values.get("ref")) else str(values["ref"]).strip()
        if not ref:
            errors.append(RowError(label, "ref", "Required: a short name other rows can point to."))
            continue
        if ref.lower() in planned:
            errors.append(RowError(label, "ref", f"Also used on row {planned[ref.lower()].row}."))
            continue
        if (match := _EXISTING_REF.match(ref)) and session.get(Goal, int(match.group(1))):
            errors.append(
                RowError(
                    label,
                    "ref",
                    f"{ref} is an existing goal; the import creates new goals, "
                    "so give new rows a new ref.",
                )
            )
            continue
        parent_ref = text_or_none(values.get("parent_ref"))
        planned[ref.lower()] = _PlannedGoal(ref, row, values, parent_ref)
        goal_preview.append(
            {
                "row": row,
                **{c: values.get(c) for c in GOAL_COLUMNS if c not in ("progress", "final_rating")},
            }
        )

    # First pass: what each row names (level, unit, cycle), so a row can
    # align to another row of the file before either has an id.
    resolved: dict[str, tuple[str, int | None, GoalCycle | None, str | None]] = {}
    for key, plan in planned.items():
        level = str(plan.values.get("level") or "").strip().lower()
        unit_code = text_or_none(plan.values.get("unit_code"))
        cycle_name = text_or_none(plan.values.get("cycle"))
        if cycle_name:
            cycle = cycles.get(cycle_name.lower())
        else:
            cycle = session.get(GoalCycle, default_cycle_id) if default_cycle_id else None
        resolved[key] = (level, unit_ids.get(unit_code) if unit_code else None, cycle, cycle_name)

    for key, plan in planned.items():
        label = f"{GOAL_SHEET} {plan.row}"
        values = plan.values
        level, org_unit_id, cycle, cycle_name = resolved[key]
        kind = str(values.get("kind") or "performance").strip().lower()
        status = str(values.get("status") or "active").strip().lower()
        owner_code = text_or_none(values.get("owner_code"))
        unit_code = text_or_none(values.get("unit_code"))
        row_errors: list[tuple[str, str]] = []
        owner_id = people.get(owner_code) if owner_code else None
        if level == "individual" and owner_code and owner_id is None:
            row_errors.append(("owner_code", f"No active person with code {owner_code!r}."))
        if level in ("team", "company") and unit_code and org_unit_id is None:
            row_errors.append(("unit_code", f"No unit with code {unit_code!r}."))
        if cycle_name and cycle is None:
            row_errors.append(("cycle", f"No goal cycle called {cycle_name!r}."))
        try:
            due_on = _as_date(values.get("due_on"))
        except (TypeError, ValueError):
            row_errors.append(("due_on", "A date (YYYY-MM-DD)."))
            due_on = None
        parent: Goal | None = None
        if plan.parent_ref:
            parent_key = plan.parent_ref.lower()
            existing = _EXISTING_REF.match(plan.parent_ref)
            if parent_key in planned:
                # A stand-in with the row's values, so the same rules apply.
                p_level, p_unit, p_cycle, _ = resolved[parent_key]
                parent = Goal(
                    title=str(planned[parent_key].values.get("title") or ""),
                    level=p_level,
                    org_unit_id=p_unit,
                    cycle_id=p_cycle.id if p_cycle and p_cycle.id else -1,
                    status=str(planned[parent_key].values.get("status") or "active")
                    .strip()
                    .lower(),
                )
            elif existing and (found := session.get(Goal, int(existing.group(1)))) is not None:
                parent = found
            else:
                row_errors.append(
                    ("parent_ref", f"No goal {plan.parent_ref!r} in this file or in Stride.")
                )
        if level == "individual" and not owner_code:
            row_errors.append(("owner_code", "Required for an individual goal."))
        elif level in ("team", "company") and not unit_code:
            row_errors.append(("unit_code", "Required for a team or company goal."))
        elif not row_errors:
            row_errors.extend(
                _validate_goal(
                    session,
                    scope,
                    title=values.get("title"),
                    level=level,
                    kind=kind,
                    status=status,
                    owner_id=owner_id if level == "individual" else None,
                    org_unit_id=org_unit_id if level != "individual" else None,
                    cycle=cycle,
                    due_on=due_on,
                    parent=parent,
                )
            )
        errors.extend(RowError(label, column, text) for column, text in row_errors)
        if not row_errors and cycle is not None:
            plan.goal = Goal(
                title=str(values.get("title")).strip(),
                description=""
                if is_blank(values.get("description"))
                else str(values["description"]).strip(),
                level=level,
                kind=kind,
                status=status,
                owner_id=owner_id if level == "individual" else None,
                org_unit_id=org_unit_id if level != "individual" else None,
                parent_id=parent.id if parent is not None and parent.id else None,
                cycle_id=cycle.id or 0,
                due_on=due_on,
                created_by_id=actor.person_id,
            )
    # Loops among rows of the file.
    for plan in planned.values():
        seen = {plan.ref.lower()}
        current = plan.parent_ref.lower() if plan.parent_ref else None
        while current in planned:
            if current in seen:
                errors.append(
                    RowError(
                        f"{GOAL_SHEET} {plan.row}", "parent_ref", "Alignment goes round in a loop."
                    )
                )
                break
            seen.add(current)
            parent_ref = planned[current].parent_ref
            current = parent_ref.lower() if parent_ref else None

    key_results: list[tuple[int, str, KeyResultCreate | None]] = []
    kr_preview = []
    per_goal: dict[str, int] = {}
    for row, values in kr_rows:
        label = f"{KR_SHEET} {row}"
        goal_ref = "" if is_blank(values.get("goal_ref")) else str(values["goal_ref"]).strip()
        kr, kr_problems = _validate_key_result(values)
        existing = _EXISTING_REF.match(goal_ref)
        if goal_ref.lower() in planned:
            pass
        elif existing and (found := session.get(Goal, int(existing.group(1)))) is not None:
            if not scope.can_edit(found.level, found.owner_id, found.org_unit_id):
                kr_problems.append(("goal_ref", f"You may not edit goal {goal_ref}."))
            elif found.status not in OPEN_STATUSES:
                kr_problems.append(("goal_ref", f"Goal {goal_ref} is closed."))
        else:
            kr_problems.append(("goal_ref", f"No goal {goal_ref!r} in this file or in Stride."))
        per_goal[goal_ref.lower()] = per_goal.get(goal_ref.lower(), 0) + 1
        if per_goal[goal_ref.lower()] > MAX_KEY_RESULTS_PER_GOAL:
            kr_problems.append(
                ("goal_ref", f"At most {MAX_KEY_RESULTS_PER_GOAL} key results per goal.")
            )
        errors.extend(RowError(label, column, text) for column, text in kr_problems)
        key_results.append((row, goal_ref, kr if not kr_problems else None))
        kr_preview.append({"row": row, **{c: values.get(c) for c in KR_COLUMNS if c != "progress"}})
    if not goal_rows and not kr_rows and not errors:
        errors.append(RowError(GOAL_SHEET, "", "The file has no goals or key results."))
    return (
        list(planned.values()),
        key_results,
        errors,
        pd.DataFrame(goal_preview),
        pd.DataFrame(kr_preview),
    )


def import_errors_frame(errors: Sequence[RowError]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"row": str(e.row), "column": e.column, "problem": e.message} for e in errors],
        columns=["row", "column", "problem"],
    )


def preview_goal_import(session: Session, *, actor: Actor, content: bytes) -> GoalImportPreview:
    """Dry run: read and validate everything, write nothing."""
    _, _, errors, goals, key_results = _plan_import(session, actor, content)
    return GoalImportPreview(goals=goals, key_results=key_results, errors=errors)


def commit_goal_import(
    session: Session,
    *,
    actor: Actor,
    content: bytes,
    progress: Callable[[float], None] | None = None,
) -> GoalImportResult:
    """All or nothing: any row error raises ValidationError and nothing is written."""
    plans, key_results, errors, _, _ = _plan_import(session, actor, content)
    if errors:
        raise ValidationError("Nothing was imported: fix the rows below.", rows=errors)
    report = progress or (lambda _share: None)
    ids: dict[str, int] = {}
    pending = list(plans)
    # Parents first: a row waits until the row it aligns to has an id.
    while pending:
        waiting = []
        for plan in pending:
            parent_key = plan.parent_ref.lower() if plan.parent_ref else None
            if parent_key in {p.ref.lower() for p in pending} and parent_key not in ids:
                waiting.append(plan)
                continue
            assert plan.goal is not None
            if parent_key is not None and parent_key in ids:
                plan.goal.parent_id = ids[parent_key]
            session.add(plan.goal)
            session.flush()
            assert plan.goal.id is not None
            ids[plan.ref.lower()] = plan.goal.id
        if len(waiting) == len(pending):  # cannot happen after the loop check
            raise ValidationError("Alignment goes round in a loop.")
        pending = waiting
        report(0.5 * len(ids) / max(len(plans), 1))
    created_krs = 0
    for _row, goal_ref, kr in key_results:
        assert kr is not None
        existing = _EXISTING_REF.match(goal_ref)
        goal_id = ids.get(goal_ref.lower()) or (int(existing.group(1)) if existing else 0)
        _add_key_result_row(session, actor, goal_id, kr)
        created_krs += 1
    report(1.0)
    result = GoalImportResult(goals=len(ids), key_results=created_krs)
    record_event(
        session,
        actor_id=actor.person_id,
        action="goal.imported",
        entity="goal",
        detail=result.__dict__,
    )
    session.flush()
    return result


def import_template() -> bytes:
    """An empty workbook with both sheets and one example row each."""
    return workbook_bytes(
        {
            GOAL_SHEET: pd.DataFrame(
                [
                    [
                        "team-1",
                        "Cut onboarding time",
                        "",
                        "team",
                        "performance",
                        "active",
                        None,
                        "PLAT",
                        None,
                        None,
                        None,
                    ]
                ],
                columns=[c for c in GOAL_COLUMNS if c not in ("progress", "final_rating")],
            ),
            KR_SHEET: pd.DataFrame(
                [["team-1", "Days to first deploy", "number", 10, 3, 10, "days", 1]],
                columns=[c for c in KR_COLUMNS if c != "progress"],
            ),
        }
    )
