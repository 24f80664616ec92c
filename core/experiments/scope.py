"""Who an experiment covers, what overlaps, and the check-ins switch: the
reads that commands and queries share."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from core.errors import NotFound, ValidationError
from core.experiments.rules import Arm
from core.modules.queries import modules_by_unit
from core.modules.rules import MODULE_LABELS, Module
from core.org import descendant_ids, unit_parents
from db.models import (
    Experiment,
    ExperimentDesign,
    ExperimentMember,
    ExperimentStatus,
    OrgUnit,
    Person,
)


def load_experiment(session: Session, experiment_id: int) -> Experiment:
    experiment = session.get(Experiment, experiment_id)
    if experiment is None:
        raise NotFound("There is no such experiment.")
    return experiment


def expanded_units(session: Session, unit_ids: Iterable[int]) -> set[int]:
    """The units and every unit below them."""
    parents = unit_parents(session)
    found: set[int] = set()
    for unit_id in unit_ids:
        found |= {unit_id} | descendant_ids(parents, unit_id)
    return found


def refuse_checkins_off(session: Session, unit_ids: set[int]) -> None:
    """An experiment on check-in cadences needs check-ins on in every unit it covers."""
    on = modules_by_unit(session)
    off = sorted(unit_id for unit_id in unit_ids if Module.checkins.value not in on(unit_id))
    if not off:
        return
    names = dict(
        session.exec(select(OrgUnit.id, OrgUnit.name).where(col(OrgUnit.id).in_(off))).all()
    )
    listed = ", ".join(names.get(unit_id, str(unit_id)) for unit_id in off[:3])
    more = f" and {len(off) - 3} more" if len(off) > 3 else ""
    raise ValidationError(
        f"{MODULE_LABELS[Module.checkins]} are not switched on in {listed}{more}. An experiment "
        "on check-in cadences needs them on in every unit it covers (see Modules)."
    )


def unit_people(session: Session, unit_ids: set[int]) -> dict[int, int]:
    """Person → unit for the active people with a manager (the pairs) in the units."""
    if not unit_ids:
        return {}
    return {
        person_id: unit_id
        for person_id, unit_id in session.exec(
            select(Person.id, Person.org_unit_id).where(
                col(Person.org_unit_id).in_(sorted(unit_ids)),
                col(Person.active).is_(True),
                col(Person.manager_id).is_not(None),
            )
        ).all()
        if person_id is not None
    }


def experiment_people(session: Session, experiment: Experiment) -> dict[int, Arm]:
    """Person → arm of a started experiment: the pairs it assigned, or the
    pairs of its units as they stand now."""
    members = session.exec(
        select(ExperimentMember).where(ExperimentMember.experiment_id == experiment.id)
    ).all()
    if experiment.design == ExperimentDesign.pairs:
        return {m.employee_id: Arm(m.arm) for m in members if m.employee_id is not None}
    arm_of_unit = {m.unit_id: Arm(m.arm) for m in members if m.unit_id is not None}
    if experiment.status == ExperimentStatus.draft:
        # Not started: the units below the chosen ones are not listed yet.
        parents = unit_parents(session)
        for member in members:
            if member.unit_id is not None:
                for below in descendant_ids(parents, member.unit_id):
                    arm_of_unit.setdefault(below, Arm(member.arm))
    people = unit_people(session, set(arm_of_unit))
    return {person_id: arm_of_unit[unit_id] for person_id, unit_id in people.items()}


def running_people(session: Session, *, exclude_id: int | None = None) -> set[int]:
    """Everyone in a running experiment (but `exclude_id`)."""
    found: set[int] = set()
    for experiment in session.exec(
        select(Experiment).where(Experiment.status == ExperimentStatus.running.value)
    ).all():
        if experiment.id != exclude_id:
            found |= set(experiment_people(session, experiment))
    return found
