"""Goal services on a real database (SQLite, and PostgreSQL when configured)."""

import io
import random
from datetime import date, timedelta

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils.escape import unescape
from sqlmodel import Session, func, select

from core import goals as svc
from core.errors import NotFound, PermissionDenied, StaleEdit, ValidationError
from core.org import managed_unit_ids
from db.models import (
    AuditEvent,
    Goal,
    GoalCreate,
    GoalCycleCreate,
    GoalUpdate,
    KeyResult,
    ProgressUpdate,
    utcnow,
)
from seed.demo_goals import load_goals
from tests.factories import actor_for, make_cycle, make_goal, make_small_org

TODAY = date(2026, 11, 23)


def _count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def _krs(*rows: tuple[str, float, float]) -> list[dict[str, object]]:
    return [
        {"title": title, "metric": "number", "start_value": start, "target_value": target}
        for title, start, target in rows
    ]


def test_managed_units_follow_the_reporting_line(session: Session) -> None:
    org = make_small_org(session)
    company = org.team_a.parent_id
    assert managed_unit_ids(session, person_id=org.manager.id) == {org.team_a.id}
    assert managed_unit_ids(session, person_id=org.report.id) == set()
    assert managed_unit_ids(session, person_id=org.other_manager.id) == {org.team_b.id}
    ceo_units = managed_unit_ids(session, person_id=org.ceo.id)
    assert {company, org.team_a.id, org.team_b.id} <= ceo_units


def test_employee_creates_and_lists_own_goal(session: Session) -> None:
    org = make_small_org(session)
    cycle = make_cycle(session)
    team_goal = make_goal(session, cycle=cycle, unit=org.team_a, key_results=[(0, 10, 5)])
    actor = actor_for(session, org.report)
    created = svc.create_goal(
        session,
        actor=actor,
        goal_in=GoalCreate(title="Ship search", cycle_id=cycle.id, parent_id=team_goal.id),
        key_results=_krs(("Queries served", 0, 100), ("Latency ms", 800, 200)),
    )
    assert created.owner_id == org.report.id
    goals = svc.list_person_goals(session, actor=actor, cycle_id=cycle.id)
    assert [g.title for g in goals] == ["Ship search"]
    assert goals[0].progress == 0
    assert [kr.decreasing for kr in goals[0].key_results] == [False, True]
    assert goals[0].parent_title == team_goal.title
    # The starting values are the first entries of each history.
    assert _count(session, ProgressUpdate) == 2
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "goal.created")).first()


def test_a_description_longer_than_the_limit_is_refused_in_forms_too(session: Session) -> None:
    org = make_small_org(session)
    cycle = make_cycle(session)
    actor = actor_for(session, org.report)
    too_long = "x" * (svc.DESCRIPTION_MAX + 1)
    with pytest.raises(ValidationError, match="10,000"):
        svc.create_goal(
            session,
            actor=actor,
            goal_in=GoalCreate(title="Essay", cycle_id=cycle.id, description=too_long),
            key_results=[],
        )
    created = svc.create_goal(
        session,
        actor=actor,
        goal_in=GoalCreate(title="Essay", cycle_id=cycle.id, description="short"),
        key_results=[],
    )
    with pytest.raises(ValidationError, match="10,000"):
        svc.update_goal(
            session,
            actor=actor,
            goal_id=created.id,
            version=created.version,
            changes=GoalUpdate(description=too_long),
        )
    assert session.get_one(Goal, created.id).description == "short"


@pytest.mark.parametrize(
    ("creator", "owner", "allowed"),
    [
        ("manager", "report", True),
        ("manager", "indirect", True),
        ("lead", "indirect", True),
        ("report", "peer", False),
        ("outsider", "report", False),
        ("hr", "report", False),  # HR does not set people's goals
    ],
)
def test_who_may_create_individual_goals(
    session: Session, creator: str, owner: str, allowed: bool
) -> None:
    org = make_small_org(session)
    cycle = make_cycle(session)
    actor = actor_for(session, getattr(org, creator))
    goal_in = GoalCreate(title="A goal", cycle_id=cycle.id, owner_id=getattr(org, owner).id)
    if allowed:
        assert svc.create_goal(session, actor=actor, goal_in=goal_in).title == "A goal"
        return
    with pytest.raises(PermissionDenied):
        svc.create_goal(session, actor=actor, goal_in=goal_in)


