"""Home's to-dos from surveys: each survey I was asked to answer that still
takes answers and that I have not answered, linking to its form; for HR, each
open survey whose closing day has passed, to close it. One query each."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from core.access import Actor, can_manage_surveys
from core.surveys.queries import still_taking_answers
from core.todos import Todo, Urgency, todo_source, urgency_for
from db.models import Survey, SurveyInvitation, SurveyStatus

# Close dates within this many days make a survey "due soon".
DUE_SOON_DAYS = 7


@todo_source("surveys")
def surveys_to_answer(session: Session, actor: Actor, today: date) -> list[Todo]:
    rows = session.exec(
        select(col(Survey.id), col(Survey.title), col(Survey.closes_on))
        .join(SurveyInvitation, col(SurveyInvitation.survey_id) == col(Survey.id))
        .where(
            SurveyInvitation.person_id == actor.person_id,
            col(SurveyInvitation.answered).is_(False),
            still_taking_answers(today),
        )
        .order_by(col(Survey.id))
    ).all()
    todos = []
    for survey_id, title, closes_on in rows:
        todos.append(
            Todo(
                module="surveys",
                kind="surveys.answer",
                title=f"Answer the survey “{title}”",
                detail=(
                    f"Anonymous; open until {closes_on:%d %b %Y}."
                    if closes_on
                    else "Anonymous; a few questions."
                ),
                page="my_surveys",
                query={"survey": str(survey_id)},
                urgency=urgency_for(closes_on, today=today, soon_days=DUE_SOON_DAYS),
                due_on=closes_on,
            )
        )
    return todos


@todo_source("surveys")
def surveys_to_close(session: Session, actor: Actor, today: date) -> list[Todo]:
    if not can_manage_surveys(actor):
        return []
    rows = session.exec(
        select(col(Survey.id), col(Survey.title), col(Survey.round), col(Survey.closes_on))
        .where(Survey.status == SurveyStatus.open.value, col(Survey.closes_on) < today)
        .order_by(col(Survey.id))
    ).all()
    return [
        Todo(
            module="surveys",
            kind="surveys.close",
            title=f"Close the survey “{title}”" + (f" (round {round_})" if round_ > 1 else ""),
            detail=(
                f"It stopped taking answers after {closes_on:%d %b %Y}; closing it records"
                " the final counts."
            ),
            page="surveys",
            query={"survey": str(survey_id)},
            due_on=closes_on,
            urgency=Urgency.overdue,
        )
        for survey_id, title, round_, closes_on in rows
    ]
