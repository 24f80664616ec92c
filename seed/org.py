"""Organisation plans (pure data) and one loader that writes any plan in bulk.

The demo organisation and the scalable generator both build an `OrgPlan`;
`load_org_plan` inserts it with a handful of bulk statements, so 10,000
people load in seconds on either database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, col

from core.auth import hash_password
from db.models import JobFamily, OrgUnit, Person, Position, UserAccount, utcnow

Progress = Callable[[str, float], None]

JOB_FAMILIES = [
    "Leadership",
    "Management & administration",
    "Product design & development",
    "Sales & marketing",
    "Customer service",
    "Technology & support",
]

# code, title, job family, grade
POSITIONS: list[tuple[str, str, str, int]] = [
    ("CEO", "Chief Executive Officer", "Leadership", 10),
    ("DIR", "Division Director", "Leadership", 9),
    ("HOD", "Head of Department", "Leadership", 8),
    ("EM", "Engineering Manager", "Product design & development", 7),
    ("SSE", "Senior Software Engineer", "Product design & development", 6),
    ("SE", "Software Engineer", "Product design & development", 5),
    ("PD", "Product Designer", "Product design & development", 5),
    ("DA", "Data Analyst", "Technology & support", 5),
    ("ITS", "IT Support Specialist", "Technology & support", 4),
    ("SM", "Sales Manager", "Sales & marketing", 7),
    ("AE", "Account Executive", "Sales & marketing", 5),
    ("MKT", "Marketing Specialist", "Sales & marketing", 5),
    ("CSM", "Customer Success Manager", "Customer service", 5),
    ("SUP", "Support Representative", "Customer service", 3),
    ("HRBP", "HR Business Partner", "Management & administration", 6),
    ("ADM", "Finance & Office Administrator", "Management & administration", 4),
    ("TL", "Team Lead", "Management & administration", 6),
]


@dataclass(frozen=True)
class UnitPlan:
    code: str
    name: str
    kind: str
    parent_code: str | None


@dataclass(frozen=True)
class PersonPlan:
    employee_code: str
    full_name: str
    email: str
    username: str
    unit_code: str
    position_code: str
    manager_code: str | None
    hire_date: date
    years_experience: float
    is_hr_admin: bool = False


@dataclass
class OrgPlan:
    units: list[UnitPlan] = field(default_factory=list)
    people: list[PersonPlan] = field(default_factory=list)


def load_org_plan(
    session: Session, plan: OrgPlan, *, password: str, progress: Progress | None = None
) -> dict[str, int]:
    """Insert families, positions, units and people; returns employee code → id.

    Every account gets the same password hash: hashing thousands of demo
    passwords one by one would take minutes and protect nothing.
    """
    report = progress or (lambda _label, _share: None)
    report("Job families and positions", 0.0)
    family_ids: dict[str, int] = {}
    for name in JOB_FAMILIES:
        family = JobFamily(name=name)
        session.add(family)
        session.flush()
        assert family.id is not None
        family_ids[name] = family.id
    position_ids: dict[str, int] = {}
    for code, title, family_name, grade in POSITIONS:
        position = Position(
            code=code, title=title, job_family_id=family_ids[family_name], grade=grade
        )
        session.add(position)
        session.flush()
        assert position.id is not None
        position_ids[code] = position.id

    report("Organisation units", 0.05)
    unit_ids: dict[str, int] = {}
    for unit in plan.units:  # parents come first in every plan
        row = OrgUnit(
            code=unit.code,
            name=unit.name,
            kind=unit.kind,
            parent_id=unit_ids[unit.parent_code] if unit.parent_code else None,
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        unit_ids[unit.code] = row.id

    person_ids: dict[str, int] = {}
    batch = 2_000
    total = max(len(plan.people), 1)
    for start in range(0, len(plan.people), batch):
        chunk = plan.people[start : start + batch]
        result = session.execute(
            insert(Person).returning(col(Person.id), col(Person.employee_code)),
            [
                {
                    "employee_code": p.employee_code,
                    "full_name": p.full_name,
                    "email": p.email,
                    "org_unit_id": unit_ids[p.unit_code],
                    "position_id": position_ids[p.position_code],
                    "hire_date": p.hire_date,
                    "years_experience": p.years_experience,
                    "active": True,
                    "is_hr_admin": p.is_hr_admin,
                    "version": 1,
                }
                for p in chunk
            ],
        )
        person_ids.update({code: pid for pid, code in result.all()})
        report("People", 0.1 + 0.5 * min(start + batch, total) / total)

    managed = [
        {"person": person_ids[p.employee_code], "manager": person_ids[p.manager_code]}
        for p in plan.people
        if p.manager_code
    ]
    report("Reporting lines", 0.65)
    # On the table, not the ORM: a reporting line is part of creating the
    # person, so a seeded person starts at version 1 like any other.
    people = Person.__table__  # type: ignore[attr-defined]
    link = (
        update(people)
        .where(people.c.id == bindparam("person"))
        .values(manager_id=bindparam("manager"))
    )
    for start in range(0, len(managed), batch):
        session.execute(link, managed[start : start + batch])

    password_hash = hash_password(password)
    created_at = utcnow()
    accounts = [
        {
            "person_id": person_ids[p.employee_code],
            "username": p.username,
            "password_hash": password_hash,
            "failed_logins": 0,
            "sessions_valid_after": created_at,
        }
        for p in plan.people
    ]
    for start in range(0, len(accounts), batch):
        session.execute(insert(UserAccount), accounts[start : start + batch])
        report("Accounts", 0.7 + 0.3 * min(start + batch, total) / total)
    session.flush()
    report("Done", 1.0)
    return person_ids
