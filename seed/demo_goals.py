"""Demo goals and OKRs, for the demo organisation and for generated ones.

One builder serves both: the current quarter as the goal cycle, three company
objectives, OKRs for every unit below the top (aligned to the unit above, or
to a company objective), and 2–4 individual goals per person aligned to their
unit's OKRs, each with key results and a progress history.

Histories are laid out relative to `today` (the seeding day) so the demo
looks lived-in whenever it is seeded: most goals move along, some are at risk
(low progress, "at risk" or "off track" updates), some are stale (no update in
over three weeks), a few are completed with a final rating and a few are
drafts. The same `today` and seed give the same data. Rows go in with bulk
inserts, so 10,000 people's goals load in seconds.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, insert, text
from sqlmodel import Session, col, select

from core.goals.rules import quarter_of
from db.models import Goal, GoalCycle, KeyResult, OrgUnit, Person, Position, ProgressUpdate

Progress = Callable[[str, float], None]
DEMO_GOALS_SEED = 20261123
BATCH = 5_000

# (title, metric, start, target, unit); target < start is a decreasing KR.
KR = tuple[str, str, float, float, str]
Template = tuple[str, str, list[KR]]  # (title, kind, key results)

COMPANY_OBJECTIVES: list[Template] = [
    (
        "Delight customers with a faster, more reliable product",
        "performance",
        [
            ("Net promoter score", "number", 31, 45, "NPS"),
            ("Monthly incidents affecting customers", "number", 12, 4, "incidents"),
            ("Median page load time", "number", 2.4, 1.2, "s"),
        ],
    ),
    (
        "Grow revenue in our core markets",
        "performance",
        [
            ("Quarterly new annual recurring revenue", "currency", 0, 1_200_000, "EUR"),
            ("Gross revenue churn", "percent", 8, 5, "%"),
        ],
    ),
    (
        "Build a place where people grow",
        "development",
        [
            ("People with a development goal", "percent", 35, 90, "%"),
            ("Engagement survey score", "number", 68, 75, "points"),
        ],
    ),
]

UNIT_OKRS: dict[str, list[Template]] = {
    "eng": [
        (
            "Ship the reliability roadmap",
            "performance",
            [
                ("Services with SLOs and alerts", "percent", 40, 100, "%"),
                ("Mean time to restore", "number", 95, 30, "min"),
            ],
        ),
        (
            "Cut the time from idea to production",
            "performance",
            [
                ("Median lead time for changes", "number", 9, 3, "days"),
                ("Deploys per week", "number", 6, 20, "deploys"),
            ],
        ),
    ],
    "data": [
        (
            "Make trusted data self-serve",
            "performance",
            [
                ("Certified dashboards", "number", 4, 15, "dashboards"),
                ("Ad-hoc data requests per month", "number", 60, 25, "requests"),
            ],
        ),
    ],
    "it": [
        (
            "Resolve IT issues faster",
            "performance",
            [
                ("Median ticket resolution time", "number", 26, 8, "h"),
                ("Laptops on the supported OS", "percent", 70, 100, "%"),
            ],
        ),
    ],
    "sales": [
        (
            "Hit the quarterly bookings target",
            "performance",
            [
                ("New bookings", "currency", 0, 450_000, "EUR"),
                ("Qualified pipeline", "currency", 300_000, 1_400_000, "EUR"),
            ],
        ),
    ],
    "marketing": [
        (
            "Fill the pipeline with qualified leads",
            "performance",
            [
                ("Marketing-qualified leads", "number", 0, 600, "leads"),
                ("Cost per lead", "currency", 140, 95, "EUR"),
            ],
        ),
    ],
    "cs": [
        (
            "Keep every customer we have",
            "performance",
            [
                ("Logo retention", "percent", 91, 96, "%"),
                ("First response time", "number", 7, 2, "h"),
            ],
        ),
    ],
    "people": [
        (
            "Run a smooth people and finance calendar",
            "performance",
            [
                ("Month-end close", "number", 9, 5, "days"),
                ("Goal cycle launched on time", "boolean", 0, 1, ""),
            ],
        ),
    ],
    "generic": [
        (
            "Deliver our part of the company objectives",
            "performance",
            [
                ("Unit OKRs on track", "percent", 50, 90, "%"),
                ("Quarterly plan reviewed with every team", "boolean", 0, 1, ""),
            ],
        ),
        (
            "Grow our people",
            "development",
            [
                ("People with a development goal", "percent", 30, 100, "%"),
                ("Check-ins held on schedule", "percent", 60, 95, "%"),
            ],
        ),
    ],
}

PERSONAL_GOALS: dict[str, list[Template]] = {
    "eng": [
        (
            "Migrate the billing service to the new platform",
            "performance",
            [
                ("Endpoints migrated", "percent", 0, 100, "%"),
                ("Error rate after cut-over", "percent", 1.5, 0.2, "%"),
            ],
        ),
        (
            "Raise test coverage of my area",
            "performance",
            [("Line coverage", "percent", 54, 80, "%"), ("Flaky tests", "number", 14, 2, "tests")],
        ),
        (
            "Learn Kubernetes operations",
            "development",
            [
                ("CKA course modules done", "number", 0, 12, "modules"),
                ("Led an on-call rotation", "boolean", 0, 1, ""),
            ],
        ),
        (
            "Speed up the mobile app start",
            "performance",
            [("Cold start time", "number", 3.1, 1.5, "s")],
        ),
    ],
    "data": [
        (
            "Build the churn prediction model",
            "performance",
            [
                ("Model AUC", "number", 0.62, 0.8, "AUC"),
                ("Model in production", "boolean", 0, 1, ""),
            ],
        ),
        (
            "Document the core data sets",
            "performance",
            [("Tables documented", "number", 10, 60, "tables")],
        ),
        (
            "Get better at experiment design",
            "development",
            [("Experiments designed and reviewed", "number", 0, 4, "experiments")],
        ),
    ],
    "it": [
        (
            "Automate laptop set-up",
            "performance",
            [
                ("Set-up steps automated", "percent", 20, 90, "%"),
                ("Set-up time", "number", 240, 60, "min"),
            ],
        ),
        (
            "Close the ticket backlog",
            "performance",
            [("Open tickets older than a week", "number", 48, 5, "tickets")],
        ),
        (
            "Earn a cloud certification",
            "development",
            [("Practice exams passed", "number", 0, 3, "exams")],
        ),
    ],
    "sales": [
        (
            "Close my quarterly quota",
            "performance",
            [
                ("Bookings", "currency", 0, 90_000, "EUR"),
                ("Discovery calls held", "number", 0, 40, "calls"),
            ],
        ),
        (
            "Open two new enterprise accounts",
            "performance",
            [("New enterprise accounts", "number", 0, 2, "accounts")],
        ),
        (
            "Sharpen negotiation skills",
            "development",
            [("Negotiation workshop sessions", "number", 0, 6, "sessions")],
        ),
    ],
    "marketing": [
        (
            "Launch the autumn campaign",
            "performance",
            [
                ("Campaign leads", "number", 0, 250, "leads"),
                ("Landing page conversion", "percent", 2.1, 4, "%"),
            ],
        ),
        (
            "Grow organic traffic",
            "performance",
            [("Monthly organic visits", "number", 18_000, 26_000, "visits")],
        ),
        (
            "Learn marketing analytics",
            "development",
            [("Course chapters done", "number", 0, 10, "chapters")],
        ),
    ],
    "cs": [
        (
            "Keep my accounts healthy",
            "performance",
            [
                ("Accounts with a health score above 70", "percent", 70, 95, "%"),
                ("Open escalations", "number", 6, 1, "escalations"),
            ],
        ),
        (
            "Answer tickets faster",
            "performance",
            [
                ("First response time", "number", 6, 2, "h"),
                ("Customer satisfaction", "percent", 86, 93, "%"),
            ],
        ),
        (
            "Become a product expert",
            "development",
            [("Product certification levels", "number", 0, 3, "levels")],
        ),
    ],
    "people": [
        (
            "Shorten the hiring process",
            "performance",
            [("Days from application to offer", "number", 38, 24, "days")],
        ),
        (
            "Automate month-end reports",
            "performance",
            [("Reports automated", "number", 0, 8, "reports")],
        ),
        (
            "Grow as an HR business partner",
            "development",
            [
                ("Coaching sessions with a mentor", "number", 0, 6, "sessions"),
                ("Ran a workshop", "boolean", 0, 1, ""),
            ],
        ),
    ],
    "leadership": [
        (
            "Hire and onboard the open roles",
            "performance",
            [
                ("Open roles filled", "number", 0, 3, "hires"),
                ("Time to productivity", "number", 90, 60, "days"),
            ],
        ),
        (
            "Run regular check-ins with everyone",
            "performance",
            [("Check-ins held on schedule", "percent", 50, 95, "%")],
        ),
        (
            "Become a better coach",
            "development",
            [("Coaching course modules", "number", 0, 8, "modules")],
        ),
    ],
}

POSITION_DOMAIN = {
    "SE": "eng",
    "SSE": "eng",
    "PD": "eng",
    "EM": "eng",
    "DA": "data",
    "ITS": "it",
    "AE": "sales",
    "SM": "sales",
    "MKT": "marketing",
    "CSM": "cs",
    "SUP": "cs",
    "HRBP": "people",
    "ADM": "people",
    "CEO": "leadership",
    "DIR": "leadership",
    "HOD": "leadership",
    "TL": "leadership",
}

UNIT_DOMAIN_WORDS = [
    ("platform", "eng"),
    ("mobile", "eng"),
    ("engineering", "eng"),
    ("data", "data"),
    ("it support", "it"),
    ("sales", "sales"),
    ("marketing", "marketing"),
    ("customer", "cs"),
    ("people", "people"),
]

# Story of a goal: (share of goals, name).
STORIES = [
    (0.52, "on track"),
    (0.16, "at risk"),
    (0.14, "stale"),
    (0.12, "completed"),
    (0.06, "draft"),
]


@dataclass
class GoalSeedStats:
    goals: int = 0
    key_results: int = 0
    updates: int = 0


@dataclass
class _PlannedGoal:
    values: dict[str, Any]
    key_results: list[KR]
    story: str
    parent_index: int | None = None  # index into the previous level's goals
    parent_id: int | None = None
    created_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _unit_domain(name: str) -> str:
    lowered = name.lower()
    return next((domain for word, domain in UNIT_DOMAIN_WORDS if word in lowered), "generic")


def _story(rng: random.Random) -> str:
    roll = rng.random()
    for share, name in STORIES:
        if roll < share:
            return name
        roll -= share
    return STORIES[0][1]


def _at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(8 + rng.randint(0, 9), rng.randint(0, 59)), tzinfo=UTC)


def ensure_cycle(session: Session, today: date) -> GoalCycle:
    name, starts_on, ends_on = quarter_of(today)
    cycle = session.exec(select(GoalCycle).where(GoalCycle.name == name)).first()
    if cycle is None:
        cycle = GoalCycle(name=name, starts_on=starts_on, ends_on=ends_on)
        session.add(cycle)
        session.flush()
    return cycle


def _history(
    rng: random.Random,
    kr: KR,
    story: str,
    *,
    first_day: date,
    today: date,
    elapsed: float,
) -> list[tuple[datetime, float, str, str]]:
    """(at, value, confidence, note) from the first day to the story's last update."""
    _, metric, start, target, _ = kr
    if story == "draft":
        return [(_at(first_day, rng), start, "on track", "Created")]
    if story == "stale":
        last_day = today - timedelta(days=rng.randint(23, 40))
        reached = rng.uniform(0.1, 0.5) * elapsed
    elif story == "at risk":
        last_day = today - timedelta(days=rng.randint(0, 9))
        reached = rng.uniform(0.0, 0.3) * elapsed
    elif story == "completed":
        last_day = today - timedelta(days=rng.randint(2, 12))
        reached = rng.uniform(0.85, 1.1)
    else:
        last_day = today - timedelta(days=rng.randint(0, 12))
        reached = min(1.0, elapsed * rng.uniform(0.8, 1.25))
    last_day = max(last_day, first_day)
    days: list[date] = [first_day]
    while True:
        step = days[-1] + timedelta(days=rng.randint(8, 15))
        if step >= last_day:
            break
        days.append(step)
    if last_day > first_day:
        days.append(last_day)
    points: list[tuple[datetime, float, str, str]] = []
    for index, day in enumerate(days):
        share = 0.0 if index == 0 else reached * index / (len(days) - 1)
        value = start + (target - start) * share
        if metric == "boolean":
            value = 1.0 if share >= 0.6 else 0.0
        elif abs(target - start) >= 20:
            value = round(value)
        else:
            value = round(value, 2)
        confidence = "on track"
        note = "Created" if index == 0 else ""
        if story == "at risk" and index >= len(days) - 2 and index > 0:
            confidence = rng.choice(["at risk", "off track"])
            note = rng.choice(
                [
                    "Blocked on another team.",
                    "Scope grew; need to re-plan.",
                    "Lost two weeks to incidents.",
                ]
            )
        elif index > 0 and rng.random() < 0.25:
            note = rng.choice(["Good week.", "Steady progress.", "Paired with a colleague on it."])
        points.append((_at(day, rng), value, confidence, note))
    return points


