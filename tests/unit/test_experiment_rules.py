"""Cadence experiments' pure rules: assignment from a seed, the outcome
arithmetic against hand-computed figures, the bootstrap and the verdict."""

from __future__ import annotations

import statistics
from datetime import date, timedelta

import pytest

from core.experiments import rules
from core.experiments.rules import Arm, GoalAtEnd, Outcome, PersonFacts

START = date(2026, 9, 1)


def test_assignment_is_reproducible_from_the_seed_whatever_the_input_order() -> None:
    ids = list(range(100, 141))
    first = rules.assign_pairs(ids, seed=42)
    assert rules.assign_pairs(reversed(ids), seed=42) == first
    assert rules.assign_pairs([*ids, *ids[:5]], seed=42) == first  # duplicates ignored
    assert rules.assign_pairs(ids, seed=43) != first


def test_assignment_is_balanced_and_covers_everyone() -> None:
    for size in (1, 2, 7, 40, 41):
        arms = rules.assign_pairs(range(size), seed=size)
        a, b = rules.arm_counts(arms)
        assert set(arms) == set(range(size))
        assert a + b == size
        assert a - b in (0, 1)


def test_assignment_is_not_just_the_id_order() -> None:
    arms = rules.assign_pairs(range(20), seed=1)
    alternating = {i: (Arm.a, Arm.b)[i % 2] for i in range(20)}
    assert arms != alternating


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "cadence", "expected"),
    [
        (date(2026, 9, 1), date(2026, 9, 28), "weekly", 4),
        (date(2026, 9, 1), date(2026, 9, 22), "weekly", 4),
        (date(2026, 9, 1), date(2026, 9, 21), "weekly", 3),
        (date(2026, 9, 1), date(2026, 9, 28), "biweekly", 2),
        (date(2026, 10, 1), date(2026, 11, 30), "monthly", 2),
        (date(2026, 10, 1), date(2026, 10, 31), "monthly", 1),
        (date(2026, 1, 31), date(2026, 3, 30), "monthly", 2),  # 28 Feb, then 31 Mar
        (date(2026, 9, 1), date(2026, 12, 31), "none", 0),
    ],
)
def test_check_ins_are_due_on_the_first_day_and_every_interval_after(
    starts_on: date, ends_on: date, cadence: str, expected: int
) -> None:
    assert rules.expected_check_ins(starts_on, ends_on, cadence) == expected


def test_adherence_is_held_out_of_due_capped_at_one() -> None:
    assert rules.adherence_share(held=3, expected=4) == 0.75
    assert rules.adherence_share(held=6, expected=4) == 1.0
    assert rules.adherence_share(held=2, expected=0) is None


def test_days_to_the_next_touch_count_from_each_update() -> None:
    updates = [date(2026, 9, 2), date(2026, 9, 10), date(2026, 9, 20)]
    touches = [date(2026, 9, 5), date(2026, 9, 10), date(2026, 9, 1)]
    # 2 Sep → 5 Sep: 3; 10 Sep → same day: 0; 20 Sep: no later touch, left out.
    assert rules.days_to_next_touch(updates, touches) == [3, 0]


def test_a_person_outcomes_match_the_hand_computed_figures() -> None:
    ends = START + timedelta(days=27)  # 28 days: 4 weekly check-ins due
    facts = PersonFacts(
        held=[date(2026, 9, 3), date(2026, 9, 10), date(2026, 9, 24)],
        feedback=[date(2026, 9, 4), date(2026, 9, 15)],
        updates=[date(2026, 9, 1), date(2026, 9, 9), date(2026, 9, 12), date(2026, 9, 27)],
        goals=[
            GoalAtEnd(progress=40.0, at_risk=True),
            GoalAtEnd(progress=80.0, at_risk=False),
            GoalAtEnd(progress=None, at_risk=False),
        ],
    )
    figures = rules.person_outcomes(facts, starts_on=START, ends_on=ends, cadence="weekly")
    assert figures[Outcome.adherence] == pytest.approx(75.0)  # 3 of 4
    # 1 Sep → 3 Sep: 2; 9 → 10: 1; 12 → 15: 3; 27 Sep: none. Median of 2, 1, 3.
    assert figures[Outcome.days_to_touch] == 2.0
    assert figures[Outcome.goal_progress] == pytest.approx(60.0)  # (40 + 80) / 2
    assert figures[Outcome.at_risk] == pytest.approx(100 / 3)  # 1 of 3 goals
    assert figures[Outcome.feedback] == pytest.approx(2 / (28 / 30.44))


