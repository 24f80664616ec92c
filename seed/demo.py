"""The demo organisation: Northwind Labs, 60 people, loaded on first start.

Deterministic (a fixed random seed), so the README's demo accounts and the
tests can rely on it. Each feature adds a step to `DEMO_STEPS`; a step runs
once per database, marked by a `Setting` row, so a database seeded by an older
version gains the newer features' demo data on its next start.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.first_run import DEMO_MARKER
from db.models import OrgUnit, Setting
from seed.demo_assessments import seed_demo_assessments
from seed.demo_checkins import seed_demo_checkins
from seed.demo_competencies import seed_competencies
from seed.demo_experiments import seed_demo_experiments
from seed.demo_feedback import seed_demo_feedback
from seed.demo_goals import seed_demo_goals
from seed.demo_modules import seed_demo_modules
from seed.demo_reviews import seed_demo_reviews
from seed.demo_surveys import seed_demo_surveys
from seed.names import ascii_slug, unique_names
from seed.org import OrgPlan, PersonPlan, UnitPlan, load_org_plan

DEMO_PASSWORD = "stride-demo"  # noqa: S105  (public demo data, documented in the README)
DEMO_SEED = 20260101
DEMO_TODAY = date(2026, 11, 1)
EMAIL_DOMAIN = "northwind.example"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    role: str
    description: str


# The three accounts the README names; the tests log in as these.
DEMO_EMPLOYEE = DemoAccount("emma", "Emma Lindqvist", "employee", "Software Engineer, Platform")
DEMO_MANAGER = DemoAccount("maya", "Maya Okafor", "manager", "Engineering Manager, Platform")
DEMO_HR = DemoAccount("hana", "Hana Ibrahim", "HR admin", "HR Business Partner, People & Finance")
DEMO_DIRECTOR = DemoAccount(
    "daniel", "Daniel Novak", "manager", "Director, Product & Technology (3 levels)"
)

# division code, name, director (first, last, username)
_DIVISIONS = [
    ("PT", "Product & Technology", ("Daniel", "Novak", "daniel")),
    ("COM", "Commercial", ("Sofia", "Rossi", None)),
    ("OPS", "Operations & People", ("Kwame", "Mensah", None)),
]
# team code, name, division, lead position, lead (first, last, username), member positions
_TEAMS = [
    ("PLAT", "Platform", "PT", "EM", ("Maya", "Okafor", "maya"), ["SSE", "SE", "SE", "SE", "PD"]),
    ("MOB", "Mobile", "PT", "EM", None, ["SSE", "SE", "SE", "PD", "SE"]),
    ("DATA", "Data & Insights", "PT", "TL", None, ["DA", "DA", "DA", "SE", "DA"]),
    ("ITS", "IT Support", "PT", "TL", None, ["ITS", "ITS", "ITS", "ITS", "ITS"]),
    ("SALES", "Sales", "COM", "SM", None, ["AE", "AE", "AE", "AE", "AE", "AE", "AE"]),
    ("MKT", "Marketing", "COM", "TL", None, ["MKT", "MKT", "MKT", "MKT", "PD", "MKT", "MKT"]),
    (
        "CS",
        "Customer Success",
        "COM",
        "TL",
        None,
        ["CSM", "CSM", "SUP", "SUP", "SUP", "SUP", "SUP"],
    ),
    (
        "PF",
        "People & Finance",
        "OPS",
        "TL",
        None,
        ["HRBP", "HRBP", "ADM", "ADM", "ADM", "ADM", "ADM"],
    ),
]
# Fixed members: (team, position, first, last, username, hr admin)
_NAMED_MEMBERS = [
    ("PLAT", "SE", "Emma", "Lindqvist", "emma", False),
    ("PF", "HRBP", "Hana", "Ibrahim", "hana", True),
]


def build_demo_plan() -> OrgPlan:
    rng = random.Random(DEMO_SEED)
    reserved = (
        {(a, b) for _, _, (a, b, _) in _DIVISIONS}
        | {("Maya", "Okafor")}
        | {(m[2], m[3]) for m in _NAMED_MEMBERS}
        | {("Ingrid", "Solberg")}
    )
    names = iter(n for n in unique_names(200, rng) if n not in reserved)
    plan = OrgPlan(units=[UnitPlan("NW", "Northwind Labs", "company", None)])
    counter = iter(range(1, 1000))

    def person(
        first: str,
        last: str,
        unit: str,
        position: str,
        manager: str | None,
        username: str | None = None,
        hr: bool = False,
        senior: bool = False,
    ) -> str:
        number = next(counter)
        code = f"NW{number:03d}"
        years = round(rng.uniform(8, 25) if senior else rng.uniform(0.5, 14), 1)
        tenure_days = rng.randint(60, int(min(years, 9) * 365) + 61)
        plan.people.append(
            PersonPlan(
                employee_code=code,
                full_name=f"{first} {last}",
                email=f"{ascii_slug(first)}.{ascii_slug(last)}@{EMAIL_DOMAIN}",
                username=username or f"{ascii_slug(first)}.{ascii_slug(last)}",
                unit_code=unit,
                position_code=position,
                manager_code=manager,
                hire_date=DEMO_TODAY - timedelta(days=tenure_days),
                years_experience=years,
                is_hr_admin=hr,
            )
        )
        return code

    ceo = person("Ingrid", "Solberg", "NW", "CEO", None, "ingrid", senior=True)
    directors: dict[str, str] = {}
    for code, name, (first, last, username) in _DIVISIONS:
        plan.units.append(UnitPlan(code, name, "division", "NW"))
        directors[code] = person(first, last, code, "DIR", ceo, username, senior=True)
    for code, name, division, lead_position, lead, positions in _TEAMS:
        plan.units.append(UnitPlan(code, name, "team", division))
        first, last, username = lead if lead else (*next(names), None)
        lead_code = person(
            first, last, code, lead_position, directors[division], username, senior=True
        )
        named = [m for m in _NAMED_MEMBERS if m[0] == code]
        for index, position in enumerate(positions):
            match = next((m for m in named if m[1] == position), None)
            if match and index == positions.index(position):
                named.remove(match)
                person(match[2], match[3], code, position, lead_code, match[4], hr=match[5])
            else:
                person(*next(names), code, position, lead_code)
    return plan


def seed_organisation(session: Session) -> None:
    load_org_plan(session, build_demo_plan(), password=DEMO_PASSWORD)


# Each step: (marker, function). Later features append theirs.
DEMO_STEPS: list[tuple[str, Callable[[Session], None]]] = [
    (DEMO_MARKER, seed_organisation),
    ("demo.competencies", seed_competencies),
    ("demo.goals", seed_demo_goals),
    ("demo.assessments", seed_demo_assessments),
    ("demo.feedback", seed_demo_feedback),
    ("demo.modules", seed_demo_modules),
    ("demo.reviews", seed_demo_reviews),
    # After the module switches: check-ins are seeded where they are on.
    ("demo.checkins", seed_demo_checkins),
    # After the modules and check-ins: the pilot's pulse goes to the pilot units.
    ("demo.surveys", seed_demo_surveys),
    # After check-ins: the finished experiment lays out its arms' check-ins again.
    ("demo.experiments", seed_demo_experiments),
]


def seed_demo_if_empty(engine: Engine) -> bool:
    """Seed an empty database with the demo organisation; on a demo database
    run the steps it has not had yet. A real organisation's database (one with
    people but no demo marker) is never touched. Returns True if anything ran."""
    ran = False
    with Session(engine) as session:
        has_units = session.exec(select(OrgUnit.id).limit(1)).first() is not None
        is_demo = session.get(Setting, DEMO_STEPS[0][0]) is not None
    if has_units and not is_demo:
        return False
    for marker, step in DEMO_STEPS:
        with Session(engine) as session:
            if session.get(Setting, marker) is not None:
                continue
            try:
                # The marker goes in first: a second replica seeding at the same
                # moment fails on its primary key and leaves the work to us.
                session.add(Setting(key=marker, value="done"))
                session.flush()
                step(session)
                session.commit()
                ran = True
            except IntegrityError:
                session.rollback()
    return ran
