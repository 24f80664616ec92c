"""Writes: cycles, goals, key results, progress updates; each checked and audited."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete as sa_delete
from sqlalchemy import func
from sqlalchemy import update as sa_update
from sqlmodel import Session, col, select

from core.access import (
    Actor,
    can_manage_goal_cycles,
    require,
)
from core.audit import record_event
from core.errors import NotFound, ValidationError
from core.goals import rules as pm
from core.goals.read_models import CONFIDENCES, LEVELS, OPEN_STATUSES
from core.goals.scope import GoalScope, _get_goal, _require_edit
from core.goals.validation import (
    CREATE_REFUSAL,
    MAX_KEY_RESULTS_PER_GOAL,
    _may_create,
    _number,
    _raise_if,
    _validate_goal,
    _validate_key_result,
    validate_cycle,
)
from core.modules.queries import require_module
from core.modules.rules import Module
from core.versioning import check_version, refuse_if_stale, touch
from db.models import (
    Goal,
    GoalCreate,
    GoalCycle,
    GoalCycleCreate,
    GoalCycleRead,
    GoalRead,
    GoalStatus,
    GoalUpdate,
    KeyResult,
    KeyResultCreate,
    Person,
    ProgressUpdate,
    ProgressUpdateRead,
    utcnow,
)


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


# --- writes -------------------------------------------------------------------


def create_goal(
    session: Session,
    *,
    actor: Actor,
    goal_in: GoalCreate,
    key_results: Sequence[dict[str, Any] | KeyResultCreate] = (),
) -> GoalRead:
    """Create a goal with its key results in one go."""
    scope = GoalScope.load(session, actor)
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
    require_module(
        session, actor=actor, module=Module.goals, person_id=owner_id, unit_id=org_unit_id
    )
    problems = _validate_goal(
        session,
        scope,
        title=goal_in.title,
        description=goal_in.description,
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


def _stale_goal(goal: Goal) -> str:
    return (
        f"Someone else changed “{goal.title}” after you opened it. "
        "Nothing was saved; reload to see their change."
    )


def _stale_key_result(kr: KeyResult, verb: str) -> str:
    return f"Someone else {verb} “{kr.title}” after you opened it. Reload and try again."


def _editable_goal(
    session: Session, actor: Actor, goal_id: int, version: int, action: str
) -> tuple[Goal, GoalScope]:
    """The goal behind an edit, once the actor may make it and nobody changed it since."""
    goal = _get_goal(session, goal_id)
    scope = GoalScope.load(session, actor)
    _require_edit(session, scope, goal, action)
    check_version(goal, version, _stale_goal(goal))
    return goal, scope


def _editable_key_result(
    session: Session, actor: Actor, key_result_id: int, version: int, action: str, verb: str
) -> tuple[KeyResult, Goal]:
    scope = GoalScope.load(session, actor)
    kr, goal = _get_key_result(session, scope, key_result_id, action)
    check_version(kr, version, _stale_key_result(kr, verb))
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
    stale: str,
    of_key_result: bool = False,
) -> None:
    """Write the change, move the goal to its next version (every change to
    it or its key results does) and audit; `stale` refuses the save when a
    concurrent one won.

    A goal edit is checked against the goal's version. A key result edit
    (`of_key_result`) is checked against that key result's version only and
    moves the goal's version with an increment in SQL, so two people updating
    different key results of one goal at once do not refuse each other."""
    session.add_all(also)
    record_event(
        session,
        actor_id=actor.person_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        detail=detail,
    )
    with refuse_if_stale(stale):
        if of_key_result:
            session.execute(
                sa_update(Goal)
                .where(col(Goal.id) == goal.id)
                .values(version=col(Goal.version) + 1, updated_at=utcnow())
            )
        else:
            goal.updated_at = utcnow()
            session.add(goal)
        session.flush()


def update_goal(
    session: Session, *, actor: Actor, goal_id: int, version: int, changes: GoalUpdate
) -> GoalRead:
    """Edit title, description, kind, due date, alignment, or move between
    draft and active (reopening a closed goal clears its rating)."""
    goal, scope = _editable_goal(session, actor, goal_id, version, "edit")
    stale = _stale_goal(goal)
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
        description=changes.description,
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
        stale=stale,
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
        stale=_stale_goal(goal),
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
        stale=_stale_goal(goal),
    )
    assert row.id is not None
    return row.id


def _get_key_result(
    session: Session, scope: GoalScope, key_result_id: int, action: str
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
    touch(kr)
    _save_change(
        session,
        actor,
        goal,
        action="key_result.updated",
        entity="key_result",
        entity_id=kr.id,
        detail=key_result,
        also=[kr],
        stale=_stale_key_result(kr, "changed"),
        of_key_result=True,
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
        stale=_stale_key_result(kr, "changed"),
        of_key_result=True,
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
    require_module(
        session, actor=actor, module=Module.goals, person_id=goal.owner_id, unit_id=goal.org_unit_id
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
    touch(kr)
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
        action="progress_update.created",
        entity="key_result",
        entity_id=key_result_id,
        detail={"value": number, "confidence": confidence},
        also=[kr, update],
        stale=_stale_key_result(kr, "updated"),
        of_key_result=True,
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
