"""Reads: scales and role requirements other domains use, role profiles,
position comparison, and the contents of each HR grid."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlmodel import Session, col, select

from core.access import Actor, can_view_competencies, require
from core.competencies.grids import _require_editor, _text
from core.errors import NotFound
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

CRITICAL_MARK = " ★"


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


GROWTH_CHANGES = ("higher", "new")


def growth_steps(comparison: pd.DataFrame) -> int:
    """Competencies a move between roles asks to grow or gain (of a
    `compare_positions` table)."""
    return int(comparison["change"].isin(GROWTH_CHANGES).sum())


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
    _require_editor(session, actor, "list", "level_descriptor")
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
    _require_editor(session, actor, "list", "role_map")
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


def _requirement(session: Session, position_id: int, competency_id: int) -> RoleRequirement | None:
    return session.exec(
        select(RoleRequirement).where(
            RoleRequirement.position_id == position_id,
            RoleRequirement.competency_id == competency_id,
        )
    ).first()


def list_job_families(session: Session, *, actor: Actor) -> list[tuple[int, str]]:
    """(id, name) of every job family, for the role map's filter."""
    require(
        can_view_competencies(actor),
        session=session,
        actor=actor,
        action="list",
        entity="job_family",
    )
    rows = session.exec(select(JobFamily.id, JobFamily.name).order_by(col(JobFamily.name))).all()
    return [(i or 0, n) for i, n in rows]
