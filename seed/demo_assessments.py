"""Demo and generated assessments with realistic patterns, and learning items.

Every person with a role profile gets ratings for their role's competencies:
a self-assessment (a little optimistic on average) and, for most people, a
manager rating. Some teams are weak in a competency or two, a few people are
well above what their role needs (hidden expertise), and a few competencies
stay unassessed (unknown). Inserted in bulk, then `CurrentLevel` is rebuilt
with one window query, so 10,000 people take seconds.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert
from sqlmodel import Session, col, select

from core.assessments import rebuild_current_levels
from db.models import (
    Assessment,
    Competency,
    Framework,
    LearningAssignment,
    LearningItem,
    LearningStatus,
    OrgUnit,
    Person,
    RoleRequirement,
    ScaleValue,
    UserAccount,
)
from seed.org import Progress

DEMO_TODAY = date(2026, 11, 1)
BATCH = 5_000
UNASSESSED_SHARE = 0.05
MANAGER_RATED_SHARE = 0.85
EXPERT_SHARE = 0.06
EARLIER_SELF_SHARE = 0.3

# Demo patterns: team code → competency codes the team is weak in.
DEMO_WEAK_TEAMS: dict[str, list[str]] = {
    "MOB": ["TS-TEST", "CB-COMMS"],
    "SALES": ["CB-COLLAB"],
    "CS": ["CB-OWN"],
    "ITS": ["TS-SEC"],
}
# username → (competency code, levels above the requirement): hidden expertise.
DEMO_EXPERTS: dict[str, tuple[str, int]] = {
    "emma": ("TS-CLOUD", 2),
}
# Left unassessed on purpose, to show "unknown" in the demo.
DEMO_UNASSESSED: dict[str, list[str]] = {"emma": ["CB-LEAD"]}


def _at(rng: random.Random, today: date, days_back: tuple[int, int]) -> datetime:
    day = today - timedelta(days=rng.randint(*days_back))
    return datetime(
        day.year, day.month, day.day, rng.randint(8, 17), rng.randint(0, 59), tzinfo=UTC
    )


def _row(
    person_id: int, competency_id: int, value_id: int, *, source: str, rater_id: int, at: datetime
) -> dict[str, object]:
    """One Assessment row for the bulk insert (demo ratings carry no text)."""
    return {
        "person_id": person_id,
        "competency_id": competency_id,
        "value_id": value_id,
        "source": source,
        "rater_id": rater_id,
        "comment": "",
        "evidence": "",
        "at": at,
    }


def generate_assessment_rows(
    session: Session,
    rng: random.Random,
    *,
    today: date = DEMO_TODAY,
    weak: dict[int, set[int]] | None = None,
    experts: dict[int, tuple[int, int]] | None = None,
    unassessed: dict[int, set[int]] | None = None,
    progress: Progress | None = None,
) -> int:
    """Insert ratings for every active person's role competencies.

    `weak`: unit id → competency ids the unit is weak in (random when None);
    `experts`: person id → (competency id, levels above requirement) (random
    when None); `unassessed`: person id → competency ids left out."""
    report = progress or (lambda _label, _share: None)
    people = session.exec(
        select(Person.id, Person.org_unit_id, Person.position_id, Person.manager_id).where(
            col(Person.active).is_(True)
        )
    ).all()
    requirement_rows = session.exec(
        select(
            RoleRequirement.position_id,
            RoleRequirement.competency_id,
            ScaleValue.rank,
            ScaleValue.scale_id,
        ).join(ScaleValue, col(ScaleValue.id) == col(RoleRequirement.required_value_id))
    ).all()
    by_position: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for role_id, role_competency, role_rank, role_scale in requirement_rows:
        by_position[role_id].append((role_competency, role_rank, role_scale))
    value_of: dict[int, dict[int, int]] = defaultdict(dict)
    for value_id, scale_id, rank in session.exec(
        select(ScaleValue.id, ScaleValue.scale_id, ScaleValue.rank)
    ).all():
        value_of[scale_id][rank] = value_id or 0
    if weak is None:
        weak = {}
        unit_competencies: dict[int, set[int]] = defaultdict(set)
        for _pid, person_unit, person_position, _m in people:
            unit_competencies[person_unit].update(
                c for c, _, _ in by_position.get(person_position or 0, [])
            )
        for weak_unit, competencies in unit_competencies.items():
            if competencies and rng.random() < 0.5:
                weak[weak_unit] = set(rng.sample(sorted(competencies), min(2, len(competencies))))
    if experts is None:
        experts = {}
        for expert_id, _u, expert_position, _m in people:
            needs = by_position.get(expert_position or 0, [])
            if needs and rng.random() < EXPERT_SHARE:
                experts[expert_id or 0] = (rng.choice(needs)[0], 2)
    unassessed = unassessed or {}

    rows: list[dict[str, object]] = []
    total = 0
    for index, (pid, unit_id, position_id, manager_id) in enumerate(people):
        person_id = pid or 0
        skip = unassessed.get(person_id, set())
        for competency_id, required, scale_id in by_position.get(position_id or 0, []):
            if competency_id in skip or rng.random() < UNASSESSED_SHARE:
                continue
            top = max(value_of[scale_id])
            true_level = required + round(rng.gauss(0.0, 0.6))
            if competency_id in weak.get(unit_id, set()):
                true_level -= rng.choice((1, 1, 2))
            expert = experts.get(person_id)
            if expert and expert[0] == competency_id:
                true_level = required + expert[1]
            true_level = min(max(true_level, 1), top)
            own_view = min(max(true_level + (1 if rng.random() < 0.3 else 0), 1), top)
            if rng.random() < EARLIER_SELF_SHARE:  # history: an older, lower self-view
                rows.append(
                    _row(
                        person_id,
                        competency_id,
                        value_of[scale_id][max(own_view - 1, 1)],
                        source="self",
                        rater_id=person_id,
                        at=_at(rng, today, (120, 240)),
                    )
                )
            rows.append(
                _row(
                    person_id,
                    competency_id,
                    value_of[scale_id][own_view],
                    source="self",
                    rater_id=person_id,
                    at=_at(rng, today, (40, 90)),
                )
            )
            if manager_id and rng.random() < MANAGER_RATED_SHARE:
                rows.append(
                    _row(
                        person_id,
                        competency_id,
                        value_of[scale_id][true_level],
                        source="manager",
                        rater_id=manager_id,
                        at=_at(rng, today, (5, 39)),
                    )
                )
        if len(rows) >= BATCH:
            session.execute(insert(Assessment), rows)
            total += len(rows)
            rows = []
            report("Assessments", 0.8 * (index + 1) / max(len(people), 1))
    if rows:
        session.execute(insert(Assessment), rows)
        total += len(rows)
    report("Current levels", 0.85)
    rebuild_current_levels(session)
    report("Assessments", 1.0)
    return total


# --- learning catalogue --------------------------------------------------------

_DEMO_LEARNING: list[tuple[str, str, int, float, str]] = [
    # competency code, title, target rank, hours, url
    ("TS-TEST", "Test-driven development workshop", 3, 8.0, "https://learning.example/tdd"),
    ("TS-TEST", "Property-based testing in practice", 4, 4.0, "https://learning.example/pbt"),
    ("TS-DESIGN", "Designing for change", 3, 6.0, "https://learning.example/design"),
    ("TS-CLOUD", "Cloud fundamentals", 2, 10.0, "https://learning.example/cloud"),
    ("TS-CLOUD", "Running services in production", 3, 12.0, "https://learning.example/sre"),
    ("TS-SQL", "SQL for analysts", 3, 8.0, "https://learning.example/sql"),
    ("TS-DATA", "Storytelling with data", 3, 5.0, "https://learning.example/story"),
    ("TS-SEC", "Security awareness essentials", 2, 2.0, "https://learning.example/sec"),
    ("TS-SEC", "Hardening laptops and accounts", 3, 6.0, "https://learning.example/hardening"),
    ("TS-TROUBLE", "Structured troubleshooting", 3, 4.0, "https://learning.example/trouble"),
    ("CB-COMMS", "Clear writing at work", 2, 3.0, "https://learning.example/writing"),
    ("CB-COMMS", "Difficult conversations", 3, 6.0, "https://learning.example/conversations"),
    ("CB-COLLAB", "Working across teams", 3, 4.0, "https://learning.example/collab"),
    ("CB-OWN", "From tasks to outcomes", 2, 3.0, "https://learning.example/ownership"),
    ("CB-CUST", "Customer discovery interviews", 3, 5.0, "https://learning.example/discovery"),
    ("CB-LEAD", "Coaching skills for new leads", 2, 8.0, "https://learning.example/coaching"),
]


def seed_learning_items(session: Session) -> list[int]:
    codes = dict(
        session.exec(
            select(Competency.code, Competency.id)
            .join(Framework, col(Framework.id) == col(Competency.framework_id))
            .where(col(Framework.code).in_(["CORE", "TECH"]))
        ).all()
    )
    ids: list[int] = []
    for code, title, rank, hours, url in _DEMO_LEARNING:
        competency_id = codes.get(code)
        if competency_id is None:
            continue
        competency = session.get(Competency, competency_id)
        framework = session.get(Framework, competency.framework_id) if competency else None
        scale_id = (competency.scale_id if competency else None) or (
            framework.scale_id if framework else None
        )
        value_id = session.exec(
            select(ScaleValue.id).where(ScaleValue.scale_id == scale_id, ScaleValue.rank == rank)
        ).first()
        if value_id is None:
            continue
        item = LearningItem(
            title=title,
            url=url,
            competency_id=competency_id,
            target_value_id=value_id,
            hours=hours,
            description=f"Helps reach level {rank} in this competency.",
        )
        session.add(item)
        session.flush()
        ids.append(item.id or 0)
    return ids


def _ids_by_username(session: Session) -> dict[str, int]:
    return dict(session.exec(select(UserAccount.username, UserAccount.person_id)).all())


def _competency_ids(session: Session, codes: set[str]) -> dict[str, int]:
    return dict(
        (code, cid or 0)
        for code, cid in session.exec(
            select(Competency.code, Competency.id).where(col(Competency.code).in_(codes))
        ).all()
    )


def seed_demo_assessments(session: Session) -> None:
    """The demo step: Northwind's ratings, learning catalogue and a few assignments."""
    rng = random.Random(20261104)
    users = _ids_by_username(session)
    codes = _competency_ids(
        session,
        {c for cs in DEMO_WEAK_TEAMS.values() for c in cs}
        | {c for c, _ in DEMO_EXPERTS.values()}
        | {c for cs in DEMO_UNASSESSED.values() for c in cs},
    )
    units = dict(session.exec(select(OrgUnit.code, OrgUnit.id)).all())
    weak = {
        units[team] or 0: {codes[c] for c in competencies if c in codes}
        for team, competencies in DEMO_WEAK_TEAMS.items()
        if team in units
    }
    experts = {
        users[name]: (codes[code], above)
        for name, (code, above) in DEMO_EXPERTS.items()
        if name in users and code in codes
    }
    # A few more people with hidden expertise, chosen reproducibly.
    for pid, position_id in session.exec(
        select(Person.id, Person.position_id).order_by(col(Person.id))
    ).all():
        if pid in experts or position_id is None or rng.random() > 0.08:
            continue
        needs = session.exec(
            select(RoleRequirement.competency_id).where(RoleRequirement.position_id == position_id)
        ).all()
        if needs:
            experts[pid or 0] = (rng.choice(sorted(needs)), 2)
    unassessed = {
        users[name]: {codes[c] for c in cs if c in codes}
        for name, cs in DEMO_UNASSESSED.items()
        if name in users
    }
    generate_assessment_rows(session, rng, weak=weak, experts=experts, unassessed=unassessed)
    items = seed_learning_items(session)
    maya, emma = users.get("maya"), users.get("emma")
    if maya and emma and items:
        session.add(
            LearningAssignment(
                person_id=emma,
                item_id=items[0],
                assigned_by_id=maya,
                due_on=DEMO_TODAY + timedelta(days=30),
                status=LearningStatus.in_progress.value,
            )
        )
    session.flush()


def generate_assessments(session: Session, rng: random.Random, progress: Progress) -> None:
    """Generation step: ratings for everyone, and the demo learning catalogue."""
    progress("Assessments", 0.0)
    generate_assessment_rows(session, rng, progress=progress)
    seed_learning_items(session)
    progress("Assessments", 1.0)
