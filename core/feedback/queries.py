"""Reads: feedback received and given, the public feed, requests to answer
and requests sent, and the choices the feedback forms offer.

Visibility is applied in SQL (so a list never loads what its viewer may not
read) and, for single items, with core.access.can_view_feedback. A linked
goal's title is shown only to viewers who may see that goal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, or_

from core.access import (
    Actor,
    Relation,
    can_view_feedback,
    relation_between,
    require,
)
from core.errors import NotFound
from core.feedback import rules
from core.feedback.commands import open_request_for, requested_by_manager
from core.goals.scope import GoalScope
from core.org import reports_query, unit_chain
from db.models import (
    Competency,
    CompetencyKind,
    Feedback,
    FeedbackRead,
    FeedbackRequest,
    FeedbackRequestStatus,
    Goal,
    GoalStatus,
    Person,
)

FEED_LIMIT = 500

RECEIVED_COLUMNS = ["id", "at", "from", "kind", "visible to", "feedback", "goal", "competency"]
GIVEN_COLUMNS = ["id", "at", "to", "kind", "visible to", "feedback", "goal", "competency"]
PUBLIC_COLUMNS = ["id", "at", "from", "to", "kind", "feedback", "competency"]
OPEN_REQUEST_COLUMNS = ["id", "asked on", "asked by", "about", "question"]
SENT_REQUEST_COLUMNS = ["id", "asked on", "about", "asked", "question", "status"]

_giver = aliased(Person, name="giver")
_receiver = aliased(Person, name="receiver")


def _feedback_query() -> Any:
    return (
        sa_select(
            col(Feedback.id),
            col(Feedback.created_at),
            col(_giver.full_name),
            col(_receiver.full_name),
            col(Feedback.kind),
            col(Feedback.visibility),
            col(Feedback.text),
            col(Feedback.goal_id),
            col(Competency.name),
        )
        .join(_giver, col(_giver.id) == col(Feedback.giver_id))
        .join(_receiver, col(_receiver.id) == col(Feedback.receiver_id))
        .join(Competency, col(Competency.id) == col(Feedback.competency_id), isouter=True)
        .order_by(col(Feedback.created_at).desc(), col(Feedback.id).desc())
    )


def _goal_titles(session: Session, actor: Actor, goal_ids: set[int]) -> dict[int, str]:
    """Titles of the linked goals the actor may see (one query, one scope)."""
    if not goal_ids:
        return {}
    scope = GoalScope.load(session, actor)
    rows = session.execute(
        sa_select(
            col(Goal.id),
            col(Goal.title),
            col(Goal.level),
            col(Goal.owner_id),
            col(Goal.org_unit_id),
        ).where(col(Goal.id).in_(goal_ids))
    ).all()
    return {
        goal_id: title
        for goal_id, title, level, owner_id, unit_id in rows
        if scope.can_view(level, owner_id, unit_id)
    }


def _frame(session: Session, actor: Actor, query: Any, *, person_column: str) -> pd.DataFrame:
    rows = session.execute(query).all()
    titles = _goal_titles(session, actor, {r[7] for r in rows if r[7] is not None})
    records = [
        {
            "id": r[0],
            "at": r[1],
            "from": r[2],
            "to": r[3],
            "kind": rules.KIND_LABELS.get(r[4], r[4]),
            "visible to": rules.VISIBILITY_LABELS.get(r[5], r[5]),
            "feedback": r[6],
            "goal": titles.get(r[7], "") if r[7] is not None else "",
            "competency": r[8] or "",
        }
        for r in rows
    ]
    columns = RECEIVED_COLUMNS if person_column == "from" else GIVEN_COLUMNS
    return pd.DataFrame(records, columns=[*columns[:2], person_column, *columns[3:]]).reindex(
        columns=columns
    )


def list_feedback_received(
    session: Session, *, actor: Actor, person_id: int | None = None, limit: int = FEED_LIMIT
) -> pd.DataFrame:
    """Feedback a person received, newest first (RECEIVED_COLUMNS). For
    yourself: all of it. For someone else: what its visibility lets you read
    (a manager: items shared with managers or public; anyone: public ones and
    what you gave them). HR has no wider view."""
    target = actor.person_id if person_id is None else person_id
    query = _feedback_query().where(col(Feedback.receiver_id) == target).limit(limit)
    if target != actor.person_id:
        if session.get(Person, target) is None:
            raise NotFound("There is no such person.")
        relation = relation_between(session, viewer_id=actor.person_id, target_id=target)
        readable = [rules.FeedbackVisibility.public.value]
        if relation in {Relation.direct_report, Relation.indirect_report}:
            readable.append(rules.FeedbackVisibility.managers.value)
        query = query.where(
            or_(
                col(Feedback.visibility).in_(readable),
                col(Feedback.giver_id) == actor.person_id,
            )
        )
    return _frame(session, actor, query, person_column="from")


def list_feedback_given(session: Session, *, actor: Actor, limit: int = FEED_LIMIT) -> pd.DataFrame:
    """Feedback the actor gave, newest first (GIVEN_COLUMNS)."""
    query = _feedback_query().where(col(Feedback.giver_id) == actor.person_id).limit(limit)
    return _frame(session, actor, query, person_column="to")


def list_public_feed(session: Session, *, actor: Actor, limit: int = FEED_LIMIT) -> pd.DataFrame:
    """Feedback shared with the whole organisation, newest first (PUBLIC_COLUMNS).
    Linked goals are left out: their titles are not everyone's to read."""
    query = (
        _feedback_query()
        .where(col(Feedback.visibility) == rules.FeedbackVisibility.public.value)
        .where(col(_receiver.active).is_(True))
        .limit(limit)
    )
    rows = session.execute(query).all()
    return pd.DataFrame(
        [
            (r[0], r[1], r[2], r[3], rules.KIND_LABELS.get(r[4], r[4]), r[6], r[8] or "")
            for r in rows
        ],
        columns=PUBLIC_COLUMNS,
    )


