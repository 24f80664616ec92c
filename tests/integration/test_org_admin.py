"""HR's organisation grids: units (a tree), job families and positions, saved
all or nothing with row errors, stale edits refused, and audited."""

from functools import partial

import pandas as pd
import pytest
from sqlmodel import Session, select

from core.errors import PermissionDenied, StaleEdit, ValidationError
from core.goals import create_goal, list_goal_units
from core.grid import GridChanges
from core.organisation import (
    get_families_grid,
    get_positions_grid,
    get_units_grid,
    save_families_grid,
    save_positions_grid,
    save_units_grid,
)
from core.organisation.rules import UNDER_INACTIVE, UNDER_ITSELF
from core.people import get_people_grid, save_people_grid
from core.people.hr_import import commit_people_import, preview_people_import
from db.models import AuditEvent, Goal, GoalCreate, JobFamily, OrgUnit, Person, Position
from tests.factories import (
    actor_for,
    make_cycle,
    make_goal,
    make_position,
    make_small_org,
    make_unit,
)


def _row(frame: pd.DataFrame, column: str, value: object) -> int:
    return int(frame.index[frame[column] == value][0])


def _problems(error: pytest.ExceptionInfo[ValidationError]) -> set[tuple[str, str, str]]:
    return {(str(e.row), e.column, e.message) for e in error.value.rows}


def test_only_hr_opens_and_saves_the_grids(session: Session) -> None:
    org = make_small_org(session)
    for person in (org.manager, org.report):
        actor = actor_for(session, person)
        for getter in (get_units_grid, get_families_grid, get_positions_grid):
            with pytest.raises(PermissionDenied):
                getter(session, actor=actor)
        with pytest.raises(PermissionDenied):
            save_units_grid(
                session,
                actor=actor,
                shown=pd.DataFrame(),
                changes=GridChanges(added_rows=[{"code": "X", "name": "X", "kind": "team"}]),
            )
    assert session.exec(select(OrgUnit).where(OrgUnit.code == "X")).first() is None
    denied = session.exec(select(AuditEvent).where(AuditEvent.action == "access.denied")).all()
    assert len(denied) == 8
    grid = get_units_grid(session, actor=actor_for(session, org.hr))
    assert set(grid.frame["name"]) >= {"Company", "Team A", "Team B", "Team C"}
    # Parents before children; the company holds one person, team A five.
    assert grid.frame.iloc[0]["name"] == "Company"
    assert int(grid.frame.loc[_row(grid.frame, "name", "Team A"), "people"]) == 5


def test_units_are_added_moved_and_renamed_in_one_save(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    shown = get_units_grid(session, actor=hr).frame
    company = shown.loc[_row(shown, "name", "Company"), "code"]
    changes = GridChanges(
        edited_rows={
            _row(shown, "name", "Team A"): {"name": "Team Alpha", "parent": "DIV1"},
        },
        # The sub-unit comes before its new parent in the grid.
        added_rows=[
            {"code": "DEP1", "name": "Department 1", "kind": "department", "parent": "DIV1"},
            {"code": "DIV1", "name": "Division 1", "kind": "division", "parent": company},
        ],
    )
    result = save_units_grid(session, actor=hr, shown=shown, changes=changes)
    assert (result.created, result.updated, result.removed) == (2, 1, 0)
    division = session.exec(select(OrgUnit).where(OrgUnit.code == "DIV1")).one()
    department = session.exec(select(OrgUnit).where(OrgUnit.code == "DEP1")).one()
    session.refresh(org.team_a)
    assert department.parent_id == division.id
    assert (org.team_a.name, org.team_a.parent_id) == ("Team Alpha", division.id)
    # One edit, one version (the move under a unit added in the same save too).
    assert (org.team_a.version, division.version, department.version) == (2, 1, 1)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "org_units.saved")).one()
    assert '"created": 2' in event.detail


