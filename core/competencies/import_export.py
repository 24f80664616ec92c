"""A framework bundle to and from the database: export, dry-run
preview and merging import (`core.competencies.files` parses and writes the files)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.access import Actor
from core.audit import record_event
from core.competencies.commands import _delete_competencies
from core.competencies.files import (
    SCALE_NAME_MAX,
    CompetencySpec,
    DescriptorSpec,
    FrameworkBundle,
    RequirementSpec,
    ScaleSpec,
    ScaleValueSpec,
    bundle_to_workbook,
    parse_moodle_csv,
    parse_workbook,
)
from core.competencies.grids import Progress, _require_editor
from core.competencies.queries import _framework
from core.errors import RowError, ValidationError
from core.imports import MAX_ERRORS, ImportPreview, RowProblems
from db.models import (
    Competency,
    Framework,
    LevelDescriptor,
    Position,
    RoleRequirement,
    Scale,
    ScaleValue,
)

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
    problems: list[RowError] = field(default_factory=list)
    removals: list[str] = field(default_factory=list)

    def bump(self, key: str, by: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + by

    def as_frame(self) -> pd.DataFrame:
        return pd.DataFrame(sorted(self.counts.items()), columns=["change", "rows"])


@dataclass(frozen=True, kw_only=True)
class FrameworkImportPreview(ImportPreview):
    """The shared import contract, plus the parsed file (None when it could
    not be parsed) and what it holds."""

    bundle: FrameworkBundle | None = None
    contents: pd.DataFrame = field(default_factory=pd.DataFrame)
    framework_created: bool = False
    remove_missing: bool = False


IN_USE = (
    "A competency or level the file leaves out is still in use (for example by "
    "assessments); keep it in the file, or import without removing what it leaves out."
)


def import_framework(
    session: Session,
    *,
    actor: Actor,
    bundle: FrameworkBundle,
    dry_run: bool,
    remove_missing: bool = False,
    progress: Progress | None = None,
) -> FrameworkImportPreview:
    """Merge the bundle into the framework with its code, by competency code:
    scales' levels, competencies, their level descriptors and role-map cells
    are added or changed. What the file leaves out stays unless
    `remove_missing` (the preview lists it by name either way). Moodle files
    carry no descriptors or role map, so those are never removed by one.
    All or nothing: with any row error nothing is written.

    A dry run does exactly the same work inside a savepoint and rolls it back,
    so the preview meets every check a real import would.
    """
    _require_editor(session, actor, "import", "framework")
    report = progress or (lambda _label, _share: None)
    nested = session.begin_nested()
    try:
        summary = _write_bundle(
            session, bundle, report, dry_run=dry_run, remove_missing=remove_missing
        )
        session.flush()
    except IntegrityError:
        nested.rollback()
        summary = ImportSummary(bundle.code, False, dry_run, notes=list(bundle.notes))
        summary.problems.append(RowError("", "", IN_USE))
    except BaseException:
        nested.rollback()
        raise
    else:
        if dry_run or summary.problems:
            nested.rollback()
        else:
            nested.commit()
    committed = not dry_run and not summary.problems
    if committed:
        record_event(
            session,
            actor_id=actor.person_id,
            action="framework.imported",
            entity="framework",
            entity_id=bundle.code,
            detail={
                "source": bundle.source,
                "counts": summary.counts,
                "removed": summary.removals[:MAX_ERRORS] if remove_missing else [],
            },
        )
        report("Imported", 1.0)
    return FrameworkImportPreview(
        errors=tuple(summary.problems[:MAX_ERRORS]),
        counts=dict(summary.counts),
        notes=tuple(summary.notes),
        removals=tuple(summary.removals),
        committed=committed,
        bundle=bundle,
        contents=describe_import(bundle),
        framework_created=summary.framework_created,
        remove_missing=remove_missing,
    )


def write_framework_bundle(
    session: Session, bundle: FrameworkBundle, *, progress: Progress | None = None
) -> ImportSummary:
    """The import's writer without an actor, for the demo seeders and the
    generator (trusted bundles built in code)."""
    summary = _write_bundle(
        session, bundle, progress or (lambda _l, _s: None), dry_run=False, remove_missing=True
    )
    if summary.problems:
        raise ValidationError("The bundle does not fit the database.", rows=summary.problems)
    return summary


def _scale_matches(session: Session, scale: Scale, spec: ScaleSpec) -> bool:
    values = session.exec(select(ScaleValue).where(ScaleValue.scale_id == scale.id)).all()
    return scale.description == spec.description and {
        (v.name, v.rank, v.proficient, v.is_default) for v in values
    } == {(v.name, v.rank, v.proficient, v.is_default) for v in spec.values}


def _scale_users(session: Session, scale_id: int, framework_id: int | None) -> list[str]:
    """Codes of the other frameworks that use a scale (as theirs or a
    competency's)."""
    direct = session.exec(
        select(Framework.code).where(
            Framework.scale_id == scale_id, col(Framework.id) != (framework_id or 0)
        )
    ).all()
    through = session.exec(
        select(Framework.code)
        .join(Competency, col(Competency.framework_id) == col(Framework.id))
        .where(Competency.scale_id == scale_id, col(Framework.id) != (framework_id or 0))
    ).all()
    return sorted(set(direct) | set(through))


def _own_scale_name(session: Session, name: str, framework_code: str) -> str:
    """A name for a new scale of this framework when another scale already has
    the file's name (scale names are unique across frameworks)."""
    taken = set(session.exec(select(Scale.name)).all())
    for attempt in range(1, 100):
        number = "" if attempt == 1 else f" {attempt}"
        suffix = f" ({framework_code[:40]}{number})"
        candidate = name[: SCALE_NAME_MAX - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
    raise ValidationError(f"No free name for the scale {name!r}.")


def _write_bundle(
    session: Session,
    bundle: FrameworkBundle,
    report: Progress,
    *,
    dry_run: bool,
    remove_missing: bool,
) -> ImportSummary:
    report("Scales", 0.1)
    existing_framework = session.exec(
        select(Framework).where(Framework.code == bundle.code)
    ).first()
    summary = ImportSummary(
        bundle.code, existing_framework is None, dry_run, notes=list(bundle.notes)
    )
    problems = summary.problems
    # Scales belong to their framework: a file's scale is matched by name among
    # the scales this framework already uses, never among other frameworks'.
    own_ids: set[int] = set()
    if existing_framework is not None:
        own_ids = {existing_framework.scale_id} | {
            sid
            for sid in session.exec(
                select(Competency.scale_id).where(Competency.framework_id == existing_framework.id)
            ).all()
            if sid is not None
        }
    own = {s.name: s for s in session.exec(select(Scale).where(col(Scale.id).in_(own_ids))).all()}
    framework_id = existing_framework.id if existing_framework is not None else None
    scale_ids: dict[str, int] = {}
    value_ids: dict[tuple[str, str], int] = {}
    for spec in bundle.scales:
        scale = own.get(spec.name)
        if scale is not None:
            assert scale.id is not None
            others = _scale_users(session, scale.id, framework_id)
            if others and not _scale_matches(session, scale, spec):
                problems.append(
                    RowError(
                        "Scales",
                        "scale",
                        f"The scale {spec.name!r} is shared with {', '.join(others)}; "
                        "changing it here would change those too. Edit it on the Scales tab, "
                        "or give this file's scale another name.",
                    )
                )
                return summary
        else:
            namesake = session.exec(select(Scale).where(Scale.name == spec.name)).first()
            if namesake is not None and _scale_matches(session, namesake, spec):
                scale = namesake  # identical: sharing it changes nothing of anyone's
            else:
                name = (
                    spec.name
                    if namesake is None
                    else _own_scale_name(session, spec.name, bundle.code)
                )
                scale = Scale(name=name, description=spec.description)
                summary.bump("scales added")
        if scale.id is not None and scale.description != spec.description:
            scale.description = spec.description
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
    missing = [c for code, c in current_comps.items() if code not in wanted_codes]
    summary.removals.extend(f"Competency {c.name} ({c.code})" for c in missing)
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
    if remove_missing and missing:
        summary.bump("competencies removed", len(missing))
        _delete_competencies(session, {c.id for c in missing})
        session.flush()

    # Only a file that carries descriptors and a role map may remove them;
    # otherwise what HR typed in Stride is kept.
    remove_details = remove_missing and bundle.has_descriptors_and_role_map
    names = {r.id: f"{r.name} ({r.code})" for r in rows.values()}
    level_names = {vid: level for (_, level), vid in value_ids.items()}

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
        remove=remove_details,
        removable=bundle.has_descriptors_and_role_map,
        label=lambda key: (
            f"Level descriptor {names.get(key[0], key[0])}: {level_names.get(key[1], key[1])}"
        ),
    )
    session.flush()

    report("Role map", 0.8)
    positions = dict(session.exec(select(Position.code, Position.id)).all())
    position_codes = {pid: code for code, pid in positions.items()}
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
        remove=remove_details,
        removable=bundle.has_descriptors_and_role_map,
        label=lambda key: (
            f"Role-map cell {position_codes.get(key[0], key[0])}: {names.get(key[1], key[1])}"
        ),
    )
    session.flush()
    return summary


