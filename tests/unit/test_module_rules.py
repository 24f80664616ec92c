"""Module switches down the unit tree, and what they hide."""

from __future__ import annotations

from dataclasses import replace

from core.access import Actor, navigation
from core.modules.rules import (
    ALL_MODULES,
    Module,
    effective_switch,
    module_allows,
    modules_on,
)

# company 1 → division 2 → team 3; division 4 beside it
PARENTS: dict[int, int | None] = {1: None, 2: 1, 3: 2, 4: 1}


def test_with_no_switch_anywhere_every_module_is_on() -> None:
    assert modules_on(unit_id=3, parents=PARENTS, switches={}) == ALL_MODULES
    assert modules_on(unit_id=None, parents=PARENTS, switches={}) == ALL_MODULES


def test_a_unit_inherits_the_nearest_switch_above_it() -> None:
    switches = {(1, Module.checkins): False, (2, Module.checkins): True}
    assert effective_switch(unit_id=3, module=Module.checkins, parents=PARENTS, switches=switches)
    assert effective_switch(unit_id=2, module=Module.checkins, parents=PARENTS, switches=switches)
    assert not effective_switch(
        unit_id=4, module=Module.checkins, parents=PARENTS, switches=switches
    )
    assert not effective_switch(
        unit_id=1, module=Module.checkins, parents=PARENTS, switches=switches
    )


def test_a_switch_below_overrides_its_parent_only_for_its_subtree() -> None:
    switches = {(3, Module.goals): False}
    assert Module.goals.value not in modules_on(unit_id=3, parents=PARENTS, switches=switches)
    assert Module.goals.value in modules_on(unit_id=2, parents=PARENTS, switches=switches)


def test_a_cycle_in_the_tree_does_not_hang() -> None:
    looped: dict[int, int | None] = {1: 2, 2: 1}
    assert effective_switch(unit_id=1, module=Module.goals, parents=looped, switches={})


def test_learning_belongs_to_competencies_and_unswitchable_things_always_show() -> None:
    without_competencies = ALL_MODULES - {Module.competencies.value}
    assert not module_allows(without_competencies, "learning")
    assert not module_allows(without_competencies, "competencies")
    assert module_allows(without_competencies, "goals")
    assert module_allows(frozenset(), "people directory")


EMPLOYEE = Actor(person_id=1, username="e", full_name="E", is_hr_admin=False, is_manager=True)


def _pages(actor: Actor) -> set[str]:
    return {page for pages in navigation(actor).values() for page in pages}


def test_navigation_leaves_out_the_pages_of_a_module_that_is_off() -> None:
    everything = _pages(EMPLOYEE)
    assert {"my_goals", "team_goals", "alignment", "my_skills", "learning"} <= everything
    no_goals = _pages(replace(EMPLOYEE, modules=ALL_MODULES - {"goals"}))
    assert not {"my_goals", "team_goals", "goal_report", "alignment"} & no_goals
    assert {"my_skills", "learning", "dashboard", "people"} <= no_goals


def test_hr_keeps_the_organisation_wide_pages_whatever_their_own_unit_has() -> None:
    hr = Actor(
        person_id=2,
        username="h",
        full_name="H",
        is_hr_admin=True,
        is_manager=False,
        modules=frozenset(),
    )
    pages = _pages(hr)
    assert {"goal_report", "skills_gap", "modules", "admin"} <= pages
    assert "my_goals" not in pages
