"""Programme health for HR (everyone) and managers (their line)."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from pathlib import Path
from time import monotonic
from typing import Any

import pandas as pd
from sqlalchemy import case, func
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from core import snapshots
from core.access import Actor, can_read_programme_health, has_org_wide_health, require
from core.health import rules as health_rules
from core.health.rules import (
    CHECKIN_WINDOW,
    FEEDBACK_WINDOW,
    REVIEW_WINDOW,
    HealthFacts,
    Measure,
    aligned_goals,
    furthest_behind,
    monthly_points,
    programme_health,
    unit_chains,
)
from core.modules.queries import modules_by_unit
from core.modules.rules import Module
from core.org import list_units, managed_unit_ids, report_ids, unit_parents
from db.models import (
    Assessment,
    CheckIn,
    CheckInStatus,
    CurrentLevel,
    Feedback,
    Goal,
    KeyResult,
    LearningAssignment,
    LearningItem,
    LearningStatus,
    Person,
    ProgressUpdate,
    RoleRequirement,
    ScaleValue,
)

log = logging.getLogger(__name__)


def percent_text(share: float | None) -> str:
    """A share as people read it; "—" where nothing could be counted."""
    return "—" if share is None or pd.isna(share) else f"{share * 100:.0f}%"


@dataclass(frozen=True)
class ProgrammeHealth:
    scope: str  # "the organisation" or "your line"
    trend: pd.DataFrame  # at, measure, share (the whole scope)
    by_unit: pd.DataFrame  # the latest figures per unit, as shown
    behind: pd.DataFrame  # the units furthest behind per measure
    people: int


def _day(value: datetime | date | None) -> date | None:
    if value is None:
        return None
    return value.date() if isinstance(value, datetime) else value


# A line of at most this many people (or goals) is read with IN lists; a
# larger one reads everything and keeps its own rows, as the organisation does.
NARROW_LIMIT = 2_000


def _narrow(ids: Iterable[int], person_ids: set[int] | None) -> list[int] | None:
    """The ids to put in an IN list for a line's queries, or None (read all)."""
    if person_ids is None:
        return None
    wanted = sorted(set(ids))
    return wanted if len(wanted) <= NARROW_LIMIT else None


def _among(column: Any, ids: list[int] | None) -> list[Any]:
    """`column IN ids` as a where-clause list, or no clause for None."""
    return [] if ids is None else [column.in_(ids)]


