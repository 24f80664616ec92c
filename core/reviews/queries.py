"""Reads of 360 reviews: my reviews, one review's state, answer forms, the
released report and HR's participation.

No function here returns an individual answer, and none says who in an
anonymous group has answered: the report is built by
`anonymity.shown_report`, and answer counts go through
`anonymity.shown_response_count`. HR's participation is counts per group.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from core.access import (
    Actor,
    Relation,
    can_manage_report,
    can_manage_review,
    can_nominate_review_raters,
    can_read_review_participation,
    can_view_review_report,
    relation_between,
    require,
)
from core.errors import ValidationError
from core.export import workbook_bytes
from core.org import reports_query
from core.reviews import anonymity as an
from core.reviews.anonymity import GROUP_LABELS, GROUP_ORDER, Group, ReviewStatus
from core.reviews.commands import (
    _rater_for_token,
    _review,
    list_review_questions,
    load_answers,
    own_rater,
)
from db.models import Person, Review, ReviewRater, ScaleValue

MAX_LISTED = 500
ANONYMOUS_RATER = "(anonymous to HR)"


@dataclass(frozen=True)
class QuestionView:
    key: str
    text: str
    levels: tuple[tuple[int, str], ...]  # (rank, name); empty for open questions

    @property
    def rated(self) -> bool:
        return bool(self.levels)


@dataclass(frozen=True)
class AnswerForm:
    """What a rater sees: the subject's name and the questions, nothing more."""

    review_id: int
    subject_name: str
    group: str
    questions: tuple[QuestionView, ...]
    due_on: date


@dataclass(frozen=True)
class RaterRow:
    rater_id: int
    group: str
    name: str
    removable: bool


@dataclass(frozen=True)
class GroupCount:
    group: str
    invited: int
    answered: int | None  # None: under the threshold, not shown


@dataclass(frozen=True)
class ReviewView:
    review_id: int
    subject_id: int
    subject_name: str
    status: str
    due_on: date
    threshold: int
    is_subject: bool
    can_manage: bool
    can_edit_raters: bool
    i_am_to_answer: bool
    may_read_report: bool
    raters: tuple[RaterRow, ...]
    counts: tuple[GroupCount, ...]
    externals_waiting: int

    @property
    def groups_too_small(self) -> list[str]:
        """Labels of anonymous groups with fewer raters than the threshold."""
        invited: dict[Group, int] = {}
        for rater in self.raters:
            invited[Group(rater.group)] = invited.get(Group(rater.group), 0) + 1
        return [GROUP_LABELS[g] for g in an.groups_too_small(invited, threshold=self.threshold)]

    def counts_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "group": GROUP_LABELS[Group(c.group)],
                    "invited": c.invited,
                    "answered": (
                        f"{c.answered}"
                        if c.answered is not None
                        else f"shown from {self.threshold} answers"
                    ),
                }
                for c in self.counts
            ],
            columns=["group", "invited", "answered"],
        )


@dataclass(frozen=True)
class MyReviews:
    as_subject: pd.DataFrame
    to_answer: pd.DataFrame
    managed: pd.DataFrame


@dataclass(frozen=True)
class ReviewReport:
    review_id: int
    subject_name: str
    threshold: int
    by_competency: pd.DataFrame
    chart: pd.DataFrame  # competency, who, mean: the Altair chart's marks
    comments: pd.DataFrame
    counts: pd.DataFrame
    hidden_groups: tuple[str, ...] = field(default_factory=tuple)

    def workbook(self) -> bytes:
        return workbook_bytes(
            {
                "By competency": self.by_competency,
                "Comments": self.comments,
                "Responses": self.counts,
            }
        )


def _relation(session: Session, actor: Actor, review: Review) -> Relation:
    return relation_between(session, viewer_id=actor.person_id, target_id=review.subject_id)


def _name(session: Session, person_id: int) -> str:
    person = session.get(Person, person_id)
    return person.full_name if person else "someone"


