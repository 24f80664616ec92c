"""Continuous feedback: feedback given to anyone, and requests for it.

`Feedback` is named (never anonymous): the giver, the receiver, its kind and
who may read it (`visibility`, decided in core.feedback.rules). A
`FeedbackRequest` is one question asked of one person about a subject (the
requester themselves, or a manager's report); it is answered by a
`Feedback` row or declined.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Column, Field, SQLModel, Text

from db.models.base import utcnow


class FeedbackKind(enum.StrEnum):
    praise = "praise"
    constructive = "constructive"
    coaching = "coaching"


class FeedbackVisibility(enum.StrEnum):
    """Who reads a feedback item besides its giver and receiver."""

    private = "private"  # the receiver only
    managers = "managers"  # the receiver and their managers up the chain
    public = "public"  # everyone in the organisation


class FeedbackRequestStatus(enum.StrEnum):
    open = "open"
    answered = "answered"
    declined = "declined"


class FeedbackBase(SQLModel):
    receiver_id: int = Field(foreign_key="person.id", index=True)
    kind: str = Field(default=FeedbackKind.praise.value, max_length=20)
    text: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    visibility: str = Field(default=FeedbackVisibility.private.value, max_length=20)
    goal_id: int | None = Field(default=None, foreign_key="goal.id", index=True)
    competency_id: int | None = Field(default=None, foreign_key="competency.id", index=True)


class Feedback(FeedbackBase, table=True):
    # The public feed reads the newest public items: one ordered index scan.
    __table_args__ = (Index("ix_feedback_visibility_created_at", "visibility", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    giver_id: int = Field(foreign_key="person.id", index=True)
    # The request this answers, if any.
    request_id: int | None = Field(default=None, foreign_key="feedbackrequest.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)


class FeedbackCreate(FeedbackBase):
    pass


class FeedbackRead(FeedbackBase):
    id: int
    giver_id: int
    request_id: int | None
    created_at: datetime


class FeedbackRequest(SQLModel, table=True):
    """One asked person per row: several people asked at once make several rows."""

    id: int | None = Field(default=None, primary_key=True)
    requester_id: int = Field(foreign_key="person.id", index=True)
    # Whom the feedback is about: the requester, or one of their reports.
    subject_id: int = Field(foreign_key="person.id", index=True)
    asked_id: int = Field(foreign_key="person.id", index=True)
    question: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    status: str = Field(default=FeedbackRequestStatus.open.value, max_length=20, index=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    closed_at: datetime | None = None


class FeedbackRequestRead(SQLModel):
    id: int
    requester_id: int
    subject_id: int
    asked_id: int
    question: str
    status: str
    created_at: datetime
    closed_at: datetime | None
