"""Assessments and skills gaps: ratings, current levels, heatmaps, insights.

A rating is appended to `Assessment` (the history) and, in the same
transaction, `CurrentLevel` is recomputed for that person and competency with
`rules.pick_current`. Gap data is then one join of people × role
requirements × current levels, grouped in SQL for the organisation views —
never a query per person — so 10,000 people stay fast on SQLite.

- `rules`: gap arithmetic and insights, pure functions on plain values;
- `cells`: the gap-cell query every view shares, its filters and cache keys;
- `commands`: self-assessments, manager ratings, rebuilding current levels;
- `queries`: one person's skills profile and rating history;
- `heatmaps`: the team and organisation heatmaps;
- `insights`: HR's views across the organisation.
"""

from core.assessments.cells import (
    CELL_COLUMNS,
    MAX_MARKS,
    GapFilter,
    RowDimension,
    gap_data_stamp,
    gap_scope_key,
    load_gap_cells,
    sum_gaps,
)
from core.assessments.commands import (
    TEXT_LIMIT,
    rebuild_current_levels,
    record_manager_rating,
    record_self_assessment,
)
from core.assessments.heatmaps import (
    ORG_COLUMNS,
    TEAM_COLUMNS,
    GapChoices,
    OrgHeatmap,
    TeamGaps,
    get_org_heatmap,
    get_team_gaps,
    list_gap_choices,
)
from core.assessments.insights import (
    get_experience_mastery,
    get_hidden_expertise,
    get_non_differentiating,
    get_role_fit,
)
from core.assessments.queries import (
    LevelOption,
    SkillRow,
    SkillsProfile,
    get_skills_profile,
    list_assessment_history,
)

__all__ = [
    "CELL_COLUMNS",
    "MAX_MARKS",
    "ORG_COLUMNS",
    "TEAM_COLUMNS",
    "TEXT_LIMIT",
    "GapChoices",
    "GapFilter",
    "LevelOption",
    "OrgHeatmap",
    "RowDimension",
    "SkillRow",
    "SkillsProfile",
    "TeamGaps",
    "gap_data_stamp",
    "gap_scope_key",
    "get_experience_mastery",
    "get_hidden_expertise",
    "get_non_differentiating",
    "get_org_heatmap",
    "get_role_fit",
    "get_skills_profile",
    "get_team_gaps",
    "list_assessment_history",
    "list_gap_choices",
    "load_gap_cells",
    "rebuild_current_levels",
    "record_manager_rating",
    "record_self_assessment",
    "sum_gaps",
]