def test_team_goals_are_edited_by_unit_managers_and_hr(session: Session) -> None:
    org = make_small_org(session)
    cycle = make_cycle(session)
    goal_in = GoalCreate(
        title="Team OKR", level="team", org_unit_id=org.team_a.id, cycle_id=cycle.id
    )
    for person in (org.report, org.other_manager):
        with pytest.raises(PermissionDenied):
            svc.create_goal(session, actor=actor_for(session, person), goal_in=goal_in)
    created = svc.create_goal(session, actor=actor_for(session, org.manager), goal_in=goal_in)
    hr = actor_for(session, org.hr)
    updated = svc.update_goal(
        session,
        actor=hr,
        goal_id=created.id,
        version=created.version,
        changes=GoalUpdate(title="Team OKR, sharper"),
    )
    assert updated.version == created.version + 1
    # Everyone in the unit reads it; another unit's people do not.
    assert svc.get_goal(session, actor=actor_for(session, org.report), goal_id=created.id)
    with pytest.raises(PermissionDenied):
        svc.get_goal(session, actor=actor_for(session, org.outsider), goal_id=created.id)


def test_individual_goals_are_private_to_owner_managers_and_hr(session: Session) -> None:
    org = make_small_org(session)
    cycle = make_cycle(session)
    goal = make_goal(session, cycle=cycle, owner=org.indirect)
    for person in (org.indirect, org.lead, org.manager, org.ceo, org.hr):
        assert svc.get_goal(session, actor=actor_for(session, person), goal_id=goal.id)
    for person in (org.peer, org.outsider, org.other_manager):
        with pytest.raises(PermissionDenied):
            svc.get_goal(session, actor=actor_for(session, person), goal_id=goal.id)
    with pytest.raises(NotFound):
        svc.get_goal(session, actor=actor_for(session, org.hr), goal_id=999_999)


def test_alignment_only_points_upwards(session: Session) -> None:
    org = make_small_org(session)
    cycle = make_cycle(session)
    other_cycle = make_cycle(session, starts_on=date(2027, 1, 1), ends_on=date(2027, 3, 31))
    personal = make_goal(session, cycle=cycle, owner=org.peer)
    team_b_goal = make_goal(session, cycle=cycle, unit=org.team_b)
    later = make_goal(session, cycle=other_cycle, unit=org.team_a)
    actor = actor_for(session, org.manager)
    for parent, column in [(personal, "parent"), (later, "parent")]:
        with pytest.raises(ValidationError) as problem:
            svc.create_goal(
                session,
                actor=actor,
                goal_in=GoalCreate(title="x", cycle_id=cycle.id, parent_id=parent.id),
            )
        assert problem.value.rows[0].column == column
    # A team goal aligns to a unit above its own, not to a sibling team.
    with pytest.raises(ValidationError):
        svc.create_goal(
            session,
            actor=actor_for(session, org.ceo),
            goal_in=GoalCreate(
                title="x",
                level="team",
                org_unit_id=org.team_a.id,
                cycle_id=cycle.id,
                parent_id=team_b_goal.id,
            ),
        )
    targets = dict(
        svc.list_alignment_targets(
            session, actor=actor_for(session, org.report), cycle_id=cycle.id, level="individual"
        )
    )
    assert team_b_goal.id not in targets  # not in the report's unit chain
    assert personal.id not in targets


def test_progress_updates_keep_history_and_roll_up(session: Session) -> None:
    org = make_small_org(session)
    cycle = make_cycle(session)
    team_goal = make_goal(session, cycle=cycle, unit=org.team_a, key_results=[(0, 10, 5)])
    actor = actor_for(session, org.report)
    mine = svc.create_goal(
        session,
        actor=actor,
        goal_in=GoalCreate(title="Mine", cycle_id=cycle.id, parent_id=team_goal.id),
        key_results=_krs(("Up", 0, 10), ("Down", 10, 0)),
    )
    view = svc.get_goal(session, actor=actor, goal_id=mine.id).goal
    assert view.parent_progress == pytest.approx(0.5 * 50 + 0.5 * 0)
    up, down = view.key_results
    svc.record_progress(
        session,
        actor=actor,
        key_result_id=up.id,
        version=up.version,
        value=10,
        confidence="on track",
    )
    svc.record_progress(
        session,
        actor=actor,
        key_result_id=down.id,
        version=down.version,
        value=5,
        confidence="at risk",
        note="Slow week",
    )
    detail = svc.get_goal(session, actor=actor, goal_id=mine.id)
    assert detail.goal.progress == pytest.approx(75)
    assert detail.goal.parent_progress == pytest.approx(0.5 * 50 + 0.5 * 75)
    assert detail.goal.at_risk  # the latest confidence says so
    history = detail.history_frame()
    assert len(history) == 4
    assert history.iloc[0]["note"] == "Slow week"
    assert history.iloc[0]["progress"] == pytest.approx(50)
    # The same version again is a stale edit.
    with pytest.raises(StaleEdit):
        svc.record_progress(
            session,
            actor=actor,
            key_result_id=up.id,
            version=up.version,
            value=1,
            confidence="on track",
        )
    # Someone else's key result is refused.
    with pytest.raises(PermissionDenied):
        svc.record_progress(
            session,
            actor=actor_for(session, org.peer),
            key_result_id=down.id,
            version=down.version + 1,
            value=1,
            confidence="on track",
        )