def _load_facts(
    session: Session,
    *,
    person_ids: set[int] | None,
    unit_ids: set[int] | None,
    points: list[date],
) -> HealthFacts:
    """The facts of the people in scope (None: everyone active)."""
    people_query = sa_select(
        col(Person.id), col(Person.org_unit_id), col(Person.hire_date), col(Person.manager_id)
    ).where(col(Person.active))
    if person_ids is not None:
        people_query = people_query.where(col(Person.id).in_(person_ids))
    people = pd.DataFrame(
        session.execute(people_query).all(),
        columns=["person_id", "unit_id", "hired_on", "manager_id"],
    )
    modules_of_unit = modules_by_unit(session)
    people = people.assign(
        has_manager=people["manager_id"].notna(),
        checkins_on=people["unit_id"].map(
            lambda unit_id: Module.checkins.value in modules_of_unit(unit_id)
        ),
    ).drop(columns=["manager_id"])
    in_scope = set(people["person_id"])
    unit_of = dict(zip(people["person_id"], people["unit_id"], strict=True))

    # Alignment needs every goal's parent and level; the dates only the
    # goals in scope, which for a line are read in a second, narrow query
    # (converting 29,000 goals' two timestamps was a third of a line's time).
    all_goals = session.execute(
        sa_select(
            col(Goal.id),
            col(Goal.parent_id),
            col(Goal.level),
            col(Goal.owner_id),
            col(Goal.org_unit_id),
            col(Goal.status),
        )
    ).all()
    aligned = aligned_goals({row[0]: (row[1], row[2]) for row in all_goals if row[0] is not None})
    scoped: list[tuple[int, int | None, int, str, str]] = []
    for goal_id, _parent, level, owner_id, org_unit_id, status in all_goals:
        if owner_id is not None:
            if owner_id not in in_scope:
                continue
            unit_id = unit_of[owner_id]
        elif unit_ids is None or org_unit_id in unit_ids:
            unit_id = org_unit_id
        else:
            continue
        if unit_id is None:
            continue
        scoped.append((goal_id, owner_id, unit_id, level, status))
    dates_query = sa_select(col(Goal.id), col(Goal.created_at), col(Goal.closed_at))
    narrow_dates = _narrow([row[0] for row in scoped], person_ids)
    if narrow_dates is not None:
        dates_query = dates_query.where(col(Goal.id).in_(narrow_dates))
    dates = {
        goal_id: (_day(created_at), _day(closed_at))
        for goal_id, created_at, closed_at in session.execute(dates_query).all()
    }
    in_scope_goals: list[tuple[int, int | None, int, str, str, date | None, date | None]] = [
        (*row, *dates.get(row[0], (None, None))) for row in scoped
    ]
    # A line (not the whole organisation) reads only its own goals' key
    # results and updates, and its own people's ratings, gaps, feedback and
    # check-ins: a team lead's view no longer scans the organisation.
    narrow_goals = _narrow([row[0] for row in in_scope_goals], person_ids)
    narrow_people = _narrow(in_scope, person_ids)
    kr_query = select(KeyResult.goal_id, func.count()).group_by(col(KeyResult.goal_id))
    if narrow_goals is not None:
        kr_query = kr_query.where(col(KeyResult.goal_id).in_(narrow_goals))
    key_results = dict(session.exec(kr_query).all())
    # One pass over the progress updates: per goal its first update and, per
    # point, whether it was updated in that point's review window.
    windows = [
        (
            datetime.combine(point - REVIEW_WINDOW, time.max, UTC),
            datetime.combine(point, time.max, UTC),
        )
        for point in points
    ]
    progress_query = (
        sa_select(
            col(KeyResult.goal_id),
            func.min(col(ProgressUpdate.at)),
            *[
                func.max(
                    case(
                        (
                            (col(ProgressUpdate.at) > start) & (col(ProgressUpdate.at) <= end),
                            1,
                        ),
                        else_=0,
                    )
                )
                for start, end in windows
            ],
        )
        .join(KeyResult, col(KeyResult.id) == col(ProgressUpdate.key_result_id))
        .group_by(col(KeyResult.goal_id))
    )
    if narrow_goals is not None:
        progress_query = progress_query.where(col(KeyResult.goal_id).in_(narrow_goals))
    progress = session.execute(progress_query).all()
    first_updates = {row[0]: row[1] for row in progress}
    goal_rows = [
        (
            *row,
            row[0] in aligned,
            int(key_results.get(row[0], 0)),
            _day(first_updates.get(row[0])),
        )
        for row in in_scope_goals
    ]
    goals = pd.DataFrame(
        goal_rows,
        columns=[
            "goal_id",
            "owner_id",
            "unit_id",
            "level",
            "status",
            "created_on",
            "closed_on",
            "aligned",
            "key_results",
            "first_update_on",
        ],
    )
    # Only whether a goal was updated in each point's review window matters:
    # one row per (goal, point), dated on the point (a review window, three
    # weeks, is shorter than the month between two points, so a row dated on
    # one point is in no other point's window).
    update_rows = [
        (row[0], point)
        for row in progress
        for point, updated in zip(points, row[2:], strict=True)
        if updated
    ]
    updates = pd.DataFrame(update_rows, columns=["goal_id", "on"])

    first_rated = session.exec(
        select(Assessment.person_id, func.min(Assessment.at))
        .join(Person, col(Person.id) == Assessment.person_id)
        .join(
            RoleRequirement,
            (col(RoleRequirement.position_id) == Person.position_id)
            & (col(RoleRequirement.competency_id) == Assessment.competency_id),
        )
        .where(*_among(col(Assessment.person_id), narrow_people))
        .group_by(col(Assessment.person_id))
    ).all()
    assessed = pd.DataFrame(
        [(p, _day(at)) for p, at in first_rated if p in in_scope], columns=["person_id", "first_on"]
    )

    current, required = aliased(ScaleValue), aliased(ScaleValue)
    assigned = (
        sa_select(col(LearningAssignment.person_id))
        .join(LearningItem, col(LearningItem.id) == LearningAssignment.item_id)
        .where(
            col(LearningAssignment.person_id) == CurrentLevel.person_id,
            col(LearningItem.competency_id) == CurrentLevel.competency_id,
            col(LearningAssignment.status) != LearningStatus.cancelled.value,
        )
        .exists()
    )
    # A gap: the current level ranks below the role's required level.
    gap_rows = [
        (person_id, competency_id, bool(learning))
        for person_id, competency_id, learning in session.execute(
            sa_select(col(CurrentLevel.person_id), col(CurrentLevel.competency_id), assigned)
            .join(Person, col(Person.id) == CurrentLevel.person_id)
            .join(
                RoleRequirement,
                (col(RoleRequirement.position_id) == Person.position_id)
                & (col(RoleRequirement.competency_id) == CurrentLevel.competency_id),
            )
            .join(current, col(current.id) == CurrentLevel.value_id)
            .join(required, col(required.id) == RoleRequirement.required_value_id)
            .where(col(Person.active), col(current.rank) < col(required.rank))
            .where(*_among(col(CurrentLevel.person_id), narrow_people))
        ).all()
        if person_id in in_scope
    ]
    gaps = pd.DataFrame(gap_rows, columns=["person_id", "competency_id", "learning"])
    since = datetime.combine(points[0] - FEEDBACK_WINDOW, time.min, UTC)
    exchanged = [
        (person_id, _day(created_at))
        for giver_id, receiver_id, created_at in session.execute(
            sa_select(col(Feedback.giver_id), col(Feedback.receiver_id), col(Feedback.created_at))
            .where(col(Feedback.created_at) >= since)
            .where(
                *(
                    []
                    if narrow_people is None
                    else [
                        col(Feedback.giver_id).in_(narrow_people)
                        | col(Feedback.receiver_id).in_(narrow_people)
                    ]
                )
            )
        ).all()
        for person_id in (giver_id, receiver_id)
        if person_id in in_scope
    ]
    feedback = pd.DataFrame(exchanged, columns=["person_id", "on"]).drop_duplicates()
    # Per point, the latest check-in held in its window: one row per
    # (person, point) instead of every check-in; the day kept is a real one,
    # so it says the same for every other point's window as well.
    checkin_rows = session.execute(
        sa_select(
            col(CheckIn.employee_id),
            *[
                func.max(
                    case(
                        (
                            (col(CheckIn.held_on) > point - CHECKIN_WINDOW)
                            & (col(CheckIn.held_on) <= point),
                            col(CheckIn.held_on),
                        ),
                        else_=None,
                    )
                )
                for point in points
            ],
        )
        .where(col(CheckIn.held_on) > points[0] - CHECKIN_WINDOW)
        .where(col(CheckIn.held_on) <= points[-1])
        .where(col(CheckIn.status) != CheckInStatus.planned.value)
        .where(*_among(col(CheckIn.employee_id), narrow_people))
        .group_by(col(CheckIn.employee_id))
    ).all()
    checkins = pd.DataFrame(
        sorted(
            {
                (row[0], on)
                for row in checkin_rows
                if row[0] in in_scope
                for on in row[1:]
                if on is not None
            }
        ),
        columns=["person_id", "on"],
    )
    return HealthFacts(
        people=people,
        goals=goals,
        updates=updates,
        assessed=assessed,
        gaps=gaps,
        feedback=feedback,
        checkins=checkins,
    )


