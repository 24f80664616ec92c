"""Competency frameworks, scales, level descriptors and the role map.

HR edits them in grids (every save is one transaction, checked row by row,
refused when someone else saved the same rows first, and audited) and moves
whole frameworks in and out as workbooks or Moodle CSV (`core.competency_io`
parses; `import_framework` writes). Everyone reads role profiles: what their
position requires and what another position would.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from itertools import count
from typing import Any

import pandas as pd
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.access import Actor, can_edit_competencies, can_view_competencies, require
from core.audit import record_event
from core.competency_io import (
    CODE_MAX,
    KINDS,
    NAME_MAX,
    SCALE_NAME_MAX,
    TEXT_MAX,
    CompetencySpec,
    DescriptorSpec,
    FrameworkBundle,
    RequirementSpec,
    ScaleSpec,
    ScaleValueSpec,
    bundle_to_workbook,
    clean_text,
    hierarchy_problems,
    parse_moodle_csv,
    parse_workbook,
    scale_value_problems,
)
from core.errors import NotFound, RowError, StaleEdit, ValidationError
from core.grid import GridChanges, is_blank
from db.models import (
    Competency,
    CompetencyKind,
    Framework,
    JobFamily,
    LevelDescriptor,
    Person,
    Position,
    RoleRequirement,
    Scale,
    ScaleValue,
    ScaleValueRead,
)

Progress = Callable[[str, float], None]
CRITICAL_MARK = " ★"
MAX_AUDIT_CHANGES = 200


# --- lookups other modules use (no access check: not personal data) ----------


def effective_scale_id(session: Session, *, competency_id: int) -> int:
    """A competency's own scale, else its framework's."""
    row = session.exec(
        select(Competency.scale_id, Framework.scale_id)
        .join(Framework, col(Framework.id) == col(Competency.framework_id))
        .where(Competency.id == competency_id)
    ).first()
    if row is None:
        raise NotFound("There is no such competency.")
    return row[0] or row[1]


def scale_values_for(session: Session, *, scale_id: int) -> list[ScaleValueRead]:
    rows = session.exec(
        select(ScaleValue).where(ScaleValue.scale_id == scale_id).order_by(col(ScaleValue.rank))
    ).all()
    return [ScaleValueRead.model_validate(r, from_attributes=True) for r in rows]


def scale_values_by_competency(
    session: Session, *, competency_ids: Iterable[int]
) -> dict[int, list[ScaleValueRead]]:
    ids = list(set(competency_ids))
    if not ids:
        return {}
    pairs = session.exec(
        select(Competency.id, Competency.scale_id, Framework.scale_id)
        .join(Framework, col(Framework.id) == col(Competency.framework_id))
        .where(col(Competency.id).in_(ids))
    ).all()
    scale_of = {cid: own or default for cid, own, default in pairs if cid is not None}
    values = session.exec(
        select(ScaleValue)
        .where(col(ScaleValue.scale_id).in_(set(scale_of.values())))
        .order_by(col(ScaleValue.rank))
    ).all()
    by_scale: dict[int, list[ScaleValueRead]] = defaultdict(list)
    for value in values:
        by_scale[value.scale_id].append(ScaleValueRead.model_validate(value, from_attributes=True))
    return {cid: by_scale.get(sid, []) for cid, sid in scale_of.items()}


@dataclass(frozen=True)
class RequirementRow:
    competency_id: int
    competency_code: str
    competency_name: str
    kind: str
    framework_id: int
    framework_name: str
    cluster_name: str | None
    scale_id: int
    required_value_id: int
    required_value_name: str
    required_rank: int
    critical: bool
    descriptor: str


def requirements_for_position(session: Session, *, position_id: int) -> list[RequirementRow]:
    """The role map row of one position, in framework and competency order."""
    rows = session.exec(
        select(RoleRequirement, Competency, Framework, ScaleValue)
        .join(Competency, col(Competency.id) == col(RoleRequirement.competency_id))
        .join(Framework, col(Framework.id) == col(Competency.framework_id))
        .join(ScaleValue, col(ScaleValue.id) == col(RoleRequirement.required_value_id))
        .where(RoleRequirement.position_id == position_id)
        .order_by(col(Framework.name), col(Competency.sort_order), col(Competency.id))
    ).all()
    if not rows:
        return []
    competency_ids = [c.id for _, c, _, _ in rows]
    parent_ids = {c.parent_id for _, c, _, _ in rows if c.parent_id}
    parents = dict(
        session.exec(
            select(Competency.id, Competency.name).where(col(Competency.id).in_(parent_ids))
        ).all()
    )
    texts = {
        (d.competency_id, d.scale_value_id): d.text
        for d in session.exec(
            select(LevelDescriptor).where(col(LevelDescriptor.competency_id).in_(competency_ids))
        ).all()
    }
    return [
        RequirementRow(
            competency_id=c.id or 0,
            competency_code=c.code,
            competency_name=c.name,
            kind=c.kind,
            framework_id=f.id or 0,
            framework_name=f.name,
            cluster_name=parents.get(c.parent_id) if c.parent_id else None,
            scale_id=c.scale_id or f.scale_id,
            required_value_id=v.id or 0,
            required_value_name=v.name,
            required_rank=v.rank,
            critical=r.critical,
            descriptor=texts.get((c.id or 0, v.id or 0), ""),
        )
        for r, c, f, v in rows
    ]


# --- role profiles (everyone) ------------------------------------------------


@dataclass(frozen=True)
class RoleProfile:
    position_id: int
    position_code: str
    position_title: str
    job_family: str
    rows: list[RequirementRow]


def _position(session: Session, position_id: int) -> tuple[Position, str]:
    row = session.exec(
        select(Position, JobFamily.name)
        .join(JobFamily, col(JobFamily.id) == col(Position.job_family_id))
        .where(Position.id == position_id)
    ).first()
    if row is None:
        raise NotFound("There is no such position.")
    return row[0], row[1]


def list_positions(
    session: Session, *, actor: Actor, job_family_id: int | None = None
) -> list[tuple[int, str]]:
    """(id, "Title · Family") of every position, for pickers."""
    require(
        can_view_competencies(actor), session=session, actor=actor, action="list", entity="position"
    )
    query = (
        select(Position.id, Position.title, JobFamily.name)
        .join(JobFamily, col(JobFamily.id) == col(Position.job_family_id))
        .order_by(col(JobFamily.name), col(Position.grade).desc(), col(Position.title))
    )
    if job_family_id is not None:
        query = query.where(Position.job_family_id == job_family_id)
    return [(pid or 0, f"{title} · {family}") for pid, title, family in session.exec(query).all()]


def get_role_profile(
    session: Session, *, actor: Actor, position_id: int | None = None
) -> RoleProfile | None:
    """What a position requires; by default the actor's own (None if they
    hold no position)."""
    require(
        can_view_competencies(actor), session=session, actor=actor, action="view", entity="role"
    )
    if position_id is None:
        me = session.get(Person, actor.person_id)
        if me is None or me.position_id is None:
            return None
        position_id = me.position_id
    position, family = _position(session, position_id)
    return RoleProfile(
        position_id=position_id,
        position_code=position.code,
        position_title=position.title,
        job_family=family,
        rows=requirements_for_position(session, position_id=position_id),
    )


COMPARE_COLUMNS = [
    "framework",
    "competency",
    "now",
    "target",
    "change",
    "critical",
    "what the target level looks like",
]


def compare_positions(
    session: Session, *, actor: Actor, from_position_id: int, to_position_id: int
) -> pd.DataFrame:
    """A career-pathway table: each competency either role requires, the level
    each asks for, and what changes when moving to the target role."""
    require(
        can_view_competencies(actor), session=session, actor=actor, action="view", entity="role"
    )
    _position(session, from_position_id)
    _position(session, to_position_id)
    now = {
        r.competency_id: r for r in requirements_for_position(session, position_id=from_position_id)
    }
    target = requirements_for_position(session, position_id=to_position_id)
    records = []
    for row in target:
        current = now.get(row.competency_id)
        if current is None:
            change = "new"
        elif row.required_rank > current.required_rank:
            change = "higher"
        elif row.required_rank < current.required_rank:
            change = "lower"
        else:
            change = "same"
        records.append(
            [
                row.framework_name,
                row.competency_name,
                current.required_value_name if current else "",
                row.required_value_name,
                change,
                row.critical,
                row.descriptor,
            ]
        )
    target_ids = {r.competency_id for r in target}
    for row in now.values():
        if row.competency_id not in target_ids:
            records.append(
                [
                    row.framework_name,
                    row.competency_name,
                    row.required_value_name,
                    "",
                    "not needed",
                    False,
                    "",
                ]
            )
    order = {"higher": 0, "new": 1, "same": 2, "lower": 3, "not needed": 4}
    frame = pd.DataFrame(records, columns=COMPARE_COLUMNS)
    if not frame.empty:
        frame = frame.sort_values(
            by=["change", "framework"], key=lambda s: s.map(order) if s.name == "change" else s
        ).reset_index(drop=True)
    return frame


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


# --- scales ---------------------------------------------------------------------

SCALE_COLUMNS = ["id", "name", "description", "levels", "version"]
SCALE_VALUE_COLUMNS = ["id", "name", "rank", "proficient", "is_default", "version"]


def get_scales_grid(session: Session, *, actor: Actor) -> pd.DataFrame:
    _require_editor(session, actor, "list", "scale")
    scales = session.exec(select(Scale).order_by(col(Scale.name))).all()
    levels: dict[int, list[str]] = defaultdict(list)
    for value in session.exec(select(ScaleValue).order_by(col(ScaleValue.rank))).all():
        levels[value.scale_id].append(value.name)
    return pd.DataFrame(
        [
            [s.id, s.name, s.description, " < ".join(levels.get(s.id or 0, [])), s.version]
            for s in scales
        ],
        columns=SCALE_COLUMNS,
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
        action=f"{entity}.grid_save",
        entity=entity,
        entity_id=entity_id,
        detail={"changes": changes, "total": len(plans)},
    )


def _scale(session: Session, scale_id: int) -> Scale:
    scale = session.get(Scale, scale_id)
    if scale is None:
        raise NotFound("There is no such scale.")
    return scale


def get_scale_values_grid(session: Session, *, actor: Actor, scale_id: int) -> pd.DataFrame:
    _require_editor(session, actor, "list", "scale")
    _scale(session, scale_id)
    rows = session.exec(
        select(ScaleValue).where(ScaleValue.scale_id == scale_id).order_by(col(ScaleValue.rank))
    ).all()
    return pd.DataFrame(
        [[v.id, v.name, v.rank, v.proficient, v.is_default, v.version] for v in rows],
        columns=SCALE_VALUE_COLUMNS,
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
    _audit_grid(session, actor, "scalevalue", plans, entity_id=scale_id)
    return result


# --- frameworks ------------------------------------------------------------------

FRAMEWORK_COLUMNS = [
    "id",
    "code",
    "name",
    "source",
    "scale",
    "description",
    "competencies",
    "version",
]


@dataclass(frozen=True)
class FrameworkGrid:
    frame: pd.DataFrame
    scale_names: list[str]


def list_frameworks(session: Session, *, actor: Actor) -> list[tuple[int, str]]:
    require(
        can_view_competencies(actor),
        session=session,
        actor=actor,
        action="list",
        entity="framework",
    )
    return [
        (i or 0, n)
        for i, n in session.exec(
            select(Framework.id, Framework.name).order_by(col(Framework.name))
        ).all()
    ]


def get_frameworks_grid(session: Session, *, actor: Actor) -> FrameworkGrid:
    _require_editor(session, actor, "list", "framework")
    scale_names = dict(session.exec(select(Scale.id, Scale.name)).all())
    counts: dict[int, int] = defaultdict(int)
    for framework_id in session.exec(select(Competency.framework_id)).all():
        counts[framework_id] += 1
    rows = session.exec(select(Framework).order_by(col(Framework.name))).all()
    frame = pd.DataFrame(
        [
            [
                f.id,
                f.code,
                f.name,
                f.source,
                scale_names.get(f.scale_id),
                f.description,
                counts.get(f.id or 0, 0),
                f.version,
            ]
            for f in rows
        ],
        columns=FRAMEWORK_COLUMNS,
    )
    return FrameworkGrid(frame=frame, scale_names=sorted(scale_names.values()))


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


# --- competencies ---------------------------------------------------------------------

COMPETENCY_COLUMNS = ["id", "code", "parent", "name", "kind", "scale", "description", "version"]


@dataclass(frozen=True)
class CompetencyGrid:
    framework_id: int
    frame: pd.DataFrame
    codes: list[str]
    scale_names: list[str]


def _framework(session: Session, framework_id: int) -> Framework:
    framework = session.get(Framework, framework_id)
    if framework is None:
        raise NotFound("There is no such framework.")
    return framework


def get_competencies_grid(session: Session, *, actor: Actor, framework_id: int) -> CompetencyGrid:
    _require_editor(session, actor, "list", "competency")
    _framework(session, framework_id)
    rows = session.exec(
        select(Competency)
        .where(Competency.framework_id == framework_id)
        .order_by(col(Competency.sort_order), col(Competency.id))
    ).all()
    codes = {c.id: c.code for c in rows}
    scale_names = dict(session.exec(select(Scale.id, Scale.name)).all())
    frame = pd.DataFrame(
        [
            [
                c.id,
                c.code,
                codes.get(c.parent_id) if c.parent_id else None,
                c.name,
                c.kind,
                scale_names.get(c.scale_id) if c.scale_id else None,
                c.description,
                c.version,
            ]
            for c in rows
        ],
        columns=COMPETENCY_COLUMNS,
    )
    return CompetencyGrid(
        framework_id=framework_id,
        frame=frame,
        codes=[c.code for c in rows],
        scale_names=sorted(scale_names.values()),
    )


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


# --- level descriptors -------------------------------------------------------------

DESCRIPTOR_COLUMNS = ["scale_value_id", "level", "rank", "text", "version"]


def _levels_and_descriptors(
    session: Session, competency_id: int
) -> tuple[list[ScaleValueRead], dict[int, LevelDescriptor]]:
    """The levels of the competency's scale, and its descriptor row per level id."""
    values = scale_values_for(
        session, scale_id=effective_scale_id(session, competency_id=competency_id)
    )
    descriptors = {
        d.scale_value_id: d
        for d in session.exec(
            select(LevelDescriptor).where(LevelDescriptor.competency_id == competency_id)
        ).all()
    }
    return values, descriptors


