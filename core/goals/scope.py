"""What an actor may see and edit among goals, computed once per call.

Who may do what:
- individual goals: the owner and their managers up the chain edit them;
  HR reads them;
- team and company goals: managers of the unit (core.org.units_managed)
  and HR edit them; everyone in the unit's chain reads them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from core.access import (
    Actor,
    Capability,
    Relation,
    can_edit_goal,
    can_view_goal,
    has,
    require,
)
from core.errors import NotFound
from core.org import managed_unit_ids, report_ids, unit_chain, unit_parents
from db.models import (
    Goal,
    GoalCycle,
    Person,
)

# --- scope ------------------------------------------------------------------


@dataclass
class GoalScope:
    """What the actor may see and edit among goals, computed once per call (feedback
    uses it too, to offer only goals the giver may see)."""

    actor: Actor
    parents: dict[int, int | None]
    own_unit_id: int | None
    own_chain: set[int]
    managed_units: set[int]
    reports: set[int]

    @classmethod
    def load(cls, session: Session, actor: Actor) -> GoalScope:
        parents = unit_parents(session)
        own_unit = session.exec(
            select(Person.org_unit_id).where(Person.id == actor.person_id)
        ).first()
        return cls(
            actor=actor,
            parents=parents,
            own_unit_id=own_unit,
            own_chain=set(unit_chain(parents, own_unit)) if own_unit else set(),
            managed_units=managed_unit_ids(session, person_id=actor.person_id, parents=parents),
            reports=report_ids(session, manager_id=actor.person_id)
            if has(actor, Capability.team_goals)
            else set(),
        )

    def relation(self, person_id: int | None) -> Relation | None:
        if person_id is None:
            return None
        if person_id == self.actor.person_id:
            return Relation.self_
        if person_id in self.reports:
            # Direct or indirect makes no difference to goal rules.
            return Relation.indirect_report
        return Relation.other

    def can_view(self, level: str, owner_id: int | None, unit_id: int | None) -> bool:
        return can_view_goal(
            self.actor,
            level=level,
            relation=self.relation(owner_id),
            unit_in_own_chain=unit_id in self.own_chain,
            manages_unit=unit_id in self.managed_units,
        )

    def can_edit(self, level: str, owner_id: int | None, unit_id: int | None) -> bool:
        return can_edit_goal(
            self.actor,
            level=level,
            relation=self.relation(owner_id),
            manages_unit=unit_id in self.managed_units,
        )

    def visible_people(self) -> set[int] | None:
        """People whose individual goals the actor sees; None means everyone."""
        if has(self.actor, Capability.read_all_records):
            return None
        return {self.actor.person_id, *self.reports}


def _require_view(session: Session, scope: GoalScope, goal: Goal) -> None:
    require(
        scope.can_view(goal.level, goal.owner_id, goal.org_unit_id),
        session=session,
        actor=scope.actor,
        action="view",
        entity="goal",
        entity_id=goal.id,
        message="You can't see that goal.",
    )


def _require_edit(session: Session, scope: GoalScope, goal: Goal, action: str) -> None:
    require(
        scope.can_edit(goal.level, goal.owner_id, goal.org_unit_id),
        session=session,
        actor=scope.actor,
        action=action,
        entity="goal",
        entity_id=goal.id,
        message=(
            "You can edit your own goals and your reports' goals; team and company "
            "goals are edited by the unit's managers and HR."
        ),
    )


def _get_goal(session: Session, goal_id: int) -> Goal:
    goal = session.get(Goal, goal_id)
    if goal is None:
        raise NotFound("There is no such goal.")
    return goal


def _get_cycle(session: Session, cycle_id: int) -> GoalCycle:
    cycle = session.get(GoalCycle, cycle_id)
    if cycle is None:
        raise NotFound("There is no such goal cycle.")
    return cycle
