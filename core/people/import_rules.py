"""HR import, the pure part: records from files planned against what the
database holds, with every row-level problem found before anything is written.

Plain values in, plain values out (no database, no files), so the rules —
unknown references, duplicates, manager and unit loops, sync deactivation,
idempotent re-import — are unit-tested on their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from core.errors import RowError

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
USERNAME = re.compile(r"^[a-z0-9._@-]{3,80}$")

# Column limits of both databases (db/models.py), checked before writing.
CODE_MAX = 40
NAME_MAX = 200
FAMILY_MAX = 120
EMAIL_MAX = 254
USERNAME_MAX = 80


@dataclass(frozen=True)
class UnitRecord:
    code: str
    name: str
    parent_code: str | None
    where: str  # "units.csv row 4": where a person finds the row


@dataclass(frozen=True)
class PositionRecord:
    code: str
    title: str
    family: str | None
    where: str


@dataclass(frozen=True)
class PersonRecord:
    code: str
    full_name: str
    email: str
    username: str | None
    unit_code: str | None
    position_code: str | None
    manager_code: str | None
    appraiser_code: str | None
    active: bool
    where: str
    hire_date: date | None = None


@dataclass(frozen=True)
class ImportBatch:
    """What the files say, merged across sources. A source left out (None)
    leaves that entity as it is."""

    units: list[UnitRecord] | None = None
    positions: list[PositionRecord] | None = None
    people: list[PersonRecord] | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class UnitState:
    id: int
    code: str
    name: str
    parent_id: int | None
    kind: str
    # HR deactivates units in the app; nobody new is placed in one.
    active: bool = True


@dataclass(frozen=True)
class PositionState:
    id: int
    code: str
    title: str
    family: str
    active: bool = True


@dataclass(frozen=True)
class PersonState:
    id: int
    code: str
    full_name: str
    email: str
    username: str | None
    unit_id: int
    position_id: int | None
    manager_id: int | None
    appraiser_id: int | None
    active: bool
    hire_date: date | None


@dataclass(frozen=True)
class Snapshot:
    """What the database holds now, keyed by code."""

    units: dict[str, UnitState]
    positions: dict[str, PositionState]
    people: dict[str, PersonState]
    usernames: dict[str, str]  # username → person code
    emails: dict[str, str]  # e-mail → person code


@dataclass
class Change:
    """One create or update: the values to write and, for updates, the fields
    that differ as (field, before, after) for the preview."""

    entity: str
    code: str
    values: dict[str, object]
    fields: list[tuple[str, object, object]] = field(default_factory=list)
    existing_id: int | None = None

    @property
    def is_create(self) -> bool:
        return self.existing_id is None


@dataclass
class ImportPlan:
    creates: list[Change] = field(default_factory=list)
    updates: list[Change] = field(default_factory=list)
    deactivations: list[Change] = field(default_factory=list)
    unchanged: dict[str, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.creates or self.updates or self.deactivations)

    def counts(self) -> dict[str, dict[str, int]]:
        table: dict[str, dict[str, int]] = {}
        for kind, changes in (
            ("create", self.creates),
            ("update", self.updates),
            ("deactivate", self.deactivations),
        ):
            for change in changes:
                table.setdefault(change.entity, {}).setdefault(kind, 0)
                table[change.entity][kind] += 1
        for entity, count in self.unchanged.items():
            table.setdefault(entity, {})["unchanged"] = count
        return table


def unit_kind(depth: int, has_children: bool) -> str:
    """A new unit's kind from its place in the tree: the root is the company,
    leaves are teams, levels between are divisions then departments."""
    if depth == 0:
        return "company"
    if not has_children:
        return "team"
    return "division" if depth == 1 else "department"


def _duplicates(records: Iterable[tuple[str, str]], entity: str, errors: list[RowError]) -> None:
    seen: dict[str, str] = {}
    for code, where in records:
        if code in seen:
            errors.append(
                RowError(where, "idnumber", f"{entity} {code!r} appears twice (also {seen[code]}).")
            )
        else:
            seen[code] = where


def _length(errors: list[RowError], where: str, column: str, value: str | None, limit: int) -> None:
    if value is not None and len(value) > limit:
        errors.append(RowError(where, column, f"At most {limit} characters ({len(value)} given)."))


def _loop_free(parent_of: Mapping[str, str | None], code: str) -> bool:
    seen: set[str] = set()
    current: str | None = code
    while current is not None:
        if current in seen:
            return False
        seen.add(current)
        current = parent_of.get(current)
    return True


def _under_inactive(now: Snapshot, unit: UnitRecord) -> bool:
    """No active unit (new units are) is placed under an inactive one; a
    unit that stays where it is is left alone."""
    parent = now.units.get(unit.parent_code or "")
    if parent is None or parent.active:
        return False
    existing = now.units.get(unit.code)
    return existing is None or (existing.active and existing.parent_id != parent.id)


def _plan_units(batch: ImportBatch, now: Snapshot, plan: ImportPlan) -> dict[str, str | None]:
    """Units in the file planned; returns every unit's parent code after the import."""
    parent_of: dict[str, str | None] = {}
    by_id = {state.id: state.code for state in now.units.values()}
    for state in now.units.values():
        parent_of[state.code] = by_id.get(state.parent_id) if state.parent_id else None
    if batch.units is None:
        return parent_of
    _duplicates(((u.code, u.where) for u in batch.units), "Unit", plan.errors)
    for unit in batch.units:
        _length(plan.errors, unit.where, "idnumber", unit.code, CODE_MAX)
        _length(plan.errors, unit.where, "fullname", unit.name, NAME_MAX)
        if not unit.name:
            plan.errors.append(RowError(unit.where, "fullname", "A unit needs a name."))
        parent_of[unit.code] = unit.parent_code
    known = set(parent_of)
    children = {parent for parent in parent_of.values() if parent}
    for unit in batch.units:
        if unit.parent_code and unit.parent_code not in known:
            plan.errors.append(
                RowError(unit.where, "parentidnumber", f"Unknown parent unit {unit.parent_code!r}.")
            )
        elif unit.parent_code == unit.code or not _loop_free(parent_of, unit.code):
            plan.errors.append(
                RowError(unit.where, "parentidnumber", "That would put the unit under itself.")
            )
        elif _under_inactive(now, unit):
            plan.errors.append(
                RowError(
                    unit.where,
                    "parentidnumber",
                    f"Parent unit {unit.parent_code!r} is inactive.",
                )
            )
    unchanged = 0
    for unit in batch.units:
        existing = now.units.get(unit.code)
        if existing is None:
            depth = 0
            current = unit.parent_code
            while current is not None and depth < len(parent_of):
                depth += 1
                current = parent_of.get(current)
            kind = unit_kind(depth, unit.code in children)
            plan.creates.append(
                Change(
                    "unit",
                    unit.code,
                    {"name": unit.name, "parent_code": unit.parent_code, "kind": kind},
                )
            )
            continue
        fields: list[tuple[str, object, object]] = []
        if existing.name != unit.name:
            fields.append(("name", existing.name, unit.name))
        old_parent = by_id.get(existing.parent_id) if existing.parent_id else None
        if old_parent != unit.parent_code:
            fields.append(("parent", old_parent, unit.parent_code))
        if fields:
            plan.updates.append(
                Change(
                    "unit",
                    unit.code,
                    {"name": unit.name, "parent_code": unit.parent_code},
                    fields,
                    existing.id,
                )
            )
        else:
            unchanged += 1
    plan.unchanged["unit"] = unchanged
    return parent_of


