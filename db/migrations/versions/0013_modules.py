"""modules: practices switched per org unit, and the rollout plan

Revision ID: 0013
Revises: 0011_org_admin
Create Date: 2026-12-03 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0011_org_admin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "moduleswitch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("module", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["orgunit.id"], name=op.f("fk_moduleswitch_org_unit_id_orgunit")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["person.id"], name=op.f("fk_moduleswitch_updated_by_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moduleswitch")),
        sa.UniqueConstraint("org_unit_id", "module", name=op.f("uq_moduleswitch_org_unit_id")),
    )
    with op.batch_alter_table("moduleswitch", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_moduleswitch_org_unit_id"), ["org_unit_id"], unique=False
        )
    op.create_table(
        "rolloutstep",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("module", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["orgunit.id"], name=op.f("fk_rolloutstep_org_unit_id_orgunit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rolloutstep")),
    )


def downgrade() -> None:
    op.drop_table("rolloutstep")
    with op.batch_alter_table("moduleswitch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_moduleswitch_org_unit_id"))
    op.drop_table("moduleswitch")