def _frame(rows: list[dict[str, object]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


REVIEW_COLUMNS = ["review", "person", "status", "due"]


def list_my_reviews(session: Session, *, actor: Actor) -> MyReviews:
    """Reviews about me, reviews I am asked to answer, and reviews I manage
    (of my reports; HR: everyone's)."""

    def rows(query: Any) -> list[dict[str, object]]:
        return [
            {"review": rid, "person": name, "status": status, "due": due}
            for rid, name, status, due in session.execute(query).all()
        ]

    base = (
        sa_select(col(Review.id), col(Person.full_name), col(Review.status), col(Review.due_on))
        .join(Person, col(Person.id) == col(Review.subject_id))
        .order_by(col(Review.due_on).desc(), col(Review.id).desc())
        .limit(MAX_LISTED)
    )
    as_subject = rows(base.where(col(Review.subject_id) == actor.person_id))
    to_answer = rows(
        base.join(ReviewRater, col(ReviewRater.review_id) == col(Review.id)).where(
            col(ReviewRater.person_id) == actor.person_id,
            col(ReviewRater.group) != Group.self_.value,
            col(ReviewRater.answered).is_(False),
            col(Review.status) == ReviewStatus.collecting.value,
        )
    )
    if actor.is_hr_admin:
        managed_query = base.where(col(Review.subject_id) != actor.person_id)
    else:
        managed_query = base.where(col(Review.subject_id).in_(reports_query(actor.person_id)))
    managed = rows(managed_query) if actor.is_hr_admin or actor.is_manager else []
    return MyReviews(
        as_subject=_frame(as_subject, REVIEW_COLUMNS),
        to_answer=_frame(to_answer, REVIEW_COLUMNS),
        managed=_frame(managed, REVIEW_COLUMNS),
    )


def list_launchable_people(session: Session, *, actor: Actor) -> list[tuple[int, str]]:
    """Whom this actor may launch a 360 for: their reports (HR: everyone active)."""
    query = select(Person.id, Person.full_name).where(col(Person.active))
    if not actor.is_hr_admin:
        query = query.where(col(Person.id).in_(reports_query(actor.person_id)))
    query = query.where(Person.id != actor.person_id).order_by(col(Person.full_name))
    return [(pid, name) for pid, name in session.exec(query).all() if pid is not None]


def list_rater_candidates(
    session: Session, *, actor: Actor, review_id: int
) -> list[tuple[int, str]]:
    """Active colleagues who could be added as raters (not yet on the list)."""
    review = _review(session, review_id)
    require(
        can_nominate_review_raters(actor, _relation(session, actor, review)),
        session=session,
        actor=actor,
        action="list_candidates",
        entity="review",
        entity_id=review_id,
    )
    taken = select(ReviewRater.person_id).where(
        ReviewRater.review_id == review_id, col(ReviewRater.person_id).is_not(None)
    )
    rows = session.exec(
        select(Person.id, Person.full_name)
        .where(col(Person.active), col(Person.id).not_in(taken), Person.id != review.subject_id)
        .order_by(col(Person.full_name))
    ).all()
    return [(pid, name) for pid, name in rows if pid is not None]


def _group_counts(session: Session, review: Review) -> tuple[GroupCount, ...]:
    rows = session.execute(
        sa_select(
            col(ReviewRater.group),
            func.count(),
            func.sum(case((col(ReviewRater.answered), 1), else_=0)),
        )
        .where(col(ReviewRater.review_id) == review.id)
        .group_by(col(ReviewRater.group))
    ).all()
    found = {g: (int(n), int(a or 0)) for g, n, a in rows}
    return tuple(
        GroupCount(
            group=g.value,
            invited=found[g.value][0],
            answered=an.shown_response_count(g, found[g.value][1], threshold=review.threshold),
        )
        for g in GROUP_ORDER
        if g.value in found
    )


def get_review(session: Session, *, actor: Actor, review_id: int) -> ReviewView:
    """One review for its subject, its managers and HR: who was asked (not
    who answered) and the answer counts the anonymity rules allow."""
    review = _review(session, review_id)
    relation = _relation(session, actor, review)
    managing = can_manage_review(actor, relation)
    mine = session.exec(
        select(ReviewRater).where(
            ReviewRater.review_id == review_id, ReviewRater.person_id == actor.person_id
        )
    ).first()
    require(
        relation is Relation.self_ or managing or mine is not None,
        session=session,
        actor=actor,
        action="view",
        entity="review",
        entity_id=review_id,
    )
    assert review.id is not None
    draft = ReviewStatus(review.status) is ReviewStatus.draft
    raters: list[RaterRow] = []
    counts: tuple[GroupCount, ...] = ()
    waiting = 0
    # HR outside the reporting line runs the review without learning who the
    # anonymous raters are (with participation counts, names could say who answered).
    names_shown = relation is Relation.self_ or can_manage_report(actor, relation)
    if relation is Relation.self_ or managing:
        people = dict(
            session.exec(
                select(Person.id, Person.full_name)
                .join(ReviewRater, col(ReviewRater.person_id) == col(Person.id))
                .where(ReviewRater.review_id == review_id)
            ).all()
        )
        for rater in session.exec(
            select(ReviewRater)
            .where(ReviewRater.review_id == review_id)
            .order_by(col(ReviewRater.id))
        ).all():
            group = Group(rater.group)
            name = rater.external_name if rater.person_id is None else people.get(rater.person_id)
            masked = group in an.ANONYMOUS and not names_shown
            raters.append(
                RaterRow(
                    rater_id=rater.id or 0,
                    group=group.value,
                    name=ANONYMOUS_RATER if masked else name or "",
                    removable=draft and group in an.ANONYMOUS and not masked,
                )
            )
            if group is Group.external and not rater.answered:
                waiting += 1
        counts = _group_counts(session, review)
    order = {g.value: i for i, g in enumerate(GROUP_ORDER)}
    raters.sort(key=lambda r: (order[r.group], r.name))
    return ReviewView(
        review_id=review.id,
        subject_id=review.subject_id,
        subject_name=_name(session, review.subject_id),
        status=review.status,
        due_on=review.due_on,
        threshold=review.threshold,
        is_subject=relation is Relation.self_,
        can_manage=managing,
        can_edit_raters=draft and (relation is Relation.self_ or managing),
        i_am_to_answer=(
            mine is not None
            and not mine.answered
            and ReviewStatus(review.status) is ReviewStatus.collecting
        ),
        may_read_report=can_view_review_report(actor, relation)
        and an.report_released(review.status),
        raters=tuple(raters),
        counts=counts,
        externals_waiting=waiting if managing else 0,
    )


def _form(session: Session, review: Review, group: str) -> AnswerForm:
    assert review.id is not None
    questions = list_review_questions(session, review_id=review.id)
    scale_ids = {q.scale_id for q in questions if q.scale_id is not None}
    levels: dict[int, list[tuple[int, str]]] = defaultdict(list)
    if scale_ids:
        for value in session.exec(
            select(ScaleValue)
            .where(col(ScaleValue.scale_id).in_(scale_ids))
            .order_by(col(ScaleValue.rank))
        ).all():
            levels[value.scale_id].append((value.rank, value.name))
    return AnswerForm(
        review_id=review.id,
        subject_name=_name(session, review.subject_id),
        group=group,
        questions=tuple(
            QuestionView(q.key, q.text, tuple(levels.get(q.scale_id or 0, []))) for q in questions
        ),
        due_on=review.due_on,
    )


def get_answer_form(session: Session, *, actor: Actor, review_id: int) -> AnswerForm:
    review = _review(session, review_id)
    rater = own_rater(session, actor=actor, review_id=review_id)
    return _form(session, review, rater.group)


def get_external_form(session: Session, *, token: str) -> AnswerForm:
    """The no-sign-in page's content; a wrong, used or expired token is refused
    with one neutral message."""
    rater, review = _rater_for_token(session, token)
    return _form(session, review, rater.group)


# --- the report ---------------------------------------------------------------------

WHO_COLUMNS = {
    Group.self_.value: "self",
    Group.manager.value: "manager",
    Group.peer.value: "peers",
    Group.direct_report.value: "direct reports",
    Group.external.value: "externals",
    an.OTHERS: "all others",
}


def get_review_report(session: Session, *, actor: Actor, review_id: int) -> ReviewReport:
    """The released report: aggregates only, by the anonymity rules."""
    review = _review(session, review_id)
    require(
        can_view_review_report(actor, _relation(session, actor, review)),
        session=session,
        actor=actor,
        action="view_report",
        entity="review",
        entity_id=review_id,
        message="The report is for the person reviewed and their managers.",
    )
    if not an.report_released(review.status):
        raise ValidationError("The report is released when the review closes.")
    assert review.id is not None
    questions = list_review_questions(session, review_id=review.id)
    shown = an.shown_report(load_answers(session, review_id=review.id), threshold=review.threshold)
    manager_name = ""
    subject = session.get(Person, review.subject_id)
    if subject is not None and subject.manager_id is not None:
        manager_name = _name(session, subject.manager_id)
    rows: list[dict[str, object]] = []
    chart: list[dict[str, object]] = []
    for question in questions:
        if question.scale_id is None:
            continue
        row: dict[str, object] = {"competency": question.text}
        for who, column in WHO_COLUMNS.items():
            aggregate = shown.score(question.key, who)
            row[column] = None if aggregate is None else round(aggregate.mean, 2)
            if aggregate is not None and who in (Group.self_.value, an.OTHERS):
                chart.append({"competency": question.text, "who": column, "mean": aggregate.mean})
        others = shown.score(question.key, an.OTHERS)
        mine = shown.score(question.key, Group.self_.value)
        row["others rated"] = None if others is None else others.n
        row["lowest"] = None if others is None else others.low
        row["highest"] = None if others is None else others.high
        row["spread (sd)"] = None if others is None else round(others.std, 2)
        row["self vs others"] = an.blind_spot(
            mine.mean if mine else None, others.mean if others else None
        )
        rows.append(row)
    columns = [
        "competency",
        *WHO_COLUMNS.values(),
        "others rated",
        "lowest",
        "highest",
        "spread (sd)",
        "self vs others",
    ]
    by_competency = pd.DataFrame(rows, columns=columns)
    texts = {q.key: q.text for q in questions}
    comments = pd.DataFrame(
        [
            {
                "question": texts.get(c.question, c.question),
                "from": (
                    f"Manager ({manager_name})"
                    if c.group is Group.manager and manager_name
                    else GROUP_LABELS[c.group]
                ),
                "comment": text,
            }
            for c in sorted(
                shown.comments,
                key=lambda c: (
                    [q.key for q in questions].index(c.question)
                    if c.question in texts
                    else len(questions),
                    GROUP_ORDER.index(c.group),
                ),
            )
            for text in c.comments
        ],
        columns=["question", "from", "comment"],
    )
    asked = set(
        session.exec(select(ReviewRater.group).where(ReviewRater.review_id == review.id)).all()
    )
    counts = pd.DataFrame(
        [
            {
                "group": GROUP_LABELS[g],
                "answers": (
                    shown.response_counts.get(g)
                    if shown.response_counts.get(g) is not None
                    else f"fewer than {shown.threshold}: hidden"
                ),
            }
            for g in GROUP_ORDER
            if g.value in asked
        ],
        columns=["group", "answers"],
    ).astype({"answers": str})
    hidden = tuple(
        GROUP_LABELS[g]
        for g in GROUP_ORDER
        if g in an.ANONYMOUS and g.value in asked and shown.response_counts.get(g) is None
    )
    return ReviewReport(
        review_id=review.id,
        subject_name=_name(session, review.subject_id),
        threshold=review.threshold,
        by_competency=by_competency,
        chart=pd.DataFrame(chart, columns=["competency", "who", "mean"]),
        comments=comments,
        counts=counts,
        hidden_groups=hidden,
    )


def list_review_participation(session: Session, *, actor: Actor) -> pd.DataFrame:
    """HR: response rates per review and group — counts only, never answers
    nor who answered."""
    require(
        can_read_review_participation(actor),
        session=session,
        actor=actor,
        action="participation",
        entity="review",
    )
    answered = func.sum(case((col(ReviewRater.answered), 1), else_=0))
    rows = session.execute(
        sa_select(
            col(Review.id),
            col(Person.full_name),
            col(Review.status),
            col(Review.due_on),
            col(ReviewRater.group),
            func.count(),
            answered,
        )
        .join(Person, col(Person.id) == col(Review.subject_id))
        .join(ReviewRater, col(ReviewRater.review_id) == col(Review.id))
        .group_by(
            col(Review.id),
            col(Person.full_name),
            col(Review.status),
            col(Review.due_on),
            col(ReviewRater.group),
        )
        .order_by(col(Review.due_on).desc(), col(Review.id).desc())
    ).all()
    frame = pd.DataFrame(
        [
            {
                "review": rid,
                "person": name,
                "status": status,
                "due": due,
                "group": GROUP_LABELS[Group(group)],
                "invited": int(n),
                "answered": int(a or 0),
                "response rate": (int(a or 0) / int(n)) if n else 0.0,
            }
            for rid, name, status, due, group, n, a in rows
        ],
        columns=[
            "review",
            "person",
            "status",
            "due",
            "group",
            "invited",
            "answered",
            "response rate",
        ],
    )
    return frame