def load_goals(
    session: Session,
    *,
    today: date,
    rng: random.Random,
    progress: Progress | None = None,
) -> GoalSeedStats:
    """Goals for every unit and active person in the database, for the cycle
    containing `today`."""
    report = progress or (lambda _label, _share: None)
    cycle = ensure_cycle(session, today)
    assert cycle.id is not None
    elapsed = max(
        0.1,
        min(1.0, (today - cycle.starts_on).days / max((cycle.ends_on - cycle.starts_on).days, 1)),
    )
    first_day = min(cycle.starts_on + timedelta(days=2), today - timedelta(days=42))
    units = {
        uid: (parent, name)
        for uid, parent, name in session.exec(select(OrgUnit.id, OrgUnit.parent_id, OrgUnit.name))
        if uid is not None
    }
    people = [
        (pid, unit_id, code)
        for pid, unit_id, code in session.exec(
            select(Person.id, Person.org_unit_id, Position.code)
            .join(Position, col(Position.id) == col(Person.position_id), isouter=True)
            .where(col(Person.active).is_(True))
            .order_by(col(Person.id))
        )
        if pid is not None
    ]
    populated: set[int] = set()
    for _, unit_id, _ in people:
        current: int | None = unit_id
        while current is not None and current not in populated:
            populated.add(current)
            current = units[current][0]
    roots = [uid for uid, (parent, _) in units.items() if parent is None]
    stats = GoalSeedStats()

    def base(title: str, kind: str, level: str, story: str) -> dict[str, Any]:
        status = {"completed": "completed", "draft": "draft"}.get(story, "active")
        return {
            "title": title,
            "description": "",
            "level": level,
            "kind": kind,
            "status": status,
            "owner_id": None,
            "org_unit_id": None,
            "parent_id": None,
            "cycle_id": cycle.id,
            "due_on": cycle.ends_on,
            "final_rating": rng.choice([3, 3, 4, 4, 5]) if status == "completed" else None,
            "version": 1,
        }

    # Company objectives.
    company: list[_PlannedGoal] = []
    for root in roots:
        for title, kind, krs in COMPANY_OBJECTIVES:
            values = base(title, kind, "company", "on track")
            values["org_unit_id"] = root
            company.append(_PlannedGoal(values, krs, "on track"))
    report("Company objectives", 0.05)
    _insert_goals(
        session, company, first_day=first_day, today=today, rng=rng, elapsed=elapsed, stats=stats
    )

    # Unit OKRs, top-down so each level can align to the one above.
    company_by_root: dict[int, list[int]] = {}
    for goal in company:
        company_by_root.setdefault(goal.values["org_unit_id"], []).append(goal.values["id"])
    company_ids = [g.values["id"] for g in company]
    unit_goal_ids: dict[int, list[int]] = {root: [] for root in roots}
    depth: dict[int, int] = {}

    def unit_depth(uid: int) -> int:
        if uid not in depth:
            parent = units[uid][0]
            depth[uid] = 0 if parent is None else unit_depth(parent) + 1
        return depth[uid]

    levels: dict[int, list[int]] = {}
    for uid in populated:
        if units[uid][0] is not None:
            levels.setdefault(unit_depth(uid), []).append(uid)
    for level_depth in sorted(levels):
        planned: list[_PlannedGoal] = []
        owners: list[int] = []
        for uid in sorted(levels[level_depth]):
            domain = _unit_domain(units[uid][1])
            templates = UNIT_OKRS.get(domain, UNIT_OKRS["generic"])
            parent_options = unit_goal_ids.get(units[uid][0] or 0) or company_by_root.get(
                _root_of(units, uid), company_ids
            )
            for title, kind, krs in templates[:2]:
                story = "at risk" if rng.random() < 0.12 else "on track"
                values = base(title, kind, "team", story)
                values["org_unit_id"] = uid
                values["parent_id"] = rng.choice(parent_options) if parent_options else None
                planned.append(_PlannedGoal(values, krs, story))
                owners.append(uid)
        _insert_goals(
            session,
            planned,
            first_day=first_day,
            today=today,
            rng=rng,
            elapsed=elapsed,
            stats=stats,
        )
        for uid, goal in zip(owners, planned, strict=True):
            unit_goal_ids.setdefault(uid, []).append(goal.values["id"])
    report("Unit OKRs", 0.2)

    # Individual goals, in batches.
    personal: list[_PlannedGoal] = []
    total = max(len(people), 1)
    for index, (person_id, unit_id, position_code) in enumerate(people):
        domain = POSITION_DOMAIN.get(position_code or "", "leadership")
        templates = PERSONAL_GOALS[domain]
        count = rng.randint(2, min(4, len(templates) + 1))
        chosen = rng.sample(templates, min(count, len(templates)))
        parent_options = unit_goal_ids.get(unit_id) or company_by_root.get(
            _root_of(units, unit_id), company_ids
        )
        for title, kind, krs in chosen:
            story = _story(rng)
            values = base(title, kind, "individual", story)
            values["owner_id"] = person_id
            values["created_by_id"] = person_id
            values["parent_id"] = (
                rng.choice(parent_options) if parent_options and rng.random() < 0.85 else None
            )
            personal.append(_PlannedGoal(values, krs, story))
        if len(personal) >= BATCH or index == len(people) - 1:
            _insert_goals(
                session,
                personal,
                first_day=first_day,
                today=today,
                rng=rng,
                elapsed=elapsed,
                stats=stats,
            )
            personal = []
            report("Individual goals", 0.2 + 0.8 * (index + 1) / total)
    _sync_sequences(session)
    session.flush()
    return stats


