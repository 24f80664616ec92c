"""Reads: a person's goals, one goal, the team grid, the alignment tree, the report."""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import func
from sqlmodel import Session, col, select

from core import snapshots
from core.access import (
    Actor,
    Capability,
    can_read_goal_report,
    can_view_goal,
    goal_report_reach,
    has,
    relation_between,
    require,
)
from core.errors import NotFound
from core.goals import numbers as numbers_module
from core.goals import read_models as read_models_module
from core.goals import rules as pm
from core.goals.numbers import (
    _GoalRow,
    _MeasuredCycle,
    decode_cycle,
    encode_cycle,
    last_confidences,
)
from core.goals.read_models import (
    AlignmentBranch,
    GoalDetail,
    GoalReport,
    GoalView,
    KeyResultView,
    goal_changes,
)
from core.goals.scope import GoalScope, _get_cycle, _get_goal, _require_view
from core.goals.validation import _parent_problem
from core.org import list_units, report_ids, reports_query, unit_chain
from db.models import (
    AuditEvent,
    Goal,
    GoalCycle,
    GoalCycleRead,
    KeyResult,
    OrgUnit,
    Person,
    ProgressUpdate,
    ProgressUpdateRead,
    utcnow,
)

log = logging.getLogger(__name__)

HISTORY_LIMIT = 200


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


# --- progress of a cycle ------------------------------------------------------


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


@dataclass(frozen=True)
class _CycleNumbers(_MeasuredCycle):
    """A cycle's measured numbers with the flags that depend on today (at
    risk, stale), worked out on every call. With a focus, only the focus
    goals' subtrees and their parents' subtrees are measured (enough for
    their roll-up and their parents')."""

    at_risk: dict[int, bool]
    stale: dict[int, bool]


class _NumbersMemo:
    """The measured numbers of whole cycles, per process, keyed by the data
    they were computed from (`_numbers_stamp`). At 10,000 people a cycle's
    numbers (29,000 goals, 43,000 key results, their latest updates and the
    roll-up) take about a second of Python; every page that shows the whole
    cycle (alignment, goal report, exports) reuses them until a goal of the
    cycle changes. Not personal: what an actor may see is filtered after.
    Each replica keeps its own, checked against the database on every use."""

    def __init__(self, size: int = 4) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[Any, ...], _MeasuredCycle] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> _MeasuredCycle | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def latest(self, prefix: tuple[Any, ...]) -> _MeasuredCycle | None:
        """The newest entry of a cycle (its key starts with `prefix`), to
        update instead of measuring again."""
        with self._lock:
            for key in reversed(self._entries):
                if key[: len(prefix)] == prefix:
                    return self._entries[key]
            return None

    def put(self, key: tuple[Any, ...], value: _MeasuredCycle) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_NUMBERS_MEMO = _NumbersMemo()


def clear_numbers_memo() -> None:
    """Forget every memoised cycle (benchmarks measuring a new process; the
    stored snapshots stay, see `core.snapshots.delete_snapshots`)."""
    _NUMBERS_MEMO.clear()
    _SNAPSHOT_DRIFT.clear()


def _numbers_stamp(session: Session, cycle: GoalCycle) -> tuple[Any, ...] | None:
    """What a cycle's numbers are computed from, in one indexed query: every
    change to a goal or its key results (progress updates included) moves
    the goal's version, and adding, moving or deleting goals moves the count
    or the largest id. None (do not memoise) for a session that has written:
    its view may include changes that are later rolled back."""
    if snapshots.has_written(session):
        return None
    count, versions, largest = session.execute(
        select(func.count(), func.coalesce(func.sum(Goal.version), 0), func.max(Goal.id)).where(
            Goal.cycle_id == cycle.id
        )
    ).one()
    bind: Any = session.get_bind()
    return (
        str(getattr(bind, "url", None) or bind.engine.url),
        cycle.id,
        cycle.starts_on,
        cycle.ends_on,
        int(count),
        int(versions),
        largest,
    )


