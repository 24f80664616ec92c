"""Writes: module switches (all or nothing, stale edits refused) and rollout steps."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.access import Actor, can_manage_modules, require
from core.audit import record_event
from core.cells import strip_control
from core.errors import NotFound, StaleEdit, ValidationError
from core.grid import GridChanges
from core.modules.queries import ModuleGridRow
from core.modules.rules import MODULE_LABELS, Module, SwitchState
from core.versioning import check_version, flush_versioned
from db.models import ModuleSwitch, OrgUnit, RolloutStep, RolloutStepBase, RolloutStepKind, utcnow

STALE_SWITCHES = (
    "Someone changed the module switches since you opened this page; "
    "nothing was saved. Reload to see their change."
)
NOTE_MAX = 500


@dataclass(frozen=True)
class SwitchChange:
    """One cell of the switch grid: what it showed and what HR chose."""

    unit_id: int
    module: Module
    shown: SwitchState
    wanted: SwitchState


def _state_of(row: ModuleSwitch | None) -> SwitchState:
    if row is None:
        return SwitchState.inherit
    return SwitchState.on if row.enabled else SwitchState.off


def update_module_switches(session: Session, *, actor: Actor, changes: list[SwitchChange]) -> int:
    """Apply every change or none; a cell someone else changed since it was
    shown refuses the whole save. Returns how many switches changed."""
    require(
        can_manage_modules(actor),
        session=session,
        actor=actor,
        action="update",
        entity="module_switch",
    )
    # Every cell is checked before anything is written: one stale cell
    # refuses the save as a whole, whatever the caller does with the session.
    planned: list[tuple[SwitchChange, OrgUnit, ModuleSwitch | None]] = []
    for change in changes:
        if change.wanted == change.shown:
            continue
        unit = session.get(OrgUnit, change.unit_id)
        if unit is None:
            raise NotFound("That org unit no longer exists; reload the page.")
        row = session.exec(
            select(ModuleSwitch).where(
                ModuleSwitch.org_unit_id == change.unit_id,
                ModuleSwitch.module == change.module.value,
            )
        ).first()
        if _state_of(row) != change.shown:
            raise StaleEdit(STALE_SWITCHES)
        planned.append((change, unit, row))
    for change, unit, row in planned:
        if change.wanted == SwitchState.inherit:
            assert row is not None  # shown was on/off, so the row exists
            session.delete(row)
        elif row is None:
            session.add(
                ModuleSwitch(
                    org_unit_id=change.unit_id,
                    module=change.module.value,
                    enabled=change.wanted == SwitchState.on,
                    updated_by_id=actor.person_id,
                )
            )
        else:
            row.enabled = change.wanted == SwitchState.on
            row.updated_at = utcnow()
            row.updated_by_id = actor.person_id
            session.add(row)
        record_event(
            session,
            actor_id=actor.person_id,
            action="module_switch.changed",
            entity="org_unit",
            entity_id=change.unit_id,
            detail={
                "unit": unit.name,
                "module": MODULE_LABELS[change.module],
                "from": change.shown.value,
                "to": change.wanted.value,
            },
        )
    try:
        flush_versioned(session, STALE_SWITCHES)
    except IntegrityError as error:
        # Two saves both adding the first switch of a unit: the second lost.
        raise StaleEdit(STALE_SWITCHES) from error
    return len(planned)


def create_rollout_step(session: Session, *, actor: Actor, step_in: RolloutStepBase) -> RolloutStep:
    require(
        can_manage_modules(actor),
        session=session,
        actor=actor,
        action="create",
        entity="rollout_step",
    )
    if step_in.module not in {module.value for module in Module}:
        raise ValidationError("Choose one of the modules.")
    if step_in.kind not in {kind.value for kind in RolloutStepKind}:
        raise ValidationError("A step is a pilot or a widening.")
    if session.get(OrgUnit, step_in.org_unit_id) is None:
        raise NotFound("That org unit no longer exists; reload the page.")
    note = strip_control(step_in.note).strip()
    if len(note) > NOTE_MAX:
        raise ValidationError(f"Keep the note under {NOTE_MAX} characters.")
    step = RolloutStep(**{**step_in.model_dump(), "note": note})
    session.add(step)
    session.flush()
    record_event(
        session,
        actor_id=actor.person_id,
        action="rollout_step.created",
        entity="rollout_step",
        entity_id=step.id,
        detail={"module": step.module, "unit_id": step.org_unit_id, "starts_on": step.starts_on},
    )
    return step


def delete_rollout_step(session: Session, *, actor: Actor, step_id: int, version: int) -> None:
    require(
        can_manage_modules(actor),
        session=session,
        actor=actor,
        action="delete",
        entity="rollout_step",
    )
    step = session.get(RolloutStep, step_id)
    if step is None:
        raise NotFound("That rollout step no longer exists.")
    message = "Someone changed that rollout step since you opened the page; reload."
    check_version(step, version, message)
    session.delete(step)
    record_event(
        session,
        actor_id=actor.person_id,
        action="rollout_step.deleted",
        entity="rollout_step",
        entity_id=step_id,
        detail={"module": step.module, "starts_on": step.starts_on},
    )
    flush_versioned(session, message)


# --- the switch grid as the page shows it ---------------------------------------

SWITCH_CHOICES: dict[str, SwitchState] = {
    "as parent": SwitchState.inherit,
    "on": SwitchState.on,
    "off": SwitchState.off,
}
_CHOICE_OF = {state: label for label, state in SWITCH_CHOICES.items()}
_MODULE_OF_COLUMN = {label: module for module, label in MODULE_LABELS.items()}


def module_grid_frame(rows: list[ModuleGridRow]) -> pd.DataFrame:
    """One row per unit: its own choice per module and what is in effect."""
    return pd.DataFrame(
        [
            {
                "Unit": row.unit_name,
                "Kind": row.kind,
                "People": row.people,
                **{MODULE_LABELS[module]: _CHOICE_OF[row.own[module]] for module in Module},
                "In effect": " · ".join(
                    MODULE_LABELS[module] for module in Module if row.effective[module]
                )
                or "nothing",
            }
            for row in rows
        ],
        columns=["Unit", "Kind", "People", *MODULE_LABELS.values(), "In effect"],
    )


@dataclass(frozen=True)
class SwitchSaveResult:
    changed: int

    def summary(self) -> str:
        if self.changed == 0:
            return "Nothing changed."
        return f"Saved {self.changed} module switch{'' if self.changed == 1 else 'es'}."


def save_module_grid(
    session: Session, *, actor: Actor, rows: list[ModuleGridRow], changes: GridChanges
) -> SwitchSaveResult:
    """The grid's edits (rows by position in `rows`, the grid as it was shown)
    as switch changes; rows cannot be added or removed here."""
    if changes.added_rows or changes.deleted_rows:
        raise ValidationError("Units are added and removed on the Organisation page, not here.")
    wanted: list[SwitchChange] = []
    for position, edits in sorted(changes.edited_rows.items()):
        if not 0 <= position < len(rows):
            raise StaleEdit(STALE_SWITCHES)
        row = rows[position]
        for column, value in edits.items():
            module = _MODULE_OF_COLUMN.get(column)
            if module is None:
                continue  # a read-only column
            if value not in SWITCH_CHOICES:
                raise ValidationError(
                    f"{row.unit_name.strip()} × {column}: choose as parent, on or off."
                )
            wanted.append(
                SwitchChange(
                    unit_id=row.unit_id,
                    module=module,
                    shown=row.own[module],
                    wanted=SWITCH_CHOICES[value],
                )
            )
    return SwitchSaveResult(update_module_switches(session, actor=actor, changes=wanted))