def _root_of(units: dict[int, tuple[int | None, str]], uid: int) -> int:
    current = uid
    seen = {uid}
    while units[current][0] is not None and units[current][0] not in seen:
        current = units[current][0]  # type: ignore[assignment]
        seen.add(current)
    return current


def _insert_with_ids(session: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Plain executemany with ids handed out here: RETURNING ids in row order
    makes SQLite insert one row per statement, which is ten times slower.
    The seeders run alone in their transaction (see seed.demo), and
    `_sync_sequences` moves PostgreSQL's sequences past the ids used."""
    connection = session.connection()
    table = model.__table__
    first = (connection.execute(select(func.max(table.c.id))).scalar() or 0) + 1
    ids = list(range(first, first + len(rows)))
    for row, row_id in zip(rows, ids, strict=True):
        row["id"] = row_id
    for begin in range(0, len(rows), BATCH):
        connection.execute(insert(table), rows[begin : begin + BATCH])
    return ids


def _sync_sequences(session: Session) -> None:
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return
    for name in ("goal", "keyresult", "progressupdate"):
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {name}), false)"
            )
        )


def _insert_goals(
    session: Session,
    planned: list[_PlannedGoal],
    *,
    first_day: date,
    today: date,
    rng: random.Random,
    elapsed: float,
    stats: GoalSeedStats,
) -> None:
    """Goals (ids come back in order), then key results, then their histories."""
    if not planned:
        return
    histories: list[list[list[tuple[datetime, float, str, str]]]] = []
    for goal in planned:
        start_day = first_day + timedelta(days=rng.randint(0, 6))
        per_kr = [
            _history(rng, kr, goal.story, first_day=start_day, today=today, elapsed=elapsed)
            for kr in goal.key_results
        ]
        histories.append(per_kr)
        created = min(points[0][0] for points in per_kr)
        last = max(points[-1][0] for points in per_kr)
        goal.values["created_at"] = created
        goal.values["updated_at"] = last
        goal.values["closed_at"] = last if goal.values["status"] == "completed" else None
        goal.values.setdefault("created_by_id", None)
    goal_ids = _insert_with_ids(session, Goal, [goal.values for goal in planned])
    for goal, goal_id in zip(planned, goal_ids, strict=True):
        goal.values["id"] = goal_id
    kr_rows: list[dict[str, Any]] = []
    kr_histories: list[list[tuple[datetime, float, str, str]]] = []
    for goal, per_kr in zip(planned, histories, strict=True):
        for (title, metric, start, target, unit), points in zip(
            goal.key_results, per_kr, strict=True
        ):
            kr_rows.append(
                {
                    "goal_id": goal.values["id"],
                    "title": title,
                    "metric": metric,
                    "start_value": float(start),
                    "target_value": float(target),
                    "current_value": float(points[-1][1]),
                    "unit": unit,
                    "weight": 1.0,
                    "version": 1,
                }
            )
            kr_histories.append(points)
    kr_ids = _insert_with_ids(session, KeyResult, kr_rows)
    owner_of = {goal.values["id"]: goal.values.get("owner_id") for goal in planned}
    updates = [
        {
            "key_result_id": kr_id,
            "value": float(value),
            "confidence": confidence,
            "note": note,
            "author_id": owner_of.get(row["goal_id"]),
            "at": at,
        }
        for kr_id, row, points in zip(kr_ids, kr_rows, kr_histories, strict=True)
        for at, value, confidence, note in points
    ]
    _insert_with_ids(session, ProgressUpdate, updates)
    stats.goals += len(planned)
    stats.key_results += len(kr_rows)
    stats.updates += len(updates)


def seed_demo_goals(session: Session, *, today: date | None = None) -> None:
    """The demo step: goals for Northwind Labs around the real today."""
    load_goals(session, today=today or date.today(), rng=random.Random(DEMO_GOALS_SEED))


def generate_goals(session: Session, rng: random.Random, progress: Progress) -> None:
    """The generator step (seed.generate): goals at any scale."""
    load_goals(session, today=date.today(), rng=rng, progress=progress)