def _focus_rows(
    session: Session, cycle: GoalCycle, focus: set[int], *, with_parents: bool
) -> dict[int, _GoalRow]:
    """The focus goals of a cycle, their parents and the subtrees below the
    measured ones (one recursive query each way), instead of the whole cycle."""
    parents = set(
        session.exec(
            select(Goal.parent_id).where(col(Goal.id).in_(focus), col(Goal.parent_id).is_not(None))
        ).all()
    )
    roots = focus | ({p for p in parents if p is not None} if with_parents else set())
    tree = (
        select(col(Goal.id).label("id"))
        .where(col(Goal.id).in_(roots), Goal.cycle_id == cycle.id)
        .cte("goal_tree", recursive=True)
    )
    # UNION (not UNION ALL): a cycle in the data ends the walk.
    tree = tree.union(
        select(col(Goal.id)).where(col(Goal.parent_id) == tree.c.id, Goal.cycle_id == cycle.id)
    )
    wanted = col(Goal.id).in_(select(tree.c.id)) | col(Goal.id).in_(parents - {None})
    return {
        row[0]: _GoalRow(*row)
        for row in session.exec(
            select(*_GOAL_ROW_COLUMNS).where(Goal.cycle_id == cycle.id, wanted)
        ).all()
    }


def _cycle_numbers(
    session: Session,
    cycle: GoalCycle,
    *,
    focus: Iterable[int] | None = None,
    now: datetime | None = None,
    with_parents: bool = True,
) -> _CycleNumbers:
    """`with_parents=False` leaves the focus goals' parents unmeasured (their
    titles are known, their progress is not): enough for a glance at a few
    goals without reading the parents' whole subtrees."""
    now = now or utcnow()
    focus_ids = None if focus is None else {g for g in focus if g is not None}
    whole_cycle = focus_ids is None or len(focus_ids) > FOCUS_LIMIT
    if whole_cycle and focus_ids is None:
        return _with_flags(_whole_cycle(session, cycle, with_parents=with_parents), cycle, now)
    return _with_flags(_measure(session, cycle, focus_ids, with_parents=with_parents), cycle, now)


def _whole_cycle(session: Session, cycle: GoalCycle, *, with_parents: bool) -> _MeasuredCycle:
    """A whole cycle's numbers: from this process's memo when the stamp
    matches; else brought up to date from the memo's previous entry or the
    stored snapshot (only goals whose version moved are read again); else
    measured. Whatever was worked out here is memoised, and stored when it
    was measured from scratch or many goals were read again since the
    stored snapshot."""
    stamp = _numbers_stamp(session, cycle)
    if stamp is None:  # a session that has written: its own view, kept nowhere
        return _measure(session, cycle, None, with_parents=with_parents)
    found = _NUMBERS_MEMO.get(stamp)
    if found is not None:
        return found
    prefix = stamp[:4]
    drift = _SNAPSHOT_DRIFT.get(prefix, 0)
    base: _MeasuredCycle | None = None
    previous = _NUMBERS_MEMO.latest(prefix)
    if previous is None:
        stored = _stored_numbers(session, cycle, stamp)
        if stored is not None:
            previous, exact = stored
            drift = 0
            if exact:
                base = previous
    if base is None and previous is not None:
        remeasured = _remeasure(session, cycle, previous)
        if remeasured is not None:
            base, changed = remeasured
            drift += changed
    fresh = base is None
    if base is None:
        base = _measure(session, cycle, None, with_parents=with_parents)
    # Kept only if nothing changed while measuring (PostgreSQL's read
    # committed gives each statement its own snapshot).
    if _numbers_stamp(session, cycle) == stamp:
        _NUMBERS_MEMO.put(stamp, base)
        if fresh or drift > SNAPSHOT_REWRITE_AFTER:
            _store_numbers(session, cycle, stamp, base)
            drift = 0
        _SNAPSHOT_DRIFT[prefix] = drift
    return base


# The stored snapshot of a cycle's numbers (core/snapshots.py): written when
# a process measured the cycle from scratch, or once this many goals were
# read again since (a process that starts then has little to bring up to
# date). Its stamp carries the code's fingerprint: a release that changes
# how numbers are computed never reads numbers an older one stored.
SNAPSHOT_REWRITE_AFTER = 200
_SNAPSHOT_DRIFT: dict[tuple[Any, ...], int] = {}
_NUMBERS_CODE = snapshots.code_fingerprint(
    Path(module.__file__ or "")
    for module in (pm, numbers_module, read_models_module, snapshots, sys.modules[__name__])
)


def _snapshot_key(cycle: GoalCycle) -> str:
    return f"goals.cycle:{cycle.id}"


def _snapshot_stamp(stamp: tuple[Any, ...]) -> list[Any]:
    """The memo's stamp without the database's URL (replicas may name the
    same database differently), with the code's fingerprint: cycle id,
    dates, fingerprint, then what the goals' stamp counts."""
    return list(json.loads(snapshots.stamp_text(*stamp[1:4], _NUMBERS_CODE, *stamp[4:])))


