"""Saving the scale, framework, competency, level-descriptor and role-map grids."""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import count
from typing import Any

import pandas as pd
from sqlalchemy import delete
from sqlmodel import Session, col, select

from core.access import Actor
from core.audit import record_event
from core.competencies.files import (
    CODE_MAX,
    KINDS,
    NAME_MAX,
    SCALE_NAME_MAX,
    TEXT_MAX,
    ScaleValueSpec,
    hierarchy_problems,
    scale_value_problems,
)
from core.competencies.grids import (
    MAX_AUDIT_CHANGES,
    GridSaveResult,
    _check_length,
    _check_texts,
    _duplicates,
    _flag,
    _flush_or_in_use,
    _Plan,
    _plan_grid,
    _refuse,
    _require_editor,
    _scale_ids,
    _text,
    _whole,
    _write_plans,
)
from core.competencies.queries import (
    RoleMapGrid,
    _framework,
    _levels_and_descriptors,
    _requirement,
    _role_map_competencies,
    _scale,
    parse_cell,
    scale_values_by_competency,
)
from core.errors import RowError, StaleEdit, ValidationError
from core.grid import GridChanges
from db.models import (
    Competency,
    Framework,
    LevelDescriptor,
    Position,
    RoleRequirement,
    Scale,
    ScaleValue,
)


def save_scales_grid(
    session: Session, *, actor: Actor, shown: pd.DataFrame, changes: GridChanges
) -> GridSaveResult:
    _require_editor(session, actor, "edit", "scale")
    plans = _plan_grid(session, model=Scale, shown=shown, changes=changes, label_column="name")
    problems: list[RowError] = []
    for plan in plans:
        if not plan.delete:
            _check_texts(problems, plan, name=SCALE_NAME_MAX)
    taken = {n.lower(): i or 0 for i, n in session.exec(select(Scale.id, Scale.name)).all()}
    problems.extend(_duplicates(plans, "name", taken))
    _refuse(problems)

    def fill(row: Scale, values: dict[str, Any]) -> None:
        row.name = _text(values.get("name"))
        row.description = _text(values.get("description"))

    result = _write_plans(
        session, plans, new_row=lambda: Scale(name=""), fill=fill, delete_rows=False
    )
    session.flush()
    for plan in plans:
        if plan.delete and plan.row is not None:
            session.execute(delete(ScaleValue).where(col(ScaleValue.scale_id) == plan.row.id))
    for plan in plans:
        if plan.delete and plan.row is not None:
            session.delete(plan.row)
    _flush_or_in_use(session, "a deleted scale")
    _audit_grid(session, actor, "scale", plans)
    return result


def _audit_grid(
    session: Session, actor: Actor, entity: str, plans: list[_Plan], entity_id: object = None
) -> None:
    changes = [
        {
            "row": p.label,
            "id": getattr(p.row, "id", None),
            "op": "delete" if p.delete else ("update" if p.row is not None else "create"),
            "values": {k: v for k, v in p.values.items() if k not in {"version"}},
        }
        for p in plans[:MAX_AUDIT_CHANGES]
    ]
    record_event(
        session,
        actor_id=actor.person_id,
        action=f"{entity}.saved",
        entity=entity,
        entity_id=entity_id,
        detail={"changes": changes, "total": len(plans)},
    )


