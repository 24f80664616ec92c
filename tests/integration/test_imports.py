"""The importers' shared contract on both databases: row errors in a preview
(never an exception for a row), every column length checked before the
database sees it, framework re-imports that merge instead of replacing,
scales kept to their framework, goal refusals audited, exact round trips."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import Session, col, select

from core import goals as goal_service
from core.audit import ENTITY_ID_MAX
from core.competencies import import_framework, preview_import
from core.competencies.files import bundle_to_workbook
from core.imports import ImportPreview, column_limit
from db.models import (
    AuditEvent,
    Competency,
    Framework,
    Goal,
    LevelDescriptor,
    RoleRequirement,
    Scale,
    ScaleValue,
)
from tests.factories import (
    actor_for,
    make_cycle,
    make_goal,
    make_person,
    make_position,
    make_small_org,
)

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "moodle_framework.csv"
HEADER = FIXTURE.read_text().splitlines()[0]
TWO_LEVELS_A = '[{""scaleid"":""1""},{""id"":1,""scaledefault"":1,""proficient"":0},{""id"":2,""scaledefault"":0,""proficient"":1}]'  # noqa: E501
TWO_LEVELS_B = '[{""scaleid"":""1""},{""id"":1,""scaledefault"":0,""proficient"":0},{""id"":2,""scaledefault"":1,""proficient"":1}]'  # noqa: E501


def _moodle(framework_code: str, config: str, *competencies: tuple[str, str]) -> bytes:
    """A Moodle CSV with Moodle's stock two-level scale and flat competencies."""
    lines = [
        HEADER,
        f'"","{framework_code}","Framework {framework_code}","","1",'
        f'"Not yet competent,Competent","{config}","","","","","","1",""',
    ]
    lines += [
        f'"","{code}","{name}","","1","","","","0","null","","","0",""'
        for code, name in competencies
    ]
    return "\n".join(lines).encode()


def _hr(session: Session):  # type: ignore[no-untyped-def]
    return actor_for(session, make_person(session, hr=True))


def _preview_moodle(session: Session, hr, data: bytes, **options):  # type: ignore[no-untyped-def]
    return preview_import(session, actor=hr, data=data, file_format="moodle", **options)


# --- the contract ---------------------------------------------------------------


def test_both_importers_return_the_shared_preview(session: Session) -> None:
    hr = _hr(session)
    framework_preview = _preview_moodle(session, hr, FIXTURE.read_bytes())
    org = make_small_org(session)
    goal_preview = goal_service.preview_goal_import(
        session, actor=actor_for(session, org.hr), content=_goal_workbook([["a", "", "team"]])
    )
    for preview in (framework_preview, goal_preview):
        assert isinstance(preview, ImportPreview)
        assert list(preview.errors_frame().columns) == ["row", "column", "problem"]
        assert load_workbook(io.BytesIO(preview.errors_workbook())).sheetnames == ["Errors"]
    assert framework_preview.valid
    assert framework_preview.counts["competencies added"] == 6
    assert not goal_preview.valid


def test_row_problems_of_a_framework_file_are_a_preview_not_an_exception(
    session: Session,
) -> None:
    hr = _hr(session)
    too_long = "C" * (column_limit(Competency, "code") + 1)
    preview = _preview_moodle(session, hr, _moodle("FW-LONG", TWO_LEVELS_A, (too_long, "Long")))
    assert not preview.valid
    assert any(e.column == "ID number" and "At most" in e.message for e in preview.errors)


# --- lengths the database enforces -----------------------------------------------


def test_framework_source_longer_than_its_column_is_a_row_error(session: Session) -> None:
    hr = _hr(session)
    first = _preview_moodle(session, hr, FIXTURE.read_bytes())
    assert first.bundle is not None
    limit = column_limit(Framework, "source")
    from dataclasses import replace

    data = bundle_to_workbook(replace(first.bundle, code="SRC", source="s" * (limit + 1)))
    preview = preview_import(session, actor=hr, data=data, file_format="workbook")
    assert [(e.column, e.message) for e in preview.errors] == [
        ("source", f"At most {limit} characters.")
    ]


