"""360 anonymity rules (pure); the stateful property test is in test_anonymity.py."""

from __future__ import annotations

import pytest

from core.reviews import anonymity as an
from core.reviews.anonymity import Answer, Group

Q1, Q2 = "c1", "c2"


def _answers(group: Group, count: int, *, rating: int = 3, comment: str = "ok") -> list[Answer]:
    return [
        Answer(f"{group}-{i}", group, question, rating, f"{comment} {i}")
        for i in range(count)
        for question in (Q1, Q2)
    ]


def test_a_group_under_threshold_is_left_out_of_every_aggregate() -> None:
    answers = [
        *_answers(Group.self_, 1, rating=5),
        *_answers(Group.manager, 1, rating=2),
        *_answers(Group.peer, 2, rating=1),
        *_answers(Group.direct_report, 3, rating=4),
    ]
    report = an.shown_report(answers, threshold=3)
    assert report.score(Q1, Group.peer.value) is None
    others = report.score(Q1, an.OTHERS)
    assert others is not None
    assert dict(others.contributions) == {"manager": 1, "direct_report": 3}
    assert others.mean == pytest.approx((2 + 4 * 3) / 4)
    assert Group.peer not in report.groups_shown
    assert report.response_counts[Group.peer] is None
    assert report.response_counts[Group.direct_report] == 3
    assert {c.group for c in report.comments} == {Group.self_, Group.manager, Group.direct_report}


def test_comments_need_their_own_threshold() -> None:
    answers = [Answer(f"p{i}", Group.peer, Q1, 3, "said" if i < 2 else "") for i in range(3)]
    report = an.shown_report(answers, threshold=3)
    assert report.score(Q1, Group.peer.value) is not None
    assert report.comments == ()


def test_anonymous_comments_come_in_an_order_that_says_nothing() -> None:
    answers = [Answer(f"p{i}", Group.peer, Q1, None, text) for i, text in enumerate("cab")]
    (shown,) = an.shown_report(answers, threshold=3).comments
    assert shown.comments == ("a", "b", "c")


def test_ratings_skipped_by_some_raters_count_per_question() -> None:
    answers = [Answer(f"p{i}", Group.peer, Q1, 3 if i < 2 else None) for i in range(3)]
    report = an.shown_report(answers, threshold=3)
    assert Group.peer in report.groups_shown
    assert report.score(Q1, Group.peer.value) is None
    assert report.score(Q1, an.OTHERS) is None


def test_threshold_cannot_go_below_three_or_change_once_open() -> None:
    assert an.threshold_problem(3, status="draft") is None
    assert an.threshold_problem(5, status="draft") is None
    assert an.threshold_problem(2, status="draft") is not None
    assert an.threshold_problem(5, status="collecting") is not None
    assert an.threshold_problem(5, status="closed") is not None
    # A lower threshold passed in is raised to the minimum.
    answers = _answers(Group.peer, 2)
    assert an.shown_report(answers, threshold=1).score(Q1, Group.peer.value) is None


def test_manager_and_self_are_shown_alone_and_labelled() -> None:
    answers = [*_answers(Group.manager, 1, rating=2), *_answers(Group.self_, 1, rating=4)]
    report = an.shown_report(answers, threshold=3)
    assert report.score(Q1, "manager") is not None
    assert report.score(Q1, "self") is not None
    others = report.score(Q1, an.OTHERS)
    assert others is not None
    assert dict(others.contributions) == {"manager": 1}


def test_blind_spots_and_nearest_rank() -> None:
    assert an.blind_spot(4, 2.5) == "blind spot"
    assert an.blind_spot(2, 3.5) == "hidden strength"
    assert an.blind_spot(3, 3.4) == ""
    assert an.blind_spot(None, 3) == ""
    assert an.nearest_rank(2.5, [1, 2, 3]) == 3
    assert an.nearest_rank(2.4, [1, 2, 3]) == 2
    assert an.nearest_rank(9, [1, 2, 3]) == 3
    assert an.nearest_rank(2, []) is None


def test_groups_asked_too_few_raters_are_flagged() -> None:
    invited = {Group.self_: 1, Group.manager: 1, Group.peer: 2, Group.direct_report: 3}
    assert an.groups_too_small(invited, threshold=3) == [Group.peer]
    assert an.groups_too_small(invited, threshold=4) == [Group.peer, Group.direct_report]


def test_response_counts_only_from_the_threshold() -> None:
    assert an.shown_response_count(Group.peer, 2, threshold=3) is None
    assert an.shown_response_count(Group.peer, 3, threshold=3) == 3
    assert an.shown_response_count(Group.manager, 1, threshold=3) == 1


# The stateful property test over every order of answers is shared with
# surveys: tests/unit/test_anonymity.py runs it against this report too.
