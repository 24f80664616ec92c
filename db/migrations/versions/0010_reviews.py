"""reviews: 360-degree reviews, raters, and answers stored apart from raters

Revision ID: 0010_reviews
Revises: 0013 (modules; re-chained after merging main)
Create Date: 2026-12-03 11:38:41
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010_reviews"
down_revision: str | Sequence[str] | None = "0009_feedback"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("launched_by_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("raters_approved_by_id", sa.Integer(), nullable=True),
        sa.Column("raters_approved_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["launched_by_id"], ["person.id"], name=op.f("fk_review_launched_by_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["raters_approved_by_id"],
            ["person.id"],
            name=op.f("fk_review_raters_approved_by_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["person.id"], name=op.f("fk_review_subject_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review")),
    )
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_launched_by_id"), ["launched_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_review_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_subject_id"), ["subject_id"], unique=False)

    op.create_table(
        "reviewquestion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("competency_id", sa.Integer(), nullable=True),
        sa.Column("scale_id", sa.Integer(), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["competency_id"],
            ["competency.id"],
            name=op.f("fk_reviewquestion_competency_id_competency"),
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["review.id"], name=op.f("fk_reviewquestion_review_id_review")
        ),
        sa.ForeignKeyConstraint(
            ["scale_id"], ["scale.id"], name=op.f("fk_reviewquestion_scale_id_scale")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviewquestion")),
        sa.UniqueConstraint("review_id", "key", name="uq_reviewquestion_key"),
    )
    with op.batch_alter_table("reviewquestion", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reviewquestion_review_id"), ["review_id"], unique=False
        )

    op.create_table(
        "reviewrater",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("group", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("external_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("external_email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("token_expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["added_by_id"], ["person.id"], name=op.f("fk_reviewrater_added_by_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_reviewrater_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["review.id"], name=op.f("fk_reviewrater_review_id_review")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviewrater")),
        sa.UniqueConstraint("review_id", "person_id", name="uq_reviewrater_person"),
        sa.UniqueConstraint("token_hash", name=op.f("uq_reviewrater_token_hash")),
    )
    with op.batch_alter_table("reviewrater", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reviewrater_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reviewrater_review_id"), ["review_id"], unique=False)

    op.create_table(
        "reviewresponse",
        sa.Column("response_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("group", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"], ["review.id"], name=op.f("fk_reviewresponse_review_id_review")
        ),
        sa.PrimaryKeyConstraint("response_id", name=op.f("pk_reviewresponse")),
    )
    with op.batch_alter_table("reviewresponse", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reviewresponse_review_id"), ["review_id"], unique=False
        )

    op.create_table(
        "reviewanswer",
        sa.Column("response_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("question_key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["reviewresponse.response_id"],
            name=op.f("fk_reviewanswer_response_id_reviewresponse"),
        ),
        sa.PrimaryKeyConstraint("response_id", "question_key", name=op.f("pk_reviewanswer")),
    )


def downgrade() -> None:
    op.drop_table("reviewanswer")
    with op.batch_alter_table("reviewresponse", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviewresponse_review_id"))

    op.drop_table("reviewresponse")
    with op.batch_alter_table("reviewrater", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviewrater_review_id"))
        batch_op.drop_index(batch_op.f("ix_reviewrater_person_id"))

    op.drop_table("reviewrater")
    with op.batch_alter_table("reviewquestion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviewquestion_review_id"))

    op.drop_table("reviewquestion")
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_subject_id"))
        batch_op.drop_index(batch_op.f("ix_review_status"))
        batch_op.drop_index(batch_op.f("ix_review_launched_by_id"))

    op.drop_table("review")