def health_scope_key(actor: Actor) -> str:
    """What a cached figure set may be shared by: HR's organisation view is
    everyone's; a manager's line view is theirs alone."""
    return "organisation" if has_org_wide_health(actor) else f"line:{actor.person_id}"


class _OrganisationMemo:
    """The organisation's figures, per process and database, with the time
    they were computed (time.monotonic). The same for every HR admin (not
    personal); whoever reads them passed the access check first. Kept fresh
    by `refresh_organisation_health` (a background thread of the server, see
    core.runtime.warm_caches), so an HR admin's visit does not wait for the
    two seconds of reading the whole organisation at 10,000 people."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, date], tuple[float, ProgrammeHealth]] = {}
        self._read_at: float | None = None
        self._lock = threading.Lock()

    def get(self, key: tuple[str, date], max_age_s: float) -> ProgrammeHealth | None:
        with self._lock:
            self._read_at = monotonic()
            found = self._entries.get(key)
        if found is None or monotonic() - found[0] > max_age_s:
            return None
        return found[1]

    def put(self, key: tuple[str, date], computed_at: float, value: ProgrammeHealth) -> None:
        with self._lock:
            previous = self._entries.get(key)
            if previous is None or previous[0] < computed_at:
                # One day and database at a time: yesterday's figures go.
                self._entries = {k: v for k, v in self._entries.items() if k[0] != key[0]}
                self._entries[key] = (computed_at, value)

    def read_since(self, seconds: float) -> bool:
        """Whether anybody asked for the organisation's figures lately."""
        with self._lock:
            return self._read_at is not None and monotonic() - self._read_at <= seconds

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._read_at = None


