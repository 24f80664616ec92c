"""Writes: self-assessments and manager ratings, and the current levels they update."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from core.access import (
    Actor,
    Relation,
    can_rate_as_manager,
    can_self_assess,
    relation_between,
    require,
)
from core.assessments import rules as gaps
from core.assessments.summary import rebuild_level_summary, shift_current_level, tracking_people
from core.audit import record_event
from core.competencies import (
    effective_scale_id,
)
from core.errors import NotFound, ValidationError
from core.modules.queries import require_module
from core.modules.rules import Module
from db.models import (
    Assessment,
    AssessmentRead,
    AssessmentSource,
    CurrentLevel,
    Person,
    RoleRequirement,
    ScaleValue,
)

TEXT_LIMIT = 4_000


# --- recording ratings -------------------------------------------------------


def _clean(text: str, what: str) -> str:
    cleaned = (text or "").strip()
    if len(cleaned) > TEXT_LIMIT:
        raise ValidationError(f"The {what} is too long (at most {TEXT_LIMIT} characters).")
    return cleaned


def _refresh_current_level(session: Session, *, person_id: int, competency_id: int) -> None:
    # One person's current levels are chosen one transaction at a time: two
    # ratings saved at once would each choose from a history missing the
    # other's, and both insert the missing row. NO KEY UPDATE (key_share) does
    # not wait for the key-share lock this transaction's own assessment insert
    # already holds on the person through its foreign key.
    session.exec(select(Person.id).where(Person.id == person_id).with_for_update(key_share=True))
    rows = session.exec(
        select(Assessment.id, Assessment.source, Assessment.at, Assessment.value_id).where(
            Assessment.person_id == person_id, Assessment.competency_id == competency_id
        )
    ).all()
    chosen = gaps.pick_current(
        gaps.Rating(assessment_id=i or 0, source=s, at=a, value_id=v) for i, s, a, v in rows
    )
    existing = session.exec(
        select(CurrentLevel).where(
            CurrentLevel.person_id == person_id, CurrentLevel.competency_id == competency_id
        )
    ).first()
    old_value_id = existing.value_id if existing is not None else None
    shift_current_level(
        session,
        person_id=person_id,
        competency_id=competency_id,
        old_value_id=old_value_id,
        new_value_id=chosen.value_id if chosen is not None else None,
    )
    if chosen is None:
        if existing is not None:
            session.delete(existing)
        return
    if existing is None:
        existing = CurrentLevel(
            person_id=person_id,
            competency_id=competency_id,
            assessment_id=chosen.assessment_id,
            value_id=chosen.value_id,
            source=chosen.source,
            at=chosen.at,
        )
    else:
        existing.assessment_id = chosen.assessment_id
        existing.value_id = chosen.value_id
        existing.source = chosen.source
        existing.at = chosen.at
    session.add(existing)


def _person_in_reach(
    session: Session,
    *,
    actor: Actor,
    person_id: int,
    rule: Callable[[Actor, Relation], bool],
    action: str,
    message: str,
) -> Person:
    """The person behind an id from a widget or URL, once `rule` lets the
    actor act on them (refusals audited)."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("There is no such person.")
    relation = relation_between(session, viewer_id=actor.person_id, target_id=person_id)
    require(
        rule(actor, relation),
        session=session,
        actor=actor,
        action=action,
        entity="person",
        entity_id=person_id,
        message=message,
    )
    return person


def _record(
    session: Session,
    *,
    actor: Actor,
    person_id: int,
    competency_id: int,
    value_id: int,
    source: AssessmentSource,
    comment: str,
    evidence: str,
) -> AssessmentRead:
    person = session.get(Person, person_id)
    if person is None or not person.active:
        raise NotFound("There is no such person.")
    require_module(session, actor=actor, module=Module.competencies, person_id=person_id)
    requirement = session.exec(
        select(RoleRequirement).where(
            RoleRequirement.position_id == person.position_id,
            RoleRequirement.competency_id == competency_id,
        )
    ).first()
    if person.position_id is None or requirement is None:
        raise ValidationError(
            "That competency is not part of the role profile, so it can't be assessed here."
        )
    value = session.get(ScaleValue, value_id)
    if value is None or value.scale_id != effective_scale_id(session, competency_id=competency_id):
        raise ValidationError("Choose a level from this competency's scale.")
    assessment = Assessment(
        person_id=person_id,
        competency_id=competency_id,
        value_id=value_id,
        source=source.value,
        rater_id=actor.person_id,
        comment=_clean(comment, "comment"),
        evidence=_clean(evidence, "evidence"),
    )
    session.add(assessment)
    session.flush()
    _refresh_current_level(session, person_id=person_id, competency_id=competency_id)
    record_event(
        session,
        actor_id=actor.person_id,
        action=f"{source.value}_assessment.recorded",
        entity="assessment",
        entity_id=assessment.id,
        detail={"person_id": person_id, "competency_id": competency_id, "level": value.name},
    )
    session.flush()
    return AssessmentRead.model_validate(assessment, from_attributes=True)


