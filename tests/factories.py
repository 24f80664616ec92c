"""Test data builders, in one place. Each returns saved rows (flushed, with ids)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from core.access import Actor, is_manager
from core.auth import hash_password
from db.models import JobFamily, OrgUnit, Person, Position, UserAccount

PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)


def _n() -> int:
    return next(_counter)


def make_unit(
    session: Session, *, name: str | None = None, kind: str = "team", parent: OrgUnit | None = None
) -> OrgUnit:
    n = _n()
    unit = OrgUnit(
        code=f"U{n}", name=name or f"Unit {n}", kind=kind, parent_id=parent.id if parent else None
    )
    session.add(unit)
    session.flush()
    return unit


def make_position(
    session: Session, *, title: str | None = None, family: JobFamily | None = None, grade: int = 5
) -> Position:
    n = _n()
    if family is None:
        family = JobFamily(name=f"Family {n}")
        session.add(family)
        session.flush()
    assert family.id is not None
    position = Position(
        code=f"P{n}", title=title or f"Position {n}", job_family_id=family.id, grade=grade
    )
    session.add(position)
    session.flush()
    return position


def make_person(
    session: Session,
    *,
    name: str | None = None,
    unit: OrgUnit | None = None,
    position: Position | None = None,
    manager: Person | None = None,
    hr: bool = False,
    active: bool = True,
    years_experience: float | None = 3.0,
    username: str | None = None,
    password: str = PASSWORD,
) -> Person:
    n = _n()
    unit = unit or make_unit(session)
    person = Person(
        employee_code=f"E{n:05d}",
        full_name=name or f"Person {n}",
        email=f"person{n}@example.test",
        org_unit_id=unit.id or 0,
        position_id=position.id if position else None,
        manager_id=manager.id if manager else None,
        hire_date=date(2022, 1, 1),
        years_experience=years_experience,
        active=active,
        is_hr_admin=hr,
    )
    session.add(person)
    session.flush()
    assert person.id is not None
    session.add(
        UserAccount(
            person_id=person.id,
            username=username or f"user{n}",
            password_hash=hash_password(password),
        )
    )
    session.flush()
    return person


def actor_for(session: Session, person: Person) -> Actor:
    assert person.id is not None
    username = session.exec(
        select(UserAccount.username).where(UserAccount.person_id == person.id)
    ).one()
    return Actor(
        person_id=person.id,
        username=username,
        full_name=person.full_name,
        is_hr_admin=person.is_hr_admin,
        is_manager=is_manager(session, person_id=person.id),
    )


@dataclass
class SmallOrg:
    """CEO → manager (team A) → lead → indirect report; manager → two reports;
    another manager (team B) → outsider; HR in team C."""

    ceo: Person
    manager: Person
    report: Person
    peer: Person
    lead: Person
    indirect: Person
    other_manager: Person
    outsider: Person
    hr: Person
    team_a: OrgUnit
    team_b: OrgUnit


def make_small_org(session: Session) -> SmallOrg:
    company = make_unit(session, name="Company", kind="company")
    team_a = make_unit(session, name="Team A", parent=company)
    team_b = make_unit(session, name="Team B", parent=company)
    team_c = make_unit(session, name="Team C", parent=company)
    ceo = make_person(session, name="Cleo CEO", unit=company)
    manager = make_person(session, name="Mona Manager", unit=team_a, manager=ceo)
    report = make_person(session, name="Rita Report", unit=team_a, manager=manager)
    peer = make_person(session, name="Pete Peer", unit=team_a, manager=manager)
    lead = make_person(session, name="Lars Lead", unit=team_a, manager=manager)
    indirect = make_person(session, name="Ivy Indirect", unit=team_a, manager=lead)
    other_manager = make_person(session, name="Otto Other", unit=team_b, manager=ceo)
    outsider = make_person(session, name="Olga Outsider", unit=team_b, manager=other_manager)
    hr = make_person(session, name="Hedda HR", unit=team_c, manager=ceo, hr=True)
    return SmallOrg(
        ceo, manager, report, peer, lead, indirect, other_manager, outsider, hr, team_a, team_b
    )
