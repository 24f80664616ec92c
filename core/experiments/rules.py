"""Pure rules of cadence experiments: assigning pairs to arms, the outcome
arithmetic per person, the bootstrap interval of a difference and the
plain-language verdict. No I/O.

Assignment. The pairs of a unit are sorted by the employee's id, shuffled
with `random.Random(seed)` and dealt out in turn, A, B, A, B…: the arms
differ by at most one pair, and the same people and seed give the same
assignment whatever order they came in.

Outcomes are figures per person over the experiment's period (its first day
to its last, both included); an arm's figure is the mean over its people,
and the difference is always B − A (arm B's figure minus arm A's):

- check-in adherence: check-ins held in the period out of those the arm's
  cadence made due (one on the first day, then one every interval), capped
  at one — a pair that met more often than asked is fully adherent, not more;
- days from a key-result update to the next touch: for each update of a key
  result on the person's goals, whole days until the person's next feedback
  (given or received) or held check-in on or after that day, within the
  period; the person's figure is the median of their updates' gaps (an update
  with no touch before the period ends is left out);
- goal progress: the mean progress of the person's goals at the period's end
  (each key result at its last value recorded by then);
- at-risk share: the share of those goals at risk at the period's end;
- feedback per month: feedback given or received in the period, per month
  of 30.44 days.
"""

from __future__ import annotations

import bisect
import enum
import random
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from core.checkins.rules import CADENCE_LABELS, Cadence, next_interval

DAYS_PER_MONTH = 30.44
# An arm with fewer people with a figure than this cannot tell a difference.
MIN_PEOPLE_PER_ARM = 5
RESAMPLES = 2000
CONFIDENCE = 0.95
# Pulse answers are shown per arm only from this many answers (core.surveys).
MIN_PULSE_ANSWERS = 3


class Arm(enum.StrEnum):
    a = "a"
    b = "b"


class Outcome(enum.StrEnum):
    adherence = "adherence"
    days_to_touch = "days_to_touch"
    goal_progress = "goal_progress"
    at_risk = "at_risk"
    feedback = "feedback"


@dataclass(frozen=True)
class OutcomeSpec:
    label: str
    unit: str  # how a value reads: "%", "days", "per month"
    higher_is_better: bool
    help: str


OUTCOMES: dict[Outcome, OutcomeSpec] = {
    Outcome.adherence: OutcomeSpec(
        "Check-in adherence",
        "%",
        True,
        "check-ins held out of those the arm's cadence made due in the period",
    ),
    Outcome.days_to_touch: OutcomeSpec(
        "Days from a key-result update to the next feedback or check-in",
        "days",
        False,
        "each person's median over their key-result updates in the period",
    ),
    Outcome.goal_progress: OutcomeSpec(
        "Goal progress", "%", True, "mean progress of the person's goals at the period's end"
    ),
    Outcome.at_risk: OutcomeSpec(
        "Goals at risk", "%", False, "share of the person's goals at risk at the period's end"
    ),
    Outcome.feedback: OutcomeSpec(
        "Feedback exchanged per month",
        "per month",
        True,
        "feedback the person gave or received in the period, per month",
    ),
}


def variant_label(cadence: str) -> str:
    return CADENCE_LABELS.get(cadence, cadence)


def arm_label(arm: Arm, cadence: str) -> str:
    """How an arm is named everywhere: "A (Weekly)"."""
    return f"{arm.value.upper()} ({variant_label(cadence)})"


# --- assignment ----------------------------------------------------------------


def assign_pairs(employee_ids: Iterable[int], *, seed: int) -> dict[int, Arm]:
    """Each employee's arm: sorted, shuffled with the seed, dealt A, B, A, B…"""
    ordered = sorted(set(employee_ids))
    random.Random(seed).shuffle(ordered)  # noqa: S311  (reproducible by design, not a secret)
    return {employee_id: (Arm.a, Arm.b)[index % 2] for index, employee_id in enumerate(ordered)}


# --- outcome arithmetic ----------------------------------------------------------


def period_days(starts_on: date, ends_on: date) -> int:
    """Days in the period, both ends included."""
    return (ends_on - starts_on).days + 1


def expected_check_ins(starts_on: date, ends_on: date, cadence: str) -> int:
    """How many check-ins the cadence makes due in the period: one on its
    first day and one every interval after it, up to its last day (weekly
    over 28 days: 4; monthly from 1 Oct to 31 Oct: 1, to 1 Nov: 2)."""
    if cadence == Cadence.none:
        return 0
    count = 0
    due: date | None = starts_on
    while due is not None and due <= ends_on:
        count += 1
        due = next_interval(due, cadence, anchor_day=starts_on.day)
    return count


