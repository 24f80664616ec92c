"""Cadence experiments on a real database: Stride sets the arms' cadences,
finishing restores them, applying makes the winner the units' default; the
results count what is stored; only HR may; check-ins must be on; one
concurrent start or apply wins."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from core.access import Actor
from core.errors import PermissionDenied, StaleEdit, ValidationError
from core.experiments import commands, queries, rules
from core.experiments.rules import Arm, Outcome
from core.modules.rules import Module
from core.runtime import unit_of_work
from db.models import (
    AuditEvent,
    CheckInPair,
    CheckInUnitCadence,
    ExperimentCreate,
    ExperimentMember,
    ExperimentStatus,
    Feedback,
    ModuleSwitch,
    OrgUnit,
    Person,
)
from tests.factories import (
    actor_for,
    make_check_in,
    make_person,
    make_small_org,
    make_unit,
)
from tests.integration.conftest import own_database
from tests.integration.test_concurrent_edits import race

STARTS = date(2026, 9, 1)
ENDS = STARTS + timedelta(days=27)  # 28 days: 4 weekly check-ins due, 1 monthly
TODAY = date(2026, 10, 15)


def _unit_cadence(session: Session, unit_id: int | None) -> str | None:
    row = session.exec(
        select(CheckInUnitCadence).where(CheckInUnitCadence.org_unit_id == unit_id)
    ).first()
    return row.every if row else None


def _pair_cadence(session: Session, person: Person) -> str | None:
    pair = session.exec(select(CheckInPair).where(CheckInPair.employee_id == person.id)).first()
    return pair.every if pair else None


def _units_in(unit_a: OrgUnit, unit_b: OrgUnit, **overrides: object) -> ExperimentCreate:
    fields: dict[str, object] = {
        "name": "Weekly or monthly",
        "hypothesis": "Weekly check-ins keep goals moving.",
        "design": "units",
        "variant_a": "weekly",
        "variant_b": "monthly",
        "primary_outcome": "adherence",
        "starts_on": STARTS,
        "ends_on": ENDS,
        "seed": 11,
        "units_a": [unit_a.id],
        "units_b": [unit_b.id],
    }
    fields.update(overrides)
    return ExperimentCreate.model_validate(fields)


def test_start_sets_the_arms_cadences_and_finish_puts_them_back(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    below_a = make_unit(session, name="Team A1", parent=org.team_a)
    deep = make_person(session, unit=below_a, manager=org.manager)
    session.add(CheckInUnitCadence(org_unit_id=org.team_a.id or 0, every="biweekly"))
    session.add(CheckInPair(employee_id=org.report.id or 0, every="none", starts_on=STARTS))
    session.flush()

    created = commands.create_experiment(
        session, actor=hr, experiment_in=_units_in(org.team_a, org.team_b)
    )
    assert created.id is not None
    started = commands.start_experiment(
        session, actor=hr, experiment_id=created.id, version=created.version, today=TODAY
    )
    assert started.status == ExperimentStatus.running
    assert _unit_cadence(session, org.team_a.id) == "weekly"
    assert _unit_cadence(session, below_a.id) == "weekly"  # a unit's default covers only its own
    assert _unit_cadence(session, org.team_b.id) == "monthly"
    assert _pair_cadence(session, org.report) is None  # its own cadence gives way to the arm's
    read = queries.get_experiment(session, actor=hr, experiment_id=created.id)
    # Team A: manager, report, peer, lead, indirect, the deep one; team B: two.
    assert (read.people_a, read.people_b) == (6, 2)
    assert deep.id is not None

    commands.finish_experiment(session, actor=hr, experiment_id=created.id, version=started.version)
    assert _unit_cadence(session, org.team_a.id) == "biweekly"
    assert _unit_cadence(session, below_a.id) is None
    assert _unit_cadence(session, org.team_b.id) is None
    assert _pair_cadence(session, org.report) == "none"


def test_the_pairs_design_assigns_from_the_seed_and_sets_each_pairs_cadence(
    session: Session,
) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    session.add(CheckInPair(employee_id=org.peer.id or 0, every="biweekly", starts_on=STARTS))
    session.flush()
    created = commands.create_experiment(
        session,
        actor=hr,
        experiment_in=_units_in(
            org.team_a, org.team_b, design="pairs", unit_id=org.team_a.id, units_a=[], units_b=[]
        ),
    )
    assert created.id is not None
    started = commands.start_experiment(
        session, actor=hr, experiment_id=created.id, version=created.version, today=TODAY
    )
    team = [org.manager, org.report, org.peer, org.lead, org.indirect]
    expected = rules.assign_pairs([p.id or 0 for p in team], seed=11)
    members = session.exec(
        select(ExperimentMember).where(ExperimentMember.experiment_id == created.id)
    ).all()
    assert {m.employee_id: Arm(m.arm) for m in members} == expected
    for person in team:
        arm = expected[person.id or 0]
        assert _pair_cadence(session, person) == ("weekly" if arm == Arm.a else "monthly")
    commands.finish_experiment(session, actor=hr, experiment_id=created.id, version=started.version)
    assert _pair_cadence(session, org.peer) == "biweekly"
    assert _pair_cadence(session, org.report) is None


def test_finishing_keeps_a_cadence_hr_changed_by_hand_during_the_run(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    session.add(CheckInUnitCadence(org_unit_id=org.team_b.id or 0, every="biweekly"))
    session.add(CheckInPair(employee_id=org.report.id or 0, every="none", starts_on=STARTS))
    session.flush()
    created = commands.create_experiment(
        session, actor=hr, experiment_in=_units_in(org.team_a, org.team_b)
    )
    assert created.id is not None
    started = commands.start_experiment(
        session, actor=hr, experiment_id=created.id, version=created.version, today=TODAY
    )
    # During the run HR sets team A to fortnightly and gives the report a cadence of their own.
    row = session.exec(
        select(CheckInUnitCadence).where(CheckInUnitCadence.org_unit_id == org.team_a.id)
    ).one()
    row.every = "biweekly"
    pair = session.exec(select(CheckInPair).where(CheckInPair.employee_id == org.report.id)).one()
    pair.every = "monthly"
    session.add_all([row, pair])
    session.flush()

    kept = commands.finish_experiment(
        session, actor=hr, experiment_id=created.id, version=started.version
    )
    assert kept == 2
    assert _unit_cadence(session, org.team_a.id) == "biweekly"
    assert _pair_cadence(session, org.report) == "monthly"
    assert _unit_cadence(session, org.team_b.id) == "biweekly"  # untouched since start: restored
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "experiment.finished")).one()
    assert json.loads(event.detail)["kept"] == 2


@dataclass
class Arms:
    hr: Actor
    unit_a: OrgUnit
    unit_b: OrgUnit
    people_a: list[Person]
    people_b: list[Person]


def _two_arms(session: Session, size: int = 6) -> Arms:
    company = make_unit(session, name="Company", kind="company")
    unit_a = make_unit(session, name="Arm A unit", parent=company)
    unit_b = make_unit(session, name="Arm B unit", parent=company)
    boss = make_person(session, name="Boss", unit=company)
    hr = make_person(session, name="HR", unit=company, manager=boss, hr=True)
    people = {}
    for unit in (unit_a, unit_b):
        lead = make_person(session, unit=unit, manager=boss)
        people[unit.id] = [lead] + [
            make_person(session, unit=unit, manager=lead) for _ in range(size - 1)
        ]
    return Arms(actor_for(session, hr), unit_a, unit_b, people[unit_a.id], people[unit_b.id])


def _at(day: date) -> datetime:
    return datetime.combine(day, time(12), UTC)


def _finished(session: Session, arms: Arms, **overrides: object) -> int:
    created = commands.create_experiment(
        session, actor=arms.hr, experiment_in=_units_in(arms.unit_a, arms.unit_b, **overrides)
    )
    assert created.id is not None
    started = commands.start_experiment(
        session, actor=arms.hr, experiment_id=created.id, version=created.version, today=STARTS
    )
    commands.finish_experiment(
        session, actor=arms.hr, experiment_id=created.id, version=started.version
    )
    return created.id


def test_results_match_hand_computed_figures_and_apply_sets_the_winner(session: Session) -> None:
    arms = _two_arms(session)
    # Arm A (weekly, 4 due in 28 days): five people hold all 4, one holds 3.
    for index, person in enumerate(arms.people_a):
        for week in range(3 if index == 0 else 4):
            make_check_in(
                session,
                employee=person,
                due_on=STARTS + timedelta(days=7 * week + 1),
                held_on=STARTS + timedelta(days=7 * week + 1),
            )
    # Arm B (monthly: 1 due on the first day): nobody held it.
    # Feedback: one item from A's first person to B's first, inside the period,
    # and one outside it (not counted).
    session.add(
        Feedback(
            giver_id=arms.people_a[0].id or 0,
            receiver_id=arms.people_b[0].id or 0,
            text="Thanks",
            created_at=_at(STARTS + timedelta(days=3)),
        )
    )
    session.add(
        Feedback(
            giver_id=arms.people_a[0].id or 0,
            receiver_id=arms.people_b[1].id or 0,
            text="Later",
            created_at=_at(ENDS + timedelta(days=1)),
        )
    )
    session.flush()
    experiment_id = _finished(session, arms, primary_outcome="feedback")
    results = queries.get_experiment_results(
        session, actor=arms.hr, experiment_id=experiment_id, today=TODAY
    )
    by = {r.outcome: r for r in results.outcomes}
    adherence = by[Outcome.adherence]
    assert adherence.value_a == pytest.approx((5 * 100 + 75) / 6)
    assert adherence.value_b == 0.0
    assert adherence.difference == pytest.approx(-(5 * 100 + 75) / 6)
    assert adherence.verdict.winner == Arm.a
    # Nobody updated a key result or owns a goal: no figures, too few to tell.
    assert by[Outcome.goal_progress].people_a == 0
    assert by[Outcome.goal_progress].verdict.caveat.startswith("Too few people to tell")
    feedback = by[Outcome.feedback]
    per_month = 1 / (28 / 30.44)
    assert feedback.value_a == pytest.approx(per_month / 6)
    assert feedback.value_b == pytest.approx(per_month / 6)
    assert feedback.difference == pytest.approx(0.0)
    assert (feedback.people_a, feedback.people_b) == (6, 6)
    assert feedback.verdict.caveat.startswith("No clear difference")
    assert results.winner is None  # decided on feedback: no clear winner
    read = queries.get_experiment(session, actor=arms.hr, experiment_id=experiment_id)
    with pytest.raises(ValidationError, match="no clear winner"):
        commands.apply_winner(
            session, actor=arms.hr, experiment_id=experiment_id, version=read.version
        )


def test_apply_makes_the_clear_winner_the_units_default(session: Session) -> None:
    arms = _two_arms(session)
    # 56 days: weekly 8 due, biweekly 4 due. A (weekly) holds all 8, B (every
    # two weeks) none: adherence 100 % against 0 %, A wins.
    ends = STARTS + timedelta(days=55)
    for person in arms.people_a:
        for week in range(8):
            day = STARTS + timedelta(days=7 * week)
            make_check_in(session, employee=person, due_on=day, held_on=day)
    experiment_id = _finished(session, arms, ends_on=ends, variant_b="biweekly")
    results = queries.get_experiment_results(
        session, actor=arms.hr, experiment_id=experiment_id, today=TODAY
    )
    adherence = next(r for r in results.outcomes if r.outcome == Outcome.adherence)
    assert (adherence.value_a, adherence.value_b) == (100.0, 0.0)
    assert adherence.difference == -100.0
    assert results.winner == Arm.a
    read = queries.get_experiment(session, actor=arms.hr, experiment_id=experiment_id)
    applied = commands.apply_winner(
        session, actor=arms.hr, experiment_id=experiment_id, version=read.version
    )
    assert applied.status == ExperimentStatus.applied
    assert applied.winner == "a"
    assert _unit_cadence(session, arms.unit_a.id) == "weekly"
    assert _unit_cadence(session, arms.unit_b.id) == "weekly"
    assert not queries.results_table(results).isna().any().any()


def test_only_hr_may_read_or_change_experiments(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    created = commands.create_experiment(
        session, actor=hr, experiment_in=_units_in(org.team_a, org.team_b)
    )
    assert created.id is not None
    for person in (org.manager, org.report):
        actor = actor_for(session, person)
        with pytest.raises(PermissionDenied):
            queries.list_experiments(session, actor=actor)
        with pytest.raises(PermissionDenied):
            queries.get_experiment_results(session, actor=actor, experiment_id=created.id)
        with pytest.raises(PermissionDenied):
            commands.create_experiment(
                session, actor=actor, experiment_in=_units_in(org.team_a, org.team_b)
            )
        with pytest.raises(PermissionDenied):
            commands.start_experiment(
                session, actor=actor, experiment_id=created.id, version=created.version
            )
    assert _unit_cadence(session, org.team_a.id) is None


def test_an_experiment_needs_check_ins_switched_on_in_its_units(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    session.add(
        ModuleSwitch(org_unit_id=org.team_b.id or 0, module=Module.checkins.value, enabled=False)
    )
    session.flush()
    with pytest.raises(ValidationError, match="not switched on in Team B"):
        commands.create_experiment(
            session, actor=hr, experiment_in=_units_in(org.team_a, org.team_b)
        )


def test_bad_input_is_refused_with_a_message(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    cases = [
        ({"variant_b": "weekly"}, "the same cadence"),
        ({"ends_on": STARTS + timedelta(days=5)}, "at least two weeks"),
        ({"name": " "}, "needs a name"),
        ({"hypothesis": "x" * 100_000}, "longer than"),
        ({"units_b": [org.team_a.id]}, "one arm only"),
        ({"units_b": []}, "at least one unit"),
        ({"variant_a": "daily"}, "Unknown cadence"),
    ]
    for overrides, message in cases:
        with pytest.raises(ValidationError, match=message):
            commands.create_experiment(
                session, actor=hr, experiment_in=_units_in(org.team_a, org.team_b, **overrides)
            )


def test_a_person_is_in_one_running_experiment_at_a_time(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    first = commands.create_experiment(
        session, actor=hr, experiment_in=_units_in(org.team_a, org.team_b)
    )
    assert first.id is not None
    commands.start_experiment(session, actor=hr, experiment_id=first.id, version=first.version)
    second = commands.create_experiment(
        session,
        actor=hr,
        experiment_in=_units_in(org.team_a, org.team_b, design="pairs", unit_id=org.team_a.id),
    )
    assert second.id is not None
    with pytest.raises(ValidationError, match="already in a running experiment"):
        commands.start_experiment(
            session, actor=hr, experiment_id=second.id, version=second.version
        )


def test_a_stale_version_is_refused(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    created = commands.create_experiment(
        session, actor=hr, experiment_in=_units_in(org.team_a, org.team_b)
    )
    assert created.id is not None
    with pytest.raises(StaleEdit):
        commands.start_experiment(
            session, actor=hr, experiment_id=created.id, version=created.version + 1
        )
    assert _unit_cadence(session, org.team_a.id) is None


def _start(session: Session, *, actor: Actor, experiment_id: int, version: int) -> None:
    commands.start_experiment(session, actor=actor, experiment_id=experiment_id, version=version)


def _apply(session: Session, *, actor: Actor, experiment_id: int, version: int) -> None:
    commands.apply_winner(session, actor=actor, experiment_id=experiment_id, version=version)


def test_simultaneous_starts_and_applies_give_one_winner(backend: str) -> None:
    with own_database(backend) as engine:
        _race_start_and_apply(engine)


def _race_start_and_apply(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        arms = _two_arms(session)
        hr = arms.hr
        created = commands.create_experiment(
            session,
            actor=hr,
            experiment_in=_units_in(arms.unit_a, arms.unit_b, variant_b="biweekly"),
        )
        assert created.id is not None
        experiment_id, version = created.id, created.version
    start = partial(_start, actor=hr, experiment_id=experiment_id, version=version)
    assert sorted(race(engine, [start, start])) == ["saved", "stale"]
    with unit_of_work(engine) as session:
        members = session.exec(
            select(ExperimentMember).where(ExperimentMember.experiment_id == experiment_id)
        ).all()
        # The chosen units once each: the losing start added nothing.
        assert len(members) == 2
        read = queries.get_experiment(session, actor=hr, experiment_id=experiment_id)
        for person in arms.people_a:
            for week in range(4):
                day = STARTS + timedelta(days=7 * week)
                make_check_in(session, employee=person, due_on=day, held_on=day)
        commands.finish_experiment(
            session, actor=hr, experiment_id=experiment_id, version=read.version
        )
        version = queries.get_experiment(session, actor=hr, experiment_id=experiment_id).version
    apply = partial(_apply, actor=hr, experiment_id=experiment_id, version=version)
    assert sorted(race(engine, [apply, apply])) == ["saved", "stale"]
    with unit_of_work(engine) as session:
        read = queries.get_experiment(session, actor=hr, experiment_id=experiment_id)
        assert read.status == ExperimentStatus.applied
        assert _unit_cadence(session, arms.unit_a.id) == "weekly"


def test_hr_is_asked_to_finish_an_ended_experiment_and_start_a_due_draft(session: Session) -> None:
    from core.todos import list_todos

    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    ended = commands.create_experiment(
        session, actor=hr, experiment_in=_units_in(org.team_a, org.team_b)
    )
    assert ended.id is not None
    commands.start_experiment(session, actor=hr, experiment_id=ended.id, version=ended.version)
    draft = commands.create_experiment(
        session,
        actor=hr,
        experiment_in=_units_in(
            org.team_a, org.team_b, name="Next", starts_on=TODAY, ends_on=TODAY + timedelta(days=28)
        ),
    )
    mine = [
        t for t in list_todos(session=session, actor=hr, today=TODAY) if t.module == "experiments"
    ]
    assert [(t.kind, t.query) for t in mine] == [
        ("experiments.finish", {"experiment": str(ended.id)}),
        ("experiments.start", {"experiment": str(draft.id)}),
    ]
    manager = actor_for(session, org.manager)
    assert not [
        t
        for t in list_todos(session=session, actor=manager, today=TODAY)
        if t.module == "experiments"
    ]
