"""People's rights over their data: a subject-access download of everything
Stride holds about one person, and the erasure of a leaver.

Erasure anonymises instead of deleting rows: the leaver's goals, ratings and
progress stay as anonymous numbers, so heatmaps and goal reports still add
up, while their name, e-mail, username and the free text written about them
are gone. The audit event says that an erasure happened, not what was erased.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import delete, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, or_

from core.access import Actor, can_administer_people, require
from core.audit import record_event
from core.checkins.queries import check_in_sheets, erase_check_in_text
from core.errors import NotFound, ValidationError
from core.export import workbook_bytes
from core.reviews.commands import erase_review_text
from db.models import (
    Assessment,
    AuditEvent,
    Competency,
    Feedback,
    FeedbackRequest,
    FeedbackRequestStatus,
    Goal,
    Invitation,
    KeyResult,
    LearningAssignment,
    LearningItem,
    OrgUnit,
    Person,
    Position,
    ProgressUpdate,
    ScaleValue,
    UserAccount,
    utcnow,
)


@dataclass(frozen=True)
class SubjectAccess:
    """Everything about one person, sheet by sheet."""

    person_name: str
    sheets: dict[str, pd.DataFrame]

    def workbook(self) -> bytes:
        return workbook_bytes(self.sheets)

    def json(self) -> bytes:
        def plain(value: Any) -> Any:
            if isinstance(value, datetime | date):
                return value.isoformat()
            if pd.isna(value) if not isinstance(value, list | dict) else False:
                return None
            return value

        document = {
            name: [{k: plain(v) for k, v in row.items()} for row in frame.to_dict("records")]
            for name, frame in self.sheets.items()
        }
        return json.dumps(document, ensure_ascii=False, indent=2).encode()


def _require_hr(session: Session, actor: Actor, action: str, person_id: int) -> Person:
    require(
        can_administer_people(actor),
        session=session,
        actor=actor,
        action=action,
        entity="person",
        entity_id=person_id,
        message="Only HR admins handle subject-access requests and erasures.",
    )
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("There is no such person.")
    return person


def _frame(session: Session, query: Any, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([tuple(r) for r in session.execute(query).all()], columns=columns)


def get_subject_access(session: Session, *, actor: Actor, person_id: int) -> SubjectAccess:
    """The person's record, account (never the password hash), goals and
    progress, ratings about them, learning, feedback received and given (named,
    as it was given) and the audit events about them."""
    person = _require_hr(session, actor, "subject_access", person_id)
    manager = session.get(Person, person.manager_id) if person.manager_id else None
    unit = session.get(OrgUnit, person.org_unit_id)
    position = session.get(Position, person.position_id) if person.position_id else None
    account = (
        session.execute(sa_select(UserAccount).where(col(UserAccount.person_id) == person_id))
        .scalars()
        .first()
    )
    record = pd.DataFrame(
        [
            {
                "employee code": person.employee_code,
                "name": person.full_name,
                "e-mail": person.email,
                "username": account.username if account else "",
                "unit": unit.name if unit else "",
                "position": position.title if position else "",
                "manager": manager.full_name if manager else "",
                "hire date": person.hire_date,
                "years of experience": person.years_experience,
                "active": person.active,
                "HR admin": person.is_hr_admin,
            }
        ]
    )
    goals = _frame(
        session,
        sa_select(
            col(Goal.id),
            col(Goal.title),
            col(Goal.description),
            col(Goal.level),
            col(Goal.status),
            col(Goal.due_on),
            col(Goal.final_rating),
            col(Goal.created_at),
        ).where(col(Goal.owner_id) == person_id),
        ["goal id", "title", "description", "level", "status", "due", "final rating", "created"],
    )
    progress = _frame(
        session,
        sa_select(
            col(Goal.id),
            col(KeyResult.title),
            col(ProgressUpdate.value),
            col(ProgressUpdate.confidence),
            col(ProgressUpdate.note),
            col(ProgressUpdate.at),
        )
        .join(KeyResult, col(KeyResult.id) == col(ProgressUpdate.key_result_id))
        .join(Goal, col(Goal.id) == col(KeyResult.goal_id))
        .where(or_(col(Goal.owner_id) == person_id, col(ProgressUpdate.author_id) == person_id))
        .order_by(col(ProgressUpdate.at)),
        ["goal id", "key result", "value", "confidence", "note", "at"],
    )
    rater = Person.__table__.alias("rater")  # type: ignore[attr-defined]
    ratings = _frame(
        session,
        sa_select(
            col(Competency.name),
            col(ScaleValue.name),
            col(Assessment.source),
            rater.c.full_name,
            col(Assessment.comment),
            col(Assessment.evidence),
            col(Assessment.at),
        )
        .join(Competency, col(Competency.id) == col(Assessment.competency_id))
        .join(ScaleValue, col(ScaleValue.id) == col(Assessment.value_id))
        .join(rater, rater.c.id == col(Assessment.rater_id), isouter=True)
        .where(col(Assessment.person_id) == person_id)
        .order_by(col(Assessment.at)),
        ["competency", "level", "source", "rated by", "comment", "evidence", "at"],
    )
    learning = _frame(
        session,
        sa_select(
            col(LearningItem.title),
            col(LearningAssignment.status),
            col(LearningAssignment.due_on),
            col(LearningAssignment.assigned_at),
            col(LearningAssignment.completed_at),
        )
        .join(LearningItem, col(LearningItem.id) == col(LearningAssignment.item_id))
        .where(col(LearningAssignment.person_id) == person_id),
        ["item", "status", "due", "assigned", "completed"],
    )
    # Continuous feedback is named, so givers are shown (not 360 answers).
    giver = Person.__table__.alias("giver")  # type: ignore[attr-defined]
    receiver = Person.__table__.alias("receiver")  # type: ignore[attr-defined]
    feedback_received = _frame(
        session,
        sa_select(
            col(Feedback.created_at),
            giver.c.full_name,
            col(Feedback.kind),
            col(Feedback.visibility),
            col(Feedback.text),
            col(Goal.title),
            col(Competency.name),
        )
        .join(giver, giver.c.id == col(Feedback.giver_id))
        .join(Goal, col(Goal.id) == col(Feedback.goal_id), isouter=True)
        .join(Competency, col(Competency.id) == col(Feedback.competency_id), isouter=True)
        .where(col(Feedback.receiver_id) == person_id)
        .order_by(col(Feedback.created_at)),
        ["at", "from", "kind", "visibility", "feedback", "goal", "competency"],
    )
    feedback_given = _frame(
        session,
        sa_select(
            col(Feedback.created_at),
            receiver.c.full_name,
            col(Feedback.kind),
            col(Feedback.visibility),
            col(Feedback.text),
        )
        .join(receiver, receiver.c.id == col(Feedback.receiver_id))
        .where(col(Feedback.giver_id) == person_id)
        .order_by(col(Feedback.created_at)),
        ["at", "to", "kind", "visibility", "feedback"],
    )
    audit = _frame(
        session,
        sa_select(
            col(AuditEvent.at),
            col(AuditEvent.action),
            col(AuditEvent.entity),
            col(AuditEvent.detail),
        )
        .where(
            or_(
                col(AuditEvent.actor_id) == person_id,
                (col(AuditEvent.entity) == "person")
                & (col(AuditEvent.entity_id) == str(person_id)),
            )
        )
        .order_by(col(AuditEvent.at)),
        ["at", "action", "entity", "detail"],
    )
    record_event(
        session,
        actor_id=actor.person_id,
        action="subject_access.exported",
        entity="person",
        entity_id=person_id,
    )
    return SubjectAccess(
        person_name=person.full_name,
        sheets={
            "Record": record,
            "Goals": goals,
            "Progress": progress,
            "Ratings": ratings,
            "Learning": learning,
            "Feedback received": feedback_received,
            "Feedback given": feedback_given,
            "Audit events": audit,
            # Check-ins without anyone's private notes: HR downloads this,
            # and private notes are for their author only.
            **{
                f"Check-ins {name}" if not name.startswith("Check-ins") else name: frame
                for name, frame in check_in_sheets(
                    session, employee_id=person_id, private_author_id=None
                ).items()
            },
        },
    )


ERASED_NAME = "Former employee"


def erase_person(session: Session, *, actor: Actor, person_id: int) -> None:
    """Anonymise a leaver: refused while the person is active."""
    person = _require_hr(session, actor, "erase", person_id)
    if person.active:
        raise ValidationError("Deactivate the person first: only leavers can be erased.")
    if person.full_name == f"{ERASED_NAME} {person.id}":
        raise ValidationError("This person has already been erased.")
    person.full_name = f"{ERASED_NAME} {person.id}"
    person.email = f"erased-{person.id}@invalid"
    person.hire_date = None
    person.years_experience = None
    session.add(person)
    session.execute(delete(Invitation).where(col(Invitation.person_id) == person_id))
    session.execute(delete(UserAccount).where(col(UserAccount.person_id) == person_id))
    # Free text written about them (ratings' comments and evidence, their
    # goals' descriptions, progress notes on them, feedback they received and
    # feedback questions about them) goes; numbers stay.
    session.execute(
        update(Assessment.__table__)  # type: ignore[attr-defined]
        .where(col(Assessment.person_id) == person_id)
        .values(comment="", evidence="")
    )
    session.execute(
        update(Goal.__table__)  # type: ignore[attr-defined]
        .where(col(Goal.owner_id) == person_id)
        .values(description="")
    )
    # Feedback about them, and the questions asked about them, are free text too.
    session.execute(
        update(Feedback.__table__)  # type: ignore[attr-defined]
        .where(col(Feedback.receiver_id) == person_id)
        .values(text="")
    )
    session.execute(
        update(FeedbackRequest.__table__)  # type: ignore[attr-defined]
        .where(col(FeedbackRequest.subject_id) == person_id)
        .values(question="")
    )
    # Requests that can no longer be answered (by them, or about them) close.
    session.execute(
        update(FeedbackRequest.__table__)  # type: ignore[attr-defined]
        .where(
            or_(
                col(FeedbackRequest.asked_id) == person_id,
                col(FeedbackRequest.subject_id) == person_id,
            ),
            col(FeedbackRequest.status) == FeedbackRequestStatus.open.value,
        )
        .values(status=FeedbackRequestStatus.declined.value, closed_at=utcnow())
    )
    their_key_results = (
        sa_select(col(KeyResult.id))
        .join(Goal, col(Goal.id) == col(KeyResult.goal_id))
        .where(col(Goal.owner_id) == person_id)
    )
    session.execute(
        update(ProgressUpdate.__table__)  # type: ignore[attr-defined]
        .where(col(ProgressUpdate.key_result_id).in_(their_key_results))
        .values(note="")
    )
    erase_check_in_text(session, person_id=person_id)
    erase_review_text(session, person_id=person_id)
    record_event(
        session,
        actor_id=actor.person_id,
        action="person.erased",
        entity="person",
        entity_id=person_id,
    )
    session.flush()
