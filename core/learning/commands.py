"""Writes: catalogue items, assignments and their status; each checked and audited."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from core.access import (
    Actor,
    Relation,
    can_assign_learning,
    can_edit_learning_catalogue,
    can_update_learning_status,
    relation_between,
    require,
)
from core.audit import record_event
from core.competencies import effective_scale_id
from core.errors import NotFound, ValidationError
from core.learning.queries import OPEN_STATUSES, STATUSES
from core.modules.queries import require_module
from core.modules.rules import Module
from core.versioning import check_version, flush_versioned, touch
from db.models import (
    Competency,
    LearningAssignment,
    LearningAssignmentRead,
    LearningItem,
    LearningItemCreate,
    LearningItemRead,
    LearningStatus,
    Person,
    ScaleValue,
    utcnow,
)

MAX_ASSIGN_AT_ONCE = 200


def create_learning_item(
    session: Session, *, actor: Actor, item_in: LearningItemCreate
) -> LearningItemRead:
    require(
        can_edit_learning_catalogue(actor),
        session=session,
        actor=actor,
        action="create",
        entity="learning_item",
    )
    title = item_in.title.strip()
    if not title:
        raise ValidationError("Give the learning item a title.")
    url = item_in.url.strip()
    if url and not url.lower().startswith(("https://", "http://")):
        raise ValidationError("The link must start with https:// or http://.")
    if session.get(Competency, item_in.competency_id) is None:
        raise NotFound("There is no such competency.")
    value = session.get(ScaleValue, item_in.target_value_id)
    if value is None or value.scale_id != effective_scale_id(
        session, competency_id=item_in.competency_id
    ):
        raise ValidationError("Choose a target level from the competency's scale.")
    item = LearningItem.model_validate(item_in.model_copy(update={"title": title, "url": url}))
    session.add(item)
    session.flush()
    record_event(
        session,
        actor_id=actor.person_id,
        action="learning_item.created",
        entity="learning_item",
        entity_id=item.id,
        detail={"title": title},
    )
    return LearningItemRead.model_validate(item, from_attributes=True)


def assign_learning(
    session: Session, *, actor: Actor, item_id: int, person_ids: list[int], due_on: date | None
) -> int:
    """Assign an item to several reports at once; people who already have it
    open are skipped. Returns how many assignments were made."""
    item = session.get(LearningItem, item_id)
    if item is None or not item.active:
        raise NotFound("There is no such learning item.")
    if not person_ids:
        raise ValidationError("Choose at least one person.")
    if len(person_ids) > MAX_ASSIGN_AT_ONCE:
        raise ValidationError(f"Assign to at most {MAX_ASSIGN_AT_ONCE} people at once.")
    if due_on is not None and due_on < date.today():
        raise ValidationError("The due date is in the past.")
    made = 0
    for person_id in dict.fromkeys(person_ids):
        if session.get(Person, person_id) is None:
            raise NotFound("There is no such person.")
        require_module(session, actor=actor, module=Module.competencies, person_id=person_id)
        relation = relation_between(session, viewer_id=actor.person_id, target_id=person_id)
        require(
            can_assign_learning(actor, relation),
            session=session,
            actor=actor,
            action="assign_learning",
            entity="person",
            entity_id=person_id,
            message="You can only assign learning to people who report to you.",
        )
        already = session.exec(
            select(LearningAssignment.id).where(
                LearningAssignment.item_id == item_id,
                LearningAssignment.person_id == person_id,
                col(LearningAssignment.status).in_(OPEN_STATUSES),
            )
        ).first()
        if already is not None:
            continue
        assignment = LearningAssignment(
            person_id=person_id, item_id=item_id, assigned_by_id=actor.person_id, due_on=due_on
        )
        session.add(assignment)
        session.flush()
        record_event(
            session,
            actor_id=actor.person_id,
            action="learning_assignment.created",
            entity="learning_assignment",
            entity_id=assignment.id,
            detail={"person_id": person_id, "item_id": item_id, "due_on": due_on},
        )
        made += 1
    return made


def update_assignment_status(
    session: Session, *, actor: Actor, assignment_id: int, status: str, version: int
) -> LearningAssignmentRead:
    assignment = session.get(LearningAssignment, assignment_id)
    if assignment is None:
        raise NotFound("There is no such assignment.")
    relation = relation_between(session, viewer_id=actor.person_id, target_id=assignment.person_id)
    require(
        can_update_learning_status(actor, relation),
        session=session,
        actor=actor,
        action="update_status",
        entity="learning_assignment",
        entity_id=assignment_id,
    )
    if status not in STATUSES:
        raise ValidationError(f"Unknown status {status!r}.")
    if status == LearningStatus.cancelled.value and relation is Relation.self_:
        raise ValidationError("Ask your manager to cancel an assignment.")
    stale = "Someone else changed this assignment; reload and try again."
    check_version(assignment, version, stale)
    assignment.status = status
    assignment.completed_at = utcnow() if status == LearningStatus.completed.value else None
    touch(assignment)
    session.add(assignment)
    flush_versioned(session, stale)
    record_event(
        session,
        actor_id=actor.person_id,
        action="learning_assignment.updated",
        entity="learning_assignment",
        entity_id=assignment_id,
        detail={"status": status},
    )
    return LearningAssignmentRead.model_validate(assignment, from_attributes=True)
