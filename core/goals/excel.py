"""Goals in and out of Excel: export, template, dry-run import and commit.

The import follows `core.imports`: a preview with row errors and counts,
never an exception for a row; our own export imports back exactly."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import pandas as pd
from sqlmodel import Session, col, select

from core.access import (
    Actor,
)
from core.audit import record_event
from core.cells import as_date
from core.errors import RowError, ValidationError
from core.export import unescape_cell, workbook_bytes
from core.goals.commands import _add_key_result_row
from core.goals.queries import _cycle_numbers, _visible, current_cycle_id
from core.goals.read_models import OPEN_STATUSES, GoalImportPreview, GoalReport
from core.goals.scope import GoalScope, _get_cycle
from core.goals.validation import (
    CREATE_REFUSAL,
    DESCRIPTION_MAX,
    MAX_KEY_RESULTS_PER_GOAL,
    _validate_goal,
    _validate_key_result,
)
from core.grid import is_blank, text_or_none
from core.imports import MAX_ERRORS, errors_frame
from core.uploads import ParsedWorkbook, UploadLimits, read_upload
from db.models import (
    Goal,
    GoalCycle,
    GoalCycleRead,
    KeyResultCreate,
    OrgUnit,
    Person,
    utcnow,
)

MAX_IMPORT_BYTES = 10 * 1024 * 1024
MAX_IMPORT_GOALS = 5_000
MAX_IMPORT_KEY_RESULTS = 20_000
# Excel holds at most 32,767 characters in a cell and cuts the rest when the
# file is saved; a limit well below it means an export never loses text.


def goal_report_workbook(report: GoalReport) -> bytes:
    """The report's tables as one Excel download."""
    at_risk = report.at_risk.copy()
    if "last update" in at_risk:
        # Excel has no time zones; the sheet says UTC in the header instead.
        at_risk["last update"] = at_risk["last update"].map(
            lambda value: value.replace(tzinfo=None) if isinstance(value, datetime) else value
        )
        at_risk = at_risk.rename(columns={"last update": "last update (UTC)"})
    return workbook_bytes(
        {"By team": report.by_team, "By person": report.by_person, "At risk or stale": at_risk}
    )


# --- Excel export / import -------------------------------------------------------

GOAL_SHEET = "Goals"
KR_SHEET = "Key results"
GOAL_COLUMNS = [
    "ref",
    "title",
    "description",
    "level",
    "kind",
    "status",
    "owner_code",
    "unit_code",
    "parent_ref",
    "cycle",
    "due_on",
    "progress",
    "final_rating",
]
KR_COLUMNS = [
    "goal_ref",
    "title",
    "metric",
    "start_value",
    "target_value",
    "current_value",
    "unit",
    "weight",
    "progress",
]
IMPORT_GOAL_REQUIRED = ["ref", "title", "level"]
IMPORT_KR_REQUIRED = ["goal_ref", "title"]
_EXISTING_REF = re.compile(r"^G(\d+)$", re.IGNORECASE)


def export_goals(session: Session, *, actor: Actor, cycle_id: int) -> bytes:
    """Goals the actor can see in a cycle and their key results, two sheets.
    The same layout imports back (with new refs for new goals)."""
    return workbook_bytes(goal_export_sheets(session, actor=actor, cycle_id=cycle_id))


