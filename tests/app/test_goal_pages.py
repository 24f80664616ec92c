"""Goal pages for every demo role: they render, and their main actions work."""

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import HOME, open_page, sign_in

GOAL_PAGES = ["app_pages/my_goals.py", "app_pages/alignment.py"]


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.label for e in at.expander]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("username", ["emma", "maya", "hana"])
def test_my_goals_lists_own_goals(app: AppTest, username: str) -> None:
    at = open_page(sign_in(app, username), "app_pages/my_goals.py")
    assert at.title[0].value == "My goals"
    assert not at.error, [e.value for e in at.error]
    assert at.metric[0].label == "Open goals"
    # Every demo person has 2–4 goals in the current cycle.
    assert 2 <= len([c for c in at.expander if c.label == "Key results and actions"]) <= 4


def test_employee_creates_a_goal_with_key_results(app: AppTest) -> None:
    at = open_page(sign_in(app, "emma"), "app_pages/my_goals.py")
    before = len([c for c in at.expander if c.label == "Key results and actions"])
    at.text_input(key="my_goals_new_title").input("Write the on-call handbook")
    at.text_input(key="my_goals_new_kr1_title").input("Runbooks written")
    at.number_input(key="my_goals_new_kr1_target").set_value(12)
    at.text_input(key="my_goals_new_kr2_title").input("Pages per week")
    at.number_input(key="my_goals_new_kr2_start").set_value(10)
    at.number_input(key="my_goals_new_kr2_target").set_value(3)
    next(b for b in at.button if b.label == "Create goal").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert next(s.value for s in at.success).startswith("Goal created")
    assert len([c for c in at.expander if c.label == "Key results and actions"]) == before + 1
    assert "Write the on\\-call handbook" in _texts(at)


def test_employee_sees_validation_errors(app: AppTest) -> None:
    at = open_page(sign_in(app, "emma"), "app_pages/my_goals.py")
    at.text_input(key="my_goals_new_kr1_title").input("No goal title")
    next(b for b in at.button if b.label == "Create goal").click().run()
    assert not at.exception, at.exception
    assert at.error
    assert "title" in at.error[0].value


@pytest.mark.parametrize("username", ["emma", "maya", "hana"])
def test_alignment_tree(app: AppTest, username: str) -> None:
    at = open_page(sign_in(app, username), "app_pages/alignment.py")
    assert at.title[0].value == "Alignment"
    assert not at.error, [e.value for e in at.error]
    labels = [e.label for e in at.expander]
    assert sum("Northwind" in label or "·" in label for label in labels) >= 3
    # Three company objectives are branches for everyone.
    assert any("Grow revenue in our core markets" in label for label in labels)


def test_alignment_filter_by_text(app: AppTest) -> None:
    at = open_page(sign_in(app, "hana"), "app_pages/alignment.py")
    at.text_input(key="alignment_search").input("reliability").run()
    assert not at.exception, at.exception
    frames = [f.value for f in at.dataframe]
    titles = [t for frame in frames for t in frame["goal"]]
    assert any("reliability" in t.lower() for t in titles)
    # Only matches and the company and team goals above them remain.
    assert all(
        "reliability" in t.lower() or level in ("company", "team")
        for frame in frames
        for t, level in zip(frame["goal"], frame["level"], strict=True)
    )


def test_only_managers_create_team_goals_on_alignment(app: AppTest) -> None:
    at = open_page(sign_in(app, "emma"), "app_pages/alignment.py")
    assert "New team or company goal" not in [e.label for e in at.expander]
    at = open_page(
        sign_in(AppTest.from_file(HOME, default_timeout=60), "maya"), "app_pages/alignment.py"
    )
    assert "New team or company goal" in [e.label for e in at.expander]


def test_team_goals_for_a_manager(app: AppTest) -> None:
    at = open_page(sign_in(app, "maya"), "app_pages/team_goals.py")
    assert at.title[0].value == "Team goals"
    assert not at.error, [e.value for e in at.error]
    grid = at.dataframe[0].value
    assert set(grid["person"]) >= {"Emma Lindqvist"}
    assert len(set(grid["person"])) == 5  # Maya's five reports
    at.toggle(key="team_goals_flagged").set_value(True).run()
    flagged = at.dataframe[0].value
    assert len(flagged) < len(grid)
    # Flags are text badges ("⚠ at risk", "◔ stale"), blank when not set.
    assert all((flagged["at risk"] != "") | (flagged["stale"] != ""))
    assert set(flagged["at risk"]) <= {"⚠ at risk", ""}


@pytest.mark.parametrize("username", ["emma", "hana"])
def test_team_goals_not_in_navigation_for_non_managers(app: AppTest, username: str) -> None:
    at = sign_in(app, username)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/team_goals.py")


