"""The organisation as HR keeps it in the app: org units (a tree), job
families and positions, each in a grid.

- `rules`: the tree and deletion rules on plain values (unit-tested alone);
- `grids`: the grids' rows and their all-or-nothing saves.
"""

from core.organisation.grids import (
    FAMILY_COLUMNS,
    POSITION_COLUMNS,
    UNIT_COLUMNS,
    OrgGrid,
    get_families_grid,
    get_positions_grid,
    get_units_grid,
    save_families_grid,
    save_positions_grid,
    save_units_grid,
)

__all__ = [
    "FAMILY_COLUMNS",
    "POSITION_COLUMNS",
    "UNIT_COLUMNS",
    "OrgGrid",
    "get_families_grid",
    "get_positions_grid",
    "get_units_grid",
    "save_families_grid",
    "save_positions_grid",
    "save_units_grid",
]
