"""Writes of 360 reviews: launch, raters, approval, answers, external links, closing.

Answers are written as a `ReviewResponse` with a random id and its group
only; the rater row is marked answered in the same transaction, in one
`UPDATE … WHERE answered = false` so a second tab cannot answer twice. The
audit log records the self and manager answers; an anonymous answer gets no
audit row of its own (its time, beside sign-in rows, could say who answered),
and closing records how many answers each group gave.
"""

from __future__ import annotations

import logging
import re
import secrets
import smtplib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from core.access import (
    Actor,
    can_manage_review,
    can_nominate_review_raters,
    can_set_review_threshold,
    relation_between,
    require,
)
from core.assessments.commands import _refresh_current_level
from core.audit import record_event
from core.competencies import requirements_for_position
from core.errors import AuthError, NotFound, ValidationError
from core.mail import OutgoingMessage, Progress, SendResult, SmtpSettings, send_messages
from core.modules.queries import modules_by_unit, require_module
from core.modules.rules import Module
from core.people.invitations import hash_token
from core.reviews import anonymity as an
from core.reviews.anonymity import Group, ReviewStatus
from db.models import (
    Assessment,
    AssessmentSource,
    Person,
    Review,
    ReviewAnswer,
    ReviewQuestion,
    ReviewRater,
    ReviewResponse,
    RoleRequirement,
    ScaleValue,
    utcnow,
)

log = logging.getLogger(__name__)

