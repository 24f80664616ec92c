"""Writes: giving feedback, asking for it, answering or declining a request.

Every id is checked again here (it may come from a widget or a link), every
write leaves an audit event, and the text rules are core.feedback.rules.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col

from core.access import (
    Actor,
    can_answer_feedback_request,
    can_give_feedback,
    can_request_feedback_about,
    relation_between,
    require,
)
from core.audit import record_event
from core.errors import NotFound, ValidationError
from core.feedback import rules
from core.goals.scope import GoalScope
from core.modules.queries import require_module
from core.modules.rules import Module
from db.models import (
    Competency,
    CompetencyKind,
    Feedback,
    FeedbackCreate,
    FeedbackRead,
    FeedbackRequest,
    FeedbackRequestRead,
    FeedbackRequestStatus,
    Goal,
    GoalStatus,
    Person,
    utcnow,
)


def _active_person(session: Session, person_id: int, *, what: str = "person") -> Person:
    person = session.get(Person, person_id)
    if person is None or not person.active:
        raise NotFound(f"There is no such {what}.")
    return person


def check_links(
    session: Session, *, actor: Actor, goal_id: int | None, competency_id: int | None
) -> None:
    """A linked goal must be one the giver may see and not cancelled; a
    linked competency one people are assessed on (not a cluster)."""
    if goal_id is not None:
        goal = session.get(Goal, goal_id)
        if goal is None or goal.status == GoalStatus.cancelled.value:
            raise NotFound("There is no such goal.")
        scope = GoalScope.load(session, actor)
        require(
            scope.can_view(goal.level, goal.owner_id, goal.org_unit_id),
            session=session,
            actor=actor,
            action="link_feedback",
            entity="goal",
            entity_id=goal_id,
            message="You can't see that goal.",
        )
    if competency_id is not None:
        competency = session.get(Competency, competency_id)
        if competency is None or competency.kind == CompetencyKind.cluster.value:
            raise NotFound("There is no such competency.")


def _store_feedback(
    session: Session,
    *,
    actor: Actor,
    feedback_in: FeedbackCreate,
    request_id: int | None = None,
    must_reach_managers: bool = False,
) -> FeedbackRead:
    text = rules.check_feedback_text(feedback_in.text)
    rules.check_kind(feedback_in.kind)
    rules.check_visibility(feedback_in.visibility, must_reach_managers=must_reach_managers)
    check_links(
        session,
        actor=actor,
        goal_id=feedback_in.goal_id,
        competency_id=feedback_in.competency_id,
    )
    feedback = Feedback.model_validate(
        feedback_in.model_copy(update={"text": text}),
        update={"giver_id": actor.person_id, "request_id": request_id},
    )
    session.add(feedback)
    session.flush()
    record_event(
        session,
        actor_id=actor.person_id,
        action="feedback.created",
        entity="feedback",
        entity_id=feedback.id,
        # The text stays out of the audit log: erasure must be able to clear it.
        detail={
            "receiver_id": feedback.receiver_id,
            "kind": feedback.kind,
            "visibility": feedback.visibility,
            "request_id": request_id,
        },
    )
    return FeedbackRead.model_validate(feedback, from_attributes=True)


def create_feedback(session: Session, *, actor: Actor, feedback_in: FeedbackCreate) -> FeedbackRead:
    """Give feedback to anyone active but yourself."""
    _active_person(session, feedback_in.receiver_id)
    require_module(session, actor=actor, module=Module.feedback, person_id=feedback_in.receiver_id)
    relation = relation_between(
        session, viewer_id=actor.person_id, target_id=feedback_in.receiver_id
    )
    require(
        can_give_feedback(actor, relation),
        session=session,
        actor=actor,
        action="give_feedback",
        entity="person",
        entity_id=feedback_in.receiver_id,
        message="Feedback is for other people; reflect on your own work in a self-assessment.",
    )
    return _store_feedback(session, actor=actor, feedback_in=feedback_in)


def create_feedback_request(
    session: Session, *, actor: Actor, subject_id: int, asked_ids: list[int], question: str
) -> list[FeedbackRequestRead]:
    """Ask people for feedback about yourself or, as a manager, about one of
    your reports: one request per person asked."""
    _active_person(session, subject_id)
    require_module(session, actor=actor, module=Module.feedback, person_id=subject_id)
    relation = relation_between(session, viewer_id=actor.person_id, target_id=subject_id)
    require(
        can_request_feedback_about(actor, relation),
        session=session,
        actor=actor,
        action="request_feedback",
        entity="person",
        entity_id=subject_id,
        message="You can ask for feedback about yourself or about people who report to you.",
    )
    text = rules.check_question(question)
    asked = list(dict.fromkeys(asked_ids))
    if not asked:
        raise ValidationError("Choose at least one person to ask.")
    if len(asked) > rules.MAX_ASKED_AT_ONCE:
        raise ValidationError(f"Ask at most {rules.MAX_ASKED_AT_ONCE} people at once.")
    if actor.person_id in asked:
        raise ValidationError("You can't ask yourself for feedback.")
    if subject_id in asked:
        raise ValidationError("Ask other people for feedback about them, not themselves.")
    made: list[FeedbackRequestRead] = []
    for asked_id in asked:
        _active_person(session, asked_id, what="person to ask")
        request = FeedbackRequest(
            requester_id=actor.person_id, subject_id=subject_id, asked_id=asked_id, question=text
        )
        session.add(request)
        session.flush()
        record_event(
            session,
            actor_id=actor.person_id,
            action="feedback_request.created",
            entity="feedback_request",
            entity_id=request.id,
            detail={"subject_id": subject_id, "asked_id": asked_id},
        )
        made.append(FeedbackRequestRead.model_validate(request, from_attributes=True))
    return made


def open_request_for(session: Session, *, actor: Actor, request_id: int) -> FeedbackRequest:
    """The request, if it was sent to the actor and still waits for an answer."""
    request = session.get(FeedbackRequest, request_id)
    if request is None:
        raise NotFound("There is no such feedback request; it may have been withdrawn.")
    require(
        can_answer_feedback_request(actor, asked_id=request.asked_id),
        session=session,
        actor=actor,
        action="answer",
        entity="feedback_request",
        entity_id=request_id,
        message="That feedback request was sent to someone else.",
    )
    if request.status == FeedbackRequestStatus.answered.value:
        raise ValidationError("You have already answered this request.")
    if request.status == FeedbackRequestStatus.declined.value:
        raise ValidationError("You declined this request.")
    return request


def _close(session: Session, request_id: int, status: FeedbackRequestStatus) -> None:
    """Close an open request in one conditional UPDATE: of two answers sent
    at the same moment only one finds it open, the other is refused (and its
    feedback rolled back with it)."""
    closed = session.execute(
        update(FeedbackRequest)
        .where(
            col(FeedbackRequest.id) == request_id,
            col(FeedbackRequest.status) == FeedbackRequestStatus.open.value,
        )
        .values(status=status.value, closed_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    if getattr(closed, "rowcount", 0) != 1:
        raise ValidationError("This request has just been answered or declined.")


def requested_by_manager(request: FeedbackRequest) -> bool:
    return request.requester_id != request.subject_id


def answer_feedback_request(
    session: Session,
    *,
    actor: Actor,
    request_id: int,
    kind: str,
    text: str,
    visibility: str,
    competency_id: int | None = None,
) -> FeedbackRead:
    """Answer with a feedback item to the request's subject. The answer to a
    manager's request about their report must reach the managers."""
    request = open_request_for(session, actor=actor, request_id=request_id)
    subject = session.get(Person, request.subject_id)
    if subject is None or not subject.active:
        raise ValidationError("The person this request is about has left; decline it instead.")
    feedback = _store_feedback(
        session,
        actor=actor,
        feedback_in=FeedbackCreate(
            receiver_id=request.subject_id,
            kind=kind,
            text=text,
            visibility=visibility,
            competency_id=competency_id,
        ),
        request_id=request_id,
        must_reach_managers=requested_by_manager(request),
    )
    _close(session, request_id, FeedbackRequestStatus.answered)
    record_event(
        session,
        actor_id=actor.person_id,
        action="feedback_request.answered",
        entity="feedback_request",
        entity_id=request_id,
        detail={"feedback_id": feedback.id},
    )
    return feedback


def decline_feedback_request(
    session: Session, *, actor: Actor, request_id: int
) -> FeedbackRequestRead:
    request = open_request_for(session, actor=actor, request_id=request_id)
    _close(session, request_id, FeedbackRequestStatus.declined)
    record_event(
        session,
        actor_id=actor.person_id,
        action="feedback_request.declined",
        entity="feedback_request",
        entity_id=request_id,
    )
    session.refresh(request)
    return FeedbackRequestRead.model_validate(request, from_attributes=True)
