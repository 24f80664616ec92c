"""Indexes for reads at 10,000 people (no tables of their own).

Covering index for the current-level aggregates (non-differentiating
competencies, the org heatmap's assessed cells, experience vs mastery): the
GROUP BY reads the index alone instead of visiting 185,000 table rows.
"""

from sqlalchemy import Index

from db.models import CurrentLevel

CURRENT_LEVEL_COVERING = Index(
    "ix_currentlevel_competency_value_person",
    CurrentLevel.competency_id,  # type: ignore[arg-type]
    CurrentLevel.value_id,  # type: ignore[arg-type]
    CurrentLevel.person_id,  # type: ignore[arg-type]
)