def get_descriptors_grid(session: Session, *, actor: Actor, competency_id: int) -> pd.DataFrame:
    """One row per level of the competency's scale (version 0: no text yet)."""
    _require_editor(session, actor, "list", "leveldescriptor")
    values, texts = _levels_and_descriptors(session, competency_id)
    return pd.DataFrame(
        [
            [
                v.id,
                v.name,
                v.rank,
                texts[v.id].text if v.id in texts else "",
                texts[v.id].version if v.id in texts else 0,
            ]
            for v in values
        ],
        columns=DESCRIPTOR_COLUMNS,
    )


def save_descriptors_grid(
    session: Session, *, actor: Actor, competency_id: int, shown: pd.DataFrame, changes: GridChanges
) -> GridSaveResult:
    _require_editor(session, actor, "edit", "leveldescriptor")
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
        action="leveldescriptor.grid_save",
        entity="competency",
        entity_id=competency_id,
        detail={"levels": [v for v, _ in planned]},
    )
    return GridSaveResult(created, updated, deleted)


# --- the role map ------------------------------------------------------------------

ROLE_MAP_FIXED = ["position_id", "position", "title", "family"]


@dataclass(frozen=True)
class RoleMapGrid:
    """Rows are positions, each competency column `c<id>` holds a level name
    (suffixed with ★ when critical). `tokens` remembers, per cell, which
    requirement row and version was shown, so a concurrent save is spotted."""

    framework_id: int
    frame: pd.DataFrame
    labels: dict[str, str]
    options: dict[str, list[str]]
    tokens: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)


