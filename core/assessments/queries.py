"""One person's skills profile (what to rate, on which levels) and rating history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from core.access import (
    Actor,
    can_view_assessments,
    relation_between,
    require,
)
from core.assessments import rules as gaps
from core.assessments.commands import _person_in_reach
from core.competencies import (
    requirements_for_position,
    scale_values_by_competency,
)
from db.models import (
    Assessment,
    Competency,
    CurrentLevel,
    LevelDescriptor,
    Person,
    Position,
    ScaleValue,
)

# --- one person's skills -------------------------------------------------------


@dataclass(frozen=True)
class LevelOption:
    value_id: int
    name: str
    rank: int
    descriptor: str


@dataclass(frozen=True)
class SkillRow:
    competency_id: int
    competency: str
    framework: str
    cluster: str | None
    critical: bool
    required_level: str
    required_rank: int
    current_level: str | None
    current_rank: int | None
    source: str | None  # "manager", "360", "self" or None (unknown)
    assessed_at: datetime | None
    self_level: str | None
    manager_level: str | None
    gap: int | None
    status: str
    levels: list[LevelOption] = field(default_factory=list)

    @property
    def source_label(self) -> str:
        return gaps.SOURCE_LABELS.get(self.source or "", "not assessed")


@dataclass(frozen=True)
class SkillsProfile:
    person_id: int
    person_name: str
    position_title: str | None
    rows: list[SkillRow]
    rule: str = gaps.CURRENT_LEVEL_RULE

    @property
    def below(self) -> int:
        """Competencies assessed below the role's level."""
        return sum(r.status == gaps.STATUS_GAP for r in self.rows)

    @property
    def unknown(self) -> int:
        """Competencies nobody has assessed yet."""
        return sum(r.status == gaps.STATUS_UNKNOWN for r in self.rows)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "framework": r.framework,
                    "competency": r.competency,
                    "critical": r.critical,
                    "required": r.required_level,
                    "current": r.current_level or "unknown",
                    "from": r.source_label,
                    "self-assessment": r.self_level or "",
                    "manager rating": r.manager_level or "",
                    "gap": r.gap,
                    "status": r.status,
                }
                for r in self.rows
            ],
            columns=[
                "framework",
                "competency",
                "critical",
                "required",
                "current",
                "from",
                "self-assessment",
                "manager rating",
                "gap",
                "status",
            ],
        ).astype({"gap": "Int64"})


def _latest_by_source(
    session: Session, *, person_id: int, competency_ids: list[int]
) -> dict[tuple[int, str], str]:
    """(competency, source) → name of the latest level given from that source."""
    rows = session.exec(
        select(Assessment.competency_id, Assessment.source, ScaleValue.name, Assessment.at)
        .join(ScaleValue, col(ScaleValue.id) == col(Assessment.value_id))
        .where(Assessment.person_id == person_id, col(Assessment.competency_id).in_(competency_ids))
        .order_by(col(Assessment.at), col(Assessment.id))
    ).all()
    return {(c, s): name for c, s, name, _ in rows}


def get_skills_profile(
    session: Session, *, actor: Actor, person_id: int | None = None
) -> SkillsProfile:
    """Required versus current for every competency of a person's role."""
    target_id = actor.person_id if person_id is None else person_id
    person = _person_in_reach(
        session,
        actor=actor,
        person_id=target_id,
        rule=can_view_assessments,
        action="view_assessments",
        message="You can only see your own skills and those of people who report to you.",
    )
    position = session.get(Position, person.position_id) if person.position_id else None
    if position is None:
        return SkillsProfile(target_id, person.full_name, None, [])
    requirements = requirements_for_position(session, position_id=position.id or 0)
    ids = [r.competency_id for r in requirements]
    options = scale_values_by_competency(session, competency_ids=ids)
    texts = {
        (d.competency_id, d.scale_value_id): d.text
        for d in session.exec(
            select(LevelDescriptor).where(col(LevelDescriptor.competency_id).in_(ids))
        ).all()
    }
    current = {
        c: (rank, name, source, at)
        for c, rank, name, source, at in session.execute(
            sa_select(
                col(CurrentLevel.competency_id),
                col(ScaleValue.rank),
                col(ScaleValue.name),
                col(CurrentLevel.source),
                col(CurrentLevel.at),
            )
            .join(ScaleValue, col(ScaleValue.id) == col(CurrentLevel.value_id))
            .where(
                col(CurrentLevel.person_id) == target_id,
                col(CurrentLevel.competency_id).in_(ids),
            )
        ).all()
    }
    latest = _latest_by_source(session, person_id=target_id, competency_ids=ids)
    rows = []
    for r in requirements:
        rank, name, source, at = current.get(r.competency_id, (None, None, None, None))
        rows.append(
            SkillRow(
                competency_id=r.competency_id,
                competency=r.competency_name,
                framework=r.framework_name,
                cluster=r.cluster_name,
                critical=r.critical,
                required_level=r.required_value_name,
                required_rank=r.required_rank,
                current_level=name,
                current_rank=rank,
                source=source,
                assessed_at=at,
                self_level=latest.get((r.competency_id, "self")),
                manager_level=latest.get((r.competency_id, "manager")),
                gap=gaps.gap(r.required_rank, rank),
                status=gaps.status(r.required_rank, rank),
                levels=[
                    LevelOption(v.id, v.name, v.rank, texts.get((r.competency_id, v.id), ""))
                    for v in options.get(r.competency_id, [])
                ],
            )
        )
    return SkillsProfile(target_id, person.full_name, position.title, rows)


def list_assessment_history(
    session: Session, *, actor: Actor, person_id: int, limit: int = 500
) -> pd.DataFrame:
    relation = relation_between(session, viewer_id=actor.person_id, target_id=person_id)
    require(
        can_view_assessments(actor, relation),
        session=session,
        actor=actor,
        action="view_assessments",
        entity="person",
        entity_id=person_id,
    )
    rater = aliased(Person)
    rows = session.execute(
        sa_select(
            col(Assessment.at),
            col(Competency.name),
            col(Assessment.source),
            col(ScaleValue.name),
            col(rater.full_name),
            col(Assessment.comment),
            col(Assessment.evidence),
        )
        .join(Competency, col(Competency.id) == col(Assessment.competency_id))
        .join(ScaleValue, col(ScaleValue.id) == col(Assessment.value_id))
        .join(rater, col(rater.id) == col(Assessment.rater_id), isouter=True)
        .where(col(Assessment.person_id) == person_id)
        .order_by(col(Assessment.at).desc(), col(Assessment.id).desc())
        .limit(limit)
    ).all()
    return pd.DataFrame(
        rows,
        columns=["at (UTC)", "competency", "source", "level", "by", "comment", "evidence"],
    )
