"""HR's organisation grids: org units (a tree), job families and positions.

The same rules as the other grids (core.grid): an edit lands on the rows as
they are now, every row is checked before anything is written (row-level
errors), a row someone else changed since the grid was shown is refused
(`StaleEdit`, via Versioned), the save is one transaction, and it is audited.
What has people or history is deactivated, not deleted (rules.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.access import Actor, can_edit_organisation, require
from core.assessments.summary import tracking_unit_moves
from core.audit import record_event
from core.errors import RowError, ValidationError
from core.grid import (
    GridChanges,
    GridSaveResult,
    RowPlan,
    is_blank,
    loader,
    plan_rows,
    refuse,
    stale_refusal,
    text_or_none,
    touched_names,
)
from core.imports import column_limit, length_problem
from core.org import list_units, unit_chain
from core.organisation import rules
from core.versioning import refuse_if_stale, touch
from db.models import Goal, JobFamily, OrgUnit, Person, Position, RoleRequirement

UNIT_COLUMNS = ["id", "code", "name", "kind", "parent", "active", "people", "version"]
FAMILY_COLUMNS = ["id", "name", "positions", "version"]
POSITION_COLUMNS = ["id", "code", "title", "family", "grade", "active", "people", "version"]

CODE_MAX = column_limit(OrgUnit, "code")
UNIT_NAME_MAX = column_limit(OrgUnit, "name")
FAMILY_NAME_MAX = column_limit(JobFamily, "name")
POSITION_CODE_MAX = column_limit(Position, "code")
TITLE_MAX = column_limit(Position, "title")

IN_USE = "Something else still refers to a removed row; nothing was saved. Deactivate it instead."


@dataclass(frozen=True)
class OrgGrid:
    """A grid's rows as shown, and the choices its select columns offer."""

    frame: pd.DataFrame
    options: dict[str, list[str]] = field(default_factory=dict)


def _require(session: Session, actor: Actor, action: str, entity: str) -> None:
    require(
        can_edit_organisation(actor),
        session=session,
        actor=actor,
        action=action,
        entity=entity,
        message="Only HR admins edit the organisation.",
    )


def _counts(session: Session, column: Any) -> dict[int, int]:
    rows = session.exec(select(column, func.count()).group_by(column)).all()
    return {key: n for key, n in rows if key is not None}


def _flag(value: Any, default: bool = True) -> bool:
    return default if is_blank(value) else bool(value)


def _text(
    errors: list[RowError], plan: RowPlan, column: str, limit: int, *, label: str | None = None
) -> str | None:
    """A required text cell, trimmed; a problem goes to `errors`."""
    value = text_or_none(plan.values.get(column))
    if value is None:
        errors.append(RowError(plan.label, label or column, "Required."))
        return None
    problem = length_problem(value, limit)
    if problem:
        errors.append(RowError(plan.label, label or column, problem))
    return value


def _unique(
    errors: list[RowError],
    plans: list[RowPlan],
    values: dict[int, str | None],
    stored: dict[int, str],
    column: str,
    *,
    normalise: Callable[[str], str] = lambda v: v,
) -> None:
    """`values` (plan index → value) unique within the edit and against the
    stored rows the edit leaves alone (`stored`: row id → value)."""
    touched = {p.row.id for p in plans if p.row is not None}
    taken = {normalise(v) for i, v in stored.items() if i not in touched}
    seen: dict[str, str] = {}
    for index, value in values.items():
        if value is None:
            continue
        key, plan = normalise(value), plans[index]
        if key in seen:
            errors.append(RowError(plan.label, column, f"Also used on row {seen[key]}."))
        elif key in taken:
            errors.append(RowError(plan.label, column, f"{value!r} is already taken."))
        seen.setdefault(key, plan.label)


def _delete_rows(session: Session, rows: Iterable[Any]) -> None:
    for row in rows:
        session.delete(row)
        session.flush()


@contextmanager
def _in_use_refused() -> Iterator[None]:
    """A reference the checks did not know about (another feature's table
    pointing at a removed row) refuses the whole save, which the unit of
    work then rolls back, instead of failing it."""
    try:
        yield
    except IntegrityError as error:
        raise ValidationError(IN_USE) from error


def _audit(
    session: Session, actor: Actor, action: str, entity: str, plans: list[RowPlan], names: list[str]
) -> GridSaveResult:
    result = GridSaveResult.of(plans)
    record_event(
        session,
        actor_id=actor.person_id,
        action=action,
        entity=entity,
        detail={
            "rows": names,
            "created": result.created,
            "updated": result.updated,
            "deleted": result.removed,
        },
    )
    return result


