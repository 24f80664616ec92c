"""The level summary behind the organisation heatmap: after random ratings,
self-assessments, moves, (de)activations, erasures, imports and unit moves
through the writers, it equals a from-scratch count of the current levels;
and the heatmap read from it equals the one computed from the current levels."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from sqlmodel import Session, select

from core.assessments import get_org_heatmap, record_self_assessment
from core.assessments import heatmaps as heatmaps_module
from core.assessments.commands import _refresh_current_level
from core.assessments.summary import (
    rebuild_level_summary,
    summary_rows,
    tracking_unit_moves,
)
from core.grid import GridChanges
from core.org import unit_chain, unit_parents
from core.people import get_people_grid, save_people_grid
from core.people.privacy import erase_person
from db.models import Assessment, CurrentLevel, Person, Position, ScaleValue
from tests.factories import (
    actor_for,
    make_competency,
    make_framework,
    make_person,
    make_position,
    make_requirement,
    make_scale,
    make_unit,
)


def expected_summary(session: Session) -> dict[tuple[int, int, int, int], int]:
    """From scratch, in Python: every active person with a position counts
    once per current level in each unit of their chain."""
    session.flush()
    session.expire_all()  # bulk writers (the import) bypass the identity map
    parents = unit_parents(session)
    people = {p.id: p for p in session.exec(select(Person)).all() if p.active and p.position_id}
    counts: Counter[tuple[int, int, int, int]] = Counter()
    for level in session.exec(select(CurrentLevel)).all():
        person = people.get(level.person_id)
        if person is None or person.position_id is None:
            continue
        for unit in unit_chain(parents, person.org_unit_id):
            counts[(unit, person.position_id, level.competency_id, level.value_id)] += 1
    return dict(counts)


def _org(session: Session, rng: random.Random) -> dict[str, Any]:
    """One company, divisions, departments and teams; positions with role
    maps over two scales; people spread over all of it, some without a
    position, some inactive; an HR admin."""
    company = make_unit(session, kind="company")
    divisions = [make_unit(session, kind="division", parent=company) for _ in range(3)]
    departments = [
        make_unit(session, kind="department", parent=rng.choice(divisions)) for _ in range(4)
    ]
    teams = [make_unit(session, parent=rng.choice([*divisions, *departments])) for _ in range(6)]
    units = [company, *divisions, *departments, *teams]
    scales = [make_scale(session), make_scale(session, values=("1", "2", "3", "4", "5"))]
    frameworks = [make_framework(session, scale=s) for s in scales]
    competencies = [make_competency(session, framework=rng.choice(frameworks)) for _ in range(7)]
    values = {
        s.id: session.exec(select(ScaleValue).where(ScaleValue.scale_id == s.id)).all()
        for s in scales
    }
    scale_of = {
        c.id: next(f.scale_id for f in frameworks if f.id == c.framework_id) for c in competencies
    }
    positions = [make_position(session) for _ in range(4)]
    required: dict[int, list[int]] = {}
    for position in positions:
        for competency in rng.sample(competencies, rng.randint(2, 6)):
            make_requirement(
                session,
                position=position,
                competency=competency,
                value=rng.choice(values[scale_of[competency.id]]),
                critical=rng.random() < 0.4,
            )
            required.setdefault(position.id or 0, []).append(competency.id or 0)
    hr = make_person(session, unit=company, hr=True)
    people = [
        make_person(
            session,
            unit=rng.choice(units),
            position=rng.choice([*positions, positions[0], None]),
            active=rng.random() > 0.15,
        )
        for _ in range(24)
    ]
    return {
        "units": units,
        "divisions": divisions,
        "positions": positions,
        "competencies": competencies,
        "values": values,
        "scale_of": scale_of,
        "required": required,
        "hr": hr,
        "people": people,
        "frameworks": frameworks,
    }


def _rate(session: Session, rng: random.Random, org: dict[str, Any], person: Person) -> None:
    """A manager or 360 rating written the way the commands write it."""
    competency = rng.choice(org["competencies"])
    value = rng.choice(org["values"][org["scale_of"][competency.id]])
    session.add(
        Assessment(
            person_id=person.id or 0,
            competency_id=competency.id or 0,
            value_id=value.id or 0,
            source=rng.choice(["manager", "360", "self"]),
            at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=rng.randint(0, 5000)),
        )
    )
    session.flush()
    _refresh_current_level(session, person_id=person.id or 0, competency_id=competency.id or 0)


def _self_assess(session: Session, rng: random.Random, org: dict[str, Any], person: Person) -> bool:
    if not person.active or person.position_id is None:
        return False
    competency_id = rng.choice(org["required"][person.position_id])
    value = rng.choice(org["values"][org["scale_of"][competency_id]])
    record_self_assessment(
        session,
        actor=actor_for(session, person),
        competency_id=competency_id,
        value_id=value.id or 0,
    )
    return True


def _grid_edit(session: Session, rng: random.Random, org: dict[str, Any], person: Person) -> None:
    """Move, re-position, deactivate or reactivate through HR's people grid."""
    hr = actor_for(session, org["hr"])
    shown = get_people_grid(session, actor=hr).frame
    row = int(shown.index[shown["id"] == person.id][0])
    change: dict[str, Any] = rng.choice(
        [
            {"org_unit": rng.choice(org["units"]).code},
            {"position": rng.choice(org["positions"]).code},
            {"active": not person.active},
            {
                "org_unit": rng.choice(org["units"]).code,
                "position": rng.choice(org["positions"]).code,
            },
        ]
    )
    save_people_grid(session, actor=hr, shown=shown, changes=GridChanges(edited_rows={row: change}))
    session.refresh(person)


