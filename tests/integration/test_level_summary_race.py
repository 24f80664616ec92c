"""A rating saved while HR moves the rater's team under another division, on
both databases: the summary must count the person under the new division,
whichever transaction reaches the tree first."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from sqlalchemy import Engine, text
from sqlmodel import select

from core.assessments.commands import _refresh_current_level
from core.assessments.summary import rebuild_level_summary, summary_rows, tracking_unit_moves
from core.runtime import unit_of_work
from db.models import Assessment, OrgUnit, ScaleValue
from tests.factories import (
    make_competency,
    make_framework,
    make_person,
    make_position,
    make_requirement,
    make_scale,
    make_unit,
)
from tests.integration.test_level_summary import expected_summary


def _wait_until_blocked(engine: Engine, timeout: float = 10.0) -> None:
    """PostgreSQL: until another connection waits for a lock (the rating)."""
    if engine.dialect.name != "postgresql":
        time.sleep(0.5)  # SQLite: the rating queues for the write lock itself
        return
    deadline = time.monotonic() + timeout
    with engine.connect() as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            ).scalar_one()
            if waiting:
                return
            time.sleep(0.05)


def test_a_rating_during_a_team_move_counts_under_the_new_division(
    committing_engine: Engine,
) -> None:
    with unit_of_work(committing_engine) as session:
        company = make_unit(session, kind="company")
        old_division = make_unit(session, kind="division", parent=company)
        new_division = make_unit(session, kind="division", parent=company)
        team = make_unit(session, parent=old_division)
        scale = make_scale(session)
        competency = make_competency(session, framework=make_framework(session, scale=scale))
        values = session.exec(select(ScaleValue).where(ScaleValue.scale_id == scale.id)).all()
        position = make_position(session)
        make_requirement(session, position=position, competency=competency, value=values[1])
        person = make_person(session, unit=team, position=position)
        session.add(
            Assessment(
                person_id=person.id or 0,
                competency_id=competency.id or 0,
                value_id=values[0].id or 0,
                source="manager",
                at=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
        session.flush()
        _refresh_current_level(session, person_id=person.id or 0, competency_id=competency.id or 0)
        rebuild_level_summary(session)
        ids = (team.id, new_division.id, person.id, competency.id, values[2].id)
    team_id, new_division_id, person_id, competency_id, new_value_id = ids
    moved = threading.Event()
    problems: list[BaseException] = []

    def move_team() -> None:
        try:
            with unit_of_work(committing_engine) as session:
                with tracking_unit_moves(session):  # re-parents, then rebuilds the summary
                    unit = session.get(OrgUnit, team_id)
                    assert unit is not None
                    unit.parent_id = new_division_id
                    session.add(unit)
                # Not committed yet: the rating starts now and must wait for the move.
                moved.set()
                _wait_until_blocked(committing_engine)
        except BaseException as problem:  # reported below, not lost in the thread
            problems.append(problem)
            moved.set()

    def rate() -> None:
        moved.wait(10)
        try:
            with unit_of_work(committing_engine) as session:
                session.add(
                    Assessment(
                        person_id=person_id or 0,
                        competency_id=competency_id or 0,
                        value_id=new_value_id or 0,
                        source="manager",
                        at=datetime(2026, 6, 1, tzinfo=UTC),
                    )
                )
                session.flush()
                _refresh_current_level(
                    session, person_id=person_id or 0, competency_id=competency_id or 0
                )
        except BaseException as problem:
            problems.append(problem)

    threads = [threading.Thread(target=move_team), threading.Thread(target=rate)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not problems, problems
    with unit_of_work(committing_engine) as session:
        assert summary_rows(session) == expected_summary(session)
