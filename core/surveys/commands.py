"""Writing surveys: HR creates one from a template, edits its wording while
it is a draft, opens it (which fixes the audience and each person's
reporting unit), closes it and starts a pulse's next round; a person asked
answers once.

An answer is stored apart from the invitation (see db.models.surveys): the
invitation is marked answered in the same transaction by one
`UPDATE … WHERE answered = false`, so a second tab cannot answer twice,
and the answer leaves no audit row of its own (its time, beside the
sign-in rows, could say who answered); closing records the counts.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from core.access import Actor, require
from core.audit import record_event
from core.errors import ValidationError
from core.surveys import rules, segments
from core.surveys.queries import (
    NOT_FOUND,
    _require_manage,
    closed_message,
    question_specs,
    survey_row,
    to_read,
)
from core.surveys.rules import AnswerIn, AudienceRole, QuestionDraft, ReportBy
from core.versioning import check_version, flush_versioned
from db.models import (
    OrgUnit,
    Person,
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyKind,
    SurveyQuestion,
    SurveyRead,
    SurveyResponse,
    SurveyStatus,
    utcnow,
)

STALE = "Someone changed this survey since you opened it; reload to see their change."
MAX_TITLE = 200
MAX_QUESTION = 300


@dataclass(frozen=True)
class Audience:
    """Who a survey goes to: active people in `unit_ids` (and the units below
    them; empty: the whole organisation) who hold `role`."""

    unit_ids: tuple[int, ...] = ()
    role: AudienceRole = AudienceRole.everyone

    def to_json(self) -> str:
        return json.dumps({"unit_ids": list(self.unit_ids), "role": self.role.value})

    @classmethod
    def from_json(cls, text: str) -> Audience:
        data = json.loads(text or "{}")
        return cls(
            tuple(int(u) for u in data.get("unit_ids", [])),
            AudienceRole(data.get("role", AudienceRole.everyone.value)),
        )


def _unit_tree(session: Session) -> tuple[dict[int, int | None], dict[int, str], dict[int, str]]:
    parents: dict[int, int | None] = {}
    kinds: dict[int, str] = {}
    names: dict[int, str] = {}
    for uid, parent, kind, name in session.exec(
        select(OrgUnit.id, OrgUnit.parent_id, OrgUnit.kind, OrgUnit.name)
    ).all():
        assert uid is not None
        parents[uid], kinds[uid], names[uid] = parent, kind, name
    return parents, kinds, names


def describe_audience(session: Session, audience: Audience) -> str:
    _parents, _kinds, names = _unit_tree(session)
    where = (
        ", ".join(names.get(u, f"unit {u}") for u in audience.unit_ids)
        if audience.unit_ids
        else "the whole organisation"
    )
    role = rules.AUDIENCE_ROLE_LABELS[audience.role.value]
    return f"{role} in {where}"[:500]


def resolve_audience(session: Session, audience: Audience) -> list[int]:
    """The people the audience names now (active only)."""
    parents, _kinds, _names = _unit_tree(session)
    unknown = [u for u in audience.unit_ids if u not in parents]
    if unknown:
        raise ValidationError("Choose units that exist.")
    units = rules.descendants(audience.unit_ids, parents=parents) if audience.unit_ids else None
    people = session.exec(
        select(Person.id, Person.org_unit_id, Person.manager_id).where(col(Person.active).is_(True))
    ).all()
    return rules.audience_people(
        [(pid, unit, manager) for pid, unit, manager in people if pid is not None],
        unit_ids=units,
        role=audience.role,
    )


def _clean_title(title: str) -> str:
    cleaned = " ".join((title or "").split())
    if not cleaned:
        raise ValidationError("Give the survey a title.")
    if len(cleaned) > MAX_TITLE:
        raise ValidationError(f"A survey title takes at most {MAX_TITLE} characters.")
    return cleaned


def _check_threshold(threshold: int, status: str) -> None:
    problem = rules.threshold_problem(threshold, status=status)
    if problem:
        raise ValidationError(problem)


def create_survey(
    session: Session,
    *,
    actor: Actor,
    kind: SurveyKind | str,
    audience: Audience,
    title: str | None = None,
    intro: str | None = None,
    questions: Sequence[QuestionDraft] | None = None,
    report_by: ReportBy | str = ReportBy.division,
    closes_on: date | None = None,
    threshold: int = rules.MIN_THRESHOLD,
) -> SurveyRead:
    """A draft survey from the kind's template (wording editable until it opens)."""
    _require_manage(session, actor, "create")
    kind = SurveyKind(kind)
    default_title, default_intro, default_questions = rules.template(kind)
    _check_threshold(threshold, SurveyStatus.draft.value)
    survey = Survey(
        kind=kind.value,
        title=_clean_title(title or default_title),
        intro=(intro if intro is not None else default_intro)[: rules.MAX_TEXT],
        audience=describe_audience(session, audience),
        report_by=ReportBy(report_by).value,
        closes_on=closes_on,
        threshold=threshold,
        audience_spec=audience.to_json(),
        created_by_id=actor.person_id,
    )
    resolve_audience(session, audience)  # refuses unknown units before anything is written
    session.add(survey)
    session.flush()
    assert survey.id is not None
    survey.series_id = survey.id
    _write_questions(session, survey.id, list(questions or default_questions))
    record_event(
        session,
        actor_id=actor.person_id,
        action="survey.created",
        entity="survey",
        entity_id=survey.id,
        detail={"title": survey.title, "kind": kind.value, "round": survey.round},
    )
    flush_versioned(session, STALE)
    return to_read(survey)


