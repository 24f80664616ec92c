"""Two people save the same record with the same version at the same moment:
exactly one save wins and the other is refused as stale, on both backends.

The rolled-back `session` fixture cannot show this (one connection, no real
commits), so these tests build their own database, commit for real and run
each save in its own thread and unit of work.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from core.assessments import record_manager_rating, record_self_assessment
from core.competencies import get_role_map_grid, save_role_map
from core.errors import StaleEdit
from core.goals import update_goal
from core.grid import GridChanges
from core.people import get_people_grid, save_people_grid
from core.runtime import unit_of_work
from db.models import (
    CurrentLevel,
    Goal,
    GoalUpdate,
    Person,
    Position,
    RoleRequirement,
    Scale,
)
from tests.factories import (
    actor_for,
    make_competency,
    make_cycle,
    make_framework,
    make_goal,
    make_person,
    make_position,
    make_requirement,
    make_scale,
    make_small_org,
    scale_value,
)
from tests.integration.conftest import own_database

TRIALS = 20


@pytest.fixture(scope="module")
def committed_engine(backend: str) -> Iterator[Engine]:
    """A migrated database of its own whose commits are real, for the module."""
    with own_database(backend) as engine:
        yield engine


def race(engine: Engine, saves: list[Callable[[Session], object]]) -> list[str]:
    """Run each save in its own thread and unit of work, released together;
    each outcome is "saved", "stale" or the unexpected error's repr."""
    barrier = threading.Barrier(len(saves))
    outcomes: list[str] = [""] * len(saves)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            with unit_of_work(engine) as session:
                saves[index](session)
            outcomes[index] = "saved"
        except StaleEdit:
            outcomes[index] = "stale"
        except Exception as error:  # the test reports it instead of a thread dying quietly
            outcomes[index] = repr(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(saves))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def assert_one_winner_each_time(trials: list[list[str]]) -> None:
    tally = Counter(" + ".join(sorted(t)) for t in trials)
    assert tally == {"saved + stale": len(trials)}, (
        f"both saved in {tally['saved + saved']} of {len(trials)} trials; outcomes: {dict(tally)}"
    )


# Two different levels, so each save really changes the cell.
LEVELS = ("Proficient", "Advanced ★")


@dataclass
class World:
    goal_id: int
    owner_id: int
    hr_id: int
    manager_id: int
    scale_id: int
    framework_id: int
    position_id: int
    competency_id: int


@pytest.fixture(scope="module")
def world(committed_engine: Engine) -> World:
    with unit_of_work(committed_engine) as session:
        org = make_small_org(session)
        goal = make_goal(session, cycle=make_cycle(session), owner=org.report)
        scale = make_scale(session)
        framework = make_framework(session, scale=scale)
        competency = make_competency(session, framework=framework)
        position = make_position(session)
        make_requirement(
            session,
            position=position,
            competency=competency,
            value=scale_value(session, scale, "Basic"),
        )
        return World(
            goal_id=goal.id or 0,
            owner_id=org.report.id or 0,
            hr_id=org.hr.id or 0,
            manager_id=org.manager.id or 0,
            scale_id=scale.id or 0,
            framework_id=framework.id or 0,
            position_id=position.id or 0,
            competency_id=competency.id or 0,
        )


def test_simultaneous_goal_saves_one_wins(committed_engine: Engine, world: World) -> None:
    trials = []
    for trial in range(TRIALS):
        with unit_of_work(committed_engine) as session:
            version = session.exec(select(Goal.version).where(Goal.id == world.goal_id)).one()
            actor = actor_for(session, session.get_one(Person, world.owner_id))
        saves = [
            partial(
                update_goal,
                actor=actor,
                goal_id=world.goal_id,
                version=version,
                changes=GoalUpdate(title=f"{who} {trial}"),
            )
            for who in ("A", "B")
        ]
        trials.append(race(committed_engine, saves))
    assert_one_winner_each_time(trials)
    with unit_of_work(committed_engine) as session:
        saved = session.get_one(Goal, world.goal_id)
        assert saved.version == 1 + sum(t.count("saved") for t in trials)


