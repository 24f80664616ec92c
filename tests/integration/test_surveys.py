"""Rollout surveys end to end on both databases: who may do what, one answer
per person (also under concurrency), results thresholds, no way from an
answer to a person, the next round, segments and the Excel export."""

from __future__ import annotations

import io
import threading
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, inspect
from sqlmodel import Session, col, select

from core.errors import Busy, NotFound, PermissionDenied, ValidationError
from core.runtime import unit_of_work
from core.surveys import commands as sc
from core.surveys import excel, queries, segments
from core.surveys.rules import AnswerIn, AudienceRole, ReportBy
from core.todos import list_todos
from db.models import (
    AuditEvent,
    Person,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyKind,
    SurveyResponse,
    SurveyResponseTag,
)
from tests.factories import SurveyOrg, actor_for, make_survey_org

GOOD = {
    "checkins_help": AnswerIn(rating=4),
    "cadence": AnswerIn(choice="About right"),
    "urgent_feedback": AnswerIn(rating=3),
}


def _pulse(session: Session, org: SurveyOrg, *, units: tuple[int, ...] = ()) -> int:
    hr = actor_for(session, org.hr)
    made = sc.create_survey(
        session,
        actor=hr,
        kind=SurveyKind.pulse,
        audience=sc.Audience(units or (org.division.id or 0,), AudienceRole.everyone),
        report_by=ReportBy.team,
    )
    sc.open_survey(session, actor=hr, survey_id=made.id, version=made.version)
    return made.id


def _answer(
    session: Session, person: Person, survey_id: int, rating: int = 4, text: str = ""
) -> None:
    answers = {**GOOD, "checkins_help": AnswerIn(rating=rating), "comment": AnswerIn(text=text)}
    sc.submit_answers(
        session, actor=actor_for(session, person), survey_id=survey_id, answers=answers
    )


def _version(session: Session, survey_id: int) -> int:
    survey = session.get(Survey, survey_id)
    assert survey is not None
    session.refresh(survey)
    return survey.version


def test_only_hr_manages_and_reads_results(session: Session) -> None:
    org = make_survey_org(session)
    survey_id = _pulse(session, org)
    for person in (org.director, org.team_a_people[0]):
        actor = actor_for(session, person)
        with pytest.raises(PermissionDenied):
            queries.list_surveys(session, actor=actor)
        with pytest.raises(PermissionDenied):
            queries.get_results(session, actor=actor, survey_id=survey_id)
        with pytest.raises(PermissionDenied):
            segments.list_results_by_segment(session, actor=actor, survey_ids=[survey_id], key="x")
        with pytest.raises(PermissionDenied):
            sc.create_survey(session, actor=actor, kind=SurveyKind.pulse, audience=sc.Audience())
        with pytest.raises(PermissionDenied):
            sc.close_survey(session, actor=actor, survey_id=survey_id, version=1)
    denied = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "access.denied", AuditEvent.entity == "survey"
        )
    ).all()
    assert len(denied) == 10


def test_the_audience_and_reporting_units_are_fixed_when_the_survey_opens(
    session: Session,
) -> None:
    org = make_survey_org(session)
    survey_id = _pulse(session, org)
    invited = dict(
        session.exec(
            select(SurveyInvitation.person_id, SurveyInvitation.reporting_unit_id).where(
                SurveyInvitation.survey_id == survey_id
            )
        ).all()
    )
    assert org.hr.id not in invited
    assert org.outsider.id not in invited
    assert invited[org.director.id] == org.division.id  # sits in the division itself
    assert invited[org.lead_a.id] == org.team_a.id
    assert invited[org.team_b_people[0].id] == org.team_b.id
    assert len(invited) == 1 + 5 + 2


def test_managers_and_senior_leaders(session: Session) -> None:
    org = make_survey_org(session)
    assert sc.resolve_audience(session, sc.Audience((), AudienceRole.managers)) == sorted(
        [org.director.id, org.lead_a.id, org.lead_b.id]  # type: ignore[list-item]
    )
    assert sc.resolve_audience(session, sc.Audience((), AudienceRole.senior_leaders)) == [
        org.director.id
    ]


