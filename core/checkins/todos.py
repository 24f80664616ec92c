"""Home's to-dos from check-ins: check-ins due or overdue (managers), agendas
to prepare and check-ins to acknowledge (employees), action items due
(their owners). A few grouped queries per list, whatever the team size."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from core.access import Actor
from core.checkins import rules
from core.checkins.queries import _pair_statuses
from core.todos import Todo, Urgency, todo_source, urgency_for
from db.checkin_models import CheckIn, CheckInAction, CheckInItem, CheckInStatus
from db.models import Person

# A manager is reminded of a check-in this many days before it is due.
DUE_WITHIN_DAYS = 7


@todo_source("check-ins")
def check_ins_due(session: Session, actor: Actor, today: date) -> list[Todo]:
    """One to-do per direct report whose check-in is due within a week or overdue."""
    if not actor.is_manager:
        return []
    reports = list(
        session.exec(
            select(Person).where(Person.manager_id == actor.person_id, col(Person.active).is_(True))
        )
    )
    todos = []
    for pair in _pair_statuses(session, reports, today=today):
        due = pair.next_due_on
        if due is None or due > today + timedelta(days=DUE_WITHIN_DAYS):
            continue
        detail = (
            f"Overdue by {pair.days_overdue} days ({pair.cadence_label.lower()})."
            if pair.overdue
            else f"Due on {due:%d %b %Y} ({pair.cadence_label.lower()})."
        )
        todos.append(
            Todo(
                module="check-ins",
                kind="checkins.due",
                title=f"Check in with {pair.employee_name}",
                detail=detail,
                page="team_checkins",
                query={"person": str(pair.employee_id)},
                urgency=urgency_for(due, today=today, soon_days=DUE_WITHIN_DAYS),
                due_on=due,
            )
        )
    return todos


@todo_source("check-ins")
def agenda_to_prepare(session: Session, actor: Actor, today: date) -> list[Todo]:
    """My next check-in is within a few days and I have added no talking point."""
    me = session.get(Person, actor.person_id)
    if me is None or me.manager_id is None:
        return []
    pair = _pair_statuses(session, [me], today=today)[0]
    due = pair.next_due_on
    if due is None or due > today + timedelta(days=rules.PREPARE_WITHIN_DAYS):
        return []
    if pair.open_check_in_id is not None:
        mine = session.exec(
            select(CheckInItem.id).where(
                CheckInItem.check_in_id == pair.open_check_in_id,
                CheckInItem.added_by_id == actor.person_id,
            )
        ).first()
        if mine is not None:
            return []
    return [
        Todo(
            module="check-ins",
            kind="checkins.prepare_agenda",
            title="Prepare your next check-in",
            detail=f"Add your talking points before {due:%d %b %Y}.",
            page="my_checkins",
            urgency=Urgency.overdue if due < today else Urgency.due_soon,
            due_on=due,
        )
    ]


@todo_source("check-ins")
def actions_due(session: Session, actor: Actor, today: date) -> list[Todo]:
    """My open action items due within two weeks, or overdue."""
    rows = session.execute(
        sa_select(
            col(CheckInAction.id),
            col(CheckInAction.text),
            col(CheckInAction.due_on),
            col(CheckInAction.employee_id),
        )
        .where(
            col(CheckInAction.owner_id) == actor.person_id,
            col(CheckInAction.done).is_(False),
            col(CheckInAction.due_on).is_not(None),
            col(CheckInAction.due_on) <= today + timedelta(days=14),
        )
        .order_by(col(CheckInAction.due_on))
    ).all()
    todos = []
    for _action_id, text, due_on, employee_id in rows:
        own = employee_id == actor.person_id
        todos.append(
            Todo(
                module="check-ins",
                kind="checkins.action_due",
                title=f"Action: {text}",
                detail="From your check-ins." if own else "From a check-in with your report.",
                page="my_checkins" if own else "team_checkins",
                query={} if own else {"person": str(employee_id)},
                urgency=urgency_for(due_on, today=today),
                due_on=due_on,
            )
        )
    return todos


@todo_source("check-ins")
def check_ins_to_acknowledge(session: Session, actor: Actor, today: date) -> list[Todo]:
    rows = session.execute(
        sa_select(col(CheckIn.id), col(CheckIn.held_on)).where(
            col(CheckIn.employee_id) == actor.person_id,
            col(CheckIn.status) == CheckInStatus.completed.value,
        )
    ).all()
    return [
        Todo(
            module="check-ins",
            kind="checkins.acknowledge",
            title="Acknowledge your check-in"
            + (f" of {held_on:%d %b %Y}" if held_on is not None else ""),
            detail="Read the notes and actions; add a comment if you like.",
            page="my_checkins",
            query={"checkin": str(check_in_id)},
            urgency=Urgency.due_soon,
            due_on=held_on,
        )
        for check_in_id, held_on in rows
    ]