_ORGANISATION_MEMO = _OrganisationMemo()


def clear_health_memo() -> None:
    """Forget the organisation's figures (benchmarks measuring a cold start)."""
    _ORGANISATION_MEMO.clear()


def organisation_health_read_since(seconds: float) -> bool:
    """Whether an HR admin asked for the organisation's figures lately (the
    background refresh runs only then)."""
    return _ORGANISATION_MEMO.read_since(seconds)


def _memo_key(session: Session, today: date) -> tuple[str, date]:
    bind: Any = session.get_bind()
    return (str(getattr(bind, "url", None) or bind.engine.url), today)


def refresh_organisation_health(
    session: Session, *, today: date, reuse_younger_than_s: float | None = None
) -> ProgrammeHealth:
    """Compute the organisation's figures (as an HR admin would see them) and
    keep them for `get_programme_health(max_age_s=...)`, in this process and
    in the database (another replica, or this server after a restart, reads
    them there). With `reuse_younger_than_s`, a stored copy that young (say,
    another replica's) is taken instead of computing. For the server's
    background thread: no actor, no audit; reads only."""
    if reuse_younger_than_s is not None:
        found = _stored_health(session, today=today, max_age_s=reuse_younger_than_s)
        if found is not None:
            return found
    started, started_at = monotonic(), datetime.now(UTC)
    health = _compute(
        session, person_ids=None, unit_ids=None, scope="the organisation", today=today
    )
    _ORGANISATION_MEMO.put(_memo_key(session, today), started, health)
    if not snapshots.has_written(session):  # its view may yet be rolled back
        snapshots.write_snapshot(
            session,
            key=HEALTH_SNAPSHOT_KEY,
            stamp=_health_stamp(today),
            computed_at=started_at,
            payload=lambda: snapshots.pack(encode_health(health)),
        )
    return health


# The organisation's figures as stored for other processes (core/snapshots.py).
HEALTH_SNAPSHOT_KEY = "health.organisation"
# A copy stamped this far in the future (another replica's clock ahead of
# ours) still counts as just computed; further, it is not trusted.
CLOCK_SKEW_S = 60.0
_HEALTH_CODE = snapshots.code_fingerprint(
    Path(module.__file__ or "") for module in (health_rules, snapshots, sys.modules[__name__])
)


def _health_stamp(today: date) -> str:
    return snapshots.stamp_text(today, _HEALTH_CODE)


def encode_health(health: ProgrammeHealth) -> dict[str, Any]:
    """The figures as JSON values (pure; see core.snapshots.encode_frame)."""
    return {
        "scope": health.scope,
        "people": health.people,
        "trend": snapshots.encode_frame(health.trend),
        "by_unit": snapshots.encode_frame(health.by_unit),
        "behind": snapshots.encode_frame(health.behind),
    }


def decode_health(value: Any) -> ProgrammeHealth:
    """The figures `encode_health` wrote; SnapshotError if they do not fit."""
    try:
        scope, people = value["scope"], value["people"]
        frames = [snapshots.decode_frame(value[name]) for name in ("trend", "by_unit", "behind")]
    except (KeyError, TypeError) as error:
        raise snapshots.SnapshotError(f"programme health does not decode: {error!r}") from error
    if not isinstance(scope, str) or not isinstance(people, int):
        raise snapshots.SnapshotError("programme health does not decode")
    return ProgrammeHealth(
        scope=scope, trend=frames[0], by_unit=frames[1], behind=frames[2], people=people
    )


def _stored_health(session: Session, *, today: date, max_age_s: float) -> ProgrammeHealth | None:
    """The stored organisation figures of today and this code, if computed
    at most `max_age_s` ago; they then serve this process too (kept in its
    memo with their true age)."""
    found = snapshots.read_snapshot(session, key=HEALTH_SNAPSHOT_KEY)
    if found is None or found.stamp != _health_stamp(today):
        return None
    age = (datetime.now(UTC) - found.computed_at).total_seconds()
    if age > max_age_s or age < -CLOCK_SKEW_S:
        return None
    try:
        health = decode_health(snapshots.unpack(found.payload))
    except snapshots.SnapshotError:
        log.warning("stored programme health does not decode; computing", exc_info=True)
        return None
    _ORGANISATION_MEMO.put(_memo_key(session, today), monotonic() - max(age, 0.0), health)
    return health


