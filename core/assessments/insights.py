"""HR's views across the organisation: non-differentiating competencies,
experience versus mastery, hidden expertise, role fit."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from core.access import (
    Actor,
    can_view_org_gaps,
    require,
)
from core.assessments import rules as gaps
from core.assessments.cells import _CURRENT, _REQUIRED, _frame
from core.assessments.heatmaps import _competency_labels
from core.competencies import (
    requirements_for_position,
)
from core.errors import NotFound
from db.models import (
    Competency,
    CurrentLevel,
    OrgUnit,
    Person,
    Position,
    RoleRequirement,
    ScaleValue,
)

# --- insights (HR) -------------------------------------------------------------


def _require_insights(session: Session, actor: Actor, what: str) -> None:
    require(
        can_view_org_gaps(actor),
        session=session,
        actor=actor,
        action=f"insight.{what}",
        entity="gaps",
        message="Insights are for HR.",
    )


def get_non_differentiating(
    session: Session,
    *,
    actor: Actor,
    framework_id: int | None = None,
    threshold: float = 0.8,
    min_assessed: int = 5,
) -> pd.DataFrame:
    """Competencies where nearly every assessed person is on the same level:
    they do not tell people apart (counts per level grouped in SQL)."""
    _require_insights(session, actor, "non_differentiating")
    query = (
        sa_select(col(CurrentLevel.competency_id), col(ScaleValue.rank), func.count())
        .join(ScaleValue, col(ScaleValue.id) == col(CurrentLevel.value_id))
        .join(Person, col(Person.id) == col(CurrentLevel.person_id))
        .where(col(Person.active).is_(True))
        .group_by(col(CurrentLevel.competency_id), col(ScaleValue.rank))
    )
    if framework_id is not None:
        query = query.join(Competency, col(Competency.id) == col(CurrentLevel.competency_id)).where(
            col(Competency.framework_id) == framework_id
        )
    counts = _frame(session.execute(query).all(), ["competency_id", "current_rank", "n"])
    result = gaps.non_differentiating(counts, threshold=threshold, min_assessed=min_assessed)
    labels = _competency_labels(session, result["competency_id"])
    out = result.merge(labels, on="competency_id", how="left")
    return out[
        [
            "competency",
            "framework",
            "assessed",
            "modal_rank",
            "modal_share",
            "std_rank",
            "differentiates",
        ]
    ].rename(
        columns={
            "modal_rank": "most common level (rank)",
            "modal_share": "share at that level",
            "std_rank": "spread (std of rank)",
        }
    )


def get_experience_mastery(session: Session, *, actor: Actor) -> gaps.ExperienceMastery:
    """Years of experience against mastery (mean normalised level, 0–1)."""
    _require_insights(session, actor, "experience")
    top = (
        sa_select(
            col(ScaleValue.scale_id).label("scale_id"), func.max(col(ScaleValue.rank)).label("top")
        )
        .group_by(col(ScaleValue.scale_id))
        .subquery()
    )
    share = (col(ScaleValue.rank) - 1) * 1.0 / func.nullif(top.c.top - 1, 0)
    rows = session.execute(
        sa_select(col(Person.id), col(Person.years_experience), func.avg(share))
        .select_from(CurrentLevel)
        .join(Person, col(Person.id) == col(CurrentLevel.person_id))
        .join(ScaleValue, col(ScaleValue.id) == col(CurrentLevel.value_id))
        .join(top, top.c.scale_id == col(ScaleValue.scale_id))
        .where(col(Person.active).is_(True))
        .group_by(col(Person.id), col(Person.years_experience))
    ).all()
    people = _frame(rows, ["person_id", "years_experience", "mastery"])
    for column in ("years_experience", "mastery"):
        people[column] = pd.to_numeric(people[column], errors="coerce").astype(float)
    return gaps.experience_vs_mastery(people)


def get_hidden_expertise(
    session: Session, *, actor: Actor, min_margin: int = 1, limit: int = 200
) -> pd.DataFrame:
    """People above what their role requires, with how many others fall short
    in the same competency (people they could mentor)."""
    _require_insights(session, actor, "hidden_expertise")
    experts = _hidden_expertise_rows(session, min_margin=min_margin, limit=limit)
    if experts.empty:
        return pd.DataFrame(
            columns=["person", "unit", "competency", "required", "current", "above by", "learners"]
        )
    labels = _competency_labels(session, experts["competency_id"])
    units = dict(session.exec(select(OrgUnit.id, OrgUnit.name)).all())
    out = experts.merge(labels, on="competency_id", how="left")
    out["unit"] = out["org_unit_id"].map(units)
    return out.rename(
        columns={
            "required_level": "required",
            "current_level": "current",
            "margin": "above by",
            "learners": "people short in it",
        }
    )[
        [
            "person",
            "unit",
            "competency",
            "framework",
            "required",
            "current",
            "above by",
            "people short in it",
        ]
    ]


def _hidden_expertise_rows(session: Session, *, min_margin: int, limit: int) -> pd.DataFrame:
    """gaps.hidden_expertise on every active person's role cells, in SQL.

    Driven from CurrentLevel (only assessed cells can be above or below the
    requirement) instead of people × role map outer-joined to levels: the
    learners per competency are a GROUP BY, and the experts are sorted and
    cut to `limit` in the database, so 200 rows come back instead of the
    70,000 cells off their requirement at 10,000 people."""
    required, current = _REQUIRED, _CURRENT
    cells = (
        sa_select()
        .select_from(CurrentLevel)
        .join(Person, col(Person.id) == col(CurrentLevel.person_id))
        .join(
            RoleRequirement,
            (col(RoleRequirement.position_id) == col(Person.position_id))
            & (col(RoleRequirement.competency_id) == col(CurrentLevel.competency_id)),
        )
        .join(required, col(required.id) == col(RoleRequirement.required_value_id))
        .join(current, col(current.id) == col(CurrentLevel.value_id))
        .where(col(Person.active).is_(True))
    )
    learners = (
        cells.add_columns(
            col(RoleRequirement.competency_id).label("competency_id"),
            func.count().label("learners"),
        )
        .where(col(current.rank) < col(required.rank))
        .group_by(col(RoleRequirement.competency_id))
        .cte("learners")
    )
    margin = col(current.rank) - col(required.rank)
    learner_count = func.coalesce(learners.c.learners, 0)
    query = (
        cells.add_columns(
            col(Person.id),
            col(Person.full_name),
            col(Person.org_unit_id),
            col(RoleRequirement.competency_id),
            col(required.name),
            col(current.name),
            margin,
            learner_count,
        )
        .join(
            learners,
            learners.c.competency_id == col(RoleRequirement.competency_id),
            isouter=True,
        )
        .where(margin >= min_margin)
        .order_by(
            learner_count.desc(),
            margin.desc(),
            col(Person.id),
            col(RoleRequirement.competency_id),
        )
        .limit(limit)
    )
    return _frame(
        session.execute(query).all(),
        [
            "person_id",
            "person",
            "org_unit_id",
            "competency_id",
            "required_level",
            "current_level",
            "margin",
            "learners",
        ],
    )


def get_role_fit(
    session: Session, *, actor: Actor, position_id: int, limit: int = 50
) -> pd.DataFrame:
    """Everyone ranked by fit for a position's role profile (core.assessments.rules.role_fit)."""
    _require_insights(session, actor, "role_fit")
    if session.get(Position, position_id) is None:
        raise NotFound("There is no such position.")
    requirements = requirements_for_position(session, position_id=position_id)
    req = pd.DataFrame(
        [(r.competency_id, r.required_rank, r.critical) for r in requirements],
        columns=["competency_id", "required_rank", "critical"],
    )
    if req.empty:
        return pd.DataFrame(
            columns=["person", "position", "unit", "fit", "met", "critical missing", "unknown"]
        )
    rows = session.execute(
        sa_select(
            col(CurrentLevel.person_id), col(CurrentLevel.competency_id), col(ScaleValue.rank)
        )
        .join(ScaleValue, col(ScaleValue.id) == col(CurrentLevel.value_id))
        .join(Person, col(Person.id) == col(CurrentLevel.person_id))
        .where(
            col(Person.active).is_(True),
            col(CurrentLevel.competency_id).in_([int(c) for c in req["competency_id"]]),
        )
    ).all()
    levels = _frame(rows, ["person_id", "competency_id", "current_rank"])
    ranked = gaps.role_fit(req, levels).head(limit)
    if ranked.empty:
        return pd.DataFrame(
            columns=["person", "position", "unit", "fit", "met", "critical missing", "unknown"]
        )
    ids = [int(p) for p in ranked["person_id"]]
    info = {
        pid: (name, title, unit)
        for pid, name, title, unit in session.execute(
            sa_select(col(Person.id), col(Person.full_name), col(Position.title), col(OrgUnit.name))
            .join(OrgUnit, col(OrgUnit.id) == col(Person.org_unit_id))
            .join(Position, col(Position.id) == col(Person.position_id), isouter=True)
            .where(col(Person.id).in_(ids))
        ).all()
    }
    ranked["person"] = ranked["person_id"].map(lambda p: info[p][0])
    ranked["position"] = ranked["person_id"].map(lambda p: info[p][1])
    ranked["unit"] = ranked["person_id"].map(lambda p: info[p][2])
    ranked["met"] = ranked["met"].astype(str) + " of " + ranked["required"].astype(str)
    return ranked.rename(columns={"critical_missing": "critical missing"})[
        ["person", "position", "unit", "fit", "met", "critical missing", "unknown"]
    ]