def test_answers_only_from_the_invited_while_open_once(session: Session) -> None:
    org = make_survey_org(session)
    survey_id = _pulse(session, org)
    with pytest.raises(PermissionDenied):
        _answer(session, org.outsider, survey_id)
    with pytest.raises(NotFound):
        queries.get_survey_form(
            session, actor=actor_for(session, org.outsider), survey_id=survey_id
        )
    with pytest.raises(ValidationError, match="at most 10,000"):
        _answer(session, org.lead_a, survey_id, text="x" * 10_001)
    with pytest.raises(ValidationError, match="1 to 5"):
        _answer(session, org.lead_a, survey_id, rating=9)
    _answer(session, org.lead_a, survey_id, text="=1+1")
    with pytest.raises(ValidationError, match="answered this survey already"):
        _answer(session, org.lead_a, survey_id)
    texts = session.exec(select(SurveyAnswer.text).where(SurveyAnswer.text != "")).all()
    assert texts == ["=1+1"]
    # Answering leaves no audit row (its time could say who answered).
    assert not session.exec(select(AuditEvent).where(AuditEvent.actor_id == org.lead_a.id)).all()
    hr = actor_for(session, org.hr)
    sc.close_survey(session, actor=hr, survey_id=survey_id, version=_version(session, survey_id))
    with pytest.raises(ValidationError, match="closed"):
        _answer(session, org.team_a_people[0], survey_id)


def test_no_person_is_reachable_from_a_response(session: Session, engine: Engine) -> None:
    org = make_survey_org(session)
    survey_id = _pulse(session, org)
    for person in (org.lead_a, *org.team_a_people):
        _answer(session, person, survey_id)
    columns = {c["name"] for c in inspect(engine).get_columns("surveyresponse")}
    assert columns == {"response_id", "survey_id", "reporting_unit_id"}
    assert {c["name"] for c in inspect(engine).get_columns("surveyanswer")} == {
        "response_id",
        "question_id",
        "rating",
        "choice",
        "text",
    }
    invitation_columns = {c["name"] for c in inspect(engine).get_columns("surveyinvitation")}
    assert "response_id" not in invitation_columns
    assert not {"answered_at", "updated_at"} & invitation_columns
    ids = session.exec(select(SurveyResponse.response_id)).all()
    assert len(ids) == 5
    assert all(len(i) == 32 for i in ids)


def test_results_show_units_from_the_threshold_and_overall_only_over_them(
    session: Session,
) -> None:
    org = make_survey_org(session)
    survey_id = _pulse(session, org)
    for person in (org.lead_a, *org.team_a_people):
        _answer(session, person, survey_id, rating=4, text=f"note by {person.full_name}")
    for person in (org.lead_b, *org.team_b_people, org.director):
        _answer(session, person, survey_id, rating=1, text="B says")
    results = queries.get_results(session, actor=actor_for(session, org.hr), survey_id=survey_id)
    rating = next(q for q in results.questions if q.key == "checkins_help")
    team_a = rating.group(str(org.team_a.id))
    assert team_a is not None
    assert team_a.answers == 5
    assert team_a.mean == 4
    assert rating.group(str(org.team_b.id)).answers is None  # type: ignore[union-attr]
    assert rating.group(str(org.division.id)).answers is None  # type: ignore[union-attr]
    assert rating.overall is not None
    assert rating.overall.answers == 5
    assert rating.overall.mean == 4
    assert dict(rating.overall.contributions) == {str(org.team_a.id): 5}
    comments = next(q for q in results.questions if q.key == "comment")
    assert comments.group(str(org.team_b.id)).comments == ()  # type: ignore[union-attr]
    shown = comments.group(str(org.team_a.id))
    assert shown is not None
    assert list(shown.comments) == sorted(shown.comments)
    rates = {r.unit: (r.invited, r.answered) for r in results.rates}
    assert rates == {"Division D": (1, 1), "Team A": (5, 5), "Team B": (2, 2)}
    # The export holds only what is shown, escaped.
    book = load_workbook(io.BytesIO(excel.workbook(results)))
    cells = [str(c.value) for row in book["Results"].iter_rows() for c in row if c.value]
    assert "1" not in cells
    assert "1.0" not in cells
    assert any("hidden" in c for c in cells)