def get_programme_health(
    session: Session, *, actor: Actor, today: date, max_age_s: float | None = None
) -> ProgrammeHealth:
    """Each measure over the last six months for the actor's scope, the
    latest figures per unit and the units furthest behind.

    With `max_age_s`, the organisation's figures (HR) may come from the
    per-process memo, or from the copy stored in the database by whichever
    process computed them, when computed at most that many seconds ago
    (never older: the page promises figures at most that old); a line's
    figures are always computed (a line is read narrowly, well under a second)."""
    require(
        can_read_programme_health(actor),
        session=session,
        actor=actor,
        action="read",
        entity="programme_health",
    )
    if has_org_wide_health(actor):
        if max_age_s is not None:
            found = _ORGANISATION_MEMO.get(_memo_key(session, today), max_age_s)
            if found is None:  # a process that just started: another's copy
                found = _stored_health(session, today=today, max_age_s=max_age_s)
            if found is not None:
                return found
        return refresh_organisation_health(session, today=today)
    return _compute(
        session,
        person_ids=report_ids(session, manager_id=actor.person_id),
        unit_ids=managed_unit_ids(session, person_id=actor.person_id),
        scope="your line",
        today=today,
    )


def _compute(
    session: Session,
    *,
    person_ids: set[int] | None,
    unit_ids: set[int] | None,
    scope: str,
    today: date,
) -> ProgrammeHealth:
    points = monthly_points(today)
    parents = unit_parents(session)
    facts = _load_facts(session, person_ids=person_ids, unit_ids=unit_ids, points=points)
    health = programme_health(facts, parents=parents, points=points)
    roots = [unit_id for unit_id, parent_id in parents.items() if parent_id is None]
    if person_ids is None and len(roots) == 1:
        # Everyone sits under the one top unit: its rows are the whole.
        trend = health[health["unit_id"] == roots[0]]
    else:
        # A line spans units: count every fact once, under one pseudo-unit.
        whole = replace(
            facts, people=facts.people.assign(unit_id=0), goals=facts.goals.assign(unit_id=0)
        )
        trend = programme_health(whole, parents={0: None}, points=points)
    trend = trend[["at", "measure", "share", "hits", "of"]].reset_index(drop=True)

    latest = health[health["at"] == points[-1]]
    counted_people = facts.people.merge(unit_chains(parents), on="unit_id")
    sizes = counted_people.groupby("counted_in").size()
    people_per_unit = {int(u): int(c) for u, c in zip(sizes.index, sizes.to_numpy(), strict=True)}
    units = list_units(session)  # parents first, names indented by depth
    names = {unit_id: name.strip() for unit_id, name in units}
    order = {unit_id: index for index, (unit_id, _name) in enumerate(units)}
    if unit_ids is not None:
        latest = latest[latest["unit_id"].isin(unit_ids)]
    wide = latest.pivot_table(index="unit_id", columns="measure", values="share").reindex(
        columns=[m.value for m in Measure]
    )
    wide = wide.loc[sorted(wide.index, key=lambda u: order.get(u, len(order)))]
    by_unit = pd.DataFrame(
        {
            "Unit": [dict(units).get(u, "") for u in wide.index],
            "People": [int(people_per_unit.get(u, 0)) for u in wide.index],
            **{measure: wide[measure].map(percent_text) for measure in wide.columns},
        }
    ).reset_index(drop=True)
    now = trend[trend["at"] == points[-1]]
    overall = dict(zip(now["measure"], now["share"].fillna(0.0), strict=True))
    behind = furthest_behind(latest, people_per_unit=people_per_unit, overall=overall)
    behind = pd.DataFrame(
        {
            "Measure": behind["measure"],
            "Unit": behind["unit_id"].map(names),
            "Share": behind["share"].map(percent_text),
            "Counted": behind["hits"].astype(str) + " of " + behind["of"].astype(str),
        }
    )
    return ProgrammeHealth(
        scope=scope, trend=trend, by_unit=by_unit, behind=behind, people=len(facts.people)
    )