def save_scale_values_grid(
    session: Session, *, actor: Actor, scale_id: int, shown: pd.DataFrame, changes: GridChanges
) -> GridSaveResult:
    """Levels of one scale: names and ranks unique, at most one default."""
    _require_editor(session, actor, "edit", "scale")
    scale = _scale(session, scale_id)
    plans = _plan_grid(
        session,
        model=ScaleValue,
        shown=shown,
        changes=changes,
        label_column="name",
        scope=lambda row: row.scale_id == scale_id,
    )
    problems: list[RowError] = []
    touched = {p.row.id for p in plans if p.row is not None}
    final: list[tuple[int | str, ScaleValueSpec]] = [
        (f"unchanged {v.name}", ScaleValueSpec(v.name, v.rank, v.proficient, v.is_default))
        for v in session.exec(select(ScaleValue).where(ScaleValue.scale_id == scale_id)).all()
        if v.id not in touched
    ]
    for plan in plans:
        if plan.delete:
            continue
        name = _text(plan.values.get("name"))
        _check_length(problems, plan.label, "name", name, SCALE_NAME_MAX)
        rank = _whole(plan.values.get("rank"))
        if rank is None or rank < 1:
            problems.append(RowError(plan.label, "rank", "A whole number from 1 (the lowest)."))
            continue
        final.append(
            (
                plan.label,
                ScaleValueSpec(
                    name,
                    rank,
                    _flag(plan.values.get("proficient")),
                    _flag(plan.values.get("is_default")),
                ),
            )
        )
    problems.extend(scale_value_problems(scale.name, final))
    _refuse(problems)

    def fill(row: ScaleValue, values: dict[str, Any]) -> None:
        row.name = _text(values["name"])
        row.rank = _whole(values["rank"]) or 1
        row.proficient = _flag(values.get("proficient"))
        row.is_default = _flag(values.get("is_default"))

    result = _write_plans(
        session, plans, new_row=lambda: ScaleValue(scale_id=scale_id, name="", rank=1), fill=fill
    )
    _flush_or_in_use(session, "a deleted level")
    _audit_grid(session, actor, "scale_value", plans, entity_id=scale_id)
    return result


def save_frameworks_grid(
    session: Session, *, actor: Actor, shown: pd.DataFrame, changes: GridChanges
) -> GridSaveResult:
    """A framework is deleted only once it has no competencies left."""
    _require_editor(session, actor, "edit", "framework")
    plans = _plan_grid(session, model=Framework, shown=shown, changes=changes, label_column="name")
    scale_ids = _scale_ids(session)
    problems: list[RowError] = []
    for plan in plans:
        if plan.delete:
            has_children = session.exec(
                select(Competency.id)
                .where(Competency.framework_id == getattr(plan.row, "id", None))
                .limit(1)
            ).first()
            if has_children is not None:
                problems.append(RowError(plan.label, "", "Delete its competencies first."))
            continue
        _check_texts(problems, plan, code=CODE_MAX, name=NAME_MAX)
        if _text(plan.values.get("scale")) not in scale_ids:
            problems.append(RowError(plan.label, "scale", "Choose one of the scales."))
    taken = {c.lower(): i or 0 for i, c in session.exec(select(Framework.id, Framework.code)).all()}
    problems.extend(_duplicates(plans, "code", taken))
    _refuse(problems)

    def fill(row: Framework, values: dict[str, Any]) -> None:
        row.code = _text(values["code"])
        row.name = _text(values["name"])
        row.source = _text(values.get("source")) or "stride"
        row.description = _text(values.get("description"))
        row.scale_id = scale_ids[_text(values["scale"])]

    result = _write_plans(
        session, plans, new_row=lambda: Framework(code="", name="", scale_id=0), fill=fill
    )
    _flush_or_in_use(session, "a framework")
    _audit_grid(session, actor, "framework", plans)
    return result


