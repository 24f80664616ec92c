"""Learning: a catalogue of items per competency level, recommendations from
gaps, assignments and their status.

- `queries`: the catalogue, recommendations, candidates, assignments;
- `commands`: adding catalogue items, assigning, updating an assignment's status.
"""

from core.learning.commands import (
    MAX_ASSIGN_AT_ONCE,
    assign_learning,
    create_learning_item,
    update_assignment_status,
)
from core.learning.queries import (
    ASSIGNMENT_COLUMNS,
    CATALOGUE_COLUMNS,
    OPEN_STATUSES,
    SELF_STATUSES,
    STATUSES,
    list_assignments,
    list_competency_levels,
    list_learning_items,
    rank_people_for_item,
    recommend_learning,
    suggested_assignees,
)

__all__ = [
    "ASSIGNMENT_COLUMNS",
    "CATALOGUE_COLUMNS",
    "MAX_ASSIGN_AT_ONCE",
    "OPEN_STATUSES",
    "SELF_STATUSES",
    "STATUSES",
    "assign_learning",
    "create_learning_item",
    "list_assignments",
    "list_competency_levels",
    "list_learning_items",
    "rank_people_for_item",
    "recommend_learning",
    "suggested_assignees",
    "update_assignment_status",
]
