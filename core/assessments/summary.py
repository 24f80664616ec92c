"""The level summary behind the organisation heatmap (db.models.level_summary),
kept in the writers' own transactions.

Every active person with a position counts once, in each unit of their unit
chain (their own and every unit above it), for each current level:
(unit, position, competency, level) → people. Writers:

- a rating, self-assessment or 360 result (`_refresh_current_level`) moves one
  count from the old level to the new (`shift_current_level`);
- writes that move, (de)activate or import people run inside
  `tracking_people`: the people's counts before and after, the difference
  applied;
- bulk loads (`rebuild_current_levels` without people, the generator, the
  demo) and re-parenting units call `rebuild_level_summary`.

Concurrency: counts change by `people = people + :d` in an upsert, never by a
value read in Python. What a writer subtracts is read after it has locked the
people concerned (`FOR NO KEY UPDATE`, the lock every rating and every person
update takes on PostgreSQL; SQLite's write transactions are serial), so two
writers of one person take turns and neither works from the other's stale
view. A full rebuild locks the table first (PostgreSQL), so deltas of writers
still running land on top of it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Boolean, bindparam, delete, func, text, tuple_
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from db.models import CurrentLevel, LevelSummary, OrgUnit, Person

# (unit, position, competency, level)
Key = tuple[int, int, int, int]

# Beyond this many people a tracked write rebuilds the whole summary instead
# (an HR import of the organisation): one statement beats 10,000 people's
# counts before and after.
REBUILD_ABOVE = 2_000
_CHUNK = 900  # ids per IN list (SQLite allows 999 variables per statement by default)

# Each unit → itself and every unit above it (a cycle stops at depth 64).
REBUILD = """
WITH RECURSIVE chain(unit_id, ancestor_id, depth) AS (
    SELECT id, id, 0 FROM orgunit
    UNION ALL
    SELECT chain.unit_id, orgunit.parent_id, chain.depth + 1
    FROM chain JOIN orgunit ON orgunit.id = chain.ancestor_id
    WHERE orgunit.parent_id IS NOT NULL AND chain.depth < 64
)
INSERT INTO level_summary (unit_id, position_id, competency_id, value_id, people)
SELECT chain.ancestor_id, person.position_id, currentlevel.competency_id,
       currentlevel.value_id, COUNT(*)
FROM currentlevel
JOIN person ON person.id = currentlevel.person_id
JOIN chain ON chain.unit_id = person.org_unit_id
WHERE person.active = :yes AND person.position_id IS NOT NULL
GROUP BY chain.ancestor_id, person.position_id, currentlevel.competency_id,
         currentlevel.value_id
"""

_CHAINS_OF = """
WITH RECURSIVE chain(unit_id, ancestor_id, depth) AS (
    SELECT id, id, 0 FROM orgunit WHERE id IN :ids
    UNION ALL
    SELECT chain.unit_id, orgunit.parent_id, chain.depth + 1
    FROM chain JOIN orgunit ON orgunit.id = chain.ancestor_id
    WHERE orgunit.parent_id IS NOT NULL AND chain.depth < 64
)
SELECT unit_id, ancestor_id FROM chain ORDER BY unit_id, depth
"""


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _read_chains(session: Session, wanted: list[int]) -> dict[int, list[int]]:
    chains: dict[int, list[int]] = {u: [] for u in wanted}
    for chunk in _chunks(wanted):
        statement = text(_CHAINS_OF).bindparams(bindparam("ids", expanding=True))
        for unit_id, ancestor_id in session.execute(statement, {"ids": chunk}).all():
            chains[unit_id].append(ancestor_id)
    return chains


def unit_chains(session: Session, unit_ids: Iterable[int]) -> dict[int, list[int]]:
    """Each unit → itself and every unit above it (one recursive query).

    On PostgreSQL the chains' units are share-locked until the transaction
    ends, and read again until they stay the same: a re-parenting that has
    not committed yet would otherwise let a rating add its counts to the old
    division after the re-parenting's rebuild (a row lock makes the two wait
    for each other instead). SQLite's writers already run one at a time."""
    wanted = sorted(set(unit_ids))
    chains = _read_chains(session, wanted)
    if session.get_bind().dialect.name != "postgresql":
        return chains
    while True:
        units = sorted({unit for chain in chains.values() for unit in chain})
        for chunk in _chunks(units):
            session.execute(
                sa_select(col(OrgUnit.id))
                .where(col(OrgUnit.id).in_(chunk))
                .order_by(col(OrgUnit.id))
                .with_for_update(read=True)
            )
        again = _read_chains(session, wanted)
        if again == chains:
            return chains
        chains = again


def _lock_people(session: Session, person_ids: list[int]) -> None:
    for chunk in _chunks(person_ids):
        session.execute(
            sa_select(col(Person.id))
            .where(col(Person.id).in_(chunk))
            .order_by(col(Person.id))
            .with_for_update(key_share=True)
        )


