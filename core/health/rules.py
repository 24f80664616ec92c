"""Pure programme-health measures on plain frames (no I/O).

Each measure is a share — people or goals that show the trait over all that
could — at a date, per unit, where a unit counts everyone in it and below it.
The facts come in as frames:

- people: person_id, unit_id, hired_on (date or None: counted from the start)
- goals: goal_id, owner_id (None for team/company goals), unit_id, level,
  status, created_on, closed_on (None while open), aligned (the chain of
  parents reaches a company goal), key_results (how many), first_update_on
  (the day of its first progress update, or None)
- updates: goal_id, on (a day a progress update was recorded on the goal;
  only those near the dates measured are needed)
- assessed: person_id, first_on (the first rating on their role profile)
- gaps: person_id, competency_id, learning (an item on it is assigned to them)
- feedback: person_id, on (a day the person gave or received feedback)
- checkins: person_id, on (a day a check-in of theirs, as the employee, was held)

people also carries has_manager, and checkins_on (the practice is switched on
for their unit: people where it is off are not counted as missing check-ins).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from core.goals.rules import STALE_AFTER

# "Goals reviewed regularly": the same three weeks after which a goal is stale.
REVIEW_WINDOW = STALE_AFTER
# Units smaller than this are not ranked among the furthest behind: one
# person's goals would make a unit look healthy or not.
MIN_PEOPLE_TO_RANK = 5


class Measure(enum.StrEnum):
    shared_vision = "Shared vision"
    reviewed = "Goals reviewed regularly"
    tracked = "Progress tracked"
    assessed = "Role profiles assessed"
    gaps_with_learning = "Gaps with learning assigned"
    feedback = "Feedback exchanged"
    checkins = "Check-ins held"


MEASURE_HELP: dict[Measure, str] = {
    Measure.shared_vision: "people with an open goal aligned to a company objective",
    Measure.reviewed: "open goals with a progress update in the last three weeks",
    Measure.tracked: "open goals with key results and at least one recorded update",
    Measure.assessed: "people with at least one rating on their role profile",
    Measure.gaps_with_learning: "skills gaps with learning assigned on that competency",
    Measure.feedback: "people who gave or received feedback in the last 30 days",
    Measure.checkins: (
        "people with a manager and check-ins switched on who had a check-in held "
        "in the last 31 days"
    ),
}

# "Feedback exchanged" and "check-ins held": within a month before the date.
FEEDBACK_WINDOW = timedelta(days=30)
CHECKIN_WINDOW = timedelta(days=31)


@dataclass(frozen=True)
class HealthFacts:
    people: pd.DataFrame
    goals: pd.DataFrame
    updates: pd.DataFrame
    assessed: pd.DataFrame
    gaps: pd.DataFrame
    feedback: pd.DataFrame
    checkins: pd.DataFrame


def aligned_goals(goals: Mapping[int, tuple[int | None, str]]) -> set[int]:
    """The goals whose chain of parents (goal id → (parent id, level)) reaches
    a company goal; a company goal counts as aligned itself."""
    memo: dict[int, bool] = {}
    for start in goals:
        path: list[int] = []
        current: int | None = start
        verdict = False
        while current is not None and current in goals:
            if current in memo:
                verdict = memo[current]
                break
            if current in path:  # a loop in the data: not aligned
                break
            path.append(current)
            parent_id, level = goals[current]
            if level == "company":
                verdict = True
                break
            current = parent_id
        for goal_id in path:
            memo[goal_id] = verdict
    return {goal_id for goal_id, verdict in memo.items() if verdict}


def monthly_points(today: date, *, months: int = 6) -> list[date]:
    """Today and the same day of each of the `months` - 1 months before it
    (the month's last day where it is shorter), oldest first: evenly spaced,
    so the last step of a trend is a month like the others."""
    points = []
    for back in range(months - 1, -1, -1):
        year, month = divmod(today.year * 12 + today.month - 1 - back, 12)
        month += 1
        next_first = date(year + month // 12, month % 12 + 1, 1)
        points.append(date(year, month, min(today.day, (next_first - timedelta(days=1)).day)))
    return points


def unit_chains(parents: Mapping[int, int | None]) -> pd.DataFrame:
    """unit_id → every unit it counts toward (itself and its ancestors)."""
    rows = []
    for unit_id in parents:
        seen: set[int] = set()
        current: int | None = unit_id
        while current is not None and current not in seen:
            seen.add(current)
            rows.append((unit_id, current))
            current = parents.get(current)
    return pd.DataFrame(rows, columns=["unit_id", "counted_in"])


def _open_goals(goals: pd.DataFrame, at: date) -> pd.DataFrame:
    created = goals["created_on"] <= at
    still_open = goals["closed_on"].isna() | (goals["closed_on"] > at)
    return goals[created & still_open & (goals["status"] != "draft")]


def _present(people: pd.DataFrame, at: date) -> pd.DataFrame:
    return people[people["hired_on"].isna() | (people["hired_on"] <= at)]


def _shares(
    measure: Measure,
    at: date,
    counted: pd.DataFrame,
    chains: pd.DataFrame,
) -> pd.DataFrame:
    """`counted` has unit_id and a boolean `hit`: numerator and denominator per unit."""
    # Summed per unit first, then up the chains (every unit a fact's unit
    # counts toward), with numpy: called 40-odd times per page, pandas'
    # merge and group-by cost milliseconds each even on a handful of rows.
    units = counted["unit_id"].to_numpy(dtype=float)
    hits = counted["hit"].to_numpy(dtype=bool)
    known = ~np.isnan(units)
    unique_units, per_fact = np.unique(units[known], return_inverse=True)
    unit_hits = np.bincount(per_fact, weights=hits[known], minlength=len(unique_units))
    unit_count = np.bincount(per_fact, minlength=len(unique_units))
    chain_unit = chains["unit_id"].to_numpy(dtype=float)
    chain_in = chains["counted_in"].to_numpy()
    position = np.searchsorted(unique_units, chain_unit)
    found = position < len(unique_units)
    found[found] = unique_units[position[found]] == chain_unit[found]
    rows_in, per_row = np.unique(chain_in[found], return_inverse=True)
    sums = pd.DataFrame(
        {
            "counted_in": rows_in,
            "sum": np.bincount(
                per_row, weights=unit_hits[position[found]], minlength=len(rows_in)
            ).round(),
            "count": np.bincount(
                per_row, weights=unit_count[position[found]], minlength=len(rows_in)
            ).round(),
        }
    )
    return pd.DataFrame(
        {
            "unit_id": sums["counted_in"].astype(int),
            "measure": measure.value,
            "at": at,
            "hits": sums["sum"].astype(int),
            "of": sums["count"].astype(int),
        }
    )


def _within(days: pd.DataFrame, at: date, window: timedelta) -> set[int]:
    """The people with a day in (at - window, at]."""
    inside = (days["on"] > at - window) & (days["on"] <= at)
    return set(days.loc[inside, "person_id"])


def measure_at(
    facts: HealthFacts, at: date, chains: pd.DataFrame, *, with_current: bool
) -> pd.DataFrame:
    """Every measure at `at` for every unit (gaps only `with_current`: the
    gap data is today's, it has no history)."""
    people = _present(facts.people, at)
    goals = _open_goals(facts.goals, at)
    frames = []

    individual = goals[goals["owner_id"].notna()]
    aligned_owners = set(individual.loc[individual["aligned"], "owner_id"].astype(int))
    frames.append(
        _shares(
            Measure.shared_vision,
            at,
            people.assign(hit=people["person_id"].isin(aligned_owners)),
            chains,
        )
    )

    updates = facts.updates[facts.updates["on"] <= at]
    recent = set(updates.loc[updates["on"] > at - REVIEW_WINDOW, "goal_id"])
    ever = goals["first_update_on"].notna() & (goals["first_update_on"] <= at)
    frames.append(
        _shares(Measure.reviewed, at, goals.assign(hit=goals["goal_id"].isin(recent)), chains)
    )
    frames.append(
        _shares(
            Measure.tracked,
            at,
            goals.assign(hit=(goals["key_results"] > 0) & ever),
            chains,
        )
    )

    assessed = set(facts.assessed.loc[facts.assessed["first_on"] <= at, "person_id"])
    frames.append(
        _shares(Measure.assessed, at, people.assign(hit=people["person_id"].isin(assessed)), chains)
    )
    frames.append(
        _shares(
            Measure.feedback,
            at,
            people.assign(
                hit=people["person_id"].isin(_within(facts.feedback, at, FEEDBACK_WINDOW))
            ),
            chains,
        )
    )
    expected = people[people["has_manager"] & people["checkins_on"]]
    frames.append(
        _shares(
            Measure.checkins,
            at,
            expected.assign(
                hit=expected["person_id"].isin(_within(facts.checkins, at, CHECKIN_WINDOW))
            ),
            chains,
        )
    )
    if with_current:
        gaps = facts.gaps.merge(facts.people[["person_id", "unit_id"]], on="person_id")
        frames.append(
            _shares(Measure.gaps_with_learning, at, gaps.assign(hit=gaps["learning"]), chains)
        )
    found = [frame for frame in frames if not frame.empty]
    if not found:
        return pd.DataFrame(columns=["unit_id", "measure", "at", "hits", "of"])
    return pd.concat(found, ignore_index=True)


def programme_health(
    facts: HealthFacts, *, parents: Mapping[int, int | None], points: Sequence[date]
) -> pd.DataFrame:
    """Long frame: unit_id, measure, at, hits, of, share (0–1, NaN when of = 0)."""
    chains = unit_chains(parents)
    frames = [
        measure_at(facts, at, chains, with_current=index == len(points) - 1)
        for index, at in enumerate(points)
    ]
    result = pd.concat(frames, ignore_index=True)
    result["share"] = result["hits"] / result["of"].where(result["of"] > 0)
    return result


def furthest_behind(
    latest: pd.DataFrame,
    *,
    people_per_unit: Mapping[int, int],
    overall: Mapping[str, float],
    per_measure: int = 3,
) -> pd.DataFrame:
    """The units with the lowest share of each measure at the latest point:
    only units below the scope's own share (`overall`, per measure) and with
    at least MIN_PEOPLE_TO_RANK people."""
    big_enough = latest["unit_id"].map(lambda u: people_per_unit.get(u, 0) >= MIN_PEOPLE_TO_RANK)
    below = latest["share"] < latest["measure"].map(lambda m: overall.get(m, 0.0))
    ranked = latest[big_enough & below & latest["share"].notna()]
    return (
        ranked.sort_values(["measure", "share", "unit_id"])
        .groupby("measure", sort=False)
        .head(per_measure)
        .reset_index(drop=True)
    )
