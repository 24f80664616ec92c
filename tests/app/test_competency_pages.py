"""Competency pages per role: the HR grids (an edit through session_state and a
stale-edit refusal), frameworks, and the employee's role profile."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from db.engine import make_engine
from db.models import Competency, RoleRequirement
from tests.app.conftest import open_page, sign_in


def _first_cell(at: AppTest) -> tuple[str, int, int]:
    grid = at.session_state["role_map_shown"]
    column = next(iter(grid.labels))
    return column, 0, int(grid.frame.iloc[0]["position_id"])


def test_role_map_edit_through_session_state(app: AppTest) -> None:
    at = open_page(sign_in(app, "hana"), "app_pages/role_map.py")
    assert at.title[0].value == "Role map"
    column, row, _ = _first_cell(at)
    at.session_state["role_map_editor"] = {
        "edited_rows": {row: {column: "Role model ★"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.button(key="role_map_save").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["Role map saved: 1 cells set, 0 cleared."]
    assert at.session_state["role_map_shown"].frame.iloc[row][column] == "Role model ★"


def test_role_map_stale_edit_is_refused(app: AppTest, demo_database_url: str) -> None:
    at = open_page(sign_in(app, "hana"), "app_pages/role_map.py")
    column, row, position_id = _first_cell(at)
    competency_id = int(column[1:])
    # Someone else saves the same cell after this grid was shown.
    engine = make_engine(demo_database_url)
    with Session(engine) as session:
        session.exec(  # type: ignore[call-overload]
            update(RoleRequirement)
            .where(
                RoleRequirement.position_id == position_id,
                RoleRequirement.competency_id == competency_id,
            )
            .values(version=RoleRequirement.version + 1)
        )
        session.commit()
    at.session_state["role_map_editor"] = {
        "edited_rows": {row: {column: "Developing"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.button(key="role_map_save").click().run()
    assert not at.exception
    assert any("Someone else changed the role map" in w.value for w in at.warning)
    with Session(engine) as session:
        requirement = session.exec(
            select(RoleRequirement).where(
                RoleRequirement.position_id == position_id,
                RoleRequirement.competency_id == competency_id,
            )
        ).one()
        assert requirement.version == 2  # only the other save
    engine.dispose()


def test_frameworks_page_grids_and_competency_edit(app: AppTest, demo_database_url: str) -> None:
    at = open_page(sign_in(app, "hana"), "app_pages/frameworks.py")
    assert at.title[0].value == "Competency frameworks"
    frameworks = at.session_state["frameworks_fw_shown"]
    assert set(frameworks["name"]) >= {"Core behaviours", "Technical skills"}
    shown = at.session_state["frameworks_comp_shown"]
    row = int(shown.index[shown["kind"] != "cluster"][0])
    at.session_state["frameworks_comp_editor"] = {
        "edited_rows": {row: {"name": "=Renamed, safely"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.button(key="frameworks_comp_save").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("Saved: 0 added, 1 edited")
    engine = make_engine(demo_database_url)
    with Session(engine) as session:
        assert session.exec(select(Competency).where(Competency.name == "=Renamed, safely")).first()
    engine.dispose()


def test_role_profile_and_career_pathway(app: AppTest) -> None:
    at = open_page(sign_in(app, "emma"), "app_pages/role_profile.py")
    assert at.title[0].value == "My role profile"
    assert "Software Engineer" in at.subheader[0].value
    assert len(at.expander) >= 6
    target = next(o for o in at.selectbox(key="role_profile_target").options if "Senior" in o)
    at.selectbox(key="role_profile_target").select(target).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert {"higher", "same"} & set(table["change"])


def test_employee_has_no_hr_competency_pages(app: AppTest) -> None:
    at = sign_in(app, "emma")
    for page in ("app_pages/frameworks.py", "app_pages/role_map.py"):
        # Not registered in an employee's navigation, so not reachable at all.
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)
