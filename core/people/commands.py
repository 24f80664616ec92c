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
from core.assessments.summary import tracking_people
from core.audit import record_event
from core.auth import hash_password, normalise_username
from core.errors import RowError
from core.grid import (
    GridChanges,
    GridSaveResult,
    RowPlan,
    is_blank,
    loader,
    plan_rows,
    refuse,
    stale_refusal,
    touched_names,
)
from core.people.queries import EMAIL_PATTERN, USERNAME_PATTERN
from core.versioning import refuse_if_stale, touch
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
    # Inactive units and positions are not offered (people in them stay).
    return PeopleGrid(
        frame=frame,
        org_unit_codes=sorted(set(lookups.unit_ids) - lookups.inactive_units),
        position_codes=sorted(set(lookups.position_ids) - lookups.inactive_positions),
    )


@dataclass
class _Lookups:
    unit_ids: dict[str, int]
    position_ids: dict[str, int]
    inactive_units: set[str]
    inactive_positions: set[str]

    @classmethod
    def load(cls, session: Session) -> _Lookups:
        units = session.exec(select(OrgUnit.id, OrgUnit.code, OrgUnit.active)).all()
        positions = session.exec(select(Position.id, Position.code, Position.active)).all()
        return cls(
            unit_ids={c: i for i, c, _ in units if i},
            position_ids={c: i for i, c, _ in positions if i},
            inactive_units={c for _, c, active in units if not active},
            inactive_positions={c for _, c, active in positions if not active},
        )

    def placement_errors(
        self, values: dict[str, Any], current: dict[str, Any] | None, *, row: str
    ) -> list[RowError]:
        """Nobody new goes into an inactive unit or position; people already
        in one stay there."""
        problems = []
        for column, inactive, what in (
            ("org_unit", self.inactive_units, "Org unit"),
            ("position", self.inactive_positions, "Position"),
        ):
            code = values.get(column)
            moved = current is None or current.get(column) != code
            if not is_blank(code) and code in inactive and moved:
                problems.append(RowError(row, column, f"{what} {code!r} is inactive."))
        return problems

    def code_of_unit(self, unit_id: int | None) -> str | None:
        return next((c for c, i in self.unit_ids.items() if i == unit_id), None)

    def code_of_position(self, position_id: int | None) -> str | None:
        return next((c for c, i in self.position_ids.items() if i == position_id), None)


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
    plans = plan_rows(
        shown=shown,
        changes=changes,
        load=loader(session, Person),
        label_column="full_name",
        current_values=lambda person, _shown: _person_values(session, person, lookups),
    )
    for plan in plans:
        if plan.delete:
            # Removing a row deactivates the person; their history stays.
            plan.values["active"] = False
        elif plan.row is None:
            plan.values = {"active": True, "is_hr_admin": False, **plan.values}
    errors: list[RowError] = []
    for plan in plans:
        errors.extend(
            _validate_person_row(plan.values, lookups, row=plan.label, new=plan.row is None)
        )
        current = None if plan.row is None else _person_values(session, plan.row, lookups)
        errors.extend(lookups.placement_errors(plan.values, current, row=plan.label))
        if (
            plan.row is not None
            and plan.row.id == actor.person_id
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
    refuse(errors)

    edited = [int(p.row.id) for p in plans if p.row is not None and p.row.id is not None]
    with refuse_if_stale(stale_refusal(touched_names(plans))), tracking_people(session, edited):
        saved = _write_people(session, plans, lookups, errors)
    refuse(errors)
    result = GridSaveResult.of(plans, removal="deactivated")
    record_event(
        session,
        actor_id=actor.person_id,
        action="people.saved",
        entity="people",
        detail={
            "people": [p.id for p in saved],
            "created": result.created,
            "updated": result.updated,
            "deactivated": result.removed,
        },
    )
    return result


def _write_people(
    session: Session, plans: list[RowPlan], lookups: _Lookups, errors: list[RowError]
) -> list[Person]:
    """Write every planned person exactly once (an edit moves it to its next
    version, not two), with its manager, and new people's accounts.

    Managers are resolved and checked for loops before anything is written
    (problems go to `errors` and nothing is written). Then, so that each row
    gets one statement: edited people whose manager already exists; new people,
    managers before their reports; last, edited people whose new manager is a
    person added in the same save."""
    targets = _manager_targets(session, plans, errors)
    if errors:
        return []
    new_people: dict[str, Person] = {}
    saved: list[Person] = []

    def manager_id_of(target: int | str | None) -> int | None:
        if isinstance(target, str):
            return new_people[target].id
        return target

    def write(plan: RowPlan, person: Person) -> None:
        _apply_person_values(person, plan.values, lookups)
        person.manager_id = manager_id_of(targets[_plan_key(plan)])
        if plan.row is not None:
            touch(person)
        session.add(person)
        saved.append(person)

    with session.no_autoflush:
        later: list[RowPlan] = []
        for plan in plans:
            if plan.row is None:
                continue
            if isinstance(targets[_plan_key(plan)], str):
                later.append(plan)
            else:
                write(plan, plan.row)
        session.flush()
        for plan in _managers_first([p for p in plans if p.row is None], targets):
            person = Person(employee_code="", full_name="", email="", org_unit_id=0)
            write(plan, person)
            session.flush()
            assert person.id is not None
            key = _plan_key(plan)
            assert isinstance(key, str)
            new_people[key] = person
            session.add(
                UserAccount(
                    person_id=person.id,
                    username=normalise_username(str(plan.values["username"])),
                    # Unusable until HR sets a password with "Reset password".
                    password_hash=hash_password(secrets.token_urlsafe(24)),
                )
            )
        for plan in later:
            assert plan.row is not None
            write(plan, plan.row)
        session.flush()
    return saved


def _plan_key(plan: RowPlan) -> int | str:
    """An edited person by id; an added one by the code typed for it."""
    if plan.row is not None:
        return int(plan.row.id)
    return "new:" + str(plan.values.get("employee_code") or "").strip()


def _manager_targets(
    session: Session, plans: list[RowPlan], errors: list[RowError]
) -> dict[int | str, int | str | None]:
    """Each planned person's manager after the save: a stored person's id, an
    added person's key, or None. Unknown codes and reporting loops (through
    the stored lines and the ones this save changes) go to `errors`."""
    planned_codes: dict[str, int | str] = {}
    for plan in plans:
        code = str(plan.values.get("employee_code") or "").strip()
        if code:
            planned_codes[code] = _plan_key(plan)
    edited_ids = {int(p.row.id) for p in plans if p.row is not None}
    wanted = {
        str(p.values["manager_code"]).strip()
        for p in plans
        if not is_blank(p.values.get("manager_code"))
    }
    stored = {
        code: person_id
        for person_id, code in session.exec(
            select(Person.id, Person.employee_code).where(col(Person.employee_code).in_(wanted))
        ).all()
        # A person this save renames answers to their new code only.
        if person_id is not None and person_id not in edited_ids
    }
    targets: dict[int | str, int | str | None] = {}
    for plan in plans:
        raw = plan.values.get("manager_code")
        if is_blank(raw):
            targets[_plan_key(plan)] = None
            continue
        code = str(raw).strip()
        target = planned_codes.get(code, stored.get(code))
        if target is None:
            errors.append(RowError(plan.label, "manager_code", f"No person with code {raw!r}."))
        targets[_plan_key(plan)] = target
    for plan in plans:
        if _reports_in_a_loop(session, _plan_key(plan), targets):
            errors.append(RowError(plan.label, "manager_code", "That would make a reporting loop."))
    return targets


def _reports_in_a_loop(
    session: Session, start: int | str, targets: dict[int | str, int | str | None]
) -> bool:
    seen: set[int | str] = set()
    current: int | str | None = targets.get(start)
    while current is not None:
        if current == start or current in seen:
            return True
        seen.add(current)
        if current in targets:
            current = targets[current]
        else:
            current = session.exec(select(Person.manager_id).where(Person.id == current)).first()
    return False


def _managers_first(
    plans: list[RowPlan], targets: dict[int | str, int | str | None]
) -> list[RowPlan]:
    """Added people ordered so that an added manager is written before their
    reports (loops were refused already)."""
    by_key = {_plan_key(p): p for p in plans}
    ordered: list[RowPlan] = []
    placed: set[int | str] = set()

    def place(key: int | str) -> None:
        if key in placed or key not in by_key:
            return
        placed.add(key)
        manager = targets.get(key)
        if manager is not None:
            place(manager)
        ordered.append(by_key[key])

    for plan in plans:
        place(_plan_key(plan))
    return ordered


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


def _duplicate_errors(session: Session, plans: list[RowPlan]) -> list[RowError]:
    """Codes, e-mails and usernames must stay unique, within the edit and
    against the rows it does not touch."""
    problems: list[RowError] = []
    own_ids = {p.row.id for p in plans if p.row is not None}
    checks: list[tuple[str, Any, Any]] = [
        ("employee_code", Person.employee_code, Person.id),
        ("email", Person.email, Person.id),
        ("username", UserAccount.username, UserAccount.person_id),
    ]
    for column, db_column, owner_column in checks:
        seen: dict[str, str] = {}
        for plan in plans:
            raw = plan.values.get(column)
            if is_blank(raw) or (column == "username" and plan.row is not None):
                continue
            value = str(raw).strip().lower() if column != "employee_code" else str(raw).strip()
            if value in seen:
                problems.append(RowError(plan.label, column, f"Also used on row {seen[value]}."))
            seen[value] = plan.label
            owner = session.exec(select(owner_column).where(db_column == value)).first()
            if owner is not None and owner not in own_ids:
                problems.append(RowError(plan.label, column, f"{value!r} is already taken."))
    return problems
