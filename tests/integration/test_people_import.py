"""HR import from Totara-style CSV files and Stride's workbook, on both databases."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from core.auth import get_login_credentials
from core.cli import main
from core.errors import PermissionDenied, ValidationError
from core.people.hr_import import (
    commit_people_import,
    export_people_workbook,
    people_import_template,
    preview_people_import,
)
from core.people.import_files import Source, UploadedFile
from core.uploads import read_upload
from db.models import AuditEvent, OrgUnit, Person, Position, UserAccount
from tests.factories import actor_for, make_person, make_small_org

UNITS = (
    "idnumber,fullname,parentidnumber,frameworkidnumber,timemodified\n"
    "ACME,Acme Ltd,,ORGFW,0\n"
    "OPS,Operations,ACME,ORGFW,0\n"
    "OPS-A,Team Aurora,OPS,ORGFW,0\n"
)
POSITIONS = (
    "idnumber,fullname,parentidnumber,frameworkidnumber,timemodified\n"
    "POS-LEAD,Operations lead,,Operations,0\n"
    "POS-AGENT,Support agent,,Operations,0\n"
)
USERS = (
    "idnumber;username;firstname;lastname;email;deleted;suspended;timemodified\n"
    "E100;zoe.lead;Zoë;Leader;zoe@acme.example;0;0;0\n"
    "E101;rene.agent;René;Agent;rene@acme.example;0;0;0\n"
    "E102;old.timer;Old;Timer;old@acme.example;0;1;0\n"
)
JOBS = (
    "idnumber,useridnumber,fullname,orgidnumber,posidnumber,manageridnumber,"
    "appraiseridnumber,deleted,timemodified\n"
    "J1,E100,Lead,OPS-A,POS-LEAD,,,0,0\n"
    "J2,E101,Agent,OPS-A,POS-AGENT,E100,E100,0,0\n"
    "J3,E101,Second job,OPS,POS-AGENT,,,0,0\n"
    "J4,E102,Agent,OPS-A,POS-AGENT,E100,,0,0\n"
)


def totara_files(users: str = USERS, jobs: str = JOBS) -> list[UploadedFile]:
    sources = [
        ("org.csv", UNITS.encode("utf-8-sig"), Source.units),
        ("pos.csv", POSITIONS.encode(), Source.positions),
        # HR systems on Windows still export Windows-1252 with semicolons.
        ("user.csv", users.encode("cp1252"), None),
        ("jobassignment.csv", jobs.encode(), None),
    ]
    return [UploadedFile(read_upload(data, name), source) for name, data, source in sources]


def test_totara_files_import_units_positions_people_and_lines(session: Session) -> None:
    hr = actor_for(session, make_small_org(session).hr)
    preview = preview_people_import(session, actor=hr, files=totara_files())
    assert preview.errors == []
    assert preview.plan.counts()["person"]["create"] == 3
    assert any("E101 has 2 job assignments" in w for w in preview.plan.warnings)
    creates = preview.changes_frame()
    # The preview names whom and what it creates, not only their codes.
    assert {"Zoë Leader", "René Agent", "Team Aurora", "Support agent"} <= set(creates["name"])

    commit_people_import(session, actor=hr, files=totara_files())
    people = {p.employee_code: p for p in session.exec(select(Person)).all()}
    zoe, rene, old = people["E100"], people["E101"], people["E102"]
    assert zoe.full_name == "Zoë Leader"
    assert rene.full_name == "René Agent"
    assert rene.manager_id == zoe.id
    assert rene.appraiser_id == zoe.id
    assert not old.active  # suspended in the HR system
    team = session.exec(select(OrgUnit).where(OrgUnit.code == "OPS-A")).one()
    assert rene.org_unit_id == team.id
    assert team.kind == "team"
    position = session.exec(select(Position).where(Position.code == "POS-AGENT")).one()
    assert rene.position_id == position.id
    account = session.exec(select(UserAccount).where(UserAccount.person_id == rene.id)).one()
    assert account.username == "rene.agent"
    # No password until invited: the account cannot be signed in to.
    assert get_login_credentials(session, username="rene.agent") is None
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "people.imported")).one()


def test_importing_the_same_files_again_changes_nothing(session: Session) -> None:
    hr = actor_for(session, make_small_org(session).hr)
    commit_people_import(session, actor=hr, files=totara_files())
    again = preview_people_import(session, actor=hr, files=totara_files())
    assert again.errors == []
    assert again.plan.is_empty
    assert not again.can_commit


def test_sync_deactivates_people_missing_from_the_file(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    commit_people_import(session, actor=hr, files=totara_files())
    without_old = "\n".join(USERS.splitlines()[:3]) + "\n"
    jobs = "\n".join(JOBS.splitlines()[:4]) + "\n"
    preview = preview_people_import(
        session, actor=hr, files=totara_files(without_old, jobs), sync=True
    )
    gone = {c.code for c in preview.plan.deactivations}
    assert "E102" not in gone  # already inactive
    assert org.report.employee_code in gone  # active in Stride, absent from the file
    commit_people_import(session, actor=hr, files=totara_files(without_old, jobs), sync=True)
    session.refresh(org.report)
    assert not org.report.active
    assert session.get(Person, org.report.id) is not None  # deactivated, never deleted


def test_a_file_with_any_error_writes_nothing(session: Session) -> None:
    hr = actor_for(session, make_small_org(session).hr)
    broken = USERS.replace("rene@acme.example", "not-an-address")
    before = len(session.exec(select(Person)).all())
    with pytest.raises(ValidationError) as refused:
        commit_people_import(session, actor=hr, files=totara_files(broken))
    assert [(e.column, e.message) for e in refused.value.rows] == [
        ("email", "'not-an-address' is not an e-mail address.")
    ]
    assert len(session.exec(select(Person)).all()) == before
    assert session.exec(select(OrgUnit).where(OrgUnit.code == "ACME")).first() is None


def test_only_hr_imports(session: Session) -> None:
    org = make_small_org(session)
    with pytest.raises(PermissionDenied):
        preview_people_import(session, actor=actor_for(session, org.manager), files=[])


def test_export_then_import_round_trips_odd_text(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    make_person(session, name="=1+1 ![x](//h/i) Ünïcode", unit=org.team_a)
    exported = export_people_workbook(session, actor=hr)
    back = preview_people_import(
        session, actor=hr, files=[UploadedFile(read_upload(exported, "stride.xlsx"), None)]
    )
    assert back.errors == []
    assert back.plan.is_empty, back.changes_frame()


def test_the_template_has_the_three_sheets() -> None:
    workbook = load_workbook(io.BytesIO(people_import_template()))
    assert workbook.sheetnames == ["Units", "Positions", "People"]
    assert [c.value for c in workbook["People"][1]][:3] == ["employee_code", "full_name", "email"]


def test_the_command_line_import_exits_non_zero_on_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("STRIDE_ADMIN_PASSWORD", "a long enough pass")
    assert main(["create-hr-admin", "--username", "ana", "--email", "ana@example.org"]) == 0
    paths = []
    for name, text in [
        ("org.csv", UNITS),
        ("pos.csv", POSITIONS),
        ("user.csv", USERS),
        ("jobassignment.csv", JOBS),
    ]:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    assert main(["import-people", "--as", "ana", *paths]) == 0
    assert "person: 3 created" in capsys.readouterr().out
    assert main(["import-people", "--as", "ana", *paths]) == 0
    assert "Nothing changed" in capsys.readouterr().out
    broken = tmp_path / "user.csv"
    broken.write_text(USERS.replace("zoe@acme.example", "nope"), encoding="utf-8")
    assert main(["import-people", "--as", "ana", *paths]) == 1
    assert "not an e-mail address" in capsys.readouterr().err
