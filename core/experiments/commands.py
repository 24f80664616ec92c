"""Writes: set up, start, finish and apply cadence experiments (HR only),
each checked in core.access, validated and audited.

Stride sets the cadences itself. Starting the units design sets every unit
of an arm (and every unit below it: a unit's default covers only the people
sitting in it) to the arm's cadence, and clears the own cadence of any pair
in those units, so the arm's cadence really applies; the pairs design gives
each pair of the unit its arm's cadence as its own. What each had before is
kept on the member rows; finishing restores it. Applying the winner makes
the winning cadence the default of the experiment's units.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, col, select

from core.access import Actor, can_run_experiments, require
from core.audit import record_event
from core.checkins.rules import CADENCE_LABELS
from core.checkins.scope import today_utc
from core.errors import NotFound, ValidationError
from core.experiments import rules
from core.experiments.scope import (
    expanded_units,
    load_experiment,
    refuse_checkins_off,
    running_people,
    unit_people,
)
from core.org import descendant_ids, unit_chain, unit_parents
from core.versioning import check_version, flush_versioned, touch
from db.models import (
    CheckInPair,
    CheckInUnitCadence,
    Experiment,
    ExperimentCreate,
    ExperimentDesign,
    ExperimentMember,
    ExperimentStatus,
    OrgUnit,
    utcnow,
)

NAME_MAX = 120
HYPOTHESIS_MAX = 4_000
LONGEST_PERIOD = timedelta(days=366)
SHORTEST_PERIOD = timedelta(days=13)  # two weeks, both ends counted
SEED_MAX = 2**31 - 1
STALE = (
    "Someone else changed this experiment after you opened it. Nothing was changed; "
    "reload to see where it stands."
)


def require_experiments(session: Session, actor: Actor, action: str, entity_id: object) -> None:
    require(
        can_run_experiments(actor),
        session=session,
        actor=actor,
        action=action,
        entity="experiment",
        entity_id=entity_id,
        message="Cadence experiments are for HR.",
    )


def _audit(
    session: Session, actor: Actor, action: str, experiment: Experiment, **detail: object
) -> None:
    record_event(
        session,
        actor_id=actor.person_id,
        action=action,
        entity="experiment",
        entity_id=experiment.id,
        detail={"name": experiment.name, **detail},
    )


def _validate(session: Session, experiment_in: ExperimentCreate) -> None:
    name = experiment_in.name.strip()
    if not name:
        raise ValidationError("The experiment needs a name.")
    if len(name) > NAME_MAX:
        raise ValidationError(f"The name is longer than {NAME_MAX} characters.")
    if len(experiment_in.hypothesis) > HYPOTHESIS_MAX:
        raise ValidationError(f"The hypothesis is longer than {HYPOTHESIS_MAX:,} characters.")
    if experiment_in.design not in ExperimentDesign.__members__.values():
        raise ValidationError(f"Unknown design {experiment_in.design!r}.")
    for variant in (experiment_in.variant_a, experiment_in.variant_b):
        if variant not in CADENCE_LABELS:
            raise ValidationError(f"Unknown cadence {variant!r}.")
    if experiment_in.variant_a == experiment_in.variant_b:
        raise ValidationError("The two variants are the same cadence: there is nothing to compare.")
    if experiment_in.primary_outcome not in rules.Outcome.__members__.values():
        raise ValidationError(f"Unknown outcome {experiment_in.primary_outcome!r}.")
    if experiment_in.ends_on - experiment_in.starts_on < SHORTEST_PERIOD:
        raise ValidationError("The period must be at least two weeks long.")
    if experiment_in.ends_on - experiment_in.starts_on > LONGEST_PERIOD:
        raise ValidationError("The period can be a year at most.")
    if not 0 <= experiment_in.seed <= SEED_MAX:
        raise ValidationError(f"The seed is a whole number from 0 to {SEED_MAX:,}.")
    known = {unit_id for unit_id in session.exec(select(OrgUnit.id)).all() if unit_id is not None}
    if experiment_in.design == ExperimentDesign.pairs:
        if experiment_in.unit_id is None or experiment_in.unit_id not in known:
            raise ValidationError("Choose the unit whose pairs take part.")
        return
    if not experiment_in.units_a or not experiment_in.units_b:
        raise ValidationError("Each arm needs at least one unit.")
    chosen = [*experiment_in.units_a, *experiment_in.units_b]
    if any(unit_id not in known for unit_id in chosen):
        raise NotFound("One of the chosen units does not exist.")
    if len(set(chosen)) < len(chosen):
        raise ValidationError("A unit can be in one arm only, once.")
    parents = unit_parents(session)
    for unit_id in chosen:
        above = set(unit_chain(parents, unit_id)[1:])
        if above & set(chosen):
            raise ValidationError(
                "A unit and a unit below it cannot both be chosen: the one above "
                "already covers the one below."
            )


def create_experiment(
    session: Session, *, actor: Actor, experiment_in: ExperimentCreate
) -> Experiment:
    """A draft experiment; nothing changes for anyone until it starts."""
    require_experiments(session, actor, "create", None)
    _validate(session, experiment_in)
    pairs = experiment_in.design == ExperimentDesign.pairs
    units = (
        [experiment_in.unit_id or 0] if pairs else [*experiment_in.units_a, *experiment_in.units_b]
    )
    refuse_checkins_off(session, expanded_units(session, units))
    experiment = Experiment(
        **experiment_in.model_dump(exclude={"units_a", "units_b", "unit_id", "name"}),
        name=experiment_in.name.strip(),
        unit_id=experiment_in.unit_id if pairs else None,
        created_by_id=actor.person_id,
    )
    session.add(experiment)
    session.flush()
    assert experiment.id is not None
    if not pairs:
        for arm, chosen in (
            (rules.Arm.a, experiment_in.units_a),
            (rules.Arm.b, experiment_in.units_b),
        ):
            for unit_id in chosen:
                session.add(
                    ExperimentMember(
                        experiment_id=experiment.id, arm=arm.value, unit_id=unit_id, chosen=True
                    )
                )
    _audit(session, actor, "experiment.created", experiment, design=experiment.design)
    session.flush()
    return experiment


def _open(
    session: Session, actor: Actor, experiment_id: int, version: int, action: str, status: str
) -> Experiment:
    require_experiments(session, actor, action, experiment_id)
    experiment = load_experiment(session, experiment_id)
    check_version(experiment, version, STALE)
    if experiment.status != status:
        raise ValidationError(
            f"This experiment is {experiment.status}; it can be {action} only when {status}."
        )
    return experiment


def _claim(session: Session, experiment: Experiment, status: ExperimentStatus) -> None:
    """Move the experiment on first, before any cadence is written: of two
    concurrent actions on one version, the second waits on this row and is
    refused as stale, so it never writes a cadence the first one wrote too."""
    experiment.status = status.value
    stamp = utcnow()
    if status == ExperimentStatus.running:
        experiment.started_at = stamp
    elif status == ExperimentStatus.finished:
        experiment.finished_at = stamp
    else:
        experiment.applied_at = stamp
    session.add(experiment)
    flush_versioned(session, STALE)


def _unit_cadence_row(session: Session, unit_id: int) -> CheckInUnitCadence | None:
    return session.exec(
        select(CheckInUnitCadence).where(CheckInUnitCadence.org_unit_id == unit_id)
    ).first()


def _set_unit_cadence(session: Session, unit_id: int, every: str | None) -> None:
    row = _unit_cadence_row(session, unit_id)
    if every is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(CheckInUnitCadence(org_unit_id=unit_id, every=every))
    elif row.every != every:
        row.every = every
        session.add(row)


def _pair(session: Session, employee_id: int, today: date) -> CheckInPair:
    pair = session.exec(select(CheckInPair).where(CheckInPair.employee_id == employee_id)).first()
    if pair is None:
        pair = CheckInPair(employee_id=employee_id, starts_on=today)
        session.add(pair)
        session.flush()
    return pair


def start_experiment(
    session: Session,
    *,
    actor: Actor,
    experiment_id: int,
    version: int,
    today: date | None = None,
) -> Experiment:
    """Set the arms' cadences (see the module docstring) and mark it running."""
    experiment = _open(session, actor, experiment_id, version, "started", ExperimentStatus.draft)
    assert experiment.id is not None
    _claim(session, experiment, ExperimentStatus.running)
    today = today or today_utc()
    variant = {rules.Arm.a: experiment.variant_a, rules.Arm.b: experiment.variant_b}
    members = session.exec(
        select(ExperimentMember).where(ExperimentMember.experiment_id == experiment.id)
    ).all()
    parents = unit_parents(session)
    arm_units: dict[int, rules.Arm] = {}
    if experiment.design == ExperimentDesign.pairs:
        assert experiment.unit_id is not None
        units = {experiment.unit_id} | descendant_ids(parents, experiment.unit_id)
        refuse_checkins_off(session, units)
        people = rules.assign_pairs(unit_people(session, units), seed=experiment.seed)
    else:
        for member in members:
            if member.unit_id is not None and member.chosen:
                arm = rules.Arm(member.arm)
                arm_units[member.unit_id] = arm
                for below in descendant_ids(parents, member.unit_id):
                    arm_units[below] = arm
        refuse_checkins_off(session, set(arm_units))
        unit_of = unit_people(session, set(arm_units))
        people = {person_id: arm_units[unit_id] for person_id, unit_id in unit_of.items()}
    if not people:
        raise ValidationError("Nobody with a manager is in these units: there are no pairs.")
    taken = running_people(session, exclude_id=experiment.id) & set(people)
    if taken:
        raise ValidationError(
            f"{len(taken):,} of these people are already in a running experiment; "
            "finish it first (one experiment at a time per person)."
        )
    if experiment.design == ExperimentDesign.pairs:
        for employee_id, arm in sorted(people.items()):
            pair = _pair(session, employee_id, today)
            session.add(
                ExperimentMember(
                    experiment_id=experiment.id,
                    arm=arm.value,
                    employee_id=employee_id,
                    previous_every=pair.every,
                )
            )
            pair.every = variant[arm]
            touch(pair)
            session.add(pair)
    else:
        chosen = {m.unit_id for m in members if m.unit_id is not None}
        for unit_id, arm in sorted(arm_units.items()):
            row = _unit_cadence_row(session, unit_id)
            previous = row.every if row is not None else None
            if unit_id in chosen:
                for member in members:
                    if member.unit_id == unit_id:
                        member.previous_every = previous
                        session.add(member)
            else:
                session.add(
                    ExperimentMember(
                        experiment_id=experiment.id,
                        arm=arm.value,
                        unit_id=unit_id,
                        previous_every=previous,
                    )
                )
            _set_unit_cadence(session, unit_id, variant[arm])
        own = session.exec(
            select(CheckInPair).where(
                col(CheckInPair.employee_id).in_(list(people)), col(CheckInPair.every).is_not(None)
            )
        ).all()
        for pair in own:
            session.add(
                ExperimentMember(
                    experiment_id=experiment.id,
                    arm=people[pair.employee_id].value,
                    employee_id=pair.employee_id,
                    previous_every=pair.every,
                )
            )
            pair.every = None
            session.add(pair)
    counts = rules.arm_counts(people)
    _audit(
        session,
        actor,
        "experiment.started",
        experiment,
        people_a=counts[0],
        people_b=counts[1],
    )
    flush_versioned(session, STALE)
    return experiment


