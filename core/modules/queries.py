"""Reads: which modules a person has, the switch grid and the rollout plan."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from core.access import Actor, can_manage_modules, require
from core.modules.rules import (
    ALL_MODULES,
    MODULE_LABELS,
    Module,
    SwitchState,
    effective_switch,
    modules_on,
)
from core.org import list_units, unit_parents
from db.models import ModuleSwitch, OrgUnit, Person, RolloutStep, RolloutStepRead


def _switches(session: Session) -> dict[tuple[int, Module], bool]:
    found: dict[tuple[int, Module], bool] = {}
    for unit_id, module, enabled in session.exec(
        select(ModuleSwitch.org_unit_id, ModuleSwitch.module, ModuleSwitch.enabled)
    ).all():
        if module in Module.__members__.values():
            found[(unit_id, Module(module))] = enabled
    return found


def modules_by_unit(session: Session) -> Callable[[int | None], frozenset[str]]:
    """The practices on for any unit, read once for a whole report."""
    switches = _switches(session)
    if not switches:
        return lambda _unit_id: ALL_MODULES
    parents = unit_parents(session)
    return lambda unit_id: modules_on(unit_id=unit_id, parents=parents, switches=switches)


def modules_for_unit(session: Session, *, unit_id: int | None) -> frozenset[str]:
    return modules_by_unit(session)(unit_id)


def modules_for_person(session: Session, *, person_id: int) -> frozenset[str]:
    """The practices switched on for the person's unit."""
    unit_id = session.exec(select(Person.org_unit_id).where(Person.id == person_id)).first()
    return modules_for_unit(session, unit_id=unit_id)


def require_module(
    session: Session,
    *,
    actor: Actor,
    module: Module,
    person_id: int | None = None,
    unit_id: int | None = None,
) -> None:
    """Refuse (and log) an action of `module` about a person, or a unit's
    goals, where the unit has the module switched off."""
    entity_id: int | None
    if person_id is not None:
        allowed = module.value in modules_for_person(session, person_id=person_id)
        entity, entity_id, whose = "person", person_id, "this person's unit"
    else:
        allowed = module.value in modules_for_unit(session, unit_id=unit_id)
        entity, entity_id, whose = "org_unit", unit_id, "this unit"
    require(
        allowed,
        session=session,
        actor=actor,
        action=f"use {module.value}",
        entity=entity,
        entity_id=entity_id,
        message=f"{MODULE_LABELS[module]} is not switched on for {whose}.",
    )


@dataclass(frozen=True)
class ModuleGridRow:
    unit_id: int
    unit_name: str  # indented by depth, parents before children
    kind: str
    people: int
    own: dict[Module, SwitchState]
    effective: dict[Module, bool]


def get_module_grid(session: Session, *, actor: Actor) -> list[ModuleGridRow]:
    """Every unit with its own switch per module and what it comes to."""
    require(
        can_manage_modules(actor),
        session=session,
        actor=actor,
        action="read",
        entity="module_switch",
    )
    switches = _switches(session)
    parents = unit_parents(session)
    kinds = dict(session.exec(select(OrgUnit.id, OrgUnit.kind)).all())
    people = dict(
        session.exec(
            select(Person.org_unit_id, func.count())
            .where(col(Person.active))
            .group_by(col(Person.org_unit_id))
        ).all()
    )
    rows = []
    for unit_id, name in list_units(session):
        own = {
            module: (
                SwitchState.inherit
                if (unit_id, module) not in switches
                else SwitchState.on
                if switches[(unit_id, module)]
                else SwitchState.off
            )
            for module in Module
        }
        effective = {
            module: effective_switch(
                unit_id=unit_id, module=module, parents=parents, switches=switches
            )
            for module in Module
        }
        rows.append(
            ModuleGridRow(
                unit_id=unit_id,
                unit_name=name,
                kind=str(kinds.get(unit_id, "")),
                people=int(people.get(unit_id, 0)),
                own=own,
                effective=effective,
            )
        )
    return rows


def list_rollout_plan(session: Session, *, actor: Actor) -> list[RolloutStepRead]:
    require(
        can_manage_modules(actor),
        session=session,
        actor=actor,
        action="read",
        entity="rollout_step",
    )
    rows = session.exec(
        select(RolloutStep, OrgUnit.name)
        .join(OrgUnit, col(OrgUnit.id) == RolloutStep.org_unit_id)
        .order_by(col(RolloutStep.starts_on), col(RolloutStep.id))
    ).all()
    return [
        RolloutStepRead.model_validate({**step.model_dump(), "unit_name": unit_name})
        for step, unit_name in rows
    ]
