"""feedback: continuous feedback given to anyone, and requests for it

Revision ID: 0009_feedback
Revises: 0007 (the lead re-chains on merge)
Create Date: 2026-12-03 11:37:23.492855
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009_feedback"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feedbackrequest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("asked_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), server_default="", nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["asked_id"], ["person.id"], name=op.f("fk_feedbackrequest_asked_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"], ["person.id"], name=op.f("fk_feedbackrequest_requester_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["person.id"], name=op.f("fk_feedbackrequest_subject_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedbackrequest")),
    )
    with op.batch_alter_table("feedbackrequest", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedbackrequest_asked_id"), ["asked_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_feedbackrequest_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_feedbackrequest_requester_id"), ["requester_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_feedbackrequest_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_feedbackrequest_subject_id"), ["subject_id"], unique=False
        )

    op.create_table(
        "feedback",
        sa.Column("receiver_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("text", sa.Text(), server_default="", nullable=False),
        sa.Column("visibility", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=True),
        sa.Column("competency_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("giver_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["competency_id"], ["competency.id"], name=op.f("fk_feedback_competency_id_competency")
        ),
        sa.ForeignKeyConstraint(
            ["giver_id"], ["person.id"], name=op.f("fk_feedback_giver_id_person")
        ),
        sa.ForeignKeyConstraint(["goal_id"], ["goal.id"], name=op.f("fk_feedback_goal_id_goal")),
        sa.ForeignKeyConstraint(
            ["receiver_id"], ["person.id"], name=op.f("fk_feedback_receiver_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["feedbackrequest.id"],
            name=op.f("fk_feedback_request_id_feedbackrequest"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
    )
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_competency_id"), ["competency_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_feedback_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_giver_id"), ["giver_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_goal_id"), ["goal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_receiver_id"), ["receiver_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_request_id"), ["request_id"], unique=False)
        batch_op.create_index(
            "ix_feedback_visibility_created_at", ["visibility", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_visibility_created_at")
        batch_op.drop_index(batch_op.f("ix_feedback_request_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_receiver_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_goal_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_giver_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_created_at"))
        batch_op.drop_index(batch_op.f("ix_feedback_competency_id"))

    op.drop_table("feedback")
    with op.batch_alter_table("feedbackrequest", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedbackrequest_subject_id"))
        batch_op.drop_index(batch_op.f("ix_feedbackrequest_status"))
        batch_op.drop_index(batch_op.f("ix_feedbackrequest_requester_id"))
        batch_op.drop_index(batch_op.f("ix_feedbackrequest_created_at"))
        batch_op.drop_index(batch_op.f("ix_feedbackrequest_asked_id"))

    op.drop_table("feedbackrequest")
