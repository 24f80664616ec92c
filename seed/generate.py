"""Build an organisation of any size, for benchmarks and load trials.

    python -m seed.generate --people 10000 --database-url sqlite:///data/bench.db

The target database must be empty (it is migrated first). Every generated
account's password is the demo password, so any username can sign in.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import Engine, text
from sqlmodel import Session, select

from db.engine import make_engine, normalise_url
from db.migrate import upgrade_to_head
from db.models import OrgUnit
from seed.demo import DEMO_PASSWORD
from seed.demo_assessments import generate_assessments
from seed.demo_checkins import generate_check_ins
from seed.demo_competencies import generate_competencies
from seed.demo_experiments import generate_experiments
from seed.demo_feedback import generate_feedback
from seed.demo_goals import generate_goals
from seed.demo_surveys import generate_surveys
from seed.names import ascii_slug, unique_names
from seed.org import OrgPlan, PersonPlan, Progress, UnitPlan, load_org_plan

TEAM_SIZE = 8  # a lead and seven members
TEAMS_PER_DEPARTMENT = 8
DEPARTMENTS_PER_DIVISION = 20
TODAY = date(2026, 11, 1)

# position codes per kind of team (see seed.org.POSITIONS)
_TEAM_KINDS: list[tuple[str, str, list[str]]] = [
    ("Engineering", "EM", ["SSE", "SE", "SE", "SE", "PD", "SE", "SSE"]),
    ("Data", "TL", ["DA", "DA", "DA", "SE", "DA", "DA", "DA"]),
    ("IT Support", "TL", ["ITS", "ITS", "ITS", "ITS", "ITS", "ITS", "ITS"]),
    ("Sales", "SM", ["AE", "AE", "AE", "AE", "AE", "AE", "MKT"]),
    ("Marketing", "TL", ["MKT", "MKT", "MKT", "PD", "MKT", "MKT", "MKT"]),
    ("Customer Success", "TL", ["CSM", "CSM", "SUP", "SUP", "SUP", "SUP", "SUP"]),
    ("People & Finance", "TL", ["HRBP", "ADM", "ADM", "ADM", "HRBP", "ADM", "ADM"]),
]


def build_org_plan(people: int, *, seed: int = 7) -> OrgPlan:
    """A CEO, divisions, departments and teams of eight, `people` in all."""
    if people < 2:
        raise ValueError("An organisation needs at least 2 people.")
    rng = random.Random(seed)
    names = iter(unique_names(people, rng))
    plan = OrgPlan(units=[UnitPlan("CO", "Generated Company", "company", None)])
    codes = (f"G{n:06d}" for n in range(1, people + 1))

    def add(
        unit: str, position: str, manager: str | None, *, senior: bool = False, hr: bool = False
    ) -> str:
        first, last = next(names)
        code = next(codes)
        years = round(rng.uniform(8, 25) if senior else rng.uniform(0.5, 15), 1)
        plan.people.append(
            PersonPlan(
                employee_code=code,
                full_name=f"{first} {last}",
                email=f"{code.lower()}.{ascii_slug(last)}@generated.example",
                username=code.lower(),
                unit_code=unit,
                position_code=position,
                manager_code=manager,
                hire_date=TODAY - timedelta(days=rng.randint(30, 3650)),
                years_experience=years,
                is_hr_admin=hr,
            )
        )
        return code

    teams = max(1, math.ceil((people - 1) / TEAM_SIZE))
    departments = max(1, math.ceil(teams / TEAMS_PER_DEPARTMENT))
    divisions = max(1, math.ceil(departments / DEPARTMENTS_PER_DIVISION))
    remaining = people
    ceo = add("CO", "CEO", None, senior=True)
    remaining -= 1
    heads: list[tuple[str, str]] = []  # (unit code, head's employee code)
    for d in range(divisions):
        unit = f"D{d + 1}"
        plan.units.append(UnitPlan(unit, f"Division {d + 1}", "division", "CO"))
        head = add(unit, "DIR", ceo, senior=True) if remaining > 0 else ceo
        remaining -= head != ceo
        heads.append((unit, head))
    departments_left = departments
    department_heads: list[tuple[str, str]] = []
    for index, (division_unit, director) in enumerate(heads):
        count = math.ceil(departments_left / (len(heads) - index))
        departments_left -= count
        for k in range(count):
            unit = f"{division_unit}-{k + 1}"
            plan.units.append(
                UnitPlan(unit, f"Department {division_unit}.{k + 1}", "department", division_unit)
            )
            head = add(unit, "HOD", director, senior=True) if remaining > 0 else director
            remaining -= head != director
            department_heads.append((unit, head))
    team_number = 0
    while remaining > 0:
        unit_parent, head = department_heads[team_number % len(department_heads)]
        kind_name, lead_position, member_positions = _TEAM_KINDS[team_number % len(_TEAM_KINDS)]
        team_number += 1
        unit = f"T{team_number}"
        plan.units.append(UnitPlan(unit, f"{kind_name} {team_number}", "team", unit_parent))
        lead = add(unit, lead_position, head, senior=True)
        remaining -= 1
        for position in member_positions:
            if remaining == 0:
                break
            add(unit, position, lead, hr=position == "HRBP" and team_number % 14 == 7)
            remaining -= 1
    # At least one HR admin, so every generated organisation can be administered.
    if not any(p.is_hr_admin for p in plan.people):
        last = plan.people[-1]
        plan.people[-1] = PersonPlan(**{**last.__dict__, "is_hr_admin": True})
    return plan


# Later features add their generators here: (label, function(session, rng, progress)).
GENERATION_STEPS: list[tuple[str, Callable[[Session, random.Random, Progress], None]]] = [
    ("Competency frameworks", generate_competencies),
    ("Goals and OKRs", generate_goals),
    ("Assessments", generate_assessments),
    ("Check-ins", generate_check_ins),
    ("Feedback", generate_feedback),
    ("Surveys", generate_surveys),
    ("Experiments", generate_experiments),
]


def generate(
    engine: Engine, *, people: int, seed: int = 7, progress: Progress | None = None
) -> dict[str, int]:
    upgrade_to_head(engine)
    with Session(engine) as session:
        if session.exec(select(OrgUnit.id).limit(1)).first() is not None:
            raise SystemExit("The target database is not empty; generate into a fresh one.")
        report = progress or (lambda _label, _share: None)
        ids = load_org_plan(
            session, build_org_plan(people, seed=seed), password=DEMO_PASSWORD, progress=report
        )
        rng = random.Random(seed)
        for label, step in GENERATION_STEPS:
            report(label, 0.0)
            step(session, rng, report)
        session.commit()
    # Planner statistics for the bulk-loaded tables, as autovacuum would
    # gather in time: without them PostgreSQL picks nested loops over the
    # 400,000 ratings and a benchmark measures the missing statistics. (Not on
    # SQLite: its statistics made the org heatmap's plan slower.)
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()
    return ids


def terminal_progress(stream=sys.stderr) -> Progress:  # type: ignore[no-untyped-def]
    """A one-line progress bar: `[#####.....]  50% People`."""

    def show(label: str, share: float) -> None:
        filled = int(share * 30)
        stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {share:4.0%} {label:<30}")
        stream.flush()
        if share >= 1.0:
            stream.write("\n")

    return show


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--people", type=int, required=True, help="how many people")
    parser.add_argument("--database-url", required=True, help="SQLAlchemy URL of an empty DB")
    parser.add_argument("--seed", type=int, default=7, help="random seed (same seed, same org)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    engine = make_engine(normalise_url(args.database_url))
    ids = generate(engine, people=args.people, seed=args.seed, progress=terminal_progress())
    print(f"Generated {len(ids)} people in {time.perf_counter() - started:.1f} s.")


if __name__ == "__main__":
    main()