def _restore(session: Session, experiment: Experiment) -> tuple[int, int]:
    """Put back each cadence the experiment set and nobody has changed since;
    one HR changed by hand during the run is theirs to keep. Returns
    (restored, kept)."""
    members = session.exec(
        select(ExperimentMember).where(ExperimentMember.experiment_id == experiment.id)
    ).all()
    arm_every = {rules.Arm.a.value: experiment.variant_a, rules.Arm.b.value: experiment.variant_b}
    pairs_design = experiment.design == ExperimentDesign.pairs
    restored = kept = 0
    for member in members:
        if member.unit_id is not None:
            row = _unit_cadence_row(session, member.unit_id)
            if (row.every if row is not None else None) != arm_every[member.arm]:
                kept += 1
                continue
            _set_unit_cadence(session, member.unit_id, member.previous_every)
            restored += 1
        elif member.employee_id is not None:
            pair = session.exec(
                select(CheckInPair).where(CheckInPair.employee_id == member.employee_id)
            ).first()
            if pair is None:
                continue
            # The pairs design set each pair to its arm; the units design
            # cleared a pair's own cadence so the arm's unit default applied.
            set_by_experiment = arm_every[member.arm] if pairs_design else None
            if pair.every != set_by_experiment:
                kept += 1
                continue
            pair.every = member.previous_every
            touch(pair)
            session.add(pair)
            restored += 1
    return restored, kept