# --- org units ------------------------------------------------------------------


def get_units_grid(session: Session, *, actor: Actor) -> OrgGrid:
    """Every unit, parents before children, with how many people it holds."""
    _require(session, actor, "list", "org_unit")
    units = {u.id: u for u in session.exec(select(OrgUnit)).all()}
    people = _counts(session, col(Person.org_unit_id))
    ordered = [unit_id for unit_id, _ in list_units(session)]
    ordered += sorted(set(units) - set(ordered), key=lambda i: units[i].code)  # type: ignore[arg-type]
    records = []
    for unit_id in ordered:
        unit = units[unit_id]
        parent = units.get(unit.parent_id) if unit.parent_id else None
        records.append(
            {
                "id": unit.id,
                "code": unit.code,
                "name": unit.name,
                "kind": unit.kind,
                "parent": parent.code if parent else None,
                "active": unit.active,
                "people": people.get(unit_id, 0),
                "version": unit.version,
            }
        )
    return OrgGrid(
        frame=pd.DataFrame(records, columns=UNIT_COLUMNS),
        options={
            "kind": list(rules.UNIT_KINDS),
            "parent": sorted(u.code for u in units.values()),
        },
    )


def save_units_grid(
    session: Session, *, actor: Actor, shown: pd.DataFrame, changes: GridChanges
) -> GridSaveResult:
    """Add, edit, move, (de)activate and delete units in one transaction, or
    nothing. Refused: a unit under itself or one of its sub-units, an active
    unit under an inactive one, and deleting a unit with people, sub-units or
    goals (deactivate it instead)."""
    _require(session, actor, "edit", "org_unit")
    units = {u.id: u for u in session.exec(select(OrgUnit)).all() if u.id is not None}
    code_of = {i: u.code for i, u in units.items()}
    plans = plan_rows(
        shown=shown,
        changes=changes,
        load=loader(session, OrgUnit),
        label_column="name",
        current_values=lambda unit, _shown: {
            "code": unit.code,
            "name": unit.name,
            "kind": unit.kind,
            "parent": code_of.get(unit.parent_id),
            "active": unit.active,
        },
    )
    # Each planned unit by id; added ones get provisional negative ids.
    ids = [p.row.id if p.row is not None else -n for n, p in enumerate(plans, start=1)]
    deleted = {ids[n] for n, p in enumerate(plans) if p.delete}
    kept = [n for n, p in enumerate(plans) if not p.delete]
    errors: list[RowError] = []
    codes: dict[int, str | None] = {}
    for n in kept:
        plan = plans[n]
        codes[n] = _text(errors, plan, "code", CODE_MAX)
        _text(errors, plan, "name", UNIT_NAME_MAX)
        if plan.values.get("kind") not in rules.UNIT_KINDS:
            errors.append(RowError(plan.label, "kind", "One of " + ", ".join(rules.UNIT_KINDS)))
    _unique(errors, plans, codes, code_of, "code")

    # The tree after the save: stored units the edit leaves, then the plans.
    final_ids = {c: i for i, c in code_of.items() if i not in set(ids)}
    final_ids.update({c: ids[n] for n, c in codes.items() if c is not None})
    parents = {i: u.parent_id for i, u in units.items() if i not in deleted}
    active = {i: u.active for i, u in units.items() if i not in deleted}
    for n in kept:
        plan, unit_id = plans[n], ids[n]
        parent_code = text_or_none(plan.values.get("parent"))
        parent_id = None if parent_code is None else final_ids.get(parent_code)
        if parent_code is not None and (parent_id is None or parent_id in deleted):
            errors.append(RowError(plan.label, "parent", f"Unknown unit {parent_code!r}."))
            parent_id = None
        parents[unit_id] = parent_id
        active[unit_id] = _flag(plan.values.get("active"))
        plan.values["parent_id"] = parent_id
    for n in kept:
        plan, unit_id = plans[n], ids[n]
        if rules.moves_under_itself(parents, unit_id):
            errors.append(RowError(plan.label, "parent", rules.UNDER_ITSELF))
        elif rules.under_inactive(parents, active, unit_id):
            errors.append(RowError(plan.label, "active", rules.UNDER_INACTIVE))
        if children := rules.active_children(parents, active, unit_id):
            names = ", ".join(_unit_code(units, plans, ids, c) for c in children)
            errors.append(
                RowError(plan.label, "active", f"Deactivate its active sub-units first: {names}.")
            )
    people = _counts(session, col(Person.org_unit_id))
    goals = _counts(session, col(Goal.org_unit_id))
    for n, plan in enumerate(plans):
        if not plan.delete:
            continue
        sub_units = sum(1 for p in parents.values() if p == ids[n])
        refusal = rules.unit_deletion_refusal(
            people=people.get(ids[n], 0), sub_units=sub_units, goals=goals.get(ids[n], 0)
        )
        if refusal:
            errors.append(RowError(plan.label, "code", refusal))
    refuse(errors)

    def write(n: int, unit: OrgUnit) -> None:
        values = plans[n].values
        unit.code = str(codes[n])
        unit.name = str(text_or_none(values.get("name")))
        unit.kind = str(values["kind"])
        parent_id = values["parent_id"]
        unit.parent_id = new_ids.get(parent_id, parent_id) if parent_id is not None else None
        unit.active = active[ids[n]]
        if plans[n].row is not None:
            touch(unit)
        session.add(unit)

    new_ids: dict[int, int] = {}
    with (
        tracking_unit_moves(session),
        _in_use_refused(),
        refuse_if_stale(stale_refusal(touched_names(plans))),
        session.no_autoflush,
    ):
        # Sub-units before their parents, so nothing is left pointing at a gone row.
        depth = {
            i: len(unit_chain(parents | {j: units[j].parent_id for j in deleted}, i))
            for i in deleted
        }
        _delete_rows(session, [units[i] for i in sorted(deleted, key=lambda i: -depth[i])])
        edited = [n for n in kept if plans[n].row is not None]
        waiting = [n for n in edited if (plans[n].values["parent_id"] or 0) < 0]
        for n in edited:
            if n not in waiting:
                write(n, units[ids[n]])
        session.flush()
        # Added units, parents first (loops were refused above).
        added = sorted(
            (n for n in kept if plans[n].row is None),
            key=lambda n: len(unit_chain(parents, ids[n])),
        )
        for n in added:
            unit = OrgUnit(code="", name="")
            write(n, unit)
            session.flush()
            assert unit.id is not None
            new_ids[ids[n]] = unit.id
        for n in waiting:
            write(n, units[ids[n]])
        session.flush()
    return _audit(
        session, actor, "org_units.saved", "org_unit", plans, [str(c) for c in codes.values()]
    )


