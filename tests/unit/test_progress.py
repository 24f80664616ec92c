"""OKR progress math: key results, goals, roll-up and the at-risk/stale rules."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from core.access import Actor, Relation, can_edit_goal, can_view_goal
from core.goals.rules import (
    STALE_AFTER,
    GoalNode,
    WeightedProgress,
    elapsed_share,
    format_value,
    goal_progress,
    is_at_risk,
    is_stale,
    key_result_progress,
    progress_bucket,
    quarter_of,
    roll_up,
)
from core.org import units_managed

values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
metrics = st.sampled_from(["number", "percent", "currency", "boolean"])


@given(start=values, target=values, current=values, metric=metrics)
def test_key_result_progress_stays_in_range(
    start: float, target: float, current: float, metric: str
) -> None:
    assert (
        0.0
        <= key_result_progress(start=start, target=target, current=current, metric=metric)
        <= 100.0
    )


@given(start=values, target=values, low=values, high=values)
def test_progress_moves_monotonically_with_the_current_value(
    start: float, target: float, low: float, high: float
) -> None:
    assume(low <= high)
    before = key_result_progress(start=start, target=target, current=low, metric="number")
    after = key_result_progress(start=start, target=target, current=high, metric="number")
    if target >= start:
        assert after >= before
    else:  # a decreasing target: a higher value is less progress
        assert after <= before


@given(start=values, target=values)
def test_start_is_zero_and_target_is_full_progress(start: float, target: float) -> None:
    assume(start != target)
    assert key_result_progress(start=start, target=target, current=start, metric="number") == 0
    assert key_result_progress(start=start, target=target, current=target, metric="number") == 100


@pytest.mark.parametrize(
    ("start", "target", "current", "expected"),
    [
        (0, 100, 25, 25.0),
        (10, 20, 15, 50.0),
        (8, 5, 6.5, 50.0),  # churn 8 % → 5 %: half-way at 6.5 %
        (8, 5, 9, 0.0),  # got worse: clipped at 0
        (8, 5, 4, 100.0),  # beat the target: clipped at 100
        (0, 10, 12, 100.0),
        (5, 5, 5, 100.0),
        (5, 5, 4, 0.0),
    ],
)
def test_key_result_examples(start: float, target: float, current: float, expected: float) -> None:
    assert key_result_progress(start=start, target=target, current=current, metric="number") == (
        pytest.approx(expected)
    )


def test_boolean_key_results_are_all_or_nothing() -> None:
    assert key_result_progress(start=0, target=1, current=0, metric="boolean") == 0
    assert key_result_progress(start=0, target=1, current=1, metric="boolean") == 100
    assert key_result_progress(start=0, target=1, current=0.4, metric="boolean") == 0


def test_goal_progress_is_weighted() -> None:
    assert goal_progress([]) is None
    assert goal_progress([WeightedProgress(100, 3), WeightedProgress(0, 1)]) == 75
    # Zero weights everywhere fall back to the plain mean.
    assert goal_progress([WeightedProgress(100, 0), WeightedProgress(0, 0)]) == 50
    # A zero weight next to a real one counts as nothing.
    assert goal_progress([WeightedProgress(100, 0), WeightedProgress(40, 2)]) == 40


@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0, 100)), min_size=1, max_size=10))
def test_goal_progress_stays_between_its_key_results(pairs: list[tuple[float, float]]) -> None:
    result = goal_progress([WeightedProgress(p, w) for p, w in pairs])
    assert result is not None
    assert min(p for p, _ in pairs) - 1e-9 <= result <= max(p for p, _ in pairs) + 1e-9


def test_roll_up_blends_own_progress_and_children_half_each() -> None:
    nodes = [
        GoalNode(1, None, None),  # company objective without key results
        GoalNode(2, 1, 40.0),  # team goal
        GoalNode(3, 2, 100.0),
        GoalNode(4, 2, 60.0),
        GoalNode(5, 2, 0.0, status="cancelled"),  # left out
        GoalNode(6, 2, None, status="draft"),  # left out
        GoalNode(7, 1, 20.0),
    ]
    result = roll_up(nodes)
    assert result[3] == 100
    assert result[2] == pytest.approx(0.5 * 40 + 0.5 * 80)
    assert result[1] == pytest.approx((60 + 20) / 2)
    assert result[6] is None


def test_roll_up_handles_deep_trees_and_loops() -> None:
    deep = [GoalNode(i, i - 1 if i > 1 else None, 50.0) for i in range(1, 3000)]
    assert roll_up(deep)[1] == pytest.approx(50.0)
    looped = roll_up([GoalNode(1, 2, 10.0), GoalNode(2, 1, 30.0)])
    assert set(looped) == {1, 2}


@given(
    st.lists(st.floats(0, 100), min_size=1, max_size=20),
    st.one_of(st.none(), st.floats(0, 100)),
)
def test_roll_up_stays_in_range(children: list[float], own: float | None) -> None:
    nodes = [GoalNode(0, None, own)] + [GoalNode(i + 1, 0, p) for i, p in enumerate(children)]
    value = roll_up(nodes)[0]
    assert value is not None
    assert 0 <= value <= 100


def test_stale_after_three_weeks_of_silence() -> None:
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    assert not is_stale(status="active", last_activity=now - timedelta(days=20), now=now)
    assert is_stale(status="active", last_activity=now - STALE_AFTER - timedelta(hours=1), now=now)
    assert not is_stale(status="completed", last_activity=now - timedelta(days=60), now=now)


def test_at_risk_rules() -> None:
    assert is_at_risk(status="active", progress=90, elapsed=0.5, confidences=["at risk"])
    assert is_at_risk(status="active", progress=10, elapsed=0.6)  # 10 < 60 - 25
    assert not is_at_risk(status="active", progress=40, elapsed=0.6)
    assert not is_at_risk(status="active", progress=0, elapsed=0.2)  # too early to judge
    assert not is_at_risk(status="completed", progress=0, elapsed=1, confidences=["off track"])


def test_cycle_helpers() -> None:
    assert quarter_of(date(2026, 11, 23)) == ("Q4 2026", date(2026, 10, 1), date(2026, 12, 31))
    assert quarter_of(date(2027, 2, 1)) == ("Q1 2027", date(2027, 1, 1), date(2027, 3, 31))
    assert (
        elapsed_share(
            starts_on=date(2026, 10, 1), ends_on=date(2026, 12, 31), today=date(2027, 1, 5)
        )
        == 1
    )
    assert progress_bucket(None) == "no key results"
    assert progress_bucket(100) == "100 %"
    assert progress_bucket(30) == "25–50 %"
    assert format_value(1, metric="boolean", unit="") == "yes"
    assert format_value(12.5, metric="percent", unit="%") == "12.5 %"


# --- access rules for goals -------------------------------------------------------

EMPLOYEE = Actor(1, "e", "E", is_hr_admin=False, is_manager=False)
MANAGER = Actor(2, "m", "M", is_hr_admin=False, is_manager=True)
HR = Actor(3, "h", "H", is_hr_admin=True, is_manager=False)


@pytest.mark.parametrize(
    ("actor", "relation", "view", "edit"),
    [
        (EMPLOYEE, Relation.self_, True, True),
        (EMPLOYEE, Relation.other, False, False),
        (MANAGER, Relation.direct_report, True, True),
        (MANAGER, Relation.indirect_report, True, True),
        (MANAGER, Relation.other, False, False),
        (HR, Relation.other, True, False),  # HR reads people's goals, does not set them
    ],
)
def test_individual_goal_rules(actor: Actor, relation: Relation, view: bool, edit: bool) -> None:
    assert can_view_goal(actor, level="individual", relation=relation) is view
    assert can_edit_goal(actor, level="individual", relation=relation) is edit


@pytest.mark.parametrize("level", ["team", "company"])
def test_unit_goal_rules(level: str) -> None:
    assert can_view_goal(EMPLOYEE, level=level, unit_in_own_chain=True)
    assert not can_view_goal(EMPLOYEE, level=level)
    assert not can_edit_goal(EMPLOYEE, level=level)
    assert can_view_goal(MANAGER, level=level, manages_unit=True)
    assert can_edit_goal(MANAGER, level=level, manages_unit=True)
    assert not can_edit_goal(MANAGER, level=level, manages_unit=False)
    assert can_view_goal(HR, level=level)
    assert can_edit_goal(HR, level=level)


def test_units_managed_rule() -> None:
    # company 1 → division 2 → teams 3, 4; division 5 → team 6
    parents = {1: None, 2: 1, 3: 2, 4: 2, 5: 1, 6: 5}
    # A team lead in team 3 with reports in team 3.
    assert units_managed(own_unit_id=3, report_unit_ids={3}, parents=parents) == {3}
    # A director in division 2 whose line reaches teams 3 and 4.
    assert units_managed(own_unit_id=2, report_unit_ids={3, 4}, parents=parents) == {2, 3, 4}
    # The CEO's line reaches team 6 and division 2's own staff.
    assert units_managed(own_unit_id=1, report_unit_ids={2, 6}, parents=parents) == {1, 2, 5, 6}
    # Reports in a unit outside the manager's own chain give no unit.
    assert units_managed(own_unit_id=3, report_unit_ids={6}, parents=parents) == set()
    assert units_managed(own_unit_id=3, report_unit_ids=set(), parents=parents) == set()
