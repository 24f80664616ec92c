"""Home's to-dos from 360 reviews: answers waiting and rater lists to approve.

- Anyone: each open review they are asked to answer (their self-assessment
  included) and have not answered yet, due on the review's due date.
- The subject's direct manager: each review in draft whose rater list waits
  for approval. The subject: their own review in draft (check the raters).

Two queries for the actor's whole list.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from core.access import Actor
from core.reviews.anonymity import Group, ReviewStatus
from core.todos import Todo, todo_source, urgency_for
from db.models import Person, Review, ReviewRater


@todo_source("reviews")
def answers_waiting(session: Session, actor: Actor, today: date) -> list[Todo]:
    rows = session.execute(
        sa_select(col(Review.id), col(Review.due_on), col(Person.full_name), col(ReviewRater.group))
        .join(ReviewRater, col(ReviewRater.review_id) == col(Review.id))
        .join(Person, col(Person.id) == col(Review.subject_id))
        .where(
            col(ReviewRater.person_id) == actor.person_id,
            col(ReviewRater.answered).is_(False),
            col(Review.status) == ReviewStatus.collecting.value,
        )
        .order_by(col(Review.due_on), col(Review.id))
    ).all()
    return [
        Todo(
            module="reviews",
            kind="reviews.self_assessment" if group == Group.self_.value else "reviews.answer",
            title=(
                "Assess yourself in your 360 review"
                if group == Group.self_.value
                else f"Answer the 360 review of {name}"
            ),
            detail=f"Due on {due:%d %b %Y}.",
            page="reviews",
            query={"review": str(review_id)},
            urgency=urgency_for(due, today=today),
            due_on=due,
        )
        for review_id, due, name, group in rows
    ]


@todo_source("reviews")
def raters_to_approve(session: Session, actor: Actor, today: date) -> list[Todo]:
    rows = session.execute(
        sa_select(col(Review.id), col(Review.due_on), col(Person.full_name), col(Person.id))
        .join(Person, col(Person.id) == col(Review.subject_id))
        .where(
            col(Review.status) == ReviewStatus.draft.value,
            (col(Person.manager_id) == actor.person_id) | (col(Person.id) == actor.person_id),
        )
        .order_by(col(Review.due_on), col(Review.id))
    ).all()
    todos = []
    for review_id, due, name, subject_id in rows:
        mine = subject_id == actor.person_id
        todos.append(
            Todo(
                module="reviews",
                kind="reviews.check_raters" if mine else "reviews.approve_raters",
                title=(
                    "Check who will answer your 360 review"
                    if mine
                    else f"Approve the raters of {name}'s 360 review"
                ),
                detail=(
                    "Add or remove raters before your manager approves the list."
                    if mine
                    else "Answers open once you approve the list."
                ),
                page="reviews",
                query={"review": str(review_id)},
                urgency=urgency_for(due, today=today),
                due_on=due,
            )
        )
    return todos
