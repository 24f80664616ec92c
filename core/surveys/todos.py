"""Home's to-dos from surveys: each open survey I was asked to answer and
have not answered yet, linking to its form. One query per list."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from core.access import Actor
from core.todos import Todo, todo_source, urgency_for
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
            Survey.status == SurveyStatus.open.value,
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
