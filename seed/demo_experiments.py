"""A finished weekly-versus-monthly check-in experiment, with the history to
match, for the demo and for generated organisations.

Northwind Labs' check-ins pilot (seed.demo_modules: "weekly and monthly
check-ins side by side") ran as an experiment in Product & Technology:
Platform and Mobile met weekly (arm A), Data & Insights and IT Support
monthly (arm B), for twelve weeks ending a week before the seeding moment.
It is finished (the cadences are back as they were) and its winner not yet
applied, so HR's page shows real results and can apply it.

The check-ins of the arms' pairs in the period are laid out again at the
arm's cadence — weekly meetings slip more often than monthly ones — and a
manager now and then follows a check-in up with feedback the same day, so
the outcomes differ the way such a trial tends to: weekly meetings are
harder to keep (the deciding outcome, adherence, favours monthly) while
weekly pairs exchange more feedback. The pilot's pulse answered during the
period (seed.demo_surveys, round 1) shows per arm. The generator does the same
at any scale between the first two departments (or teams) of the
organisation. Rows go in with bulk inserts.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, insert
from sqlmodel import Session, col, select

from core.checkins import rules as checkin_rules
from core.experiments.pulse import segment_key
from core.experiments.rules import Arm, Outcome, arm_label
from core.org import descendant_ids, unit_parents
from db.models import (
    CheckIn,
    CheckInAction,
    CheckInItem,
    CheckInPair,
    CheckInPrivateNote,
    CheckInTemplate,
    CheckInUnitCadence,
    Experiment,
    ExperimentMember,
    ExperimentStatus,
    Feedback,
    OrgUnit,
    Person,
    Survey,
    SurveyKind,
    SurveyResponse,
    SurveyResponseTag,
)

DEMO_EXPERIMENT_SEED = 20261204
PERIOD_DAYS = 84  # twelve weeks
ENDED_DAYS_AGO = 7
CHUNK = 2_000
# How often a due check-in is skipped, per cadence: weekly ones slip more.
SKIP_SHARE = {"weekly": 0.16, "biweekly": 0.1, "monthly": 0.05}
FOLLOW_UP_SHARE = 0.3  # a held check-in followed up with feedback the same day
_FOLLOW_UPS = [
    "Good conversation today — thanks for bringing the blockers up early.",
    "Thanks for the update on your key results; let's keep that pace.",
    "Nice progress since last time. Shout if the dependency slips again.",
]
DEMO_ARMS = (["Platform", "Mobile"], ["Data & Insights", "IT Support"])


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=UTC)


def _arm_people(session: Session, units: set[int]) -> list[tuple[int, int]]:
    return [
        (person_id, manager_id)
        for person_id, manager_id in session.exec(
            select(Person.id, Person.manager_id).where(
                col(Person.org_unit_id).in_(sorted(units)),
                col(Person.active).is_(True),
                col(Person.manager_id).is_not(None),
            )
        ).all()
        if person_id is not None and manager_id is not None
    ]


def _clear_period(session: Session, people: list[int], starts_on: date, ends_on: date) -> None:
    """The arms' check-ins in the period go: they are laid out again below."""
    for begin in range(0, len(people), CHUNK):
        chunk = people[begin : begin + CHUNK]
        doomed = select(CheckIn.id).where(
            col(CheckIn.employee_id).in_(chunk),
            (col(CheckIn.held_on).between(starts_on, ends_on))
            | (col(CheckIn.held_on).is_(None) & col(CheckIn.due_on).between(starts_on, ends_on)),
        )
        for model in (CheckInItem, CheckInAction, CheckInPrivateNote):
            session.execute(delete(model).where(col(model.check_in_id).in_(doomed)))
        session.execute(delete(CheckIn).where(col(CheckIn.id).in_(doomed)))


