"""Indexes for reads at 10,000 people (no tables of their own).

A person's ratings per competency (Home's "ratings requested of me" for a
manager, the self-assessment to-dos): PostgreSQL without fresh statistics
otherwise scanned every rating of each competency, 6 s for 20 reports.

Covering index for the current-level aggregates (non-differentiating
competencies, the org heatmap's assessed cells, experience vs mastery): the
GROUP BY reads the index alone instead of visiting 185,000 table rows.
"""

from sqlalchemy import Index

from db.models.assessments import Assessment, CurrentLevel

CURRENT_LEVEL_COVERING = Index(
    "ix_currentlevel_competency_value_person",
    CurrentLevel.competency_id,  # type: ignore[arg-type]
    CurrentLevel.value_id,  # type: ignore[arg-type]
    CurrentLevel.person_id,  # type: ignore[arg-type]
)

ASSESSMENT_BY_PERSON_COMPETENCY = Index(
    "ix_assessment_person_competency",
    Assessment.person_id,  # type: ignore[arg-type]
    Assessment.competency_id,  # type: ignore[arg-type]
    Assessment.source,
    Assessment.at,  # type: ignore[arg-type]
)
