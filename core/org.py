"""The organisation as data: reporting lines and the unit tree.

Scopes are computed from `Person.manager_id` and `OrgUnit.parent_id` at query
time, never cached. Who manages a unit: a person manages unit U when their own
org unit is U or an ancestor of U ("up the chain") AND at least one of their
direct or indirect reports sits in U or below it ("has reports there"). So a
team lead manages their team, a director their division and every unit of it
where their reporting line reaches, the CEO every unit with people; someone
without reports manages nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from db.models import OrgUnit, Person


def reports_query(manager_id: int, *, direct_only: bool = False) -> Any:
    """A SELECT of the ids of everyone below `manager_id` in the reporting line
    (one recursive CTE), to embed in other queries as `Person.id IN (...)`."""
    if direct_only:
        return sa_select(col(Person.id)).where(col(Person.manager_id) == manager_id)
    reports = (
        sa_select(col(Person.id).label("id"))
        .where(col(Person.manager_id) == manager_id)
        .cte("reports", recursive=True)
    )
    reports = reports.union(
        sa_select(col(Person.id).label("id")).where(col(Person.manager_id) == reports.c.id)
    )
    return sa_select(reports.c.id)


def report_ids(session: Session, *, manager_id: int, direct_only: bool = False) -> set[int]:
    """Everyone below `manager_id` in the reporting line."""
    rows = session.execute(reports_query(manager_id, direct_only=direct_only)).scalars()
    return {row for row in rows if row is not None}


def is_manager(session: Session, *, person_id: int) -> bool:
    count = session.exec(
        select(func.count()).select_from(Person).where(Person.manager_id == person_id)
    ).one()
    return count > 0


def unit_parents(session: Session) -> dict[int, int | None]:
    return {
        unit_id: parent_id
        for unit_id, parent_id in session.exec(select(OrgUnit.id, OrgUnit.parent_id)).all()
        if unit_id is not None
    }


def unit_chain(parents: dict[int, int | None], unit_id: int) -> list[int]:
    """`unit_id` and its ancestors, nearest first (a cycle in the data stops it)."""
    chain: list[int] = []
    current: int | None = unit_id
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain


def units_managed(
    *, own_unit_id: int | None, report_unit_ids: set[int], parents: dict[int, int | None]
) -> set[int]:
    """The units a person manages (the rule above), from plain values."""
    if own_unit_id is None:
        return set()
    managed: set[int] = set()
    for unit_id in report_unit_ids:
        chain = unit_chain(parents, unit_id)
        if own_unit_id not in chain:
            continue
        # The report's unit and its ancestors up to the manager's own unit.
        managed.update(chain[: chain.index(own_unit_id) + 1])
    return managed


def managed_unit_ids(
    session: Session, *, person_id: int, parents: dict[int, int | None] | None = None
) -> set[int]:
    """The units `person_id` manages (rule above), in two queries."""
    own_unit_id = session.exec(select(Person.org_unit_id).where(Person.id == person_id)).first()
    if own_unit_id is None:
        return set()
    report_units = set(
        session.exec(
            select(Person.org_unit_id)
            .where(col(Person.id).in_(reports_query(person_id)))
            .distinct()
        ).all()
    )
    if not report_units:
        return set()
    return units_managed(
        own_unit_id=own_unit_id,
        report_unit_ids=report_units,
        parents=parents if parents is not None else unit_parents(session),
    )


def list_units(session: Session, *, active_only: bool = False) -> list[tuple[int, str]]:
    """Directory data: every unit (or every active one), parents before
    children, indented names."""
    rows = session.exec(
        select(OrgUnit.id, OrgUnit.name, OrgUnit.parent_id, OrgUnit.active).order_by(OrgUnit.name)
    ).all()
    inactive = {unit_id for unit_id, _, _, active in rows if not active}
    children: dict[int | None, list[tuple[int, str]]] = {}
    for unit_id, name, parent_id, _active in rows:
        if unit_id is not None:
            children.setdefault(parent_id, []).append((unit_id, name))
    ordered: list[tuple[int, str]] = []
    stack = [(u, n, 0) for u, n in reversed(children.get(None, []))]
    while stack:
        unit_id, name, depth = stack.pop()
        if not (active_only and unit_id in inactive):
            ordered.append((unit_id, "  " * depth + name))
        stack.extend((u, n, depth + 1) for u, n in reversed(children.get(unit_id, [])))
    return ordered


def descendant_ids(parents: dict[int, int | None], unit_id: int) -> set[int]:
    """Every unit below `unit_id` (not itself), from plain values."""
    return {
        other for other in parents if other != unit_id and unit_id in unit_chain(parents, other)
    }
