"""Home's to-dos from feedback: requests asked of me that wait for an answer.

One query; a request has no due date, so it waits (oldest first) until it is
a week old, then counts as due soon: timely feedback is worth more.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from core.access import Actor
from core.todos import Todo, Urgency, todo_source
from db.models import FeedbackRequest, FeedbackRequestStatus, Person

# A request older than this is "due soon" on Home.
ANSWER_WITHIN_DAYS = 7
MAX_REQUEST_TODOS = 20

_requester = aliased(Person, name="requester")
_subject = aliased(Person, name="subject")


@todo_source("feedback")
def feedback_requests_to_answer(session: Session, actor: Actor, today: date) -> list[Todo]:
    rows = session.execute(
        sa_select(
            col(FeedbackRequest.id),
            col(FeedbackRequest.created_at),
            col(FeedbackRequest.requester_id),
            col(FeedbackRequest.subject_id),
            col(_requester.full_name),
            col(_subject.full_name),
        )
        .join(_requester, col(_requester.id) == col(FeedbackRequest.requester_id))
        .join(_subject, col(_subject.id) == col(FeedbackRequest.subject_id))
        .where(
            col(FeedbackRequest.asked_id) == actor.person_id,
            col(FeedbackRequest.status) == FeedbackRequestStatus.open.value,
            col(_subject.active).is_(True),
        )
        .order_by(col(FeedbackRequest.created_at), col(FeedbackRequest.id))
        .limit(MAX_REQUEST_TODOS)
    ).all()
    todos = []
    for request_id, created_at, requester_id, subject_id, requester, subject in rows:
        asked_on = created_at.date()
        about = "themselves" if requester_id == subject_id else subject
        old = asked_on + timedelta(days=ANSWER_WITHIN_DAYS) <= today
        todos.append(
            Todo(
                module="feedback",
                kind="feedback.request_to_answer",
                title=f"Give feedback to {subject}",
                detail=f"{requester} asked you on {asked_on:%d %b %Y} for feedback about {about}.",
                page="feedback",
                query={"request": str(request_id)},
                urgency=Urgency.due_soon if old else Urgency.waiting,
            )
        )
    return todos
