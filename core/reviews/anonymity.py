"""360 anonymity, as pure rules on plain values (no I/O).

Raters answer in relationship *groups*: the subject (self), the manager
(named and labelled), and three anonymous groups — peers, direct reports and
externals. Everything a report shows is built here, from answers that carry
only their group and a random response id, never a rater:

- an anonymous group's ratings of a question are shown (and counted into any
  aggregate) only when at least `threshold` of its raters rated that
  question; a group under its threshold is left out of EVERY aggregate shown,
  "all others" included, so its ratings cannot be recovered by subtracting
  one shown figure from another;
- an anonymous group's comments on a question are shown only when it left at
  least `threshold` comments there (in a fixed order that says nothing of who
  answered first);
- how many of an anonymous group have answered is shown to the subject and
  the manager only once the count reaches the threshold;
- the threshold is at least `MIN_THRESHOLD` (HR may raise it, never lower it
  below that) and is locked once the review opens for answers.

Every displayed aggregate carries the groups it rests on (`contributions`),
so tests can assert that none rests on an anonymous group under threshold.
The group-generic rules live in `core.anonymity`, shared with surveys; this
module names the 360 groups and builds the report from them.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from core import anonymity as shared
from core.anonymity import MAX_THRESHOLD, MIN_THRESHOLD, Aggregate

__all__ = ["MAX_THRESHOLD", "MIN_THRESHOLD", "Aggregate"]


class Group(enum.StrEnum):
    self_ = "self"
    manager = "manager"
    peer = "peer"
    direct_report = "direct_report"
    external = "external"


ANONYMOUS: frozenset[Group] = frozenset({Group.peer, Group.direct_report, Group.external})
GROUP_LABELS: dict[Group, str] = {
    Group.self_: "Self",
    Group.manager: "Manager",
    Group.peer: "Peers",
    Group.direct_report: "Direct reports",
    Group.external: "Externals",
}
GROUP_ORDER: tuple[Group, ...] = (
    Group.self_,
    Group.manager,
    Group.peer,
    Group.direct_report,
    Group.external,
)
OTHERS = "others"
OTHERS_LABEL = "All others"

# Self rated at least this many levels above (below) the others' mean: a blind
# spot (a hidden strength).
BLIND_SPOT_MARGIN = 1.0


class ReviewStatus(enum.StrEnum):
    draft = "draft"  # raters being chosen; threshold may still be raised
    collecting = "collecting"  # answers open; threshold locked
    closed = "closed"  # report released


def is_anonymous(group: Group | str) -> bool:
    return Group(group) in ANONYMOUS


def threshold_locked(status: ReviewStatus | str) -> bool:
    """The threshold can change only while raters are being chosen."""
    return ReviewStatus(status) is not ReviewStatus.draft


def threshold_problem(new: int, *, status: ReviewStatus | str) -> str | None:
    """Why `new` cannot be the review's threshold now, or None when it can."""
    if threshold_locked(status):
        return "The anonymity threshold is locked once the review is open for answers."
    if new < MIN_THRESHOLD:
        return f"The anonymity threshold cannot be lower than {MIN_THRESHOLD}."
    if new > MAX_THRESHOLD:
        return f"The anonymity threshold can be at most {MAX_THRESHOLD}."
    return None


def report_released(status: ReviewStatus | str) -> bool:
    return ReviewStatus(status) is ReviewStatus.closed


@dataclass(frozen=True)
class Answer:
    """One rater's answer to one question: a rank on the question's scale
    (None for open questions or "can't say") and a comment."""

    response_id: str
    group: Group
    question: str
    rating: int | None = None
    comment: str = ""


@dataclass(frozen=True)
class CommentList:
    question: str
    group: Group
    comments: tuple[str, ...]