def goal_export_sheets(session: Session, *, actor: Actor, cycle_id: int) -> dict[str, pd.DataFrame]:
    """The sheets of `export_goals` (logged as exported)."""
    scope = GoalScope.load(session, actor)
    cycle = _get_cycle(session, cycle_id)
    numbers = _cycle_numbers(session, cycle)
    visible_people = scope.visible_people()
    ids = [g_id for g_id, g in numbers.goals.items() if _visible(scope, g, visible_people)]
    descriptions = dict(
        session.exec(select(Goal.id, Goal.description).where(Goal.cycle_id == cycle_id)).all()
    )
    codes = {pid: code for pid, code in session.exec(select(Person.id, Person.employee_code)).all()}
    unit_codes = {uid: code for uid, code in session.exec(select(OrgUnit.id, OrgUnit.code)).all()}
    goal_rows = []
    kr_rows = []
    for g_id in sorted(ids):
        goal = numbers.goals[g_id]
        goal_rows.append(
            [
                f"G{g_id}",
                goal.title,
                descriptions.get(g_id, ""),
                goal.level,
                goal.kind,
                goal.status,
                codes.get(goal.owner_id) if goal.owner_id else None,
                unit_codes.get(goal.org_unit_id) if goal.org_unit_id else None,
                f"G{goal.parent_id}" if goal.parent_id else None,
                cycle.name,
                goal.due_on,
                None if numbers.rolled[g_id] is None else round(numbers.rolled[g_id] or 0.0, 1),
                goal.final_rating,
            ]
        )
        for kr in numbers.key_results.get(g_id, []):
            kr_rows.append(
                [
                    f"G{g_id}",
                    kr.title,
                    kr.metric,
                    kr.start_value,
                    kr.target_value,
                    kr.current_value,
                    kr.unit,
                    kr.weight,
                    round(kr.progress, 1),
                ]
            )
    record_event(
        session,
        actor_id=actor.person_id,
        action="goal.exported",
        entity="goal",
        detail={"cycle_id": cycle_id, "goals": len(goal_rows)},
    )
    return {
        GOAL_SHEET: pd.DataFrame(goal_rows, columns=GOAL_COLUMNS),
        KR_SHEET: pd.DataFrame(kr_rows, columns=KR_COLUMNS),
    }


def _sheet_records(
    upload: ParsedWorkbook, name: str, required: list[str], cap: int, errors: list[RowError]
) -> list[tuple[int, dict[str, Any]]]:
    sheet = upload.sheet(name)
    if sheet is None:
        errors.append(RowError(name, "", f"The workbook has no sheet called {name!r}."))
        return []
    if not sheet.header_row:
        return []
    missing = sheet.missing(required)
    if missing:
        errors.append(
            RowError(f"{name} {sheet.header_row}", ", ".join(missing), "Missing column(s).")
        )
        return []
    result: list[tuple[int, dict[str, Any]]] = []
    for number, values in sheet.records():
        if all(is_blank(v) for v in values.values()):
            continue
        if len(result) >= cap:
            errors.append(RowError(f"{name} {number}", "", f"At most {cap:,} rows per import."))
            break
        result.append((number, {c: unescape_cell(v) for c, v in values.items()}))
    return result


@dataclass
class _PlannedGoal:
    ref: str
    row: int
    values: dict[str, Any]
    parent_ref: str | None
    goal: Goal | None = None


_Sheets = tuple[list[tuple[int, dict[str, Any]]], list[tuple[int, dict[str, Any]]], list[RowError]]


def _read_goal_file(content: bytes) -> _Sheets:
    """The Goals and Key results rows of an upload, and the problems of its
    layout; raises `ValidationError` only for a file that cannot be read."""
    upload = read_upload(
        content,
        "goals.xlsx",
        limits=UploadLimits(max_file_bytes=MAX_IMPORT_BYTES),
        sheets=[GOAL_SHEET, KR_SHEET],
    )
    errors = upload.formula_errors()
    goal_rows = _sheet_records(upload, GOAL_SHEET, IMPORT_GOAL_REQUIRED, MAX_IMPORT_GOALS, errors)
    kr_rows = _sheet_records(upload, KR_SHEET, IMPORT_KR_REQUIRED, MAX_IMPORT_KEY_RESULTS, errors)
    return goal_rows, kr_rows, errors


@dataclass
class _Plan:
    goals: list[_PlannedGoal]
    key_results: list[tuple[int, str, KeyResultCreate | None]]
    errors: list[RowError]
    refused: list[RowError]
    goal_preview: pd.DataFrame
    kr_preview: pd.DataFrame


