"""Reading surveys: HR's list, details and anonymised results; a person's
own open surveys and the form to answer one.

Answers are only ever read here grouped by reporting unit and passed
through `core.surveys.rules` (which uses `core.anonymity`); no function
returns a response id, and none could name a respondent: responses carry
no person.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Integer, func
from sqlalchemy import cast as sa_cast
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from core.access import Actor, can_manage_surveys, require
from core.errors import NotFound
from core.surveys import rules
from core.surveys.rules import AnswerRow, QuestionResult, QuestionSpec
from db.models import (
    OrgUnit,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyQuestion,
    SurveyRead,
    SurveyResponse,
    SurveyStatus,
)

NOT_FOUND = "That survey does not exist, or it is not one you were asked to answer."


@dataclass(frozen=True)
class SurveySummary:
    id: int
    title: str
    kind: str
    status: str
    round: int
    series_id: int
    audience: str
    closes_on: date | None
    invited: int
    answered: int


@dataclass(frozen=True)
class SurveyDetail:
    survey: SurveyRead
    questions: tuple[QuestionSpec, ...]
    invited: int
    answered: int


@dataclass(frozen=True)
class MySurvey:
    id: int
    title: str
    kind: str
    round: int
    closes_on: date | None
    answered: bool


@dataclass(frozen=True)
class SurveyForm:
    id: int
    title: str
    intro: str
    kind: str
    closes_on: date | None
    threshold: int
    questions: tuple[QuestionSpec, ...]
    answered: bool


@dataclass(frozen=True)
class UnitRate:
    unit_id: int
    unit: str
    invited: int
    answered: int

    @property
    def rate(self) -> float | None:
        return rules.response_rate(self.invited, self.answered)


@dataclass(frozen=True)
class SurveyResults:
    survey: SurveyRead
    threshold: int
    questions: tuple[QuestionResult, ...]
    rates: tuple[UnitRate, ...]


@dataclass(frozen=True)
class RoundResult:
    survey_id: int
    round: int
    status: str
    questions: tuple[QuestionResult, ...]


@dataclass(frozen=True)
class SeriesResults:
    series_id: int
    title: str
    threshold: int
    rounds: tuple[RoundResult, ...]


def _require_manage(session: Session, actor: Actor, action: str, entity_id: object = None) -> None:
    require(
        can_manage_surveys(actor),
        session=session,
        actor=actor,
        action=action,
        entity="survey",
        entity_id=entity_id,
        message="Only HR can manage surveys and read their results.",
    )


def survey_row(session: Session, survey_id: int) -> Survey:
    survey = session.get(Survey, survey_id)
    if survey is None:
        raise NotFound(NOT_FOUND)
    return survey


def to_read(survey: Survey) -> SurveyRead:
    return SurveyRead.model_validate(survey, from_attributes=True)


def question_specs(session: Session, survey_id: int) -> tuple[QuestionSpec, ...]:
    rows = session.exec(
        select(SurveyQuestion)
        .where(SurveyQuestion.survey_id == survey_id)
        .order_by(col(SurveyQuestion.position))
    ).all()
    return tuple(
        QuestionSpec(
            id=q.id or 0,
            key=q.key,
            kind=q.kind,
            text=q.text,
            options=tuple(o for o in q.options.splitlines() if o.strip()),
        )
        for q in rows
    )


def _counts(session: Session, survey_ids: list[int]) -> dict[int, tuple[int, int]]:
    if not survey_ids:
        return {}
    rows = session.execute(
        sa_select(
            col(SurveyInvitation.survey_id),
            func.count(),
            func.sum(sa_cast(col(SurveyInvitation.answered), Integer)),
        )
        .where(col(SurveyInvitation.survey_id).in_(survey_ids))
        .group_by(col(SurveyInvitation.survey_id))
    ).all()
    return {sid: (int(invited), int(answered or 0)) for sid, invited, answered in rows}


def list_surveys(session: Session, *, actor: Actor) -> list[SurveySummary]:
    """Every survey, newest first, with how many were asked and answered."""
    _require_manage(session, actor, "list")
    surveys = session.exec(select(Survey).order_by(col(Survey.id).desc())).all()
    counts = _counts(session, [s.id for s in surveys if s.id is not None])
    return [
        SurveySummary(
            id=s.id or 0,
            title=s.title,
            kind=s.kind,
            status=s.status,
            round=s.round,
            series_id=s.series_id or s.id or 0,
            audience=s.audience,
            closes_on=s.closes_on,
            invited=counts.get(s.id or 0, (0, 0))[0],
            answered=counts.get(s.id or 0, (0, 0))[1],
        )
        for s in surveys
    ]


def get_survey(session: Session, *, actor: Actor, survey_id: int) -> SurveyDetail:
    _require_manage(session, actor, "read", survey_id)
    survey = survey_row(session, survey_id)
    invited, answered = _counts(session, [survey_id]).get(survey_id, (0, 0))
    return SurveyDetail(to_read(survey), question_specs(session, survey_id), invited, answered)


# --- a person's own surveys ---------------------------------------------------------


def closed_message(closes_on: date | None, *, today: date) -> str:
    if closes_on is not None and closes_on < today:
        return f"That survey closed on {closes_on:%d %b %Y}; answers are no longer taken."
    return "That survey is closed; answers are no longer taken."


def still_taking_answers(today: date) -> ColumnElement[bool]:
    """The SQL form of `rules.takes_answers`."""
    return (col(Survey.status) == SurveyStatus.open.value) & (
        col(Survey.closes_on).is_(None) | (col(Survey.closes_on) >= today)
    )


def list_my_surveys(session: Session, *, actor: Actor, today: date | None = None) -> list[MySurvey]:
    """The surveys I was asked to answer that still take answers, unanswered first."""
    rows = session.exec(
        select(Survey, SurveyInvitation.answered)
        .join(SurveyInvitation, col(SurveyInvitation.survey_id) == col(Survey.id))
        .where(
            SurveyInvitation.person_id == actor.person_id,
            still_taking_answers(today or date.today()),
        )
        .order_by(col(Survey.id))
    ).all()
    mine = [
        MySurvey(s.id or 0, s.title, s.kind, s.round, s.closes_on, bool(answered))
        for s, answered in rows
    ]
    return sorted(mine, key=lambda m: (m.answered, m.closes_on or date.max, m.id))


def get_survey_form(
    session: Session, *, actor: Actor, survey_id: int, today: date | None = None
) -> SurveyForm:
    """The survey to answer: only for a person asked to, while it takes answers."""
    invitation = session.exec(
        select(SurveyInvitation).where(
            SurveyInvitation.survey_id == survey_id,
            SurveyInvitation.person_id == actor.person_id,
        )
    ).first()
    survey = session.get(Survey, survey_id)
    if invitation is None or survey is None:
        raise NotFound(NOT_FOUND)
    today = today or date.today()
    if not rules.takes_answers(survey.status, survey.closes_on, today=today):
        raise NotFound(closed_message(survey.closes_on, today=today))
    return SurveyForm(
        id=survey_id,
        title=survey.title,
        intro=survey.intro,
        kind=survey.kind,
        closes_on=survey.closes_on,
        threshold=survey.threshold,
        questions=question_specs(session, survey_id),
        answered=invitation.answered,
    )


# --- results ------------------------------------------------------------------------


def answer_rows(session: Session, survey_ids: list[int]) -> dict[int, list[AnswerRow]]:
    """Core only: every answer of the surveys, grouped under its reporting
    unit (as a string), keyed by question key. Never returned to a page."""
    rows = session.execute(
        sa_select(
            col(SurveyResponse.survey_id),
            col(SurveyResponse.response_id),
            col(SurveyResponse.reporting_unit_id),
            col(SurveyQuestion.key),
            col(SurveyAnswer.rating),
            col(SurveyAnswer.choice),
            col(SurveyAnswer.text),
        )
        .join(SurveyAnswer, col(SurveyAnswer.response_id) == col(SurveyResponse.response_id))
        .join(SurveyQuestion, col(SurveyQuestion.id) == col(SurveyAnswer.question_id))
        .where(col(SurveyResponse.survey_id).in_(survey_ids))
    ).all()
    found: dict[int, list[AnswerRow]] = defaultdict(list)
    for survey_id, response_id, unit_id, key, rating, choice, text in rows:
        found[survey_id].append(
            AnswerRow(response_id, str(unit_id), key, rating, choice, text or "")
        )
    return found


def _unit_names(session: Session, unit_ids: set[int]) -> dict[int, str]:
    if not unit_ids:
        return {}
    return {
        uid: name
        for uid, name in session.exec(
            select(OrgUnit.id, OrgUnit.name).where(col(OrgUnit.id).in_(unit_ids))
        ).all()
        if uid is not None
    }


def unit_rates(session: Session, survey_id: int) -> list[UnitRate]:
    rows = session.execute(
        sa_select(
            col(SurveyInvitation.reporting_unit_id),
            func.count(),
            func.sum(sa_cast(col(SurveyInvitation.answered), Integer)),
        )
        .where(col(SurveyInvitation.survey_id) == survey_id)
        .group_by(col(SurveyInvitation.reporting_unit_id))
    ).all()
    names = _unit_names(session, {uid for uid, _i, _a in rows})
    rates = [
        UnitRate(uid, names.get(uid, f"Unit {uid}"), int(invited), int(answered or 0))
        for uid, invited, answered in rows
    ]
    return sorted(rates, key=lambda r: (r.unit.casefold(), r.unit_id))


def unit_groups(rates: list[UnitRate]) -> list[tuple[str, str]]:
    return [(str(r.unit_id), r.unit) for r in rates]


def get_results(session: Session, *, actor: Actor, survey_id: int) -> SurveyResults:
    """A survey's results by reporting unit and overall (shown units only),
    with each unit's response rate."""
    _require_manage(session, actor, "read results", survey_id)
    survey = survey_row(session, survey_id)
    rates = unit_rates(session, survey_id)
    questions = question_specs(session, survey_id)
    rows = answer_rows(session, [survey_id]).get(survey_id, [])
    results = rules.question_results(
        questions, rows, groups=unit_groups(rates), threshold=survey.threshold
    )
    return SurveyResults(to_read(survey), survey.threshold, tuple(results), tuple(rates))


def get_series_results(session: Session, *, actor: Actor, survey_id: int) -> SeriesResults:
    """Every round of the survey's series, oldest first, each by unit and
    overall as on its own results page (each round is its own partition)."""
    _require_manage(session, actor, "read results", survey_id)
    survey = survey_row(session, survey_id)
    series_id = survey.series_id or survey_id
    rounds = session.exec(
        select(Survey)
        .where(
            (col(Survey.series_id) == series_id) | (col(Survey.id) == series_id),
            col(Survey.status) != SurveyStatus.draft.value,
        )
        .order_by(col(Survey.round))
    ).all()
    ids = [r.id for r in rounds if r.id is not None]
    rows = answer_rows(session, ids)
    found: list[RoundResult] = []
    for one in rounds:
        assert one.id is not None
        rates = unit_rates(session, one.id)
        results = rules.question_results(
            question_specs(session, one.id),
            rows.get(one.id, []),
            groups=unit_groups(rates),
            threshold=one.threshold,
        )
        found.append(RoundResult(one.id, one.round, one.status, tuple(results)))
    return SeriesResults(series_id, survey.title, survey.threshold, tuple(found))
