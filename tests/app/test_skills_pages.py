"""Skills pages per role: skills gap (manager team view, HR organisation view),
my skills, insights, learning; and the cache never crosses viewers."""

from __future__ import annotations

import pytest
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from tests.app.conftest import HOME, open_page, sign_in


def _chart_rows(at: AppTest, index: int = 0) -> list[dict[str, object]]:
    """The data of the index-th Altair chart on the page (its Arrow datasets)."""
    proto = at.get("vega_lite_chart")[index].proto
    frames = [convert_arrow_bytes_to_pandas_df(d.data.data) for d in proto.datasets]
    if proto.data.data:
        frames.append(convert_arrow_bytes_to_pandas_df(proto.data.data))
    return [row for frame in frames for row in frame.to_dict("records")]


def _chart_people(at: AppTest) -> set[str]:
    return {str(row["person"]) for row in _chart_rows(at)}


@pytest.mark.parametrize("username", ["emma", "maya", "hana"])
def test_my_skills_page(app: AppTest, username: str) -> None:
    at = open_page(sign_in(app, username), "app_pages/my_skills.py")
    assert at.title[0].value == "My skills"
    table = at.dataframe[0].value
    assert len(table) > 0
    assert {"required", "current", "from", "gap", "status"} <= set(table.columns)
    if username == "emma":
        # Seeded unassessed on purpose: unknown, never zero.
        leading = table[table["competency"] == "Leading others"].iloc[0]
        assert leading["current"] == "unknown"
        assert leading["status"] == "unknown"


def test_self_assessment_saves(app: AppTest) -> None:
    at = open_page(sign_in(app, "emma"), "app_pages/my_skills.py")
    competencies = at.selectbox(key="my_skills_competency")
    leading = next(o for o in competencies.options if o.startswith("Leading others"))
    competencies.select(leading).run()
    level = at.radio(key="my_skills_level")
    level.set_value(level.options[1]).run()
    at.button(key="my_skills_save").click().run()
    assert not at.exception
    table = at.dataframe[0].value
    leading_row = table[table["competency"] == "Leading others"].iloc[0]
    assert leading_row["current"] == level.options[1]
    assert leading_row["from"] == "self-assessed"


def test_manager_team_heatmap_shows_only_own_reports(app: AppTest) -> None:
    at = open_page(sign_in(app, "maya"), "app_pages/skills_gap.py")
    assert at.title[0].value == "Skills gap"
    people = _chart_people(at)
    assert "Emma Lindqvist" in people
    assert len(people) == 5  # Maya's five direct reports
    assert len(at.get("download_button")) == 1


def test_manager_rating_saves(app: AppTest) -> None:
    at = open_page(sign_in(app, "maya"), "app_pages/skills_gap.py")
    person = at.selectbox(key="skills_gap_rate_person")
    person.select(next(o for o in person.options if o == "Emma Lindqvist")).run()
    competencies = at.selectbox(key="skills_gap_rate_competency")
    leading = next(o for o in competencies.options if o.startswith("Leading others"))
    competencies.select(leading).run()
    level = at.radio(key="skills_gap_rate_level")
    chosen = level.options[1]
    level.set_value(chosen).run()
    at.text_area(key="skills_gap_rate_comment").input("Ran the planning week").run()
    at.button(key="skills_gap_rate_save").click().run()
    assert not at.exception
    assert "Rating saved: Leading others for Emma Lindqvist." in [m.value for m in at.success]
    assert at.radio(key="skills_gap_rate_level").value is None  # the form starts empty again
    assert at.text_area(key="skills_gap_rate_comment").value == ""
    now = at.selectbox(key="skills_gap_rate_competency")
    assert any(o.startswith(f"Leading others — now {chosen}") for o in now.options)


