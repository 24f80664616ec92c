"""Minimum-group anonymity, shared by 360 reviews and surveys (pure, no I/O).

Answers arrive in *groups* keyed by any string (a 360 relationship group, a
survey's reporting unit, an experiment arm). Some groups are anonymous;
for those:

- a group's ratings of a question are shown, and counted into any total,
  only when at least `threshold` of its members rated that question; a group
  under its threshold is left out of EVERY figure shown, totals included, so
  its ratings cannot be recovered by subtracting one shown figure from
  another;
- a group's comments on a question are shown only when it left at least
  `threshold` of them there, sorted, so their order says nothing of who
  answered first;
- how many of a group answered is shown only from the threshold on;
- the threshold is never below `MIN_THRESHOLD`.

Every figure carries the groups it rests on (`contributions`), so tests can
assert that none rests on an anonymous group under threshold.

`suppress_complement` adds the second rule a *second partition* of answers
needs (survey segments): when a total over a set of answers is shown
elsewhere, the hidden part of that set must be empty or itself reach the
threshold, or the total minus the shown parts gives it away.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

MIN_THRESHOLD = 3
MAX_THRESHOLD = 20


def effective_threshold(threshold: int) -> int:
    """A threshold passed in below the minimum is raised to it."""
    return max(threshold, MIN_THRESHOLD)


@dataclass(frozen=True)
class Aggregate:
    """One figure shown: the ratings of `who` (a group or a total) on a question."""

    question: str
    who: str
    n: int
    mean: float
    low: int
    high: int
    std: float
    contributions: Mapping[str, int] = field(default_factory=dict)


def aggregate(question: str, who: str, parts: Mapping[str, Sequence[int]]) -> Aggregate:
    """The figure over `parts` (group -> ratings); `parts` must not be empty."""
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


def shown_count(
    group: str, responses: int, *, threshold: int, anonymous: Container[str]
) -> int | None:
    """How many of `group` answered, as it may be read: anonymous groups only
    once the count reaches the threshold."""
    if group in anonymous and responses < threshold:
        return None
    return responses


def enough(given: int, *, group: str, threshold: int, anonymous: Container[str]) -> bool:
    """Whether `given` ratings (or comments) of `group` may be shown."""
    return given > 0 and (group not in anonymous or given >= threshold)


def shown_figures(
    question: str,
    ratings: Mapping[str, Sequence[int]],
    *,
    order: Iterable[str],
    threshold: int,
    anonymous: Container[str],
    total: str | None = None,
    in_total: Callable[[str], bool] = lambda _group: True,
    eligible: Container[str] | None = None,
) -> list[Aggregate]:
    """A question's figures: one per group in `order` whose ratings may be
    shown (and which is `eligible`, when given), then `total` over the shown
    groups for which `in_total` holds — never over a hidden group."""
    threshold = effective_threshold(threshold)
    figures: list[Aggregate] = []
    parts: dict[str, Sequence[int]] = {}
    for group in order:
        given = ratings.get(group, ())
        if eligible is not None and group not in eligible:
            continue
        if not enough(len(given), group=group, threshold=threshold, anonymous=anonymous):
            continue
        figures.append(aggregate(question, group, {group: given}))
        if in_total(group):
            parts[group] = given
    if total is not None and parts:
        figures.append(aggregate(question, total, parts))
    return figures


def shown_comments(
    texts: Sequence[str], *, group: str, threshold: int, anonymous: Container[str]
) -> tuple[str, ...] | None:
    """A group's comments on a question as they may be shown, or None: an
    anonymous group's only from the threshold on, and sorted."""
    kept = [t.strip() for t in texts if t and t.strip()]
    threshold = effective_threshold(threshold)
    if not enough(len(kept), group=group, threshold=threshold, anonymous=anonymous):
        return None
    return tuple(sorted(kept)) if group in anonymous else tuple(kept)


def rests_on_enough(
    figure: Aggregate, *, threshold: int, is_anonymous: Callable[[str], bool]
) -> bool:
    """No anonymous group behind this figure has fewer than `threshold` ratings."""
    return all(n >= threshold for who, n in figure.contributions.items() if is_anonymous(who))


def suppress_complement(sizes: Mapping[str, int], *, threshold: int) -> frozenset[str]:
    """Which groups of a partition to show when the partition's total is
    shown elsewhere: those of at least `threshold`, less the smallest of them
    while the hidden ones together hold between 1 and threshold - 1 (they
    could be found as the total minus the shown)."""
    threshold = effective_threshold(threshold)
    shown = {g for g, n in sizes.items() if n >= threshold}
    hidden = sum(n for g, n in sizes.items() if g not in shown)
    # Smallest first, then by name, so the choice does not depend on input order.
    for group in sorted(shown, key=lambda g: (sizes[g], g)):
        if hidden == 0 or hidden >= threshold:
            break
        shown.discard(group)
        hidden += sizes[group]
    return frozenset(shown)