def _plan_positions(batch: ImportBatch, now: Snapshot, plan: ImportPlan) -> set[str]:
    codes = set(now.positions)
    if batch.positions is None:
        return codes
    _duplicates(((p.code, p.where) for p in batch.positions), "Position", plan.errors)
    unchanged = 0
    for position in batch.positions:
        _length(plan.errors, position.where, "idnumber", position.code, CODE_MAX)
        _length(plan.errors, position.where, "fullname", position.title, NAME_MAX)
        _length(plan.errors, position.where, "family", position.family, FAMILY_MAX)
        if not position.title:
            plan.errors.append(RowError(position.where, "fullname", "A position needs a title."))
        codes.add(position.code)
        existing = now.positions.get(position.code)
        family = position.family or (existing.family if existing else None)
        values: dict[str, object] = {"title": position.title, "family": family}
        if existing is None:
            plan.creates.append(Change("position", position.code, values))
            continue
        fields: list[tuple[str, object, object]] = []
        if existing.title != position.title:
            fields.append(("title", existing.title, position.title))
        if family and existing.family != family:
            fields.append(("family", existing.family, family))
        if fields:
            plan.updates.append(Change("position", position.code, values, fields, existing.id))
        else:
            unchanged += 1
    plan.unchanged["position"] = unchanged
    return codes


