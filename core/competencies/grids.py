"""What every competency grid save shares: row planning, checks, writes, audit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.access import Actor, can_edit_competencies, require
from core.competencies.files import (
    TEXT_MAX,
    clean_text,
)
from core.errors import RowError, StaleEdit, ValidationError
from core.grid import GridChanges, is_blank
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


@dataclass
class _Plan:
    label: str
    row: Any | None  # the ORM row; None for an added row
    values: dict[str, Any]
    delete: bool = False


@dataclass(frozen=True)
class GridSaveResult:
    created: int = 0
    updated: int = 0
    deleted: int = 0

    def summary(self) -> str:
        return f"Saved: {self.created} added, {self.updated} edited, {self.deleted} deleted."


def _plan_grid(
    session: Session,
    *,
    model: type[Any],
    shown: pd.DataFrame,
    changes: GridChanges,
    label_column: str,
    scope: Callable[[Any], bool] = lambda _row: True,
) -> list[_Plan]:
    """Turn a grid edit into plans, re-reading every touched row and refusing
    the lot if any moved on since the grid was shown."""
    errors: list[RowError] = []
    stale: list[str] = []
    plans: list[_Plan] = []

    def existing(position: int) -> tuple[Any, dict[str, Any]] | None:
        if not 0 <= position < len(shown):
            errors.append(RowError(position + 1, "", "This row is not in the grid any more."))
            return None
        values = shown.iloc[position].to_dict()
        row = session.get(model, int(values["id"]))
        if row is None or not scope(row):
            stale.append(str(values.get(label_column)))
            return None
        if row.version != int(values["version"]):
            stale.append(str(values.get(label_column)))
            return None
        return row, {str(k): v for k, v in values.items()}

    for position, edits in changes.edited_rows.items():
        found = existing(int(position))
        if found is not None:
            plans.append(_Plan(str(int(position) + 1), found[0], {**found[1], **edits}))
    for position in changes.deleted_rows:
        found = existing(int(position))
        if found is not None:
            plans.append(_Plan(str(int(position) + 1), found[0], found[1], delete=True))
    for index, added in enumerate(changes.added_rows):
        plans.append(_Plan(f"new {index + 1}", None, dict(added)))
    if stale:
        raise StaleEdit(
            "Someone else changed or removed "
            + ", ".join(sorted(set(stale)))
            + " after you opened the grid. Nothing was saved; reload to see their change "
            "and edit again."
        )
    _refuse(errors)
    return plans


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


def _duplicates(plans: list[_Plan], column: str, taken: dict[str, int]) -> list[RowError]:
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


def _check_texts(problems: list[RowError], plan: _Plan, **required: int) -> None:
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


def _refuse(problems: list[RowError]) -> None:
    if problems:
        raise ValidationError("Nothing was saved: fix the rows below.", rows=problems)


def _write_plans(
    session: Session,
    plans: list[_Plan],
    *,
    new_row: Callable[[], Any],
    fill: Callable[[Any, dict[str, Any]], None],
    delete_rows: bool = True,
) -> GridSaveResult:
    """Fill the kept rows (an edited one moves to its next version) and, with
    `delete_rows`, delete the others; the counts are the save's summary."""
    created = updated = 0
    for plan in plans:
        if plan.delete:
            if delete_rows:
                session.delete(plan.row)
            continue
        row = plan.row or new_row()
        fill(row, plan.values)
        if plan.row is not None:
            row.version += 1
            updated += 1
        else:
            created += 1
        session.add(row)
    return GridSaveResult(created, updated, sum(p.delete for p in plans))
