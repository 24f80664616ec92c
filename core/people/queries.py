"""Reads: the directory everyone sees, a person's record, the org chart."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, or_, select

from core.access import (
    Actor,
    Relation,
    can_see_inactive_people,
    can_view_person_record,
    relation_between,
    require,
)
from core.errors import NotFound
from core.text import LIKE_ESCAPE, contains_pattern
from db.models import OrgUnit, Person, Position

DIRECTORY_LIMIT = 500
ORG_CHART_MAX_NODES = 150
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
USERNAME_PATTERN = re.compile(r"^[a-z0-9._-]{3,80}$")


@dataclass(frozen=True)
class PersonCard:
    id: int
    full_name: str
    position_title: str | None
    unit_name: str
    email: str


@dataclass(frozen=True)
class PersonRecord:
    card: PersonCard
    employee_code: str
    manager_name: str | None
    hire_date: date | None
    years_experience: float | None
    active: bool
    direct_reports: int
    relation: Relation


@dataclass(frozen=True)
class Dashboard:
    me: PersonCard
    role_label: str
    manager: PersonCard | None
    reports: list[PersonCard]


def _card_query() -> Any:
    return (
        sa_select(
            col(Person.id),
            col(Person.full_name),
            col(Position.title),
            col(OrgUnit.name),
            col(Person.email),
        )
        .join(OrgUnit, col(OrgUnit.id) == col(Person.org_unit_id))
        .join(Position, col(Position.id) == col(Person.position_id), isouter=True)
    )


def _cards(session: Session, query: Any) -> list[PersonCard]:
    return [
        PersonCard(id=r[0], full_name=r[1], position_title=r[2], unit_name=r[3], email=r[4])
        for r in session.execute(query).all()
    ]


def _load_card(session: Session, person_id: int) -> PersonCard:
    cards = _cards(session, _card_query().where(Person.id == person_id))
    if not cards:
        raise NotFound("There is no such person.")
    return cards[0]


def get_dashboard(session: Session, *, actor: Actor) -> Dashboard:
    me = _load_card(session, actor.person_id)
    person = session.get(Person, actor.person_id)
    assert person is not None
    manager = _load_card(session, person.manager_id) if person.manager_id else None
    reports = _cards(
        session,
        _card_query()
        .where(Person.manager_id == actor.person_id, col(Person.active).is_(True))
        .order_by(Person.full_name),
    )
    return Dashboard(me=me, role_label=actor.role_label, manager=manager, reports=reports)


def list_directory(
    session: Session, *, actor: Actor, search: str | None = None, limit: int = DIRECTORY_LIMIT
) -> pd.DataFrame:
    """The shared directory (name, position, unit, manager, e-mail), searchable
    by name, e-mail, position or unit. Private fields are not part of it."""
    manager = aliased(Person)
    query = (
        sa_select(
            col(Person.id),
            col(Person.full_name),
            col(Position.title),
            col(OrgUnit.name),
            col(manager.full_name),
            col(Person.email),
            col(Person.active),
        )
        .join(OrgUnit, col(OrgUnit.id) == col(Person.org_unit_id))
        .join(Position, col(Position.id) == col(Person.position_id), isouter=True)
        .join(manager, col(manager.id) == col(Person.manager_id), isouter=True)
        .order_by(Person.full_name)
        .limit(limit)
    )
    if not can_see_inactive_people(actor):
        query = query.where(col(Person.active).is_(True))
    if search and search.strip():
        pattern = contains_pattern(search)
        query = query.where(
            or_(
                col(Person.full_name).ilike(pattern, escape=LIKE_ESCAPE),
                col(Person.email).ilike(pattern, escape=LIKE_ESCAPE),
                col(Position.title).ilike(pattern, escape=LIKE_ESCAPE),
                col(OrgUnit.name).ilike(pattern, escape=LIKE_ESCAPE),
            )
        )
    frame = pd.DataFrame(
        session.execute(query).all(),
        columns=["id", "name", "position", "unit", "manager", "email", "active"],
    )
    if not can_see_inactive_people(actor):
        frame = frame.drop(columns=["active"])
    return frame


def get_person_record(session: Session, *, actor: Actor, person_id: int) -> PersonRecord:
    """A person's full record: self, their managers up the chain, or HR."""
    person = session.get(Person, person_id)
    if person is None or (not person.active and not can_see_inactive_people(actor)):
        raise NotFound("There is no such person.")
    relation = relation_between(session, viewer_id=actor.person_id, target_id=person_id)
    require(
        can_view_person_record(actor, relation),
        session=session,
        actor=actor,
        action="view_record",
        entity="person",
        entity_id=person_id,
        message="You can only open your own record and those of people who report to you.",
    )
    manager_name = None
    if person.manager_id:
        manager_person = session.get(Person, person.manager_id)
        manager_name = manager_person.full_name if manager_person else None
    reports = session.exec(
        select(func.count()).select_from(Person).where(Person.manager_id == person_id)
    ).one()
    return PersonRecord(
        card=_load_card(session, person_id),
        employee_code=person.employee_code,
        manager_name=manager_name,
        hire_date=person.hire_date,
        years_experience=person.years_experience,
        active=person.active,
        direct_reports=reports,
        relation=relation,
    )


