"""Learning: a catalogue of items per competency and target level,
recommendations for gaps, assignments by managers, and status tracking.

Completing an item never changes anyone's level: a gap closes only when a
new assessment shows it (core.assessments).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from core import gaps
from core.access import (
    Actor,
    Relation,
    can_assign_learning,
    can_edit_learning_catalogue,
    can_update_learning_status,
    can_view_team_gaps,
    relation_between,
    report_ids,
    require,
)
from core.assessments import GapFilter, get_skills_profile, load_gap_cells
from core.audit import record_event
from core.competencies import effective_scale_id, scale_values_by_competency
from core.errors import NotFound, StaleEdit, ValidationError
from db.models import (
    Competency,
    CurrentLevel,
    Framework,
    LearningAssignment,
    LearningAssignmentRead,
    LearningItem,
    LearningItemCreate,
    LearningItemRead,
    LearningStatus,
    Person,
    ScaleValue,
    utcnow,
)

OPEN_STATUSES = (LearningStatus.assigned.value, LearningStatus.in_progress.value)
STATUSES = [s.value for s in LearningStatus]
MAX_ASSIGN_AT_ONCE = 200


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


def create_learning_item(
    session: Session, *, actor: Actor, item_in: LearningItemCreate
) -> LearningItemRead:
    require(
        can_edit_learning_catalogue(actor),
        session=session,
        actor=actor,
        action="create",
        entity="learningitem",
    )
    title = item_in.title.strip()
    if not title:
        raise ValidationError("Give the learning item a title.")
    url = item_in.url.strip()
    if url and not url.lower().startswith(("https://", "http://")):
        raise ValidationError("The link must start with https:// or http://.")
    if session.get(Competency, item_in.competency_id) is None:
        raise NotFound("There is no such competency.")
    value = session.get(ScaleValue, item_in.target_value_id)
    if value is None or value.scale_id != effective_scale_id(
        session, competency_id=item_in.competency_id
    ):
        raise ValidationError("Choose a target level from the competency's scale.")
    item = LearningItem.model_validate(item_in.model_copy(update={"title": title, "url": url}))
    session.add(item)
    session.flush()
    record_event(
        session,
        actor_id=actor.person_id,
        action="learning.create",
        entity="learningitem",
        entity_id=item.id,
        detail={"title": title},
    )
    return LearningItemRead.model_validate(item, from_attributes=True)


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
        entity="learningitem",
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


def assign_learning(
    session: Session, *, actor: Actor, item_id: int, person_ids: list[int], due_on: date | None
) -> int:
    """Assign an item to several reports at once; people who already have it
    open are skipped. Returns how many assignments were made."""
    item = session.get(LearningItem, item_id)
    if item is None or not item.active:
        raise NotFound("There is no such learning item.")
    if not person_ids:
        raise ValidationError("Choose at least one person.")
    if len(person_ids) > MAX_ASSIGN_AT_ONCE:
        raise ValidationError(f"Assign to at most {MAX_ASSIGN_AT_ONCE} people at once.")
    if due_on is not None and due_on < date.today():
        raise ValidationError("The due date is in the past.")
    made = 0
    for person_id in dict.fromkeys(person_ids):
        if session.get(Person, person_id) is None:
            raise NotFound("There is no such person.")
        relation = relation_between(session, viewer_id=actor.person_id, target_id=person_id)
        require(
            can_assign_learning(actor, relation),
            session=session,
            actor=actor,
            action="assign_learning",
            entity="person",
            entity_id=person_id,
            message="You can only assign learning to people who report to you.",
        )
        already = session.exec(
            select(LearningAssignment.id).where(
                LearningAssignment.item_id == item_id,
                LearningAssignment.person_id == person_id,
                col(LearningAssignment.status).in_(OPEN_STATUSES),
            )
        ).first()
        if already is not None:
            continue
        assignment = LearningAssignment(
            person_id=person_id, item_id=item_id, assigned_by_id=actor.person_id, due_on=due_on
        )
        session.add(assignment)
        session.flush()
        record_event(
            session,
            actor_id=actor.person_id,
            action="learning.assign",
            entity="learningassignment",
            entity_id=assignment.id,
            detail={"person_id": person_id, "item_id": item_id, "due_on": due_on},
        )
        made += 1
    return made


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
            entity="learningassignment",
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


def update_assignment_status(
    session: Session, *, actor: Actor, assignment_id: int, status: str, version: int
) -> LearningAssignmentRead:
    assignment = session.get(LearningAssignment, assignment_id)
    if assignment is None:
        raise NotFound("There is no such assignment.")
    relation = relation_between(session, viewer_id=actor.person_id, target_id=assignment.person_id)
    require(
        can_update_learning_status(actor, relation),
        session=session,
        actor=actor,
        action="update_status",
        entity="learningassignment",
        entity_id=assignment_id,
    )
    if status not in STATUSES:
        raise ValidationError(f"Unknown status {status!r}.")
    if status == LearningStatus.cancelled.value and relation is Relation.self_:
        raise ValidationError("Ask your manager to cancel an assignment.")
    if assignment.version != version:
        raise StaleEdit("Someone else changed this assignment; reload and try again.")
    assignment.status = status
    assignment.completed_at = utcnow() if status == LearningStatus.completed.value else None
    assignment.version += 1
    session.add(assignment)
    session.flush()
    record_event(
        session,
        actor_id=actor.person_id,
        action="learning.status",
        entity="learningassignment",
        entity_id=assignment_id,
        detail={"status": status},
    )
    return LearningAssignmentRead.model_validate(assignment, from_attributes=True)


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
        entity="learningitem",
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