def _stored_numbers(
    session: Session, cycle: GoalCycle, stamp: tuple[Any, ...]
) -> tuple[_MeasuredCycle, bool] | None:
    """The stored snapshot of the cycle's numbers and whether its stamp is
    this one (else it may be brought up to date); None when there is none
    for this cycle, its dates and this code, or it does not decode."""
    found = snapshots.read_snapshot(session, key=_snapshot_key(cycle))
    if found is None:
        return None
    wanted = _snapshot_stamp(stamp)
    try:
        theirs = json.loads(found.stamp)
    except ValueError:
        theirs = None
    if not isinstance(theirs, list) or theirs[:4] != wanted[:4]:
        return None
    try:
        with snapshots.collector_paused():
            numbers = decode_cycle(snapshots.unpack(found.payload))
    except snapshots.SnapshotError:
        log.warning("stored numbers of cycle %s do not decode; measuring", cycle.id, exc_info=True)
        return None
    if any(goal.cycle_id != cycle.id for goal in numbers.goals.values()):
        log.warning("stored numbers of cycle %s are another cycle's; measuring", cycle.id)
        return None
    return numbers, theirs == wanted


def _store_numbers(
    session: Session, cycle: GoalCycle, stamp: tuple[Any, ...], numbers: _MeasuredCycle
) -> None:
    snapshots.write_snapshot(
        session,
        key=_snapshot_key(cycle),
        stamp=json.dumps(_snapshot_stamp(stamp)),
        payload=lambda: snapshots.pack(encode_cycle(numbers)),
    )


def warm_numbers(session: Session, *, today: date) -> int | None:
    """Measure the current cycle into the per-process memo (server start-up,
    in a background thread): the first visit to Alignment, the goal report or
    an export then finds it measured instead of waiting about 1.5 s at 10,000
    people. The stored snapshot, when there is one, is read instead and
    brought up to date; a cycle measured from scratch is stored. Reads the
    goals only; the memo's own checks decide whether it is kept. Returns the
    cycle warmed, if any."""
    cycle_id = current_cycle_id(list_cycles(session), today)
    if cycle_id is None:
        return None
    cycle = session.get(GoalCycle, cycle_id)
    if cycle is None:
        return None
    _cycle_numbers(session, cycle)
    return cycle_id


def _measure(
    session: Session,
    cycle: GoalCycle,
    focus_ids: set[int] | None,
    *,
    with_parents: bool,
) -> _MeasuredCycle:
    """The part of a cycle's numbers that depends on the data only (not on
    the time of day): progress of each key result and goal, and roll-ups."""
    if focus_ids is not None and len(focus_ids) <= FOCUS_LIMIT:
        goals = _focus_rows(session, cycle, focus_ids, with_parents=with_parents)
    else:
        goals = {
            row[0]: _GoalRow(*row)
            for row in session.exec(
                select(*_GOAL_ROW_COLUMNS).where(Goal.cycle_id == cycle.id)
            ).all()
        }
    measured = set(goals)
    if focus_ids is not None:
        focus = focus_ids
        children: dict[int, list[int]] = {}
        for goal in goals.values():
            if goal.parent_id is not None:
                children.setdefault(goal.parent_id, []).append(goal.id)
        wanted = {g for g in focus if g in goals}
        if with_parents:
            wanted |= {goals[g].parent_id for g in wanted if goals[g].parent_id in goals}  # type: ignore[misc]
        measured = set()
        stack = list(wanted)
        while stack:
            goal_id = stack.pop()
            if goal_id not in measured:
                measured.add(goal_id)
                stack.extend(children.get(goal_id, []))
    narrow = focus_ids is not None and len(measured) <= FOCUS_LIMIT
    key_results = _load_key_results(session, cycle, measured if narrow else None, measured)
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
    last_activity: dict[int, datetime] = {}
    for goal_id in measured:
        updates = [kr.last_update_at for kr in key_results.get(goal_id, []) if kr.last_update_at]
        last_activity[goal_id] = max([goals[goal_id].created_at, *updates])
    return _MeasuredCycle(goals, measured, key_results, own, rolled, last_activity)


def _load_key_results(
    session: Session, cycle: GoalCycle, only: set[int] | None, measured: set[int]
) -> dict[int, list[KeyResultView]]:
    """The key results of the `measured` goals with their progress and latest
    update; `only` narrows the queries to those goals (None: the whole cycle)."""
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
    if only is not None:
        kr_query = kr_query.where(col(Goal.id).in_(only))
        latest_ids = latest_ids.where(col(Goal.id).in_(only))
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
    return key_results