def _unit_code(
    units: dict[int, OrgUnit], plans: list[RowPlan], ids: list[int], unit_id: int
) -> str:
    if unit_id in units:
        return units[unit_id].code
    return str(plans[ids.index(unit_id)].values.get("code"))


# --- job families ----------------------------------------------------------------


def get_families_grid(session: Session, *, actor: Actor) -> OrgGrid:
    _require(session, actor, "list", "job_family")
    positions = _counts(session, col(Position.job_family_id))
    families = session.exec(select(JobFamily).order_by(col(JobFamily.name))).all()
    records = [
        {
            "id": f.id,
            "name": f.name,
            "positions": positions.get(f.id, 0),  # type: ignore[arg-type]
            "version": f.version,
        }
        for f in families
    ]
    return OrgGrid(frame=pd.DataFrame(records, columns=FAMILY_COLUMNS))


def save_families_grid(
    session: Session, *, actor: Actor, shown: pd.DataFrame, changes: GridChanges
) -> GridSaveResult:
    """Job families added, renamed or deleted (only without positions)."""
    _require(session, actor, "edit", "job_family")
    stored = {f.id: f.name for f in session.exec(select(JobFamily)).all() if f.id is not None}
    plans = plan_rows(
        shown=shown,
        changes=changes,
        load=loader(session, JobFamily),
        label_column="name",
        current_values=lambda family, _shown: {"name": family.name},
    )
    errors: list[RowError] = []
    names: dict[int, str | None] = {
        n: _text(errors, p, "name", FAMILY_NAME_MAX) for n, p in enumerate(plans) if not p.delete
    }
    _unique(errors, plans, names, stored, "name", normalise=str.casefold)
    positions = _counts(session, col(Position.job_family_id))
    for plan in plans:
        if plan.delete and plan.row is not None:
            refusal = rules.family_deletion_refusal(positions=positions.get(plan.row.id, 0))
            if refusal:
                errors.append(RowError(plan.label, "name", refusal))
    refuse(errors)
    with (
        _in_use_refused(),
        refuse_if_stale(stale_refusal(touched_names(plans))),
        session.no_autoflush,
    ):
        _delete_rows(session, [p.row for p in plans if p.delete])
        for n, plan in enumerate(plans):
            if plan.delete:
                continue
            family = plan.row or JobFamily(name="")
            family.name = str(names[n])
            if plan.row is not None:
                touch(family)
            session.add(family)
        session.flush()
    return _audit(
        session, actor, "job_families.saved", "job_family", plans, [str(v) for v in names.values()]
    )


