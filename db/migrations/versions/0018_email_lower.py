"""Index on lower(email) for single sign-on's case-insensitive match

Revision ID: 0018_email_lower
Revises: 0017_snapshots
Create Date: 2026-12-07 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_email_lower"
down_revision: str | Sequence[str] | None = "0017_snapshots"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_person_email_lower", "person", [sa.text("lower(email)")], unique=False)


def downgrade() -> None:
    op.drop_index("ix_person_email_lower", table_name="person")