def test_employee_has_no_skills_gap_or_insights_page(app: AppTest) -> None:
    at = sign_in(app, "emma")
    for page in ("app_pages/skills_gap.py", "app_pages/insights.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)


def test_hr_organisation_heatmap_and_filters(app: AppTest) -> None:
    at = open_page(sign_in(app, "hana"), "app_pages/skills_gap.py")
    rows = {str(r["row"]) for r in _chart_rows(at)}
    assert {"Product & Technology", "Commercial", "Operations & People"} <= rows
    at.segmented_control(key="skills_gap_org_rows").set_value("job_family").run()
    assert not at.exception
    families = {str(r["row"]) for r in _chart_rows(at)}
    assert "Technology & support" in families
    at.checkbox(key="skills_gap_org_critical").check().run()
    assert not at.exception
    critical = [r for r in _chart_rows(at) if r["state"] != "not required"]
    assert 0 < len(critical) < 30
    # Every row × competency is drawn: cells no role needs are marked, not blank.
    states = {str(r["state"]) for r in _chart_rows(at)}
    assert states <= {"assessed", "not assessed", "not required"}
    assert "not required" in states


def test_org_workbook_is_shaped_only_when_downloaded(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rendering the organisation view offers the workbook but does not shape
    its sheets (they are built when the button is clicked)."""
    from core.assessments import shaping

    shaped: list[str] = []
    real = shaping.org_workbook_sheets

    def counted(frame: object, *, row_title: str) -> object:
        shaped.append(row_title)
        return real(frame, row_title=row_title)  # type: ignore[arg-type]

    monkeypatch.setattr(shaping, "org_workbook_sheets", counted)
    at = open_page(sign_in(app, "hana"), "app_pages/skills_gap.py")
    assert not at.exception
    assert [b.proto.label for b in at.get("download_button")] == ["Download Excel"]
    assert shaped == []


@pytest.mark.parametrize("username", ["hana"])
def test_insights_page(app: AppTest, username: str) -> None:
    at = open_page(sign_in(app, username), "app_pages/insights.py")
    assert at.title[0].value == "Insights"
    # Only the open tab is worked out and drawn.
    assert len(at.dataframe) == 1
    assert not at.metric
    at.session_state["insights_tab"] = "Experience vs mastery"
    at.run()
    assert [m.label for m in at.metric] == ["Correlation (Pearson r)", "People with assessments"]
    assert not at.dataframe
    at.session_state["insights_tab"] = "Hidden expertise"
    at.run()
    assert len(at.dataframe) == 1
    at.session_state["insights_tab"] = "Role fit"
    at.run()
    at.selectbox(key="insights_fit_position").select_index(0).run()
    assert not at.exception
    assert len(at.dataframe[-1].value) > 0


@pytest.mark.parametrize("username", ["emma", "maya", "hana"])
def test_learning_page(app: AppTest, username: str) -> None:
    at = open_page(sign_in(app, username), "app_pages/learning.py")
    assert at.title[0].value == "Learning"
    if username == "emma":
        assert len(at.dataframe[0].value) == 1  # the demo assignment from Maya


def test_manager_assigns_learning(app: AppTest) -> None:
    at = open_page(sign_in(app, "maya"), "app_pages/learning.py")
    before = len(at.dataframe[-1].value)
    items = at.selectbox(key="learning_assign_item")
    security = next(o for o in items.options if o.startswith("Designing for change"))
    items.select(security).run()
    assert not at.exception
    candidates = at.dataframe[-2].value
    assert len(candidates) > 0
    assert list(candidates["gap"].dropna()) == sorted(candidates["gap"].dropna(), reverse=True)
    people = at.multiselect[0]
    if not people.value:
        people.select(people.options[0])
    chosen = len(people.value)
    next(b for b in at.button if b.label == "Assign").click().run()
    assert not at.exception
    assert at.success[0].value == f"Assigned to {chosen} people."
    assert len(at.dataframe[-1].value) == before + chosen


def test_cache_never_serves_one_viewer_to_another(demo_database_url: str) -> None:
    """Two managers open the same page in the same process (one shared
    st.cache_data): each sees only their own reports."""
    maya = open_page(
        sign_in(AppTest.from_file(HOME, default_timeout=60), "maya"), "app_pages/skills_gap.py"
    )
    maya_people = _chart_people(maya)
    daniel = open_page(
        sign_in(AppTest.from_file(HOME, default_timeout=60), "daniel"), "app_pages/skills_gap.py"
    )
    daniel_people = _chart_people(daniel)
    assert maya_people
    assert daniel_people
    assert not maya_people & daniel_people
    # And back: Maya's rerun still gets her own team.
    maya.run()
    assert _chart_people(maya) == maya_people


def test_a_refused_learning_item_keeps_its_input(app: AppTest) -> None:
    at = open_page(sign_in(app, "hana"), "app_pages/learning.py")
    at.text_input(key="learning_new_title").input("Threat modelling basics")
    at.text_input(key="learning_new_url").input("javascript:alert(1)")
    next(b for b in at.button if b.label == "Add item").click().run()
    assert at.error, "a link that is not https must be refused"
    assert at.text_input(key="learning_new_title").value == "Threat modelling basics"

    at.text_input(key="learning_new_url").input("https://example.org/threats")
    next(b for b in at.button if b.label == "Add item").click().run()
    assert any("Threat modelling basics" in s.value for s in at.success)
    assert at.text_input(key="learning_new_title").value == ""


def test_the_status_choice_opens_on_the_assignments_own_status(app: AppTest) -> None:
    at = open_page(sign_in(app, "emma"), "app_pages/learning.py")
    shown_status = at.dataframe[0].value["status"].iloc[0]
    assert shown_status != "assigned", "the demo assignment has moved past the first option"
    assert at.radio[0].value == shown_status


def _person_id(demo_database_url: str, name: str) -> int:
    from sqlmodel import Session, select

    from db.engine import make_engine
    from db.models import Person

    with Session(make_engine(demo_database_url)) as session:
        person = session.exec(select(Person).where(Person.full_name == name)).one()
        assert person.id is not None
        return person.id


def test_rate_link_opens_on_the_person(app: AppTest, demo_database_url: str) -> None:
    """Home's "Rate …" to-dos link to skills_gap?person=<id>."""
    emma = _person_id(demo_database_url, "Emma Lindqvist")
    at = sign_in(app, "maya")
    at.query_params["person"] = str(emma)
    open_page(at, "app_pages/skills_gap.py")
    assert not at.error, [e.value for e in at.error]
    assert at.selectbox(key="skills_gap_rate_person").value == emma
    assert at.selectbox(key="skills_gap_rate_competency").options


@pytest.mark.parametrize("raw", ["abc", "999999"])
def test_a_wrong_person_link_says_so(app: AppTest, raw: str) -> None:
    at = sign_in(app, "maya")
    at.query_params["person"] = raw
    open_page(at, "app_pages/skills_gap.py")
    assert at.error, "a wrong link must be explained"
    assert at.selectbox(key="skills_gap_rate_person").value is None
