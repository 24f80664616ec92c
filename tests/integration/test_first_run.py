"""First run of an empty database: set-up page and `stride create-hr-admin`."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from core.auth import verify_password
from core.cli import PASSWORD_VARIABLE, main
from core.errors import ValidationError
from core.first_run import FirstAdmin, SetupClosed, create_first_hr_admin, needs_first_run
from core.runtime import unit_of_work
from db.models import AuditEvent, OrgUnit, Person, UserAccount

ADMIN = FirstAdmin(
    organisation="Example Ltd",
    full_name="Ana Silva",
    username="Ana.Silva",
    email="Ana.Silva@example.org",
    password="a long enough pass",
)


def test_set_up_creates_the_company_and_its_first_hr_admin(session: Session) -> None:
    assert needs_first_run(session)
    created = create_first_hr_admin(session, admin=ADMIN)
    assert not needs_first_run(session)
    person = session.get(Person, created.person_id)
    assert person is not None
    assert person.is_hr_admin
    assert person.active
    assert person.email == "ana.silva@example.org"
    unit = session.get(OrgUnit, person.org_unit_id)
    assert unit is not None
    assert (unit.name, unit.kind) == ("Example Ltd", "company")
    account = session.exec(select(UserAccount).where(UserAccount.person_id == person.id)).one()
    assert account.username == "ana.silva"
    assert verify_password(ADMIN.password, account.password_hash)
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "organisation.created")).one()


def test_set_up_works_only_once(session: Session) -> None:
    create_first_hr_admin(session, admin=ADMIN)
    with pytest.raises(SetupClosed):
        create_first_hr_admin(
            session, admin=replace(ADMIN, username="intruder", email="i@example.org")
        )
    assert session.exec(select(UserAccount.username)).all() == ["ana.silva"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"password": "only11chars"}, "at least 12 characters"),
        ({"email": "not-an-address"}, "not an e-mail address"),
        ({"username": "a b"}, "3–80 characters"),
        ({"organisation": "  "}, "name"),
        ({"full_name": "x" * 201}, "at most 200"),
    ],
)
def test_set_up_refuses_bad_input_and_writes_nothing(
    session: Session, change: dict[str, str], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        create_first_hr_admin(session, admin=replace(ADMIN, **change))
    assert needs_first_run(session)
    assert session.exec(select(OrgUnit)).all() == []


def test_two_set_ups_at_once_cannot_both_win(committing_engine: Engine) -> None:
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def set_up(admin: FirstAdmin) -> None:
        start.wait()
        try:
            with unit_of_work(committing_engine) as session:
                create_first_hr_admin(session, admin=admin)
            outcomes.append("created")
        except SetupClosed:
            outcomes.append("refused")

    rivals = [
        threading.Thread(target=set_up, args=(ADMIN,)),
        threading.Thread(
            target=set_up, args=(replace(ADMIN, username="rival", email="r@example.org"),)
        ),
    ]
    for thread in rivals:
        thread.start()
    for thread in rivals:
        thread.join()
    assert sorted(outcomes) == ["created", "refused"]
    with Session(committing_engine) as session:
        assert len(session.exec(select(UserAccount)).all()) == 1
        assert len(session.exec(select(OrgUnit)).all()) == 1


def test_the_command_line_creates_the_first_admin_once(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv(PASSWORD_VARIABLE, ADMIN.password)
    arguments = ["create-hr-admin", "--username", "ana", "--email", "ana@example.org"]
    assert main([*arguments, "--organisation", "Example Ltd"]) == 0
    assert "ana" in capsys.readouterr().out
    assert main(["create-hr-admin", "--username", "bob", "--email", "bob@example.org"]) == 2
    assert "already set up" in capsys.readouterr().err


def test_the_command_line_refuses_a_short_password(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv(PASSWORD_VARIABLE, "short")
    assert main(["create-hr-admin", "--username", "ana", "--email", "ana@example.org"]) == 2
    assert "12 characters" in capsys.readouterr().err
