"""The team and organisation skills-gap heatmaps, aggregated before charting."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from core.access import Actor, can_view_org_gaps, can_view_team_gaps, require
from core.assessments import rules as gaps
from core.assessments.cells import MAX_MARKS, GapFilter, RowDimension, load_gap_cells, sum_gaps
from core.errors import NotFound
from core.org import unit_chain, unit_parents
from db.models import (
    Competency,
    Framework,
    JobFamily,
    OrgUnit,
    Position,
)

# --- heatmaps ----------------------------------------------------------------


def _competency_labels(session: Session, ids: Iterable[int]) -> pd.DataFrame:
    wanted = sorted(set(int(i) for i in ids))
    rows = (
        session.execute(
            sa_select(
                col(Competency.id),
                col(Competency.name),
                col(Framework.name),
                col(Competency.sort_order),
            )
            .join(Framework, col(Framework.id) == col(Competency.framework_id))
            .where(col(Competency.id).in_(wanted))
        ).all()
        if wanted
        else []
    )
    frame = pd.DataFrame(rows, columns=["competency_id", "competency", "framework", "sort_order"])
    frame = frame.sort_values(["framework", "sort_order", "competency_id"]).reset_index(drop=True)
    frame["column_order"] = range(len(frame))
    return frame.drop(columns=["sort_order"])


@dataclass(frozen=True)
class TeamGaps:
    """Person × competency cells of a manager's reports (one page of people)."""

    cells: pd.DataFrame
    people: int
    competencies: int
    page: int
    pages: int
    summary: pd.DataFrame  # per competency over the whole team


TEAM_COLUMNS = [
    "person_id",
    "person",
    "competency_id",
    "competency",
    "framework",
    "critical",
    "required_level",
    "current_level",
    "source",
    "gap",
    "status",
    "column_order",
]


def get_team_gaps(
    session: Session,
    *,
    actor: Actor,
    include_indirect: bool = False,
    framework_id: int | None = None,
    critical_only: bool = False,
    page: int = 1,
    max_marks: int = MAX_MARKS,
) -> TeamGaps:
    """The heatmap data of the actor's own reports — nobody else's."""
    require(
        can_view_team_gaps(actor),
        session=session,
        actor=actor,
        action="view_team_gaps",
        entity="gaps",
        message="The team view is for managers.",
    )
    flt = GapFilter(
        manager_id=actor.person_id,
        direct_only=not include_indirect,
        framework_id=framework_id,
        critical_only=critical_only,
    )
    cells = load_gap_cells(session, flt=flt)
    labels = _competency_labels(session, cells["competency_id"].unique())
    cells = cells.merge(labels, on="competency_id", how="left")
    people = list(dict.fromkeys(zip(cells["person"], cells["person_id"], strict=True)))
    per_page, pages = gaps.page_count(len(people), max(len(labels), 1), max_marks=max_marks)
    page = min(max(page, 1), pages)
    shown_ids = {pid for _, pid in people[(page - 1) * per_page : page * per_page]}
    summary = gaps.aggregate_cells(cells, ["competency_id"]).merge(labels, on="competency_id")
    shown = cells[cells["person_id"].isin(shown_ids)]
    shown = shown.assign(
        current_level=shown["current_level"].fillna("unknown"),
        source=shown["source"].map(lambda s: gaps.SOURCE_LABELS.get(s, "not assessed")),
    )
    return TeamGaps(
        cells=shown[TEAM_COLUMNS].reset_index(drop=True),
        people=len(people),
        competencies=len(labels),
        page=page,
        pages=pages,
        summary=summary,
    )


@dataclass(frozen=True)
class GapChoices:
    """What the organisation view's filters offer."""

    units: list[tuple[int, str]]  # (id, "Name · kind"), tree order
    root_unit_id: int | None
    job_families: list[tuple[int, str]]
    frameworks: list[tuple[int, str]]


def list_gap_choices(session: Session, *, actor: Actor) -> GapChoices:
    require(can_view_org_gaps(actor), session=session, actor=actor, action="view", entity="gaps")
    units = session.exec(select(OrgUnit.id, OrgUnit.name, OrgUnit.kind, OrgUnit.parent_id)).all()
    children: dict[int | None, list[tuple[int, str, str]]] = {}
    for uid, name, kind, parent in units:
        children.setdefault(parent, []).append((uid or 0, name, kind))
    ordered: list[tuple[int, str]] = []
    # Tree order, departments and teams indented; kept to the units with
    # children (drilling into a team shows its people in the team view).
    stack = [(u, 0) for u in sorted(children.get(None, []), key=lambda x: x[1], reverse=True)]
    while stack:
        (uid, name, kind), depth = stack.pop()
        if uid in children:
            ordered.append((uid, f"{'· ' * depth}{name} ({kind})"))
            for child in sorted(children[uid], key=lambda x: x[1], reverse=True):
                stack.append((child, depth + 1))
    families = session.exec(select(JobFamily.id, JobFamily.name).order_by(JobFamily.name)).all()
    frameworks = session.exec(select(Framework.id, Framework.name).order_by(Framework.name)).all()
    roots = children.get(None, [])
    return GapChoices(
        units=ordered,
        root_unit_id=roots[0][0] if len(roots) == 1 else None,
        job_families=[(i or 0, n) for i, n in families],
        frameworks=[(i or 0, n) for i, n in frameworks],
    )


@dataclass(frozen=True)
class OrgHeatmap:
    frame: pd.DataFrame  # one row per (row, competency) with the aggregates
    rows: RowDimension
    row_count: int
    competencies: int
    page: int
    pages: int


ORG_COLUMNS = [
    "row_id",
    "row",
    "competency_id",
    "competency",
    "framework",
    "column_order",
    *gaps.AGGREGATE_COLUMNS,
]


