"""The HR people grid: all-or-nothing saves, row errors, stale edits."""

import pandas as pd
import pytest
from sqlmodel import Session, select

from core.errors import PermissionDenied, StaleEdit, ValidationError
from core.grid import GridChanges
from core.people import get_people_grid, save_people_grid
from db.models import AuditEvent, Person, UserAccount
from tests.factories import actor_for, make_small_org


def _row(frame: pd.DataFrame, name: str) -> int:
    return int(frame.index[frame["full_name"] == name][0])


def test_only_hr_sees_the_grid(session: Session) -> None:
    org = make_small_org(session)
    with pytest.raises(PermissionDenied):
        get_people_grid(session, actor=actor_for(session, org.manager))
    grid = get_people_grid(session, actor=actor_for(session, org.hr))
    assert "Rita Report" in set(grid.frame["full_name"])
    assert org.team_a.code in grid.org_unit_codes


def test_edit_add_and_deactivate_in_one_save(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    shown = get_people_grid(session, actor=hr).frame
    changes = GridChanges(
        edited_rows={
            _row(shown, "Rita Report"): {"full_name": "Rita Renamed", "years_experience": 7.5}
        },
        added_rows=[
            {
                "employee_code": "NEW1",
                "full_name": "Nora New",
                "email": "NORA@example.test",
                "username": "nora",
                "org_unit": org.team_b.code,
                "manager_code": org.other_manager.employee_code,
            }
        ],
        deleted_rows=[_row(shown, "Pete Peer")],
    )
    result = save_people_grid(session, actor=hr, shown=shown, changes=changes)
    assert (result.created, result.updated, result.removed) == (1, 1, 1)
    assert result.summary() == "Saved: 1 added, 1 edited, 1 deactivated."
    session.refresh(org.report)
    session.refresh(org.peer)
    assert org.report.full_name == "Rita Renamed"
    assert org.report.years_experience == 7.5
    assert org.report.version == 2
    assert org.peer.active is False
    nora = session.exec(select(Person).where(Person.employee_code == "NEW1")).one()
    assert nora.email == "nora@example.test"
    assert nora.manager_id == org.other_manager.id
    assert session.exec(select(UserAccount).where(UserAccount.username == "nora")).one()
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "people.saved")).one()