def cell_value(level: str, critical: bool) -> str:
    return level + CRITICAL_MARK if critical else level


def parse_cell(value: Any) -> tuple[str, bool] | None:
    text = _text(value)
    if not text:
        return None
    if text.endswith(CRITICAL_MARK.strip()):
        return text[: -len(CRITICAL_MARK.strip())].rstrip(), True
    return text, False


def _role_map_competencies(session: Session, framework_id: int) -> list[Competency]:
    return list(
        session.exec(
            select(Competency)
            .where(
                Competency.framework_id == framework_id,
                Competency.kind != CompetencyKind.cluster.value,
            )
            .order_by(col(Competency.sort_order), col(Competency.id))
        ).all()
    )


def get_role_map_grid(
    session: Session, *, actor: Actor, framework_id: int, job_family_id: int | None = None
) -> RoleMapGrid:
    _require_editor(session, actor, "list", "rolemap")
    _framework(session, framework_id)
    competencies = _role_map_competencies(session, framework_id)
    values = scale_values_by_competency(session, competency_ids=[c.id or 0 for c in competencies])
    names = {v.id: v.name for vs in values.values() for v in vs}
    query = (
        select(Position.id, Position.code, Position.title, JobFamily.name)
        .join(JobFamily, col(JobFamily.id) == col(Position.job_family_id))
        .order_by(col(JobFamily.name), col(Position.grade).desc(), col(Position.code))
    )
    if job_family_id is not None:
        query = query.where(Position.job_family_id == job_family_id)
    positions = session.exec(query).all()
    position_ids = [p[0] for p in positions]
    requirements = session.exec(
        select(RoleRequirement).where(
            col(RoleRequirement.position_id).in_(position_ids),
            col(RoleRequirement.competency_id).in_([c.id for c in competencies]),
        )
    ).all()
    cells = {(r.position_id, r.competency_id): r for r in requirements}
    records = []
    for pid, code, title, family in positions:
        record: dict[str, Any] = {
            "position_id": pid,
            "position": code,
            "title": title,
            "family": family,
        }
        for c in competencies:
            r = cells.get((pid or 0, c.id or 0))
            record[f"c{c.id}"] = (
                cell_value(names.get(r.required_value_id, "?"), r.critical) if r else None
            )
        records.append(record)
    columns = ROLE_MAP_FIXED + [f"c{c.id}" for c in competencies]
    return RoleMapGrid(
        framework_id=framework_id,
        frame=pd.DataFrame(records, columns=columns, dtype=object),
        labels={f"c{c.id}": c.name for c in competencies},
        options={
            f"c{c.id}": [
                cell_value(v.name, crit)
                for crit in (False, True)
                for v in values.get(c.id or 0, [])
            ]
            for c in competencies
        },
        tokens={key: (r.id or 0, r.version) for key, r in cells.items()},
    )