def _tag_pulse_answers(
    session: Session,
    *,
    experiment_id: int,
    arm_of_unit: dict[int, str],
    labels: dict[str, str],
    starts_on: date,
    ends_on: date,
) -> None:
    """The tags the segmenter would have given at answer time, had the
    experiment been running when the pulses were seeded (seeding writes the
    history in one moment, after the fact). A response has no person, so it
    is tagged by its reporting unit: for pulses reported by team (the demo)
    or department (the generator) that is the respondent's arm unit;
    answers reported under a larger unit are left untagged."""
    rows = session.exec(
        select(SurveyResponse.response_id, SurveyResponse.reporting_unit_id)
        .join(Survey, col(Survey.id) == col(SurveyResponse.survey_id))
        .where(
            Survey.kind == SurveyKind.pulse.value,
            col(Survey.opens_on) >= starts_on,
            col(Survey.opens_on) <= ends_on,
            col(SurveyResponse.reporting_unit_id).in_(sorted(arm_of_unit)),
        )
    ).all()
    tags = [
        {
            "response_id": response_id,
            "key": segment_key(experiment_id),
            "value": labels[arm_of_unit[unit_id]],
        }
        for response_id, unit_id in rows
    ]
    for begin in range(0, len(tags), CHUNK):
        session.execute(insert(SurveyResponseTag), tags[begin : begin + CHUNK])


def load_experiment(
    session: Session,
    *,
    units_a: list[int],
    units_b: list[int],
    name: str,
    hypothesis: str,
    today: date,
    rng: random.Random,
    variant_a: str = "weekly",
    variant_b: str = "monthly",
    progress: Callable[[str, float], None] | None = None,
) -> int:
    """A finished experiment between the units (and the units below them),
    with the arms' check-ins and follow-up feedback in its period; its id."""
    ends_on = today - timedelta(days=ENDED_DAYS_AGO)
    starts_on = ends_on - timedelta(days=PERIOD_DAYS - 1)
    parents = unit_parents(session)
    hr_id = session.exec(
        select(Person.id).where(col(Person.is_hr_admin).is_(True)).order_by(col(Person.id))
    ).first()
    experiment = Experiment(
        name=name,
        hypothesis=hypothesis,
        design="units",
        variant_a=variant_a,
        variant_b=variant_b,
        primary_outcome=Outcome.adherence.value,
        starts_on=starts_on,
        ends_on=ends_on,
        seed=rng.randint(1, 10_000),
        status=ExperimentStatus.finished.value,
        created_by_id=hr_id,
        created_at=_at(starts_on - timedelta(days=5), 9),
        started_at=_at(starts_on, 8),
        finished_at=_at(ends_on + timedelta(days=1), 9),
    )
    session.add(experiment)
    session.flush()
    assert experiment.id is not None
    cadences = dict(
        session.exec(select(CheckInUnitCadence.org_unit_id, CheckInUnitCadence.every)).all()
    )
    template_id = session.exec(
        select(CheckInTemplate.id).order_by(col(CheckInTemplate.is_default).desc()).limit(1)
    ).first()
    members: list[dict[str, Any]] = []
    check_ins: list[dict[str, Any]] = []
    feedback: list[dict[str, Any]] = []
    for arm, chosen, every in (("a", units_a, variant_a), ("b", units_b, variant_b)):
        units: set[int] = set()
        for unit_id in chosen:
            below = descendant_ids(parents, unit_id)
            units |= {unit_id} | below
            members += [
                {
                    "experiment_id": experiment.id,
                    "arm": arm,
                    "unit_id": unit,
                    "employee_id": None,
                    "chosen": unit == unit_id,
                    "previous_every": cadences.get(unit),
                }
                for unit in sorted({unit_id} | below)
            ]
        people = _arm_people(session, units)
        own = dict(
            session.exec(
                select(CheckInPair.employee_id, CheckInPair.every).where(
                    col(CheckInPair.employee_id).in_([p for p, _m in people]),
                    col(CheckInPair.every).is_not(None),
                )
            ).all()
        )
        members += [
            {
                "experiment_id": experiment.id,
                "arm": arm,
                "unit_id": None,
                "employee_id": employee_id,
                "chosen": False,
                "previous_every": previous,
            }
            for employee_id, previous in sorted(own.items())
        ]
        _clear_period(session, [p for p, _m in people], starts_on, ends_on)
        skip = SKIP_SHARE.get(every, 0.1)
        for person_id, manager_id in people:
            due: date | None = starts_on + timedelta(days=rng.randint(0, 3))
            while due is not None and due <= ends_on:
                if rng.random() < skip:
                    due = checkin_rules.next_interval(due, every)
                    continue
                held = due + timedelta(days=rng.choice([0, 0, 0, 1, 3]))
                if held > ends_on:
                    break
                check_ins.append(
                    {
                        "employee_id": person_id,
                        "manager_id": manager_id,
                        "template_id": template_id,
                        "focus": "performance",
                        "status": "acknowledged",
                        "due_on": due,
                        "held_on": held,
                        "completed_at": _at(held, 11),
                        "completed_by_id": manager_id,
                        "acknowledged_at": _at(held + timedelta(days=1), 9),
                        "employee_comment": "",
                        "created_at": _at(due - timedelta(days=2), 9),
                        "version": 1,
                    }
                )
                if rng.random() < FOLLOW_UP_SHARE:
                    feedback.append(
                        {
                            "giver_id": manager_id,
                            "receiver_id": person_id,
                            "kind": "praise",
                            "text": rng.choice(_FOLLOW_UPS),
                            "visibility": "managers",
                            "goal_id": None,
                            "competency_id": None,
                            "request_id": None,
                            "created_at": _at(held, 15),
                        }
                    )
                due = checkin_rules.next_interval(held, every)
        if progress:
            progress("Experiments", 0.5 if arm == "a" else 0.9)
    session.execute(insert(ExperimentMember), members)
    _tag_pulse_answers(
        session,
        experiment_id=experiment.id,
        arm_of_unit={m["unit_id"]: m["arm"] for m in members if m["unit_id"] is not None},
        labels={"a": arm_label(Arm.a, variant_a), "b": arm_label(Arm.b, variant_b)},
        starts_on=starts_on,
        ends_on=ends_on,
    )
    ids: list[int] = []
    for begin in range(0, len(check_ins), CHUNK):
        result = session.execute(
            insert(CheckIn).returning(col(CheckIn.id), sort_by_parameter_order=True),
            check_ins[begin : begin + CHUNK],
        )
        ids.extend(result.scalars().all())
    items = [
        {
            "check_in_id": check_in_id,
            "position": position,
            "text": question,
            "kind": "question",
            "added_by_id": None,
            "notes": "",
            "version": 1,
        }
        for check_in_id in ids
        for position, question in enumerate(checkin_rules.DEFAULT_AGENDA, start=1)
    ]
    for begin in range(0, len(items), CHUNK):
        session.execute(insert(CheckInItem), items[begin : begin + CHUNK])
    for begin in range(0, len(feedback), CHUNK):
        session.execute(insert(Feedback), feedback[begin : begin + CHUNK])
    session.flush()
    if progress:
        progress("Experiments", 1.0)
    return experiment.id


