"""People: the directory, personal records, the org chart and HR's people grid.

- `queries`: the directory, a person's record, the org chart, the dashboard cards;
- `commands`: HR's people grid (people and their accounts) saved in one transaction.
"""

from core.people.commands import (
    PEOPLE_GRID_COLUMNS,
    GridSaveResult,
    PeopleGrid,
    get_people_grid,
    save_people_grid,
)
from core.people.queries import (
    DIRECTORY_LIMIT,
    EMAIL_PATTERN,
    ORG_CHART_MAX_NODES,
    USERNAME_PATTERN,
    Dashboard,
    OrgChartNode,
    PersonCard,
    PersonRecord,
    get_dashboard,
    get_org_chart,
    get_person_record,
    list_directory,
    org_chart_dot,
)

__all__ = [
    "DIRECTORY_LIMIT",
    "EMAIL_PATTERN",
    "ORG_CHART_MAX_NODES",
    "PEOPLE_GRID_COLUMNS",
    "USERNAME_PATTERN",
    "Dashboard",
    "GridSaveResult",
    "OrgChartNode",
    "PeopleGrid",
    "PersonCard",
    "PersonRecord",
    "get_dashboard",
    "get_org_chart",
    "get_people_grid",
    "get_person_record",
    "list_directory",
    "org_chart_dot",
    "save_people_grid",
]