def _plan_import(session: Session, actor: Actor, sheets: _Sheets) -> _Plan:
    goal_rows, kr_rows, read_errors = sheets
    errors = list(read_errors)
    refused: list[RowError] = []
    scope = GoalScope.load(session, actor)
    people = {
        code: pid
        for pid, code in session.exec(
            select(Person.id, Person.employee_code).where(col(Person.active).is_(True))
        ).all()
    }
    unit_ids = {code: uid for uid, code in session.exec(select(OrgUnit.id, OrgUnit.code)).all()}
    cycles = {c.name.lower(): c for c in session.exec(select(GoalCycle)).all()}
    default_cycle_id = current_cycle_id(
        [GoalCycleRead.model_validate(c) for c in cycles.values()], utcnow().date()
    )
    planned: dict[str, _PlannedGoal] = {}
    goal_preview = []
    for row, values in goal_rows:
        label = f"{GOAL_SHEET} {row}"
        ref = "" if is_blank(values.get("ref")) else str(values["ref"]).strip()
        if not ref:
            errors.append(RowError(label, "ref", "Required: a short name other rows can point to."))
            continue
        if ref.lower() in planned:
            errors.append(RowError(label, "ref", f"Also used on row {planned[ref.lower()].row}."))
            continue
        if (match := _EXISTING_REF.match(ref)) and session.get(Goal, int(match.group(1))):
            errors.append(
                RowError(
                    label,
                    "ref",
                    f"{ref} is an existing goal; the import creates new goals, "
                    "so give new rows a new ref.",
                )
            )
            continue
        description = "" if is_blank(values.get("description")) else str(values["description"])
        if len(description.strip()) > DESCRIPTION_MAX:
            errors.append(
                RowError(label, "description", f"At most {DESCRIPTION_MAX:,} characters.")
            )
            continue
        parent_ref = text_or_none(values.get("parent_ref"))
        planned[ref.lower()] = _PlannedGoal(ref, row, values, parent_ref)
        goal_preview.append(
            {
                "row": row,
                **{c: values.get(c) for c in GOAL_COLUMNS if c not in ("progress", "final_rating")},
            }
        )

    # First pass: what each row names (level, unit, cycle), so a row can
    # align to another row of the file before either has an id.
    resolved: dict[str, tuple[str, int | None, GoalCycle | None, str | None]] = {}
    for key, plan in planned.items():
        level = str(plan.values.get("level") or "").strip().lower()
        unit_code = text_or_none(plan.values.get("unit_code"))
        cycle_name = text_or_none(plan.values.get("cycle"))
        if cycle_name:
            cycle = cycles.get(cycle_name.lower())
        else:
            cycle = session.get(GoalCycle, default_cycle_id) if default_cycle_id else None
        resolved[key] = (level, unit_ids.get(unit_code) if unit_code else None, cycle, cycle_name)

    for key, plan in planned.items():
        label = f"{GOAL_SHEET} {plan.row}"
        values = plan.values
        level, org_unit_id, cycle, cycle_name = resolved[key]
        kind = str(values.get("kind") or "performance").strip().lower()
        status = str(values.get("status") or "active").strip().lower()
        owner_code = text_or_none(values.get("owner_code"))
        unit_code = text_or_none(values.get("unit_code"))
        row_errors: list[tuple[str, str]] = []
        owner_id = people.get(owner_code) if owner_code else None
        if level == "individual" and owner_code and owner_id is None:
            row_errors.append(("owner_code", f"No active person with code {owner_code!r}."))
        if level in ("team", "company") and unit_code and org_unit_id is None:
            row_errors.append(("unit_code", f"No unit with code {unit_code!r}."))
        if cycle_name and cycle is None:
            row_errors.append(("cycle", f"No goal cycle called {cycle_name!r}."))
        try:
            due_on = as_date(values.get("due_on"))
        except (TypeError, ValueError):
            row_errors.append(("due_on", "A date (YYYY-MM-DD)."))
            due_on = None
        parent: Goal | None = None
        if plan.parent_ref:
            parent_key = plan.parent_ref.lower()
            existing = _EXISTING_REF.match(plan.parent_ref)
            if parent_key in planned:
                # A stand-in with the row's values, so the same rules apply.
                p_level, p_unit, p_cycle, _ = resolved[parent_key]
                parent = Goal(
                    title=str(planned[parent_key].values.get("title") or ""),
                    level=p_level,
                    org_unit_id=p_unit,
                    cycle_id=p_cycle.id if p_cycle and p_cycle.id else -1,
                    status=str(planned[parent_key].values.get("status") or "active")
                    .strip()
                    .lower(),
                )
            elif existing and (found := session.get(Goal, int(existing.group(1)))) is not None:
                parent = found
            else:
                row_errors.append(
                    ("parent_ref", f"No goal {plan.parent_ref!r} in this file or in Stride.")
                )
        if level == "individual" and not owner_code:
            row_errors.append(("owner_code", "Required for an individual goal."))
        elif level in ("team", "company") and not unit_code:
            row_errors.append(("unit_code", "Required for a team or company goal."))
        elif not row_errors:
            row_errors.extend(
                _validate_goal(
                    session,
                    scope,
                    title=values.get("title"),
                    level=level,
                    kind=kind,
                    status=status,
                    owner_id=owner_id if level == "individual" else None,
                    org_unit_id=org_unit_id if level != "individual" else None,
                    cycle=cycle,
                    due_on=due_on,
                    parent=parent,
                )
            )
        errors.extend(RowError(label, column, text) for column, text in row_errors)
        refused.extend(
            RowError(label, column, text) for column, text in row_errors if text == CREATE_REFUSAL
        )
        if not row_errors and cycle is not None:
            plan.goal = Goal(
                title=str(values.get("title")).strip(),
                description=""
                if is_blank(values.get("description"))
                else str(values["description"]).strip(),
                level=level,
                kind=kind,
                status=status,
                owner_id=owner_id if level == "individual" else None,
                org_unit_id=org_unit_id if level != "individual" else None,
                parent_id=parent.id if parent is not None and parent.id else None,
                cycle_id=cycle.id or 0,
                due_on=due_on,
                created_by_id=actor.person_id,
            )
    # Loops among rows of the file.
    for plan in planned.values():
        seen = {plan.ref.lower()}
        current = plan.parent_ref.lower() if plan.parent_ref else None
        while current in planned:
            if current in seen:
                errors.append(
                    RowError(
                        f"{GOAL_SHEET} {plan.row}", "parent_ref", "Alignment goes round in a loop."
                    )
                )
                break
            seen.add(current)
            parent_ref = planned[current].parent_ref
            current = parent_ref.lower() if parent_ref else None

    key_results: list[tuple[int, str, KeyResultCreate | None]] = []
    kr_preview = []
    per_goal: dict[str, int] = {}
    for row, values in kr_rows:
        label = f"{KR_SHEET} {row}"
        goal_ref = "" if is_blank(values.get("goal_ref")) else str(values["goal_ref"]).strip()
        kr, kr_problems = _validate_key_result(values)
        existing = _EXISTING_REF.match(goal_ref)
        if goal_ref.lower() in planned:
            pass
        elif existing and (found := session.get(Goal, int(existing.group(1)))) is not None:
            if not scope.can_edit(found.level, found.owner_id, found.org_unit_id):
                refusal = f"You may not edit goal {goal_ref}."
                kr_problems.append(("goal_ref", refusal))
                refused.append(RowError(label, "goal_ref", refusal))
            elif found.status not in OPEN_STATUSES:
                kr_problems.append(("goal_ref", f"Goal {goal_ref} is closed."))
        else:
            kr_problems.append(("goal_ref", f"No goal {goal_ref!r} in this file or in Stride."))
        per_goal[goal_ref.lower()] = per_goal.get(goal_ref.lower(), 0) + 1
        if per_goal[goal_ref.lower()] > MAX_KEY_RESULTS_PER_GOAL:
            kr_problems.append(
                ("goal_ref", f"At most {MAX_KEY_RESULTS_PER_GOAL} key results per goal.")
            )
        errors.extend(RowError(label, column, text) for column, text in kr_problems)
        key_results.append((row, goal_ref, kr if not kr_problems else None))
        kr_preview.append({"row": row, **{c: values.get(c) for c in KR_COLUMNS if c != "progress"}})
    if not goal_rows and not kr_rows and not errors:
        errors.append(RowError(GOAL_SHEET, "", "The file has no goals or key results."))
    if refused:
        # A single refused action is audited by `core.access.require`; a file
        # is one attempt, so it leaves one event naming every refused row.
        record_event(
            session,
            actor_id=actor.person_id,
            action="goal_import.refused",
            entity="goal",
            detail={
                "refused": len(refused),
                "rows": [f"{e.row} {e.column}: {e.message}" for e in refused[:MAX_ERRORS]],
            },
        )
    return _Plan(
        list(planned.values()),
        key_results,
        errors,
        refused,
        pd.DataFrame(goal_preview),
        pd.DataFrame(kr_preview),
    )


