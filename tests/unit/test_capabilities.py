"""The capability table in core.access: navigation, page views and cache
scopes per role are derived from it, and the flag-based rules agree with it."""

from pathlib import Path

import pytest

from core.access import (
    CAPABILITIES,
    PAGES,
    Actor,
    Capability,
    Role,
    can_administer_people,
    can_edit_competencies,
    can_edit_organisation,
    can_read_goal_report,
    can_view_org_gaps,
    can_view_team_gaps,
    capabilities_of,
    goal_report_reach,
    has,
    navigation,
    roles_of,
    skills_gap_views,
)
from core.assessments import gap_scope_key

EMPLOYEE = Actor(1, "e", "E", is_hr_admin=False, is_manager=False)
MANAGER = Actor(2, "m", "M", is_hr_admin=False, is_manager=True)
HR = Actor(3, "h", "H", is_hr_admin=True, is_manager=False)
HR_MANAGER = Actor(4, "hm", "HM", is_hr_admin=True, is_manager=True)

EVERYONE_PAGES = {
    "Me": [
        "dashboard",
        "my_goals",
        "role_profile",
        "my_skills",
        "learning",
        "my_checkins",
        "feedback",
        "reviews",
        "my_surveys",
    ],
    "Organisation": ["people", "alignment"],
}


def test_an_employee_gets_only_the_shared_pages() -> None:
    assert navigation(EMPLOYEE) == EVERYONE_PAGES


def test_a_manager_gets_the_team_section() -> None:
    assert navigation(MANAGER) == {
        **EVERYONE_PAGES,
        "My team": [
            "team_goals",
            "goal_report",
            "skills_gap",
            "team_checkins",
            "checkin_adherence",
            "programme_health",
        ],
    }


def test_hr_gets_the_hr_section_and_no_team_section() -> None:
    assert navigation(HR) == {
        **EVERYONE_PAGES,
        "HR": [
            "goal_report",
            "skills_gap",
            "frameworks",
            "role_map",
            "insights",
            "organisation",
            "people_import",
            "invitations",
            "privacy",
            "programme_health",
            "modules",
            "admin",
            "checkin_adherence",
            "checkin_templates",
            "surveys",
            "experiments",
        ],
    }


def test_a_manager_who_is_hr_sees_each_page_once() -> None:
    nav = navigation(HR_MANAGER)
    listed = [page for pages in nav.values() for page in pages]
    assert len(listed) == len(set(listed))
    assert nav["My team"] == ["team_goals", "goal_report", "team_checkins", "checkin_adherence"]
    assert nav["HR"] == [
        "skills_gap",
        "frameworks",
        "role_map",
        "insights",
        "organisation",
        "people_import",
        "invitations",
        "privacy",
        "programme_health",
        "modules",
        "admin",
        "checkin_templates",
        "surveys",
        "experiments",
    ]


def test_sections_come_in_a_fixed_order() -> None:
    assert list(navigation(HR_MANAGER)) == ["Me", "My team", "Organisation", "HR"]


@pytest.mark.parametrize(
    ("actor", "roles"),
    [
        (EMPLOYEE, {Role.employee}),
        (MANAGER, {Role.employee, Role.manager}),
        (HR, {Role.employee, Role.hr_admin}),
        (HR_MANAGER, {Role.employee, Role.manager, Role.hr_admin}),
    ],
)
def test_roles_add_up(actor: Actor, roles: set[Role]) -> None:
    assert roles_of(actor) == roles
    expected = frozenset().union(*(CAPABILITIES[role] for role in roles))
    assert capabilities_of(actor) == expected


def test_employees_have_no_capability_beyond_their_own_records() -> None:
    assert capabilities_of(EMPLOYEE) == frozenset()
    assert not any(has(EMPLOYEE, capability) for capability in Capability)


@pytest.mark.parametrize(
    ("actor", "views", "reach"),
    [
        (EMPLOYEE, [], None),
        (MANAGER, ["team"], "reports"),
        (HR, ["org"], "everyone"),
        (HR_MANAGER, ["team", "org"], "everyone"),
    ],
)
def test_page_views_follow_the_table(actor: Actor, views: list[str], reach: str | None) -> None:
    assert skills_gap_views(actor) == views
    assert goal_report_reach(actor) == reach
    assert can_read_goal_report(actor) is (reach is not None)
    assert can_view_team_gaps(actor) is ("team" in views)
    assert can_view_org_gaps(actor) is ("org" in views)


@pytest.mark.parametrize(
    ("actor", "expected"), [(EMPLOYEE, False), (MANAGER, False), (HR, True), (HR_MANAGER, True)]
)
def test_hr_rules_follow_the_table(actor: Actor, expected: bool) -> None:
    assert can_edit_competencies(actor) is expected
    assert can_administer_people(actor) is expected
    assert can_edit_organisation(actor) is expected


def test_the_org_gap_cache_is_shared_only_by_those_who_may_see_it() -> None:
    assert gap_scope_key(HR, view="org") == gap_scope_key(HR_MANAGER, view="org")
    assert gap_scope_key(MANAGER, view="org") != gap_scope_key(HR, view="org")
    assert gap_scope_key(MANAGER, view="team") != gap_scope_key(HR_MANAGER, view="team")


def test_every_page_in_the_table_has_a_page_file() -> None:
    root = Path(__file__).resolve().parents[2]
    for entry in PAGES:
        assert (root / "app_pages" / f"{entry.page}.py").is_file(), entry.page


def test_every_page_in_the_table_has_a_look_in_the_navigation() -> None:
    home = (Path(__file__).resolve().parents[2] / "Home.py").read_text()
    for entry in PAGES:
        assert f'"{entry.page}": (' in home, entry.page