def test_close_needs_a_rating_and_blocks_updates(session: Session) -> None:
    org = make_small_org(session)
    cycle = make_cycle(session)
    actor = actor_for(session, org.report)
    goal = svc.create_goal(
        session,
        actor=actor,
        goal_in=GoalCreate(title="Finish", cycle_id=cycle.id),
        key_results=_krs(("Done", 0, 1)),
    )
    with pytest.raises(ValidationError):
        svc.close_goal(
            session,
            actor=actor,
            goal_id=goal.id,
            version=goal.version,
            status="completed",
            final_rating=None,
        )
    closed = svc.close_goal(
        session,
        actor=actor,
        goal_id=goal.id,
        version=goal.version,
        status="completed",
        final_rating=4,
    )
    assert closed.status == "completed"
    assert closed.final_rating == 4
    kr = session.exec(select(KeyResult).where(KeyResult.goal_id == goal.id)).one()
    with pytest.raises(ValidationError, match="closed"):
        svc.record_progress(
            session,
            actor=actor,
            key_result_id=kr.id,
            version=kr.version,
            value=1,
            confidence="on track",
        )
    reopened = svc.update_goal(
        session,
        actor=actor,
        goal_id=goal.id,
        version=closed.version,
        changes=GoalUpdate(status="active"),
    )
    assert reopened.status == "active"
    assert reopened.final_rating is None


def test_key_result_edits(session: Session) -> None:
    org = make_small_org(session)
    cycle = make_cycle(session)
    actor = actor_for(session, org.report)
    goal = svc.create_goal(session, actor=actor, goal_in=GoalCreate(title="G", cycle_id=cycle.id))
    kr_id = svc.add_key_result(
        session,
        actor=actor,
        goal_id=goal.id,
        version=goal.version,
        key_result={"title": "Launched", "metric": "boolean"},
    )
    kr = session.get(KeyResult, kr_id)
    assert kr is not None
    assert (kr.start_value, kr.target_value) == (0, 1)
    svc.update_key_result(
        session,
        actor=actor,
        key_result_id=kr_id,
        version=kr.version,
        key_result={"title": "Live", "metric": "boolean"},
    )
    assert kr.title == "Live"
    with pytest.raises(ValidationError):
        svc.add_key_result(
            session,
            actor=actor,
            goal_id=goal.id,
            version=goal.version + 2,
            key_result={"title": "", "weight": -1},
        )
    svc.delete_key_result(session, actor=actor, key_result_id=kr_id, version=kr.version)
    assert session.get(KeyResult, kr_id) is None