def _without_own_row(
    groups: dict[int, int], unit_id: int | None, parents: dict[int, int | None]
) -> dict[int, int]:
    """Drop the row of the unit being broken down (the root when none), so
    the company is not a row beside its own divisions."""
    root = unit_id
    if root is None:
        tops = [u for u, p in parents.items() if p is None]
        if len(tops) != 1:
            return groups
        root = tops[0]
    parts = {u: g for u, g in groups.items() if g != root}
    return parts or groups


def _subtree_rows(groups: dict[int, int], parents: dict[int, int | None]) -> frozenset[int] | None:
    """The rows of `groups` when each row is a unit with exactly its whole
    subtree (the level summary's rows then hold the figures); else None."""
    rows = frozenset(groups.values())
    for unit, row in groups.items():
        if [u for u in unit_chain(parents, unit) if u in rows] != [row]:
            return None
    members = set(groups)
    for unit in parents:
        if unit not in members and any(u in rows for u in unit_chain(parents, unit)):
            return None  # a unit below a row that the row leaves out
    return rows


def _summary_units(
    *,
    rows: RowDimension,
    groups: dict[int, int] | None,
    unit_id: int | None,
    parents: dict[int, int | None],
) -> frozenset[int] | None:
    """Which units' summary rows cover the people in scope, or None when
    the summary does not fit (a breakdown whose rows are not subtrees)."""
    if rows == "org_unit":
        return None if groups is None else _subtree_rows(groups, parents)
    if unit_id is not None and parents.get(unit_id) is not None:
        return frozenset({unit_id})
    return frozenset(u for u, p in parents.items() if p is None)


def get_org_heatmap(
    session: Session,
    *,
    actor: Actor,
    rows: RowDimension = "org_unit",
    unit_id: int | None = None,
    job_family_id: int | None = None,
    framework_id: int | None = None,
    critical_only: bool = False,
    page: int = 1,
    max_marks: int = MAX_MARKS,
) -> OrgHeatmap:
    """Aggregated gaps (HR): rows are the child units of `unit_id` (the whole
    organisation's divisions without one), job families or positions; one
    SQL GROUP BY and a pandas roll-up. A unit is not a row of its own
    breakdown: the few people directly in it (the CEO in the company) belong
    to none of its parts; a unit without parts is its only row. The
    assessed counts are read from the level summary (a few thousand rows)
    whenever the rows are whole subtrees, which they are for one company."""
    require(
        can_view_org_gaps(actor),
        session=session,
        actor=actor,
        action="view_org_gaps",
        entity="gaps",
        message="Organisation heatmaps are for HR.",
    )
    parents = unit_parents(session)
    if unit_id is not None and unit_id not in parents:
        raise NotFound("There is no such unit.")
    if job_family_id is not None and session.get(JobFamily, job_family_id) is None:
        raise NotFound("There is no such job family.")
    if framework_id is not None and session.get(Framework, framework_id) is None:
        raise NotFound("There is no such framework.")
    groups: dict[int, int] | None = None
    unit_filter: frozenset[int] | None = None
    if unit_id is not None:
        groups = gaps.unit_groups(parents, unit_id)
        if parents.get(unit_id) is not None:  # the whole company needs no filter
            unit_filter = frozenset(groups)
    elif rows == "org_unit":
        tops = [u for u, p in parents.items() if p is None]
        groups = {u: u for u in parents} if len(tops) != 1 else gaps.unit_groups(parents, tops[0])
    if groups is not None:
        groups = _without_own_row(groups, unit_id, parents)
    flt = GapFilter(
        unit_ids=unit_filter,
        job_family_id=job_family_id,
        framework_id=framework_id,
        critical_only=critical_only,
    )
    summary_units = _summary_units(rows=rows, groups=groups, unit_id=unit_id, parents=parents)
    if rows == "org_unit":
        assert groups is not None
        sums = sum_gaps(
            session, flt=flt, by="org_unit", unit_groups=groups, summary_units=summary_units
        ).rename(columns={"org_unit": "row_id"})
        names = dict(session.exec(select(OrgUnit.id, OrgUnit.name)).all())
        label = {u: names.get(u, str(u)) for u in sums["row_id"].unique()}
    else:
        sums = sum_gaps(session, flt=flt, by="position", summary_units=summary_units)
        positions = session.exec(
            select(Position.id, Position.title, Position.job_family_id, JobFamily.name).join(
                JobFamily, col(JobFamily.id) == col(Position.job_family_id)
            )
        ).all()
        if rows == "job_family":
            mapping = {pid or 0: fam for pid, _, fam, _ in positions}
            sums = gaps.rollup(sums, key="position", mapping=mapping)
            label = {fam: name for _, _, fam, name in positions}
        else:
            label = {pid or 0: title for pid, title, _, _ in positions}
        sums = sums.rename(columns={"position": "row_id"})
    frame = gaps.finish_aggregates(sums)
    frame["row"] = frame["row_id"].map(label)
    labels = _competency_labels(session, frame["competency_id"].unique())
    frame = frame.merge(labels, on="competency_id", how="left")
    row_ids = sorted(frame["row_id"].unique(), key=lambda r: str(label.get(r, "")))
    per_page, pages = gaps.page_count(len(row_ids), max(len(labels), 1), max_marks=max_marks)
    page = min(max(page, 1), pages)
    shown = set(row_ids[(page - 1) * per_page : page * per_page])
    frame = frame[frame["row_id"].isin(shown)].sort_values(["row", "column_order"])
    return OrgHeatmap(
        frame=frame[ORG_COLUMNS].reset_index(drop=True),
        rows=rows,
        row_count=len(row_ids),
        competencies=len(labels),
        page=page,
        pages=pages,
    )
