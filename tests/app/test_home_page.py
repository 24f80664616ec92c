"""Home for each demo role and for a person with nothing yet, and the pages
Home's to-dos link to opening the linked item."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from core.auth import hash_password
from core.text import markdown_literal as _ui_md
from db.engine import make_engine
from db.models import Goal, GoalCycle, OrgUnit, Person, UserAccount
from seed.demo import DEMO_PASSWORD
from tests.app.conftest import open_page, sign_in

NOT_SHOWN = re.compile(r"\b(None|nan|NaN|NaT)\b")


def _links(at: AppTest) -> list[Any]:
    return list(at.get("page_link"))


def _shown(at: AppTest) -> list[str]:
    """Every piece of text the page shows (as the elements hold it)."""
    texts: list[str] = [e.value for e in at.title] + [e.value for e in at.subheader]
    texts += [e.value for e in at.markdown] + [e.value for e in at.caption]
    for kind in (at.info, at.success, at.warning, at.error):
        texts += [e.value for e in kind]
    texts += [f"{m.label} {m.value}" for m in at.metric]
    texts += [link.proto.label for link in _links(at)]
    texts += [p.proto.text for p in at.get("progress")]
    for frame in at.dataframe:
        texts += [str(v) for v in frame.value.astype(str).to_numpy().ravel()]
    return texts


def _assert_no_missing_values(at: AppTest) -> None:
    bad = [t for t in _shown(at) if NOT_SHOWN.search(t)]
    assert not bad, bad


def _person_id(url: str, username: str) -> int:
    with Session(make_engine(url)) as session:
        return session.exec(
            select(UserAccount.person_id).where(UserAccount.username == username)
        ).one()


def test_employee_home_lists_to_dos_goals_and_manager(app: AppTest) -> None:
    at = sign_in(app, "emma")
    assert at.title[0].value == "Hello, Emma"
    subheaders = [s.value for s in at.subheader]
    assert subheaders[:3] == ["What needs you now", "My goals", "My manager"]
    assert "My team" not in subheaders
    assert "Participation" not in subheaders
    assert any("Maya Okafor" in m.value for m in at.markdown)
    links = {(link.proto.label, link.proto.page) for link in _links(at)}
    # The demo's learning assignment is overdue, and two competencies are unassessed.
    assert any(page.endswith("learning") and "Finish" in label for label, page in links)
    assert any(page.endswith("my_skills") for _label, page in links)
    assert sum(page.endswith("my_goals") for _label, page in links) >= 2
    assert len(at.get("progress")) >= 2
    _assert_no_missing_values(at)


def test_manager_home_shows_the_team_and_ratings_requested(app: AppTest) -> None:
    at = sign_in(app, "maya")
    subheaders = [s.value for s in at.subheader]
    assert "My team" in subheaders
    assert _ui_md("My reports (5)") in subheaders
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Goals"]) > 0
    assert "Unrated competencies" in metrics
    labels = [link.proto.label for link in _links(at)]
    assert any(label.startswith("Rate ") for label in labels)
    assert "Open Team goals" in labels
    _assert_no_missing_values(at)


def test_hr_home_shows_participation(app: AppTest) -> None:
    at = sign_in(app, "hana")
    assert "Participation" in [s.value for s in at.subheader]
    metrics = {m.label: m.value for m in at.metric}
    for label in ("Goals this cycle", "Self-assessed", "Rated by a manager"):
        assert metrics[label].endswith("%")
    assert at.get("vega_lite_chart")
    table = at.dataframe[0].value
    # Divisions only: the company (its one person, the CEO, sits in it) is
    # counted in the shares above, not shown as a division of itself.
    assert "Northwind Labs" not in set(table.iloc[:, 0])
    assert int(table["people"].sum()) == 59
    _assert_no_missing_values(at)


@pytest.fixture
def newcomer(demo_database_url: str) -> str:
    """A person with nothing yet: no manager, reports, position, goals or ratings."""
    with Session(make_engine(demo_database_url)) as session:
        unit = session.exec(select(OrgUnit).where(OrgUnit.parent_id.is_not(None))).first()  # type: ignore[union-attr]
        assert unit is not None
        person = Person(
            employee_code="NEW001",
            full_name="Nora Newcomer",
            email="nora.newcomer@northwind.example",
            org_unit_id=unit.id or 0,
        )
        session.add(person)
        session.flush()
        session.add(
            UserAccount(
                person_id=person.id or 0,
                username="nora",
                password_hash=hash_password(DEMO_PASSWORD),
            )
        )
        session.commit()
    return "nora"


def test_a_person_with_nothing_gets_empty_states(app: AppTest, newcomer: str) -> None:
    at = sign_in(app, newcomer)
    assert at.title[0].value == "Hello, Nora"
    assert any("Nothing needs you right now" in s.value for s in at.success)
    assert any("No goals yet" in i.value for i in at.info)
    assert "Create my first goal" in [link.proto.label for link in _links(at)]
    assert any("don't report to anyone" in c.value for c in at.caption)
    _assert_no_missing_values(at)

    for page, expected in [
        ("app_pages/my_goals.py", "No goals yet in this cycle"),
        ("app_pages/learning.py", "Nothing assigned to you yet"),
        ("app_pages/my_skills.py", "You don't hold a position yet"),
    ]:
        open_page(at, page)
        assert any(expected in i.value for i in at.info), (page, [i.value for i in at.info])
        _assert_no_missing_values(at)


def test_team_goals_without_goals_says_what_to_do(app: AppTest, demo_database_url: str) -> None:
    # A new cycle starting today is the current one, and nobody has goals in it yet.
    with Session(make_engine(demo_database_url)) as session:
        session.add(
            GoalCycle(
                name="Fresh start", starts_on=date.today(), ends_on=date.today() + timedelta(60)
            )
        )
        session.commit()
    at = open_page(sign_in(app, "maya"), "app_pages/team_goals.py")
    assert any("create one for a report below" in i.value for i in at.info)


# --- links from Home open their item --------------------------------------------


def test_goal_link_opens_that_goal_on_my_goals(app: AppTest, demo_database_url: str) -> None:
    emma = _person_id(demo_database_url, "emma")
    with Session(make_engine(demo_database_url)) as session:
        goal = session.exec(select(Goal).where(Goal.owner_id == emma)).first()
        assert goal is not None
        goal_id, title = goal.id, goal.title
    at = sign_in(app, "emma")
    at.query_params["goal"] = str(goal_id)
    open_page(at, "app_pages/my_goals.py")
    assert not at.error, [e.value for e in at.error]
    opened = [e for e in at.expander if e.label == "Key results and actions" and e.proto.expanded]
    assert len(opened) == 1
    assert any(title.replace("-", "\\-") in m.value for m in at.markdown)


@pytest.mark.parametrize(
    ("value", "message"),
    [("abc", "not a valid goal number"), ("999999", "There is no such goal")],
)
def test_a_wrong_goal_link_says_so(app: AppTest, value: str, message: str) -> None:
    at = sign_in(app, "emma")
    at.query_params["goal"] = value
    open_page(at, "app_pages/my_goals.py")
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    assert at.title[0].value == "My goals"


def test_someone_elses_goal_link_is_refused(app: AppTest, demo_database_url: str) -> None:
    hana = _person_id(demo_database_url, "hana")
    with Session(make_engine(demo_database_url)) as session:
        goal_id = session.exec(select(Goal.id).where(Goal.owner_id == hana)).first()
    at = sign_in(app, "emma")
    at.query_params["goal"] = str(goal_id)
    open_page(at, "app_pages/my_goals.py")
    assert any("can't see that goal" in e.value for e in at.error)


def test_team_goal_link_opens_the_goal_card(app: AppTest, demo_database_url: str) -> None:
    emma = _person_id(demo_database_url, "emma")
    with Session(make_engine(demo_database_url)) as session:
        goal = session.exec(select(Goal).where(Goal.owner_id == emma)).first()
        assert goal is not None
        goal_id = goal.id
    at = sign_in(app, "maya")
    at.query_params["goal"] = str(goal_id)
    open_page(at, "app_pages/team_goals.py")
    assert not at.error, [e.value for e in at.error]
    assert [e for e in at.expander if e.label == "Key results and actions" and e.proto.expanded]


def test_learning_and_skills_links_choose_their_item(app: AppTest) -> None:
    at = sign_in(app, "emma")
    links = {link.proto.page.rsplit("/", 1)[-1]: link for link in _links(at)}
    for page, key in (("learning", "learning_mine_pick"), ("my_skills", "my_skills_competency")):
        query = dict(part.split("=") for part in links[page].proto.query_string.split("&") if part)
        name, value = next(iter(query.items()))
        at.query_params.clear()
        at.query_params[name] = value
        open_page(at, f"app_pages/{page}.py")
        assert not at.warning, [w.value for w in at.warning]
        assert at.session_state[key] == int(value)