def get_feedback(session: Session, *, actor: Actor, feedback_id: int) -> FeedbackRead:
    feedback = session.get(Feedback, feedback_id)
    if feedback is None:
        raise NotFound("There is no such feedback.")
    relation = relation_between(session, viewer_id=actor.person_id, target_id=feedback.receiver_id)
    require(
        can_view_feedback(
            actor,
            visibility=feedback.visibility,
            giver_id=feedback.giver_id,
            receiver_id=feedback.receiver_id,
            relation=relation,
        ),
        session=session,
        actor=actor,
        action="view",
        entity="feedback",
        entity_id=feedback_id,
        message="That feedback is not shared with you.",
    )
    return FeedbackRead.model_validate(feedback, from_attributes=True)


_requester = aliased(Person, name="requester")
_subject = aliased(Person, name="subject")
_asked = aliased(Person, name="asked")


def list_open_requests_for(session: Session, *, actor: Actor) -> pd.DataFrame:
    """Requests asked of the actor that wait for an answer, oldest first."""
    rows = session.execute(
        sa_select(
            col(FeedbackRequest.id),
            col(FeedbackRequest.created_at),
            col(_requester.full_name),
            col(_subject.full_name),
            col(FeedbackRequest.question),
        )
        .join(_requester, col(_requester.id) == col(FeedbackRequest.requester_id))
        .join(_subject, col(_subject.id) == col(FeedbackRequest.subject_id))
        .where(
            col(FeedbackRequest.asked_id) == actor.person_id,
            col(FeedbackRequest.status) == FeedbackRequestStatus.open.value,
        )
        .order_by(col(FeedbackRequest.created_at), col(FeedbackRequest.id))
    ).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=OPEN_REQUEST_COLUMNS)


