"""Home's to-dos from assessments: ratings requested of me.

- An employee: the competencies of their role they have never assessed
  themselves in (one to-do, opening the first of them on *My skills*).
- A manager: for each direct report, the competencies the report assessed
  with no manager rating since (`rules.awaits_manager_rating`), one to-do per
  report, opening the report on *Skills gap*.

Each is one grouped query over role requirements and the rating history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from core.access import Actor, Capability, has
from core.assessments import rules as gaps
from core.todos import Todo, Urgency, todo_source
from db.models import (
    Assessment,
    AssessmentSource,
    Competency,
    Person,
    RoleRequirement,
)

# How many competency names a to-do names before "and N more".
NAMED_COMPETENCIES = 3


def _named(names: list[str]) -> str:
    shown = ", ".join(names[:NAMED_COMPETENCIES])
    more = len(names) - NAMED_COMPETENCIES
    return shown + (f" and {more} more" if more > 0 else "")


@dataclass(frozen=True)
class ReportRatings:
    """One direct report's role competencies as their manager sees them."""

    person_id: int
    full_name: str
    required: int  # competencies of their role
    unrated: int  # with no manager rating at all
    awaiting: list[str]  # self-assessed since the last manager rating (names)


def list_report_ratings(session: Session, *, actor: Actor) -> list[ReportRatings]:
    """The actor's active direct reports with a role profile, by name. One
    query: reports × role requirements × their latest self and manager dates."""
    self_at = func.max(
        case((col(Assessment.source) == AssessmentSource.self_.value, col(Assessment.at)))
    )
    manager_at = func.max(
        case((col(Assessment.source) == AssessmentSource.manager.value, col(Assessment.at)))
    )
    rows = session.execute(
        sa_select(col(Person.id), col(Person.full_name), col(Competency.name), self_at, manager_at)
        .join(RoleRequirement, col(RoleRequirement.position_id) == col(Person.position_id))
        .join(Competency, col(Competency.id) == col(RoleRequirement.competency_id))
        .join(
            Assessment,
            (col(Assessment.person_id) == col(Person.id))
            & (col(Assessment.competency_id) == col(RoleRequirement.competency_id)),
            isouter=True,
        )
        .where(col(Person.manager_id) == actor.person_id, col(Person.active).is_(True))
        .group_by(col(Person.id), col(Person.full_name), col(Competency.id), col(Competency.name))
        .order_by(col(Person.full_name), col(Person.id), col(Competency.name))
    ).all()
    names: dict[int, str] = {}
    required: dict[int, int] = {}
    unrated: dict[int, int] = {}
    awaiting: dict[int, list[str]] = {}
    for person_id, name, competency, last_self, last_manager in rows:
        if person_id is None:
            continue
        names[person_id] = name
        required[person_id] = required.get(person_id, 0) + 1
        unrated[person_id] = unrated.get(person_id, 0) + (last_manager is None)
        waiting = awaiting.setdefault(person_id, [])
        if gaps.awaits_manager_rating(self_at=last_self, manager_at=last_manager):
            waiting.append(competency)
    return [
        ReportRatings(person_id, name, required[person_id], unrated[person_id], awaiting[person_id])
        for person_id, name in names.items()
    ]


@todo_source("competencies")
def ratings_requested_of_manager(session: Session, actor: Actor, today: date) -> list[Todo]:
    if not has(actor, Capability.team_gaps):
        return []
    return [
        Todo(
            module="competencies",
            kind="competencies.manager_rating_requested",
            title=f"Rate {report.full_name}",
            detail=(
                f"{len(report.awaiting)} self-assessment"
                f"{'s await' if len(report.awaiting) != 1 else ' awaits'} your rating: "
                f"{_named(report.awaiting)}"
            ),
            page="skills_gap",
            query={"person": str(report.person_id)},
            urgency=Urgency.waiting,
        )
        for report in list_report_ratings(session, actor=actor)
        if report.awaiting
    ]


@todo_source("competencies")
def self_assessments_to_do(session: Session, actor: Actor, today: date) -> list[Todo]:
    assessed = (
        select(Assessment.id)
        .where(
            col(Assessment.person_id) == actor.person_id,
            col(Assessment.competency_id) == col(RoleRequirement.competency_id),
            col(Assessment.source) == AssessmentSource.self_.value,
        )
        .exists()
    )
    rows = session.execute(
        sa_select(col(Competency.id), col(Competency.name))
        .join(RoleRequirement, col(RoleRequirement.competency_id) == col(Competency.id))
        .join(Person, col(Person.position_id) == col(RoleRequirement.position_id))
        .where(col(Person.id) == actor.person_id, ~assessed)
        .order_by(col(Competency.sort_order), col(Competency.id))
    ).all()
    if not rows:
        return []
    names = [name for _id, name in rows]
    count = len(rows)
    return [
        Todo(
            module="competencies",
            kind="competencies.self_assessment_missing",
            title=(
                f"Assess yourself in {count} competenc{'ies' if count != 1 else 'y'} of your role"
            ),
            detail=f"Never self-assessed: {_named(names)}",
            page="my_skills",
            query={"competency": str(rows[0][0])},
            urgency=Urgency.waiting,
        )
    ]