@dataclass(frozen=True)
class RoleMapSaveResult:
    set: int
    cleared: int

    def summary(self) -> str:
        return f"Role map saved: {self.set} cells set, {self.cleared} cleared."


def _requirement(session: Session, position_id: int, competency_id: int) -> RoleRequirement | None:
    return session.exec(
        select(RoleRequirement).where(
            RoleRequirement.position_id == position_id,
            RoleRequirement.competency_id == competency_id,
        )
    ).first()


def save_role_map(
    session: Session, *, actor: Actor, grid: RoleMapGrid, edited_rows: dict[int, dict[str, Any]]
) -> RoleMapSaveResult:
    """Apply cell edits in one transaction. Each cell is re-checked against
    the row and version it showed; any cell saved by someone else meanwhile
    refuses the whole save."""
    _require_editor(session, actor, "edit", "rolemap")
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
        action="rolemap.save",
        entity="framework",
        entity_id=grid.framework_id,
        detail={"cells": audit[:MAX_AUDIT_CHANGES], "total": len(audit)},
    )
    return RoleMapSaveResult(set=set_count, cleared=cleared)


# --- workbook export and imports ---------------------------------------------------


def export_framework_bundle(
    session: Session, *, actor: Actor, framework_id: int
) -> FrameworkBundle:
    _require_editor(session, actor, "export", "framework")
    framework = _framework(session, framework_id)
    competencies = session.exec(
        select(Competency)
        .where(Competency.framework_id == framework_id)
        .order_by(col(Competency.sort_order), col(Competency.id))
    ).all()
    by_id = {c.id: c for c in competencies}
    scale_ids = [
        framework.scale_id,
        *sorted(
            {c.scale_id for c in competencies if c.scale_id and c.scale_id != framework.scale_id}
        ),
    ]
    scales = {
        s.id: s for s in session.exec(select(Scale).where(col(Scale.id).in_(scale_ids))).all()
    }
    values = session.exec(
        select(ScaleValue)
        .where(col(ScaleValue.scale_id).in_(scale_ids))
        .order_by(col(ScaleValue.rank))
    ).all()
    value_names = {v.id: v.name for v in values}
    values_of: dict[int, list[ScaleValue]] = defaultdict(list)
    for value in values:
        values_of[value.scale_id].append(value)
    order = {c.id: i for i, c in enumerate(competencies)}
    descriptors = sorted(
        session.exec(
            select(LevelDescriptor, ScaleValue.rank)
            .join(ScaleValue, col(ScaleValue.id) == col(LevelDescriptor.scale_value_id))
            .where(col(LevelDescriptor.competency_id).in_(list(by_id)))
        ).all(),
        key=lambda pair: (order[pair[0].competency_id], pair[1]),
    )
    requirements = session.exec(
        select(RoleRequirement, Position.code, Position.title)
        .join(Position, col(Position.id) == col(RoleRequirement.position_id))
        .where(col(RoleRequirement.competency_id).in_(list(by_id)))
    ).all()
    requirements = sorted(requirements, key=lambda t: (t[1], order[t[0].competency_id]))
    return FrameworkBundle(
        code=framework.code,
        name=framework.name,
        source=framework.source,
        description=framework.description,
        scale_name=scales[framework.scale_id].name,
        scales=tuple(
            ScaleSpec(
                scales[sid].name,
                scales[sid].description,
                tuple(
                    ScaleValueSpec(v.name, v.rank, v.proficient, v.is_default)
                    for v in values_of[sid]
                ),
            )
            for sid in scale_ids
            if sid in scales
        ),
        competencies=tuple(
            CompetencySpec(
                code=c.code,
                parent_code=by_id[c.parent_id].code if c.parent_id in by_id else None,
                name=c.name,
                kind=c.kind,
                scale_name=scales[c.scale_id].name
                if c.scale_id and c.scale_id != framework.scale_id
                else None,
                description=c.description,
            )
            for c in competencies
        ),
        descriptors=tuple(
            DescriptorSpec(by_id[d.competency_id].code, value_names[d.scale_value_id], d.text)
            for d, _ in descriptors
        ),
        requirements=tuple(
            RequirementSpec(
                code,
                title,
                by_id[r.competency_id].code,
                value_names[r.required_value_id],
                r.critical,
            )
            for r, code, title in requirements
        ),
    )