@dataclass(frozen=True)
class OrgChartNode:
    id: int
    full_name: str
    position_title: str | None
    manager_id: int | None
    is_viewer: bool


def get_org_chart(
    session: Session, *, actor: Actor, root_id: int | None = None, depth: int = 2
) -> list[OrgChartNode]:
    """A slice of the reporting tree: the root, and `depth` levels below it.

    By default the root is the viewer's manager, so people see their own team
    in context. The chart uses directory fields only, which everyone may see.
    """
    if root_id is None:
        me = session.get(Person, actor.person_id)
        root_id = me.manager_id if me and me.manager_id else actor.person_id
    root = session.get(Person, root_id)
    if root is None or not root.active:
        raise NotFound("There is no such person.")
    nodes = [root]
    frontier = [root_id]
    for _ in range(max(depth, 0)):
        if not frontier or len(nodes) >= ORG_CHART_MAX_NODES:
            break
        children = session.exec(
            select(Person)
            .where(col(Person.manager_id).in_(frontier), col(Person.active).is_(True))
            .order_by(Person.full_name)
        ).all()
        children = list(children)[: ORG_CHART_MAX_NODES - len(nodes)]
        nodes.extend(children)
        frontier = [c.id for c in children if c.id is not None]
    titles = dict(session.exec(select(Position.id, Position.title)).all())
    return [
        OrgChartNode(
            id=n.id or 0,
            full_name=n.full_name,
            position_title=titles.get(n.position_id) if n.position_id else None,
            manager_id=n.manager_id if n.id != root_id else None,
            is_viewer=n.id == actor.person_id,
        )
        for n in nodes
    ]


def org_chart_dot(nodes: list[OrgChartNode]) -> str:
    """Graphviz source for the chart; labels are escaped so names can't inject."""

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")

    lines = [
        "digraph org {",
        'rankdir=TB; node [shape=box, style="rounded,filled", fillcolor="#f4f6fb", '
        'fontname="sans-serif", fontsize=11];',
    ]
    for node in nodes:
        parts = [node.full_name] + ([node.position_title] if node.position_title else [])
        label = '"' + "\\n".join(escape(p) for p in parts) + '"'
        fill = ', fillcolor="#dbe7ff"' if node.is_viewer else ""
        lines.append(f"p{node.id} [label={label}{fill}];")
    for node in nodes:
        if node.manager_id is not None:
            lines.append(f"p{node.manager_id} -> p{node.id};")
    lines.append("}")
    return "\n".join(lines)