def _write_questions(session: Session, survey_id: int, questions: list[QuestionDraft]) -> None:
    keys = [q.key for q in questions]
    if len(set(keys)) != len(keys):
        raise ValidationError("Two questions share a key.")
    for position, question in enumerate(questions, start=1):
        text = " ".join(question.text.split())
        if not text:
            raise ValidationError(f"Question {position} needs a wording.")
        if len(text) > MAX_QUESTION:
            raise ValidationError(f"A question takes at most {MAX_QUESTION} characters.")
        session.add(
            SurveyQuestion(
                survey_id=survey_id,
                key=question.key,
                position=position,
                kind=QuestionKind(question.kind).value,
                text=text,
                options="\n".join(question.options),
            )
        )


def _require_status(survey: Survey, status: SurveyStatus, message: str) -> None:
    if survey.status != status.value:
        raise ValidationError(message)


def update_survey_draft(
    session: Session,
    *,
    actor: Actor,
    survey_id: int,
    version: int,
    title: str,
    intro: str,
    question_texts: Mapping[str, str],
    threshold: int,
    closes_on: date | None,
) -> SurveyRead:
    """The wording, threshold and closing date, while the survey is a draft."""
    _require_manage(session, actor, "update", survey_id)
    survey = survey_row(session, survey_id)
    check_version(survey, version, STALE)
    _require_status(survey, SurveyStatus.draft, "Only a draft survey can be edited.")
    _check_threshold(threshold, survey.status)
    if len(intro or "") > rules.MAX_TEXT:
        raise ValidationError(f"The introduction takes at most {rules.MAX_TEXT:,} characters.")
    survey.title = _clean_title(title)
    survey.intro = intro or ""
    survey.threshold = threshold
    survey.closes_on = closes_on
    rows = {
        q.key: q
        for q in session.exec(
            select(SurveyQuestion).where(SurveyQuestion.survey_id == survey_id)
        ).all()
    }
    changed = []
    for key, text in question_texts.items():
        row = rows.get(key)
        if row is None:
            raise ValidationError("A wording names a question this survey does not ask.")
        cleaned = " ".join((text or "").split())
        if not cleaned:
            raise ValidationError("Every question needs a wording.")
        if len(cleaned) > MAX_QUESTION:
            raise ValidationError(f"A question takes at most {MAX_QUESTION} characters.")
        if cleaned != row.text:
            row.text = cleaned
            changed.append(key)
    session.add(survey)
    record_event(
        session,
        actor_id=actor.person_id,
        action="survey.updated",
        entity="survey",
        entity_id=survey_id,
        detail={"title": survey.title, "questions": changed, "threshold": threshold},
    )
    flush_versioned(session, STALE)
    return to_read(survey)


