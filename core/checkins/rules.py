"""Check-in rules on plain values: cadences, due dates, overdue, streaks,
carry-forward of open actions and adherence figures. No I/O.

A pair (a person and their current manager) meets on a cadence: weekly,
every two weeks, monthly, or none. The next check-in is due one interval
after the last one held (or on the pair's start date when none was held);
monthly intervals keep the day of the month and land on the month's last
day when it is shorter (31 Jan → 28 Feb → 31 Mar, because the anchor day is
kept). A check-in is on time when it is held no later than `ON_TIME_GRACE_DAYS`
after its due date.
"""

from __future__ import annotations

import calendar
import enum
import itertools
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta


class Cadence(enum.StrEnum):
    weekly = "weekly"
    biweekly = "biweekly"
    monthly = "monthly"
    none = "none"


CADENCE_LABELS: dict[str, str] = {
    Cadence.weekly.value: "Weekly",
    Cadence.biweekly.value: "Every two weeks",
    Cadence.monthly.value: "Monthly",
    Cadence.none.value: "No regular check-ins",
}
DEFAULT_CADENCE = Cadence.biweekly.value
ON_TIME_GRACE_DAYS = 2
# Agendas are worth preparing this many days before the check-in.
PREPARE_WITHIN_DAYS = 3


class Focus(enum.StrEnum):
    performance = "performance"
    development = "development"


DEFAULT_AGENDA: tuple[str, ...] = (
    "Progress and wins",
    "Challenges and blockers",
    "Priorities until next time",
    "Support and development",
)


def add_months(day: date, months: int, *, anchor_day: int | None = None) -> date:
    """`day` moved by `months`, on `anchor_day` (default: day's own day of
    month), clamped to the month's last day."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    wanted = anchor_day or day.day
    return date(year, month, min(wanted, calendar.monthrange(year, month)[1]))


def effective_cadence(pair_cadence: str | None, unit_default: str | None) -> str:
    """A pair's own cadence wins over its unit's default, which wins over
    the organisation's default."""
    for choice in (pair_cadence, unit_default):
        if choice:
            if choice not in CADENCE_LABELS:
                raise ValueError(f"Unknown cadence {choice!r}")
            return choice
    return DEFAULT_CADENCE


def next_interval(after: date, cadence: str, *, anchor_day: int | None = None) -> date | None:
    """The date one interval of `cadence` after `after` (None for no cadence)."""
    if cadence == Cadence.weekly:
        return after + timedelta(days=7)
    if cadence == Cadence.biweekly:
        return after + timedelta(days=14)
    if cadence == Cadence.monthly:
        return add_months(after, 1, anchor_day=anchor_day)
    if cadence == Cadence.none:
        return None
    raise ValueError(f"Unknown cadence {cadence!r}")


def next_due_on(
    *,
    cadence: str,
    last_held_on: date | None,
    starts_on: date | None,
    anchor_day: int | None = None,
) -> date | None:
    """When the pair's next check-in is due. A missed check-in stays due on
    its date (it is overdue) instead of sliding forward; no cadence, or a
    pair that has not started (no start date, nothing held): None."""
    if cadence == Cadence.none:
        return None
    if last_held_on is None:
        return starts_on
    return next_interval(last_held_on, cadence, anchor_day=anchor_day)


def is_overdue(due_on: date | None, *, today: date) -> bool:
    return due_on is not None and due_on < today


def days_overdue(due_on: date | None, *, today: date) -> int:
    return max((today - due_on).days, 0) if due_on is not None else 0


def held_on_time(*, due_on: date | None, held_on: date) -> bool:
    """Held no later than the grace days after its due date (an unscheduled
    check-in, with no due date, counts as on time)."""
    return due_on is None or held_on <= due_on + timedelta(days=ON_TIME_GRACE_DAYS)


@dataclass(frozen=True)
class HeldCheckIn:
    due_on: date | None
    held_on: date


def on_time_streak(
    held: Sequence[HeldCheckIn], *, next_due: date | None = None, today: date | None = None
) -> int:
    """How many of the latest held check-ins in a row were on time; a
    check-in that is now overdue (past its grace days) breaks the streak."""
    if (
        next_due is not None
        and today is not None
        and today > next_due + timedelta(days=ON_TIME_GRACE_DAYS)
    ):
        return 0
    streak = 0
    for item in sorted(held, key=lambda h: h.held_on, reverse=True):
        if not held_on_time(due_on=item.due_on, held_on=item.held_on):
            break
        streak += 1
    return streak


@dataclass(frozen=True)
class ActionState:
    id: int
    check_in_id: int
    done: bool


def carried_forward(
    actions: Iterable[ActionState], *, earlier_check_in_ids: Iterable[int]
) -> list[int]:
    """The open actions from the pair's earlier check-ins, oldest first:
    they stay on every next check-in until done."""
    earlier = set(earlier_check_in_ids)
    return sorted(a.id for a in actions if not a.done and a.check_in_id in earlier)


@dataclass(frozen=True)
class Adherence:
    held: int
    on_time: int
    missed: int
    median_days_between: float | None

    @property
    def expected(self) -> int:
        return self.held + self.missed

    @property
    def on_time_share(self) -> float | None:
        """Check-ins held on time out of those that were due (None: none due)."""
        return self.on_time / self.expected if self.expected else None


def median_days_between(held_dates: Iterable[date]) -> float | None:
    ordered = sorted(held_dates)
    gaps = [(later - earlier).days for earlier, later in itertools.pairwise(ordered)]
    return float(statistics.median(gaps)) if gaps else None


def adherence(
    held: Sequence[HeldCheckIn],
    *,
    overdue: bool = False,
) -> Adherence:
    """One pair's figures: held and on time (of the check-ins held), plus a
    missed one when the pair is overdue now."""
    on_time = sum(held_on_time(due_on=h.due_on, held_on=h.held_on) for h in held)
    return Adherence(
        held=len(held),
        on_time=on_time,
        missed=1 if overdue else 0,
        median_days_between=median_days_between(h.held_on for h in held),
    )


def combine(figures: Iterable[Adherence], gaps: Iterable[float]) -> Adherence:
    """Figures of a team or unit: counts added up; the median over every
    gap between consecutive check-ins of its pairs (`gaps`)."""
    items = list(figures)
    all_gaps = list(gaps)
    return Adherence(
        held=sum(f.held for f in items),
        on_time=sum(f.on_time for f in items),
        missed=sum(f.missed for f in items),
        median_days_between=float(statistics.median(all_gaps)) if all_gaps else None,
    )


def gaps_between(held_dates: Iterable[date]) -> list[float]:
    ordered = sorted(held_dates)
    return [float((later - earlier).days) for earlier, later in itertools.pairwise(ordered)]


def histogram_median(counts: dict[float, int]) -> float | None:
    """The median of values given as value → how often (as statistics.median
    would give on the expanded list)."""
    total = sum(n for n in counts.values() if n > 0)
    if total == 0:
        return None
    ordered = sorted((value, n) for value, n in counts.items() if n > 0)

    def nth(index: int) -> float:
        seen = 0
        for value, n in ordered:
            seen += n
            if index < seen:
                return value
        return ordered[-1][0]

    if total % 2:
        return float(nth(total // 2))
    return (nth(total // 2 - 1) + nth(total // 2)) / 2