def test_the_export_escapes_formulas(session: Session) -> None:
    org = make_survey_org(session)
    survey_id = _pulse(session, org)
    for person in (org.lead_a, *org.team_a_people):
        _answer(session, person, survey_id, text='=HYPERLINK("http://x")')
    results = queries.get_results(session, actor=actor_for(session, org.hr), survey_id=survey_id)
    book = load_workbook(io.BytesIO(excel.workbook(results)))
    comments = [c.value for c in book["Comments"]["C"][1:]]
    assert comments
    assert all(str(v).startswith("'=") for v in comments)
    assert all(c.data_type == "s" for c in book["Comments"]["C"])


def test_the_next_round_repeats_the_questions_and_the_series_reads_over_time(
    session: Session,
) -> None:
    org = make_survey_org(session)
    hr = actor_for(session, org.hr)
    first = _pulse(session, org)
    for person in (org.lead_a, *org.team_a_people):
        _answer(session, person, first, rating=2)
    sc.close_survey(session, actor=hr, survey_id=first, version=_version(session, first))
    second = sc.create_next_round(session, actor=hr, survey_id=first)
    assert second.round == 2
    assert second.series_id == first
    assert second.status == "draft"
    with pytest.raises(ValidationError, match="still a draft"):
        sc.create_next_round(session, actor=hr, survey_id=first)
    keys = [q.key for q in queries.question_specs(session, second.id)]
    assert keys == [q.key for q in queries.question_specs(session, first)]
    sc.open_survey(session, actor=hr, survey_id=second.id, version=second.version)
    for person in (org.lead_a, *org.team_a_people):
        _answer(session, person, second.id, rating=5)
    series = queries.get_series_results(session, actor=hr, survey_id=second.id)
    means = [
        next(q for q in r.questions if q.key == "checkins_help").overall.mean  # type: ignore[union-attr]
        for r in series.rounds
    ]
    assert [r.round for r in series.rounds] == [1, 2]
    assert means == [2, 5]
    frame = excel.series_frame(series, "checkins_help")
    assert set(frame["Round"]) == {1, 2}


def test_drafts_are_edited_and_the_threshold_locks_on_opening(session: Session) -> None:
    org = make_survey_org(session)
    hr = actor_for(session, org.hr)
    made = sc.create_survey(
        session, actor=hr, kind=SurveyKind.prioritisation, audience=sc.Audience()
    )
    with pytest.raises(ValidationError, match="lower than 3"):
        sc.update_survey_draft(
            session,
            actor=hr,
            survey_id=made.id,
            version=made.version,
            title="x",
            intro="",
            question_texts={},
            threshold=2,
            closes_on=None,
        )
    edited = sc.update_survey_draft(
        session,
        actor=hr,
        survey_id=made.id,
        version=made.version,
        title="Priorities 2027",
        intro="",
        question_texts={"practice_okrs": "How much would OKRs help?"},
        threshold=4,
        closes_on=date(2027, 1, 31),
    )
    with pytest.raises(Exception, match="Someone changed this survey"):
        sc.open_survey(session, actor=hr, survey_id=made.id, version=made.version)
    sc.open_survey(session, actor=hr, survey_id=made.id, version=edited.version)
    with pytest.raises(ValidationError, match="Only a draft"):
        sc.update_survey_draft(
            session,
            actor=hr,
            survey_id=made.id,
            version=_version(session, made.id),
            title="x",
            intro="",
            question_texts={},
            threshold=5,
            closes_on=None,
        )
    texts = [q.text for q in queries.question_specs(session, made.id)]
    assert "How much would OKRs help?" in texts


def test_open_surveys_are_to_dos_until_answered(session: Session) -> None:
    org = make_survey_org(session)
    survey_id = _pulse(session, org)
    actor = actor_for(session, org.lead_a)
    todos = [
        t
        for t in list_todos(session=session, actor=actor, today=date.today())
        if t.module == "surveys"
    ]
    assert [(t.page, dict(t.query)) for t in todos] == [("my_surveys", {"survey": str(survey_id)})]
    _answer(session, org.lead_a, survey_id)
    todos = [
        t
        for t in list_todos(session=session, actor=actor, today=date.today())
        if t.module == "surveys"
    ]
    assert todos == []
    outsider = actor_for(session, org.outsider)
    assert not [
        t
        for t in list_todos(session=session, actor=outsider, today=date.today())
        if t.module == "surveys"
    ]


