"""Pure rules of module switches: inheritance down the unit tree."""

from __future__ import annotations

import enum
from collections.abc import Mapping


class Module(enum.StrEnum):
    """The practices a unit can adopt one at a time. The values are the
    `module` names that features use for their pages and to-do sources."""

    goals = "goals"
    checkins = "checkins"
    feedback = "feedback"
    reviews = "reviews"
    competencies = "competencies"


ALL_MODULES: frozenset[str] = frozenset(module.value for module in Module)

MODULE_LABELS: dict[Module, str] = {
    Module.goals: "Goals and OKRs",
    Module.checkins: "Check-ins",
    Module.feedback: "Continuous feedback",
    Module.reviews: "360 reviews",
    Module.competencies: "Competencies and skills gaps",
}

# To-do sources and pages name the practice they belong to; learning is part
# of competencies and skills gaps (it closes the gaps they show).
PRACTICE_OF: dict[str, Module] = {
    **{module.value: module for module in Module},
    "learning": Module.competencies,
}


class SwitchState(enum.StrEnum):
    """What a unit says of a module: its own on/off, or its parent's."""

    inherit = "inherit"
    on = "on"
    off = "off"


def effective_switch(
    *,
    unit_id: int | None,
    module: Module,
    parents: Mapping[int, int | None],
    switches: Mapping[tuple[int, Module], bool],
) -> bool:
    """On or off for `unit_id`: the nearest switch up the tree wins; with no
    switch anywhere a module is on, so an install that never pilots keeps
    every practice. A person without a unit gets the default too."""
    seen: set[int] = set()
    current = unit_id
    while current is not None and current not in seen:
        seen.add(current)
        own = switches.get((current, module))
        if own is not None:
            return own
        current = parents.get(current)
    return True


def modules_on(
    *,
    unit_id: int | None,
    parents: Mapping[int, int | None],
    switches: Mapping[tuple[int, Module], bool],
) -> frozenset[str]:
    return frozenset(
        module.value
        for module in Module
        if effective_switch(unit_id=unit_id, module=module, parents=parents, switches=switches)
    )


def module_allows(modules: frozenset[str], practice: str) -> bool:
    """Whether a page's or to-do's practice is among `modules`; things that
    belong to no switchable practice (Home, People, admin) are always shown."""
    module = PRACTICE_OF.get(practice)
    return module is None or module.value in modules