def _move_unit(session: Session, rng: random.Random, org: dict[str, Any]) -> None:
    """A unit re-parented (the units grid and the import wrap it the same way)."""
    parents = unit_parents(session)
    unit = rng.choice(org["units"][1:])
    candidates = [
        u for u in org["units"] if unit.id not in unit_chain(parents, u.id) and u.id != unit.id
    ]
    with tracking_unit_moves(session):
        unit.parent_id = rng.choice(candidates).id
        session.add(unit)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_summary_equals_recount_after_random_writes(session: Session, seed: int) -> None:
    rng = random.Random(seed)
    org = _org(session, rng)
    hr = actor_for(session, org["hr"])
    assert summary_rows(session) == expected_summary(session) == {}
    steps: Counter[str] = Counter()
    for _ in range(60):
        person = rng.choice(org["people"])
        roll = rng.random()
        if roll < 0.45:
            _rate(session, rng, org, person)
            steps["rating"] += 1
        elif roll < 0.6:
            steps["self"] += _self_assess(session, rng, org, person)
        elif roll < 0.85:
            _grid_edit(session, rng, org, person)
            steps["grid"] += 1
        elif roll < 0.93:
            if not person.active and not person.full_name.startswith("Erased"):
                erase_person(session, actor=hr, person_id=person.id or 0)
                steps["erase"] += 1
        else:
            _move_unit(session, rng, org)
            steps["unit"] += 1
        assert summary_rows(session) == expected_summary(session), steps
    assert steps["rating"]
    assert steps["grid"]
    # Nothing left at zero, and a rebuild writes the same rows.
    assert summary_rows(session) == expected_summary(session)
    rebuild_level_summary(session)
    assert summary_rows(session) == expected_summary(session)


def test_import_moves_and_deactivations_keep_the_summary(session: Session) -> None:
    from core.people.hr_import import commit_people_import
    from tests.factories import make_small_org
    from tests.integration.test_people_import import totara_files

    small = make_small_org(session)
    rng = random.Random(5)
    scale = make_scale(session)
    framework = make_framework(session, scale=scale)
    competency = make_competency(session, framework=framework)
    position = make_position(session)
    levels = session.exec(select(ScaleValue).where(ScaleValue.scale_id == scale.id)).all()
    make_requirement(session, position=position, competency=competency, value=levels[1])
    people = session.exec(select(Person)).all()
    for person in people:
        person.position_id = position.id
        session.add(person)
    session.flush()
    for person in people:
        session.add(
            Assessment(
                person_id=person.id or 0,
                competency_id=competency.id or 0,
                value_id=rng.choice(levels).id or 0,
                source="manager",
                at=datetime(2026, 2, 1, tzinfo=UTC),
            )
        )
    session.flush()
    from core.assessments import rebuild_current_levels

    rebuild_current_levels(session)
    before = summary_rows(session)
    assert before == expected_summary(session) != {}
    commit_people_import(
        session, actor=actor_for(session, small.hr), files=totara_files(), sync=True
    )
    assert summary_rows(session) == expected_summary(session)
    assert summary_rows(session) != before  # the import deactivated someone with levels


def _reference(session: Session, monkeypatch: pytest.MonkeyPatch, **kwargs: Any) -> pd.DataFrame:
    with monkeypatch.context() as patched:
        patched.setattr(heatmaps_module, "_summary_units", lambda **_: None)
        return get_org_heatmap(session, **kwargs).frame


@pytest.mark.parametrize("seed", [1, 2])
def test_heatmap_from_summary_equals_heatmap_from_levels(
    session: Session, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    rng = random.Random(seed)
    org = _org(session, rng)
    for _ in range(150):
        _rate(session, rng, org, rng.choice(org["people"]))
    hr = actor_for(session, org["hr"])
    family = session.get(Position, org["positions"][0].id)
    assert family is not None
    variants: list[dict[str, Any]] = [
        {},
        {"critical_only": True},
        {"framework_id": org["frameworks"][0].id},
        {"job_family_id": family.job_family_id},
        {"unit_id": org["divisions"][0].id},
        {"unit_id": org["units"][-1].id},
        {"unit_id": org["units"][0].id},
    ]
    compared = 0
    for rows in ("org_unit", "job_family", "position"):
        for variant in variants:
            kwargs = {"actor": hr, "rows": rows, **variant}
            actual = get_org_heatmap(session, **kwargs).frame
            expected = _reference(session, monkeypatch, **kwargs)
            pd.testing.assert_frame_equal(actual, expected)
            compared += len(actual)
    assert compared > 0


def test_the_summary_is_what_the_heatmap_reads(session: Session) -> None:
    """Without its summary rows the heatmap shows nobody assessed: the page
    really reads the summary (and so the equality above compares two paths)."""
    rng = random.Random(3)
    org = _org(session, rng)
    for _ in range(60):
        _rate(session, rng, org, rng.choice(org["people"]))
    hr = actor_for(session, org["hr"])
    assert get_org_heatmap(session, actor=hr).frame["assessed"].sum() > 0
    from db.models import LevelSummary

    session.execute(LevelSummary.__table__.delete())  # type: ignore[attr-defined]
    assert get_org_heatmap(session, actor=hr).frame["assessed"].sum() == 0
