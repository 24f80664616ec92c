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
"""

from __future__ import annotations

import enum
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


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

MIN_THRESHOLD = 3
MAX_THRESHOLD = 20
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
class Aggregate:
    """One figure shown: the ratings of `who` (a group or OTHERS) on a question."""

    question: str
    who: str
    n: int
    mean: float
    low: int
    high: int
    std: float
    contributions: Mapping[str, int] = field(default_factory=dict)


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
    if group in ANONYMOUS and responses < threshold:
        return None
    return responses


def _aggregate(question: str, who: str, parts: Mapping[str, list[int]]) -> Aggregate:
    values = [v for ratings in parts.values() for v in ratings]
    mean = sum(values) / len(values)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    return Aggregate(
        question=question,
        who=who,
        n=len(values),
        mean=mean,
        low=min(values),
        high=max(values),
        std=std,
        contributions={group: len(ratings) for group, ratings in parts.items()},
    )


def shown_report(answers: Iterable[Answer], *, threshold: int) -> ShownReport:
    """The aggregates, comments and counts that may be shown (rules above)."""
    threshold = max(threshold, MIN_THRESHOLD)
    respondents: dict[Group, set[str]] = defaultdict(set)
    ratings: dict[tuple[str, Group], list[int]] = defaultdict(list)
    comments: dict[tuple[str, Group], list[str]] = defaultdict(list)
    questions: list[str] = []
    for answer in answers:
        group = Group(answer.group)
        respondents[group].add(answer.response_id)
        if answer.question not in questions:
            questions.append(answer.question)
        if answer.rating is not None:
            ratings[(answer.question, group)].append(answer.rating)
        text = (answer.comment or "").strip()
        if text:
            comments[(answer.question, group)].append(text)

    counts = {g: shown_response_count(g, len(respondents[g]), threshold=threshold) for g in Group}
    groups_shown = frozenset(
        g for g in Group if respondents[g] and (g not in ANONYMOUS or counts[g] is not None)
    )

    def rated_enough(question: str, group: Group) -> bool:
        given = ratings.get((question, group), [])
        if not given:
            return False
        return group not in ANONYMOUS or (group in groups_shown and len(given) >= threshold)

    scores: list[Aggregate] = []
    for question in questions:
        others: dict[str, list[int]] = {}
        for group in GROUP_ORDER:
            if not rated_enough(question, group):
                continue
            given = ratings[(question, group)]
            scores.append(_aggregate(question, group.value, {group.value: given}))
            if group is not Group.self_:
                others[group.value] = given
        if others:
            scores.append(_aggregate(question, OTHERS, others))

    shown_comments: list[CommentList] = []
    for question in questions:
        for group in GROUP_ORDER:
            texts = comments.get((question, group), [])
            if not texts or (group in ANONYMOUS and len(texts) < threshold):
                continue
            # Sorted: the order of answers must not hint at who wrote which.
            ordered = tuple(sorted(texts)) if group in ANONYMOUS else tuple(texts)
            shown_comments.append(CommentList(question, group, ordered))
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
    return all(
        n >= threshold for who, n in aggregate.contributions.items() if is_anonymous(Group(who))
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