def open_survey(session: Session, *, actor: Actor, survey_id: int, version: int) -> int:
    """Send the survey: invite its audience as it is today, each person under
    the reporting unit they sit in now. Returns how many were invited."""
    _require_manage(session, actor, "open", survey_id)
    survey = survey_row(session, survey_id)
    check_version(survey, version, STALE)
    _require_status(survey, SurveyStatus.draft, "Only a draft survey can be opened.")
    if survey.closes_on is not None and survey.closes_on < date.today():
        raise ValidationError(
            f"Its closing date, {survey.closes_on:%d %b %Y}, has passed; choose a later one."
        )
    if survey.series_id is not None:
        open_round = session.exec(
            select(Survey.round).where(
                Survey.series_id == survey.series_id,
                Survey.status == SurveyStatus.open.value,
                Survey.id != survey_id,
            )
        ).first()
        if open_round is not None:
            # Two rounds open at once would ask the same people twice and
            # split one period's answers between two rounds.
            raise ValidationError(
                f"Round {open_round} of this pulse is still open; close it before opening"
                f" round {survey.round}."
            )
    people = resolve_audience(session, Audience.from_json(survey.audience_spec))
    if not people:
        raise ValidationError("Nobody is in this audience; choose other units or people.")
    parents, kinds, _names = _unit_tree(session)
    units = dict(
        session.exec(select(Person.id, Person.org_unit_id).where(col(Person.id).in_(people))).all()
    )
    survey.status = SurveyStatus.open.value
    survey.opened_at = utcnow()
    survey.opens_on = survey.opens_on or date.today()
    session.add(survey)
    flush_versioned(session, STALE)
    rows = [
        {
            "survey_id": survey_id,
            "person_id": pid,
            "reporting_unit_id": rules.reporting_unit(
                units[pid], parents=parents, kinds=kinds, level=survey.report_by
            ),
            "answered": False,
        }
        for pid in people
    ]
    session.execute(insert(SurveyInvitation.__table__), rows)  # type: ignore[attr-defined]
    record_event(
        session,
        actor_id=actor.person_id,
        action="survey.opened",
        entity="survey",
        entity_id=survey_id,
        detail={"title": survey.title, "invited": len(rows)},
    )
    session.flush()
    return len(rows)


def close_survey(session: Session, *, actor: Actor, survey_id: int, version: int) -> None:
    _require_manage(session, actor, "close", survey_id)
    survey = survey_row(session, survey_id)
    check_version(survey, version, STALE)
    _require_status(survey, SurveyStatus.open, "Only an open survey can be closed.")
    survey.status = SurveyStatus.closed.value
    survey.closed_at = utcnow()
    session.add(survey)
    flush_versioned(session, STALE)
    answered = session.execute(
        sa_select(col(SurveyResponse.response_id)).where(col(SurveyResponse.survey_id) == survey_id)
    ).all()
    record_event(
        session,
        actor_id=actor.person_id,
        action="survey.closed",
        entity="survey",
        entity_id=survey_id,
        detail={"title": survey.title, "responses": len(answered)},
    )
    session.flush()