def test_a_unit_cannot_move_under_its_own_descendant(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    squad = make_unit(session, name="Squad", parent=org.team_a)
    shown = get_units_grid(session, actor=hr).frame
    changes = GridChanges(
        edited_rows={
            _row(shown, "name", "Team A"): {"parent": squad.code, "name": "Renamed"},
        }
    )
    with pytest.raises(ValidationError) as refused:
        save_units_grid(session, actor=hr, shown=shown, changes=changes)
    row = str(_row(shown, "name", "Team A") + 1)
    assert (row, "parent", UNDER_ITSELF) in _problems(refused)
    # Its own parent, too; and nothing was saved.
    itself = GridChanges(edited_rows={_row(shown, "name", "Team B"): {"parent": org.team_b.code}})
    with pytest.raises(ValidationError) as refused:
        save_units_grid(session, actor=hr, shown=shown, changes=itself)
    assert {p[2] for p in _problems(refused)} == {UNDER_ITSELF}
    session.refresh(org.team_a)
    assert org.team_a.name == "Team A"
    assert org.team_a.version == 1


def test_a_unit_with_people_is_deactivated_not_deleted(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    empty = make_unit(session, name="Empty team", parent=org.team_b)
    shown = get_units_grid(session, actor=hr).frame
    with pytest.raises(ValidationError) as refused:
        save_units_grid(
            session,
            actor=hr,
            shown=shown,
            changes=GridChanges(
                deleted_rows=[_row(shown, "name", "Team A"), _row(shown, "name", "Empty team")]
            ),
        )
    assert [(e.row, e.message) for e in refused.value.rows] == [
        (str(_row(shown, "name", "Team A") + 1), "It has 5 people: deactivate it instead.")
    ]
    assert session.get(OrgUnit, empty.id) is not None
    # A unit with sub-units stays too; an empty leaf goes.
    with pytest.raises(ValidationError, match="fix the rows"):
        save_units_grid(
            session,
            actor=hr,
            shown=shown,
            changes=GridChanges(deleted_rows=[_row(shown, "name", "Team B")]),
        )
    result = save_units_grid(
        session,
        actor=hr,
        shown=shown,
        changes=GridChanges(
            edited_rows={_row(shown, "name", "Team A"): {"active": False}},
            deleted_rows=[_row(shown, "name", "Empty team")],
        ),
    )
    assert (result.updated, result.removed) == (1, 1)
    session.expire_all()
    assert session.exec(select(OrgUnit).where(OrgUnit.code == empty.code)).first() is None
    team_a = session.get(OrgUnit, org.team_a.id)
    assert team_a is not None
    assert team_a.active is False
    # Its people stay where they are.
    session.refresh(org.report)
    assert org.report.org_unit_id == org.team_a.id


def test_a_unit_with_goals_is_not_deleted(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    quiet = make_unit(session, name="Quiet team", parent=org.team_b)
    make_goal(session, cycle=make_cycle(session), level="team", unit=quiet)
    shown = get_units_grid(session, actor=hr).frame
    with pytest.raises(ValidationError) as refused:
        save_units_grid(
            session,
            actor=hr,
            shown=shown,
            changes=GridChanges(deleted_rows=[_row(shown, "name", "Quiet team")]),
        )
    assert "goal" in refused.value.rows[0].message


def test_active_units_stay_under_active_ones(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    squad = make_unit(session, name="Squad", parent=org.team_a)
    shown = get_units_grid(session, actor=hr).frame
    with pytest.raises(ValidationError) as refused:
        save_units_grid(
            session,
            actor=hr,
            shown=shown,
            changes=GridChanges(edited_rows={_row(shown, "name", "Team A"): {"active": False}}),
        )
    assert squad.code in refused.value.rows[0].message
    # Both at once is fine; then the sub-unit alone cannot come back.
    save_units_grid(
        session,
        actor=hr,
        shown=shown,
        changes=GridChanges(
            edited_rows={
                _row(shown, "name", "Team A"): {"active": False},
                _row(shown, "name", "Squad"): {"active": False},
            }
        ),
    )
    shown = get_units_grid(session, actor=hr).frame
    with pytest.raises(ValidationError) as refused:
        save_units_grid(
            session,
            actor=hr,
            shown=shown,
            changes=GridChanges(edited_rows={_row(shown, "name", "Squad"): {"active": True}}),
        )
    assert refused.value.rows[0].message == UNDER_INACTIVE


def test_unit_rows_are_checked_and_nothing_is_saved(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    shown = get_units_grid(session, actor=hr).frame
    changes = GridChanges(
        edited_rows={_row(shown, "name", "Team A"): {"name": "Fine"}},
        added_rows=[
            {"code": org.team_b.code, "name": "Clash", "kind": "team"},
            {"code": "NEW", "name": "", "kind": "tribe", "parent": "NOPE"},
            {"code": "NEW", "name": "Twice", "kind": "team"},
            {"code": "L" * 41, "name": "Long", "kind": "team"},
        ],
    )
    with pytest.raises(ValidationError) as refused:
        save_units_grid(session, actor=hr, shown=shown, changes=changes)
    found = {(row, column) for row, column, _ in _problems(refused)}
    assert found >= {
        ("new 1", "code"),
        ("new 2", "name"),
        ("new 2", "kind"),
        ("new 2", "parent"),
        ("new 3", "code"),
        ("new 4", "code"),
    }
    session.refresh(org.team_a)
    assert org.team_a.name == "Team A"


def test_stale_unit_edits_are_refused(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    shown = get_units_grid(session, actor=hr).frame
    row = _row(shown, "name", "Team A")
    save_units_grid(
        session, actor=hr, shown=shown, changes=GridChanges(edited_rows={row: {"name": "First"}})
    )
    with pytest.raises(StaleEdit, match="Team A"):
        save_units_grid(
            session,
            actor=hr,
            shown=shown,
            changes=GridChanges(edited_rows={row: {"name": "Second"}}),
        )
    with pytest.raises(StaleEdit):
        save_units_grid(session, actor=hr, shown=shown, changes=GridChanges(deleted_rows=[row]))
    session.refresh(org.team_a)
    assert org.team_a.name == "First"


def test_inactive_units_and_positions_are_not_offered_for_new_people(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    position = make_position(session, title="Old role")
    org.report.position_id = position.id
    session.add(org.report)
    org.team_b.active = False
    position.active = False
    session.add_all([org.team_b, position])
    session.flush()
    grid = get_people_grid(session, actor=hr)
    assert org.team_b.code not in grid.org_unit_codes
    assert org.team_a.code in grid.org_unit_codes
    assert position.code not in grid.position_codes
    new_person = {
        "employee_code": "N1",
        "full_name": "Nina New",
        "email": "nina@example.test",
        "username": "nina",
        "org_unit": org.team_b.code,
        "position": position.code,
    }
    shown = grid.frame
    with pytest.raises(ValidationError) as refused:
        save_people_grid(
            session,
            actor=hr,
            shown=shown,
            changes=GridChanges(
                added_rows=[new_person],
                edited_rows={_row(shown, "full_name", "Pete Peer"): {"org_unit": org.team_b.code}},
            ),
        )
    assert {(row, column) for row, column, _ in _problems(refused)} == {
        ("new 1", "org_unit"),
        ("new 1", "position"),
        (str(_row(shown, "full_name", "Pete Peer") + 1), "org_unit"),
    }
    # People already there stay and can still be edited.
    save_people_grid(
        session,
        actor=hr,
        shown=shown,
        changes=GridChanges(
            edited_rows={
                _row(shown, "full_name", "Olga Outsider"): {"full_name": "Olga Renamed"},
                _row(shown, "full_name", "Rita Report"): {"full_name": "Rita Renamed"},
            }
        ),
    )
    session.refresh(org.outsider)
    assert (org.outsider.full_name, org.outsider.org_unit_id) == ("Olga Renamed", org.team_b.id)


def test_inactive_units_are_not_offered_for_new_goals(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    before = {unit_id for unit_id, _, _ in list_goal_units(session, actor=hr)}
    assert org.team_b.id in before
    org.team_b.active = False
    session.add(org.team_b)
    session.flush()
    after = {unit_id for unit_id, _, _ in list_goal_units(session, actor=hr)}
    assert after == before - {org.team_b.id}


def test_job_families_grid(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    position = make_position(session, title="Engineer")
    family = session.get(JobFamily, position.job_family_id)
    assert family is not None
    spare = JobFamily(name="Spare")
    session.add(spare)
    session.flush()
    shown = get_families_grid(session, actor=hr).frame
    assert int(shown.loc[_row(shown, "name", family.name), "positions"]) == 1
    with pytest.raises(ValidationError) as refused:
        save_families_grid(
            session,
            actor=hr,
            shown=shown,
            changes=GridChanges(
                deleted_rows=[_row(shown, "name", family.name)],
                added_rows=[{"name": "spare"}, {"name": " "}],
            ),
        )
    assert {(row, column) for row, column, _ in _problems(refused)} == {
        (str(_row(shown, "name", family.name) + 1), "name"),
        ("new 1", "name"),
        ("new 2", "name"),
    }
    result = save_families_grid(
        session,
        actor=hr,
        shown=shown,
        changes=GridChanges(
            edited_rows={_row(shown, "name", family.name): {"name": "Technology"}},
            deleted_rows=[_row(shown, "name", "Spare")],
            added_rows=[{"name": "Spare"}],
        ),
    )
    assert (result.created, result.updated, result.removed) == (1, 1, 1)
    session.refresh(family)
    assert (family.name, family.version) == ("Technology", 2)
    with pytest.raises(StaleEdit):
        save_families_grid(
            session,
            actor=hr,
            shown=shown,
            changes=GridChanges(edited_rows={_row(shown, "id", family.id): {"name": "X"}}),
        )
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "job_families.saved")).one()


def test_positions_grid(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    held = make_position(session, title="Held")
    free = make_position(session, title="Free")
    family = session.get(JobFamily, held.job_family_id)
    assert family is not None
    org.report.position_id = held.id
    session.add(org.report)
    session.flush()
    grid = get_positions_grid(session, actor=hr)
    shown = grid.frame
    assert family.name in grid.options["family"]
    with pytest.raises(ValidationError) as refused:
        save_positions_grid(
            session,
            actor=hr,
            shown=shown,
            changes=GridChanges(
                deleted_rows=[_row(shown, "title", "Held")],
                added_rows=[
                    {"code": free.code, "title": "Dup", "family": family.name, "grade": 3},
                    {"code": "NEWP", "title": "", "family": "Nope", "grade": 30},
                ],
            ),
        )
    assert {(row, column) for row, column, _ in _problems(refused)} == {
        (str(_row(shown, "title", "Held") + 1), "code"),
        ("new 1", "code"),
        ("new 2", "title"),
        ("new 2", "family"),
        ("new 2", "grade"),
    }
    result = save_positions_grid(
        session,
        actor=hr,
        shown=shown,
        changes=GridChanges(
            edited_rows={_row(shown, "title", "Held"): {"active": False, "grade": 7}},
            deleted_rows=[_row(shown, "title", "Free")],
            added_rows=[{"code": "NEWP", "title": "New role", "family": family.name}],
        ),
    )
    assert (result.created, result.updated, result.removed) == (1, 1, 1)
    session.expire_all()
    assert session.exec(select(Position).where(Position.code == free.code)).first() is None
    kept = session.get(Position, held.id)
    assert kept is not None
    assert (kept.active, kept.grade, kept.version) == (False, 7, 2)
    new = session.exec(select(Position).where(Position.code == "NEWP")).one()
    assert (new.grade, new.active, new.job_family_id) == (1, True, family.id)
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "positions.saved")).one()


def test_the_people_import_places_nobody_new_in_an_inactive_unit(session: Session) -> None:
    from tests.integration.test_people_import import JOBS, USERS, totara_files

    hr = actor_for(session, make_small_org(session).hr)
    commit_people_import(session, actor=hr, files=totara_files())
    team = session.exec(select(OrgUnit).where(OrgUnit.code == "OPS-A")).one()
    shown = get_units_grid(session, actor=hr).frame
    save_units_grid(
        session,
        actor=hr,
        shown=shown,
        changes=GridChanges(edited_rows={_row(shown, "code", "OPS-A"): {"active": False}}),
    )
    # The people already there stay: the same files change nothing.
    again = preview_people_import(session, actor=hr, files=totara_files())
    assert again.errors == []
    assert again.plan.is_empty
    newcomer = totara_files(
        users=USERS + "E103;nea.new;Nea;New;nea@acme.example;0;0;0\n",
        jobs=JOBS + "J5,E103,Agent,OPS-A,POS-AGENT,E100,,0,0\n",
    )
    preview = preview_people_import(session, actor=hr, files=newcomer)
    assert [(e.column, e.message) for e in preview.errors] == [
        ("orgidnumber", "Org unit 'OPS-A' is inactive.")
    ]
    session.refresh(team)
    assert team.active is False


def test_a_new_team_goal_is_refused_for_an_inactive_unit(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    cycle = make_cycle(session)
    existing = make_goal(session, cycle=cycle, level="team", unit=org.team_b)
    org.team_b.active = False
    session.add(org.team_b)
    session.flush()
    with pytest.raises(ValidationError) as refused:
        create_goal(
            session,
            actor=hr,
            goal_in=GoalCreate(
                title="New team goal", level="team", org_unit_id=org.team_b.id, cycle_id=cycle.id
            ),
        )
    assert ("unit", "That org unit is inactive.") in {
        (e.column, e.message) for e in refused.value.rows
    }
    # The unit's existing goal stays.
    assert session.get(Goal, existing.id) is not None


def test_simultaneous_unit_saves_one_wins(backend: str) -> None:
    """Two HR admins save the same unit from the same grid at once: one wins,
    the other is refused as stale (the conditional UPDATE settles it)."""
    from core.runtime import unit_of_work
    from tests.integration.conftest import own_database
    from tests.integration.test_concurrent_edits import assert_one_winner_each_time, race

    with own_database(backend) as engine:
        with unit_of_work(engine) as session:
            org = make_small_org(session)
            hr_id, unit_id = org.hr.id, org.team_a.id
        trials = []
        for trial in range(10):
            with unit_of_work(engine) as session:
                hr = actor_for(session, session.get_one(Person, hr_id))
                shown = get_units_grid(session, actor=hr).frame
            row = _row(shown, "id", unit_id)
            saves = [
                partial(
                    save_units_grid,
                    actor=hr,
                    shown=shown,
                    changes=GridChanges(edited_rows={row: {"name": f"{who} {trial}"}}),
                )
                for who in ("A", "B")
            ]
            trials.append(race(engine, saves))
        assert_one_winner_each_time(trials)
        with unit_of_work(engine) as session:
            unit = session.get_one(OrgUnit, unit_id)
            assert unit.version == 1 + sum(t.count("saved") for t in trials)