def test_team_grid_flags_stale_and_at_risk(session: Session) -> None:
    org = make_small_org(session)
    today = utcnow().date()
    cycle = make_cycle(
        session, starts_on=today - timedelta(days=60), ends_on=today + timedelta(days=30)
    )
    quiet = make_goal(
        session, cycle=cycle, owner=org.report, title="Quiet", key_results=[(0, 10, 6)]
    )
    quiet.created_at = utcnow() - timedelta(days=40)
    kr = session.exec(select(KeyResult).where(KeyResult.goal_id == quiet.id)).one()
    session.add(ProgressUpdate(key_result_id=kr.id, value=6, at=utcnow() - timedelta(days=30)))
    make_goal(session, cycle=cycle, owner=org.peer, title="Behind", key_results=[(0, 10, 1)])
    fine = make_goal(
        session, cycle=cycle, owner=org.indirect, title="Fine", key_results=[(0, 10, 7)]
    )
    make_goal(session, cycle=cycle, owner=org.outsider, title="Not mine", key_results=[(0, 10, 0)])
    session.flush()
    grid = svc.list_team_goals(session, actor=actor_for(session, org.manager), cycle_id=cycle.id)
    flags = grid.set_index("title")[["at risk", "stale"]].to_dict("index")
    assert set(flags) == {"Quiet", "Behind", "Fine"}
    assert flags["Quiet"]["stale"]
    assert flags["Behind"]["at risk"]  # 10 % with two thirds of the cycle gone
    assert not flags["Fine"]["at risk"]
    assert not flags["Fine"]["stale"]
    direct = svc.list_team_goals(
        session, actor=actor_for(session, org.manager), cycle_id=cycle.id, direct_only=True
    )
    assert "Fine" not in set(direct["title"])
    flagged = svc.list_team_goals(
        session, actor=actor_for(session, org.manager), cycle_id=cycle.id, flagged_only=True
    )
    assert set(flagged["title"]) == {"Quiet", "Behind"}
    assert fine.id is not None
    with pytest.raises(PermissionDenied):
        svc.list_team_goals(session, actor=actor_for(session, org.report), cycle_id=cycle.id)


def test_alignment_tree_and_report_respect_scope(session: Session) -> None:
    org = make_small_org(session)
    cycle = make_cycle(session)
    company_unit = session.get(type(org.team_a), org.team_a.parent_id)
    company = make_goal(
        session, cycle=cycle, unit=company_unit, level="company", title="North star"
    )
    team = make_goal(session, cycle=cycle, unit=org.team_a, parent=company, title="Team A OKR")
    make_goal(
        session, cycle=cycle, owner=org.report, parent=team, title="Rita's", key_results=[(0, 4, 2)]
    )
    make_goal(
        session,
        cycle=cycle,
        owner=org.outsider,
        parent=company,
        title="Olga's",
        key_results=[(0, 4, 4)],
    )

    def titles(person: object, **filters: object) -> list[str]:
        branches = svc.get_alignment_tree(
            session,
            actor=actor_for(session, person),
            cycle_id=cycle.id,
            **filters,  # type: ignore[arg-type]
        )
        return [t.strip().lstrip("↳ ") for b in branches for t in b.rows["goal"]]

    assert titles(org.report) == ["North star", "Team A OKR", "Rita's"]
    assert titles(org.outsider) == ["North star", "Olga's"]
    assert set(titles(org.hr)) == {"North star", "Team A OKR", "Rita's", "Olga's"}
    assert titles(org.hr, unit_id=org.team_b.id) == ["North star", "Olga's"]
    assert titles(org.hr, search="rita") == ["North star", "Team A OKR", "Rita's"]
    branch = svc.get_alignment_tree(session, actor=actor_for(session, org.hr), cycle_id=cycle.id)[0]
    # North star: no key results of its own; its children are Team A (50 %) and Olga (100 %).
    assert branch.rolled_up == pytest.approx(75)

    report = svc.get_goal_report(session, actor=actor_for(session, org.manager), cycle_id=cycle.id)
    assert list(report.by_person["person"]) == ["Rita Report"]
    everyone = svc.get_goal_report(session, actor=actor_for(session, org.hr), cycle_id=cycle.id)
    assert set(everyone.by_person["person"]) == {"Rita Report", "Olga Outsider"}
    assert everyone.distribution["goals"].sum() == 2
    assert svc.goal_report_workbook(everyone)[:2] == b"PK"
    with pytest.raises(PermissionDenied):
        svc.get_goal_report(session, actor=actor_for(session, org.report), cycle_id=cycle.id)


def test_cycles_are_short_and_hr_only(session: Session) -> None:
    org = make_small_org(session)
    cycle_in = GoalCycleCreate(
        name="Q1 2027", starts_on=date(2027, 1, 1), ends_on=date(2027, 3, 31)
    )
    with pytest.raises(PermissionDenied):
        svc.create_cycle(session, actor=actor_for(session, org.manager), cycle_in=cycle_in)
    hr = actor_for(session, org.hr)
    assert svc.create_cycle(session, actor=hr, cycle_in=cycle_in).name == "Q1 2027"
    with pytest.raises(ValidationError, match="1 to 4 months"):
        svc.create_cycle(
            session,
            actor=hr,
            cycle_in=GoalCycleCreate(
                name="Year", starts_on=date(2027, 1, 1), ends_on=date(2027, 12, 31)
            ),
        )
    with pytest.raises(ValidationError, match="already"):
        svc.create_cycle(session, actor=hr, cycle_in=cycle_in)


