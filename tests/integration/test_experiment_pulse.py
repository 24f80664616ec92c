"""Pulse answers per arm: a respondent in a running experiment is tagged with
their arm when they answer (the surveys' segments contract), and the results
show each arm's answers only from the survey's threshold (at least 3)."""

from __future__ import annotations

import io
import uuid
from datetime import date, timedelta

from openpyxl import load_workbook
from sqlmodel import Session

from core.experiments import commands, queries
from core.experiments.pulse import experiment_segmenter, segment_key
from core.export import workbook_bytes
from core.surveys.segments import store_tags, tags_for
from db.models import (
    ExperimentCreate,
    OrgUnit,
    Person,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyQuestion,
    SurveyResponse,
)
from tests.factories import actor_for, make_person, make_unit

TODAY = date.today()


def _org(
    session: Session, size_a: int, size_b: int
) -> tuple[Person, OrgUnit, list[Person], list[Person]]:
    company = make_unit(session, name="Company", kind="company")
    unit_a = make_unit(session, name="Arm A unit", parent=company)
    unit_b = make_unit(session, name="Arm B unit", parent=company)
    boss = make_person(session, unit=company)
    hr = make_person(session, unit=company, manager=boss, hr=True)
    arm_a = [make_person(session, unit=unit_a, manager=boss) for _ in range(size_a)]
    arm_b = [make_person(session, unit=unit_b, manager=boss) for _ in range(size_b)]
    running = commands.create_experiment(
        session,
        actor=actor_for(session, hr),
        experiment_in=ExperimentCreate(
            name="Pulse",
            variant_a="weekly",
            variant_b="monthly",
            starts_on=TODAY - timedelta(days=10),
            ends_on=TODAY + timedelta(days=20),
            units_a=[unit_a.id or 0],
            units_b=[unit_b.id or 0],
        ),
    )
    assert running.id is not None
    commands.start_experiment(
        session, actor=actor_for(session, hr), experiment_id=running.id, version=running.version
    )
    return hr, company, arm_a, arm_b


def _answer(
    session: Session,
    *,
    survey: Survey,
    question: SurveyQuestion,
    unit: OrgUnit,
    person: Person,
    rating: int,
) -> None:
    """What a survey submit stores: the invitation marked, an anonymous
    response with the respondent's tags, the answer."""
    assert survey.id is not None
    assert question.id is not None
    assert unit.id is not None
    session.add(
        SurveyInvitation(
            survey_id=survey.id, person_id=person.id or 0, reporting_unit_id=unit.id, answered=True
        )
    )
    response_id = uuid.uuid4().hex
    session.add(
        SurveyResponse(response_id=response_id, survey_id=survey.id, reporting_unit_id=unit.id)
    )
    session.flush()
    store_tags(
        session, response_id=response_id, tags=tags_for(session, person_id=person.id or 0, on=TODAY)
    )
    session.add(SurveyAnswer(response_id=response_id, question_id=question.id, rating=rating))
    session.flush()


def _survey(session: Session) -> tuple[Survey, SurveyQuestion]:
    survey = Survey(title="Check-ins pulse", status="closed", threshold=3)
    session.add(survey)
    session.flush()
    question = SurveyQuestion(
        survey_id=survey.id or 0, key="useful", position=1, kind="rating", text="Check-ins help me"
    )
    session.add(question)
    session.flush()
    return survey, question


def test_the_segmenter_tags_a_member_with_their_arm_on_the_day(session: Session) -> None:
    _hr, _company, arm_a, arm_b = _org(session, 3, 3)
    tags = experiment_segmenter(session, person_id=arm_a[0].id or 0, on=TODAY)
    assert list(tags.values()) == ["A (Weekly)"]
    assert experiment_segmenter(session, person_id=arm_b[0].id or 0, on=TODAY).popitem()[1] == (
        "B (Monthly)"
    )
    # Outside the period, or not a member: no tag.
    assert (
        experiment_segmenter(session, person_id=arm_a[0].id or 0, on=TODAY + timedelta(days=60))
        == {}
    )
    assert experiment_segmenter(session, person_id=_hr.id or 0, on=TODAY) == {}


def test_pulse_answers_per_arm_from_three_answers(session: Session) -> None:
    hr, company, arm_a, arm_b = _org(session, 4, 3)
    survey, question = _survey(session)
    for person, rating in zip(arm_a, [4, 4, 5, 3], strict=True):
        _answer(
            session, survey=survey, question=question, unit=company, person=person, rating=rating
        )
    for person, rating in zip(arm_b, [2, 3, 1], strict=True):
        _answer(
            session, survey=survey, question=question, unit=company, person=person, rating=rating
        )
    experiment = queries.list_experiments(session, actor=actor_for(session, hr))[0]
    results = queries.get_experiment_results(
        session, actor=actor_for(session, hr), experiment_id=experiment.id
    )
    row = results.pulse.iloc[0]
    assert row["Question"] == "Check-ins help me"
    assert (row["A"], row["Answers A"]) == ("4.0 of 5", "4")
    assert (row["B"], row["Answers B"]) == ("2.0 of 5", "3")
    assert segment_key(experiment.id) == f"experiment:{experiment.id}"


def test_an_arm_under_three_answers_is_hidden(session: Session) -> None:
    hr, company, arm_a, arm_b = _org(session, 5, 2)
    survey, question = _survey(session)
    for person in arm_a:
        _answer(session, survey=survey, question=question, unit=company, person=person, rating=4)
    for person in arm_b:
        _answer(session, survey=survey, question=question, unit=company, person=person, rating=1)
    experiment = queries.list_experiments(session, actor=actor_for(session, hr))[0]
    results = queries.get_experiment_results(
        session, actor=actor_for(session, hr), experiment_id=experiment.id
    )
    row = results.pulse.iloc[0]
    assert row["B"] == "hidden (under 3 answers)"
    assert "1.0" not in " ".join(map(str, row.to_list()))


def test_the_download_carries_the_pulse_answers_as_shown(session: Session) -> None:
    hr, company, arm_a, arm_b = _org(session, 4, 3)
    survey, question = _survey(session)
    for person, rating in zip(arm_a, [4, 4, 5, 3], strict=True):
        _answer(
            session, survey=survey, question=question, unit=company, person=person, rating=rating
        )
    for person, rating in zip(arm_b, [1, 1, 2], strict=True):
        _answer(
            session, survey=survey, question=question, unit=company, person=person, rating=rating
        )
    experiment = queries.list_experiments(session, actor=actor_for(session, hr))[0]
    results = queries.get_experiment_results(
        session, actor=actor_for(session, hr), experiment_id=experiment.id
    )
    sheets = queries.results_workbook(results)
    assert list(sheets) == ["Results", "Pulse answers"]
    book = load_workbook(io.BytesIO(workbook_bytes(sheets)), read_only=True)
    rows = list(book["Pulse answers"].iter_rows(values_only=True))
    assert rows[0] == (
        "Question",
        "A (Weekly)",
        "B (Monthly)",
        "Answers in A (Weekly)",
        "Answers in B (Monthly)",
    )
    assert rows[1:] == [("Check-ins help me", "4.0 of 5", "1.3 of 5", "4", "3")]
    assert [list(r) for r in queries.pulse_answers_table(results).itertuples(index=False)] == [
        list(r) for r in rows[1:]
    ]
