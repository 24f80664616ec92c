"""Checks of goal, key-result and cycle input before anything is written."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from sqlmodel import Session

from core.errors import RowError, ValidationError
from core.goals import rules as pm
from core.goals.read_models import KINDS, LEVELS, METRICS, OPEN_STATUSES
from core.goals.scope import GoalScope
from core.grid import is_blank
from core.org import unit_chain
from db.models import (
    Goal,
    GoalCycle,
    GoalCycleCreate,
    GoalStatus,
    KeyResultCreate,
    OrgUnit,
)

MAX_KEY_RESULTS_PER_GOAL = 10
TITLE_MAX = 200
DESCRIPTION_MAX = 10_000


def validate_cycle(cycle_in: GoalCycleCreate) -> list[str]:
    problems = []
    if not cycle_in.name.strip():
        problems.append("A cycle needs a name.")
    if cycle_in.ends_on <= cycle_in.starts_on:
        problems.append("A cycle ends after it starts.")
    else:
        months = pm.cycle_months(starts_on=cycle_in.starts_on, ends_on=cycle_in.ends_on)
        if not 0.9 <= months <= 4.1:
            problems.append("Goal cycles are short: 1 to 4 months.")
    return problems


# --- validation ----------------------------------------------------------------


def _parent_problem(
    parents: dict[int, int | None], *, level: str, org_unit_id: int | None, parent: Goal
) -> str | None:
    """Alignment only points upwards, so the tree can never loop:
    individual → team or company; team → company, or a team goal of a unit
    above its own; company goals are the roots."""
    if parent.status == GoalStatus.cancelled.value:
        return "That goal is cancelled."
    if level == "company":
        return "Company goals are the top of the tree; they align to nothing."
    if parent.level == "individual":
        return "Goals align to a team or company goal, not to a person's goal."
    if level == "team" and parent.level == "team":
        if org_unit_id is None or parent.org_unit_id is None:
            return "A team goal aligns to a company goal or a team goal of a unit above it."
        above = unit_chain(parents, org_unit_id)[1:]
        if parent.org_unit_id not in above:
            return "A team goal aligns to a company goal or a team goal of a unit above it."
    return None


CREATE_REFUSAL = (
    "You may create goals for yourself and your reports; team and company "
    "goals for units you manage (HR: any unit)."
)


def _may_create(
    scope: GoalScope, level: str, owner_id: int | None, org_unit_id: int | None
) -> bool:
    if level == "individual":
        return owner_id is None or scope.can_edit(level, owner_id, None)
    return scope.can_edit(level, None, org_unit_id)


def _unit_active(session: Session, unit_id: int) -> bool:
    """New goals go to active units only; an inactive unit keeps its goals."""
    unit = session.get(OrgUnit, unit_id)
    return unit is not None and unit.active


def _validate_goal(
    session: Session,
    scope: GoalScope,
    *,
    title: Any,
    description: Any = "",
    level: Any,
    kind: Any,
    status: Any,
    owner_id: int | None,
    org_unit_id: int | None,
    cycle: GoalCycle | None,
    due_on: date | None,
    parent: Goal | None,
    check_permission: bool = True,
) -> list[tuple[str, str]]:
    """(column, message) problems of one goal; empty when it may be saved."""
    problems: list[tuple[str, str]] = []
    if is_blank(title):
        problems.append(("title", "Required."))
    elif len(str(title).strip()) > TITLE_MAX:
        problems.append(("title", f"At most {TITLE_MAX} characters."))
    if not is_blank(description) and len(str(description).strip()) > DESCRIPTION_MAX:
        problems.append(("description", f"At most {DESCRIPTION_MAX:,} characters."))
    if level not in LEVELS:
        problems.append(("level", "One of " + ", ".join(LEVELS) + "."))
    if kind not in KINDS:
        problems.append(("kind", "One of " + ", ".join(KINDS) + "."))
    if status not in OPEN_STATUSES:
        problems.append(("status", "New goals are draft or active."))
    if level == "individual":
        if owner_id is None:
            problems.append(("owner", "An individual goal needs an owner."))
    elif level in ("team", "company"):
        unit_parent = scope.parents.get(org_unit_id) if org_unit_id is not None else None
        if org_unit_id is None or org_unit_id not in scope.parents:
            problems.append(("unit", "A team or company goal needs an org unit."))
        elif not _unit_active(session, org_unit_id):
            problems.append(("unit", "That org unit is inactive."))
        elif level == "company" and unit_parent is not None:
            problems.append(("unit", "Company goals belong to the top unit."))
        elif level == "team" and unit_parent is None:
            problems.append(("unit", "Goals of the top unit are company goals."))
    if cycle is None:
        problems.append(("cycle", "Unknown goal cycle."))
    elif due_on is not None and not cycle.starts_on <= due_on <= cycle.ends_on:
        problems.append(("due_on", f"Within the cycle ({cycle.starts_on} to {cycle.ends_on})."))
    if (
        check_permission
        and level in LEVELS
        and not _may_create(scope, level, owner_id, org_unit_id)
    ):
        problems.append(("owner" if level == "individual" else "unit", CREATE_REFUSAL))
    if parent is not None:
        if cycle is not None and parent.cycle_id != cycle.id:
            problems.append(("parent", "Align to a goal of the same cycle."))
        elif not scope.can_view(parent.level, parent.owner_id, parent.org_unit_id):
            problems.append(("parent", "You can't see that goal."))
        elif level in LEVELS and (
            reason := _parent_problem(
                scope.parents, level=str(level), org_unit_id=org_unit_id, parent=parent
            )
        ):
            problems.append(("parent", reason))
    return problems


def _number(value: Any) -> float | None:
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    try:
        number = (
            float(str(value).strip().replace(",", "")) if isinstance(value, str) else float(value)
        )
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _validate_key_result(
    values: dict[str, Any],
) -> tuple[KeyResultCreate | None, list[tuple[str, str]]]:
    problems: list[tuple[str, str]] = []
    title = values.get("title")
    if is_blank(title):
        problems.append(("title", "Required."))
    elif len(str(title).strip()) > TITLE_MAX:
        problems.append(("title", f"At most {TITLE_MAX} characters."))
    metric = str(values.get("metric") or "number").strip().lower()
    if metric in ("yes/no", "yes_no", "bool"):
        metric = "boolean"
    if metric not in METRICS:
        problems.append(("metric", "One of " + ", ".join(METRICS) + "."))
    numbers: dict[str, float] = {}
    defaults = {
        "start_value": 0.0,
        "target_value": 1.0 if metric == "boolean" else 100.0,
        "current_value": None,
        "weight": 1.0,
    }
    for column, default in defaults.items():
        raw = values.get(column)
        number = _number(raw)
        if number is None and not is_blank(raw):
            problems.append((column, "A number."))
        if number is None:
            number = default if default is not None else numbers.get("start_value", 0.0)
        numbers[column] = float(number)
    if metric == "boolean":
        numbers["start_value"], numbers["target_value"] = 0.0, 1.0
        numbers["current_value"] = 1.0 if numbers["current_value"] >= 0.5 else 0.0
    if not 0 <= numbers["weight"] <= 100:
        problems.append(("weight", "From 0 to 100."))
    unit = "" if is_blank(values.get("unit")) else str(values.get("unit")).strip()
    if len(unit) > 20:
        problems.append(("unit", "At most 20 characters."))
    if metric == "percent":
        unit = "%"
    if problems:
        return None, problems
    return (
        KeyResultCreate(
            title=str(title).strip(),
            metric=metric,
            start_value=numbers["start_value"],
            target_value=numbers["target_value"],
            current_value=numbers["current_value"],
            unit=unit,
            weight=numbers["weight"],
        ),
        [],
    )


def _raise_if(
    problems: list[tuple[str, str]], message: str = "Nothing was saved: fix these."
) -> None:
    if problems:
        raise ValidationError(
            message + " " + " ".join(f"{column}: {text}" for column, text in problems),
            rows=[RowError("form", column, text) for column, text in problems],
        )