def export_framework_workbook(session: Session, *, actor: Actor, framework_id: int) -> bytes:
    return bundle_to_workbook(
        export_framework_bundle(session, actor=actor, framework_id=framework_id)
    )


@dataclass
class ImportSummary:
    framework_code: str
    framework_created: bool
    dry_run: bool
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def bump(self, key: str, by: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + by

    def as_frame(self) -> pd.DataFrame:
        return pd.DataFrame(sorted(self.counts.items()), columns=["change", "rows"])


def import_framework(
    session: Session,
    *,
    actor: Actor,
    bundle: FrameworkBundle,
    dry_run: bool,
    progress: Progress | None = None,
) -> ImportSummary:
    """Make the framework in the database match the bundle: its scales'
    levels, its competencies (missing ones are deleted), their level
    descriptors and their role-map cells. All or nothing.

    A dry run does exactly the same work inside a savepoint and rolls it back,
    so the preview meets every check a real import would.
    """
    _require_editor(session, actor, "import", "framework")
    report = progress or (lambda _label, _share: None)
    nested = session.begin_nested()
    try:
        summary = _write_bundle(session, bundle, report, dry_run=dry_run)
        session.flush()
    except IntegrityError as clash:
        nested.rollback()
        raise ValidationError(
            "Nothing was imported: a competency or level the file leaves out is still in use "
            "(for example by assessments)."
        ) from clash
    except BaseException:
        nested.rollback()
        raise
    if dry_run:
        nested.rollback()
        return summary
    nested.commit()
    record_event(
        session,
        actor_id=actor.person_id,
        action="framework.import",
        entity="framework",
        entity_id=bundle.code,
        detail={"source": bundle.source, "counts": summary.counts},
    )
    report("Imported", 1.0)
    return summary


def write_framework_bundle(
    session: Session, bundle: FrameworkBundle, *, progress: Progress | None = None
) -> ImportSummary:
    """The import's writer without an actor, for the demo seeders and the
    generator (trusted bundles built in code)."""
    return _write_bundle(session, bundle, progress or (lambda _l, _s: None), dry_run=False)


def _write_bundle(
    session: Session, bundle: FrameworkBundle, report: Progress, *, dry_run: bool
) -> ImportSummary:
    problems: list[RowError] = []
    report("Scales", 0.1)
    existing_framework = session.exec(
        select(Framework).where(Framework.code == bundle.code)
    ).first()
    summary = ImportSummary(
        bundle.code, existing_framework is None, dry_run, notes=list(bundle.notes)
    )
    scale_ids: dict[str, int] = {}
    value_ids: dict[tuple[str, str], int] = {}
    for spec in bundle.scales:
        scale = session.exec(select(Scale).where(Scale.name == spec.name)).first()
        if scale is None:
            scale = Scale(name=spec.name, description=spec.description)
            summary.bump("scales added")
        elif scale.description != spec.description:
            scale.description = spec.description
            scale.version += 1
            summary.bump("scales changed")
        session.add(scale)
        session.flush()
        assert scale.id is not None
        scale_ids[spec.name] = scale.id
        current = {
            v.name: v
            for v in session.exec(select(ScaleValue).where(ScaleValue.scale_id == scale.id)).all()
        }
        wanted = {v.name for v in spec.values}
        for name, value in current.items():
            if name not in wanted:
                session.delete(value)
                summary.bump("levels removed")
        session.flush()
        for v in spec.values:
            row = current.get(v.name)
            if row is None:
                row = ScaleValue(
                    scale_id=scale.id,
                    name=v.name,
                    rank=v.rank,
                    proficient=v.proficient,
                    is_default=v.is_default,
                )
                summary.bump("levels added")
            elif (row.rank, row.proficient, row.is_default) != (v.rank, v.proficient, v.is_default):
                row.rank, row.proficient, row.is_default = v.rank, v.proficient, v.is_default
                row.version += 1
                summary.bump("levels changed")
            session.add(row)
            session.flush()
            value_ids[(spec.name, v.name)] = row.id or 0

    report("Framework", 0.25)
    framework = existing_framework or Framework(code=bundle.code, name=bundle.name, scale_id=0)
    fields = (bundle.name, bundle.source, bundle.description, scale_ids[bundle.scale_name])
    if existing_framework is None:
        summary.bump("frameworks added")
    elif (framework.name, framework.source, framework.description, framework.scale_id) != fields:
        framework.version += 1
        summary.bump("frameworks changed")
    framework.name, framework.source, framework.description, framework.scale_id = fields
    session.add(framework)
    session.flush()
    assert framework.id is not None

    report("Competencies", 0.4)
    current_comps = {
        c.code: c
        for c in session.exec(
            select(Competency).where(Competency.framework_id == framework.id)
        ).all()
    }
    wanted_codes = {c.code for c in bundle.competencies}
    doomed = {c.id for code, c in current_comps.items() if code not in wanted_codes}
    total = max(len(bundle.competencies), 1)
    rows: dict[str, Competency] = {}
    for index, comp_spec in enumerate(bundle.competencies):
        if index % 200 == 0:
            report("Competencies", 0.4 + 0.2 * index / total)
        comp_row = current_comps.get(comp_spec.code)
        scale_id = scale_ids[comp_spec.scale_name] if comp_spec.scale_name else None
        comp_values = (comp_spec.name, comp_spec.kind, scale_id, comp_spec.description, index + 1)
        if comp_row is None:
            comp_row = Competency(
                framework_id=framework.id, code=comp_spec.code, name=comp_spec.name
            )
            summary.bump("competencies added")
        elif (
            comp_row.name,
            comp_row.kind,
            comp_row.scale_id,
            comp_row.description,
            comp_row.sort_order,
        ) != comp_values:
            comp_row.version += 1
            summary.bump("competencies changed")
        (
            comp_row.name,
            comp_row.kind,
            comp_row.scale_id,
            comp_row.description,
            comp_row.sort_order,
        ) = comp_values
        session.add(comp_row)
        rows[comp_spec.code] = comp_row
    session.flush()
    for comp_spec in bundle.competencies:
        parent_id = rows[comp_spec.parent_code].id if comp_spec.parent_code else None
        if rows[comp_spec.code].parent_id != parent_id:
            rows[comp_spec.code].parent_id = parent_id
            session.add(rows[comp_spec.code])
    session.flush()
    if doomed:
        summary.bump("competencies removed", len(doomed))
    _delete_competencies(session, doomed)
    session.flush()

    report("Level descriptors", 0.65)
    framework_scale = bundle.scale_name
    scale_of = {c.code: c.scale_name or framework_scale for c in bundle.competencies}
    comp_ids = [r.id for r in rows.values()]
    current_desc = {
        (d.competency_id, d.scale_value_id): d
        for d in session.exec(
            select(LevelDescriptor).where(col(LevelDescriptor.competency_id).in_(comp_ids))
        ).all()
    }
    _sync_rows(
        session,
        summary,
        "descriptors",
        current_desc,
        {
            (
                rows[d.competency_code].id or 0,
                value_ids[(scale_of[d.competency_code], d.level)],
            ): {"text": d.text}
            for d in bundle.descriptors
        },
        lambda key, values: LevelDescriptor(competency_id=key[0], scale_value_id=key[1], **values),
    )
    session.flush()

    report("Role map", 0.8)
    positions = dict(session.exec(select(Position.code, Position.id)).all())
    current_req = {
        (r.position_id, r.competency_id): r
        for r in session.exec(
            select(RoleRequirement).where(col(RoleRequirement.competency_id).in_(comp_ids))
        ).all()
    }
    wanted_cells: dict[tuple[int, int], dict[str, Any]] = {}
    for number, r in enumerate(bundle.requirements, start=2):
        position_id = positions.get(r.position_code)
        if position_id is None:
            problems.append(
                RowError(
                    f"Role map {number}", "position code", f"Unknown position {r.position_code!r}."
                )
            )
            continue
        wanted_cells[(position_id, rows[r.competency_code].id or 0)] = {
            "required_value_id": value_ids[(scale_of[r.competency_code], r.level)],
            "critical": r.critical,
        }
    _sync_rows(
        session,
        summary,
        "role-map cells",
        current_req,
        wanted_cells,
        lambda key, values: RoleRequirement(position_id=key[0], competency_id=key[1], **values),
    )
    if problems:
        raise ValidationError("Nothing was imported: fix the rows below.", rows=problems)
    session.flush()
    return summary


def _sync_rows(
    session: Session,
    summary: ImportSummary,
    what: str,
    current: dict[tuple[int, int], Any],
    wanted: dict[tuple[int, int], dict[str, Any]],
    new_row: Callable[[tuple[int, int], dict[str, Any]], Any],
) -> None:
    """Make the rows under `current` match `wanted` (key -> column values):
    add the missing, change those that differ (next version), delete the rest."""
    for key, values in wanted.items():
        row = current.get(key)
        if row is None:
            session.add(new_row(key, values))
            summary.bump(f"{what} added")
        elif any(getattr(row, column) != value for column, value in values.items()):
            for column, value in values.items():
                setattr(row, column, value)
            row.version += 1
            session.add(row)
            summary.bump(f"{what} changed")
    for key, row in current.items():
        if key not in wanted:
            session.delete(row)
            summary.bump(f"{what} removed")


def describe_import(bundle: FrameworkBundle) -> pd.DataFrame:
    """What a parsed file holds, for the preview (before any database check)."""
    return pd.DataFrame(
        [
            ["scales", len(bundle.scales)],
            ["levels", sum(len(s.values) for s in bundle.scales)],
            ["competencies", len(bundle.competencies)],
            ["level descriptors", len(bundle.descriptors)],
            ["role-map cells", len(bundle.requirements)],
        ],
        columns=["in the file", "rows"],
    )


@dataclass(frozen=True)
class ImportPreview:
    bundle: FrameworkBundle
    contents: pd.DataFrame
    summary: ImportSummary


def preview_import(
    session: Session,
    *,
    actor: Actor,
    data: bytes,
    file_format: str,
    leaf_kind: str = "skill",
    progress: Progress | None = None,
) -> ImportPreview:
    """Parse an upload ("workbook" or "moodle") and dry-run it against the
    database; nothing is written. Raises `ValidationError` with row errors."""
    _require_editor(session, actor, "import", "framework")
    report = progress or (lambda _label, _share: None)

    def parsing(label: str, share: float) -> None:
        report(label, share * 0.6)

    if file_format == "moodle":
        bundle = parse_moodle_csv(data, leaf_kind=leaf_kind, progress=parsing)
    elif file_format == "workbook":
        bundle = parse_workbook(data, progress=parsing)
    else:
        raise ValidationError(f"Unknown file format {file_format!r}.")

    def checking(label: str, share: float) -> None:
        report(label, 0.6 + share * 0.4)

    summary = import_framework(session, actor=actor, bundle=bundle, dry_run=True, progress=checking)
    return ImportPreview(bundle=bundle, contents=describe_import(bundle), summary=summary)


def list_job_families(session: Session, *, actor: Actor) -> list[tuple[int, str]]:
    """(id, name) of every job family, for the role map's filter."""
    require(
        can_view_competencies(actor),
        session=session,
        actor=actor,
        action="list",
        entity="jobfamily",
    )
    rows = session.exec(select(JobFamily.id, JobFamily.name).order_by(col(JobFamily.name))).all()
    return [(i or 0, n) for i, n in rows]
