"""Competency services on a real database: grids (with stale-edit refusal and
audit), role profiles, workbook and Moodle imports (dry run, all or nothing)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlmodel import Session, col, func, select

from core.competencies import (
    compare_positions,
    effective_scale_id,
    export_framework_bundle,
    get_competencies_grid,
    get_role_map_grid,
    get_role_profile,
    import_framework,
    preview_import,
    save_competencies_grid,
    save_role_map,
    scale_values_by_competency,
)
from core.competencies.files import bundle_to_workbook, parse_workbook
from core.errors import PermissionDenied, StaleEdit, ValidationError
from core.grid import GridChanges
from db.models import (
    AuditEvent,
    Competency,
    Framework,
    LevelDescriptor,
    Position,
    RoleRequirement,
)
from seed.demo_competencies import core_behaviours_bundle
from tests.factories import (
    actor_for,
    make_competency,
    make_framework,
    make_person,
    make_position,
    make_requirement,
    make_scale,
    scale_value,
)

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "moodle_framework.csv"


def _counts(session: Session) -> tuple[int, ...]:
    return tuple(
        session.exec(select(func.count()).select_from(m)).one()
        for m in (Framework, Competency, LevelDescriptor, RoleRequirement)
    )


@pytest.fixture
def setup(session: Session):  # type: ignore[no-untyped-def]
    scale = make_scale(session)
    framework = make_framework(session, scale=scale)
    cluster = make_competency(session, framework=framework, kind="cluster")
    teamwork = make_competency(session, framework=framework, parent=cluster, name="Teamwork")
    position = make_position(session, title="Engineer")
    senior = make_position(session, title="Senior engineer")
    hr = make_person(session, hr=True)
    employee = make_person(session, position=position)
    make_requirement(
        session, position=position, competency=teamwork, value=scale_value(session, scale, "Basic")
    )
    make_requirement(
        session,
        position=senior,
        competency=teamwork,
        value=scale_value(session, scale, "Advanced"),
        critical=True,
    )
    return {
        "scale": scale,
        "framework": framework,
        "cluster": cluster,
        "teamwork": teamwork,
        "position": position,
        "senior": senior,
        "hr": actor_for(session, hr),
        "employee": actor_for(session, employee),
    }


def test_scale_helpers_and_role_profile(session: Session, setup) -> None:  # type: ignore[no-untyped-def]
    teamwork = setup["teamwork"]
    assert effective_scale_id(session, competency_id=teamwork.id) == setup["scale"].id
    values = scale_values_by_competency(session, competency_ids=[teamwork.id])[teamwork.id]
    assert [v.name for v in values] == ["Basic", "Proficient", "Advanced"]
    profile = get_role_profile(session, actor=setup["employee"])
    assert profile is not None
    assert [(r.competency_name, r.required_value_name) for r in profile.rows] == [
        ("Teamwork", "Basic")
    ]
    comparison = compare_positions(
        session,
        actor=setup["employee"],
        from_position_id=setup["position"].id,
        to_position_id=setup["senior"].id,
    )
    assert comparison.iloc[0]["change"] == "higher"
    assert bool(comparison.iloc[0]["critical"])


def test_role_map_edit_saves_and_audits(session: Session, setup) -> None:  # type: ignore[no-untyped-def]
    hr = setup["hr"]
    grid = get_role_map_grid(session, actor=hr, framework_id=setup["framework"].id)
    column = f"c{setup['teamwork'].id}"
    assert column in grid.labels
    assert f"c{setup['cluster'].id}" not in grid.labels  # clusters are not required
    row = grid.frame.index[grid.frame["position_id"] == setup["position"].id][0]
    result = save_role_map(
        session, actor=hr, grid=grid, edited_rows={int(row): {column: "Proficient ★"}}
    )
    assert result.set == 1
    saved = session.exec(
        select(RoleRequirement).where(RoleRequirement.position_id == setup["position"].id)
    ).one()
    assert saved.critical
    assert saved.version == 2
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "role_map.saved")).first()


def test_role_map_stale_edit_is_refused(session: Session, setup) -> None:  # type: ignore[no-untyped-def]
    hr = setup["hr"]
    mine = get_role_map_grid(session, actor=hr, framework_id=setup["framework"].id)
    theirs = get_role_map_grid(session, actor=hr, framework_id=setup["framework"].id)
    column = f"c{setup['teamwork'].id}"
    row = int(mine.frame.index[mine.frame["position_id"] == setup["position"].id][0])
    save_role_map(session, actor=hr, grid=theirs, edited_rows={row: {column: "Advanced"}})
    with pytest.raises(StaleEdit, match="Someone else"):
        save_role_map(session, actor=hr, grid=mine, edited_rows={row: {column: "Basic"}})
    level = session.exec(
        select(RoleRequirement).where(RoleRequirement.position_id == setup["position"].id)
    ).one()
    assert level.version == 2  # their save only


def test_role_map_rejects_unknown_level_and_non_hr(session: Session, setup) -> None:  # type: ignore[no-untyped-def]
    grid = get_role_map_grid(session, actor=setup["hr"], framework_id=setup["framework"].id)
    column = f"c{setup['teamwork'].id}"
    with pytest.raises(ValidationError) as error:
        save_role_map(session, actor=setup["hr"], grid=grid, edited_rows={0: {column: "Wizard"}})
    assert error.value.rows[0].message.startswith("'Wizard'")
    with pytest.raises(PermissionDenied):
        save_role_map(
            session, actor=setup["employee"], grid=grid, edited_rows={0: {column: "Basic"}}
        )


def test_competency_grid_cycle_duplicate_and_stale(session: Session, setup) -> None:  # type: ignore[no-untyped-def]
    hr, framework = setup["hr"], setup["framework"]
    grid = get_competencies_grid(session, actor=hr, framework_id=framework.id)
    cluster_row = int(grid.frame.index[grid.frame["id"] == setup["cluster"].id][0])
    teamwork_code = setup["teamwork"].code
    with pytest.raises(ValidationError) as error:
        save_competencies_grid(
            session,
            actor=hr,
            framework_id=framework.id,
            shown=grid.frame,
            changes=GridChanges(
                edited_rows={cluster_row: {"parent": teamwork_code}},
                added_rows=[{"code": teamwork_code, "name": "Dup", "kind": "core"}],
            ),
        )
    messages = [r.message for r in error.value.rows]
    assert any("cycle" in m for m in messages)
    assert any("already taken" in m for m in messages)
    result = save_competencies_grid(
        session,
        actor=hr,
        framework_id=framework.id,
        shown=grid.frame,
        changes=GridChanges(
            edited_rows={cluster_row: {"description": "Grouping"}},
            added_rows=[
                {"code": "NEW", "name": "New one", "kind": "skill", "parent": setup["cluster"].code}
            ],
        ),
    )
    assert (result.created, result.updated) == (1, 1)
    with pytest.raises(StaleEdit):
        save_competencies_grid(
            session,
            actor=hr,
            framework_id=framework.id,
            shown=grid.frame,
            changes=GridChanges(edited_rows={cluster_row: {"name": "Renamed"}}),
        )
    fresh = get_competencies_grid(session, actor=hr, framework_id=framework.id)
    teamwork_row = int(fresh.frame.index[fresh.frame["id"] == setup["teamwork"].id][0])
    save_competencies_grid(
        session,
        actor=hr,
        framework_id=framework.id,
        shown=fresh.frame,
        changes=GridChanges(deleted_rows=[teamwork_row]),
    )
    assert (
        session.exec(
            select(RoleRequirement).where(RoleRequirement.competency_id == setup["teamwork"].id)
        ).first()
        is None
    )


def test_workbook_round_trip_through_the_database(session: Session, setup) -> None:  # type: ignore[no-untyped-def]
    hr = setup["hr"]
    bundle = core_behaviours_bundle()
    # The demo bundle names the demo positions; keep the cells of ours only.
    ours = session.exec(select(Position)).all()
    codes = {p.code: p.title for p in ours}
    bundle = replace(
        bundle,
        code="RT",
        requirements=tuple(
            replace(r, position_code=code, position_title=codes[code])
            for code in sorted(codes)[:2]
            for r in bundle.requirements
            if r.position_code == "SE"
        ),
    )
    import_framework(session, actor=hr, bundle=bundle, dry_run=False)
    framework_id = session.exec(select(Framework.id).where(Framework.code == "RT")).one()
    exported = export_framework_bundle(session, actor=hr, framework_id=framework_id)
    assert exported == bundle
    assert parse_workbook(bundle_to_workbook(exported)) == bundle
    # Importing the export again changes nothing.
    summary = import_framework(session, actor=hr, bundle=exported, dry_run=True)
    assert summary.counts == {}


def test_dry_run_and_invalid_import_change_nothing(session: Session, setup) -> None:  # type: ignore[no-untyped-def]
    hr = setup["hr"]
    before = _counts(session)
    preview = preview_import(session, actor=hr, data=FIXTURE.read_bytes(), file_format="moodle")
    assert preview.counts["competencies added"] == 6
    assert _counts(session) == before
    bundle = export_framework_bundle(session, actor=hr, framework_id=setup["framework"].id)
    broken = replace(
        bundle,
        requirements=(*bundle.requirements, replace(bundle.requirements[0], position_code="NOPE")),
    )
    result = import_framework(session, actor=hr, bundle=broken, dry_run=False)
    assert not result.committed
    assert "Unknown position 'NOPE'" in result.errors[0].message
    assert _counts(session) == before


def test_moodle_import_writes_hierarchy(session: Session, setup) -> None:  # type: ignore[no-untyped-def]
    hr = setup["hr"]
    preview = preview_import(session, actor=hr, data=FIXTURE.read_bytes(), file_format="moodle")
    import_framework(session, actor=hr, bundle=preview.bundle, dry_run=False)
    framework = session.exec(select(Framework).where(Framework.code == "DIGI-FW")).one()
    rows = {
        c.code: c
        for c in session.exec(
            select(Competency).where(Competency.framework_id == framework.id)
        ).all()
    }
    assert rows["DW-SEARCH-ADV"].parent_id == rows["DW-SEARCH"].id
    assert rows["DW-SEARCH"].parent_id == rows["DW-DATA"].id
    assert rows["DW-SEARCH-ADV"].scale_id not in (None, framework.scale_id)
    assert session.exec(
        select(AuditEvent).where(col(AuditEvent.action) == "framework.imported")
    ).first()
    with pytest.raises(PermissionDenied):
        preview_import(
            session, actor=setup["employee"], data=FIXTURE.read_bytes(), file_format="moodle"
        )
