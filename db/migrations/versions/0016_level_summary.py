"""level summary: current levels counted per unit (and the units above), position,
competency and level, for the organisation heatmap

Revision ID: 0016_level_summary
Revises: 0015_experiments
Create Date: 2026-12-07 14:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_level_summary"
down_revision: str | None = "0015_experiments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The same statement as core.assessments.summary.REBUILD (a migration keeps
# its own copy: it must not change when the code does).
FILL = """
WITH RECURSIVE chain(unit_id, ancestor_id) AS (
    SELECT id, id FROM orgunit
    UNION ALL
    SELECT chain.unit_id, orgunit.parent_id
    FROM chain JOIN orgunit ON orgunit.id = chain.ancestor_id
    WHERE orgunit.parent_id IS NOT NULL
)
INSERT INTO level_summary (unit_id, position_id, competency_id, value_id, people)
SELECT chain.ancestor_id, person.position_id, currentlevel.competency_id,
       currentlevel.value_id, COUNT(*)
FROM currentlevel
JOIN person ON person.id = currentlevel.person_id
JOIN chain ON chain.unit_id = person.org_unit_id
WHERE person.active = :yes AND person.position_id IS NOT NULL
GROUP BY chain.ancestor_id, person.position_id, currentlevel.competency_id,
         currentlevel.value_id
"""


def upgrade() -> None:
    op.create_table(
        "level_summary",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("position_id", sa.Integer(), nullable=False),
        sa.Column("competency_id", sa.Integer(), nullable=False),
        sa.Column("value_id", sa.Integer(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["competency_id"],
            ["competency.id"],
            name=op.f("fk_level_summary_competency_id_competency"),
        ),
        sa.ForeignKeyConstraint(
            ["position_id"], ["position.id"], name=op.f("fk_level_summary_position_id_position")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["orgunit.id"], name=op.f("fk_level_summary_unit_id_orgunit")
        ),
        sa.ForeignKeyConstraint(
            ["value_id"], ["scalevalue.id"], name=op.f("fk_level_summary_value_id_scalevalue")
        ),
        sa.PrimaryKeyConstraint(
            "unit_id", "position_id", "competency_id", "value_id", name=op.f("pk_level_summary")
        ),
    )
    op.get_bind().execute(sa.text(FILL).bindparams(sa.bindparam("yes", True, type_=sa.Boolean())))


def downgrade() -> None:
    op.drop_table("level_summary")