def test_codes_longer_than_the_audit_column_import_and_are_audited(session: Session) -> None:
    hr = _hr(session)
    framework_code = "F" * 90
    competency_code = "K" * 90
    data = _moodle(framework_code, TWO_LEVELS_A, (competency_code, "Long code"))
    preview = _preview_moodle(session, hr, data)
    assert preview.valid, preview.errors
    result = import_framework(session, actor=hr, bundle=preview.bundle, dry_run=False)
    assert result.committed
    session.flush()
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "framework.imported")).one()
    assert event.entity_id is not None
    assert len(event.entity_id) <= ENTITY_ID_MAX
    assert json.loads(event.detail)["entity_id"] == framework_code
    stored = session.exec(select(Competency).where(Competency.code == competency_code)).one()
    assert stored.name == "Long code"


def test_goal_description_over_the_limit_is_a_row_error(session: Session) -> None:
    org = make_small_org(session)
    make_cycle(session, name="Q4 long")
    content = _goal_workbook(
        [["t1", "Team OKR", "team", None, org.team_a.code, None, "Q4 long"]],
        description="x" * (goal_service.DESCRIPTION_MAX + 1),
    )
    preview = goal_service.preview_goal_import(
        session, actor=actor_for(session, org.manager), content=content
    )
    assert [(str(e.row), e.column) for e in preview.errors] == [("Goals 2", "description")]


# --- re-importing a framework ------------------------------------------------------


def test_moodle_reimport_keeps_role_map_cells_and_descriptors(session: Session) -> None:
    hr = _hr(session)
    first = _preview_moodle(session, hr, FIXTURE.read_bytes())
    import_framework(session, actor=hr, bundle=first.bundle, dry_run=False)
    mail = session.exec(select(Competency).where(Competency.code == "DW-MAIL")).one()
    framework = session.exec(select(Framework).where(Framework.code == "DIGI-FW")).one()
    level = session.exec(
        select(ScaleValue).where(ScaleValue.scale_id == framework.scale_id, ScaleValue.rank == 2)
    ).one()
    position = make_position(session)
    session.add(
        RoleRequirement(position_id=position.id, competency_id=mail.id, required_value_id=level.id)
    )
    session.add(LevelDescriptor(competency_id=mail.id, scale_value_id=level.id, text="Typed"))
    session.flush()

    again = _preview_moodle(session, hr, FIXTURE.read_bytes())
    assert again.valid
    assert "role-map cells removed" not in again.counts
    assert again.removals == ()
    for remove_missing in (False, True):
        result = import_framework(
            session, actor=hr, bundle=again.bundle, dry_run=False, remove_missing=remove_missing
        )
        assert result.committed
        assert session.exec(
            select(RoleRequirement).where(RoleRequirement.competency_id == mail.id)
        ).one()
        assert (
            session.exec(select(LevelDescriptor).where(LevelDescriptor.competency_id == mail.id))
            .one()
            .text
            == "Typed"
        )


def test_competencies_left_out_are_listed_and_removed_only_when_asked(session: Session) -> None:
    hr = _hr(session)
    full = _moodle("FW-M", TWO_LEVELS_A, ("M-1", "Kept"), ("M-2", "Left out"))
    import_framework(
        session, actor=hr, bundle=_preview_moodle(session, hr, full).bundle, dry_run=False
    )
    partial = _moodle("FW-M", TWO_LEVELS_A, ("M-1", "Kept"))
    preview = _preview_moodle(session, hr, partial)
    assert preview.removals == ("Competency Left out (M-2)",)
    assert "competencies removed" not in preview.counts
    import_framework(session, actor=hr, bundle=preview.bundle, dry_run=False)
    assert session.exec(select(Competency).where(Competency.code == "M-2")).first() is not None

    removing = _preview_moodle(session, hr, partial, remove_missing=True)
    assert removing.counts["competencies removed"] == 1
    result = import_framework(
        session, actor=hr, bundle=removing.bundle, dry_run=False, remove_missing=True
    )
    assert result.committed
    assert session.exec(select(Competency).where(Competency.code == "M-2")).first() is None


def test_importing_another_framework_never_changes_a_frameworks_scale(session: Session) -> None:
    hr = _hr(session)
    a = _preview_moodle(session, hr, _moodle("FW-A", TWO_LEVELS_A, ("A-1", "One")))
    import_framework(session, actor=hr, bundle=a.bundle, dry_run=False)
    framework_a = session.exec(select(Framework).where(Framework.code == "FW-A")).one()

    def defaults() -> list[tuple[str, bool]]:
        return [
            (v.name, v.is_default)
            for v in session.exec(
                select(ScaleValue)
                .where(ScaleValue.scale_id == framework_a.scale_id)
                .order_by(col(ScaleValue.rank))
            ).all()
        ]

    before = defaults()
    b = _preview_moodle(session, hr, _moodle("FW-B", TWO_LEVELS_B, ("B-1", "Two")))
    assert b.valid, b.errors
    assert import_framework(session, actor=hr, bundle=b.bundle, dry_run=False).committed
    framework_b = session.exec(select(Framework).where(Framework.code == "FW-B")).one()
    assert defaults() == before == [("Not yet competent", True), ("Competent", False)]
    assert framework_b.scale_id != framework_a.scale_id
    scale_b = session.get(Scale, framework_b.scale_id)
    assert scale_b is not None
    assert "FW-B" in scale_b.name


