"""Read models restructured for 10,000 people give what the pure rules give."""

from __future__ import annotations

import random

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from core.assessments import get_hidden_expertise, get_org_heatmap
from core.assessments import rules as gaps
from core.assessments.cells import GapFilter, load_gap_cells
from db.models import GoalCycle as GoalCycleRow
from db.models import OrgUnit
from tests.factories import actor_for, make_cycle, make_goal, make_person, make_unit
from tests.integration.test_assessments import _random_org


def test_hidden_expertise_in_sql_equals_the_rule(session: Session) -> None:
    for seed in (3, 11):
        _random_org(session, random.Random(seed))
    hr = actor_for(session, make_person(session, hr=True))
    cells = load_gap_cells(session, flt=GapFilter())
    expected = gaps.hidden_expertise(cells, min_margin=1).head(200)
    actual = get_hidden_expertise(session, actor=hr)
    assert len(actual) == len(expected) > 0
    assert list(actual["person"]) == list(expected["person"])
    assert list(actual["above by"]) == list(expected["margin"])
    assert list(actual["people short in it"]) == list(expected["learners"])
    assert list(actual["required"]) == list(expected["required_level"])


def test_the_company_is_not_a_row_of_its_own_breakdown(session: Session) -> None:
    built = _random_org(session, random.Random(4))
    company_id = session.exec(select(OrgUnit.id).where(OrgUnit.parent_id.is_(None))).one()  # type: ignore[union-attr]
    # HR sits in a division, so the company is the only top unit.
    divisions = built["divisions"]
    assert isinstance(divisions, list)
    hr = actor_for(session, make_person(session, unit=divisions[0], hr=True))
    heatmap = get_org_heatmap(session, actor=hr)
    names = dict(session.exec(select(OrgUnit.id, OrgUnit.name)).all())
    assert names[company_id] not in set(heatmap.frame["row"])
    assert set(heatmap.frame["row"]) <= {d.name for d in divisions}
    cells = load_gap_cells(session, flt=GapFilter())
    in_divisions = cells[cells["org_unit_id"] != company_id]
    assert heatmap.frame["required"].sum() == len(in_divisions)
    # A division broken down: its teams, not the division itself (when it has teams).
    for division in divisions:
        inside = get_org_heatmap(session, actor=hr, unit_id=division.id)
        rows = set(inside.frame["row"])
        has_teams = bool(
            session.exec(select(OrgUnit.id).where(OrgUnit.parent_id == division.id)).first()
        )
        if has_teams and rows:
            assert division.name not in rows
    assert isinstance(heatmap.frame, pd.DataFrame)


def _numbers_now(
    engine: Engine, cycle_id: int
) -> tuple[dict[int, float | None], dict[int, float | None]]:
    from core.goals.queries import _cycle_numbers, _get_cycle

    with Session(engine) as session:
        numbers = _cycle_numbers(session, _get_cycle(session, cycle_id))
        return dict(numbers.own), dict(numbers.rolled)


def _fresh_numbers(
    engine: Engine, cycle_id: int
) -> tuple[dict[int, float | None], dict[int, float | None]]:
    from core.goals.queries import clear_numbers_memo

    clear_numbers_memo()
    return _numbers_now(engine, cycle_id)


def test_memoised_cycle_numbers_follow_every_change(committing_engine: Engine) -> None:
    """The per-process cycle numbers, updated from the goals whose version
    moved, equal numbers measured from scratch after each kind of change."""
    from core.goals import record_progress
    from core.goals.queries import clear_numbers_memo
    from db.models import Goal, KeyResult

    engine = committing_engine
    with Session(engine) as session:
        unit = make_unit(session, kind="company")
        owner = make_person(session, unit=unit)
        cycle = make_cycle(session)
        parent = make_goal(session, cycle=cycle, unit=unit, level="company", title="Top")
        goals = [
            make_goal(session, cycle=cycle, owner=owner, parent=parent, key_results=[(0, 10, n)])
            for n in range(3)
        ]
        session.commit()
        cycle_id, goal_id = cycle.id or 0, goals[0].id or 0
        parent_id, moved_id = parent.id, goals[1].id
        actor = actor_for(session, owner)
    clear_numbers_memo()
    assert _numbers_now(engine, cycle_id) == _fresh_numbers(engine, cycle_id)
    _numbers_now(engine, cycle_id)  # memoised again

    # A progress update (the key result's goal moves to its next version).
    with Session(engine) as session:
        kr = session.exec(select(KeyResult).where(KeyResult.goal_id == goal_id)).one()
        record_progress(
            session,
            actor=actor,
            key_result_id=kr.id or 0,
            version=kr.version,
            value=9,
            confidence="on track",
        )
        session.commit()
    updated = _numbers_now(engine, cycle_id)
    assert updated[0][goal_id] == 90.0
    assert updated == _fresh_numbers(engine, cycle_id)

    # A new goal, and a goal moved out of the cycle.
    _numbers_now(engine, cycle_id)
    with Session(engine) as session:
        cycle_row = session.get(GoalCycleRow, cycle_id)
        assert cycle_row is not None
        make_goal(
            session,
            cycle=cycle_row,
            owner=owner,
            parent=session.get(Goal, parent_id),
            key_results=[(0, 4, 4)],
        )
        other = make_cycle(session)
        moved = session.get(Goal, moved_id)
        assert moved is not None
        moved.cycle_id = other.id or 0
        moved.parent_id = None
        moved.version += 1
        session.add(moved)
        session.commit()
    after = _numbers_now(engine, cycle_id)
    assert moved_id not in after[0]
    assert after == _fresh_numbers(engine, cycle_id)


def test_the_start_up_warm_up_measures_the_current_cycle_for_the_first_visit(
    committing_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After `warm_caches` (a server start), the first whole-cycle read of the
    current cycle measures nothing: it finds the numbers already there, equal
    to numbers measured from scratch."""
    from datetime import date, timedelta

    from core import runtime
    from core.goals import queries
    from core.goals.queries import clear_numbers_memo

    engine = committing_engine
    today = date.today()
    with Session(engine) as session:
        unit = make_unit(session, kind="company")
        owner = make_person(session, unit=unit)
        make_cycle(
            session, starts_on=today - timedelta(days=400), ends_on=today - timedelta(days=300)
        )
        cycle = make_cycle(
            session, starts_on=today - timedelta(days=10), ends_on=today + timedelta(days=80)
        )
        parent = make_goal(session, cycle=cycle, unit=unit, level="company", title="Top")
        for n in range(3):
            make_goal(session, cycle=cycle, owner=owner, parent=parent, key_results=[(0, 10, n)])
        session.commit()
        cycle_id = cycle.id or 0
    expected = _fresh_numbers(engine, cycle_id)
    clear_numbers_memo()
    runtime.warm_caches(engine, delay_s=0)

    def measured_again(*_: object, **__: object) -> None:
        raise AssertionError("the current cycle was measured again")

    monkeypatch.setattr(queries, "_measure", measured_again)
    assert _numbers_now(engine, cycle_id) == expected
