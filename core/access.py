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
from typing import Any

from sqlmodel import Session

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
    audit: dict[str, Any] = {
        "actor_id": actor.person_id,
        "action": "access.denied",
        "entity": entity,
        "entity_id": None if entity_id is None else str(entity_id),
        "detail": json.dumps({"attempted": action}),
    }
    session.add(AuditEvent(**audit))
    session.flush()
    raise PermissionDenied(message, audit=audit)


# --- goals and OKRs (issue 5) ----------------------------------------------
#
# Who manages a unit: a person manages unit U when their own org unit is U or
# an ancestor of U ("up the chain") AND at least one of their direct or
# indirect reports sits in U or below it ("has reports there"). So a team
# lead manages their team, a director their division and every unit of it
# where their reporting line reaches, the CEO every unit with people; someone
# without reports manages nothing. Computed from Person.manager_id and
# OrgUnit.parent_id at query time, like every other scope.


def can_view_goal(
    actor: Actor,
    *,
    level: str,
    relation: Relation | None = None,
    unit_in_own_chain: bool = False,
    manages_unit: bool = False,
) -> bool:
    """Individual goals: like the person's record (self, managers up the chain,
    HR). Team and company goals: everyone in that unit or below it, the
    unit's managers, HR."""
    if level == "individual":
        return relation is not None and can_view_person_record(actor, relation)
    return actor.is_hr_admin or unit_in_own_chain or manages_unit


def can_edit_goal(
    actor: Actor, *, level: str, relation: Relation | None = None, manages_unit: bool = False
) -> bool:
    """Individual goals: the owner and their managers up the chain (HR reads
    them, it does not set people's goals). Team and company goals: the
    managers of that unit, and HR."""
    if level == "individual":
        return relation is not None and (
            relation is Relation.self_ or can_manage_report(actor, relation)
        )
    return actor.is_hr_admin or manages_unit


def can_read_goal_report(actor: Actor) -> bool:
    """Attainment reports: managers (about their reports) and HR (everyone)."""
    return actor.is_hr_admin or actor.is_manager


def can_manage_goal_cycles(actor: Actor) -> bool:
    return actor.is_hr_admin


# --- competencies and role maps (issue 3) ------------------------------------


def can_view_competencies(actor: Actor) -> bool:
    """Frameworks, level descriptors and every position's role map are the
    organisation's shared reference (career pathways need other roles' maps)."""
    return actor.person_id > 0


def can_edit_competencies(actor: Actor) -> bool:
    """Frameworks, scales, competencies, descriptors, role maps, imports."""
    return actor.is_hr_admin


# --- assessments, skills gaps and learning (issue 4) --------------------------


def can_self_assess(actor: Actor, relation: Relation) -> bool:
    return relation is Relation.self_


def can_rate_as_manager(actor: Actor, relation: Relation) -> bool:
    """Managers up the chain rate their reports; HR reads ratings, it does not give them."""
    return can_manage_report(actor, relation)


def can_view_assessments(actor: Actor, relation: Relation) -> bool:
    """A person's ratings and gaps are part of their record."""
    return can_view_person_record(actor, relation)


def can_view_team_gaps(actor: Actor) -> bool:
    """Managers, about their own reports only (the scope is applied in the query)."""
    return actor.is_manager


def can_view_org_gaps(actor: Actor) -> bool:
    """Organisation-wide heatmaps and insights name people across every unit."""
    return actor.is_hr_admin


def can_edit_learning_catalogue(actor: Actor) -> bool:
    return actor.is_hr_admin


def can_assign_learning(actor: Actor, relation: Relation) -> bool:
    return can_manage_report(actor, relation)


def can_update_learning_status(actor: Actor, relation: Relation) -> bool:
    """The learner tracks their own progress; their managers may too."""
    return relation is Relation.self_ or can_manage_report(actor, relation)