# --- goals ------------------------------------------------------------------------


def _goal_workbook(goals: list[list[object]], *, description: str | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Goals"
    columns = ["ref", "title", "level", "owner_code", "unit_code", "parent_ref", "cycle"]
    sheet.append([*columns, "description"])
    for row in goals:
        sheet.append([*row, *([None] * (len(columns) - len(row))), description])
    book.create_sheet("Key results").append(["goal_ref", "title"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_goal_rows_refused_for_other_peoples_goals_are_audited(session: Session) -> None:
    org = make_small_org(session)
    make_cycle(session, name="Q4 refused")
    content = _goal_workbook(
        [
            ["x1", "Other team", "team", None, org.team_b.code, None, "Q4 refused"],
            ["x2", "Olga's", "individual", org.outsider.employee_code, None, None, "Q4 refused"],
        ]
    )
    manager = actor_for(session, org.manager)
    goal_service.preview_goal_import(session, actor=manager, content=content)
    session.flush()
    events = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "goal_import.refused", AuditEvent.actor_id == org.manager.id
        )
    ).all()
    assert len(events) == 1
    detail = json.loads(events[0].detail)
    assert detail["refused"] == 2
    assert any(row.startswith("Goals 2 ") for row in detail["rows"])
    assert any(row.startswith("Goals 3 ") for row in detail["rows"])


def test_own_goal_export_imports_back_exactly(session: Session) -> None:
    org = make_small_org(session)
    cycle = make_cycle(session, name="Q4 round trip")
    tricky = ["=SUM(A1)", "'=already quoted", "-5 days", "@mention"]
    for title in tricky:
        goal = make_goal(session, cycle=cycle, unit=org.team_a, title=title)
        goal.description = "+" + title
        session.add(goal)
    session.flush()
    manager = actor_for(session, org.manager)
    exported = goal_service.export_goals(session, actor=manager, cycle_id=cycle.id or 0)
    book = load_workbook(io.BytesIO(exported))
    for number, row in enumerate(book["Goals"].iter_rows(min_row=2), start=1):
        row[0].value = f"new-{number}"  # new refs: the import creates new goals
    buffer = io.BytesIO()
    book.save(buffer)
    result = goal_service.commit_goal_import(session, actor=manager, content=buffer.getvalue())
    assert result.committed, result.errors
    imported = session.exec(
        select(Goal).where(Goal.cycle_id == cycle.id).order_by(col(Goal.id).desc()).limit(4)
    ).all()
    assert sorted(g.title for g in imported) == sorted(tricky)
    assert sorted(g.description for g in imported) == sorted("+" + t for t in tricky)


def test_goal_formula_after_a_blank_cell_is_a_row_error(session: Session) -> None:
    org = make_small_org(session)
    make_cycle(session, name="Q4 formula")
    content = _goal_workbook(
        [["t1", "Team OKR", "team", None, org.team_a.code, None, "Q4 formula"]],
        description="=1+1",
    )
    preview = goal_service.preview_goal_import(
        session, actor=actor_for(session, org.manager), content=content
    )
    assert [(str(e.row), e.column) for e in preview.errors] == [("Goals 2", "description")]
    assert "formulas are refused" in preview.errors[0].message


@pytest.mark.parametrize("refusal", ["Other team"])
def test_commit_with_row_errors_writes_nothing_and_raises_nothing(
    session: Session, refusal: str
) -> None:
    org = make_small_org(session)
    make_cycle(session, name="Q4 nothing")
    content = _goal_workbook([["x1", refusal, "team", None, org.team_b.code, None, "Q4 nothing"]])
    before = len(session.exec(select(Goal.id)).all())
    result = goal_service.commit_goal_import(
        session, actor=actor_for(session, org.manager), content=content
    )
    assert not result.committed
    assert result.errors
    assert len(session.exec(select(Goal.id)).all()) == before