HYPOTHESIS = (
    "Weekly check-ins are as easy to keep as monthly ones, and they shorten the time "
    "from a key-result update to the next conversation about it."
)


def seed_demo_experiments(session: Session, *, today: date | None = None) -> None:
    """The demo step: Platform and Mobile weekly against Data & Insights and IT Support monthly."""
    names = {name: unit_id for unit_id, name in session.exec(select(OrgUnit.id, OrgUnit.name))}
    arm_a = [names[n] for n in DEMO_ARMS[0] if names.get(n) is not None]
    arm_b = [names[n] for n in DEMO_ARMS[1] if names.get(n) is not None]
    if not arm_a or not arm_b:
        return
    load_experiment(
        session,
        units_a=[u for u in arm_a if u is not None],
        units_b=[u for u in arm_b if u is not None],
        name="Check-in pilot: weekly or monthly?",
        hypothesis=HYPOTHESIS,
        today=today or date.today(),
        rng=random.Random(DEMO_EXPERIMENT_SEED),
    )


def generate_experiments(
    session: Session, rng: random.Random, progress: Callable[[str, float], None]
) -> None:
    """The generator step (seed.generate): the same experiment between the
    first two departments (or, in a small organisation, teams)."""
    for kind in ("department", "team"):
        units = session.exec(
            select(OrgUnit.id).where(OrgUnit.kind == kind).order_by(col(OrgUnit.id)).limit(2)
        ).all()
        if len(units) == 2:
            break
    else:
        return
    load_experiment(
        session,
        units_a=[units[0] or 0],
        units_b=[units[1] or 0],
        name="Weekly or monthly check-ins?",
        hypothesis=HYPOTHESIS,
        today=date.today(),
        rng=rng,
        progress=progress,
    )
