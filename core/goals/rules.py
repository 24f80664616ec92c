"""OKR progress, as pure functions on plain values (no database, no I/O).

The rules, also stated in the README:

- **Key result**: the share of the way from `start` to `target` that
  `current` has travelled, clipped to 0–100 %. A target below the start is a
  decreasing key result (e.g. churn 8 % → 5 %): going down is progress. A
  yes/no (boolean) key result is 0 % or 100 %. When start equals target, the
  result is 100 % once the current value reaches the target, else 0 %.
- **Goal**: the weighted mean of its key results' progress. Weights below or
  at zero count as nothing; if every weight is zero the plain mean is used.
  A goal without key results has no progress of its own (`None`).
- **Roll-up through the alignment tree**: a goal's rolled-up progress blends
  its own progress and the mean of its aligned children's rolled-up progress,
  half each; if only one of the two exists, it is that one. Draft and
  cancelled children are left out (they are not commitments). A goal with
  neither key results nor counted children has no progress (`None`).
- **Stale**: an active goal whose last progress update (or its creation, if
  it has none) is more than `STALE_AFTER` (3 weeks) old.
- **Key result to update** (Home's to-do): a key result of an active goal
  with no progress update (or, without any, since the goal was created) in
  `STALE_AFTER` — the stale rule, applied to one key result.
- **Goal to close** (Home's to-do): an active goal whose cycle ends within
  `CLOSE_WITHIN_DAYS` days or has already ended.
- **At risk**: an active goal whose latest confidence on any key result is
  "at risk" or "off track", or whose progress trails the share of its cycle
  that has elapsed by more than `AT_RISK_MARGIN` points (judged only once a
  quarter of the time has gone).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

STALE_AFTER = timedelta(weeks=3)
STALE_AFTER_TEXT = f"{STALE_AFTER.days // 7} weeks"  # how pages say it
CLOSE_WITHIN_DAYS = 14
AT_RISK_MARGIN = 25.0
AT_RISK_EARLIEST_SHARE = 0.25
ROLLUP_OWN_SHARE = 0.5

# The goal scale a closed goal is rated on.
GOAL_RATINGS: dict[int, str] = {
    1: "Not met",
    2: "Partly met",
    3: "Met",
    4: "Exceeded",
    5: "Far exceeded",
}

COUNTED_STATUSES = frozenset({"active", "completed"})
RISKY_CONFIDENCES = frozenset({"at risk", "off track"})


def clip_percent(value: float) -> float:
    if math.isnan(value):
        return 0.0
    return max(0.0, min(100.0, value))


def key_result_progress(*, start: float, target: float, current: float, metric: str) -> float:
    """0–100 %: see the module docstring."""
    if metric == "boolean":
        return 100.0 if current >= 0.5 else 0.0
    if target == start:
        return 100.0 if current >= target else 0.0
    return clip_percent((current - start) / (target - start) * 100.0)


def is_decreasing(*, start: float, target: float) -> bool:
    return target < start


@dataclass(frozen=True)
class WeightedProgress:
    progress: float
    weight: float


def goal_progress(key_results: Sequence[WeightedProgress]) -> float | None:
    """Weighted mean of key-result progress, or None without key results."""
    if not key_results:
        return None
    total = sum(max(kr.weight, 0.0) for kr in key_results)
    if total <= 0:
        return clip_percent(sum(kr.progress for kr in key_results) / len(key_results))
    # Share first, then multiply: progress * tiny weight would underflow.
    return clip_percent(sum(kr.progress * (max(kr.weight, 0.0) / total) for kr in key_results))


@dataclass(frozen=True)
class GoalNode:
    """One goal of the alignment tree, as the roll-up needs it."""

    id: int
    parent_id: int | None
    own_progress: float | None
    status: str = "active"


def blend(own: float | None, children: Sequence[float]) -> float | None:
    if not children:
        return own
    children_mean = sum(children) / len(children)
    if own is None:
        return clip_percent(children_mean)
    return clip_percent(ROLLUP_OWN_SHARE * own + (1 - ROLLUP_OWN_SHARE) * children_mean)


def roll_up(nodes: Iterable[GoalNode]) -> dict[int, float | None]:
    """Rolled-up progress of every goal, bottom-up, iteratively (deep trees
    are fine). A parent outside `nodes` makes a goal a root; a cycle in the
    data (which core refuses to create) is broken rather than looped over."""
    by_id = {node.id: node for node in nodes}
    children: dict[int, list[int]] = {}
    for node in by_id.values():
        if node.parent_id is not None and node.parent_id in by_id:
            children.setdefault(node.parent_id, []).append(node.id)
    result: dict[int, float | None] = {}
    on_stack: set[int] = set()
    for root in by_id:
        if root in result:
            continue
        stack: list[tuple[int, bool]] = [(root, False)]
        while stack:
            goal_id, expanded = stack.pop()
            if expanded:
                counted = [
                    value
                    for child in children.get(goal_id, [])
                    if by_id[child].status in COUNTED_STATUSES
                    and (value := result.get(child)) is not None
                ]
                result[goal_id] = blend(by_id[goal_id].own_progress, counted)
                on_stack.discard(goal_id)
                continue
            if goal_id in result or goal_id in on_stack:
                continue
            on_stack.add(goal_id)
            stack.append((goal_id, True))
            stack.extend((child, False) for child in children.get(goal_id, []))
    return result


def elapsed_share(*, starts_on: date, ends_on: date, today: date) -> float:
    """How much of a cycle has gone, 0–1."""
    length = (ends_on - starts_on).days
    if length <= 0:
        return 1.0 if today >= ends_on else 0.0
    return max(0.0, min(1.0, (today - starts_on).days / length))


def is_stale(*, status: str, last_activity: datetime | None, now: datetime) -> bool:
    if status != "active" or last_activity is None:
        return False
    return now - last_activity > STALE_AFTER


def key_result_stale(
    *, goal_status: str, last_update: datetime | None, goal_created_at: datetime, now: datetime
) -> bool:
    """The stale rule for one key result: its last update, else its goal's creation."""
    return is_stale(status=goal_status, last_activity=last_update or goal_created_at, now=now)