def finish_experiment(session: Session, *, actor: Actor, experiment_id: int, version: int) -> int:
    """End it: every unit and pair gets back the cadence it had before,
    except one changed by hand during the run. Returns how many were kept."""
    experiment = _open(session, actor, experiment_id, version, "finished", ExperimentStatus.running)
    restored, kept = _restore(session, experiment)
    experiment.status = ExperimentStatus.finished.value
    experiment.finished_at = utcnow()
    session.add(experiment)
    _audit(session, actor, "experiment.finished", experiment, restored=restored, kept=kept)
    flush_versioned(session, STALE)
    return kept


def apply_winner(session: Session, *, actor: Actor, experiment_id: int, version: int) -> Experiment:
    """Make the winning cadence (on the experiment's deciding outcome) the
    default of its units: both arms' units, or the pairs design's unit and
    the units below it. Refused when there is no clear winner."""
    from core.experiments.queries import compute_results  # results read what commands wrote

    experiment = _open(session, actor, experiment_id, version, "applied", ExperimentStatus.finished)
    results = compute_results(session, experiment)
    winner = results.winner
    if winner is None:
        deciding = rules.OUTCOMES[rules.Outcome(experiment.primary_outcome)].label
        raise ValidationError(
            f"There is no clear winner on {deciding.lower()}, so nothing was applied."
        )
    every = experiment.variant_a if winner == rules.Arm.a else experiment.variant_b
    parents = unit_parents(session)
    if experiment.design == ExperimentDesign.pairs:
        assert experiment.unit_id is not None
        units = {experiment.unit_id} | descendant_ids(parents, experiment.unit_id)
    else:
        units = {
            unit_id
            for unit_id in session.exec(
                select(ExperimentMember.unit_id).where(
                    ExperimentMember.experiment_id == experiment.id,
                    col(ExperimentMember.unit_id).is_not(None),
                )
            ).all()
            if unit_id is not None
        }
    refuse_checkins_off(session, units)
    experiment.winner = winner.value
    _claim(session, experiment, ExperimentStatus.applied)
    for unit_id in sorted(units):
        _set_unit_cadence(session, unit_id, every)
    _audit(session, actor, "experiment.applied", experiment, every=every, units=len(units))
    flush_versioned(session, STALE)
    return experiment
