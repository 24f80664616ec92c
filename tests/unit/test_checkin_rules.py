"""Cadences, due dates, overdue, streaks, carry-forward and adherence (pure)."""

from datetime import date

import pytest

from core.checkins import rules
from core.checkins.rules import ActionState, HeldCheckIn


def test_weekly_and_biweekly_intervals() -> None:
    assert rules.next_interval(date(2026, 12, 28), "weekly") == date(2027, 1, 4)
    assert rules.next_interval(date(2026, 12, 28), "biweekly") == date(2027, 1, 11)


def test_monthly_keeps_the_day_and_clamps_to_month_ends() -> None:
    assert rules.next_interval(date(2026, 1, 31), "monthly") == date(2026, 2, 28)
    assert rules.next_interval(date(2028, 1, 31), "monthly") == date(2028, 2, 29)
    # The anchor day brings a month-end pair back to the 31st.
    assert rules.next_interval(date(2026, 2, 28), "monthly", anchor_day=31) == date(2026, 3, 31)
    assert rules.next_interval(date(2026, 12, 15), "monthly") == date(2027, 1, 15)


def test_add_months_across_years() -> None:
    assert rules.add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert rules.add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)


def test_cadence_none_has_no_due_date() -> None:
    assert rules.next_interval(date(2026, 1, 1), "none") is None
    assert (
        rules.next_due_on(cadence="none", last_held_on=date(2026, 1, 1), starts_on=date(2026, 1, 1))
        is None
    )
    assert not rules.is_overdue(None, today=date(2026, 1, 1))


def test_first_check_in_is_due_on_the_start_date() -> None:
    assert rules.next_due_on(
        cadence="weekly", last_held_on=None, starts_on=date(2026, 12, 1)
    ) == date(2026, 12, 1)


def test_a_missed_check_in_stays_due_and_is_overdue() -> None:
    due = rules.next_due_on(
        cadence="weekly", last_held_on=date(2026, 11, 2), starts_on=date(2026, 1, 1)
    )
    assert due == date(2026, 11, 9)
    today = date(2026, 11, 30)
    assert rules.is_overdue(due, today=today)
    assert rules.days_overdue(due, today=today) == 21
    assert not rules.is_overdue(due, today=date(2026, 11, 9))


def test_pair_cadence_overrides_unit_default() -> None:
    assert rules.effective_cadence("weekly", "monthly") == "weekly"
    assert rules.effective_cadence(None, "monthly") == "monthly"
    assert rules.effective_cadence(None, None) == rules.DEFAULT_CADENCE
    assert rules.effective_cadence("none", "weekly") == "none"
    with pytest.raises(ValueError, match="Unknown cadence"):
        rules.effective_cadence("daily", None)


def test_on_time_within_grace() -> None:
    due = date(2026, 11, 9)
    assert rules.held_on_time(due_on=due, held_on=date(2026, 11, 11))
    assert not rules.held_on_time(due_on=due, held_on=date(2026, 11, 12))
    assert rules.held_on_time(due_on=None, held_on=date(2026, 11, 12))


def test_streak_counts_latest_on_time_run() -> None:
    held = [
        HeldCheckIn(date(2026, 10, 1), date(2026, 10, 10)),  # late
        HeldCheckIn(date(2026, 10, 17), date(2026, 10, 17)),
        HeldCheckIn(date(2026, 10, 24), date(2026, 10, 25)),
        HeldCheckIn(date(2026, 10, 31), date(2026, 10, 31)),
    ]
    assert rules.on_time_streak(held) == 3
    assert rules.on_time_streak(held, next_due=date(2026, 11, 7), today=date(2026, 11, 9)) == 3
    # Overdue past the grace days: the streak is broken.
    assert rules.on_time_streak(held, next_due=date(2026, 11, 7), today=date(2026, 11, 10)) == 0
    assert rules.on_time_streak([]) == 0


def test_manager_change_keeps_the_pairs_history_for_the_cadence() -> None:
    # The pair is the person: a new manager continues from the last held date.
    last = date(2026, 11, 20)
    assert rules.next_due_on(cadence="biweekly", last_held_on=last, starts_on=date(2026, 1, 1)) == (
        date(2026, 12, 4)
    )


def test_open_actions_carry_forward_until_done() -> None:
    actions = [
        ActionState(id=1, check_in_id=10, done=False),
        ActionState(id=2, check_in_id=10, done=True),
        ActionState(id=3, check_in_id=11, done=False),
        ActionState(id=4, check_in_id=12, done=False),  # this check-in's own
    ]
    assert rules.carried_forward(actions, earlier_check_in_ids=[10, 11]) == [1, 3]
    assert rules.carried_forward(actions, earlier_check_in_ids=[]) == []


def test_adherence_share_and_median() -> None:
    held = [
        HeldCheckIn(date(2026, 10, 1), date(2026, 10, 1)),
        HeldCheckIn(date(2026, 10, 15), date(2026, 10, 20)),  # late
        HeldCheckIn(date(2026, 11, 3), date(2026, 11, 3)),
    ]
    figures = rules.adherence(held, overdue=True)
    assert (figures.held, figures.on_time, figures.missed) == (3, 2, 1)
    assert figures.on_time_share == 0.5
    assert figures.median_days_between == 16.5
    empty = rules.adherence([])
    assert empty.on_time_share is None
    assert empty.median_days_between is None


def test_combined_adherence_takes_the_median_of_all_gaps() -> None:
    a = rules.adherence(
        [HeldCheckIn(None, date(2026, 10, 1)), HeldCheckIn(None, date(2026, 10, 8))]
    )
    b = rules.adherence([HeldCheckIn(None, date(2026, 10, 1))], overdue=True)
    gaps = [*rules.gaps_between([date(2026, 10, 1), date(2026, 10, 8)]), 30.0]
    total = rules.combine([a, b], gaps)
    assert (total.held, total.on_time, total.missed) == (3, 3, 1)
    assert total.on_time_share == 0.75
    assert total.median_days_between == 18.5


def test_histogram_median_matches_the_median_of_the_values() -> None:
    import statistics

    cases = [{7.0: 3, 14.0: 1}, {7.0: 2, 14.0: 2}, {30.0: 1}, {1.0: 1, 2.0: 1, 9.0: 5}]
    for counts in cases:
        values = [v for v, n in counts.items() for _ in range(n)]
        assert rules.histogram_median(counts) == statistics.median(values)
    assert rules.histogram_median({}) is None