def needs_closing(
    *, status: str, cycle_ends_on: date, today: date, within_days: int = CLOSE_WITHIN_DAYS
) -> bool:
    """An active goal whose cycle ends within `within_days` days, or has ended."""
    return status == "active" and (cycle_ends_on - today).days <= within_days


def is_at_risk(
    *,
    status: str,
    progress: float | None,
    elapsed: float,
    confidences: Iterable[str | None] = (),
) -> bool:
    if status != "active":
        return False
    if any(c in RISKY_CONFIDENCES for c in confidences):
        return True
    if progress is None or elapsed < AT_RISK_EARLIEST_SHARE:
        return False
    return progress < elapsed * 100.0 - AT_RISK_MARGIN


def progress_bucket(progress: float | None) -> str:
    """Bands for the distribution chart."""
    if progress is None:
        return "no key results"
    if progress >= 100:
        return "100 %"
    lower = int(progress // 25) * 25
    return f"{lower}–{lower + 25} %"


PROGRESS_BUCKETS = ["no key results", "0–25 %", "25–50 %", "50–75 %", "75–100 %", "100 %"]


def cycle_months(*, starts_on: date, ends_on: date) -> float:
    """Cycle length in months (30.44 days each), for the 1–4 month rule."""
    return ((ends_on - starts_on).days + 1) / 30.44


def quarter_of(day: date) -> tuple[str, date, date]:
    """The default cycle: the calendar quarter containing `day`."""
    quarter = (day.month - 1) // 3
    starts_on = date(day.year, quarter * 3 + 1, 1)
    next_start = date(day.year + 1, 1, 1) if quarter == 3 else date(day.year, quarter * 3 + 4, 1)
    return f"Q{quarter + 1} {day.year}", starts_on, next_start - timedelta(days=1)


def format_value(value: float, *, metric: str, unit: str) -> str:
    if metric == "boolean":
        return "yes" if value >= 0.5 else "no"
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    if metric == "percent":
        return f"{text} %"
    return f"{text} {unit}".strip()