def list_requests_sent(session: Session, *, actor: Actor, limit: int = FEED_LIMIT) -> pd.DataFrame:
    """The requests the actor sent and where each stands, newest first."""
    rows = session.execute(
        sa_select(
            col(FeedbackRequest.id),
            col(FeedbackRequest.created_at),
            col(_subject.full_name),
            col(_asked.full_name),
            col(FeedbackRequest.question),
            col(FeedbackRequest.status),
        )
        .join(_subject, col(_subject.id) == col(FeedbackRequest.subject_id))
        .join(_asked, col(_asked.id) == col(FeedbackRequest.asked_id))
        .where(col(FeedbackRequest.requester_id) == actor.person_id)
        .order_by(col(FeedbackRequest.created_at).desc(), col(FeedbackRequest.id).desc())
        .limit(limit)
    ).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=SENT_REQUEST_COLUMNS)


@dataclass(frozen=True)
class RequestToAnswer:
    """What the answer form shows for one request asked of the actor."""

    id: int
    requester: str
    subject: str
    question: str
    visibilities: tuple[str, ...]  # what the answer may be shared with


def get_request_to_answer(session: Session, *, actor: Actor, request_id: int) -> RequestToAnswer:
    """Refused with a clear message when the request does not exist, was
    sent to someone else, or is no longer open."""
    request = open_request_for(session, actor=actor, request_id=request_id)
    requester = session.get(Person, request.requester_id)
    subject = session.get(Person, request.subject_id)
    assert request.id is not None
    return RequestToAnswer(
        id=request.id,
        requester=requester.full_name if requester else "",
        subject=subject.full_name if subject else "",
        question=request.question,
        visibilities=rules.answer_visibilities(requested_by_manager=requested_by_manager(request)),
    )


# --- form choices ----------------------------------------------------------------


def list_feedback_people(session: Session, *, actor: Actor) -> dict[int, str]:
    """Active people (the shared directory) the actor may give feedback to or ask.
    Plain rows through the connection: ORM row processing doubled the time
    of this list at 10,000 people."""
    rows = (
        session.connection()
        .execute(
            sa_select(col(Person.id), col(Person.full_name))
            .where(col(Person.active).is_(True), col(Person.id) != actor.person_id)
            .order_by(col(Person.full_name), col(Person.id))
        )
        .all()
    )
    return {person_id: str(name) for person_id, name in rows if person_id is not None}


def list_request_subjects(session: Session, *, actor: Actor) -> dict[int, str]:
    """Whom the actor may ask feedback about: themselves first, then their reports."""
    rows = session.execute(
        sa_select(col(Person.id), col(Person.full_name))
        .where(
            col(Person.active).is_(True),
            col(Person.id).in_(reports_query(actor.person_id)),
        )
        .order_by(col(Person.full_name), col(Person.id))
    ).all()
    return {actor.person_id: f"{actor.full_name} (me)", **dict(rows)}


def list_goal_choices(session: Session, *, actor: Actor, receiver_id: int) -> dict[int, str]:
    """Goals a feedback item to `receiver_id` may link: the receiver's own
    goals and their units' team and company goals, as far as the actor may
    see them; cancelled goals left out."""
    receiver = session.get(Person, receiver_id)
    if receiver is None:
        return {}
    scope = GoalScope.load(session, actor)
    units = unit_chain(scope.parents, receiver.org_unit_id)
    rows = session.execute(
        sa_select(
            col(Goal.id),
            col(Goal.title),
            col(Goal.level),
            col(Goal.owner_id),
            col(Goal.org_unit_id),
        )
        .where(
            col(Goal.status) != GoalStatus.cancelled.value,
            or_(col(Goal.owner_id) == receiver_id, col(Goal.org_unit_id).in_(units)),
        )
        .order_by(col(Goal.level), col(Goal.title), col(Goal.id))
        .limit(500)
    ).all()
    return {
        goal_id: f"{title} ({level})"
        for goal_id, title, level, owner_id, unit_id in rows
        if scope.can_view(level, owner_id, unit_id)
    }


def list_competency_choices(session: Session, *, actor: Actor) -> dict[int, str]:
    """Competencies people are assessed on (the shared reference), by name."""
    rows = session.execute(
        sa_select(col(Competency.id), col(Competency.name))
        .where(col(Competency.kind) != CompetencyKind.cluster.value)
        .order_by(col(Competency.name), col(Competency.id))
    ).all()
    return {competency_id: name for competency_id, name in rows}
