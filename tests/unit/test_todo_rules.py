"""The pure parts of Home's to-dos: urgency, the moment rules are judged at,
ordering, and each source's rule (stale key result, goal to close, rating
requested), plus the participation read model's arithmetic."""

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from core import todos
from core.assessments.rules import awaits_manager_rating
from core.goals import rules as pm
from core.home import PARTICIPATION_MEASURES, Participation
from core.todos import Todo, Urgency, as_of, sort_todos, urgency_for

TODAY = date(2026, 12, 3)
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("due_on", "expected"),
    [
        (None, Urgency.waiting),
        (TODAY - timedelta(days=1), Urgency.overdue),
        (TODAY, Urgency.due_soon),
        (TODAY + timedelta(days=todos.DUE_SOON_DAYS), Urgency.due_soon),
        (TODAY + timedelta(days=todos.DUE_SOON_DAYS + 1), Urgency.waiting),
    ],
)
def test_urgency_for(due_on: date | None, expected: Urgency) -> None:
    assert urgency_for(due_on, today=TODAY) is expected


def test_as_of_is_now_on_the_current_day_and_the_end_of_any_other() -> None:
    assert as_of(TODAY, now=NOW) == NOW
    later = as_of(TODAY + timedelta(days=2), now=NOW)
    assert later.date() == TODAY + timedelta(days=2)
    assert later.hour == 23
    assert later.tzinfo is UTC


def _todo(kind: str, urgency: Urgency, due_on: date | None = None, title: str = "t") -> Todo:
    return Todo(
        module="m", kind=kind, title=title, page="dashboard", urgency=urgency, due_on=due_on
    )


def test_sort_puts_overdue_first_then_soonest_then_undated() -> None:
    waiting = _todo("a", Urgency.waiting)
    soon_late = _todo("b", Urgency.due_soon, TODAY + timedelta(days=9))
    soon_early = _todo("c", Urgency.due_soon, TODAY + timedelta(days=2))
    overdue = _todo("d", Urgency.overdue, TODAY - timedelta(days=3))
    undated_soon = _todo("e", Urgency.due_soon)
    assert sort_todos([waiting, soon_late, undated_soon, soon_early, overdue]) == [
        overdue,
        soon_early,
        soon_late,
        undated_soon,
        waiting,
    ]


def test_every_source_module_registers() -> None:
    assert set(todos.SOURCE_MODULES) == {
        "core.goals.todos",
        "core.assessments.todos",
        "core.learning.todos",
        "core.checkins.todos",
        "core.feedback.todos",
        "core.reviews.todos",
        "core.surveys.todos",
        "core.experiments.todos",
    }
    modules = set(todos.registered_sources().values())
    assert modules == {
        "goals",
        "competencies",
        "learning",
        "checkins",
        "feedback",
        "reviews",
        "surveys",
        "experiments",
    }


# --- goals -----------------------------------------------------------------


def test_key_result_is_stale_after_three_weeks_without_an_update() -> None:
    created = NOW - timedelta(days=60)
    recent = NOW - pm.STALE_AFTER + timedelta(hours=1)
    old = NOW - pm.STALE_AFTER - timedelta(hours=1)
    rule = pm.key_result_stale
    assert rule(goal_status="active", last_update=old, goal_created_at=created, now=NOW)
    assert not rule(goal_status="active", last_update=recent, goal_created_at=created, now=NOW)


def test_key_result_without_updates_counts_from_its_goals_creation() -> None:
    rule = pm.key_result_stale
    assert rule(
        goal_status="active", last_update=None, goal_created_at=NOW - timedelta(days=30), now=NOW
    )
    assert not rule(
        goal_status="active", last_update=None, goal_created_at=NOW - timedelta(days=3), now=NOW
    )


@pytest.mark.parametrize("status", ["draft", "completed", "cancelled"])
def test_only_active_goals_have_key_results_to_update(status: str) -> None:
    assert not pm.key_result_stale(
        goal_status=status, last_update=None, goal_created_at=NOW - timedelta(days=90), now=NOW
    )


@pytest.mark.parametrize(
    ("ends_in_days", "expected"),
    [(-10, True), (0, True), (pm.CLOSE_WITHIN_DAYS, True), (pm.CLOSE_WITHIN_DAYS + 1, False)],
)
def test_goal_needs_closing_near_or_after_its_cycle_end(ends_in_days: int, expected: bool) -> None:
    ends_on = TODAY + timedelta(days=ends_in_days)
    assert pm.needs_closing(status="active", cycle_ends_on=ends_on, today=TODAY) is expected


@pytest.mark.parametrize("status", ["draft", "completed", "cancelled"])
def test_only_active_goals_need_closing(status: str) -> None:
    assert not pm.needs_closing(status=status, cycle_ends_on=TODAY - timedelta(1), today=TODAY)


# --- ratings ------------------------------------------------------------------


def test_manager_rating_is_requested_by_a_newer_self_assessment() -> None:
    earlier, later = NOW - timedelta(days=10), NOW
    assert awaits_manager_rating(self_at=later, manager_at=None)
    assert awaits_manager_rating(self_at=later, manager_at=earlier)
    assert not awaits_manager_rating(self_at=earlier, manager_at=later)
    assert not awaits_manager_rating(self_at=None, manager_at=None)
    assert not awaits_manager_rating(self_at=None, manager_at=later)


# --- participation ------------------------------------------------------------


def _participation(groups: list[dict[str, object]]) -> Participation:
    frame = pd.DataFrame(groups, columns=["group", "people", *PARTICIPATION_MEASURES])
    return Participation(
        cycle_name="Q4",
        people=int(frame["people"].sum()),
        counts={m: int(frame[m].sum()) for m in PARTICIPATION_MEASURES},
        by_group=frame,
    )


def test_participation_shares_and_table() -> None:
    participation = _participation(
        [
            {
                "group": "A",
                "people": 4,
                "with_goals": 2,
                "updated": 1,
                "self_assessed": 4,
                "manager_rated": 0,
            },
            {
                "group": "B",
                "people": 1,
                "with_goals": 1,
                "updated": 1,
                "self_assessed": 0,
                "manager_rated": 1,
            },
        ]
    )
    assert participation.share("with_goals") == pytest.approx(3 / 5)
    table = participation.table()
    assert table.loc[0, "Goals this cycle"] == 50
    assert table.loc[1, "Rated by a manager"] == 100
    shares = participation.shares_frame()
    assert len(shares) == 2 * len(PARTICIPATION_MEASURES)
    assert shares["share"].between(0, 1).all()


def test_participation_of_nobody_has_no_share() -> None:
    participation = _participation([])
    assert participation.people == 0
    assert participation.share("updated") is None
    assert participation.table().empty