def test_invalid_rows_save_nothing(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    shown = get_people_grid(session, actor=hr).frame
    changes = GridChanges(
        edited_rows={
            _row(shown, "Rita Report"): {"full_name": "Fine Change"},
            _row(shown, "Pete Peer"): {"email": "not-an-address"},
            _row(shown, "Lars Lead"): {"org_unit": "NOPE", "years_experience": 99},
        },
        added_rows=[
            {
                "employee_code": org.ceo.employee_code,
                "full_name": "Dup",
                "email": "dup@example.test",
                "username": "x",
                "org_unit": org.team_a.code,
            }
        ],
    )
    with pytest.raises(ValidationError) as problem:
        save_people_grid(session, actor=hr, shown=shown, changes=changes)
    found = {(str(e.row), e.column) for e in problem.value.rows}
    # Rows are numbered from 1, as people count them.
    assert (str(_row(shown, "Pete Peer") + 1), "email") in found
    assert (str(_row(shown, "Lars Lead") + 1), "org_unit") in found
    assert (str(_row(shown, "Lars Lead") + 1), "years_experience") in found
    assert ("new 1", "employee_code") in found
    assert ("new 1", "username") in found
    session.refresh(org.report)
    assert org.report.full_name == "Rita Report"


def test_reporting_loops_are_refused(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    shown = get_people_grid(session, actor=hr).frame
    changes = GridChanges(
        edited_rows={_row(shown, "Mona Manager"): {"manager_code": org.indirect.employee_code}}
    )
    with pytest.raises(ValidationError) as problem:
        save_people_grid(session, actor=hr, shown=shown, changes=changes)
    assert problem.value.rows[0].message == "That would make a reporting loop."


def test_stale_edit_is_refused(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    shown = get_people_grid(session, actor=hr).frame
    first = GridChanges(edited_rows={_row(shown, "Rita Report"): {"full_name": "First"}})
    save_people_grid(session, actor=hr, shown=shown, changes=first)
    second = GridChanges(edited_rows={_row(shown, "Rita Report"): {"full_name": "Second"}})
    with pytest.raises(StaleEdit, match="Rita Report"):
        save_people_grid(session, actor=hr, shown=shown, changes=second)
    session.refresh(org.report)
    assert org.report.full_name == "First"


def test_hr_cannot_lock_themselves_out(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    shown = get_people_grid(session, actor=hr).frame
    with pytest.raises(ValidationError):
        save_people_grid(
            session,
            actor=hr,
            shown=shown,
            changes=GridChanges(deleted_rows=[_row(shown, "Hedda HR")]),
        )
    with pytest.raises(ValidationError):
        save_people_grid(
            session,
            actor=hr,
            shown=shown,
            changes=GridChanges(edited_rows={_row(shown, "Hedda HR"): {"is_hr_admin": False}}),
        )


def test_a_new_manager_moves_the_person_one_version(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    shown = get_people_grid(session, actor=hr).frame
    before = org.report.version
    changes = GridChanges(
        edited_rows={_row(shown, "Rita Report"): {"manager_code": org.other_manager.employee_code}}
    )
    save_people_grid(session, actor=hr, shown=shown, changes=changes)
    session.refresh(org.report)
    assert org.report.manager_id == org.other_manager.id
    assert org.report.version == before + 1
    # The grid shown after the save accepts the next edit of the same row.
    shown = get_people_grid(session, actor=hr).frame
    again = GridChanges(edited_rows={_row(shown, "Rita Report"): {"full_name": "Rita Again"}})
    save_people_grid(session, actor=hr, shown=shown, changes=again)
    session.refresh(org.report)
    assert (org.report.full_name, org.report.version) == ("Rita Again", before + 2)


def test_managers_added_in_the_same_save_are_written_once(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    shown = get_people_grid(session, actor=hr).frame
    before = org.report.version
    new_row = {"org_unit": org.team_a.code}
    changes = GridChanges(
        edited_rows={_row(shown, "Rita Report"): {"manager_code": "NEWBOSS"}},
        added_rows=[
            # The report comes before their new manager in the grid.
            {
                **new_row,
                "employee_code": "NEWREP",
                "full_name": "Nia Report",
                "email": "nia@example.test",
                "username": "nia",
                "manager_code": "NEWBOSS",
            },
            {
                **new_row,
                "employee_code": "NEWBOSS",
                "full_name": "Bo Boss",
                "email": "bo@example.test",
                "username": "bo.boss",
                "manager_code": org.ceo.employee_code,
            },
        ],
    )
    save_people_grid(session, actor=hr, shown=shown, changes=changes)
    boss = session.exec(select(Person).where(Person.employee_code == "NEWBOSS")).one()
    nia = session.exec(select(Person).where(Person.employee_code == "NEWREP")).one()
    session.refresh(org.report)
    assert (boss.manager_id, boss.version) == (org.ceo.id, 1)
    assert (nia.manager_id, nia.version) == (boss.id, 1)
    assert (org.report.manager_id, org.report.version) == (boss.id, before + 1)


def test_loops_through_rows_of_the_same_save_are_refused(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    shown = get_people_grid(session, actor=hr).frame
    changes = GridChanges(
        edited_rows={
            _row(shown, "Mona Manager"): {"manager_code": org.report.employee_code},
            _row(shown, "Rita Report"): {"manager_code": org.manager.employee_code},
        }
    )
    with pytest.raises(ValidationError) as problem:
        save_people_grid(session, actor=hr, shown=shown, changes=changes)
    assert {e.message for e in problem.value.rows} == {"That would make a reporting loop."}