def test_simultaneous_role_map_cell_saves_one_wins(committed_engine: Engine, world: World) -> None:
    column = f"c{world.competency_id}"
    trials = []
    for _ in range(TRIALS):
        with unit_of_work(committed_engine) as session:
            actor = actor_for(session, session.get_one(Person, world.hr_id))
            grid = get_role_map_grid(session, actor=actor, framework_id=world.framework_id)
        row = int(grid.frame.index[grid.frame["position_id"] == world.position_id][0])
        saves = [
            partial(save_role_map, actor=actor, grid=grid, edited_rows={row: {column: level}})
            for level in LEVELS
        ]

        trials.append(race(committed_engine, saves))
    assert_one_winner_each_time(trials)
    with unit_of_work(committed_engine) as session:
        cell = session.exec(
            select(RoleRequirement).where(RoleRequirement.position_id == world.position_id)
        ).one()
        assert cell.version == 1 + sum(t.count("saved") for t in trials)


def test_simultaneous_first_setting_of_an_empty_cell_one_wins(
    committed_engine: Engine, world: World
) -> None:
    column = f"c{world.competency_id}"
    trials = []
    for _ in range(TRIALS):
        with unit_of_work(committed_engine) as session:
            position_id = make_position(session).id
            actor = actor_for(session, session.get_one(Person, world.hr_id))
            grid = get_role_map_grid(session, actor=actor, framework_id=world.framework_id)
        row = int(grid.frame.index[grid.frame["position_id"] == position_id][0])
        saves = [
            partial(save_role_map, actor=actor, grid=grid, edited_rows={row: {column: level}})
            for level in LEVELS
        ]

        trials.append(race(committed_engine, saves))
    assert_one_winner_each_time(trials)


def test_simultaneous_people_grid_saves_one_wins(committed_engine: Engine, world: World) -> None:
    trials = []
    for trial in range(TRIALS):
        with unit_of_work(committed_engine) as session:
            actor = actor_for(session, session.get_one(Person, world.hr_id))
            shown = get_people_grid(session, actor=actor).frame
        row = int(shown.index[shown["id"] == world.owner_id][0])
        saves = [
            partial(
                save_people_grid,
                actor=actor,
                shown=shown,
                changes=GridChanges(edited_rows={row: {"full_name": f"Rita {who}{trial}"}}),
            )
            for who in ("A", "B")
        ]
        trials.append(race(committed_engine, saves))
    assert_one_winner_each_time(trials)
    with unit_of_work(committed_engine) as session:
        person = session.get_one(Person, world.owner_id)
        assert person.version == 1 + sum(t.count("saved") for t in trials)


def test_simultaneous_ratings_leave_the_current_level_a_rebuild_would_choose(
    committed_engine: Engine, world: World
) -> None:
    """A manager rating and a self-assessment of one competency at once: both
    are kept, and the current level is the manager's, as the rule says."""
    failures = []
    for _ in range(TRIALS):
        with unit_of_work(committed_engine) as session:
            manager = session.get_one(Person, world.manager_id)
            position = session.get_one(Position, world.position_id)
            person = make_person(session, manager=manager, position=position)
            scale = session.get_one(Scale, world.scale_id)
            value_id = scale_value(session, scale, "Advanced").id or 0
            rater = actor_for(session, manager)
            rated = actor_for(session, person)
        saves = [
            partial(
                record_manager_rating,
                actor=rater,
                person_id=rated.person_id,
                competency_id=world.competency_id,
                value_id=value_id,
            ),
            partial(
                record_self_assessment,
                actor=rated,
                competency_id=world.competency_id,
                value_id=value_id,
            ),
        ]
        outcomes = race(committed_engine, saves)
        with unit_of_work(committed_engine) as session:
            current = session.exec(
                select(CurrentLevel.source).where(CurrentLevel.person_id == rated.person_id)
            ).all()
        if outcomes != ["saved", "saved"] or current != ["manager"]:
            failures.append((outcomes, current))
    assert failures == [], f"{len(failures)} of {TRIALS} trials went wrong: {failures[:3]}"
