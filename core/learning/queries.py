"""Reads: the catalogue, recommendations from gaps, candidates for an item, assignments."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from core.access import (
    Actor,
    can_edit_learning_catalogue,
    can_view_team_gaps,
    require,
)
from core.assessments import GapFilter, get_skills_profile, load_gap_cells
from core.assessments import rules as gaps
from core.competencies import scale_values_by_competency
from core.errors import NotFound
from core.org import report_ids
from db.models import (
    Competency,
    CurrentLevel,
    Framework,
    LearningAssignment,
    LearningItem,
    LearningStatus,
    Person,
    ScaleValue,
)

OPEN_STATUSES = (LearningStatus.assigned.value, LearningStatus.in_progress.value)
STATUSES = [s.value for s in LearningStatus]
# What the learner sets; cancelling is the manager's call.
SELF_STATUSES = [s.value for s in LearningStatus if s is not LearningStatus.cancelled]


CATALOGUE_COLUMNS = [
    "id",
    "title",
    "competency",
    "target level",
    "target rank",
    "hours",
    "link",
    "competency_id",
]


def _active_items(session: Session, *, competency_ids: list[int] | None) -> pd.DataFrame:
    """Active catalogue items (CATALOGUE_COLUMNS), all or for some competencies."""
    query = (
        sa_select(
            col(LearningItem.id),
            col(LearningItem.title),
            col(Competency.name),
            col(ScaleValue.name),
            col(ScaleValue.rank),
            col(LearningItem.hours),
            col(LearningItem.url),
            col(LearningItem.competency_id),
        )
        .join(Competency, col(Competency.id) == col(LearningItem.competency_id))
        .join(ScaleValue, col(ScaleValue.id) == col(LearningItem.target_value_id))
        .where(col(LearningItem.active).is_(True))
        .order_by(col(Competency.name), col(ScaleValue.rank), col(LearningItem.title))
    )
    if competency_ids is not None:
        query = query.where(col(LearningItem.competency_id).in_(competency_ids))
    return pd.DataFrame(session.execute(query).all(), columns=CATALOGUE_COLUMNS)


def list_learning_items(
    session: Session, *, actor: Actor, competency_id: int | None = None
) -> pd.DataFrame:
    """The catalogue (every signed-in person may browse it)."""
    return _active_items(session, competency_ids=None if competency_id is None else [competency_id])


def recommend_learning(
    session: Session, *, actor: Actor, person_id: int | None = None
) -> pd.DataFrame:
    """For each known gap of a person: the items that lead above their current
    level, those reaching the required level first, then the shortest."""
    profile = get_skills_profile(session, actor=actor, person_id=person_id)
    gap_rows = [r for r in profile.rows if r.status == gaps.STATUS_GAP]
    columns = [
        "competency",
        "current",
        "required",
        "item",
        "target level",
        "hours",
        "link",
        "item_id",
    ]
    if not gap_rows:
        return pd.DataFrame(columns=columns)
    items = _active_items(session, competency_ids=[r.competency_id for r in gap_rows]).rename(
        columns={
            "id": "item_id",
            "title": "item",
            "target level": "target_level",
            "target rank": "target_rank",
        }
    )
    records = []
    for row in gap_rows:
        options = items[
            (items["competency_id"] == row.competency_id)
            & (items["target_rank"] > (row.current_rank or 0))
        ].copy()
        options["misses"] = (options["target_rank"] < row.required_rank).astype(int)
        for item in options.sort_values(["misses", "hours", "item"]).itertuples():
            records.append(
                [
                    row.competency,
                    row.current_level,
                    row.required_level,
                    item.item,
                    item.target_level,
                    item.hours,
                    item.link,
                    item.item_id,
                ]
            )
    return pd.DataFrame(records, columns=columns)


def rank_people_for_item(
    session: Session, *, actor: Actor, item_id: int, include_indirect: bool = True
) -> pd.DataFrame:
    """The actor's reports whose role needs the item's competency, most
    relevant first: a known gap the item helps close (biggest first), then
    unknown levels; people already at the item's level are left out."""
    require(
        can_view_team_gaps(actor),
        session=session,
        actor=actor,
        action="rank_for_item",
        entity="learning_item",
        entity_id=item_id,
    )
    item = session.get(LearningItem, item_id)
    if item is None or not item.active:
        raise NotFound("There is no such learning item.")
    target = session.get(ScaleValue, item.target_value_id)
    assert target is not None
    cells = load_gap_cells(
        session,
        flt=GapFilter(manager_id=actor.person_id, direct_only=not include_indirect),
    )
    cells = cells[cells["competency_id"] == item.competency_id]
    below_target = cells["current_rank"].isna() | (cells["current_rank"] < target.rank)
    cells = cells[below_target].copy()
    open_for = set(
        session.exec(
            select(LearningAssignment.person_id).where(
                LearningAssignment.item_id == item_id,
                col(LearningAssignment.status).in_(OPEN_STATUSES),
            )
        ).all()
    )
    cells["already assigned"] = cells["person_id"].isin(open_for)
    cells["relevance"] = cells["gap"].astype("Float64").fillna(0.5)
    cells = cells.sort_values(["relevance", "person"], ascending=[False, True])
    return (
        cells.rename(columns={"current_level": "current", "required_level": "required"})[
            ["person_id", "person", "current", "required", "gap", "status", "already assigned"]
        ]
        .assign(current=lambda f: f["current"].fillna("unknown"))
        .reset_index(drop=True)
    )


