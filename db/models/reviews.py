"""360-degree reviews.

Who rates (`ReviewRater`) is stored apart from what was answered
(`ReviewResponse`, `ReviewAnswer`): a response carries only its review, its
relationship group and a random id — no rater, no time and no sequential
key — so not even the order of answering links an answer to a person. The
rater row keeps only whether that rater has answered (to stop a second
answer and to list pending work).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Column, Field, SQLModel, Text

from db.models.base import utcnow


class Review(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    subject_id: int = Field(foreign_key="person.id", index=True)
    launched_by_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    due_on: date
    # draft (raters being chosen) → collecting (answers open) → closed (report released)
    status: str = Field(default="draft", max_length=20, index=True)
    threshold: int = Field(default=3)
    raters_approved_by_id: int | None = Field(default=None, foreign_key="person.id")
    raters_approved_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None


class ReviewQuestion(SQLModel, table=True):
    """The questions, fixed at launch: a competency of the subject's role (a
    rating on its scale and a comment) or an open question (comment only)."""

    __table_args__ = (UniqueConstraint("review_id", "key", name="uq_reviewquestion_key"),)

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    key: str = Field(max_length=40)
    text: str = Field(max_length=300)
    competency_id: int | None = Field(default=None, foreign_key="competency.id")
    scale_id: int | None = Field(default=None, foreign_key="scale.id")
    sort_order: int = Field(default=0)


class ReviewRater(SQLModel, table=True):
    """A person (or an external by name and e-mail) asked to answer, in a group."""

    __table_args__ = (UniqueConstraint("review_id", "person_id", name="uq_reviewrater_person"),)

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    group: str = Field(max_length=20)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    external_name: str | None = Field(default=None, max_length=200)
    external_email: str | None = Field(default=None, max_length=320)
    # Externals: only the SHA-256 of their single-use link's token.
    token_hash: str | None = Field(default=None, max_length=64, unique=True)
    token_expires_at: datetime | None = None
    answered: bool = Field(default=False)
    added_by_id: int | None = Field(default=None, foreign_key="person.id")


class ReviewResponse(SQLModel, table=True):
    """One submitted set of answers; deliberately without rater or time."""

    response_id: str = Field(primary_key=True, max_length=32)
    review_id: int = Field(foreign_key="review.id", index=True)
    group: str = Field(max_length=20)


class ReviewAnswer(SQLModel, table=True):
    response_id: str = Field(
        primary_key=True, max_length=32, foreign_key="reviewresponse.response_id"
    )
    question_key: str = Field(primary_key=True, max_length=40)
    # The rank on the question's scale (None: open question or "can't say").
    rating: int | None = None
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