def _person_problems(
    person: PersonRecord, plan: ImportPlan, *, units: set[str], positions: set[str]
) -> None:
    where, errors = person.where, plan.errors
    _length(errors, where, "idnumber", person.code, CODE_MAX)
    _length(errors, where, "fullname", person.full_name, NAME_MAX)
    _length(errors, where, "email", person.email, EMAIL_MAX)
    _length(errors, where, "username", person.username, USERNAME_MAX)
    if not person.code:
        errors.append(RowError(where, "idnumber", "Every person needs an idnumber."))
    if not person.full_name:
        errors.append(RowError(where, "firstname", "A person needs a name."))
    if not EMAIL.match(person.email):
        errors.append(RowError(where, "email", f"{person.email!r} is not an e-mail address."))
    if person.username is not None and not USERNAME.match(person.username):
        errors.append(
            RowError(where, "username", "3–80 characters: lower-case letters, digits, . _ @ -")
        )
    if person.unit_code is not None and person.unit_code not in units:
        errors.append(RowError(where, "orgidnumber", f"Unknown org unit {person.unit_code!r}."))
    if person.position_code is not None and person.position_code not in positions:
        errors.append(RowError(where, "posidnumber", f"Unknown position {person.position_code!r}."))
    if person.manager_code is not None and person.manager_code == person.code:
        errors.append(RowError(where, "manageridnumber", "A person cannot be their own manager."))


def _unique_people_fields(
    batch_people: list[PersonRecord], now: Snapshot, plan: ImportPlan
) -> None:
    for column, key in (("username", "username"), ("email", "email")):
        seen: dict[str, str] = {}
        taken = now.usernames if column == "username" else now.emails
        for person in batch_people:
            value = getattr(person, key)
            if value is None:
                continue
            if value in seen:
                plan.errors.append(
                    RowError(person.where, column, f"{value!r} is also used by {seen[value]}.")
                )
            seen[value] = person.code
            owner = taken.get(value)
            if owner is not None and owner != person.code:
                plan.errors.append(
                    RowError(person.where, column, f"{value!r} already belongs to {owner}.")
                )


def _manager_loops(managers: Mapping[str, str | None], people: list[PersonRecord]) -> list[str]:
    return [person.code for person in people if not _loop_free(managers, person.code)]


def _inactive_placements(
    person: PersonRecord,
    existing: PersonState | None,
    now: Snapshot,
    plan: ImportPlan,
    unit_code_of: Mapping[int, str],
    position_code_of: Mapping[int, str],
) -> None:
    """Nobody is placed in an inactive unit or position; people already
    there stay (their history is kept)."""
    unit = now.units.get(person.unit_code or "")
    unit_moved = existing is None or unit is None or unit_code_of.get(existing.unit_id) != unit.code
    if unit is not None and not unit.active and unit_moved:
        plan.errors.append(
            RowError(person.where, "orgidnumber", f"Org unit {unit.code!r} is inactive.")
        )
    position = now.positions.get(person.position_code or "")
    position_moved = (
        existing is None
        or position is None
        or position_code_of.get(existing.position_id or -1) != position.code
    )
    if position is not None and not position.active and position_moved:
        plan.errors.append(
            RowError(person.where, "posidnumber", f"Position {position.code!r} is inactive.")
        )


