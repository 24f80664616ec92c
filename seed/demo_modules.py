"""The demo's rollout: check-ins piloted in one division, widened to a second,
planned for the third.

The seeds' advice is to "roll out changes to a single unit and measure the
results". Northwind Labs did that with check-ins: Product & Technology piloted
them four months ago, Commercial joined six weeks ago, and Operations & People
is planned for next month. So the company switches check-ins off and the two
divisions on; every other practice is on everywhere (no switch).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, col, select

from core.modules.rules import Module
from db.models import ModuleSwitch, OrgUnit, RolloutStep, RolloutStepKind

PILOT_DIVISION, WIDENED_DIVISION, PLANNED_DIVISION = (
    "Product & Technology",
    "Commercial",
    "Operations & People",
)


def seed_demo_modules(session: Session) -> None:
    units = {unit.name: unit.id for unit in session.exec(select(OrgUnit)).all()}
    company = session.exec(select(OrgUnit).where(col(OrgUnit.parent_id).is_(None))).first()
    if company is None or company.id is None:
        return
    switches = [
        (company.id, False),
        (units[PILOT_DIVISION], True),
        (units[WIDENED_DIVISION], True),
    ]
    for unit_id, enabled in switches:
        assert unit_id is not None
        session.add(
            ModuleSwitch(org_unit_id=unit_id, module=Module.checkins.value, enabled=enabled)
        )
    plan = [
        (PILOT_DIVISION, RolloutStepKind.pilot, -120, "Weekly and monthly check-ins side by side"),
        (WIDENED_DIVISION, RolloutStepKind.widening, -42, "After the pilot's pulse survey"),
        (PLANNED_DIVISION, RolloutStepKind.widening, 30, "Planned once Commercial settles"),
    ]
    today = date.today()  # the plan reads from the seeding moment, like the histories
    for unit_name, kind, days, note in plan:
        unit_id = units[unit_name]
        assert unit_id is not None
        session.add(
            RolloutStep(
                module=Module.checkins.value,
                org_unit_id=unit_id,
                kind=kind.value,
                starts_on=today + timedelta(days=days),
                note=note,
            )
        )
    session.flush()