def create_next_round(session: Session, *, actor: Actor, survey_id: int) -> SurveyRead:
    """A pulse's next round: a draft with the same questions, audience,
    reporting level and threshold, numbered after the series' last round."""
    _require_manage(session, actor, "create next round", survey_id)
    survey = survey_row(session, survey_id)
    if survey.kind != SurveyKind.pulse.value:
        raise ValidationError("Only a process pulse recurs in rounds.")
    if survey.status == SurveyStatus.draft.value:
        raise ValidationError("Open this round before starting the next one.")
    series_id = survey.series_id or survey_id
    last = session.exec(
        select(Survey).where(Survey.series_id == series_id).order_by(col(Survey.round).desc())
    ).first()
    if last is not None and last.status == SurveyStatus.draft.value:
        raise ValidationError(f"Round {last.round} of this pulse is still a draft.")
    next_round = (last.round if last is not None else survey.round) + 1
    copy = Survey(
        kind=survey.kind,
        title=survey.title,
        intro=survey.intro,
        audience=survey.audience,
        report_by=survey.report_by,
        threshold=survey.threshold,
        audience_spec=survey.audience_spec,
        series_id=series_id,
        round=next_round,
        created_by_id=actor.person_id,
    )
    session.add(copy)
    session.flush()
    assert copy.id is not None
    _write_questions(
        session,
        copy.id,
        [
            QuestionDraft(q.key, QuestionKind(q.kind), q.text, q.options)
            for q in question_specs(session, survey_id)
        ],
    )
    record_event(
        session,
        actor_id=actor.person_id,
        action="survey.created",
        entity="survey",
        entity_id=copy.id,
        detail={"title": copy.title, "kind": copy.kind, "round": next_round},
    )
    session.flush()
    return to_read(copy)


# --- answering ----------------------------------------------------------------------


ANSWERED = "You have answered this survey already; thank you."


def submit_answers(
    session: Session,
    *,
    actor: Actor,
    survey_id: int,
    answers: Mapping[str, AnswerIn],
    today: date | None = None,
) -> None:
    """The signed-in person's answers, once, while the survey is open."""
    invitation = session.exec(
        select(SurveyInvitation).where(
            SurveyInvitation.survey_id == survey_id,
            SurveyInvitation.person_id == actor.person_id,
        )
    ).first()
    survey = session.get(Survey, survey_id)
    require(
        invitation is not None and survey is not None,
        session=session,
        actor=actor,
        action="answer",
        entity="survey",
        entity_id=survey_id,
        message=NOT_FOUND,
    )
    assert invitation is not None
    assert invitation.id is not None
    assert survey is not None
    today = today or date.today()
    if not rules.takes_answers(survey.status, survey.closes_on, today=today):
        raise ValidationError(closed_message(survey.closes_on, today=today))
    if invitation.answered:
        raise ValidationError(ANSWERED)
    try:
        rows = rules.cleaned_answers(question_specs(session, survey_id), answers)
    except ValueError as problem:
        raise ValidationError(str(problem)) from problem
    tags = segments.tags_for(session, person_id=actor.person_id, on=today)
    # Still open, in this transaction: a close that committed first wins.
    still_open = session.execute(
        update(Survey.__table__)  # type: ignore[attr-defined]
        .where(col(Survey.id) == survey_id, col(Survey.status) == SurveyStatus.open.value)
        .values(status=SurveyStatus.open.value)
    )
    if still_open.rowcount != 1:  # type: ignore[attr-defined]
        raise ValidationError("This survey is closed; answers are no longer taken.")
    used = session.execute(
        update(SurveyInvitation.__table__)  # type: ignore[attr-defined]
        .where(col(SurveyInvitation.id) == invitation.id, col(SurveyInvitation.answered).is_(False))
        .values(answered=True)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise ValidationError(ANSWERED)
    response_id = secrets.token_hex(16)
    session.add(
        SurveyResponse(
            response_id=response_id,
            survey_id=survey_id,
            reporting_unit_id=invitation.reporting_unit_id,
        )
    )
    session.flush()
    for question_id, rating, choice, text in rows:
        session.add(
            SurveyAnswer(
                response_id=response_id,
                question_id=question_id,
                rating=rating,
                choice=choice,
                text=text,
            )
        )
    segments.store_tags(session, response_id=response_id, tags=tags)
    session.flush()
    # No audit row: see the module docstring.