def suggested_assignees(candidates: pd.DataFrame) -> list[int]:
    """Who to pre-select from rank_people_for_item: a known gap and no open
    assignment of the item yet (unknown levels are the manager's call)."""
    chosen = candidates[(candidates["status"] == gaps.STATUS_GAP) & ~candidates["already assigned"]]
    return [int(p) for p in chosen["person_id"]]


ASSIGNMENT_COLUMNS = [
    "id",
    "person",
    "item",
    "competency",
    "target level",
    "level now",
    "due on",
    "status",
    "overdue",
    "version",
]


def list_assignments(session: Session, *, actor: Actor, team: bool = False) -> pd.DataFrame:
    """My assignments, or (team=True) those of everyone below me. `level now`
    is the current assessed level: completion alone does not change it."""
    if team:
        require(
            can_view_team_gaps(actor),
            session=session,
            actor=actor,
            action="list",
            entity="learning_assignment",
        )
        people = report_ids(session, manager_id=actor.person_id)
    else:
        people = {actor.person_id}
    if not people:
        return pd.DataFrame(columns=ASSIGNMENT_COLUMNS)
    target = aliased(ScaleValue)
    now = aliased(ScaleValue)
    rows = session.execute(
        sa_select(
            col(LearningAssignment.id),
            col(Person.full_name),
            col(LearningItem.title),
            col(Competency.name),
            col(target.name),
            col(now.name),
            col(LearningAssignment.due_on),
            col(LearningAssignment.status),
            col(LearningAssignment.version),
        )
        .join(Person, col(Person.id) == col(LearningAssignment.person_id))
        .join(LearningItem, col(LearningItem.id) == col(LearningAssignment.item_id))
        .join(Competency, col(Competency.id) == col(LearningItem.competency_id))
        .join(target, col(target.id) == col(LearningItem.target_value_id))
        .join(
            CurrentLevel,
            (col(CurrentLevel.person_id) == col(LearningAssignment.person_id))
            & (col(CurrentLevel.competency_id) == col(LearningItem.competency_id)),
            isouter=True,
        )
        .join(now, col(now.id) == col(CurrentLevel.value_id), isouter=True)
        .where(col(LearningAssignment.person_id).in_(sorted(people)))
        .order_by(col(LearningAssignment.due_on), col(Person.full_name))
    ).all()
    today = date.today()
    records = [
        [
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            r[5] or "unknown",
            r[6],
            r[7],
            bool(r[6] and r[6] < today and r[7] in OPEN_STATUSES),
            r[8],
        ]
        for r in rows
    ]
    return pd.DataFrame(records, columns=ASSIGNMENT_COLUMNS)


def list_competency_levels(
    session: Session, *, actor: Actor
) -> dict[int, tuple[str, list[tuple[int, str]]]]:
    """Competency id → (name with framework, [(value id, level name)]) of every
    assessable competency, for the catalogue's form."""
    require(
        can_edit_learning_catalogue(actor),
        session=session,
        actor=actor,
        action="list",
        entity="learning_item",
    )
    rows = session.exec(
        select(Competency.id, Competency.name, Framework.name)
        .join(Framework, col(Framework.id) == col(Competency.framework_id))
        .where(Competency.kind != "cluster")
        .order_by(col(Framework.name), col(Competency.sort_order), col(Competency.name))
    ).all()
    values = scale_values_by_competency(session, competency_ids=[r[0] or 0 for r in rows])
    return {
        cid or 0: (f"{name} · {framework}", [(v.id, v.name) for v in values.get(cid or 0, [])])
        for cid, name, framework in rows
    }