def adherence_share(*, held: int, expected: int) -> float | None:
    """Held out of due, capped at 1 (None: nothing was due)."""
    if expected <= 0:
        return None
    return min(held, expected) / expected


def days_to_next_touch(updates: Iterable[date], touches: Iterable[date]) -> list[int]:
    """For each update day, whole days to the first touch on or after it
    (updates with no later touch are left out)."""
    ordered = sorted(touches)
    gaps = []
    for day in sorted(updates):
        index = bisect.bisect_left(ordered, day)
        if index < len(ordered):
            gaps.append((ordered[index] - day).days)
    return gaps


def median_or_none(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def per_month(count: int, *, starts_on: date, ends_on: date) -> float:
    return count / (period_days(starts_on, ends_on) / DAYS_PER_MONTH)


def mean_or_none(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


@dataclass(frozen=True)
class GoalAtEnd:
    """One of the person's goals at the period's end."""

    progress: float | None  # 0–100, None without key results
    at_risk: bool


@dataclass(frozen=True)
class PersonFacts:
    """What one person did in the period (days, both ends included)."""

    held: Sequence[date] = ()  # check-ins held
    feedback: Sequence[date] = ()  # feedback given or received
    updates: Sequence[date] = ()  # key-result updates on their goals
    goals: Sequence[GoalAtEnd] = ()


def person_outcomes(
    facts: PersonFacts, *, starts_on: date, ends_on: date, cadence: str
) -> dict[Outcome, float | None]:
    """The person's figure for each outcome (None: nothing to measure), on
    the scales shown: percentages 0–100, days, feedback per month."""
    expected = expected_check_ins(starts_on, ends_on, cadence)
    share = adherence_share(held=len(facts.held), expected=expected)
    touches = [*facts.held, *facts.feedback]
    at_risk = (
        sum(goal.at_risk for goal in facts.goals) / len(facts.goals) * 100 if facts.goals else None
    )
    return {
        Outcome.adherence: None if share is None else share * 100,
        Outcome.days_to_touch: median_or_none(
            [float(gap) for gap in days_to_next_touch(facts.updates, touches)]
        ),
        Outcome.goal_progress: mean_or_none(goal.progress for goal in facts.goals),
        Outcome.at_risk: at_risk,
        Outcome.feedback: per_month(len(facts.feedback), starts_on=starts_on, ends_on=ends_on),
    }


# --- comparison --------------------------------------------------------------------


def bootstrap_difference(
    a_values: Sequence[float],
    b_values: Sequence[float],
    *,
    seed: int,
    resamples: int = RESAMPLES,
    confidence: float = CONFIDENCE,
) -> tuple[float, float, float]:
    """The difference of means (B − A) and its percentile bootstrap interval:
    each resample draws both arms again with replacement (numpy's generator
    seeded with `seed`, so the same input gives the same interval)."""
    if not a_values or not b_values:
        raise ValueError("Both arms need at least one value.")
    a, b = np.asarray(a_values, dtype=float), np.asarray(b_values, dtype=float)
    difference = float(b.mean() - a.mean())
    rng = np.random.default_rng(seed)
    a_means = a[rng.integers(0, len(a), size=(resamples, len(a)))].mean(axis=1)
    b_means = b[rng.integers(0, len(b), size=(resamples, len(b)))].mean(axis=1)
    tail = (1.0 - confidence) / 2
    low, high = np.quantile(b_means - a_means, [tail, 1.0 - tail])
    return difference, float(low), float(high)


@dataclass(frozen=True)
class Verdict:
    winner: Arm | None
    caveat: str


def verdict(
    outcome: Outcome,
    *,
    people_a: int,
    people_b: int,
    low: float | None,
    high: float | None,
    label_a: str = "A",
    label_b: str = "B",
    minimum: int = MIN_PEOPLE_PER_ARM,
) -> Verdict:
    """A winner only when both arms have `minimum` people with a figure and
    the interval of B − A excludes 0; the side it falls on, read with the
    outcome's direction, names the winner."""
    if people_a < minimum or people_b < minimum:
        return Verdict(
            None,
            f"Too few people to tell: an arm needs at least {minimum} people with a figure "
            f"({label_a}: {people_a}, {label_b}: {people_b}).",
        )
    if low is None or high is None or low <= 0 <= high:
        return Verdict(
            None,
            "No clear difference: the interval includes no difference at all, "
            "so the arms may well do the same.",
        )
    b_higher = low > 0
    b_better = b_higher == OUTCOMES[outcome].higher_is_better
    winner, name = (Arm.b, label_b) if b_better else (Arm.a, label_a)
    return Verdict(winner, f"{name} does better: the whole interval is on its side.")


def arm_counts(arms: Mapping[int, Arm]) -> tuple[int, int]:
    values = list(arms.values())
    return values.count(Arm.a), values.count(Arm.b)
