"""The organisation's own rules, on plain values (no database): the unit tree
stays a tree, active units sit under active ones, and what has people or
history is deactivated rather than deleted.

A tree is `parents`: unit id → parent id (None for a root), as core.org's
tree helpers take it; units a grid adds get provisional (negative) ids.
"""

from __future__ import annotations

from collections.abc import Mapping

from core.org import descendant_ids, unit_chain
from db.models import OrgUnitKind

UNIT_KINDS = tuple(kind.value for kind in OrgUnitKind)
GRADE_MIN, GRADE_MAX = 1, 20

UNDER_ITSELF = "A unit cannot move under itself or one of its own sub-units."
UNDER_INACTIVE = "An active unit cannot sit under an inactive one: reactivate the parent first."


def moves_under_itself(parents: Mapping[int, int | None], unit_id: int) -> bool:
    """Whether `unit_id`'s parent (as planned) is the unit itself or one of its
    descendants, which would cut it and its sub-units off the tree."""
    parent = parents.get(unit_id)
    return parent is not None and unit_id in unit_chain(dict(parents), parent)


def move_refusal(
    parents: Mapping[int, int | None], unit_id: int, new_parent_id: int | None
) -> str | None:
    """Why moving `unit_id` under `new_parent_id` is refused, if it is."""
    if new_parent_id is None:
        return None
    if new_parent_id == unit_id or new_parent_id in descendant_ids(dict(parents), unit_id):
        return UNDER_ITSELF
    return None


def under_inactive(
    parents: Mapping[int, int | None], active: Mapping[int, bool], unit_id: int
) -> bool:
    """An active unit whose parent is inactive."""
    parent = parents.get(unit_id)
    return bool(active.get(unit_id)) and parent is not None and not active.get(parent, True)


def active_children(
    parents: Mapping[int, int | None], active: Mapping[int, bool], unit_id: int
) -> list[int]:
    """The active units directly under an inactive `unit_id` (none when it is active)."""
    if active.get(unit_id, True):
        return []
    return sorted(
        child for child, parent in parents.items() if parent == unit_id and active.get(child, True)
    )


def unit_deletion_refusal(*, people: int, sub_units: int, goals: int) -> str | None:
    """A unit with people, sub-units or goals stays (deactivate it instead)."""
    if people:
        return f"It has {_count(people, 'person', 'people')}: deactivate it instead."
    if sub_units:
        return f"It has {_count(sub_units, 'sub-unit', 'sub-units')}: move or remove them first."
    if goals:
        return f"It has {_count(goals, 'goal', 'goals')}: deactivate it instead."
    return None


def position_deletion_refusal(*, people: int, requirements: int) -> str | None:
    """A position someone holds (or held) or a role map names stays."""
    if people:
        return f"{_count(people, 'person holds', 'people hold')} it: deactivate it instead."
    if requirements:
        return (
            f"The role map names it ({_count(requirements, 'requirement', 'requirements')}): "
            "deactivate it instead."
        )
    return None


def family_deletion_refusal(*, positions: int) -> str | None:
    if positions:
        return f"It has {_count(positions, 'position', 'positions')}: move them to another family."
    return None


def _count(n: int, one: str, many: str) -> str:
    return f"1 {one}" if n == 1 else f"{n:,} {many}"