def save_competencies_grid(
    session: Session, *, actor: Actor, framework_id: int, shown: pd.DataFrame, changes: GridChanges
) -> GridSaveResult:
    """Codes unique in the framework, parents known and acyclic; deleting a
    competency takes its level descriptors and role-map cells with it."""
    _require_editor(session, actor, "edit", "competency")
    _framework(session, framework_id)
    plans = _plan_grid(
        session,
        model=Competency,
        shown=shown,
        changes=changes,
        label_column="name",
        scope=lambda row: row.framework_id == framework_id,
    )
    scale_ids = _scale_ids(session)
    existing = session.exec(select(Competency).where(Competency.framework_id == framework_id)).all()
    by_id = {c.id: c for c in existing}
    planned_ids = {p.row.id for p in plans if p.row is not None}
    deleted_ids = {p.row.id for p in plans if p.delete and p.row is not None}
    problems: list[RowError] = []
    # The hierarchy after the save: untouched rows as they are, planned rows as edited.
    nodes: list[tuple[int | str, str, str | None]] = [
        (f"unchanged {c.code}", c.code, by_id[c.parent_id].code if c.parent_id in by_id else None)
        for c in existing
        if c.id not in planned_ids
    ]
    for plan in plans:
        if plan.delete:
            continue
        _check_texts(problems, plan, code=CODE_MAX, name=NAME_MAX)
        if _text(plan.values.get("kind")) not in KINDS:
            problems.append(RowError(plan.label, "kind", "One of " + ", ".join(KINDS) + "."))
        scale = _text(plan.values.get("scale"))
        if scale and scale not in scale_ids:
            problems.append(RowError(plan.label, "scale", f"Unknown scale {scale!r}."))
        nodes.append(
            (plan.label, _text(plan.values.get("code")), _text(plan.values.get("parent")) or None)
        )
    problems.extend(hierarchy_problems(nodes))
    for c in existing:
        if c.id not in deleted_ids and c.parent_id in deleted_ids and c.id not in planned_ids:
            problems.append(
                RowError(
                    f"unchanged {c.code}", "parent", "Its parent is being deleted; move it first."
                )
            )
    taken = {c.code.lower(): c.id or 0 for c in existing}
    problems.extend(_duplicates(plans, "code", taken))
    _refuse(problems)

    sort_orders = count(max((c.sort_order for c in existing), default=0) + 1)
    saved: list[tuple[dict[str, Any], Competency]] = []

    def fill(row: Competency, values: dict[str, Any]) -> None:
        row.code = _text(values["code"])
        row.name = _text(values["name"])
        row.kind = _text(values["kind"])
        row.description = _text(values.get("description"))
        scale = _text(values.get("scale"))
        row.scale_id = scale_ids[scale] if scale else None
        saved.append((values, row))

    result = _write_plans(
        session,
        plans,
        new_row=lambda: Competency(
            framework_id=framework_id, code="", name="", sort_order=next(sort_orders)
        ),
        fill=fill,
        delete_rows=False,
    )
    session.flush()
    ids_by_code = {
        c: i
        for i, c in session.exec(
            select(Competency.id, Competency.code).where(Competency.framework_id == framework_id)
        ).all()
    }
    for values, row in saved:
        parent = _text(values.get("parent"))
        row.parent_id = ids_by_code[parent] if parent else None
        session.add(row)
    session.flush()
    _delete_competencies(session, deleted_ids)
    _flush_or_in_use(session, "a deleted competency")
    _audit_grid(session, actor, "competency", plans, entity_id=framework_id)
    return replace(result, deleted=len(deleted_ids))


def _delete_competencies(session: Session, ids: set[Any]) -> None:
    if not ids:
        return
    session.execute(delete(LevelDescriptor).where(col(LevelDescriptor.competency_id).in_(ids)))
    session.execute(delete(RoleRequirement).where(col(RoleRequirement.competency_id).in_(ids)))
    # Children first: unhook every parent link among the doomed rows.
    for row in session.exec(select(Competency).where(col(Competency.id).in_(ids))).all():
        row.parent_id = None
        session.add(row)
    session.flush()
    for row in session.exec(select(Competency).where(col(Competency.id).in_(ids))).all():
        session.delete(row)


def save_descriptors_grid(
    session: Session, *, actor: Actor, competency_id: int, shown: pd.DataFrame, changes: GridChanges
) -> GridSaveResult:
    _require_editor(session, actor, "edit", "level_descriptor")
    values, current = _levels_and_descriptors(session, competency_id)
    levels = {v.id for v in values}
    problems: list[RowError] = []
    stale: list[str] = []
    planned: list[tuple[int, str]] = []
    for position, edits in changes.edited_rows.items():
        index = int(position)
        if not 0 <= index < len(shown):
            problems.append(RowError(index + 1, "", "This row is not in the grid any more."))
            continue
        row = shown.iloc[index]
        value_id = int(row["scale_value_id"])
        if value_id not in levels:
            stale.append(str(row["level"]))
            continue
        existing = current.get(value_id)
        if (existing.version if existing else 0) != int(row["version"]):
            stale.append(str(row["level"]))
            continue
        text = _text(edits.get("text", row["text"]))
        if len(text) > TEXT_MAX:
            problems.append(RowError(index + 1, "text", f"At most {TEXT_MAX:,} characters."))
        planned.append((value_id, text))
    if stale:
        raise StaleEdit(
            "Someone else changed the descriptors of " + ", ".join(stale) + " after you opened "
            "them (or the scale changed). Nothing was saved; reload and edit again."
        )
    _refuse(problems)
    created = updated = deleted = 0
    for value_id, text in planned:
        existing = current.get(value_id)
        if existing is None:
            if text:
                session.add(
                    LevelDescriptor(competency_id=competency_id, scale_value_id=value_id, text=text)
                )
                created += 1
        elif not text:
            session.delete(existing)
            deleted += 1
        else:
            existing.text = text
            existing.version += 1
            session.add(existing)
            updated += 1
    _flush_or_in_use(session, "a descriptor")
    record_event(
        session,
        actor_id=actor.person_id,
        action="level_descriptor.saved",
        entity="competency",
        entity_id=competency_id,
        detail={"levels": [v for v, _ in planned]},
    )
    return GridSaveResult(created, updated, deleted)


