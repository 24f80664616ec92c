"""Indexes for reads at 10,000 people (no tables of their own).

A person's ratings per competency (Home's "ratings requested of me" for a
manager, the self-assessment to-dos): PostgreSQL without fresh statistics
otherwise scanned every rating of each competency, 6 s for 20 reports.

Covering index for the current-level aggregates (non-differentiating
competencies, the org heatmap's assessed cells, experience vs mastery): the
GROUP BY reads the index alone instead of visiting 185,000 table rows.
"""

from sqlalchemy import Index, func

from db.models.assessments import Assessment, CurrentLevel
from db.models.organisation import Person

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

# Single sign-on matches the provider's e-mail case-insensitively
# (core.sso); without this every sign-in scanned the people table.
PERSON_EMAIL_LOWER = Index("ix_person_email_lower", func.lower(Person.email))