COMMENT_LIMIT = 4_000
NAME_LIMIT = 200
EMAIL_LIMIT = 320
LINK_LIFETIME = timedelta(days=21)
REFUSED = (
    "This review link is not valid: it may have been used already or expired. "
    "Ask the person who sent it for a new one."
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

OPEN_QUESTIONS: tuple[tuple[str, str], ...] = (
    ("strengths", "What are this person's main strengths?"),
    ("develop", "Which areas should this person develop next?"),
)


@dataclass(frozen=True)
class AnswerIn:
    """A rater's answer to one question: a rank on its scale (None for open
    questions or "can't say") and a comment."""

    rating: int | None = None
    comment: str = ""


@dataclass(frozen=True)
class ExternalLink:
    rater_id: int
    name: str
    email: str
    link: str
    expires_at: datetime


# --- helpers -------------------------------------------------------------------


def _review(session: Session, review_id: int) -> Review:
    review = session.get(Review, review_id)
    if review is None:
        raise NotFound("There is no such review.")
    return review


def _require_manage(session: Session, actor: Actor, review: Review, action: str) -> None:
    relation = relation_between(session, viewer_id=actor.person_id, target_id=review.subject_id)
    require(
        can_manage_review(actor, relation),
        session=session,
        actor=actor,
        action=action,
        entity="review",
        entity_id=review.id,
        message="Only the person's managers and HR can do that with this review.",
    )


def _require_status(review: Review, *allowed: ReviewStatus, message: str) -> None:
    if ReviewStatus(review.status) not in allowed:
        raise ValidationError(message)


def _move(
    session: Session,
    review: Review,
    start: ReviewStatus,
    end: ReviewStatus,
    *,
    message: str,
    **values: object,
) -> None:
    """Change the status in one `UPDATE … WHERE status = start`: of two
    managers approving or closing at once, one wins and the other is told."""
    moved = session.execute(
        update(Review.__table__)  # type: ignore[attr-defined]
        .where(col(Review.id) == review.id, col(Review.status) == start.value)
        .values(status=end.value, **values)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise ValidationError(message)
    session.refresh(review)


def _lock_open(session: Session, review_id: int) -> None:
    """Answers are taken only while the review is open; the row is held
    (FOR SHARE on PostgreSQL) so that closing waits for an answer being
    saved instead of releasing a report it then changes."""
    status = session.exec(
        select(Review.status).where(Review.id == review_id).with_for_update(read=True)
    ).one()
    if ReviewStatus(status) is not ReviewStatus.collecting:
        raise ValidationError("This review is not open for answers.")


def _clean_comment(text: str) -> str:
    cleaned = (text or "").strip()
    if len(cleaned) > COMMENT_LIMIT:
        raise ValidationError(f"A comment can be at most {COMMENT_LIMIT:,} characters.")
    return cleaned


# --- launch and raters ------------------------------------------------------------


def suggested_raters(session: Session, *, subject: Person) -> list[tuple[Group, int]]:
    """The manager, peers who share the manager, and direct reports (active)."""
    suggestions: list[tuple[Group, int]] = []
    if subject.manager_id is not None:
        suggestions.append((Group.manager, subject.manager_id))
        peers = session.exec(
            select(Person.id).where(
                Person.manager_id == subject.manager_id,
                Person.id != subject.id,
                col(Person.active),
            )
        ).all()
        suggestions.extend((Group.peer, p) for p in peers if p is not None)
    reports = session.exec(
        select(Person.id).where(Person.manager_id == subject.id, col(Person.active))
    ).all()
    suggestions.extend((Group.direct_report, p) for p in reports if p is not None)
    return suggestions


def launch_review(
    session: Session, *, actor: Actor, subject_id: int, due_on: date, today: date | None = None
) -> int:
    """A review in draft, with the subject's role competencies and the open
    questions, and the suggested raters; returns its id."""
    subject = session.get(Person, subject_id)
    if subject is None or not subject.active:
        raise NotFound("There is no such person.")
    require_module(session, actor=actor, module=Module.reviews, person_id=subject_id)
    relation = relation_between(session, viewer_id=actor.person_id, target_id=subject_id)
    require(
        can_manage_review(actor, relation),
        session=session,
        actor=actor,
        action="launch",
        entity="review",
        message="Only a person's managers and HR can launch a 360 review for them.",
    )
    if due_on <= (today or datetime.now(UTC).date()):
        raise ValidationError("The due date must be in the future.")
    running = session.exec(
        select(Review.id).where(
            Review.subject_id == subject_id, col(Review.status) != ReviewStatus.closed.value
        )
    ).first()
    if running is not None:
        raise ValidationError(f"{subject.full_name} already has a 360 review that is not closed.")
    review = Review(
        subject_id=subject_id,
        launched_by_id=actor.person_id,
        due_on=due_on,
        status=ReviewStatus.draft.value,
        threshold=an.MIN_THRESHOLD,
    )
    session.add(review)
    session.flush()
    assert review.id is not None
    order = 0
    if subject.position_id is not None:
        for requirement in requirements_for_position(session, position_id=subject.position_id):
            order += 1
            session.add(
                ReviewQuestion(
                    review_id=review.id,
                    key=f"c{requirement.competency_id}",
                    text=requirement.competency_name[:300],
                    competency_id=requirement.competency_id,
                    scale_id=requirement.scale_id,
                    sort_order=order,
                )
            )
    for key, text in OPEN_QUESTIONS:
        order += 1
        session.add(ReviewQuestion(review_id=review.id, key=key, text=text, sort_order=order))
    session.add(ReviewRater(review_id=review.id, group=Group.self_.value, person_id=subject_id))
    for group, person_id in suggested_raters(session, subject=subject):
        session.add(
            ReviewRater(
                review_id=review.id,
                group=group.value,
                person_id=person_id,
                added_by_id=actor.person_id,
            )
        )
    record_event(
        session,
        actor_id=actor.person_id,
        action="review.launched",
        entity="review",
        entity_id=review.id,
        detail={"subject_id": subject_id, "due_on": due_on.isoformat()},
    )
    session.flush()
    return review.id


def add_rater(
    session: Session,
    *,
    actor: Actor,
    review_id: int,
    group: Group | str,
    person_id: int | None = None,
    external_name: str = "",
    external_email: str = "",
) -> int:
    """Add a colleague as a peer or direct report, or an external by name and
    e-mail, while the list is not yet approved (externals also later, by the
    review's managers). Returns the rater id."""
    review = _review(session, review_id)
    relation = relation_between(session, viewer_id=actor.person_id, target_id=review.subject_id)
    require(
        can_nominate_review_raters(actor, relation),
        session=session,
        actor=actor,
        action="add_rater",
        entity="review",
        entity_id=review_id,
    )
    chosen = Group(group)
    if chosen not in an.ANONYMOUS:
        raise ValidationError("Raters can be added as peers, direct reports or externals.")
    managing = can_manage_review(actor, relation)
    if ReviewStatus(review.status) is not ReviewStatus.draft and not (
        chosen is Group.external
        and managing
        and ReviewStatus(review.status) is ReviewStatus.collecting
    ):
        raise ValidationError("The list of raters is approved and can no longer change.")
    rater = ReviewRater(review_id=review_id, group=chosen.value, added_by_id=actor.person_id)
    if chosen is Group.external:
        name = (external_name or "").strip()
        email = (external_email or "").strip()
        if not name or len(name) > NAME_LIMIT:
            raise ValidationError(f"Give the external rater's name (at most {NAME_LIMIT}).")
        if len(email) > EMAIL_LIMIT or not _EMAIL.match(email):
            raise ValidationError("Give the external rater's e-mail address.")
        rater.external_name, rater.external_email = name, email
    else:
        person = session.get(Person, person_id) if person_id else None
        if person is None or not person.active:
            raise NotFound("There is no such person.")
        if person.id == review.subject_id:
            raise ValidationError("The person reviewed answers as themselves already.")
        already = session.exec(
            select(ReviewRater.id).where(
                ReviewRater.review_id == review_id, ReviewRater.person_id == person.id
            )
        ).first()
        if already is not None:
            raise ValidationError(f"{person.full_name} is already a rater.")
        rater.person_id = person.id
    session.add(rater)
    session.flush()
    record_event(
        session,
        actor_id=actor.person_id,
        action="review_rater.added",
        entity="review",
        entity_id=review_id,
        detail={"group": chosen.value},
    )
    assert rater.id is not None
    return rater.id


def remove_rater(session: Session, *, actor: Actor, review_id: int, rater_id: int) -> None:
    review = _review(session, review_id)
    relation = relation_between(session, viewer_id=actor.person_id, target_id=review.subject_id)
    require(
        can_nominate_review_raters(actor, relation),
        session=session,
        actor=actor,
        action="remove_rater",
        entity="review",
        entity_id=review_id,
    )
    _require_status(
        review,
        ReviewStatus.draft,
        message="The list of raters is approved and can no longer change.",
    )
    rater = session.get(ReviewRater, rater_id)
    if rater is None or rater.review_id != review_id:
        raise NotFound("There is no such rater.")
    if Group(rater.group) in {Group.self_, Group.manager}:
        raise ValidationError("The person and their manager always take part.")
    session.delete(rater)
    record_event(
        session,
        actor_id=actor.person_id,
        action="review_rater.removed",
        entity="review",
        entity_id=review_id,
        detail={"group": rater.group},
    )
    session.flush()


def set_review_threshold(session: Session, *, actor: Actor, review_id: int, threshold: int) -> None:
    """HR raises the anonymity threshold before the review opens."""
    review = _review(session, review_id)
    require(
        can_set_review_threshold(actor),
        session=session,
        actor=actor,
        action="set_threshold",
        entity="review",
        entity_id=review_id,
        message="Only HR can change the anonymity threshold.",
    )
    problem = an.threshold_problem(threshold, status=review.status)
    if problem:
        raise ValidationError(problem)
    review.threshold = threshold
    session.add(review)
    record_event(
        session,
        actor_id=actor.person_id,
        action="review_threshold.changed",
        entity="review",
        entity_id=review_id,
        detail={"threshold": threshold},
    )
    session.flush()


def approve_raters(session: Session, *, actor: Actor, review_id: int) -> None:
    """The manager (or HR) approves the rater list: answers open and the
    anonymity threshold locks."""
    review = _review(session, review_id)
    _require_manage(session, actor, review, "approve")
    _require_status(review, ReviewStatus.draft, message="This review's raters are approved.")
    _move(
        session,
        review,
        ReviewStatus.draft,
        ReviewStatus.collecting,
        message="This review's raters are approved.",
        raters_approved_by_id=actor.person_id,
        raters_approved_at=utcnow(),
    )
    record_event(
        session,
        actor_id=actor.person_id,
        action="review_raters.approved",
        entity="review",
        entity_id=review_id,
    )
    session.flush()


# --- external links --------------------------------------------------------------


def _link_expiry(due_on: date, now: datetime) -> datetime:
    end_of_due = datetime.combine(due_on + timedelta(days=1), time.min, tzinfo=UTC)
    return max(min(end_of_due, now + LINK_LIFETIME), now + timedelta(days=1))


def create_external_links(
    session: Session, *, actor: Actor, review_id: int, base_url: str
) -> list[ExternalLink]:
    """New single-use links for the externals who have not answered (their
    earlier links stop working). Shown or sent now: only hashes are kept."""
    review = _review(session, review_id)
    _require_manage(session, actor, review, "invite_externals")
    _require_status(
        review,
        ReviewStatus.collecting,
        message="External links are made once the raters are approved and until the review closes.",
    )
    raters = session.exec(
        select(ReviewRater).where(
            ReviewRater.review_id == review_id,
            ReviewRater.group == Group.external.value,
            col(ReviewRater.answered).is_(False),
        )
    ).all()
    now = utcnow()
    links: list[ExternalLink] = []
    for rater in raters:
        token = secrets.token_urlsafe(32)
        rater.token_hash = hash_token(token)
        rater.token_expires_at = _link_expiry(review.due_on, now)
        session.add(rater)
        assert rater.id is not None
        links.append(
            ExternalLink(
                rater_id=rater.id,
                name=rater.external_name or "",
                email=rater.external_email or "",
                link=f"{base_url.rstrip('/')}/?review_token={token}",
                expires_at=rater.token_expires_at,
            )
        )
    record_event(
        session,
        actor_id=actor.person_id,
        action="review_links.created",
        entity="review",
        entity_id=review_id,
        detail={"links": len(links)},
    )
    session.flush()
    return links


def external_link_message(link: ExternalLink, *, subject_name: str, sender: str) -> OutgoingMessage:
    expires = link.expires_at.strftime("%d %B %Y, %H:%M UTC")
    body = (
        f"Hello {link.name},\n"
        "\n"
        f"{sender} asks for your feedback on {subject_name} in a 360-degree review.\n"
        "Your answers are anonymous: they are shown only together with at least\n"
        "two other external raters' answers. Open this link to answer:\n"
        "\n"
        f"{link.link}\n"
        "\n"
        f"The link works once, until {expires}.\n"
    )
    return OutgoingMessage(
        to_name=link.name,
        to_address=link.email,
        subject=f"Your feedback on {subject_name}",
        body=body,
    )


def email_external_links(
    session: Session,
    *,
    actor: Actor,
    review_id: int,
    links: Sequence[ExternalLink],
    settings: SmtpSettings,
    progress: Progress | None = None,
    connect: Callable[[SmtpSettings], smtplib.SMTP] | None = None,
) -> list[SendResult]:
    """E-mail each link; a failed send leaves its link valid (copy it instead)."""
    review = _review(session, review_id)
    _require_manage(session, actor, review, "email_externals")
    subject = session.get(Person, review.subject_id)
    name = subject.full_name if subject else "a colleague"
    messages = [
        external_link_message(link, subject_name=name, sender=actor.full_name) for link in links
    ]
    results = send_messages(messages, settings=settings, progress=progress, connect=connect)
    record_event(
        session,
        actor_id=actor.person_id,
        action="review_links.emailed",
        entity="review",
        entity_id=review_id,
        detail={"sent": sum(r.sent for r in results), "not_sent": sum(not r.sent for r in results)},
    )
    session.flush()
    return results


# --- answering ------------------------------------------------------------------


def list_review_questions(session: Session, *, review_id: int) -> list[ReviewQuestion]:
    """A review's questions in their order (no access check: callers have made theirs)."""
    return list(
        session.exec(
            select(ReviewQuestion)
            .where(ReviewQuestion.review_id == review_id)
            .order_by(col(ReviewQuestion.sort_order), col(ReviewQuestion.id))
        ).all()
    )


def _validated(
    session: Session, review_id: int, answers: Mapping[str, AnswerIn]
) -> list[tuple[str, int | None, str]]:
    questions = list_review_questions(session, review_id=review_id)
    known = {q.key for q in questions}
    unknown = set(answers) - known
    if unknown:
        raise ValidationError("An answer names a question this review does not ask.")
    ranks: dict[int, set[int]] = {}
    scale_ids = {q.scale_id for q in questions if q.scale_id is not None}
    if scale_ids:
        for scale_id, rank in session.exec(
            select(ScaleValue.scale_id, ScaleValue.rank).where(
                col(ScaleValue.scale_id).in_(scale_ids)
            )
        ).all():
            ranks.setdefault(scale_id, set()).add(rank)
    rows: list[tuple[str, int | None, str]] = []
    for question in questions:
        given = answers.get(question.key, AnswerIn())
        rating = given.rating
        if rating is not None and (
            question.scale_id is None or rating not in ranks.get(question.scale_id, set())
        ):
            raise ValidationError(f"Choose a level of the scale for “{question.text}”.")
        rows.append((question.key, rating, _clean_comment(given.comment)))
    if not any(rating is not None or comment for _key, rating, comment in rows):
        raise ValidationError("Answer at least one question before sending.")
    return rows


def _store(
    session: Session, *, review_id: int, group: str, rows: list[tuple[str, int | None, str]]
) -> None:
    response_id = secrets.token_hex(16)
    session.add(ReviewResponse(response_id=response_id, review_id=review_id, group=group))
    session.flush()
    for key, rating, comment in rows:
        session.add(
            ReviewAnswer(response_id=response_id, question_key=key, rating=rating, comment=comment)
        )
    session.flush()


def _use_up(session: Session, rater_id: int, *, refused: str) -> None:
    used = session.execute(
        update(ReviewRater.__table__)  # type: ignore[attr-defined]
        .where(col(ReviewRater.id) == rater_id, col(ReviewRater.answered).is_(False))
        .values(answered=True, token_hash=None, token_expires_at=None)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise ValidationError(refused)


def own_rater(session: Session, *, actor: Actor, review_id: int) -> ReviewRater:
    """The signed-in person's place among the review's raters; refused (and
    logged) for anyone who was not asked."""
    rater = session.exec(
        select(ReviewRater).where(
            ReviewRater.review_id == review_id, ReviewRater.person_id == actor.person_id
        )
    ).first()
    require(
        rater is not None,
        session=session,
        actor=actor,
        action="answer",
        entity="review",
        entity_id=review_id,
        message="You are not a rater of this review.",
    )
    assert rater is not None
    return rater


def submit_answers(
    session: Session, *, actor: Actor, review_id: int, answers: Mapping[str, AnswerIn]
) -> None:
    """The signed-in rater's (or the subject's self-assessment) answers, once."""
    review = _review(session, review_id)
    rater = own_rater(session, actor=actor, review_id=review_id)
    assert rater.id is not None
    _require_status(review, ReviewStatus.collecting, message="This review is not open for answers.")
    if rater.answered:
        raise ValidationError("You have answered this review already.")
    rows = _validated(session, review_id, answers)
    _lock_open(session, review_id)
    _use_up(session, rater.id, refused="You have answered this review already.")
    _store(session, review_id=review_id, group=rater.group, rows=rows)
    if not an.is_anonymous(rater.group):
        # An anonymous answer leaves no audit row of its own: its time, next
        # to sign-in rows, could say who answered. Closing records the counts.
        record_event(
            session,
            actor_id=actor.person_id,
            action="review_answers.submitted",
            entity="review",
            entity_id=review_id,
            detail={"group": rater.group},
        )
    session.flush()


def _rater_for_token(session: Session, token: str) -> tuple[ReviewRater, Review]:
    if not token or len(token) > 200:
        raise AuthError(REFUSED)
    row = session.exec(
        select(ReviewRater, Review)
        .join(Review, col(Review.id) == col(ReviewRater.review_id))
        .where(ReviewRater.token_hash == hash_token(token))
    ).first()
    if row is None:
        raise AuthError(REFUSED)
    rater, review = row
    expires = rater.token_expires_at
    if (
        rater.answered
        or expires is None
        or expires <= utcnow()
        or ReviewStatus(review.status) is not ReviewStatus.collecting
    ):
        raise AuthError(REFUSED)
    return rater, review


def submit_external_answers(
    session: Session, *, token: str, answers: Mapping[str, AnswerIn]
) -> None:
    """An external rater's answers through their link, which is then used up."""
    rater, review = _rater_for_token(session, token)
    assert rater.id is not None
    assert review.id is not None
    rows = _validated(session, review.id, answers)
    try:
        _lock_open(session, review.id)
    except ValidationError as closed:
        raise AuthError(REFUSED) from closed
    _use_up(session, rater.id, refused=REFUSED)
    _store(session, review_id=review.id, group=Group.external.value, rows=rows)
    session.flush()  # no audit row of its own (see submit_answers)


# --- closing -----------------------------------------------------------------------


def load_answers(session: Session, *, review_id: int) -> list[an.Answer]:
    """Every answer of a review, as the anonymity rules take them (core only:
    never returned to a page)."""
    rows = session.execute(
        sa_select(
            col(ReviewResponse.response_id),
            col(ReviewResponse.group),
            col(ReviewAnswer.question_key),
            col(ReviewAnswer.rating),
            col(ReviewAnswer.comment),
        )
        .join(ReviewAnswer, col(ReviewAnswer.response_id) == col(ReviewResponse.response_id))
        .where(col(ReviewResponse.review_id) == review_id)
    ).all()
    return [an.Answer(r, Group(g), q, rating, c or "") for r, g, q, rating, c in rows]


def close_review(session: Session, *, actor: Actor, review_id: int) -> int:
    """Close answers and release the report; each competency's shown "all
    others" rating becomes a 360 assessment for the current-level rule.
    Returns how many assessments were recorded."""
    review = _review(session, review_id)
    _require_manage(session, actor, review, "close")
    _require_status(review, ReviewStatus.collecting, message="Only an open review can be closed.")
    _move(
        session,
        review,
        ReviewStatus.collecting,
        ReviewStatus.closed,
        message="Only an open review can be closed.",
        closed_at=utcnow(),
    )
    recorded = _feed_current_levels(session, review=review)
    responses = dict(
        session.exec(
            select(ReviewResponse.group, func.count())
            .where(ReviewResponse.review_id == review_id)
            .group_by(col(ReviewResponse.group))
        ).all()
    )
    record_event(
        session,
        actor_id=actor.person_id,
        action="review.closed",
        entity="review",
        entity_id=review_id,
        detail={"assessments": recorded, "responses": responses},
    )
    session.flush()
    return recorded


def _feed_current_levels(session: Session, *, review: Review) -> int:
    assert review.id is not None
    report = an.shown_report(load_answers(session, review_id=review.id), threshold=review.threshold)
    subject = session.get(Person, review.subject_id)
    if subject is None or subject.position_id is None:
        return 0
    required = set(
        session.exec(
            select(RoleRequirement.competency_id).where(
                RoleRequirement.position_id == subject.position_id
            )
        ).all()
    )
    recorded = 0
    for question in list_review_questions(session, review_id=review.id):
        if question.competency_id is None or question.competency_id not in required:
            continue
        others = report.score(question.key, an.OTHERS)
        if others is None or question.scale_id is None:
            continue
        values = {
            v.rank: v.id
            for v in session.exec(
                select(ScaleValue).where(ScaleValue.scale_id == question.scale_id)
            ).all()
        }
        rank = an.nearest_rank(others.mean, values)
        if rank is None:
            continue
        session.add(
            Assessment(
                person_id=review.subject_id,
                competency_id=question.competency_id,
                value_id=values[rank] or 0,
                source=AssessmentSource.review360.value,
                rater_id=None,
                comment=f"360 review: mean of {others.n} ratings",
            )
        )
        session.flush()
        _refresh_current_level(
            session, person_id=review.subject_id, competency_id=question.competency_id
        )
        recorded += 1
    return recorded


def erase_review_text(session: Session, *, person_id: int) -> None:
    """For a leaver's erasure (core.people.privacy): free text written about
    them in 360s goes, and the names and e-mails of external raters of their
    reviews; the ratings stay (they carry no identity)."""
    reviews = sa_select(col(Review.id)).where(col(Review.subject_id) == person_id)
    responses = sa_select(col(ReviewResponse.response_id)).where(
        col(ReviewResponse.review_id).in_(reviews)
    )
    session.execute(
        update(ReviewAnswer.__table__)  # type: ignore[attr-defined]
        .where(col(ReviewAnswer.response_id).in_(responses))
        .values(comment="")
    )
    session.execute(
        update(ReviewRater.__table__)  # type: ignore[attr-defined]
        .where(col(ReviewRater.review_id).in_(reviews), col(ReviewRater.person_id).is_(None))
        .values(external_name="external rater", external_email=None, token_hash=None)
    )


def email_reminders(
    session: Session,
    *,
    actor: Actor,
    review_id: int,
    settings: SmtpSettings,
    base_url: str,
    connect: Callable[[SmtpSettings], smtplib.SMTP] | None = None,
) -> bool:
    """E-mail every colleague asked who has not answered yet (externals get
    new links instead). Returns only whether every message went out: neither
    names nor a count, which would tell the manager who has not answered."""
    review = _review(session, review_id)
    _require_manage(session, actor, review, "remind")
    _require_status(review, ReviewStatus.collecting, message="This review is not open for answers.")
    # Where 360 reviews are switched off, nobody is reminded of one: not the
    # subject's unit as a whole, nor a rater whose own unit has them off (the
    # link would open a page their navigation does not offer).
    require_module(session, actor=actor, module=Module.reviews, person_id=review.subject_id)
    subject = session.get(Person, review.subject_id)
    subject_name = subject.full_name if subject else "a colleague"
    modules_of_unit = modules_by_unit(session)
    waiting = [
        (name, email, group)
        for name, email, group, unit_id in session.exec(
            select(Person.full_name, Person.email, ReviewRater.group, Person.org_unit_id)
            .join(ReviewRater, col(ReviewRater.person_id) == col(Person.id))
            .where(
                ReviewRater.review_id == review_id,
                col(ReviewRater.answered).is_(False),
                col(Person.active),
            )
        ).all()
        if Module.reviews.value in modules_of_unit(unit_id)
    ]
    link = f"{base_url.rstrip('/')}/reviews?review={review_id}"
    messages = [
        OutgoingMessage(
            to_name=name,
            to_address=email,
            subject=(
                "Your 360 self-assessment is waiting"
                if group == Group.self_.value
                else f"Your feedback on {subject_name} is waiting"
            ),
            body=(
                f"Hello {name},\n\n"
                f"{actor.full_name} reminds you that the 360 review of {subject_name} is due on "
                f"{review.due_on:%d %B %Y}. Answer in Stride:\n\n{link}\n"
            ),
        )
        for name, email, group in waiting
    ]
    results = send_messages(messages, settings=settings, connect=connect)
    for result in results:
        if not result.sent:
            log.warning("360 reminder for review %s not sent: %s", review_id, result.problem)
    record_event(
        session,
        actor_id=actor.person_id,
        action="review_reminders.emailed",
        entity="review",
        entity_id=review_id,
    )
    session.flush()
    return all(r.sent for r in results)
