"""Organisation page: HR keeps units, job families and positions in grids;
employees and managers cannot open it."""

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from db.engine import make_engine
from db.models import AuditEvent, OrgUnit
from tests.app.conftest import open_page, sign_in

PAGE = "app_pages/organisation.py"


def _edit(at: AppTest, prefix: str, column: str, value: str, changes: dict[str, object]) -> None:
    shown = at.session_state[f"{prefix}_shown"]
    row = int(shown.index[shown[column] == value][0])
    at.session_state[f"{prefix}_editor"] = {
        "edited_rows": {row: changes},
        "added_rows": [],
        "deleted_rows": [],
    }


@pytest.mark.parametrize("username", ["emma", "maya"])
def test_employees_and_managers_cannot_open_it(app: AppTest, username: str) -> None:
    at = sign_in(app, username)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)


def test_hr_sees_three_grids_and_downloads(app: AppTest) -> None:
    at = open_page(sign_in(app, "hana"), PAGE)
    assert [t.label for t in at.tabs] == ["Units", "Job families", "Positions"]
    units = at.session_state["organisation_units_shown"]
    assert {"Northwind Labs", "Platform", "Sales"} <= set(units["name"])
    assert units.iloc[0]["name"] == "Northwind Labs"  # the top unit first
    assert len(at.session_state["organisation_positions_shown"]) > 0
    assert len(at.session_state["organisation_families_shown"]) > 0
    downloads = {b.proto.label for b in at.get("download_button")}
    assert downloads == {"Download Excel"}
    assert len(at.get("download_button")) == 3


def test_hr_renames_and_moves_a_unit(app: AppTest, demo_database_url: str) -> None:
    at = open_page(sign_in(app, "hana"), PAGE)
    _edit(
        at,
        "organisation_units",
        "code",
        "MOB",
        {"name": "Mobile apps", "parent": "COM"},
    )
    at.button(key="organisation_units_save").click().run()
    assert not at.exception
    assert any("1 edited" in s.value for s in at.success)
    with Session(make_engine(demo_database_url)) as session:
        mobile = session.exec(select(OrgUnit).where(OrgUnit.code == "MOB")).one()
        commercial = session.exec(select(OrgUnit).where(OrgUnit.code == "COM")).one()
        assert (mobile.name, mobile.parent_id, mobile.version) == (
            "Mobile apps",
            commercial.id,
            2,
        )
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "org_units.saved")).one()


def test_a_move_under_a_sub_unit_and_deleting_a_unit_with_people_are_refused(
    app: AppTest, demo_database_url: str
) -> None:
    at = open_page(sign_in(app, "hana"), PAGE)
    _edit(at, "organisation_units", "code", "PT", {"parent": "PLAT"})
    at.button(key="organisation_units_save").click().run()
    assert any("Nothing was saved" in e.value for e in at.error)
    problems = next(d.value for d in at.dataframe if "problem" in d.value.columns)
    assert "A unit cannot move under itself or one of its own sub-units." in set(
        problems["problem"]
    )
    shown = at.session_state["organisation_units_shown"]
    at.session_state["organisation_units_editor"] = {
        "edited_rows": {},
        "added_rows": [],
        "deleted_rows": [int(shown.index[shown["code"] == "PLAT"][0])],
    }
    at.button(key="organisation_units_save").click().run()
    problems = next(d.value for d in at.dataframe if "problem" in d.value.columns)
    assert any("deactivate it instead" in p for p in problems["problem"])
    with Session(make_engine(demo_database_url)) as session:
        platform = session.exec(select(OrgUnit).where(OrgUnit.code == "PLAT")).one()
        assert platform.version == 1
