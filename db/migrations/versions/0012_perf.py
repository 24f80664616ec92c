"""perf: indexes for current-level aggregates and ratings per person at 10,000 people

Revision ID: 0012_perf
Revises: 0007
Create Date: 2026-12-03 12:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_perf"
down_revision: str | Sequence[str] | None = "0010_reviews"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("currentlevel", schema=None) as batch_op:
        batch_op.create_index(
            "ix_currentlevel_competency_value_person",
            ["competency_id", "value_id", "person_id"],
            unique=False,
        )
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assessment_person_competency",
            ["person_id", "competency_id", "source", "at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.drop_index("ix_assessment_person_competency")
    with op.batch_alter_table("currentlevel", schema=None) as batch_op:
        batch_op.drop_index("ix_currentlevel_competency_value_person")
