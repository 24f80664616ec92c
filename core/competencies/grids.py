"""What every competency grid save shares beyond core.grid: checks, writes, audit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.access import Actor, can_edit_competencies, require
from core.competencies.files import (
    TEXT_MAX,
    clean_text,
)
from core.errors import RowError, ValidationError
from core.grid import (
    GridChanges,
    GridSaveResult,
    RowPlan,
    is_blank,
    loader,
    plan_rows,
    refuse,
)
from core.versioning import touch
from db.models import (
    Scale,
)

Progress = Callable[[str, float], None]
MAX_AUDIT_CHANGES = 200


# --- shared grid plumbing ------------------------------------------------------


def _require_editor(session: Session, actor: Actor, action: str, entity: str) -> None:
    require(
        can_edit_competencies(actor),
        session=session,
        actor=actor,
        action=action,
        entity=entity,
        message="Only HR admins edit competency frameworks and role maps.",
    )


def _text(value: Any) -> str:
    return "" if is_blank(value) else clean_text(value)


def _whole(value: Any) -> int | None:
    if is_blank(value) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


def _flag(value: Any) -> bool:
    return False if is_blank(value) else bool(value)


def _plan_grid(
    session: Session,
    *,
    model: type[Any],
    shown: pd.DataFrame,
    changes: GridChanges,
    label_column: str,
    scope: Callable[[Any], bool] | None = None,
) -> list[RowPlan]:
    return plan_rows(
        shown=shown,
        changes=changes,
        load=loader(session, model, scope=scope),
        label_column=label_column,
    )


def _scale_ids(session: Session) -> dict[str, int]:
    return {n: i for i, n in session.exec(select(Scale.id, Scale.name)).all() if i is not None}


def _flush_or_in_use(session: Session, what: str) -> None:
    try:
        session.flush()
    except IntegrityError as clash:
        raise ValidationError(
            f"Nothing was saved: {what} is still in use (for example by assessments or "
            "another framework), or a name is taken by a row saved meanwhile."
        ) from clash


def _duplicates(plans: list[RowPlan], column: str, taken: dict[str, int]) -> list[RowError]:
    """Unique within the edit and against untouched rows (case-insensitive);
    a value freed by a row deleted in the same save may be reused."""
    problems: list[RowError] = []
    touched = {p.row.id for p in plans if p.row is not None}
    seen: dict[str, str] = {}
    for plan in plans:
        if plan.delete:
            continue
        value = _text(plan.values.get(column)).lower()
        if not value:
            continue
        if value in seen:
            problems.append(RowError(plan.label, column, f"Also used on row {seen[value]}."))
        seen[value] = plan.label
        owner = taken.get(value)
        if owner is not None and owner not in touched:
            problems.append(RowError(plan.label, column, f"{value!r} is already taken."))
    return problems


def _check_length(
    problems: list[RowError],
    label: str,
    column: str,
    value: str,
    limit: int,
    *,
    required: bool = True,
) -> None:
    if required and not value:
        problems.append(RowError(label, column, "Required."))
    elif len(value) > limit:
        problems.append(RowError(label, column, f"At most {limit} characters."))


def _check_texts(problems: list[RowError], plan: RowPlan, **required: int) -> None:
    """The required text columns within their limits, then the optional description."""
    for column, limit in required.items():
        _check_length(problems, plan.label, column, _text(plan.values.get(column)), limit)
    _check_length(
        problems,
        plan.label,
        "description",
        _text(plan.values.get("description")),
        TEXT_MAX,
        required=False,
    )


def _write_plans(
    session: Session,
    plans: list[RowPlan],
    *,
    new_row: Callable[[], Any],
    fill: Callable[[Any, dict[str, Any]], None],
    delete_rows: bool = True,
) -> GridSaveResult:
    """Fill the kept rows (an edited one moves to its next version) and, with
    `delete_rows`, delete the others; the counts are the save's summary."""
    for plan in plans:
        if plan.delete:
            if delete_rows:
                session.delete(plan.row)
            continue
        row = plan.row or new_row()
        fill(row, plan.values)
        if plan.row is not None:
            touch(row)
        session.add(row)
    return GridSaveResult.of(plans)


__all__ = ["GridSaveResult", "RowPlan", "refuse"]
