"""Pure rules of continuous feedback: who reads an item, and what text is accepted.

Feedback is named, never anonymous. Its giver and its receiver always read
it; beyond them `visibility` decides:

- private: nobody else (not the receiver's managers, not HR);
- managers: the receiver's managers up the reporting line;
- public: everyone in the organisation.

HR has no right of its own here: an HR admin reads what the visibility
gives every person in their position, nothing more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import ValidationError
from db.models import FeedbackKind, FeedbackVisibility

KINDS: tuple[str, ...] = tuple(k.value for k in FeedbackKind)
VISIBILITIES: tuple[str, ...] = tuple(v.value for v in FeedbackVisibility)
# For answers to a manager's request about their report: the manager asked,
# so the answer must reach them.
VISIBILITIES_WITH_MANAGERS: tuple[str, ...] = (
    FeedbackVisibility.managers.value,
    FeedbackVisibility.public.value,
)

VISIBILITY_LABELS: dict[str, str] = {
    FeedbackVisibility.private.value: "Only the receiver",
    FeedbackVisibility.managers.value: "The receiver and their managers",
    FeedbackVisibility.public.value: "Everyone in the organisation",
}
KIND_LABELS: dict[str, str] = {
    FeedbackKind.praise.value: "Praise",
    FeedbackKind.constructive.value: "Constructive",
    FeedbackKind.coaching.value: "Coaching",
}

MAX_FEEDBACK_CHARS = 4_000
MAX_QUESTION_CHARS = 1_000
MAX_ASKED_AT_ONCE = 20
# Control characters other than tab and line breaks are dropped.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Viewer:
    """How the viewer stands to one feedback item."""

    is_giver: bool = False
    is_receiver: bool = False
    manages_receiver: bool = False  # a manager of the receiver, up the chain
    signed_in: bool = True


def may_see(visibility: str, viewer: Viewer) -> bool:
    """Whether `viewer` may read an item of this visibility. An unknown
    visibility is treated as private."""
    if viewer.is_giver or viewer.is_receiver:
        return True
    if visibility == FeedbackVisibility.public.value:
        return viewer.signed_in
    if visibility == FeedbackVisibility.managers.value:
        return viewer.manages_receiver
    return False


def visible_to_managers(visibility: str) -> bool:
    return visibility in VISIBILITIES_WITH_MANAGERS


def clean_text(text: str, *, what: str, limit: int) -> str:
    """Text as stored: control characters dropped, outer blanks stripped;
    refused when empty or longer than `limit` characters. Markdown, HTML and
    formulas are kept as typed (pages render text literally, exports escape)."""
    cleaned = _CONTROL_CHARS.sub("", text or "").strip()
    if not cleaned:
        raise ValidationError(f"Write the {what} first.")
    if len(cleaned) > limit:
        raise ValidationError(
            f"The {what} is {len(cleaned):,} characters long; at most {limit:,} are allowed."
        )
    return cleaned


def check_feedback_text(text: str) -> str:
    return clean_text(text, what="feedback", limit=MAX_FEEDBACK_CHARS)


def check_question(text: str) -> str:
    return clean_text(text, what="question", limit=MAX_QUESTION_CHARS)


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValidationError("Choose praise, constructive or coaching.")
    return kind


def check_visibility(visibility: str, *, must_reach_managers: bool = False) -> str:
    if visibility not in VISIBILITIES:
        raise ValidationError("Choose who may read the feedback.")
    if must_reach_managers and not visible_to_managers(visibility):
        raise ValidationError(
            "A manager asked for this feedback: share it at least with the "
            "receiver and their managers."
        )
    return visibility


def answer_visibilities(*, requested_by_manager: bool) -> tuple[str, ...]:
    """The visibilities an answer to a request may have."""
    return VISIBILITIES_WITH_MANAGERS if requested_by_manager else VISIBILITIES
