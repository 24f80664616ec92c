"""audit log: action and entity names as entity.past_tense_verb

Revision ID: 0005
Revises: 0003, 0004
Create Date: 2026-12-02 19:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = ("0003", "0004")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIONS = {
    "login": "account.signed_in",
    "logout": "account.signed_out",
    "people.grid_saved": "people.saved",
    "framework.import": "framework.imported",
    "framework.grid_save": "framework.saved",
    "scale.grid_save": "scale.saved",
    "scalevalue.grid_save": "scale_value.saved",
    "competency.grid_save": "competency.saved",
    "leveldescriptor.grid_save": "level_descriptor.saved",
    "rolemap.save": "role_map.saved",
    "learning.assign": "learning_assignment.created",
    "learning.create": "learning_item.created",
    "learning.status": "learning_assignment.updated",
    "assessment.self": "self_assessment.recorded",
    "assessment.manager": "manager_assessment.recorded",
    "assessment.360": "360_assessment.recorded",
    "key_result.progress": "progress_update.created",
}
ENTITIES = {
    "scalevalue": "scale_value",
    "leveldescriptor": "level_descriptor",
    "rolemap": "role_map",
    "jobfamily": "job_family",
    "learningitem": "learning_item",
    "learningassignment": "learning_assignment",
}

audit_event = sa.table(
    "auditevent", sa.column("action", sa.String()), sa.column("entity", sa.String())
)


def _rename(column: str, names: dict[str, str]) -> None:
    for old, new in names.items():
        op.execute(
            audit_event.update()
            .where(audit_event.c[column] == op.inline_literal(old))
            .values({column: op.inline_literal(new)})
        )


def upgrade() -> None:
    _rename("action", ACTIONS)
    _rename("entity", ENTITIES)


def downgrade() -> None:
    _rename("action", {new: old for old, new in ACTIONS.items()})
    _rename("entity", {new: old for old, new in ENTITIES.items()})