@pytest.mark.parametrize(("username", "people"), [("maya", 5), ("daniel", 24), ("hana", 60)])
def test_goal_report_scope(app: AppTest, username: str, people: int) -> None:
    at = open_page(sign_in(app, username), "app_pages/goal_report.py")
    assert at.title[0].value == "Goal report"
    assert not at.error, [e.value for e in at.error]
    people_metric = next(m for m in at.metric if m.label == "People")
    assert int(people_metric.value) == people


def test_goal_report_closed_to_employees(app: AppTest) -> None:
    at = sign_in(app, "emma")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/goal_report.py")


def test_completing_a_goal_prompts_for_the_next(app: AppTest) -> None:
    at = open_page(sign_in(app, "emma"), "app_pages/my_goals.py")
    open_before = int(at.metric[0].value)
    # A card's actions are drawn once it is unfolded. Every card is unfolded:
    # the session state's keys do not come in the order the cards are drawn,
    # so "the first key" was sometimes a closed goal's card.
    cards = [k for k in at.session_state.to_dict() if str(k).endswith("_details")]
    assert cards
    for card in cards:
        at.session_state[card] = True
    at.run()
    assert len([b for b in at.button if b.label == "Close goal"]) == open_before
    next(b for b in at.button if b.label == "Close goal").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert any("What is your next goal" in s.value for s in at.success)
    assert int(at.metric[0].value) == open_before - 1


def test_manager_exports_only_their_reports_goals(app: AppTest, demo_database_url: str) -> None:
    import io

    from openpyxl import load_workbook
    from sqlmodel import Session, select

    from core.access import Actor
    from db.engine import make_engine
    from db.models import Person, UserAccount

    with Session(make_engine(demo_database_url)) as session:
        maya = session.exec(
            select(Person).join(UserAccount).where(UserAccount.username == "maya")
        ).one()
        team = set(
            session.exec(select(Person.employee_code).where(Person.manager_id == maya.id)).all()
        )
    at = open_page(sign_in(app, "maya"), "app_pages/goal_report.py")
    assert not at.error, [e.value for e in at.error]
    # One click: the button builds the workbook when pressed (deferred data,
    # which AppTest cannot press), with core's export for the signed-in actor.
    assert "Download goals" in [str(b.proto.label) for b in at.get("download_button")]
    assert not [b for b in at.button if "Prepare" in b.label]
    from core.goals import export_goals

    actor = at.session_state["stride_actor"]
    assert isinstance(actor, Actor)
    cycle_id = at.selectbox(key="goal_report_cycle").value
    with Session(make_engine(demo_database_url)) as session:
        data = export_goals(session, actor=actor, cycle_id=cycle_id)
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Goals", "Key results"]
    header, *rows = list(workbook["Goals"].values)
    owners = {row[header.index("owner_code")] for row in rows} - {None}
    # Individual goals of Maya's reports (and her own), nobody from another team.
    assert team & owners
    assert owners <= team | {maya.employee_code}


def test_goal_history_shows_times_in_the_viewers_zone(app: AppTest, demo_database_url: str) -> None:
    from datetime import UTC

    import pandas as pd
    from sqlmodel import Session, col, select

    from db.engine import make_engine
    from db.models import Goal, KeyResult, ProgressUpdate

    app.context = {"timezone": "America/New_York"}
    at = open_page(sign_in(app, "emma"), "app_pages/my_goals.py")
    cards = [k for k in at.session_state.to_dict() if str(k).endswith("_details")]
    with Session(make_engine(demo_database_url)) as session:
        for card in cards:
            goal_id = int(str(card).removesuffix("_details").rsplit("_", 1)[1])
            stored = session.exec(
                select(ProgressUpdate.at)
                .join(KeyResult, col(KeyResult.id) == col(ProgressUpdate.key_result_id))
                .join(Goal, col(Goal.id) == col(KeyResult.goal_id))
                .where(Goal.id == goal_id)
            ).all()
            if stored:
                break
    assert stored, "a demo goal of Emma's has progress updates"
    at.session_state[card] = True
    at.run()
    at.toggle(key=str(card).removesuffix("_details") + "_history").set_value(True).run()
    assert not at.exception, at.exception
    shown = at.dataframe[-1].value["at"]
    assert shown.dt.tz is None, "wall-clock times, no offset"
    expected = {
        pd.Timestamp(t if t.tzinfo else t.replace(tzinfo=UTC))
        .tz_convert("America/New_York")
        .tz_localize(None)
        .floor("s")
        for t in stored
    }
    assert {t.floor("s") for t in shown} == expected