def people_counts(session: Session, person_ids: Iterable[int]) -> Counter[Key]:
    """What these people contribute to the summary now, read from the database."""
    ids = sorted(set(person_ids))
    own: Counter[Key] = Counter()
    for chunk in _chunks(ids):
        rows = session.execute(
            sa_select(
                col(Person.org_unit_id),
                col(Person.position_id),
                col(CurrentLevel.competency_id),
                col(CurrentLevel.value_id),
                func.count(),
            )
            .select_from(CurrentLevel)
            .join(Person, col(Person.id) == col(CurrentLevel.person_id))
            .where(
                col(CurrentLevel.person_id).in_(chunk),
                col(Person.active).is_(True),
                col(Person.position_id).is_not(None),
            )
            .group_by(
                col(Person.org_unit_id),
                col(Person.position_id),
                col(CurrentLevel.competency_id),
                col(CurrentLevel.value_id),
            )
        ).all()
        for unit, position, competency, value, n in rows:
            own[(unit, position, competency, value)] += n
    chains = unit_chains(session, {k[0] for k in own})
    counts: Counter[Key] = Counter()
    for (unit, position, competency, value), n in own.items():
        for ancestor in chains.get(unit, [unit]):
            counts[(ancestor, position, competency, value)] += n
    return counts


def apply_deltas(session: Session, deltas: Counter[Key] | dict[Key, int]) -> None:
    """Add each delta to its row atomically (insert or `people = people + d`),
    then drop the rows that fell to zero."""
    changes = [
        {"unit_id": k[0], "position_id": k[1], "competency_id": k[2], "value_id": k[3], "people": d}
        for k, d in sorted(deltas.items())
        if d
    ]
    if not changes:
        return
    table: Any = LevelSummary.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert: Any = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    statement = insert.on_conflict_do_update(
        index_elements=["unit_id", "position_id", "competency_id", "value_id"],
        set_={"people": table.c.people + insert.excluded.people},
    )
    session.execute(statement, changes)
    lowered = [
        (c["unit_id"], c["position_id"], c["competency_id"], c["value_id"])
        for c in changes
        if c["people"] < 0
    ]
    key = tuple_(table.c.unit_id, table.c.position_id, table.c.competency_id, table.c.value_id)
    for start in range(0, len(lowered), _CHUNK // 4):
        # Only the rows just lowered, by primary key (a range over a unit's
        # rows made every rating scan the company's thousands of rows).
        session.execute(
            delete(table).where(key.in_(lowered[start : start + _CHUNK // 4]), table.c.people <= 0)
        )


def shift_current_level(
    session: Session,
    *,
    person_id: int,
    competency_id: int,
    old_value_id: int | None,
    new_value_id: int | None,
) -> None:
    """One person's current level of one competency changed (the person is
    already locked by the caller)."""
    if old_value_id == new_value_id:
        return
    row = session.execute(
        sa_select(col(Person.org_unit_id), col(Person.position_id), col(Person.active)).where(
            col(Person.id) == person_id
        )
    ).one()
    unit_id, position_id, active = row
    if not active or position_id is None:
        return
    deltas: Counter[Key] = Counter()
    for ancestor in unit_chains(session, [unit_id]).get(unit_id, [unit_id]):
        if old_value_id is not None:
            deltas[(ancestor, position_id, competency_id, old_value_id)] -= 1
        if new_value_id is not None:
            deltas[(ancestor, position_id, competency_id, new_value_id)] += 1
    apply_deltas(session, deltas)


@contextmanager
def tracking_people(session: Session, person_ids: Iterable[int]) -> Iterator[None]:
    """Around a write that may move, (de)activate or re-level these people:
    locks them, counts what they contribute before and after the block and
    applies the difference (or rebuilds everything for a large set). Pending
    ORM changes of the block are flushed at its end."""
    ids = sorted({int(i) for i in person_ids})
    if len(ids) > REBUILD_ABOVE:
        yield
        session.flush()
        rebuild_level_summary(session)
        return
    if not ids:
        yield
        return
    with session.no_autoflush:
        _lock_people(session, ids)
        before = people_counts(session, ids)
    yield
    session.flush()
    after = people_counts(session, ids)
    after.subtract(before)
    apply_deltas(session, after)


def rebuild_level_summary(session: Session) -> int:
    """Recompute the whole summary in SQL; returns the rows written."""
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        # Writers still running add their deltas after this has committed.
        session.execute(text("LOCK TABLE level_summary IN EXCLUSIVE MODE"))
    session.execute(delete(LevelSummary.__table__))  # type: ignore[attr-defined]
    session.execute(text(REBUILD).bindparams(bindparam("yes", True, type_=Boolean())))
    count = session.execute(sa_select(func.count()).select_from(LevelSummary)).scalar_one()
    return int(count)


def summary_rows(session: Session) -> dict[Key, int]:
    """The summary as stored, zero rows left out (tests compare it)."""
    rows = session.execute(
        sa_select(
            col(LevelSummary.unit_id),
            col(LevelSummary.position_id),
            col(LevelSummary.competency_id),
            col(LevelSummary.value_id),
            col(LevelSummary.people),
        )
    ).all()
    return {(u, p, c, v): n for u, p, c, v, n in rows if n}


@contextmanager
def tracking_unit_moves(session: Session) -> Iterator[None]:
    """Around a write that may re-parent units: every count of the people
    below a moved unit changes units, so the summary is rebuilt if any
    existing unit's parent changed (rare: an HR reorganisation)."""
    before = _parents(session)
    yield
    session.flush()
    after = _parents(session)
    if any(after.get(unit, parent) != parent for unit, parent in before.items()):
        rebuild_level_summary(session)


def _parents(session: Session) -> dict[int, int | None]:
    rows = session.execute(text("SELECT id, parent_id FROM orgunit")).all()
    return {int(i): (None if p is None else int(p)) for i, p in rows}