def _sync_rows(
    session: Session,
    summary: ImportSummary,
    what: str,
    current: dict[tuple[int, int], Any],
    wanted: dict[tuple[int, int], dict[str, Any]],
    new_row: Callable[[tuple[int, int], dict[str, Any]], Any],
    *,
    remove: bool,
    removable: bool,
    label: Callable[[tuple[int, int]], str],
) -> None:
    """Make the rows under `current` match `wanted` (key -> column values):
    add the missing, change those that differ (next version); the rest are
    listed as removable when the file could hold them, and deleted if asked."""
    for key, values in wanted.items():
        row = current.get(key)
        if row is None:
            session.add(new_row(key, values))
            summary.bump(f"{what} added")
        elif any(getattr(row, column) != value for column, value in values.items()):
            for column, value in values.items():
                setattr(row, column, value)
            session.add(row)
            summary.bump(f"{what} changed")
    if not removable:
        return
    for key, row in current.items():
        if key not in wanted:
            summary.removals.append(label(key))
            if remove:
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


def preview_import(
    session: Session,
    *,
    actor: Actor,
    data: bytes,
    file_format: str,
    leaf_kind: str = "skill",
    remove_missing: bool = False,
    progress: Progress | None = None,
) -> FrameworkImportPreview:
    """Parse an upload ("workbook" or "moodle") and dry-run it against the
    database; nothing is written. Problems of rows come back in the preview;
    only a file that cannot be read at all raises `ValidationError`."""
    _require_editor(session, actor, "import", "framework")
    report = progress or (lambda _label, _share: None)

    def parsing(label: str, share: float) -> None:
        report(label, share * 0.6)

    try:
        if file_format == "moodle":
            bundle = parse_moodle_csv(data, leaf_kind=leaf_kind, progress=parsing)
        elif file_format == "workbook":
            bundle = parse_workbook(data, progress=parsing)
        else:
            raise ValidationError(f"Unknown file format {file_format!r}.")
    except RowProblems as problems:
        return FrameworkImportPreview(
            errors=tuple(problems.rows[:MAX_ERRORS]) or (RowError("", "", problems.message),),
            notes=(problems.message,),
            remove_missing=remove_missing,
        )

    def checking(label: str, share: float) -> None:
        report(label, 0.6 + share * 0.4)

    return import_framework(
        session,
        actor=actor,
        bundle=bundle,
        dry_run=True,
        remove_missing=remove_missing,
        progress=checking,
    )
