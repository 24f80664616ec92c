"""Competency frameworks, scales, level descriptors and the role map.

HR edits them in grids (every save is one transaction, checked row by row,
refused when someone else saved the same rows first, and audited) and moves
whole frameworks in and out as workbooks or Moodle CSV. Everyone reads role
profiles: what their position requires and what another position would.

- `files`: parsing and writing workbooks and Moodle CSV (no database);
- `grids`: what every competency grid save shares (planning, checks, writes);
- `queries`: lookups, role profiles, position comparison, the grids' contents;
- `commands`: saving the scale, framework, competency, descriptor and role-map grids;
- `import_export`: a framework bundle to and from the database, with previews.
"""

from core.competencies.commands import (
    RoleMapSaveResult,
    save_competencies_grid,
    save_descriptors_grid,
    save_frameworks_grid,
    save_role_map,
    save_scale_values_grid,
    save_scales_grid,
)
from core.competencies.grids import (
    MAX_AUDIT_CHANGES,
    GridSaveResult,
    Progress,
)
from core.competencies.import_export import (
    FrameworkImportPreview,
    ImportSummary,
    describe_import,
    export_framework_bundle,
    export_framework_workbook,
    import_framework,
    preview_import,
    write_framework_bundle,
)
from core.competencies.queries import (
    COMPARE_COLUMNS,
    COMPETENCY_COLUMNS,
    CRITICAL_MARK,
    DESCRIPTOR_COLUMNS,
    FRAMEWORK_COLUMNS,
    ROLE_MAP_FIXED,
    SCALE_COLUMNS,
    SCALE_VALUE_COLUMNS,
    CompetencyGrid,
    FrameworkGrid,
    RequirementRow,
    RoleMapGrid,
    RoleProfile,
    cell_value,
    compare_positions,
    effective_scale_id,
    get_competencies_grid,
    get_descriptors_grid,
    get_frameworks_grid,
    get_role_map_grid,
    get_role_profile,
    get_scale_values_grid,
    get_scales_grid,
    growth_steps,
    list_frameworks,
    list_job_families,
    list_positions,
    parse_cell,
    requirements_for_position,
    scale_values_by_competency,
    scale_values_for,
)

__all__ = [
    "COMPARE_COLUMNS",
    "COMPETENCY_COLUMNS",
    "CRITICAL_MARK",
    "DESCRIPTOR_COLUMNS",
    "FRAMEWORK_COLUMNS",
    "MAX_AUDIT_CHANGES",
    "ROLE_MAP_FIXED",
    "SCALE_COLUMNS",
    "SCALE_VALUE_COLUMNS",
    "CompetencyGrid",
    "FrameworkGrid",
    "FrameworkImportPreview",
    "GridSaveResult",
    "ImportSummary",
    "Progress",
    "RequirementRow",
    "RoleMapGrid",
    "RoleMapSaveResult",
    "RoleProfile",
    "cell_value",
    "compare_positions",
    "describe_import",
    "effective_scale_id",
    "export_framework_bundle",
    "export_framework_workbook",
    "get_competencies_grid",
    "get_descriptors_grid",
    "get_frameworks_grid",
    "get_role_map_grid",
    "get_role_profile",
    "get_scale_values_grid",
    "get_scales_grid",
    "growth_steps",
    "import_framework",
    "list_frameworks",
    "list_job_families",
    "list_positions",
    "parse_cell",
    "preview_import",
    "requirements_for_position",
    "save_competencies_grid",
    "save_descriptors_grid",
    "save_frameworks_grid",
    "save_role_map",
    "save_scale_values_grid",
    "save_scales_grid",
    "scale_values_by_competency",
    "scale_values_for",
    "write_framework_bundle",
]
