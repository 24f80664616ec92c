"""Who reads a feedback item, and which texts are accepted (no database)."""

from __future__ import annotations

import pytest

from core.access import (
    Actor,
    Relation,
    can_answer_feedback_request,
    can_give_feedback,
    can_request_feedback_about,
    can_view_feedback,
)
from core.errors import ValidationError
from core.feedback import rules
from core.feedback.rules import Viewer, may_see

GIVER, RECEIVER, OTHER = 1, 2, 3


def _actor(person_id: int, *, hr: bool = False, manager: bool = False) -> Actor:
    return Actor(person_id, f"u{person_id}", f"P {person_id}", is_hr_admin=hr, is_manager=manager)


# Every visibility against every way of standing to the item.
EXPECTED = {
    # (visibility, viewer): may see
    ("private", "giver"): True,
    ("private", "receiver"): True,
    ("private", "manager"): False,
    ("private", "other"): False,
    ("managers", "giver"): True,
    ("managers", "receiver"): True,
    ("managers", "manager"): True,
    ("managers", "other"): False,
    ("public", "giver"): True,
    ("public", "receiver"): True,
    ("public", "manager"): True,
    ("public", "other"): True,
}
VIEWERS = {
    "giver": Viewer(is_giver=True),
    "receiver": Viewer(is_receiver=True),
    "manager": Viewer(manages_receiver=True),
    "other": Viewer(),
}


@pytest.mark.parametrize(("visibility", "viewer"), sorted(EXPECTED))
def test_visibility_table(visibility: str, viewer: str) -> None:
    assert may_see(visibility, VIEWERS[viewer]) is EXPECTED[(visibility, viewer)]


def test_an_unknown_visibility_is_private() -> None:
    assert not may_see("everyone!", Viewer(manages_receiver=True))
    assert may_see("everyone!", Viewer(is_receiver=True))


def test_nobody_signed_out_reads_public_feedback() -> None:
    assert not may_see("public", Viewer(signed_in=False))


@pytest.mark.parametrize("visibility", rules.VISIBILITIES)
def test_hr_reads_only_what_the_visibility_gives_everyone(visibility: str) -> None:
    hr = _actor(OTHER, hr=True, manager=True)
    seen = can_view_feedback(
        hr, visibility=visibility, giver_id=GIVER, receiver_id=RECEIVER, relation=Relation.other
    )
    assert seen is (visibility == "public")


@pytest.mark.parametrize(
    ("relation", "seen"),
    [
        (Relation.direct_report, True),
        (Relation.indirect_report, True),
        (Relation.other, False),
    ],
)
def test_managers_up_the_chain_read_what_is_shared_with_managers(
    relation: Relation, seen: bool
) -> None:
    manager = _actor(OTHER, manager=True)
    assert (
        can_view_feedback(
            manager, visibility="managers", giver_id=GIVER, receiver_id=RECEIVER, relation=relation
        )
        is seen
    )
    assert not can_view_feedback(
        manager, visibility="private", giver_id=GIVER, receiver_id=RECEIVER, relation=relation
    )


def test_giver_and_receiver_always_read_it() -> None:
    for person in (GIVER, RECEIVER):
        assert can_view_feedback(
            _actor(person),
            visibility="private",
            giver_id=GIVER,
            receiver_id=RECEIVER,
            relation=Relation.self_ if person == RECEIVER else Relation.other,
        )


def test_feedback_goes_to_others_only() -> None:
    assert can_give_feedback(_actor(GIVER), Relation.other)
    assert can_give_feedback(_actor(GIVER), Relation.direct_report)
    assert not can_give_feedback(_actor(GIVER), Relation.self_)


@pytest.mark.parametrize(
    ("relation", "allowed"),
    [
        (Relation.self_, True),
        (Relation.direct_report, True),
        (Relation.indirect_report, True),
        (Relation.other, False),
    ],
)
def test_requests_are_about_yourself_or_your_reports(relation: Relation, allowed: bool) -> None:
    assert can_request_feedback_about(_actor(GIVER, manager=True), relation) is allowed
    # HR is no exception.
    assert can_request_feedback_about(_actor(GIVER, hr=True), relation) is allowed


def test_only_the_person_asked_answers() -> None:
    assert can_answer_feedback_request(_actor(GIVER), asked_id=GIVER)
    assert not can_answer_feedback_request(_actor(OTHER, hr=True), asked_id=GIVER)


@pytest.mark.parametrize("text", ["![x](//h/i)", "=1+1", "<script>alert(1)</script>", "@SUM(A1)"])
def test_odd_text_is_kept_as_typed(text: str) -> None:
    assert rules.check_feedback_text(f"  {text}\n") == text


def test_control_characters_are_dropped_but_lines_kept() -> None:
    assert rules.check_feedback_text("a\x00b\x1b\nc\td") == "ab\nc\td"


def test_blank_text_is_refused() -> None:
    with pytest.raises(ValidationError, match="Write the feedback"):
        rules.check_feedback_text(" \n\t\x00")


def test_text_over_the_limit_is_refused_with_its_length() -> None:
    assert len(rules.check_feedback_text("x" * rules.MAX_FEEDBACK_CHARS)) == 4_000
    with pytest.raises(ValidationError, match=r"100,000 characters long; at most 4,000"):
        rules.check_feedback_text("x" * 100_000)
    with pytest.raises(ValidationError, match="question"):
        rules.check_question("?" * (rules.MAX_QUESTION_CHARS + 1))


def test_kind_and_visibility_must_be_known() -> None:
    with pytest.raises(ValidationError):
        rules.check_kind("rant")
    with pytest.raises(ValidationError):
        rules.check_visibility("hr only")


def test_an_answer_to_a_managers_request_must_reach_the_managers() -> None:
    assert rules.answer_visibilities(requested_by_manager=True) == ("managers", "public")
    assert rules.answer_visibilities(requested_by_manager=False) == rules.VISIBILITIES
    with pytest.raises(ValidationError, match="managers"):
        rules.check_visibility("private", must_reach_managers=True)
    assert rules.check_visibility("public", must_reach_managers=True) == "public"
