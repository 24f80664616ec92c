"""Check-in pages for every demo role: they render, and their main actions work."""

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from db.engine import make_engine
from db.models import CheckIn, CheckInItem, CheckInTemplate, UserAccount
from tests.app.conftest import open_page, sign_in


def _person(url: str, username: str) -> int:
    with Session(make_engine(url)) as session:
        return session.exec(
            select(UserAccount.person_id).where(UserAccount.username == username)
        ).one()


def _button(at: AppTest, label: str):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if b.label == label)


def _ok(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("username", ["emma", "maya", "daniel"])
def test_my_checkins_renders(app: AppTest, username: str) -> None:
    at = open_page(sign_in(app, username), "app_pages/my_checkins.py")
    _ok(at)
    assert at.title[0].value == "My check-ins"
    assert [m.label for m in at.metric] == [
        "Cadence",
        "Next due",
        "On-time streak",
        "My open actions",
    ]


@pytest.mark.parametrize("username", ["hana", "ingrid"])
def test_my_checkins_is_off_where_the_practice_is_not_rolled_out(
    app: AppTest, username: str
) -> None:
    # The demo pilots check-ins in two divisions (seed.demo_modules): HR's
    # division and the company level have them switched off.
    at = sign_in(app, username)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/my_checkins.py")


def test_employee_prepares_the_next_check_in(app: AppTest, demo_database_url: str) -> None:
    at = open_page(sign_in(app, "emma"), "app_pages/my_checkins.py")
    _button(at, "Prepare my next check-in").click().run()
    _ok(at)
    key = next(
        k
        for k in at.session_state
        if str(k).startswith("my_checkins_ci") and str(k).endswith("_opened")
    )
    prefix = str(key).removesuffix("_opened")
    at.text_input(key=f"{prefix}_point_text").input("Conference budget")
    _button(at, "Add to the agenda").click().run()
    _ok(at)
    assert any("Talking point added" in s.value for s in at.success)
    assert any("Conference budget" in m.value for m in at.markdown)
    # Managers' private notes and the complete form are not there for the employee.
    assert not [b for b in at.button if b.label == "Complete check-in"]
    emma = _person(demo_database_url, "emma")
    with Session(make_engine(demo_database_url)) as session:
        planned = session.exec(
            select(CheckIn).where(CheckIn.employee_id == emma, CheckIn.status == "planned")
        ).one()
        points = session.exec(
            select(CheckInItem.text).where(
                CheckInItem.check_in_id == planned.id, CheckInItem.kind == "talking point"
            )
        ).all()
    assert points == ["Conference budget"]


def test_manager_runs_a_check_in(app: AppTest, demo_database_url: str) -> None:
    at = open_page(sign_in(app, "maya"), "app_pages/team_checkins.py")
    _ok(at)
    assert at.title[0].value == "Team check-ins"
    assert at.metric[0].label == "Reports"
    emma = _person(demo_database_url, "emma")
    at.selectbox(key="team_checkins_person").set_value(emma).run()
    _button(at, "Start check-in").click().run()
    _ok(at)
    prefix = f"team_checkins_ci{next(iter(_open_ids(demo_database_url, emma)))}"
    at.text_input(key=f"{prefix}_action_text").input("Book the course")
    _button(at, "Add action item").click().run()
    _ok(at)
    assert any("Book the course" in m.value for m in at.markdown)
    _button(at, "Complete check-in").click().run()
    _ok(at)
    assert any("Check-in completed" in s.value for s in at.success)
    assert _open_ids(demo_database_url, emma) == []


def _open_ids(url: str, employee_id: int) -> list[int]:
    with Session(make_engine(url)) as session:
        return [
            i
            for i in session.exec(
                select(CheckIn.id).where(
                    CheckIn.employee_id == employee_id, CheckIn.status == "planned"
                )
            ).all()
            if i is not None
        ]


def test_team_checkins_for_a_director(app: AppTest, demo_database_url: str) -> None:
    at = open_page(sign_in(app, "daniel"), "app_pages/team_checkins.py")
    _ok(at)
    assert at.metric[0].label == "Reports"
    assert at.dataframe
    # The rest of the line is readable, not run from here.
    at.toggle(key="team_checkins_indirect").set_value(True).run()
    _ok(at)
    emma = _person(demo_database_url, "emma")
    at.selectbox(key="team_checkins_person").set_value(emma).run()
    _ok(at)
    assert any("run by their own manager" in c.value for c in at.caption)
    assert [h.value for h in at.subheader] == ["Check\\-in\\: Emma Lindqvist with Maya Okafor"]
    labels = {b.label for b in at.button}
    assert not labels & {"Start check-in", "Complete check-in", "Save notes", "Add action item"}
    assert not [t for t in at.text_area if t.label == "My private notes"]
    at.toggle(key="team_checkins_indirect").set_value(False).run()
    _ok(at)


@pytest.mark.parametrize("username", ["emma", "hana"])
def test_team_checkins_is_for_managers(app: AppTest, username: str) -> None:
    at = sign_in(app, username)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/team_checkins.py")


def test_hr_edits_a_template(app: AppTest, demo_database_url: str) -> None:
    at = open_page(sign_in(app, "hana"), "app_pages/checkin_templates.py")
    _ok(at)
    at.text_input(key="checkin_templates_name_None").input("Career conversation")
    at.radio(key="checkin_templates_focus_None").set_value("development")
    at.text_area(key="checkin_templates_questions_None").input("Where next?\nSkills to build")
    _button(at, "Save template").click().run()
    _ok(at)
    assert any("Template saved" in s.value for s in at.success)
    with Session(make_engine(demo_database_url)) as session:
        saved = session.exec(
            select(CheckInTemplate).where(CheckInTemplate.name == "Career conversation")
        ).one()
    assert saved.focus == "development"


@pytest.mark.parametrize("username", ["emma", "maya"])
def test_templates_are_hr_only(app: AppTest, username: str) -> None:
    at = sign_in(app, username)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/checkin_templates.py")


@pytest.mark.parametrize(
    ("username", "reach"), [("maya", "Your reporting line"), ("hana", "Everyone")]
)
def test_adherence_by_team_and_unit(app: AppTest, username: str, reach: str) -> None:
    at = open_page(sign_in(app, username), "app_pages/checkin_adherence.py")
    _ok(at)
    assert any(c.value.startswith(reach) for c in at.caption)
    assert at.dataframe
    at.radio(key="checkin_adherence_by").set_value("unit").run()
    _ok(at)
    assert at.get("download_button")


def test_adherence_is_not_for_employees(app: AppTest) -> None:
    at = sign_in(app, "emma")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/checkin_adherence.py")