def record_self_assessment(
    session: Session,
    *,
    actor: Actor,
    competency_id: int,
    value_id: int,
    comment: str = "",
    evidence: str = "",
) -> AssessmentRead:
    require(
        can_self_assess(actor, Relation.self_),
        session=session,
        actor=actor,
        action="self_assess",
        entity="assessment",
    )
    return _record(
        session,
        actor=actor,
        person_id=actor.person_id,
        competency_id=competency_id,
        value_id=value_id,
        source=AssessmentSource.self_,
        comment=comment,
        evidence=evidence,
    )


def record_manager_rating(
    session: Session,
    *,
    actor: Actor,
    person_id: int,
    competency_id: int,
    value_id: int,
    comment: str = "",
    evidence: str = "",
) -> AssessmentRead:
    _person_in_reach(
        session,
        actor=actor,
        person_id=person_id,
        rule=can_rate_as_manager,
        action="manager_rating",
        message="You can only rate people who report to you.",
    )
    return _record(
        session,
        actor=actor,
        person_id=person_id,
        competency_id=competency_id,
        value_id=value_id,
        source=AssessmentSource.manager,
        comment=comment,
        evidence=evidence,
    )


def rebuild_current_levels(session: Session, *, person_ids: Iterable[int] | None = None) -> int:
    """Recompute `CurrentLevel` from the whole history (after bulk loads or a
    rule change) with one window query; returns the rows written. The level
    summary follows: these people's counts, or all of it without people."""
    priority = case(
        *[(col(Assessment.source) == s, p) for s, p in gaps.SOURCE_PRIORITY.items()], else_=99
    )
    ranked = sa_select(
        col(Assessment.id).label("assessment_id"),
        col(Assessment.person_id).label("person_id"),
        col(Assessment.competency_id).label("competency_id"),
        col(Assessment.value_id).label("value_id"),
        col(Assessment.source).label("source"),
        col(Assessment.at).label("at"),
        func.row_number()
        .over(
            partition_by=(col(Assessment.person_id), col(Assessment.competency_id)),
            order_by=(priority, col(Assessment.at).desc(), col(Assessment.id).desc()),
        )
        .label("position"),
    )
    ids = None if person_ids is None else sorted(set(person_ids))
    if ids is None:
        written = _rebuild_current_levels(session, ranked, ids)
        rebuild_level_summary(session)
        return written
    with tracking_people(session, ids):
        return _rebuild_current_levels(session, ranked, ids)


def _rebuild_current_levels(session: Session, ranked: Any, ids: list[int] | None) -> int:
    if ids is not None:
        ranked = ranked.where(col(Assessment.person_id).in_(ids))
    sub = ranked.subquery()
    rows = session.execute(
        sa_select(
            sub.c.person_id,
            sub.c.competency_id,
            sub.c.assessment_id,
            sub.c.value_id,
            sub.c.source,
            sub.c.at,
        ).where(sub.c.position == 1)
    ).all()
    delete = CurrentLevel.__table__.delete()  # type: ignore[attr-defined]
    if ids is not None:
        delete = delete.where(CurrentLevel.__table__.c.person_id.in_(ids))  # type: ignore[attr-defined]
    session.execute(delete)
    records = [
        {
            "person_id": r[0],
            "competency_id": r[1],
            "assessment_id": r[2],
            "value_id": r[3],
            "source": r[4],
            "at": r[5],
        }
        for r in rows
    ]
    for start in range(0, len(records), 5_000):
        session.execute(
            CurrentLevel.__table__.insert(),  # type: ignore[attr-defined]
            records[start : start + 5_000],
        )
    session.flush()
    return len(records)
