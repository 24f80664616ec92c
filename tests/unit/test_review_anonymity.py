"""360 anonymity rules (pure), with a stateful test over every order of answers."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

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


class AnswersInAnyOrder(RuleBasedStateMachine):
    """Raters of every group join and answer in any order; at every step no
    shown figure or comment list rests on fewer answers than the threshold."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[Answer] = []
        self.raters: list[tuple[str, Group]] = []
        self.answered: set[str] = set()
        self.threshold = an.MIN_THRESHOLD
        self.ids = itertools.count()

    @initialize(threshold=st.integers(an.MIN_THRESHOLD, 6))
    def choose_threshold(self, threshold: int) -> None:
        self.threshold = threshold

    @rule(group=st.sampled_from(list(Group)))
    def add_rater(self, group: Group) -> None:
        self.raters.append((f"r{next(self.ids)}", group))

    @rule(
        pick=st.integers(0, 10_000),
        ratings=st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=3, max_size=3),
        comments=st.lists(st.sampled_from(["", "good", "more focus"]), min_size=3, max_size=3),
    )
    def answer(self, pick: int, ratings: list[int | None], comments: list[str]) -> None:
        waiting = [r for r in self.raters if r[0] not in self.answered]
        if not waiting:
            return
        rater, group = waiting[pick % len(waiting)]
        self.answered.add(rater)
        response = f"x{next(self.ids)}"  # answers never carry the rater
        for question, rating, comment in zip(
            ["c1", "c2", "strengths"], ratings, comments, strict=True
        ):
            self.answers.append(Answer(response, group, question, rating, comment))

    def _given(self, question: str, group: Group) -> tuple[int, int]:
        mine = [a for a in self.answers if a.question == question and a.group == group]
        return (
            sum(a.rating is not None for a in mine),
            sum(bool(a.comment.strip()) for a in mine),
        )

    @invariant()
    def nothing_shown_rests_on_too_few(self) -> None:
        report = an.shown_report(self.answers, threshold=self.threshold)
        for aggregate in report.scores:
            assert an.rests_on_enough(aggregate, threshold=self.threshold)
            for who, n in aggregate.contributions.items():
                assert n == self._given(aggregate.question, Group(who))[0]
            assert aggregate.n == sum(aggregate.contributions.values())
        for shown in report.comments:
            if shown.group in an.ANONYMOUS:
                assert len(shown.comments) >= self.threshold
                assert len(shown.comments) == self._given(shown.question, shown.group)[1]
        for group, count in report.response_counts.items():
            if group in an.ANONYMOUS and count is not None:
                assert count >= self.threshold
        # A group under threshold for a question is in no figure of it at all.
        for aggregate in report.scores:
            for group in an.ANONYMOUS:
                if self._given(aggregate.question, group)[0] < self.threshold:
                    assert group.value not in aggregate.contributions


TestAnswersInAnyOrder = AnswersInAnyOrder.TestCase
TestAnswersInAnyOrder.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)