@dataclass(frozen=True)
class RoleMapSaveResult:
    set: int
    cleared: int

    def summary(self) -> str:
        return f"Role map saved: {self.set} cells set, {self.cleared} cleared."


def save_role_map(
    session: Session, *, actor: Actor, grid: RoleMapGrid, edited_rows: dict[int, dict[str, Any]]
) -> RoleMapSaveResult:
    """Apply cell edits in one transaction. Each cell is re-checked against
    the row and version it showed; any cell saved by someone else meanwhile
    refuses the whole save."""
    _require_editor(session, actor, "edit", "role_map")
    competencies = {f"c{c.id}": c for c in _role_map_competencies(session, grid.framework_id)}
    values = scale_values_by_competency(
        session, competency_ids=[c.id or 0 for c in competencies.values()]
    )
    problems: list[RowError] = []
    stale: list[str] = []
    planned: list[tuple[int, Competency, tuple[str, bool] | None, str]] = []
    for position, edits in edited_rows.items():
        index = int(position)
        if not 0 <= index < len(grid.frame):
            problems.append(RowError(index + 1, "", "This row is not in the grid any more."))
            continue
        shown = grid.frame.iloc[index]
        position_id = int(shown["position_id"])
        if session.get(Position, position_id) is None:
            stale.append(str(shown["position"]))
            continue
        for column, value in edits.items():
            competency = competencies.get(column)
            if competency is None or competency.id is None:
                problems.append(
                    RowError(
                        str(shown["position"]),
                        column,
                        "Not a competency of this framework any more.",
                    )
                )
                continue
            label = f"{shown['position']} · {competency.name}"
            current = _requirement(session, position_id, competency.id)
            token = (current.id or 0, current.version) if current else None
            if token != grid.tokens.get((position_id, competency.id)):
                stale.append(label)
                continue
            parsed = parse_cell(value)
            if parsed is not None and parsed[0] not in {
                v.name for v in values.get(competency.id, [])
            }:
                problems.append(
                    RowError(
                        str(shown["position"]),
                        competency.name,
                        f"{parsed[0]!r} is not a level of its scale.",
                    )
                )
                continue
            planned.append((position_id, competency, parsed, str(shown["position"])))
    if stale:
        raise StaleEdit(
            "Someone else changed the role map after you opened it ("
            + ", ".join(stale[:5])
            + (" …" if len(stale) > 5 else "")
            + "). Nothing was saved; reload to see their change and edit again."
        )
    if problems:
        raise ValidationError("Nothing was saved: fix the cells below.", rows=problems)
    set_count = cleared = 0
    audit: list[dict[str, Any]] = []
    for position_id, competency, parsed, position_code in planned:
        current = _requirement(session, position_id, competency.id or 0)
        if parsed is None:
            if current is not None:
                session.delete(current)
                cleared += 1
            audit.append({"position": position_code, "competency": competency.code, "level": None})
            continue
        level, critical = parsed
        value_id = next(v.id for v in values[competency.id or 0] if v.name == level)
        row = current or RoleRequirement(
            position_id=position_id, competency_id=competency.id or 0, required_value_id=value_id
        )
        if current is not None:
            row.version += 1
        row.required_value_id = value_id
        row.critical = critical
        session.add(row)
        set_count += 1
        audit.append(
            {
                "position": position_code,
                "competency": competency.code,
                "level": level,
                "critical": critical,
            }
        )
    _flush_or_in_use(session, "a role-map cell")
    record_event(
        session,
        actor_id=actor.person_id,
        action="role_map.saved",
        entity="framework",
        entity_id=grid.framework_id,
        detail={"cells": audit[:MAX_AUDIT_CHANGES], "total": len(audit)},
    )
    return RoleMapSaveResult(set=set_count, cleared=cleared)
