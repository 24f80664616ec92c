"""Rollout surveys: prioritisation surveys and recurring process pulses.

Who was asked (`SurveyInvitation`) is stored apart from what was answered
(`SurveyResponse`, `SurveyAnswer`, `SurveyResponseTag`), as for 360 reviews:
a response carries its survey, the reporting unit its answers are shown
under and a random id — no person, no time and no sequential key — so
neither a join nor the order of answering links an answer to a person.
The invitation keeps only whether its person has answered (one answer per
person, the response rate and the Home to-do); it has no link to the
response and no answer time.

The reporting unit is fixed on the invitation when the survey opens, so
every view of a survey partitions its answers the same way (a figure for a
unit and one for its parent would let a hidden unit be found by
subtraction).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Column, Field, SQLModel, Text

from db.models.base import Versioned, utcnow


class SurveyKind(enum.StrEnum):
    prioritisation = "prioritisation"  # which practices matter most
    pulse = "pulse"  # how a practice works, after a trial; recurs in rounds


class SurveyStatus(enum.StrEnum):
    draft = "draft"  # questions and audience editable; threshold may be raised
    open = "open"  # invitations sent, answers accepted; threshold locked
    closed = "closed"  # no more answers; results final


class QuestionKind(enum.StrEnum):
    rating = "rating"  # 1 (strongly disagree / not at all) … 5
    choice = "choice"  # one of `options`
    text = "text"  # a free-text comment


class SurveyBase(SQLModel):
    kind: str = Field(default=SurveyKind.pulse.value, max_length=20)
    title: str = Field(max_length=200)
    intro: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # Who it goes to, in words (e.g. "Product & Technology, Commercial").
    audience: str = Field(default="", max_length=500)
    # The org-unit level answers are reported under: division / department / team.
    report_by: str = Field(default="division", max_length=20)
    opens_on: date | None = None
    closes_on: date | None = None
    threshold: int = Field(default=3)


class Survey(Versioned, SurveyBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(default=SurveyStatus.draft.value, max_length=20, index=True)
    # The rounds of one pulse share a series (the first round's id) and count up.
    series_id: int | None = Field(default=None, index=True)
    round: int = Field(default=1)
    # The audience as chosen (JSON: unit ids, managers, senior leaders), for the next round.
    audience_spec: str = Field(
        default="{}", sa_column=Column(Text, nullable=False, server_default="{}")
    )
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    version: int = Field(default=1)


class SurveyRead(SurveyBase):
    id: int
    status: str
    series_id: int | None
    round: int
    version: int


class SurveyQuestion(SQLModel, table=True):
    """An ordered question; `key` stays the same across a pulse's rounds so
    answers can be compared over time."""

    __table_args__ = (UniqueConstraint("survey_id", "key", name="uq_surveyquestion_key"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    key: str = Field(max_length=40)
    position: int
    kind: str = Field(default=QuestionKind.rating.value, max_length=20)
    text: str = Field(max_length=300)
    # Choice questions: the options, one a line.
    options: str = Field(default="", max_length=1000)


class SurveyInvitation(SQLModel, table=True):
    """A person asked to answer: deliberately without a link to the answer
    or the time of answering."""

    __table_args__ = (
        UniqueConstraint("survey_id", "person_id", name="uq_surveyinvitation_person"),
    )

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    reporting_unit_id: int = Field(foreign_key="orgunit.id", index=True)
    answered: bool = Field(default=False)


class SurveyResponse(SQLModel, table=True):
    """One submitted set of answers; deliberately without person or time."""

    response_id: str = Field(primary_key=True, max_length=32)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    reporting_unit_id: int = Field(foreign_key="orgunit.id", index=True)


class SurveyAnswer(SQLModel, table=True):
    response_id: str = Field(
        primary_key=True, max_length=32, foreign_key="surveyresponse.response_id"
    )
    question_id: int = Field(primary_key=True, foreign_key="surveyquestion.id")
    rating: int | None = None
    choice: str | None = Field(default=None, max_length=200)
    text: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class SurveyResponseTag(SQLModel, table=True):
    """A segment a respondent was in when answering (see core.surveys.segments),
    e.g. key "experiment:7", value "weekly"."""

    response_id: str = Field(
        primary_key=True, max_length=32, foreign_key="surveyresponse.response_id"
    )
    key: str = Field(primary_key=True, max_length=60)
    value: str = Field(max_length=60)
