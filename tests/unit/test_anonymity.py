"""The shared minimum-group rules (core.anonymity), with one stateful
property test run against both builders that use them: the 360 report and
the survey results. Answers arrive in any order; at every step no shown
figure or comment list rests on an anonymous group under threshold, and no
total includes a hidden group (so none can be recovered by subtracting
shown figures)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from core import anonymity as shared
from core.reviews import anonymity as review
from core.surveys import rules as survey
from db.models import QuestionKind

RATED = ("c1", "c2")
OPEN = "strengths"


# --- the shared module's own rules ----------------------------------------------------


def test_a_total_adds_only_the_groups_shown() -> None:
    figures = shared.shown_figures(
        "q",
        {"a": [5, 5, 5], "b": [1, 1], "named": [3]},
        order=["a", "b", "named"],
        threshold=3,
        anonymous={"a", "b"},
        total="all",
    )
    assert [(f.who, dict(f.contributions)) for f in figures] == [
        ("a", {"a": 3}),
        ("named", {"named": 1}),
        ("all", {"a": 3, "named": 1}),
    ]


def test_comments_need_the_threshold_and_come_sorted() -> None:
    assert shared.shown_comments(["b", "a"], group="g", threshold=3, anonymous={"g"}) is None
    assert shared.shown_comments(["c", "a", "b", " "], group="g", threshold=3, anonymous={"g"}) == (
        "a",
        "b",
        "c",
    )
    assert shared.shown_comments(["b", "a"], group="m", threshold=3, anonymous={"g"}) == ("b", "a")


def test_the_threshold_is_never_below_three() -> None:
    assert shared.effective_threshold(1) == shared.MIN_THRESHOLD == 3
    assert shared.shown_count("g", 2, threshold=1, anonymous={"g"}) == 2  # as passed in…
    figures = shared.shown_figures("q", {"g": [1, 2]}, order=["g"], threshold=1, anonymous={"g"})
    assert figures == []  # …but figures always use at least three


def test_a_complement_under_threshold_is_widened() -> None:
    assert shared.suppress_complement({"a": 5, "b": 4}, threshold=3) == {"a", "b"}
    assert shared.suppress_complement({"a": 5, "b": 4, "c": 1}, threshold=3) == {"a"}
    assert shared.suppress_complement({"a": 3, "b": 3, "c": 2}, threshold=3) == {"b"}
    assert shared.suppress_complement({"a": 3, "c": 2}, threshold=3) == frozenset()
    assert shared.suppress_complement({"a": 6, "c": 3}, threshold=3) == {"a", "c"}


@given(sizes=st.dictionaries(st.sampled_from("abcdef"), st.integers(0, 8)), t=st.integers(3, 5))
def test_what_a_complement_leaves_hidden_is_none_or_enough(sizes: dict[str, int], t: int) -> None:
    # The partition's total is shown elsewhere only when it reaches the
    # threshold itself (it is made of shown units).
    assume(sum(sizes.values()) == 0 or sum(sizes.values()) >= t)
    shown = shared.suppress_complement(sizes, threshold=t)
    assert all(sizes[g] >= t for g in shown)
    hidden = sum(n for g, n in sizes.items() if g not in shown)
    assert hidden == 0 or hidden >= t


# --- one property test, two builders --------------------------------------------------


@dataclass(frozen=True)
class Given:
    response: str
    group: str
    question: str
    rating: int | None
    comment: str


@dataclass(frozen=True)
class Figure:
    question: str
    who: str
    contributions: dict[str, int]
    total: bool


@dataclass(frozen=True)
class Shown:
    figures: list[Figure]
    comments: list[tuple[str, str, int]]  # question, group, how many
    counts: dict[str, int | None]


@dataclass(frozen=True)
class Builder:
    name: str
    groups: tuple[str, ...]
    anonymous: frozenset[str]
    build: Callable[[list[Given], int], Shown]


def _review_build(answers: list[Given], threshold: int) -> Shown:
    report = review.shown_report(
        [
            review.Answer(a.response, review.Group(a.group), a.question, a.rating, a.comment)
            for a in answers
        ],
        threshold=threshold,
    )
    return Shown(
        figures=[
            Figure(s.question, s.who, dict(s.contributions), s.who == review.OTHERS)
            for s in report.scores
        ],
        comments=[(c.question, c.group.value, len(c.comments)) for c in report.comments],
        counts={g.value: n for g, n in report.response_counts.items()},
    )


UNITS = ("u1", "u2", "u3")
SURVEY_QUESTIONS = [
    *(survey.QuestionSpec(i, key, QuestionKind.rating.value, key) for i, key in enumerate(RATED)),
    survey.QuestionSpec(9, OPEN, QuestionKind.text.value, OPEN),
]


def _survey_rows(answers: list[Given]) -> list[survey.AnswerRow]:
    # A survey's question is a rating or a text: c1/c2 carry the rating, "strengths" the comment.
    return [
        survey.AnswerRow(
            a.response,
            a.group,
            a.question,
            a.rating if a.question in RATED else None,
            None,
            a.comment if a.question == OPEN else "",
        )
        for a in answers
    ]


def _survey_build(answers: list[Given], threshold: int) -> Shown:
    results = survey.question_results(
        SURVEY_QUESTIONS,
        _survey_rows(answers),
        groups=[(u, u) for u in UNITS],
        threshold=threshold,
    )
    figures: list[Figure] = []
    comments: list[tuple[str, str, int]] = []
    for question in results:
        for group in question.groups:
            if group.figure is not None:
                figures.append(Figure(question.key, group.group, dict(group.contributions), False))
            if group.shown and question.kind == QuestionKind.text.value:
                comments.append((question.key, group.group, len(group.comments)))
        if question.overall is not None:
            figures.append(
                Figure(question.key, survey.OVERALL, dict(question.overall.contributions), True)
            )
    return Shown(figures, comments, {})


BUILDERS = (
    Builder(
        "360 report",
        tuple(g.value for g in review.Group),
        frozenset(g.value for g in review.ANONYMOUS),
        _review_build,
    ),
    Builder("survey results", UNITS, frozenset(UNITS), _survey_build),
)


def machine_for(builder: Builder) -> type[RuleBasedStateMachine]:
    class AnswersInAnyOrder(RuleBasedStateMachine):
        """Raters of every group join and answer in any order."""

        def __init__(self) -> None:
            super().__init__()
            self.answers: list[Given] = []
            self.raters: list[tuple[str, str]] = []
            self.answered: set[str] = set()
            self.threshold = shared.MIN_THRESHOLD
            self.ids = itertools.count()

        @initialize(threshold=st.integers(shared.MIN_THRESHOLD, 6))
        def choose_threshold(self, threshold: int) -> None:
            self.threshold = threshold

        @rule(group=st.sampled_from(builder.groups))
        def add_rater(self, group: str) -> None:
            self.raters.append((f"r{next(self.ids)}", group))

        @rule(
            pick=st.integers(0, 10_000),
            ratings=st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=2, max_size=2),
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
                [*RATED, OPEN], [*ratings, None], comments, strict=True
            ):
                self.answers.append(Given(response, group, question, rating, comment))

        def _given(self, question: str, group: str) -> tuple[int, int]:
            mine = [a for a in self.answers if a.question == question and a.group == group]
            return (
                sum(a.rating is not None for a in mine),
                sum(bool(a.comment.strip()) for a in mine),
            )

        @invariant()
        def nothing_shown_rests_on_too_few(self) -> None:
            shown = builder.build(self.answers, self.threshold)
            alone = {(f.question, f.who) for f in shown.figures if not f.total}
            for figure in shown.figures:
                for who, n in figure.contributions.items():
                    assert n == self._given(figure.question, who)[0]
                    if who in builder.anonymous:
                        assert n >= self.threshold
                if figure.total:
                    # A total adds only groups shown on their own: nothing
                    # hidden can be found as a total minus the shown groups.
                    assert all((figure.question, who) in alone for who in figure.contributions)
            for question, group, count in shown.comments:
                if group in builder.anonymous:
                    assert count >= self.threshold
                    assert count == self._given(question, group)[1]
            for group, shown_count in shown.counts.items():
                if group in builder.anonymous and shown_count is not None:
                    assert shown_count >= self.threshold
            # A group under threshold for a question is in no figure of it at all.
            for figure in shown.figures:
                for group in builder.anonymous:
                    if self._given(figure.question, group)[0] < self.threshold:
                        assert group not in figure.contributions

    AnswersInAnyOrder.__name__ = f"AnswersInAnyOrder[{builder.name}]"
    return AnswersInAnyOrder


TestReviewReport = machine_for(BUILDERS[0]).TestCase
TestSurveyResults = machine_for(BUILDERS[1]).TestCase
TestReviewReport.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)
TestSurveyResults.settings = TestReviewReport.settings


# --- segments: the second partition of survey answers ---------------------------------


@given(
    answers=st.lists(
        st.tuples(st.sampled_from(UNITS), st.sampled_from(["", "weekly", "monthly", "none"])),
        max_size=40,
    ),
    threshold=st.integers(3, 5),
)
def test_segments_never_leave_a_small_part_to_subtraction(
    answers: list[tuple[str, str]], threshold: int
) -> None:
    """Per question, segments split only the shown units' answers (whose
    total the results page shows); what they leave out is none or enough."""
    rows = [survey.AnswerRow(f"r{i}", unit, "c1", 3) for i, (unit, _tag) in enumerate(answers)]
    spec = SURVEY_QUESTIONS[0]
    units = survey.shown_groups_of(spec, rows, order=list(UNITS), threshold=threshold)
    regrouped = [
        survey.AnswerRow(r.response_id, answers[i][1], "c1", 3)
        for i, r in enumerate(rows)
        if r.group in units
    ]
    kept = survey.segment_groups_shown(spec, regrouped, threshold=threshold)
    sizes = {v: sum(r.group == v for r in regrouped) for v in {r.group for r in regrouped}}
    assert all(sizes[v] >= threshold for v in kept)
    hidden = sum(n for v, n in sizes.items() if v not in kept)
    assert hidden == 0 or hidden >= threshold
