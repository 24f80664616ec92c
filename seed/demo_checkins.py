"""Check-in history: three months of check-ins for every pair, laid out
relative to `today`, with realistic gaps (a skipped or late meeting now and
then), open actions carried forward, a few overdue pairs and a few upcoming
check-ins with talking points already on the agenda.

The same code seeds the demo (`seed_demo_checkins`) and the generator at any
scale (`generate_check_ins`): rows go in with bulk inserts, in chunks.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from core.checkins import rules
from core.modules.queries import modules_for_unit
from core.modules.rules import Module
from db.models import (
    CheckIn,
    CheckInAction,
    CheckInItem,
    CheckInPair,
    CheckInTemplate,
    CheckInUnitCadence,
    OrgUnit,
    Person,
    UserAccount,
)

DEMO_CHECKINS_SEED = 20261203
HISTORY_DAYS = 91
CHUNK = 2_000

_NOTES = {
    1: [
        "Shipped the first milestone on time.",
        "Good feedback from the customer review.",
        "Closed the backlog of support tickets.",
        "Mentored the new joiner through their first week.",
    ],
    2: [
        "Waiting on another team for the API change.",
        "Too many meetings this sprint.",
        "Unclear priorities between two projects.",
        "",
    ],
    3: [
        "Finish the migration plan.",
        "Prepare the quarterly review deck.",
        "Pair on the on-call runbook.",
    ],
    4: [
        "Interested in the leadership course.",
        "Wants more exposure to customer calls.",
        "",
    ],
}
_ACTIONS = [
    "Book the training course",
    "Share the project plan with the team",
    "Set up a meeting with the product lead",
    "Write up the incident review",
    "Draft next quarter's goals",
    "Ask for feedback from two peers",
]
_POINTS = ["Workload next month", "Conference budget", "Holiday plans", "Feedback on the demo"]


def _at(day: date) -> datetime:
    return datetime.combine(day, time(10, 0), tzinfo=UTC)


def _unit_defaults(session: Session) -> None:
    """A weekly rhythm for sales and platform work, monthly for support
    functions, every two weeks (the default) elsewhere."""
    for unit_id, name in session.exec(select(OrgUnit.id, OrgUnit.name)).all():
        if unit_id is None:
            continue
        lowered = name.lower()
        every = (
            "weekly"
            if "sales" in lowered or "platform" in lowered
            else "monthly"
            if "people" in lowered or "finance" in lowered
            else None
        )
        if every:
            session.add(CheckInUnitCadence(org_unit_id=unit_id, every=every))
    session.flush()


def _insert(session: Session, model: type, rows: list[dict[str, Any]]) -> list[int]:
    ids: list[int] = []
    for start in range(0, len(rows), CHUNK):
        result = session.execute(
            insert(model).returning(model.id, sort_by_parameter_order=True),  # type: ignore[attr-defined]
            rows[start : start + CHUNK],
        )
        ids.extend(result.scalars().all())
    return ids


def load_check_ins(
    session: Session,
    *,
    today: date,
    rng: random.Random,
    progress: Callable[[str, float], None] | None = None,
    notes: bool = True,
) -> dict[str, int]:
    """Check-ins for every active person with a manager; returns counts."""
    _unit_defaults(session)
    defaults = dict(
        session.exec(select(CheckInUnitCadence.org_unit_id, CheckInUnitCadence.every)).all()
    )
    people = session.exec(
        select(Person.id, Person.manager_id, Person.org_unit_id).where(
            col(Person.manager_id).is_not(None), col(Person.active).is_(True)
        )
    ).all()
    # Only where the practice is switched on (the demo pilots check-ins in
    # some divisions): people elsewhere have no check-ins yet.
    enabled: dict[int, bool] = {}

    def switched_on(unit_id: int) -> bool:
        if unit_id not in enabled:
            enabled[unit_id] = Module.checkins.value in modules_for_unit(session, unit_id=unit_id)
        return enabled[unit_id]

    in_pilot = [row for row in people if switched_on(row[2])]
    start = today - timedelta(days=HISTORY_DAYS)
    template_id = session.exec(
        select(CheckInTemplate.id).order_by(col(CheckInTemplate.is_default).desc()).limit(1)
    ).first()
    pairs: list[dict[str, Any]] = []
    check_ins: list[dict[str, Any]] = []
    meta: list[tuple[int | None, int | None, date | None]] = []
    overdue_every = 9  # about one pair in nine has fallen behind
    for index, (person_id, manager_id, unit_id) in enumerate(in_pilot):
        every = None
        roll = rng.random()
        if roll < 0.06:
            every = "weekly"
        elif roll < 0.09:
            every = "none"
        pairs.append(
            {
                "employee_id": person_id,
                "every": every,
                "focus": "performance",
                "starts_on": start,
                "version": 1,
            }
        )
        cadence = rules.effective_cadence(every, defaults.get(unit_id))
        if cadence == "none":
            continue
        behind = index % overdue_every == 4
        stop = today - timedelta(days=rng.randint(20, 35)) if behind else today
        due: date | None = start + timedelta(days=rng.randint(0, 6))
        while due is not None and due <= stop:
            roll = rng.random()
            if roll < 0.08:  # skipped: the next one is due an interval after the missed date
                due = rules.next_interval(due, cadence)
                continue
            held = due + timedelta(days=rng.randint(3, 8) if roll < 0.22 else rng.randint(-1, 1))
            if held >= today:
                break
            acknowledged = rng.random() < 0.85 or held < today - timedelta(days=14)
            check_ins.append(
                {
                    "employee_id": person_id,
                    "manager_id": manager_id,
                    "template_id": template_id,
                    "focus": "development" if rng.random() < 0.2 else "performance",
                    "status": "acknowledged" if acknowledged else "completed",
                    "due_on": due,
                    "held_on": held,
                    "completed_at": _at(held),
                    "completed_by_id": manager_id,
                    "acknowledged_at": _at(held + timedelta(days=1)) if acknowledged else None,
                    "employee_comment": "Thanks, useful."
                    if acknowledged and rng.random() < 0.2
                    else "",
                    "created_at": _at(due - timedelta(days=2)),
                    "version": 1,
                }
            )
            meta.append((person_id, manager_id, held))
            due = rules.next_interval(held, cadence)
        # An upcoming check-in with a talking point for some pairs.
        if not behind and due is not None and rng.random() < 0.4:
            check_ins.append(
                {
                    "employee_id": person_id,
                    "manager_id": manager_id,
                    "template_id": template_id,
                    "focus": "performance",
                    "status": "planned",
                    "due_on": max(due, today),
                    "held_on": None,
                    "completed_at": None,
                    "completed_by_id": None,
                    "acknowledged_at": None,
                    "employee_comment": "",
                    "created_at": _at(today - timedelta(days=1)),
                    "version": 1,
                }
            )
            meta.append((person_id, manager_id, None))
        if progress and index % 500 == 0:
            progress("Check-ins", index / max(len(in_pilot), 1) * 0.5)
    session.execute(insert(CheckInPair), pairs)
    ids = _insert(session, CheckIn, check_ins)
    items: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    for check_in_id, (person_id, manager_id, held_on) in zip(ids, meta, strict=True):
        for position, question in enumerate(rules.DEFAULT_AGENDA, start=1):
            text = rng.choice(_NOTES[position]) if notes and held_on else ""
            items.append(
                {
                    "check_in_id": check_in_id,
                    "position": position,
                    "text": question,
                    "kind": "question",
                    "added_by_id": None,
                    "notes": text,
                    "version": 1,
                }
            )
        if held_on is None:
            items.append(
                {
                    "check_in_id": check_in_id,
                    "position": 5,
                    "text": rng.choice(_POINTS),
                    "kind": "talking point",
                    "added_by_id": person_id,
                    "notes": "",
                    "version": 1,
                }
            )
            continue
        for _ in range(rng.choice([0, 1, 1, 2])):
            age = (today - held_on).days
            done = (age > 21 and rng.random() < 0.85) or (age > 7 and rng.random() < 0.5)
            owner = person_id if rng.random() < 0.7 else manager_id
            actions.append(
                {
                    "check_in_id": check_in_id,
                    "employee_id": person_id,
                    "owner_id": owner,
                    "text": rng.choice(_ACTIONS),
                    "due_on": held_on + timedelta(days=rng.choice([7, 10, 14])),
                    "done": done,
                    "done_at": _at(held_on + timedelta(days=5)) if done else None,
                    "created_by_id": manager_id,
                    "created_at": _at(held_on),
                    "version": 1,
                }
            )
    if progress:
        progress("Check-ins", 0.75)
    for begin in range(0, len(items), CHUNK):
        session.execute(insert(CheckInItem), items[begin : begin + CHUNK])
    for begin in range(0, len(actions), CHUNK):
        session.execute(insert(CheckInAction), actions[begin : begin + CHUNK])
    session.flush()
    if progress:
        progress("Check-ins", 1.0)
    return {"pairs": len(pairs), "check_ins": len(ids), "actions": len(actions)}


def _demo_story(session: Session, today: date) -> None:
    """Emma's pair is on time with one open action and no check-in planned,
    so the demo shows preparing one; it is left to run in the walkthrough."""
    emma = session.exec(select(UserAccount.person_id).where(UserAccount.username == "emma")).first()
    if emma is None:
        return
    planned = session.exec(
        select(CheckIn).where(CheckIn.employee_id == emma, CheckIn.status == "planned")
    ).all()
    for check_in in planned:
        for item in session.exec(select(CheckInItem).where(CheckInItem.check_in_id == check_in.id)):
            session.delete(item)
        session.flush()
        session.delete(check_in)
    session.flush()


def seed_demo_checkins(session: Session, *, today: date | None = None) -> None:
    """The demo step: three months of check-ins around the real today."""
    today = today or date.today()
    load_check_ins(session, today=today, rng=random.Random(DEMO_CHECKINS_SEED))
    _demo_story(session, today)


def generate_check_ins(
    session: Session, rng: random.Random, progress: Callable[[str, float], None]
) -> None:
    """The generator step (seed.generate): check-ins at any scale."""
    load_check_ins(session, today=date.today(), rng=rng, progress=progress, notes=False)