def test_a_person_with_nothing_has_no_figures_but_feedback_zero() -> None:
    figures = rules.person_outcomes(
        PersonFacts(), starts_on=START, ends_on=START + timedelta(days=30), cadence="monthly"
    )
    assert figures[Outcome.adherence] == 0.0  # two were due (1 Sep, 1 Oct), none held
    assert figures[Outcome.days_to_touch] is None
    assert figures[Outcome.goal_progress] is None
    assert figures[Outcome.at_risk] is None
    assert figures[Outcome.feedback] == 0.0


def test_bootstrap_is_deterministic_with_a_seed() -> None:
    a = [1.3, 2.7, 3.1, 4.9, 5.2, 6.8, 2.2, 0.4]
    b = [3.6, 4.1, 5.9, 6.3, 8.7, 2.5, 7.7, 5.05]
    first = rules.bootstrap_difference(a, b, seed=7)
    assert rules.bootstrap_difference(a, b, seed=7) == first
    assert rules.bootstrap_difference(a, b, seed=8) != first


def test_bootstrap_difference_is_b_minus_a_and_its_interval_covers_it() -> None:
    a = [10.0, 12.0, 11.0, 9.0, 13.0, 10.0, 12.0, 11.0]  # mean 11
    b = [14.0, 15.0, 13.0, 16.0, 14.0, 15.0, 13.0, 16.0]  # mean 14.5
    difference, low, high = rules.bootstrap_difference(a, b, seed=1)
    assert difference == pytest.approx(3.5)
    assert low < 3.5 < high
    # Both arms spread about ±1.3: the interval is well away from 0 and not wider than ±2.
    assert low > 1.5
    assert high < 5.5


def test_bootstrap_covers_the_true_difference_of_a_known_population() -> None:
    # Values drawn evenly from two populations whose means differ by exactly 2.
    a = [float(v) for v in range(0, 21)]  # mean 10
    b = [float(v) + 2 for v in range(0, 21)]  # mean 12
    difference, low, high = rules.bootstrap_difference(a, b, seed=3)
    assert difference == pytest.approx(2.0)
    assert low < 2.0 < high
    assert low < 0 < high  # 21 people each spread over 0–20: too noisy to tell


def test_identical_arms_give_a_zero_width_interval_at_zero() -> None:
    assert rules.bootstrap_difference([2.0] * 6, [2.0] * 6, seed=0) == (0.0, 0.0, 0.0)


def test_bootstrap_needs_values_in_both_arms() -> None:
    with pytest.raises(ValueError, match="Both arms"):
        rules.bootstrap_difference([], [1.0], seed=0)


def test_the_verdict_names_a_winner_only_when_the_interval_excludes_zero() -> None:
    enough = {"people_a": 12, "people_b": 11}
    higher_b = rules.verdict(Outcome.adherence, low=2.0, high=9.0, **enough)
    assert higher_b.winner == Arm.b
    # Fewer days to the next touch is better: B's lower figure wins.
    lower_b = rules.verdict(Outcome.days_to_touch, low=-4.0, high=-1.0, **enough)
    assert lower_b.winner == Arm.b
    lower_b_progress = rules.verdict(Outcome.goal_progress, low=-4.0, high=-1.0, **enough)
    assert lower_b_progress.winner == Arm.a
    spans = rules.verdict(Outcome.adherence, low=-1.0, high=3.0, **enough)
    assert spans.winner is None
    assert spans.caveat.startswith("No clear difference")


def test_too_few_people_is_said_before_any_difference() -> None:
    small = rules.verdict(Outcome.adherence, people_a=4, people_b=20, low=5.0, high=9.0)
    assert small.winner is None
    assert small.caveat.startswith("Too few people to tell")
    assert "A: 4, B: 20" in small.caveat


def test_median_helper_agrees_with_statistics() -> None:
    values = [3.0, 1.0, 4.0, 1.0, 5.0]
    assert rules.median_or_none(values) == statistics.median(values)
    assert rules.median_or_none([]) is None
