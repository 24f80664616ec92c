"""Home's to-dos from learning: my open assignments due soon or overdue.

One query; an assignment without a due date waits on the Learning page.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from core.access import Actor
from core.learning.queries import OPEN_STATUSES
from core.todos import DUE_SOON_DAYS, Todo, Urgency, todo_source, urgency_for
from db.models import LearningAssignment, LearningItem


@todo_source("learning")
def learning_due(session: Session, actor: Actor, today: date) -> list[Todo]:
    rows = session.execute(
        sa_select(
            col(LearningAssignment.id), col(LearningItem.title), col(LearningAssignment.due_on)
        )
        .join(LearningItem, col(LearningItem.id) == col(LearningAssignment.item_id))
        .where(
            col(LearningAssignment.person_id) == actor.person_id,
            col(LearningAssignment.status).in_(OPEN_STATUSES),
            col(LearningAssignment.due_on).is_not(None),
            col(LearningAssignment.due_on) <= today + timedelta(days=DUE_SOON_DAYS),
        )
        .order_by(col(LearningAssignment.due_on), col(LearningAssignment.id))
    ).all()
    todos = []
    for assignment_id, title, due_on in rows:
        if assignment_id is None or due_on is None:
            continue
        urgency = urgency_for(due_on, today=today)
        when = "was due" if urgency is Urgency.overdue else "is due"
        todos.append(
            Todo(
                module="learning",
                kind="learning.assignment_due",
                title=f"Finish “{title}”",
                detail=f"Assigned learning that {when} on {due_on:%d %b %Y}.",
                page="learning",
                query={"assignment": str(assignment_id)},
                urgency=urgency,
                due_on=due_on,
            )
        )
    return todos