def _plan_people(
    batch: ImportBatch,
    now: Snapshot,
    plan: ImportPlan,
    *,
    units: set[str],
    positions: set[str],
    sync: bool,
) -> None:
    if batch.people is None:
        return
    people = batch.people
    _duplicates(((p.code, p.where) for p in people), "Person", plan.errors)
    codes = set(now.people) | {p.code for p in people}
    unit_code_of = {state.id: state.code for state in now.units.values()}
    position_code_of = {state.id: state.code for state in now.positions.values()}
    person_code_of = {state.id: state.code for state in now.people.values()}
    managers: dict[str, str | None] = {
        state.code: person_code_of.get(state.manager_id) if state.manager_id else None
        for state in now.people.values()
    }
    for person in people:
        _person_problems(person, plan, units=units, positions=positions)
        for column, code in (
            ("manageridnumber", person.manager_code),
            ("appraiseridnumber", person.appraiser_code),
        ):
            if code is not None and code not in codes:
                plan.errors.append(RowError(person.where, column, f"Unknown person {code!r}."))
        existing = now.people.get(person.code)
        if person.unit_code is None and existing is None:
            plan.errors.append(
                RowError(person.where, "orgidnumber", "A new person needs an org unit.")
            )
        _inactive_placements(person, existing, now, plan, unit_code_of, position_code_of)
        managers[person.code] = person.manager_code
    _unique_people_fields(people, now, plan)
    for code in _manager_loops(managers, people):
        where = next(p.where for p in people if p.code == code)
        plan.errors.append(
            RowError(where, "manageridnumber", "That manager would make a reporting loop.")
        )
    unchanged = 0
    for person in people:
        existing = now.people.get(person.code)
        values: dict[str, object] = {
            "full_name": person.full_name,
            "email": person.email,
            "username": person.username,
            "unit_code": person.unit_code,
            "position_code": person.position_code,
            "manager_code": person.manager_code,
            "appraiser_code": person.appraiser_code,
            "active": person.active,
            "hire_date": person.hire_date,
        }
        if existing is None:
            plan.creates.append(Change("person", person.code, values))
            continue
        before: dict[str, object] = {
            "full_name": existing.full_name,
            "email": existing.email,
            "username": existing.username,
            "unit_code": unit_code_of.get(existing.unit_id),
            "position_code": position_code_of.get(existing.position_id or -1),
            "manager_code": person_code_of.get(existing.manager_id or -1),
            "appraiser_code": person_code_of.get(existing.appraiser_id or -1),
            "active": existing.active,
            "hire_date": existing.hire_date,
        }
        # A column the file leaves empty keeps what Stride holds for it,
        # except the manager and appraiser, which the file may clear.
        for keep in ("username", "unit_code", "position_code", "hire_date"):
            if values[keep] is None:
                values[keep] = before[keep]
        fields = [
            (name, before[name], values[name]) for name in values if before[name] != values[name]
        ]
        if fields:
            plan.updates.append(Change("person", person.code, values, fields, existing.id))
        else:
            unchanged += 1
    plan.unchanged["person"] = unchanged
    if sync:
        in_file = {p.code for p in people}
        for state in now.people.values():
            if state.active and state.code not in in_file:
                plan.deactivations.append(
                    Change(
                        "person",
                        state.code,
                        {"active": False},
                        [("active", True, False)],
                        state.id,
                    )
                )


def plan_import(batch: ImportBatch, now: Snapshot, *, sync: bool = False) -> ImportPlan:
    """Everything the import would do, or every reason it can't; nothing is
    written here. `sync` deactivates active people missing from the file."""
    plan = ImportPlan(warnings=list(batch.warnings))
    parent_of = _plan_units(batch, now, plan)
    positions = _plan_positions(batch, now, plan)
    _plan_people(batch, now, plan, units=set(parent_of), positions=positions, sync=sync)
    return plan
