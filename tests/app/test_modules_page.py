"""Modules page (HR): switching a practice off for a unit hides it from the
people there at their next run; other roles cannot open the page."""

from __future__ import annotations

from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from core.modules.rules import MODULE_LABELS, Module
from db.engine import make_engine
from db.models import OrgUnit, Person, UserAccount
from tests.app.conftest import HOME, open_page, sign_in


def _can_open(at: AppTest, page: str) -> bool:
    try:
        at.switch_page(page)
    except ValueError as refused:
        if "Could not find a navigation page" not in str(refused):
            raise
        return False
    return True


def _unit_of(database_url: str, username: str) -> str:
    with Session(make_engine(database_url)) as session:
        unit_id = session.exec(
            select(Person.org_unit_id).join(UserAccount).where(UserAccount.username == username)
        ).one()
        unit = session.get(OrgUnit, unit_id)
        assert unit is not None
        return unit.name


def test_hr_switches_goals_off_for_a_unit(app: AppTest, demo_database_url: str) -> None:
    at = open_page(sign_in(app, "hana"), "app_pages/modules.py")
    assert [t.value for t in at.title] == ["Modules"]
    shown = at.session_state["modules_shown"]
    unit = _unit_of(demo_database_url, "emma")
    position = next(i for i, name in enumerate(shown["Unit"]) if name.strip() == unit)
    goals = MODULE_LABELS[Module.goals]
    assert shown.loc[position, goals] == "as parent"
    assert goals in shown.loc[position, "In effect"]
    at.session_state["modules_editor"] = {
        "edited_rows": {position: {goals: "off"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.button(key="modules_save").click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == ["Saved 1 module switch."]
    shown = at.session_state["modules_shown"]
    assert shown.loc[position, goals] == "off"
    assert goals not in shown.loc[position, "In effect"]

    emma = sign_in(AppTest.from_file(HOME, default_timeout=60), "emma")
    assert not _can_open(emma, "app_pages/my_goals.py")
    assert _can_open(emma, "app_pages/my_skills.py")


def test_other_roles_do_not_get_the_modules_page(app: AppTest) -> None:
    at = sign_in(app, "maya")
    assert not _can_open(at, "app_pages/modules.py")
    assert _can_open(at, "app_pages/my_goals.py")
