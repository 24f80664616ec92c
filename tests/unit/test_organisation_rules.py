"""The unit tree's rules, on plain values."""

from core.organisation.rules import (
    UNDER_ITSELF,
    active_children,
    family_deletion_refusal,
    move_refusal,
    moves_under_itself,
    position_deletion_refusal,
    under_inactive,
    unit_deletion_refusal,
)

# 1 company → 2 division → 3 department → 4 team; 5 another division.
TREE: dict[int, int | None] = {1: None, 2: 1, 3: 2, 4: 3, 5: 1}


def test_a_move_under_a_descendant_or_itself_is_refused() -> None:
    assert move_refusal(TREE, 2, 4) == UNDER_ITSELF
    assert move_refusal(TREE, 2, 3) == UNDER_ITSELF
    assert move_refusal(TREE, 2, 2) == UNDER_ITSELF
    assert move_refusal(TREE, 1, 5) == UNDER_ITSELF


def test_moves_elsewhere_are_fine() -> None:
    assert move_refusal(TREE, 3, 5) is None
    assert move_refusal(TREE, 4, 1) is None
    assert move_refusal(TREE, 5, 4) is None
    assert move_refusal(TREE, 2, None) is None


def test_a_planned_tree_with_a_loop_is_found() -> None:
    planned = {**TREE, 2: 4}
    assert moves_under_itself(planned, 2)
    # Units caught inside the loop are under themselves too.
    assert moves_under_itself(planned, 3)
    assert moves_under_itself(planned, 4)
    assert not moves_under_itself(planned, 5)
    assert not moves_under_itself(planned, 1)
    assert not moves_under_itself(TREE, 4)


def test_self_parent_is_a_loop() -> None:
    assert moves_under_itself({1: None, 7: 7}, 7)


def test_added_units_with_provisional_ids() -> None:
    planned = {**TREE, -1: 5, -2: -1}
    assert not moves_under_itself(planned, -2)
    assert move_refusal(planned, 5, -2) == UNDER_ITSELF


def test_active_units_stay_under_active_ones() -> None:
    active = {1: True, 2: False, 3: True, 4: True, 5: True}
    assert under_inactive(TREE, active, 3)
    assert not under_inactive(TREE, active, 4)  # its parent (3) is active
    assert not under_inactive(TREE, active, 2)  # inactive itself
    assert not under_inactive(TREE, active, 1)  # a root
    assert active_children(TREE, active, 2) == [3]
    assert active_children(TREE, active, 1) == []  # active: nothing to say


def test_what_has_people_or_history_is_not_deleted() -> None:
    assert unit_deletion_refusal(people=0, sub_units=0, goals=0) is None
    assert "deactivate" in (unit_deletion_refusal(people=3, sub_units=1, goals=0) or "")
    assert "3 people" in (unit_deletion_refusal(people=3, sub_units=0, goals=0) or "")
    assert "1 sub-unit" in (unit_deletion_refusal(people=0, sub_units=1, goals=0) or "")
    assert "2 goals" in (unit_deletion_refusal(people=0, sub_units=0, goals=2) or "")
    assert position_deletion_refusal(people=0, requirements=0) is None
    assert "1 person holds" in (position_deletion_refusal(people=1, requirements=0) or "")
    assert "role map" in (position_deletion_refusal(people=0, requirements=4) or "")
    assert family_deletion_refusal(positions=0) is None
    assert "2 positions" in (family_deletion_refusal(positions=2) or "")
