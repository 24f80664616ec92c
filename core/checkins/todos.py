"""Home's to-dos from check-ins: check-ins due or overdue (managers), agendas
to prepare and check-ins to acknowledge (employees), action items due
(their owners). A few grouped queries per list, whatever the team size."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Boolean, Date, Integer, String
from sqlalchemy import cast as sa_cast
from sqlalchemy import literal as sa_literal
from sqlalchemy import null as sa_null
from sqlalchemy import select as sa_select
from sqlalchemy import union_all as sa_union_all
from sqlmodel import Session, col, select

from core.access import Actor
from core.checkins import rules
from core.checkins.queries import _pair_statuses
from core.todos import Todo, Urgency, todo_source, urgency_for
from db.models import (
    CheckIn,
    CheckInAction,
    CheckInItem,
    CheckInPair,
    CheckInStatus,
    CheckInUnitCadence,
    Person,
)

# A manager is reminded of a check-in this many days before it is due.
DUE_WITHIN_DAYS = 7
# Action items show on Home this many days before they are due.
ACTIONS_WITHIN_DAYS = 14


@todo_source("checkins")
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
                module="checkins",
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


@todo_source("checkins")
def my_check_ins(session: Session, actor: Actor, today: date) -> list[Todo]:
    """In one query: my next check-in is within a few days and I have added
    no talking point (prepare the agenda); completed check-ins I have not
    acknowledged yet; my open action items due within two weeks or overdue
    (also those of my reports' check-ins that I own)."""
    mine_on_agenda = (
        sa_select(col(CheckInItem.id))
        .where(
            col(CheckInItem.check_in_id) == col(CheckIn.id),
            col(CheckInItem.added_by_id) == actor.person_id,
        )
        .exists()
    )
    # One query for everything: the pair's cadence (own and unit default)
    # beside each of my check-ins (one row with no check-in when there is
    # none yet), and, in a second branch, my open action items due soon.
    text_null, int_null = sa_cast(sa_null(), String), sa_cast(sa_null(), Integer)
    check_ins: Any = (
        sa_select(
            sa_literal("c").label("kind"),
            col(Person.manager_id).label("manager_id"),
            col(CheckInPair.every).label("own"),
            col(CheckInPair.starts_on).label("starts_on"),
            col(CheckInUnitCadence.every).label("unit_default"),
            col(CheckIn.id).label("id"),
            col(CheckIn.status).label("status"),
            col(CheckIn.due_on).label("due_on"),
            col(CheckIn.held_on).label("held_on"),
            mine_on_agenda.label("prepared"),
            text_null.label("text"),
            int_null.label("employee_id"),
        )
        .join(CheckInPair, col(CheckInPair.employee_id) == col(Person.id), isouter=True)
        .join(
            CheckInUnitCadence,
            col(CheckInUnitCadence.org_unit_id) == col(Person.org_unit_id),
            isouter=True,
        )
        .join(CheckIn, col(CheckIn.employee_id) == col(Person.id), isouter=True)
        .where(col(Person.id) == actor.person_id)
    )
    actions = sa_select(
        sa_literal("a"),
        int_null,
        text_null,
        sa_cast(sa_null(), Date),
        text_null,
        col(CheckInAction.id),
        text_null,
        col(CheckInAction.due_on),
        sa_cast(sa_null(), Date),
        sa_cast(sa_null(), Boolean),
        col(CheckInAction.text),
        col(CheckInAction.employee_id),
    ).where(
        col(CheckInAction.owner_id) == actor.person_id,
        col(CheckInAction.done).is_(False),
        col(CheckInAction.due_on).is_not(None),
        col(CheckInAction.due_on) <= today + timedelta(days=ACTIONS_WITHIN_DAYS),
    )
    everything = session.execute(sa_union_all(check_ins, actions)).all()
    todos = _action_todos(
        sorted((r for r in everything if r[0] == "a"), key=lambda r: (r[7], r[5])),
        actor=actor,
        today=today,
    )
    joined = [r for r in everything if r[0] == "c"]
    if not joined or joined[0][1] is None:
        return todos
    own, starts_on, unit_default = joined[0][2:5]
    rows = [tuple(row[5:10]) for row in joined if row[5] is not None]
    planned = [r for r in rows if r[1] == CheckInStatus.planned]
    held = [r[3] for r in rows if r[3] is not None]
    cadence = rules.effective_cadence(own, unit_default)
    due = rules.next_due_on(
        cadence=cadence, last_held_on=max(held) if held else None, starts_on=starts_on
    )
    prepared = False
    if planned:
        due = planned[0][2] or due
        prepared = bool(planned[0][4])
    if (
        due is not None
        and not prepared
        and due <= today + timedelta(days=rules.PREPARE_WITHIN_DAYS)
    ):
        todos.append(
            Todo(
                module="checkins",
                kind="checkins.prepare_agenda",
                title="Prepare your next check-in",
                detail=f"Add your talking points before {due:%d %b %Y}.",
                page="my_checkins",
                urgency=Urgency.overdue if due < today else Urgency.due_soon,
                due_on=due,
            )
        )
    for check_in_id, status, _due_on, held_on, _prepared in rows:
        if status != CheckInStatus.completed:
            continue
        todos.append(
            Todo(
                module="checkins",
                kind="checkins.acknowledge",
                title="Acknowledge your check-in"
                + (f" of {held_on:%d %b %Y}" if held_on is not None else ""),
                detail="Read the notes and actions; add a comment if you like.",
                page="my_checkins",
                query={"checkin": str(check_in_id)},
                urgency=Urgency.due_soon,
                due_on=held_on,
            )
        )
    return todos


def _action_todos(rows: list[Any], *, actor: Actor, today: date) -> list[Todo]:
    todos = []
    for row in rows:
        due_on, text, employee_id = row[7], row[10], row[11]
        own = employee_id == actor.person_id
        todos.append(
            Todo(
                module="checkins",
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