@dataclass(frozen=True)
class ShownReport:
    """Everything the subject and the manager may see of a review's answers."""

    threshold: int
    scores: tuple[Aggregate, ...]
    comments: tuple[CommentList, ...]
    response_counts: Mapping[Group, int | None]
    groups_shown: frozenset[Group]

    def score(self, question: str, who: str) -> Aggregate | None:
        for aggregate in self.scores:
            if aggregate.question == question and aggregate.who == who:
                return aggregate
        return None


def shown_response_count(group: Group, responses: int, *, threshold: int) -> int | None:
    """What the subject and manager may read of how many answered: anonymous
    groups only once the count reaches the threshold."""
    return shared.shown_count(group.value, responses, threshold=threshold, anonymous=_ANON)


_ANON: frozenset[str] = frozenset(g.value for g in ANONYMOUS)


def shown_report(answers: Iterable[Answer], *, threshold: int) -> ShownReport:
    """The aggregates, comments and counts that may be shown (rules above)."""
    threshold = shared.effective_threshold(threshold)
    respondents: dict[Group, set[str]] = defaultdict(set)
    ratings: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    comments: dict[tuple[str, Group], list[str]] = defaultdict(list)
    questions: list[str] = []
    for answer in answers:
        group = Group(answer.group)
        respondents[group].add(answer.response_id)
        if answer.question not in questions:
            questions.append(answer.question)
        if answer.rating is not None:
            ratings[answer.question][group.value].append(answer.rating)
        text = (answer.comment or "").strip()
        if text:
            comments[(answer.question, group)].append(text)

    counts = {g: shown_response_count(g, len(respondents[g]), threshold=threshold) for g in Group}
    groups_shown = frozenset(
        g for g in Group if respondents[g] and (g not in ANONYMOUS or counts[g] is not None)
    )

    scores: list[Aggregate] = []
    for question in questions:
        scores.extend(
            shared.shown_figures(
                question,
                ratings.get(question, {}),
                order=[g.value for g in GROUP_ORDER],
                threshold=threshold,
                anonymous=_ANON,
                total=OTHERS,
                in_total=lambda who: who != Group.self_.value,
                eligible={g.value for g in groups_shown},
            )
        )

    shown_comments: list[CommentList] = []
    for question in questions:
        for group in GROUP_ORDER:
            texts = comments.get((question, group), [])
            shown = shared.shown_comments(
                texts, group=group.value, threshold=threshold, anonymous=_ANON
            )
            if shown is not None:
                shown_comments.append(CommentList(question, group, shown))
    return ShownReport(
        threshold=threshold,
        scores=tuple(scores),
        comments=tuple(shown_comments),
        response_counts=counts,
        groups_shown=groups_shown,
    )


def groups_too_small(invited: Mapping[Group, int], *, threshold: int) -> list[Group]:
    """Anonymous groups asked with fewer raters than the threshold: their
    answers could never be shown (worth adding raters before approval)."""
    return [g for g in GROUP_ORDER if g in ANONYMOUS and 0 < invited.get(g, 0) < max(threshold, 1)]


def rests_on_enough(aggregate: Aggregate, *, threshold: int) -> bool:
    """No anonymous group behind this figure has fewer than `threshold` ratings."""
    return shared.rests_on_enough(
        aggregate, threshold=threshold, is_anonymous=lambda who: is_anonymous(Group(who))
    )


def blind_spot(self_mean: float | None, others_mean: float | None) -> str:
    """ "blind spot" when self is well above others, "hidden strength" when well below."""
    if self_mean is None or others_mean is None:
        return ""
    if self_mean - others_mean >= BLIND_SPOT_MARGIN:
        return "blind spot"
    if others_mean - self_mean >= BLIND_SPOT_MARGIN:
        return "hidden strength"
    return ""


def nearest_rank(mean: float, ranks: Iterable[int]) -> int | None:
    """The scale rank a mean rating rounds to (half up), for the current-level rule."""
    available = sorted(set(ranks))
    if not available:
        return None
    return min(available, key=lambda rank: (abs(rank - mean), -rank))