def test_segments_tag_answers_and_hide_what_subtraction_would_give_away(
    session: Session,
) -> None:
    org = make_survey_org(session)
    big = make_survey_org(session)  # a second division, so there are two shown units
    arms = {p.id: "weekly" for p in org.team_a_people[:3]}
    arms |= {org.lead_a.id: "monthly", org.team_a_people[3].id: "monthly"}

    def arm(_session: Session, *, person_id: int, on: date) -> dict[str, str]:
        return {"experiment:7": arms[person_id]} if person_id in arms else {}

    segments.register_segmenter(arm)
    try:
        survey_id = _pulse(session, org, units=(org.division.id or 0, big.division.id or 0))
        for person in (org.lead_a, *org.team_a_people):
            _answer(session, person, survey_id, rating=5 if arms[person.id] == "weekly" else 2)
        for person in (big.lead_a, *big.team_a_people[:2]):  # 3 untagged in another unit
            _answer(session, person, survey_id, rating=3)
    finally:
        segments.unregister_segmenter(arm)
    tags = session.exec(select(SurveyResponseTag.value)).all()
    assert sorted(tags) == ["monthly", "monthly", "weekly", "weekly", "weekly"]
    hr = actor_for(session, org.hr)
    result = segments.list_results_by_segment(
        session, actor=hr, survey_ids=[survey_id], key="experiment:7"
    )
    question = next(q for q in result.questions if q.key == "checkins_help")
    # monthly (2) is hidden; showing weekly (3) and the untagged (3) would
    # give monthly away as the shown units' total minus both, so the
    # smaller-named of the two (the untagged) is hidden with it.
    assert question.group("monthly").answers is None  # type: ignore[union-attr]
    weekly = question.group("weekly")
    assert weekly is not None
    assert weekly.answers == 3
    assert weekly.mean == 5
    assert question.group("").answers is None  # type: ignore[union-attr]
    assert all(q.overall is None for q in result.questions)
    assert not [q for q in result.questions if q.key == "comment"]


def test_a_second_hidden_segment_is_hidden_to_protect_the_first(session: Session) -> None:
    org = make_survey_org(session)
    arms = {p.id: "weekly" for p in org.team_a_people[:3]}
    arms |= {org.lead_a.id: "monthly", org.team_a_people[3].id: "monthly"}

    def arm(_session: Session, *, person_id: int, on: date) -> dict[str, str]:
        return {"experiment:7": arms[person_id]} if person_id in arms else {}

    segments.register_segmenter(arm)
    try:
        survey_id = _pulse(session, org)
        for person in (org.lead_a, *org.team_a_people):
            _answer(session, person, survey_id)
    finally:
        segments.unregister_segmenter(arm)
    result = segments.list_results_by_segment(
        session, actor=actor_for(session, org.hr), survey_ids=[survey_id], key="experiment:7"
    )
    question = next(q for q in result.questions if q.key == "checkins_help")
    # Team A's total (5) is shown; weekly (3) shown would give monthly (2) away.
    assert question.group("weekly").answers is None  # type: ignore[union-attr]
    assert question.group("monthly").answers is None  # type: ignore[union-attr]


def test_two_tabs_answering_at_once_give_one_response(committing_engine: Engine) -> None:
    with unit_of_work(committing_engine) as session:
        org = make_survey_org(session)
        survey_id = _pulse(session, org)
        person_id = org.lead_a.id
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def submit() -> None:
        start.wait()
        try:
            with unit_of_work(committing_engine) as session:
                person = session.get(Person, person_id)
                assert person is not None
                _answer(session, person, survey_id)
            outcomes.append("answered")
        except ValidationError as refused:
            outcomes.append(str(refused))
        except Busy:
            outcomes.append("busy")

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["You have answered this survey already; thank you.", "answered"]
    with unit_of_work(committing_engine) as session:
        responses = session.exec(
            select(SurveyResponse.response_id).where(col(SurveyResponse.survey_id) == survey_id)
        ).all()
    assert len(responses) == 1