def _remeasure(
    session: Session, cycle: GoalCycle, previous: _MeasuredCycle
) -> tuple[_MeasuredCycle, int] | None:
    """The numbers again after a few goals changed: only goals whose version
    moved (or that are new) are read again with their key results; the rest
    is taken from `previous`, and the roll-up is redone over the whole tree.
    None when too much changed (measure from scratch); else the numbers and
    how many goals were read again."""
    versions = dict(
        session.exec(select(Goal.id, Goal.version).where(Goal.cycle_id == cycle.id)).all()
    )
    changed = {
        goal_id
        for goal_id, version in versions.items()
        if goal_id is not None
        and (goal_id not in previous.goals or previous.goals[goal_id].version != version)
    }
    if len(changed) > FOCUS_LIMIT:
        return None
    goals = {g: row for g, row in previous.goals.items() if g in versions and g not in changed}
    if changed:
        goals.update(
            {
                row[0]: _GoalRow(*row)
                for row in session.exec(
                    select(*_GOAL_ROW_COLUMNS).where(
                        Goal.cycle_id == cycle.id, col(Goal.id).in_(changed)
                    )
                ).all()
            }
        )
    changed &= set(goals)
    measured = set(goals)
    key_results = {g: krs for g, krs in previous.key_results.items() if g in goals}
    for goal_id in changed:
        key_results.pop(goal_id, None)
    if changed:
        key_results.update(_load_key_results(session, cycle, changed, changed))
    own = {g: previous.own[g] for g in measured if g not in changed and g in previous.own}
    last_activity = {
        g: previous.last_activity[g]
        for g in measured
        if g not in changed and g in previous.last_activity
    }
    for goal_id in changed:
        krs = key_results.get(goal_id, [])
        own[goal_id] = pm.goal_progress([pm.WeightedProgress(kr.progress, kr.weight) for kr in krs])
        updates = [kr.last_update_at for kr in krs if kr.last_update_at]
        last_activity[goal_id] = max([goals[goal_id].created_at, *updates])
    rolled = pm.roll_up(
        pm.GoalNode(
            id=g_id,
            parent_id=goals[g_id].parent_id,
            own_progress=own[g_id],
            status=goals[g_id].status,
        )
        for g_id in measured
    )
    return _MeasuredCycle(goals, measured, key_results, own, rolled, last_activity), len(changed)


def _with_flags(base: _MeasuredCycle, cycle: GoalCycle, now: datetime) -> _CycleNumbers:
    """At risk and stale depend on today: worked out on every call (cheap)."""
    goals, measured, key_results = base.goals, base.measured, base.key_results
    rolled, last_activity = base.rolled, base.last_activity
    elapsed = pm.elapsed_share(starts_on=cycle.starts_on, ends_on=cycle.ends_on, today=now.date())
    at_risk: dict[int, bool] = {}
    stale: dict[int, bool] = {}
    for goal_id in measured:
        goal = goals[goal_id]
        stale[goal_id] = pm.is_stale(
            status=goal.status, last_activity=last_activity[goal_id], now=now
        )
        at_risk[goal_id] = pm.is_at_risk(
            status=goal.status,
            progress=rolled.get(goal_id),
            elapsed=elapsed,
            confidences=last_confidences(key_results, goal_id),
        )
    return _CycleNumbers(
        goals, measured, key_results, base.own, rolled, last_activity, at_risk, stale
    )


def _names(session: Session, person_ids: Iterable[int | None]) -> dict[int, str]:
    ids = {i for i in person_ids if i is not None}
    if not ids:
        return {}
    rows = session.exec(select(Person.id, Person.full_name).where(col(Person.id).in_(ids))).all()
    return {person_id: name for person_id, name in rows if person_id is not None}


def _unit_names(session: Session) -> dict[int, str]:
    return {i: n for i, n in session.exec(select(OrgUnit.id, OrgUnit.name)).all() if i is not None}


