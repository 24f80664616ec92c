"""Home's to-dos from goals: key results to update, goals to close.

Both read only the actor's own active individual goals, in two grouped
queries however many goals and updates there are.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from core.access import Actor
from core.goals import rules as pm
from core.todos import Todo, Urgency, as_of, todo_source, urgency_for
from db.models import Goal, GoalCycle, GoalLevel, GoalStatus, KeyResult, ProgressUpdate

# How many key-result titles a to-do names before "and N more".
NAMED_KEY_RESULTS = 3


def _named(titles: list[str]) -> str:
    shown = ", ".join(titles[:NAMED_KEY_RESULTS])
    more = len(titles) - NAMED_KEY_RESULTS
    return shown + (f" and {more} more" if more > 0 else "")


@todo_source("goals")
def key_results_to_update(session: Session, actor: Actor, today: date) -> list[Todo]:
    """One to-do per goal of mine (in a cycle that has not ended) with key
    results that had no update in `STALE_AFTER`, due on the day they went stale."""
    now = as_of(today)
    rows = session.execute(
        sa_select(
            col(Goal.id),
            col(Goal.title),
            col(Goal.status),
            col(Goal.created_at),
            col(KeyResult.title),
            func.max(col(ProgressUpdate.at)),
        )
        .join(KeyResult, col(KeyResult.goal_id) == col(Goal.id))
        .join(GoalCycle, col(GoalCycle.id) == col(Goal.cycle_id))
        .join(ProgressUpdate, col(ProgressUpdate.key_result_id) == col(KeyResult.id), isouter=True)
        .where(
            col(Goal.owner_id) == actor.person_id,
            col(Goal.level) == GoalLevel.individual.value,
            col(Goal.status) == GoalStatus.active.value,
            col(GoalCycle.ends_on) >= today,
        )
        .group_by(col(Goal.id), col(Goal.title), col(Goal.status), col(Goal.created_at))
        .group_by(col(KeyResult.id), col(KeyResult.title))
        .order_by(col(Goal.id), col(KeyResult.id))
    ).all()
    stale: dict[int, tuple[str, list[str], datetime]] = {}
    for goal_id, goal_title, status, created_at, kr_title, last_update in rows:
        if goal_id is None or not pm.key_result_stale(
            goal_status=status, last_update=last_update, goal_created_at=created_at, now=now
        ):
            continue
        last = last_update or created_at
        _title, titles, oldest = stale.setdefault(goal_id, (goal_title, [], last))
        titles.append(kr_title)
        if last < oldest:
            stale[goal_id] = (goal_title, titles, last)
    return [
        Todo(
            module="goals",
            kind="goals.key_result_stale",
            title=f"Update the progress of “{goal_title}”",
            detail=f"No update in {pm.STALE_AFTER_TEXT}: {_named(titles)}",
            page="my_goals",
            query={"goal": str(goal_id)},
            urgency=Urgency.overdue,
            due_on=(oldest + pm.STALE_AFTER).date(),
        )
        for goal_id, (goal_title, titles, oldest) in stale.items()
    ]


@todo_source("goals")
def goals_to_close(session: Session, actor: Actor, today: date) -> list[Todo]:
    """One to-do per active goal of mine whose cycle ends within
    `CLOSE_WITHIN_DAYS` days or has ended: record the outcome and close it."""
    rows = session.execute(
        sa_select(
            col(Goal.id),
            col(Goal.title),
            col(Goal.status),
            col(GoalCycle.name),
            col(GoalCycle.ends_on),
        )
        .join(GoalCycle, col(GoalCycle.id) == col(Goal.cycle_id))
        .where(
            col(Goal.owner_id) == actor.person_id,
            col(Goal.level) == GoalLevel.individual.value,
            col(Goal.status) == GoalStatus.active.value,
            col(GoalCycle.ends_on) <= today + timedelta(days=pm.CLOSE_WITHIN_DAYS),
        )
        .order_by(col(GoalCycle.ends_on), col(Goal.id))
    ).all()
    todos = []
    for goal_id, title, status, cycle_name, ends_on in rows:
        if goal_id is None or not pm.needs_closing(
            status=status, cycle_ends_on=ends_on, today=today
        ):
            continue
        when = "ended" if ends_on < today else "ends"
        todos.append(
            Todo(
                module="goals",
                kind="goals.close_at_cycle_end",
                title=f"Close “{title}”",
                detail=f"{cycle_name} {when} on {ends_on:%d %b %Y}: record the outcome.",
                page="my_goals",
                query={"goal": str(goal_id)},
                urgency=urgency_for(ends_on, today=today),
                due_on=ends_on,
            )
        )
    return todos
