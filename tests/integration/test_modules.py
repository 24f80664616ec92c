"""Module switches per unit: HR only, all or nothing, stale edits refused,
enforced by core for actions, to-dos and navigation; data entered stays."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from functools import partial

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from core.access import Actor, navigation
from core.checkins.commands import open_next_check_in
from core.errors import PermissionDenied, StaleEdit, ValidationError
from core.feedback.commands import create_feedback
from core.goals import create_goal, record_progress
from core.grid import GridChanges
from core.modules.commands import (
    SwitchChange,
    create_rollout_step,
    delete_rollout_step,
    save_module_grid,
    update_module_switches,
)
from core.modules.queries import get_module_grid, list_rollout_plan, modules_for_person
from core.modules.rules import MODULE_LABELS, Module, SwitchState
from core.runtime import unit_of_work
from core.todos import list_todos
from db.models import (
    AuditEvent,
    FeedbackCreate,
    Goal,
    GoalCreate,
    KeyResult,
    ModuleSwitch,
    Person,
    RolloutStepBase,
    utcnow,
)
from tests.factories import actor_for, make_cycle, make_goal, make_small_org
from tests.integration.conftest import own_database
from tests.integration.test_concurrent_edits import race

TODAY = date.today()


def _switch(
    session: Session, hr_actor: Actor, unit_id: int, module: Module, state: SwitchState
) -> None:
    shown = next(r for r in get_module_grid(session, actor=hr_actor) if r.unit_id == unit_id)
    update_module_switches(
        session,
        actor=hr_actor,
        changes=[SwitchChange(unit_id, module, shown.own[module], state)],
    )


def test_only_hr_reads_or_changes_the_switches(session: Session) -> None:
    org = make_small_org(session)
    manager = actor_for(session, org.manager)
    with pytest.raises(PermissionDenied):
        get_module_grid(session, actor=manager)
    with pytest.raises(PermissionDenied):
        update_module_switches(
            session,
            actor=manager,
            changes=[
                SwitchChange(org.team_a.id or 0, Module.goals, SwitchState.inherit, SwitchState.off)
            ],
        )
    assert session.exec(select(ModuleSwitch)).all() == []
    denied = session.exec(select(AuditEvent).where(AuditEvent.action == "access.denied")).all()
    assert len(denied) == 2


def test_a_switch_inherits_down_and_is_shown_in_the_grid(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    company_id = org.team_a.parent_id or 0
    _switch(session, hr, company_id, Module.checkins, SwitchState.off)
    _switch(session, hr, org.team_a.id or 0, Module.checkins, SwitchState.on)
    grid = {row.unit_id: row for row in get_module_grid(session, actor=hr)}
    assert grid[company_id].own[Module.checkins] is SwitchState.off
    assert grid[org.team_b.id or 0].own[Module.checkins] is SwitchState.inherit
    assert grid[org.team_b.id or 0].effective[Module.checkins] is False
    assert grid[org.team_a.id or 0].effective[Module.checkins] is True
    assert "checkins" in modules_for_person(session, person_id=org.report.id or 0)
    assert "checkins" not in modules_for_person(session, person_id=org.outsider.id or 0)
    # Back to "as parent" removes the unit's own row.
    _switch(session, hr, org.team_a.id or 0, Module.checkins, SwitchState.inherit)
    assert "checkins" not in modules_for_person(session, person_id=org.report.id or 0)
    events = session.exec(
        select(AuditEvent).where(AuditEvent.action == "module_switch.changed")
    ).all()
    assert len(events) == 3


def test_a_save_with_one_stale_cell_writes_nothing(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    rows = get_module_grid(session, actor=hr)
    # Someone else switches team B's goals off after this grid was shown.
    _switch(session, hr, org.team_b.id or 0, Module.goals, SwitchState.off)
    position = {row.unit_id: i for i, row in enumerate(rows)}
    goals, feedback = MODULE_LABELS[Module.goals], MODULE_LABELS[Module.feedback]
    changes = GridChanges(
        edited_rows={
            position[org.team_a.id or 0]: {feedback: "off"},
            position[org.team_b.id or 0]: {goals: "on"},
        }
    )
    with pytest.raises(StaleEdit):
        save_module_grid(session, actor=hr, rows=rows, changes=changes)
    switched = {(s.org_unit_id, s.module) for s in session.exec(select(ModuleSwitch)).all()}
    assert switched == {(org.team_b.id, "goals")}


def test_grid_refuses_unknown_choices_and_added_rows(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    rows = get_module_grid(session, actor=hr)
    with pytest.raises(ValidationError, match="as parent, on or off"):
        save_module_grid(
            session,
            actor=hr,
            rows=rows,
            changes=GridChanges(edited_rows={0: {MODULE_LABELS[Module.goals]: "=1+1"}}),
        )
    with pytest.raises(ValidationError, match="Organisation"):
        save_module_grid(
            session, actor=hr, rows=rows, changes=GridChanges(added_rows=[{"Unit": "New"}])
        )
    assert session.exec(select(ModuleSwitch)).all() == []


def test_core_refuses_the_practice_where_it_is_off_and_keeps_the_data(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    cycle = make_cycle(session)
    kept = make_goal(session, cycle=cycle, owner=org.report, key_results=[(0, 10, 1)])
    _switch(session, hr, org.team_a.id or 0, Module.goals, SwitchState.off)
    report = actor_for(session, org.report)
    assert "goals" not in report.modules
    with pytest.raises(PermissionDenied, match="Goals and OKRs is not switched on"):
        create_goal(session, actor=report, goal_in=GoalCreate(title="New", cycle_id=cycle.id or 0))
    kr = session.exec(select(KeyResult).where(KeyResult.goal_id == kept.id)).one()
    with pytest.raises(PermissionDenied):
        record_progress(
            session,
            actor=report,
            key_result_id=kr.id or 0,
            version=kr.version,
            value=5,
            confidence="on track",
        )
    assert session.get(Goal, kept.id) is not None
    pages = {p for ps in navigation(report).values() for p in ps}
    assert "my_goals" not in pages
    assert "dashboard" in pages
    # Team B still has goals.
    outsider = actor_for(session, org.outsider)
    create_goal(session, actor=outsider, goal_in=GoalCreate(title="Ok", cycle_id=cycle.id or 0))


def test_home_to_dos_of_a_practice_that_is_off_are_left_out(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    goal = make_goal(session, cycle=make_cycle(session), owner=org.report, key_results=[(0, 1, 0)])
    goal.created_at = utcnow() - timedelta(days=40)
    session.add(goal)
    session.flush()
    before = list_todos(session=session, actor=actor_for(session, org.report), today=TODAY)
    assert any(todo.module == "goals" for todo in before)
    _switch(session, hr, org.team_a.id or 0, Module.goals, SwitchState.off)
    after = list_todos(session=session, actor=actor_for(session, org.report), today=TODAY)
    assert not any(todo.module == "goals" for todo in after)


def test_rollout_steps_are_listed_by_date_and_removed_only_at_their_version(
    session: Session,
) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    later = create_rollout_step(
        session,
        actor=hr,
        step_in=RolloutStepBase(
            module="checkins",
            org_unit_id=org.team_b.id or 0,
            kind="widening",
            starts_on=TODAY + timedelta(days=60),
            note='=HYPERLINK("x")\x07',
        ),
    )
    create_rollout_step(
        session,
        actor=hr,
        step_in=RolloutStepBase(module="checkins", org_unit_id=org.team_a.id or 0, starts_on=TODAY),
    )
    plan = list_rollout_plan(session, actor=hr)
    assert [(s.unit_name, s.kind) for s in plan] == [("Team A", "pilot"), ("Team B", "widening")]
    assert plan[1].note == '=HYPERLINK("x")'
    with pytest.raises(ValidationError):
        create_rollout_step(
            session,
            actor=hr,
            step_in=RolloutStepBase(
                module="payroll", org_unit_id=org.team_a.id or 0, starts_on=TODAY
            ),
        )
    with pytest.raises(StaleEdit):
        delete_rollout_step(session, actor=hr, step_id=later.id or 0, version=later.version + 1)
    delete_rollout_step(session, actor=hr, step_id=later.id or 0, version=later.version)
    assert len(list_rollout_plan(session, actor=hr)) == 1
    with pytest.raises(PermissionDenied):
        list_rollout_plan(session, actor=actor_for(session, org.report))


@pytest.fixture(scope="module")
def committed_engine(backend: str) -> Iterator[Engine]:
    with own_database(backend) as engine:
        yield engine


def test_two_hr_leads_switching_the_same_unit_at_once_one_wins(committed_engine: Engine) -> None:
    with unit_of_work(committed_engine) as session:
        org = make_small_org(session)
        hr_id, unit_id = org.hr.id or 0, org.team_a.id or 0
    outcomes_seen = []
    for state in (SwitchState.off, SwitchState.on):
        with unit_of_work(committed_engine) as session:
            hr_person = session.get(Person, hr_id)
            assert hr_person is not None
            hr = actor_for(session, hr_person)
            shown = next(r for r in get_module_grid(session, actor=hr) if r.unit_id == unit_id)
        change = [SwitchChange(unit_id, Module.feedback, shown.own[Module.feedback], state)]
        save = partial(update_module_switches, actor=hr, changes=change)
        outcomes = race(committed_engine, [save, save])
        outcomes_seen.append(sorted(outcomes))
    assert outcomes_seen == [["saved", "stale"], ["saved", "stale"]]


def test_feedback_is_refused_about_people_in_a_unit_without_it(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    _switch(session, hr, org.team_b.id or 0, Module.feedback, SwitchState.off)
    manager = actor_for(session, org.manager)
    with pytest.raises(PermissionDenied, match="Continuous feedback is not switched on"):
        create_feedback(
            session,
            actor=manager,
            feedback_in=FeedbackCreate(receiver_id=org.outsider.id or 0, text="Thanks!"),
        )
    create_feedback(
        session,
        actor=manager,
        feedback_in=FeedbackCreate(receiver_id=org.report.id or 0, text="Thanks!"),
    )
    assert "feedback" not in actor_for(session, org.outsider).modules


def test_a_check_in_is_refused_for_a_pair_in_a_unit_without_check_ins(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    _switch(session, hr, org.team_b.id or 0, Module.checkins, SwitchState.off)
    with pytest.raises(PermissionDenied, match="Check-ins is not switched on"):
        open_next_check_in(
            session, actor=actor_for(session, org.other_manager), employee_id=org.outsider.id or 0
        )
    assert open_next_check_in(
        session, actor=actor_for(session, org.manager), employee_id=org.report.id or 0
    )
