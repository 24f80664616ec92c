"""HR's people grid: people and their accounts, checked row by row, saved at once."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from core.access import (
    Actor,
    can_administer_people,
    require,
)
from core.audit import record_event
from core.auth import hash_password, normalise_username
from core.errors import RowError, StaleEdit, ValidationError
from core.grid import GridChanges, is_blank
from core.people.queries import EMAIL_PATTERN, USERNAME_PATTERN
from db.models import OrgUnit, Person, Position, UserAccount, utcnow

# --- HR people grid ---------------------------------------------------------

PEOPLE_GRID_COLUMNS = [
    "id",
    "employee_code",
    "full_name",
    "email",
    "username",
    "org_unit",
    "position",
    "manager_code",
    "hire_date",
    "years_experience",
    "active",
    "is_hr_admin",
    "locked",
    "version",
]


@dataclass(frozen=True)
class PeopleGrid:
    frame: pd.DataFrame
    org_unit_codes: list[str]
    position_codes: list[str]


@dataclass(frozen=True)
class GridSaveResult:
    created: int
    updated: int
    deactivated: int

    def summary(self) -> str:
        return (
            f"Saved: {self.created} added, {self.updated} edited, {self.deactivated} deactivated."
        )


def get_people_grid(session: Session, *, actor: Actor) -> PeopleGrid:
    require(
        can_administer_people(actor),
        session=session,
        actor=actor,
        action="list",
        entity="people",
    )
    manager = aliased(Person)
    rows = session.execute(
        sa_select(
            col(Person.id),
            col(Person.employee_code),
            col(Person.full_name),
            col(Person.email),
            col(UserAccount.username),
            col(OrgUnit.code),
            col(Position.code),
            col(manager.employee_code),
            col(Person.hire_date),
            col(Person.years_experience),
            col(Person.active),
            col(Person.is_hr_admin),
            col(UserAccount.locked_until),
            col(Person.version),
        )
        .join(OrgUnit, col(OrgUnit.id) == col(Person.org_unit_id))
        .join(Position, col(Position.id) == col(Person.position_id), isouter=True)
        .join(manager, col(manager.id) == col(Person.manager_id), isouter=True)
        .join(UserAccount, col(UserAccount.person_id) == col(Person.id), isouter=True)
        .order_by(Person.employee_code)
    ).all()
    now = utcnow()
    records = [
        {**dict(zip(PEOPLE_GRID_COLUMNS, r, strict=True)), "locked": bool(r[12] and r[12] > now)}
        for r in rows
    ]
    frame = pd.DataFrame(records, columns=PEOPLE_GRID_COLUMNS)
    lookups = _Lookups.load(session)
    return PeopleGrid(
        frame=frame,
        org_unit_codes=sorted(lookups.unit_ids),
        position_codes=sorted(lookups.position_ids),
    )


@dataclass
class _Lookups:
    unit_ids: dict[str, int]
    position_ids: dict[str, int]

    @classmethod
    def load(cls, session: Session) -> _Lookups:
        return cls(
            unit_ids={c: i for i, c in session.exec(select(OrgUnit.id, OrgUnit.code)).all() if i},
            position_ids={
                c: i for i, c in session.exec(select(Position.id, Position.code)).all() if i
            },
        )

    def code_of_unit(self, unit_id: int | None) -> str | None:
        return next((c for c, i in self.unit_ids.items() if i == unit_id), None)

    def code_of_position(self, position_id: int | None) -> str | None:
        return next((c for c, i in self.position_ids.items() if i == position_id), None)


@dataclass
class _PlannedRow:
    label: str
    person: Person | None  # None: a new row
    values: dict[str, Any]


def save_people_grid(
    session: Session, *, actor: Actor, shown: pd.DataFrame, changes: GridChanges
) -> GridSaveResult:
    """Apply a grid edit in one transaction, or nothing at all.

    Every row is validated first; any problem raises `ValidationError` with
    row-level messages. A row whose version moved since it was shown raises
    `StaleEdit`. Deleting a row deactivates the person (history stays).
    """
    require(
        can_administer_people(actor),
        session=session,
        actor=actor,
        action="edit",
        entity="people",
    )
    lookups = _Lookups.load(session)
    errors: list[RowError] = []
    stale: list[str] = []
    plans: list[_PlannedRow] = []

    def shown_person(position: int) -> Person | None:
        if not 0 <= position < len(shown):
            errors.append(RowError(position, "", "This row is not in the grid any more."))
            return None
        person = session.get(Person, int(shown.iloc[position]["id"]))
        if person is None:
            errors.append(RowError(position, "", "This person no longer exists."))
            return None
        if person.version != int(shown.iloc[position]["version"]):
            stale.append(str(shown.iloc[position]["full_name"]))
            return None
        return person

    for position, edits in changes.edited_rows.items():
        person = shown_person(int(position))
        if person is not None:
            values = {**_person_values(session, person, lookups), **edits}
            plans.append(_PlannedRow(str(position), person, values))
    for position in changes.deleted_rows:
        person = shown_person(int(position))
        if person is not None:
            values = {**_person_values(session, person, lookups), "active": False}
            plans.append(_PlannedRow(str(position), person, values))
    for index, added in enumerate(changes.added_rows):
        values = {"active": True, "is_hr_admin": False, **added}
        plans.append(_PlannedRow(f"new {index + 1}", None, values))

    if stale:
        raise StaleEdit(
            "Someone else changed " + ", ".join(sorted(stale)) + " after you opened the grid. "
            "Nothing was saved; reload to see their change and edit again."
        )
    for plan in plans:
        errors.extend(
            _validate_person_row(plan.values, lookups, row=plan.label, new=plan.person is None)
        )
        if (
            plan.person is not None
            and plan.person.id == actor.person_id
            and (not plan.values.get("active") or not plan.values.get("is_hr_admin"))
        ):
            errors.append(
                RowError(
                    plan.label,
                    "active",
                    "You cannot deactivate yourself or drop your own HR admin flag.",
                )
            )
    errors.extend(_duplicate_errors(session, plans))
    if errors:
        raise ValidationError("Nothing was saved: fix the rows below.", rows=errors)

    saved: list[tuple[_PlannedRow, Person]] = []
    for plan in plans:
        person = plan.person or Person(employee_code="", full_name="", email="", org_unit_id=0)
        _apply_person_values(person, plan.values, lookups)
        if plan.person is not None:
            person.version += 1
        session.add(person)
        saved.append((plan, person))
    session.flush()
    for plan, person in saved:
        problem = _assign_manager(session, person, plan.values.get("manager_code"))
        if problem:
            errors.append(RowError(plan.label, "manager_code", problem))
        if plan.person is None:
            assert person.id is not None
            session.add(
                UserAccount(
                    person_id=person.id,
                    username=normalise_username(str(plan.values["username"])),
                    # Unusable until HR sets a password with "Reset password".
                    password_hash=hash_password(secrets.token_urlsafe(24)),
                )
            )
    if errors:
        raise ValidationError("Nothing was saved: fix the rows below.", rows=errors)
    session.flush()
    result = GridSaveResult(
        created=sum(1 for p in plans if p.person is None),
        updated=len(changes.edited_rows),
        deactivated=len(changes.deleted_rows),
    )
    record_event(
        session,
        actor_id=actor.person_id,
        action="people.saved",
        entity="people",
        detail={"people": [p.id for _, p in saved], **result.__dict__},
    )
    return result


def _person_values(session: Session, person: Person, lookups: _Lookups) -> dict[str, Any]:
    manager_code = None
    if person.manager_id is not None:
        manager_code = session.exec(
            select(Person.employee_code).where(Person.id == person.manager_id)
        ).first()
    return {
        "employee_code": person.employee_code,
        "full_name": person.full_name,
        "email": person.email,
        "org_unit": lookups.code_of_unit(person.org_unit_id),
        "position": lookups.code_of_position(person.position_id),
        "manager_code": manager_code,
        "hire_date": person.hire_date,
        "years_experience": person.years_experience,
        "active": person.active,
        "is_hr_admin": person.is_hr_admin,
    }


def _validate_person_row(
    values: dict[str, Any], lookups: _Lookups, *, row: str, new: bool
) -> list[RowError]:
    problems: list[RowError] = []
    for column in ("employee_code", "full_name", "email", "org_unit"):
        if is_blank(values.get(column)):
            problems.append(RowError(row, column, "Required."))
    email = values.get("email")
    if not is_blank(email) and not EMAIL_PATTERN.match(str(email).strip()):
        problems.append(RowError(row, "email", "Not an e-mail address."))
    if new:
        username = values.get("username")
        if is_blank(username) or not USERNAME_PATTERN.match(normalise_username(str(username))):
            problems.append(RowError(row, "username", "3–80 characters: letters, digits, . _ -"))
    unit = values.get("org_unit")
    if not is_blank(unit) and unit not in lookups.unit_ids:
        problems.append(RowError(row, "org_unit", f"Unknown org unit {unit!r}."))
    position = values.get("position")
    if not is_blank(position) and position not in lookups.position_ids:
        problems.append(RowError(row, "position", f"Unknown position {position!r}."))
    years = values.get("years_experience")
    if not is_blank(years):
        try:
            if years is None or not 0 <= float(years) <= 70:
                raise ValueError
        except (TypeError, ValueError):
            problems.append(RowError(row, "years_experience", "A number from 0 to 70."))
    try:
        _as_date(values.get("hire_date"))
    except (TypeError, ValueError):
        problems.append(RowError(row, "hire_date", "A date (YYYY-MM-DD)."))
    return problems


def _as_date(value: Any) -> date | None:
    if is_blank(value):
        return None
    if isinstance(value, date):
        return value
    return pd.Timestamp(value).date()


def _apply_person_values(person: Person, values: dict[str, Any], lookups: _Lookups) -> None:
    person.employee_code = str(values["employee_code"]).strip()
    person.full_name = str(values["full_name"]).strip()
    person.email = str(values["email"]).strip().lower()
    person.org_unit_id = lookups.unit_ids[str(values["org_unit"])]
    position = values.get("position")
    person.position_id = None if is_blank(position) else lookups.position_ids[str(position)]
    person.hire_date = _as_date(values.get("hire_date"))
    years = values.get("years_experience")
    person.years_experience = None if years is None or is_blank(years) else float(years)
    person.active = bool(values.get("active"))
    person.is_hr_admin = bool(values.get("is_hr_admin"))


def _duplicate_errors(session: Session, plans: list[_PlannedRow]) -> list[RowError]:
    """Codes, e-mails and usernames must stay unique, within the edit and
    against the rows it does not touch."""
    problems: list[RowError] = []
    own_ids = {p.person.id for p in plans if p.person is not None}
    checks: list[tuple[str, Any, Any]] = [
        ("employee_code", Person.employee_code, Person.id),
        ("email", Person.email, Person.id),
        ("username", UserAccount.username, UserAccount.person_id),
    ]
    for column, db_column, owner_column in checks:
        seen: dict[str, str] = {}
        for plan in plans:
            raw = plan.values.get(column)
            if is_blank(raw) or (column == "username" and plan.person is not None):
                continue
            value = str(raw).strip().lower() if column != "employee_code" else str(raw).strip()
            if value in seen:
                problems.append(RowError(plan.label, column, f"Also used on row {seen[value]}."))
            seen[value] = plan.label
            owner = session.exec(select(owner_column).where(db_column == value)).first()
            if owner is not None and owner not in own_ids:
                problems.append(RowError(plan.label, column, f"{value!r} is already taken."))
    return problems


def _assign_manager(session: Session, person: Person, code: Any) -> str | None:
    if is_blank(code):
        person.manager_id = None
        return None
    manager_id = session.exec(select(Person.id).where(Person.employee_code == str(code))).first()
    if manager_id is None:
        return f"No person with code {code!r}."
    current: int | None = manager_id
    seen: set[int] = set()
    while current is not None:
        if current == person.id or current in seen:
            return "That would make a reporting loop."
        seen.add(current)
        current = session.exec(select(Person.manager_id).where(Person.id == current)).first()
    person.manager_id = manager_id
    session.add(person)
    return None