# --- positions -------------------------------------------------------------------


def get_positions_grid(session: Session, *, actor: Actor) -> OrgGrid:
    _require(session, actor, "list", "position")
    families = {f.id: f.name for f in session.exec(select(JobFamily)).all()}
    people = _counts(session, col(Person.position_id))
    positions = session.exec(select(Position).order_by(col(Position.code))).all()
    records = [
        {
            "id": p.id,
            "code": p.code,
            "title": p.title,
            "family": families.get(p.job_family_id),
            "grade": p.grade,
            "active": p.active,
            "people": people.get(p.id, 0),  # type: ignore[arg-type]
            "version": p.version,
        }
        for p in positions
    ]
    return OrgGrid(
        frame=pd.DataFrame(records, columns=POSITION_COLUMNS),
        options={"family": sorted(families.values(), key=str.casefold)},
    )


def save_positions_grid(
    session: Session, *, actor: Actor, shown: pd.DataFrame, changes: GridChanges
) -> GridSaveResult:
    """Positions added, edited, (de)activated or deleted (only when nobody
    holds them and no role map names them)."""
    _require(session, actor, "edit", "position")
    families = {f.name: f.id for f in session.exec(select(JobFamily)).all() if f.id is not None}
    family_of = {i: n for n, i in families.items()}
    stored = {p.id: p.code for p in session.exec(select(Position)).all() if p.id is not None}
    plans = plan_rows(
        shown=shown,
        changes=changes,
        load=loader(session, Position),
        label_column="title",
        current_values=lambda position, _shown: {
            "code": position.code,
            "title": position.title,
            "family": family_of.get(position.job_family_id),
            "grade": position.grade,
            "active": position.active,
        },
    )
    errors: list[RowError] = []
    codes: dict[int, str | None] = {}
    grades: dict[int, int] = {}
    for n, plan in enumerate(plans):
        if plan.delete:
            continue
        codes[n] = _text(errors, plan, "code", POSITION_CODE_MAX)
        _text(errors, plan, "title", TITLE_MAX)
        family = text_or_none(plan.values.get("family"))
        if family is None:
            errors.append(RowError(plan.label, "family", "Required."))
        elif family not in families:
            errors.append(RowError(plan.label, "family", f"Unknown job family {family!r}."))
        grade = _grade(plan.values.get("grade"))
        if grade is None:
            errors.append(
                RowError(
                    plan.label,
                    "grade",
                    f"A whole number from {rules.GRADE_MIN} to {rules.GRADE_MAX}.",
                )
            )
        else:
            grades[n] = grade
    _unique(errors, plans, codes, stored, "code")
    people = _counts(session, col(Person.position_id))
    requirements = _counts(session, col(RoleRequirement.position_id))
    for plan in plans:
        if plan.delete and plan.row is not None:
            refusal = rules.position_deletion_refusal(
                people=people.get(plan.row.id, 0), requirements=requirements.get(plan.row.id, 0)
            )
            if refusal:
                errors.append(RowError(plan.label, "code", refusal))
    refuse(errors)
    with (
        _in_use_refused(),
        refuse_if_stale(stale_refusal(touched_names(plans))),
        session.no_autoflush,
    ):
        _delete_rows(session, [p.row for p in plans if p.delete])
        for n, plan in enumerate(plans):
            if plan.delete:
                continue
            position = plan.row or Position(code="", title="", job_family_id=0)
            position.code = str(codes[n])
            position.title = str(text_or_none(plan.values.get("title")))
            position.job_family_id = families[str(text_or_none(plan.values.get("family")))]
            position.grade = grades[n]
            position.active = _flag(plan.values.get("active"))
            if plan.row is not None:
                touch(position)
            session.add(position)
        session.flush()
    return _audit(
        session, actor, "positions.saved", "position", plans, [str(c) for c in codes.values()]
    )


def _grade(value: Any) -> int | None:
    if is_blank(value):
        return rules.GRADE_MIN
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not number.is_integer() or not rules.GRADE_MIN <= number <= rules.GRADE_MAX:
        return None
    return int(number)
