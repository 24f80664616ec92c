"""organisation in the app: active flags on units and positions, versions for
optimistic locking of HR's unit, job family and position grids

Revision ID: 0011_org_admin
Revises: 0007
Create Date: 2026-12-03 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_org_admin"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("orgunit", "position"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
            )
    for table in ("orgunit", "jobfamily", "position"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("version", sa.Integer(), nullable=False, server_default="1")
            )


def downgrade() -> None:
    for table in ("orgunit", "jobfamily", "position"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("version")
    for table in ("orgunit", "position"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("active")