# --- Excel -------------------------------------------------------------------


def _workbook(goals: list[list[object]], key_results: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Goals"
    sheet.append(
        ["ref", "title", "level", "owner_code", "unit_code", "parent_ref", "cycle", "kind"]
    )
    for row in goals:
        sheet.append(row)
    kr_sheet = book.create_sheet("Key results")
    kr_sheet.append(["goal_ref", "title", "metric", "start_value", "target_value", "unit"])
    for row in key_results:
        kr_sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_import_dry_run_then_commit(session: Session) -> None:
    org = make_small_org(session)
    cycle = make_cycle(session, name="Q4 import")
    unit_code = org.team_a.code
    content = _workbook(
        [
            ["t1", "Team OKR", "team", None, unit_code, None, "Q4 import", "performance"],
            # Aligned to a row further up the file.
            [
                "p1",
                "Rita's goal",
                "individual",
                org.report.employee_code,
                None,
                "t1",
                "Q4 import",
                None,
            ],
        ],
        [
            ["t1", "Coverage", "percent", 50, 80, None],
            ["p1", "Bugs open", "number", 30, 5, "bugs"],
            ["p1", "Shipped", "yes/no", None, None, None],
        ],
    )
    manager = actor_for(session, org.manager)
    goals_before = _count(session, Goal)
    preview = svc.preview_goal_import(session, actor=manager, content=content)
    assert preview.valid, preview.errors
    assert len(preview.goals) == 2
    assert _count(session, Goal) == goals_before  # a dry run writes nothing
    result = svc.commit_goal_import(session, actor=manager, content=content)
    assert result.committed
    assert (result.goals_added, result.key_results_added) == (2, 3)
    imported = session.exec(select(Goal).where(Goal.title == "Rita's goal")).one()
    parent = session.get(Goal, imported.parent_id)
    assert parent is not None
    assert parent.title == "Team OKR"
    assert imported.cycle_id == cycle.id


def test_import_is_all_or_nothing_with_row_errors(session: Session) -> None:
    org = make_small_org(session)
    make_cycle(session, name="Q4 bad")
    content = _workbook(
        [
            ["ok", "Fine goal", "individual", org.report.employee_code, None, None, "Q4 bad", None],
            ["x1", "", "individual", "NOPE", None, None, "Q4 bad", None],
            ["x2", "Other team", "team", None, org.team_b.code, None, "Q4 bad", None],
            ["x3", "Loop", "team", None, org.team_a.code, "x3", "Q4 bad", None],
        ],
        [["ok", "KR", "number", 0, "lots", None], ["missing", "KR", "number", 0, 1, None]],
    )
    manager = actor_for(session, org.manager)
    preview = svc.preview_goal_import(session, actor=manager, content=content)
    problems = {(str(e.row), e.column) for e in preview.errors}
    assert ("Goals 3", "owner_code") in problems
    assert ("Goals 4", "unit") in problems  # team B is not the manager's unit
    assert ("Goals 5", "parent_ref") in problems
    assert ("Key results 2", "target_value") in problems
    assert ("Key results 3", "goal_ref") in problems
    goals_before = _count(session, Goal)
    refused = svc.commit_goal_import(session, actor=manager, content=content)
    assert not refused.committed
    assert refused.errors
    assert _count(session, Goal) == goals_before
    frame = svc.import_errors_frame(preview.errors)
    assert list(frame.columns) == ["row", "column", "problem"]


def test_import_refuses_files_that_are_not_workbooks(session: Session) -> None:
    org = make_small_org(session)
    with pytest.raises(ValidationError, match="Excel workbook but is not one"):
        svc.preview_goal_import(session, actor=actor_for(session, org.hr), content=b"not a zip")
    with pytest.raises(ValidationError, match="the limit is"):
        svc.preview_goal_import(
            session, actor=actor_for(session, org.hr), content=b"0" * (svc.MAX_IMPORT_BYTES + 1)
        )


def test_export_has_two_sheets_and_only_visible_goals(session: Session) -> None:
    org = make_small_org(session)
    cycle = make_cycle(session)
    team = make_goal(session, cycle=cycle, unit=org.team_a, title="=HYPERLINK(evil)")
    make_goal(session, cycle=cycle, owner=org.report, parent=team, key_results=[(0, 10, 5)])
    make_goal(session, cycle=cycle, owner=org.outsider, title="Olga's")
    data = svc.export_goals(session, actor=actor_for(session, org.manager), cycle_id=cycle.id)
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Goals", "Key results"]
    goals = pd.DataFrame(list(book["Goals"].values)[1:], columns=svc.GOAL_COLUMNS)
    assert "Olga's" not in set(goals["title"])
    assert "'=HYPERLINK(evil)" in set(goals["title"])  # formula-escaped
    assert len(list(book["Key results"].values)) == 2


HOSTILE = ["=1+1", "@SUM(A1)", "+1", "-1", "\t=1+1", "\r=1+1"]


def test_export_keeps_hostile_text_escaped(session: Session) -> None:
    org = make_small_org(session)
    cycle = make_cycle(session)
    for text in HOSTILE:
        goal = make_goal(session, cycle=cycle, unit=org.team_a, title=text)
        goal.description = text
        session.add(KeyResult(goal_id=goal.id or 0, title=text, unit=text[:20]))
    session.flush()
    data = svc.export_goals(session, actor=actor_for(session, org.hr), cycle_id=cycle.id)
    book = load_workbook(io.BytesIO(data))
    escaped = ["'" + text for text in HOSTILE]

    def texts(sheet: str, column: int) -> list[str]:
        # The file holds a CR as Excel's escape _x000D_, which Excel reads
        # back as CR and openpyxl leaves as it is.
        return [unescape(row[column].value) for row in book[sheet].iter_rows(min_row=2)]

    assert texts("Goals", 1) == escaped  # title
    assert texts("Goals", 2) == escaped  # description
    assert texts("Key results", 1) == escaped  # title
    assert texts("Key results", 6) == escaped  # unit
    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    assert all(cell.hyperlink is None for cell in cells)


def test_export_keeps_numbers_and_dates_as_numbers_and_dates(session: Session) -> None:
    org = make_small_org(session)
    cycle = make_cycle(session)
    goal = make_goal(session, cycle=cycle, owner=org.report, key_results=[(0, 8, 2)])
    goal.due_on = date(2026, 12, 15)
    goal.final_rating = 4
    session.add(goal)
    session.flush()
    data = svc.export_goals(session, actor=actor_for(session, org.hr), cycle_id=cycle.id)
    book = load_workbook(io.BytesIO(data))
    row = dict(zip(svc.GOAL_COLUMNS, next(book["Goals"].iter_rows(min_row=2)), strict=True))
    assert row["due_on"].data_type == "d"
    assert row["due_on"].value.date() == date(2026, 12, 15)
    assert row["due_on"].number_format == "yyyy-mm-dd"
    assert row["progress"].data_type == "n"
    assert row["progress"].value == 25.0
    assert row["final_rating"].data_type == "n"
    assert row["final_rating"].value == 4
    kr = dict(zip(svc.KR_COLUMNS, next(book["Key results"].iter_rows(min_row=2)), strict=True))
    assert [kr[c].value for c in ("start_value", "target_value", "current_value", "weight")] == [
        0,
        8,
        2,
        1,
    ]
    assert all(
        kr[c].data_type == "n"
        for c in ("start_value", "target_value", "current_value", "weight", "progress")
    )
    assert kr["progress"].value == 25.0


# --- demo data ----------------------------------------------------------------


def test_demo_goals_for_any_organisation(session: Session) -> None:
    org = make_small_org(session)
    stats = load_goals(session, today=TODAY, rng=random.Random(1))
    assert stats.goals > 9 * 2
    people_with_goals = session.exec(
        select(func.count(func.distinct(Goal.owner_id))).where(Goal.level == "individual")
    ).one()
    assert people_with_goals == 9
    assert (
        session.exec(select(func.count()).select_from(Goal).where(Goal.level == "company")).one()
        == 3
    )
    # The ids handed out by the bulk insert leave the sequences usable.
    created = svc.create_goal(
        session,
        actor=actor_for(session, org.report),
        goal_in=GoalCreate(
            title="After seeding", cycle_id=session.exec(select(Goal.cycle_id)).first()
        ),
        key_results=_krs(("One", 0, 1)),
    )
    assert created.id > stats.goals