def import_errors_frame(errors: Sequence[RowError]) -> pd.DataFrame:
    return errors_frame(errors)


def _preview(plan: _Plan, sheets: _Sheets) -> GoalImportPreview:
    return GoalImportPreview(
        errors=tuple(plan.errors[:MAX_ERRORS]),
        counts={
            "goals added": len(plan.goals),
            "key results added": len(plan.key_results),
        }
        if not plan.errors
        else {},
        goals=plan.goal_preview,
        key_results=plan.kr_preview,
        sheets=sheets,
    )


def preview_goal_import(session: Session, *, actor: Actor, content: bytes) -> GoalImportPreview:
    """Dry run: read and validate everything, write nothing but the audit of
    rows refused for lack of permission."""
    sheets = _read_goal_file(content)
    return _preview(_plan_import(session, actor, sheets), sheets)


def commit_goal_import(
    session: Session,
    *,
    actor: Actor,
    content: bytes | None = None,
    preview: GoalImportPreview | None = None,
    progress: Callable[[float], None] | None = None,
) -> GoalImportPreview:
    """All or nothing. The rows come from an earlier preview (the file is not
    read again) or from `content`; they are checked again against the
    database as it is now. With any row error nothing is written and the
    result carries the errors, `committed` False."""
    if preview is not None and preview.sheets is not None:
        sheets = preview.sheets
    elif content is not None:
        sheets = _read_goal_file(content)
    else:
        raise ValidationError("Nothing to import.")
    planned = _plan_import(session, actor, sheets)
    if planned.errors:
        return _preview(planned, sheets)
    plans, key_results = planned.goals, planned.key_results
    report = progress or (lambda _share: None)
    ids: dict[str, int] = {}
    pending = list(plans)
    # Parents first: a row waits until the row it aligns to has an id.
    while pending:
        waiting = []
        for plan in pending:
            parent_key = plan.parent_ref.lower() if plan.parent_ref else None
            if parent_key in {p.ref.lower() for p in pending} and parent_key not in ids:
                waiting.append(plan)
                continue
            assert plan.goal is not None
            if parent_key is not None and parent_key in ids:
                plan.goal.parent_id = ids[parent_key]
            session.add(plan.goal)
            session.flush()
            assert plan.goal.id is not None
            ids[plan.ref.lower()] = plan.goal.id
        if len(waiting) == len(pending):  # cannot happen after the loop check
            raise ValidationError("Alignment goes round in a loop.")
        pending = waiting
        report(0.5 * len(ids) / max(len(plans), 1))
    created_krs = 0
    for _row, goal_ref, kr in key_results:
        assert kr is not None
        existing = _EXISTING_REF.match(goal_ref)
        goal_id = ids.get(goal_ref.lower()) or (int(existing.group(1)) if existing else 0)
        _add_key_result_row(session, actor, goal_id, kr)
        created_krs += 1
    report(1.0)
    counts = {"goals added": len(ids), "key results added": created_krs}
    record_event(
        session,
        actor_id=actor.person_id,
        action="goal.imported",
        entity="goal",
        detail={"goals": len(ids), "key_results": created_krs},
    )
    session.flush()
    return replace(_preview(planned, sheets), counts=counts, committed=True)


def import_template() -> bytes:
    """An empty workbook with both sheets and one example row each."""
    return workbook_bytes(
        {
            GOAL_SHEET: pd.DataFrame(
                [
                    [
                        "team-1",
                        "Cut onboarding time",
                        "",
                        "team",
                        "performance",
                        "active",
                        None,
                        "PLAT",
                        None,
                        None,
                        None,
                    ]
                ],
                columns=[c for c in GOAL_COLUMNS if c not in ("progress", "final_rating")],
            ),
            KR_SHEET: pd.DataFrame(
                [["team-1", "Days to first deploy", "number", 10, 3, 10, "days", 1]],
                columns=[c for c in KR_COLUMNS if c != "progress"],
            ),
        }
    )
