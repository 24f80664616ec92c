"""Reads: the experiments list, one experiment, its results side by side,
the form's unit choices; HR only, checked on every read.

Results are computed from the stored data over the period (its first day to
its last, or to today while it runs) for the pairs in each arm — see
core.experiments.rules for each outcome's arithmetic. A handful of queries
per experiment, each bounded by the arms' people and the period.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from core.access import Actor
from core.checkins.scope import today_utc
from core.errors import ValidationError
from core.experiments import rules
from core.experiments.commands import require_experiments
from core.experiments.pulse import PULSE_COLUMNS, pulse_table
from core.experiments.rules import Arm, Outcome
from core.experiments.scope import experiment_people, load_experiment
from core.goals.rules import (
    COUNTED_STATUSES,
    WeightedProgress,
    elapsed_share,
    goal_progress,
    is_at_risk,
    key_result_progress,
)
from core.modules.queries import modules_by_unit
from core.modules.rules import Module
from core.org import list_units
from db.models import (
    CheckIn,
    CheckInStatus,
    Experiment,
    ExperimentMember,
    ExperimentRead,
    ExperimentStatus,
    Feedback,
    Goal,
    GoalCycle,
    KeyResult,
    OrgUnit,
    ProgressUpdate,
)


def _read(session: Session, experiment: Experiment) -> ExperimentRead:
    assert experiment.id is not None
    names = dict(session.exec(select(OrgUnit.id, OrgUnit.name)).all())
    chosen = session.exec(
        select(ExperimentMember.arm, ExperimentMember.unit_id).where(
            ExperimentMember.experiment_id == experiment.id, col(ExperimentMember.chosen)
        )
    ).all()
    people = experiment_people(session, experiment)
    counts = rules.arm_counts(people)
    return ExperimentRead(
        **experiment.model_dump(),
        unit_name=names.get(experiment.unit_id) if experiment.unit_id else None,
        units_a=sorted(names.get(u, str(u)) for arm, u in chosen if arm == Arm.a and u),
        units_b=sorted(names.get(u, str(u)) for arm, u in chosen if arm == Arm.b and u),
        people_a=counts[0],
        people_b=counts[1],
    )


def list_experiments(session: Session, *, actor: Actor) -> list[ExperimentRead]:
    """Newest first."""
    require_experiments(session, actor, "read", None)
    rows = session.exec(select(Experiment).order_by(col(Experiment.id).desc())).all()
    return [_read(session, row) for row in rows]


def get_experiment(session: Session, *, actor: Actor, experiment_id: int) -> ExperimentRead:
    require_experiments(session, actor, "read", experiment_id)
    return _read(session, load_experiment(session, experiment_id))


@dataclass(frozen=True)
class UnitChoice:
    id: int
    name: str  # indented by depth
    checkins_on: bool


def list_unit_choices(session: Session, *, actor: Actor) -> list[UnitChoice]:
    """Every active unit for the form, saying where check-ins are on."""
    require_experiments(session, actor, "read", None)
    on = modules_by_unit(session)
    return [
        UnitChoice(unit_id, name, Module.checkins.value in on(unit_id))
        for unit_id, name in list_units(session, active_only=True)
    ]


# --- results ---------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeResult:
    outcome: Outcome
    value_a: float | None
    value_b: float | None
    people_a: int
    people_b: int
    difference: float | None
    low: float | None
    high: float | None
    verdict: rules.Verdict


@dataclass(frozen=True)
class ExperimentResults:
    experiment: ExperimentRead
    since: date
    until: date
    outcomes: list[OutcomeResult]
    winner: Arm | None  # on the deciding outcome
    # Pulse answers per arm (core.experiments.pulse); empty when none are tagged.
    pulse: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PULSE_COLUMNS))

    @property
    def label_a(self) -> str:
        return rules.arm_label(Arm.a, self.experiment.variant_a)

    @property
    def label_b(self) -> str:
        return rules.arm_label(Arm.b, self.experiment.variant_b)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


def _day(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


def _person_facts(
    session: Session, people: set[int], *, since: date, until: date
) -> dict[int, rules.PersonFacts]:
    ids = sorted(people)
    start, end = _day_start(since), _day_start(until + timedelta(days=1))
    held: dict[int, list[date]] = defaultdict(list)
    for employee_id, held_on in session.execute(
        sa_select(col(CheckIn.employee_id), col(CheckIn.held_on)).where(
            col(CheckIn.employee_id).in_(ids),
            col(CheckIn.held_on) >= since,
            col(CheckIn.held_on) <= until,
            col(CheckIn.status) != CheckInStatus.planned.value,
        )
    ).all():
        if held_on is not None:
            held[employee_id].append(held_on)
    feedback: dict[int, list[date]] = defaultdict(list)
    for giver_id, receiver_id, created_at in session.exec(
        select(Feedback.giver_id, Feedback.receiver_id, Feedback.created_at).where(
            col(Feedback.created_at) >= start,
            col(Feedback.created_at) < end,
            or_(col(Feedback.giver_id).in_(ids), col(Feedback.receiver_id).in_(ids)),
        )
    ).all():
        for person_id in {giver_id, receiver_id} & people:
            feedback[person_id].append(_day(created_at))
    goals = session.execute(
        sa_select(
            col(Goal.id),
            col(Goal.owner_id),
            col(Goal.status),
            col(GoalCycle.starts_on),
            col(GoalCycle.ends_on),
        )
        .join(GoalCycle, col(GoalCycle.id) == col(Goal.cycle_id))
        .where(
            col(Goal.owner_id).in_(ids),
            col(Goal.level) == "individual",
            col(Goal.status).in_(sorted(COUNTED_STATUSES)),
            col(GoalCycle.starts_on) <= until,
            col(GoalCycle.ends_on) >= since,
        )
    ).all()
    goal_ids = [row[0] for row in goals]
    key_results = session.execute(
        sa_select(
            col(KeyResult.id),
            col(KeyResult.goal_id),
            col(KeyResult.start_value),
            col(KeyResult.target_value),
            col(KeyResult.metric),
            col(KeyResult.weight),
        ).where(col(KeyResult.goal_id).in_(goal_ids))
    ).all()
    owner_of_kr = {}
    goal_owner = {row[0]: row[1] for row in goals}
    for kr_id, goal_id, *_ in key_results:
        owner_of_kr[kr_id] = goal_owner[goal_id]
    last: dict[int, tuple[datetime, float, str]] = {}
    updates: dict[int, list[date]] = defaultdict(list)
    for kr_id, value, confidence, at in session.execute(
        sa_select(
            col(ProgressUpdate.key_result_id),
            col(ProgressUpdate.value),
            col(ProgressUpdate.confidence),
            col(ProgressUpdate.at),
        ).where(
            col(ProgressUpdate.key_result_id).in_(list(owner_of_kr)),
            col(ProgressUpdate.at) < end,
        )
    ).all():
        stamp = at if at.tzinfo else at.replace(tzinfo=UTC)
        if kr_id not in last or stamp >= last[kr_id][0]:
            last[kr_id] = (stamp, value, confidence)
        if stamp >= start:
            updates[owner_of_kr[kr_id]].append(stamp.date())
    # Each key result at its last value recorded by the period's end.
    krs_of_goal: dict[int, list[tuple[WeightedProgress, str | None]]] = defaultdict(list)
    for kr_id, goal_id, start_value, target, metric, weight in key_results:
        latest = last.get(kr_id)
        current = latest[1] if latest else start_value
        progress = key_result_progress(
            start=start_value, target=target, current=current, metric=metric
        )
        krs_of_goal[goal_id].append(
            (WeightedProgress(progress=progress, weight=weight), latest[2] if latest else None)
        )
    goals_of: dict[int, list[rules.GoalAtEnd]] = defaultdict(list)
    for goal_id, owner_id, status, cycle_starts, cycle_ends in goals:
        krs = krs_of_goal.get(goal_id, [])
        progress_value = goal_progress([kr for kr, _confidence in krs])
        risky = is_at_risk(
            status=status,
            progress=progress_value,
            elapsed=elapsed_share(starts_on=cycle_starts, ends_on=cycle_ends, today=until),
            confidences=[confidence for _kr, confidence in krs],
        )
        goals_of[owner_id].append(rules.GoalAtEnd(progress=progress_value, at_risk=risky))
    return {
        person_id: rules.PersonFacts(
            held=held.get(person_id, []),
            feedback=feedback.get(person_id, []),
            updates=updates.get(person_id, []),
            goals=goals_of.get(person_id, []),
        )
        for person_id in ids
    }


def compute_results(
    session: Session, experiment: Experiment, *, today: date | None = None
) -> ExperimentResults:
    """The outcomes side by side (no access check: callers check)."""
    read = _read(session, experiment)
    since = experiment.starts_on
    until = min(experiment.ends_on, today or today_utc())
    people = experiment_people(session, experiment)
    cadence = {Arm.a: experiment.variant_a, Arm.b: experiment.variant_b}
    values: dict[Outcome, dict[Arm, list[float]]] = {
        outcome: {Arm.a: [], Arm.b: []} for outcome in Outcome
    }
    if until >= since and people:
        facts = _person_facts(session, set(people), since=since, until=until)
        for person_id, arm in sorted(people.items()):
            figures = rules.person_outcomes(
                facts[person_id], starts_on=since, ends_on=until, cadence=cadence[arm]
            )
            for outcome, figure in figures.items():
                if figure is not None:
                    values[outcome][arm].append(figure)
    label_a = rules.arm_label(Arm.a, experiment.variant_a)
    label_b = rules.arm_label(Arm.b, experiment.variant_b)
    outcomes = []
    for index, outcome in enumerate(Outcome):
        a, b = values[outcome][Arm.a], values[outcome][Arm.b]
        difference = low = high = None
        if a and b:
            difference, low, high = rules.bootstrap_difference(a, b, seed=experiment.seed + index)
        outcomes.append(
            OutcomeResult(
                outcome=outcome,
                value_a=rules.mean_or_none(a),
                value_b=rules.mean_or_none(b),
                people_a=len(a),
                people_b=len(b),
                difference=difference,
                low=low,
                high=high,
                verdict=rules.verdict(
                    outcome,
                    people_a=len(a),
                    people_b=len(b),
                    low=low,
                    high=high,
                    label_a=label_a,
                    label_b=label_b,
                ),
            )
        )
    deciding = next(r for r in outcomes if r.outcome == experiment.primary_outcome)
    return ExperimentResults(
        experiment=read,
        since=since,
        until=until,
        outcomes=outcomes,
        winner=deciding.verdict.winner,
    )


def get_experiment_results(
    session: Session, *, actor: Actor, experiment_id: int, today: date | None = None
) -> ExperimentResults:
    require_experiments(session, actor, "read", experiment_id)
    experiment = load_experiment(session, experiment_id)
    if experiment.status == ExperimentStatus.draft:
        raise ValidationError("This experiment has not started: there are no results yet.")
    results = compute_results(session, experiment, today=today)
    pulse = pulse_table(
        session,
        actor=actor,
        experiment=experiment,
        label_a=results.label_a,
        label_b=results.label_b,
    )
    return replace(results, pulse=pulse)


def _figure(value: float | None, unit: str, *, signed: bool = False) -> str:
    if value is None:
        return "—"
    value = round(value, 2) + 0.0  # no "-0.00" for a tiny negative
    sign = "+" if signed and value > 0 else ""
    if unit == "%":
        return f"{sign}{value:.1f} %" if not signed else f"{sign}{value:.1f} pts"
    if unit == "days":
        return f"{sign}{value:.1f} days"
    return f"{sign}{value:.2f}"


def results_table(results: ExperimentResults) -> pd.DataFrame:
    """The outcomes as shown: text, one row per outcome."""
    rows = []
    for result in results.outcomes:
        spec = rules.OUTCOMES[result.outcome]
        interval = (
            "—"
            if result.low is None or result.high is None
            else f"{_figure(result.low, spec.unit, signed=True)} to "
            f"{_figure(result.high, spec.unit, signed=True)}"
        )
        rows.append(
            {
                "Outcome": spec.label,
                results.label_a: _figure(result.value_a, spec.unit),
                results.label_b: _figure(result.value_b, spec.unit),
                "Difference (B − A)": _figure(result.difference, spec.unit, signed=True),
                "95 % interval": interval,
                "People (A / B)": f"{result.people_a} / {result.people_b}",
                "What it says": result.verdict.caveat,
            }
        )
    return pd.DataFrame(rows)


def results_export(results: ExperimentResults) -> pd.DataFrame:
    """The outcomes as numbers, for the workbook."""
    return pd.DataFrame(
        [
            {
                "Experiment": results.experiment.name,
                "Outcome": rules.OUTCOMES[r.outcome].label,
                "Unit": rules.OUTCOMES[r.outcome].unit,
                results.label_a: r.value_a,
                results.label_b: r.value_b,
                "Difference (B − A)": r.difference,
                "Interval low": r.low,
                "Interval high": r.high,
                "People A": r.people_a,
                "People B": r.people_b,
                "What it says": r.verdict.caveat,
            }
            for r in results.outcomes
        ]
    )


def pulse_answers_table(results: ExperimentResults) -> pd.DataFrame:
    """The pulse answers per arm as shown and exported, arms named by their label."""
    return results.pulse.rename(
        columns={
            "A": results.label_a,
            "B": results.label_b,
            "Answers A": f"Answers in {results.label_a}",
            "Answers B": f"Answers in {results.label_b}",
        }
    )


def results_workbook(results: ExperimentResults) -> dict[str, pd.DataFrame]:
    """The download: the outcomes, and the pulse answers per arm when there are any."""
    sheets = {"Results": results_export(results)}
    if not results.pulse.empty:
        sheets["Pulse answers"] = pulse_answers_table(results)
    return sheets


def results_chart_frame(results: ExperimentResults) -> pd.DataFrame:
    """One row per outcome with a difference: outcome, difference, low, high."""
    return pd.DataFrame(
        [
            {
                "outcome": f"{rules.OUTCOMES[r.outcome].label} ({rules.OUTCOMES[r.outcome].unit})",
                "difference": r.difference,
                "low": r.low,
                "high": r.high,
            }
            for r in results.outcomes
            if r.difference is not None and r.low is not None and r.high is not None
        ],
        columns=["outcome", "difference", "low", "high"],
    )
