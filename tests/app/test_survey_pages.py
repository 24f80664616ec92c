"""The surveys pages for each role: HR's rollout surveys with anonymised
results, and a person's own surveys to answer (demo data: seed/demo_surveys.py)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, col, select
from streamlit.testing.v1 import AppTest

from core.access import navigation
from db.engine import make_engine
from db.models import Survey, SurveyInvitation, SurveyResponse
from tests.app.conftest import HOME, open_page, sign_in


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += (
        [e.value for e in at.error] + [i.value for i in at.info] + [s.value for s in at.success]
    )
    return "\n".join(str(p) for p in parts)


def _open_pulse(url: str) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        survey_id = session.exec(
            select(Survey.id).where(Survey.status == "open", Survey.kind == "pulse")
        ).one()
    engine.dispose()
    assert survey_id is not None
    return survey_id


def _responses(url: str, survey_id: int) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        count = len(
            session.exec(
                select(SurveyResponse.response_id).where(SurveyResponse.survey_id == survey_id)
            ).all()
        )
    engine.dispose()
    return count


def test_an_employee_answers_the_open_pulse_from_the_link(
    app: AppTest, demo_database_url: str
) -> None:
    survey_id = _open_pulse(demo_database_url)
    before = _responses(demo_database_url, survey_id)
    at = sign_in(app, "emma")
    at.query_params["survey"] = str(survey_id)
    open_page(at, "app_pages/my_surveys.py")
    assert at.selectbox(key="my_surveys_pick").value == survey_id
    radios = list(at.radio)
    assert len(radios) == 3  # two ratings and the cadence
    radios[0].set_value(4)
    radios[1].set_value("About right")
    at.text_area[0].input("=1+1 ![x](//h/i)")
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert "sent anonymously" in _texts(at)
    assert _responses(demo_database_url, survey_id) == before + 1
    # Answered: the form is gone, a thank-you instead, and no second answer.
    assert not at.radio
    assert "You have answered this survey" in _texts(at)


def test_a_wrong_or_foreign_survey_id_gets_a_clear_message(app: AppTest) -> None:
    at = sign_in(app, "emma")
    at.query_params["survey"] = "1"  # the managers' prioritisation survey: closed, not hers
    open_page(at, "app_pages/my_surveys.py")
    assert "not one you were asked to answer" in _texts(at) or "closed" in _texts(at)
    at.query_params["survey"] = "abc"
    at.run()
    assert "not a valid survey number" in _texts(at)


def test_a_person_not_invited_sees_an_empty_state(app: AppTest) -> None:
    at = open_page(sign_in(app, "hana"), "app_pages/my_surveys.py")
    assert "no survey for you to answer" in _texts(at)
    assert not at.selectbox


def test_a_manager_reads_no_results_and_has_no_hr_page(app: AppTest) -> None:
    at = open_page(sign_in(app, "maya"), "app_pages/my_surveys.py")
    assert at.selectbox(key="my_surveys_pick").value is not None
    actor = at.session_state["stride_actor"]
    pages = {page for section in navigation(actor).values() for page in section}
    assert "my_surveys" in pages
    assert "surveys" not in pages


def test_hr_reads_results_by_unit_with_hidden_units(app: AppTest) -> None:
    at = open_page(sign_in(app, "hana"), "app_pages/surveys.py")
    assert not at.exception, at.exception
    text = _texts(at)
    assert "Response rate" in next(s.value for s in at.subheader)
    assert at.get("vega_lite_chart"), "a chart by unit"
    tables = [frame.value for frame in at.dataframe]
    hidden = [row for t in tables if "Answers" in t for row in t["Answers"] if "hidden" in str(row)]
    assert hidden, "IT Support and the directors are hidden"
    assert "Over rounds" in [s.value for s in at.subheader]
    assert "threshold 3" in text
    assert any(b.label == "Download results (Excel)" for b in at.get("download_button"))


def test_hr_drafts_opens_and_closes_a_survey(app: AppTest, demo_database_url: str) -> None:
    at = open_page(sign_in(app, "hana"), "app_pages/surveys.py")
    at.button(key="FormSubmitter:survey_new-Create draft from the template").click().run()
    assert not at.exception, at.exception
    assert "Draft created" in _texts(at)
    new_id = int(str(at.query_params["survey"]))
    assert at.selectbox(key="surveys_pick").value == new_id
    at.text_input[0].input("Pulse =cmd")
    at.button(key=f"FormSubmitter:survey_edit_{new_id}-Save draft").click().run()
    assert "Draft saved" in _texts(at)
    next(b for b in at.button if b.label.startswith("Open the survey")).click().run()
    assert "people invited" in _texts(at)
    engine = make_engine(demo_database_url)
    with Session(engine) as session:
        invited = session.exec(
            select(SurveyInvitation.id).where(col(SurveyInvitation.survey_id) == new_id)
        ).all()
        survey = session.get(Survey, new_id)
        assert survey is not None
        assert survey.title == "Pulse =cmd"
    engine.dispose()
    assert len(invited) > 50  # the whole organisation
    next(b for b in at.button if b.label == "Close the survey").click().run()
    assert "The survey is closed" in _texts(at)


def test_a_pulse_past_its_closing_day_is_over_for_people_and_a_to_do_for_hr(
    app: AppTest, demo_database_url: str
) -> None:
    survey_id = _open_pulse(demo_database_url)
    engine = make_engine(demo_database_url)
    with Session(engine) as session:
        survey = session.get(Survey, survey_id)
        assert survey is not None
        survey.closes_on = date.today() - timedelta(days=1)
        session.add(survey)
        session.commit()
    engine.dispose()
    at = sign_in(app, "emma")
    at.query_params["survey"] = str(survey_id)
    open_page(at, "app_pages/my_surveys.py")
    assert not at.exception, at.exception
    assert not at.radio  # no form to answer
    assert "Send my answers" not in [b.label for b in at.button]

    hr = sign_in(AppTest.from_file(HOME, default_timeout=60), "hana")
    assert "It stopped taking answers after" in _texts(hr)
    hr.query_params["survey"] = str(survey_id)
    open_page(hr, "app_pages/surveys.py")
    assert not hr.exception, hr.exception
    assert any("stopped taking answers" in str(w.value) for w in hr.warning)