def _views(
    session: Session, scope: GoalScope, numbers: _CycleNumbers, goal_ids: Iterable[int]
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
    if has(actor, Capability.team_goals):
        ids |= report_ids(session, manager_id=actor.person_id)
    rows = session.exec(
        select(Person.id, Person.full_name)
        .where(col(Person.id).in_(ids), col(Person.active).is_(True))
        .order_by(Person.full_name)
    ).all()
    own = [(i, n) for i, n in rows if i == actor.person_id]
    return own + [(i, n) for i, n in rows if i != actor.person_id and i is not None]


def list_person_goals(
    session: Session,
    *,
    actor: Actor,
    cycle_id: int,
    person_id: int | None = None,
    with_parents: bool = True,
) -> list[GoalView]:
    """A person's individual goals in a cycle (default: the actor's own).
    `with_parents=False` leaves out the progress of the goals they align to
    (a glance, as on Home: the parents' subtrees are not read)."""
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
    numbers = _cycle_numbers(
        session, cycle, focus=[i for i in own_ids if i is not None], with_parents=with_parents
    )
    ids = sorted(
        (i for i in own_ids if i is not None),
        key=lambda i: (_STATUS_ORDER.get(numbers.goals[i].status, 9), i),
    )
    return _views(session, GoalScope.load(session, actor), numbers, ids)


def get_goal(session: Session, *, actor: Actor, goal_id: int) -> GoalDetail:
    goal = _get_goal(session, goal_id)
    scope = GoalScope.load(session, actor)
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


def describe_goal_change(session: Session, *, actor: Actor, opened: GoalView) -> str:
    """Why an edit of a goal opened as `opened` was refused: who changed it
    last, when, and what differs from what the editor saw."""
    current = get_goal(session, actor=actor, goal_id=opened.id).goal
    key_result_ids = [str(kr.id) for kr in current.key_results] + [
        str(kr.id) for kr in opened.key_results
    ]
    latest = session.exec(
        select(AuditEvent.at, Person.full_name)
        .join(Person, col(Person.id) == col(AuditEvent.actor_id), isouter=True)
        .where(
            ((col(AuditEvent.entity) == "goal") & (col(AuditEvent.entity_id) == str(opened.id)))
            | (
                (col(AuditEvent.entity) == "key_result")
                & col(AuditEvent.entity_id).in_(key_result_ids)
            )
        )
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .limit(1)
    ).first()
    who, when = "Someone else", ""
    if latest is not None:
        at, name = latest
        who = "You (in another window)" if name == actor.full_name else name or who
        when = f" at {at:%H:%M} UTC"
    changes = goal_changes(opened, current)
    what = f" ({', '.join(changes)})" if changes else ""
    return (
        f"{who} changed this goal{when}{what} after you opened it. Nothing was saved; "
        "your edit is kept below — reload to see theirs."
    )


def list_alignment_targets(
    session: Session, *, actor: Actor, cycle_id: int, level: str, org_unit_id: int | None = None
) -> list[tuple[int, str]]:
    """Goals a new goal of `level` may align to, that the actor can see."""
    scope = GoalScope.load(session, actor)
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
        has(actor, Capability.team_goals),
        session=session,
        actor=actor,
        action="list_team",
        entity="goal",
        message="Team goals are for managers.",
    )
    cycle = _get_cycle(session, cycle_id)
    people_goals = session.exec(
        select(Goal.id).where(
            Goal.cycle_id == cycle_id,
            Goal.level == "individual",
            col(Goal.owner_id).in_(reports_query(actor.person_id, direct_only=direct_only)),
        )
    ).all()
    ids = [g_id for g_id in people_goals if g_id is not None]
    # The grid names the goal each one aligns to, not that goal's progress.
    numbers = _cycle_numbers(session, cycle, focus=ids, with_parents=False)
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


def _visible(scope: GoalScope, goal: _GoalRow, visible_people: set[int] | None) -> bool:
    """The cheap form of can_view for many goals at once (scope preloaded)."""
    if goal.level == "individual":
        return visible_people is None or goal.owner_id in visible_people
    return scope.can_view(goal.level, None, goal.org_unit_id)


def list_goal_units(session: Session, *, actor: Actor) -> list[tuple[int, str, str]]:
    """Units the actor may set team or company goals for: (id, name, level)."""
    scope = GoalScope.load(session, actor)
    return [
        (unit_id, name.strip(), "company" if scope.parents.get(unit_id) is None else "team")
        # New goals go to active units only (an inactive one keeps its goals).
        for unit_id, name in list_units(session, active_only=True)
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
    scope = GoalScope.load(session, actor)
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
    scope = GoalScope.load(session, actor)
    numbers = _cycle_numbers(session, _get_cycle(session, cycle_id))
    people_scope = None if goal_report_reach(actor) == "everyone" else scope.reports
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