def _set_closing_day(session: Session, survey_id: int, closes_on: date) -> None:
    survey = session.get(Survey, survey_id)
    assert survey is not None
    survey.closes_on = closes_on
    session.add(survey)
    session.flush()


def test_a_survey_past_its_closing_day_takes_no_answers_and_asks_hr_to_close_it(
    session: Session,
) -> None:
    org = make_survey_org(session)
    hr = actor_for(session, org.hr)
    survey_id = _pulse(session, org)
    today = date.today()
    _set_closing_day(session, survey_id, today - timedelta(days=1))
    lead = actor_for(session, org.lead_a)
    assert queries.list_my_surveys(session, actor=lead) == []
    assert not [
        t for t in list_todos(session=session, actor=lead, today=today) if t.module == "surveys"
    ]
    with pytest.raises(NotFound, match="closed on"):
        queries.get_survey_form(session, actor=lead, survey_id=survey_id)
    with pytest.raises(ValidationError, match="closed on"):
        _answer(session, org.lead_a, survey_id)
    assert session.exec(select(SurveyResponse)).all() == []
    invitation = session.exec(
        select(SurveyInvitation).where(SurveyInvitation.person_id == org.lead_a.id)
    ).one()
    assert invitation.answered is False
    to_close = [
        t for t in list_todos(session=session, actor=hr, today=today) if t.kind == "surveys.close"
    ]
    assert [(t.page, dict(t.query)) for t in to_close] == [("surveys", {"survey": str(survey_id)})]
    assert [t.kind for t in list_todos(session=session, actor=lead, today=today)].count(
        "surveys.close"
    ) == 0
    # The closing day itself still takes answers.
    _set_closing_day(session, survey_id, today)
    _answer(session, org.lead_a, survey_id)
    assert len(session.exec(select(SurveyResponse)).all()) == 1
    assert not [
        t for t in list_todos(session=session, actor=hr, today=today) if t.kind == "surveys.close"
    ]


def test_a_survey_whose_closing_day_has_passed_cannot_be_opened(session: Session) -> None:
    org = make_survey_org(session)
    hr = actor_for(session, org.hr)
    made = sc.create_survey(session, actor=hr, kind=SurveyKind.pulse, audience=sc.Audience())
    _set_closing_day(session, made.id, date.today() - timedelta(days=2))
    with pytest.raises(ValidationError, match="has passed"):
        sc.open_survey(session, actor=hr, survey_id=made.id, version=_version(session, made.id))
    assert session.exec(select(SurveyInvitation)).all() == []
    assert _status(session, made.id) == "draft"


def test_only_one_round_of_a_pulse_is_open_at_a_time(session: Session) -> None:
    org = make_survey_org(session)
    hr = actor_for(session, org.hr)
    first = _pulse(session, org)
    second = sc.create_next_round(session, actor=hr, survey_id=first)
    with pytest.raises(ValidationError, match="Round 1 of this pulse is still open"):
        sc.open_survey(session, actor=hr, survey_id=second.id, version=second.version)
    assert _status(session, second.id) == "draft"
    sc.close_survey(session, actor=hr, survey_id=first, version=_version(session, first))
    sc.open_survey(session, actor=hr, survey_id=second.id, version=_version(session, second.id))
    assert _status(session, second.id) == "open"


def _status(session: Session, survey_id: int) -> str:
    survey = session.get(Survey, survey_id)
    assert survey is not None
    session.refresh(survey)
    return survey.status


def test_a_tag_outside_the_limit_is_left_off_and_the_answer_still_counts(
    session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    org = make_survey_org(session)

    def wordy(_session: Session, *, person_id: int, on: date) -> dict[str, str]:
        return {"experiment:9": "x" * (segments.MAX_TAG + 1), "experiment:10": "weekly"}

    segments.register_segmenter(wordy)
    try:
        survey_id = _pulse(session, org)
        _answer(session, org.lead_a, survey_id)
    finally:
        segments.unregister_segmenter(wordy)
    assert len(session.exec(select(SurveyResponse)).all()) == 1
    assert session.exec(select(SurveyResponseTag.key, SurveyResponseTag.value)).all() == [
        ("experiment:10", "weekly")
    ]
    assert "Segment tag left off" in caplog.text
