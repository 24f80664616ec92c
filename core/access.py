"""Access rules of DESIGN.md, in one place.

Two layers:
- pure rule functions (`can_*`) that decide from an `Actor` and a `Relation`,
  unit-tested for every pair of people without a database;
- scope queries (`relation_between`, `report_ids`, `is_manager`) that compute
  the relation from `Person.manager_id` at query time, never from a cache.

`require` turns a refusal into an AuditEvent plus `PermissionDenied`.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from core.errors import PermissionDenied
from db.models import AuditEvent, Person


@dataclass(frozen=True)
class Actor:
    """The signed-in person, rebuilt from the database on every rerun."""

    person_id: int
    username: str
    full_name: str
    is_hr_admin: bool
    is_manager: bool

    @property
    def role_label(self) -> str:
        if self.is_hr_admin:
            return "HR admin"
        return "Manager" if self.is_manager else "Employee"


class Relation(enum.StrEnum):
    """How a target person stands to the viewer."""

    self_ = "self"
    direct_report = "direct report"
    indirect_report = "indirect report"
    other = "other"  # peers, managers, other units: nothing private is shared


# --- pure rules ----------------------------------------------------------


def can_view_directory_entry(actor: Actor) -> bool:
    """Name, position, unit, manager and work e-mail are the organisation's
    shared directory: every signed-in person sees them for active people."""
    return actor.person_id > 0


def can_view_person_record(actor: Actor, relation: Relation) -> bool:
    """Hire date, experience, employee code and later the person's goals,
    check-ins and assessments: self, their managers up the chain, HR."""
    return actor.is_hr_admin or relation in {
        Relation.self_,
        Relation.direct_report,
        Relation.indirect_report,
    }


def can_manage_report(actor: Actor, relation: Relation) -> bool:
    """Manager-only actions on a person (ratings, goals for them, check-ins)."""
    return relation in {Relation.direct_report, Relation.indirect_report}


def can_administer_people(actor: Actor) -> bool:
    """People import and edits, password resets, unlocking, settings."""
    return actor.is_hr_admin


def can_read_audit_log(actor: Actor) -> bool:
    return actor.is_hr_admin


def can_see_inactive_people(actor: Actor) -> bool:
    return actor.is_hr_admin


# --- scope queries ---------------------------------------------------------


def report_ids(session: Session, *, manager_id: int, direct_only: bool = False) -> set[int]:
    """Everyone below `manager_id` in the reporting line (one recursive query)."""
    if direct_only:
        rows = session.exec(select(Person.id).where(Person.manager_id == manager_id)).all()
        return {r for r in rows if r is not None}
    reports = (
        select(Person.id.label("id"))  # type: ignore[union-attr]
        .where(Person.manager_id == manager_id)
        .cte("reports", recursive=True)
    )
    reports = reports.union(
        select(Person.id.label("id")).where(  # type: ignore[union-attr]
            col(Person.manager_id) == reports.c.id
        )
    )
    return {row for row in session.exec(select(reports.c.id)).all()}


def is_manager(session: Session, *, person_id: int) -> bool:
    count = session.exec(
        select(func.count()).select_from(Person).where(Person.manager_id == person_id)
    ).one()
    return count > 0


def relation_between(session: Session, *, viewer_id: int, target_id: int) -> Relation:
    """Walk up from the target; a manager chain is short, so this is a few rows."""
    if viewer_id == target_id:
        return Relation.self_
    seen: set[int] = {target_id}
    current = session.get(Person, target_id)
    depth = 0
    while current is not None and current.manager_id is not None:
        depth += 1
        if current.manager_id == viewer_id:
            return Relation.direct_report if depth == 1 else Relation.indirect_report
        if current.manager_id in seen:  # a broken cycle in the data must not hang
            break
        seen.add(current.manager_id)
        current = session.get(Person, current.manager_id)
    return Relation.other


# --- refusal --------------------------------------------------------------


def require(
    allowed: bool,
    *,
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: object = None,
    message: str = "You don't have access to that.",
) -> None:
    """Raise `PermissionDenied` (and log it) unless `allowed`."""
    if allowed:
        return
    audit = {
        "actor_id": actor.person_id,
        "action": "access.denied",
        "entity": entity,
        "entity_id": None if entity_id is None else str(entity_id),
        "detail": json.dumps({"attempted": action}),
    }
    session.add(AuditEvent(**audit))
    session.flush()
    raise PermissionDenied(message, audit=audit)
