"""The Feedback page for each demo role: giving, asking, answering by link,
wrong links, the feeds and the Excel download."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from db.engine import make_engine
from db.models import Feedback, FeedbackRequest, Person, UserAccount
from tests.app.conftest import open_page, sign_in

PAGE = "app_pages/feedback.py"
HOSTILE = "![x](//h/i) =1+1 <b>bold</b>"


def _person_id(url: str, username: str) -> int:
    with Session(make_engine(url)) as session:
        return session.exec(
            select(UserAccount.person_id).where(UserAccount.username == username)
        ).one()


def _open_request_for(url: str, username: str) -> int:
    asked = _person_id(url, username)
    with Session(make_engine(url)) as session:
        request_id = session.exec(
            select(FeedbackRequest.id).where(
                FeedbackRequest.asked_id == asked, FeedbackRequest.status == "open"
            )
        ).first()
    assert request_id is not None
    return request_id


def _tab_labels(at: AppTest) -> list[str]:
    return [t.label for t in at.tabs]


@pytest.mark.parametrize("username", ["emma", "maya", "hana", "daniel"])
def test_every_role_opens_the_page(app: AppTest, username: str) -> None:
    at = open_page(sign_in(app, username), PAGE)
    assert [t.value for t in at.title] == ["Feedback"]
    labels = _tab_labels(at)
    assert labels[:2] == ["Give feedback", "Ask for feedback"]
    assert labels[2].startswith("Requests for me (")
    assert labels[3:6] == ["Received", "Given", "Organisation"]
    assert ("My reports" in labels) is (username in {"maya", "daniel"})
    assert not at.error, [e.value for e in at.error]


def test_an_employee_gives_feedback_with_odd_text_shown_as_typed(
    app: AppTest, demo_database_url: str
) -> None:
    at = open_page(sign_in(app, "emma"), PAGE)
    to = at.selectbox(key="feedback_give_to")
    maya = next(o for o in to.options if o == "Maya Okafor")
    to.select(maya).run()
    at.radio(key="feedback_give_visibility").set_value("public")
    at.text_area(key="feedback_give_text").input(HOSTILE)
    at.button(key="feedback_give_send").click().run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert any("Feedback sent" in s.value for s in at.success)
    given = next(frame.value for frame in at.dataframe if "to" in frame.value.columns)
    assert HOSTILE in list(given["feedback"])
    # Nothing the user typed reaches Markdown unescaped.
    assert not any("![x](" in m.value for m in at.markdown)
    with Session(make_engine(demo_database_url)) as session:
        stored = session.exec(select(Feedback).where(Feedback.text == HOSTILE)).one()
        assert stored.visibility == "public"


def test_too_long_feedback_is_refused_and_the_text_kept(app: AppTest) -> None:
    at = open_page(sign_in(app, "emma"), PAGE)
    to = at.selectbox(key="feedback_give_to")
    to.select(to.options[0]).run()
    at.text_area(key="feedback_give_text").input("x" * 100_000)
    at.button(key="feedback_give_send").click().run()
    assert not at.exception
    assert any("100,000 characters" in e.value for e in at.error), [e.value for e in at.error]
    assert len(at.text_area(key="feedback_give_text").value) == 100_000


def test_a_link_opens_my_request_and_i_answer_it(app: AppTest, demo_database_url: str) -> None:
    request_id = _open_request_for(demo_database_url, "emma")
    at = sign_in(app, "emma")
    at.query_params["request"] = str(request_id)
    open_page(at, PAGE)
    assert at.selectbox(key="feedback_answer_pick").value == request_id
    at.text_area(key=f"feedback_answer_text_{request_id}").input("Calm and thorough.")
    at.button(key="feedback_answer_send").click().run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    with Session(make_engine(demo_database_url)) as session:
        request = session.get(FeedbackRequest, request_id)
        assert request is not None
        assert request.status == "answered"
    assert "request" not in at.query_params  # the link has done its job
    # The same link again says it is done, instead of showing a form.
    at.query_params["request"] = str(request_id)
    at.run()
    assert any("already answered" in e.value for e in at.error), [e.value for e in at.error]


@pytest.mark.parametrize(
    ("value", "message"),
    [("999999", "no such feedback request"), ("abc", "not a valid request number")],
)
def test_a_wrong_request_link_says_so(app: AppTest, value: str, message: str) -> None:
    at = sign_in(app, "emma")
    at.query_params["request"] = value
    open_page(at, PAGE)
    assert any(message in e.value for e in at.error), [e.value for e in at.error]


def test_someone_elses_request_link_is_refused(app: AppTest, demo_database_url: str) -> None:
    maya_request = _open_request_for(demo_database_url, "maya")
    at = sign_in(app, "emma")
    at.query_params["request"] = str(maya_request)
    open_page(at, PAGE)
    assert any("sent to someone else" in e.value for e in at.error), [e.value for e in at.error]
    assert [t.value for t in at.title] == ["Feedback"]


def test_a_manager_asks_about_a_report(app: AppTest, demo_database_url: str) -> None:
    at = open_page(sign_in(app, "maya"), PAGE)
    about = at.selectbox(key="feedback_ask_about")
    assert about.options[0] == "Maya Okafor (me)"
    assert "Emma Lindqvist" in about.options
    emma = _person_id(demo_database_url, "emma")
    about.select(emma).run()
    ask = at.multiselect(key="feedback_ask_people")
    assert "Emma Lindqvist" not in ask.options
    ask.select(ask.options[0]).run()
    at.text_area(key="feedback_ask_question").input("How did Emma's on-call week go?")
    at.button(key="feedback_ask_send").click().run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    with Session(make_engine(demo_database_url)) as session:
        made = session.exec(
            select(FeedbackRequest).where(
                FeedbackRequest.question == "How did Emma's on-call week go?"
            )
        ).one()
        assert made.subject_id == emma


def test_an_employee_cannot_ask_about_anyone_else(app: AppTest) -> None:
    at = open_page(sign_in(app, "emma"), PAGE)
    assert at.selectbox(key="feedback_ask_about").options == ["Emma Lindqvist (me)"]


@pytest.mark.parametrize("username", ["hana", "daniel", "maya"])
def test_nobody_but_giver_and_receiver_sees_private_feedback(
    app: AppTest, demo_database_url: str, username: str
) -> None:
    emma, giver = _person_id(demo_database_url, "emma"), _person_id(demo_database_url, "ingrid")
    secret = "Private note for Emma only, 7f3a"
    with Session(make_engine(demo_database_url)) as session:
        session.add(Feedback(giver_id=giver, receiver_id=emma, text=secret, visibility="private"))
        session.commit()
    at = open_page(sign_in(app, username), PAGE)
    shown = {str(v) for frame in at.dataframe for v in frame.value.to_numpy().ravel()}
    assert secret not in shown
    assert not any(secret in m.value for m in at.markdown)


def test_received_feedback_downloads_as_excel(app: AppTest) -> None:
    at = open_page(sign_in(app, "emma"), PAGE)
    received = next(frame.value for frame in at.dataframe if "from" in frame.value.columns)
    assert "Maya Okafor" in set(received["from"])
    assert [b.proto.label for b in at.get("download_button")] == ["Download Excel"]


def test_the_organisation_feed_shows_only_public_feedback(
    app: AppTest, demo_database_url: str
) -> None:
    with Session(make_engine(demo_database_url)) as session:
        public = set(session.exec(select(Feedback.text).where(Feedback.visibility == "public")))
        names = set(session.exec(select(Person.full_name)))
    at = open_page(sign_in(app, "emma"), PAGE)
    feed = next(
        frame.value
        for frame in at.dataframe
        if "to" in frame.value.columns and "from" in frame.value.columns
    )
    assert set(feed["feedback"]) <= public
    assert set(feed["from"]) <= names


def test_home_lists_the_request_waiting_for_me(app: AppTest, demo_database_url: str) -> None:
    request_id = _open_request_for(demo_database_url, "emma")
    at = sign_in(app, "emma")
    links = [
        link.proto
        for link in at.get("page_link")
        if link.proto.page.endswith("feedback") and "Give feedback to" in link.proto.label
    ]
    assert len(links) == 1
    assert f"request={request_id}" in links[0].query_string


def test_a_manager_reads_what_reports_share_with_managers_only(
    app: AppTest, demo_database_url: str
) -> None:
    emma = _person_id(demo_database_url, "emma")
    with Session(make_engine(demo_database_url)) as session:
        shared = set(
            session.exec(
                select(Feedback.text).where(
                    Feedback.receiver_id == emma, Feedback.visibility != "private"
                )
            )
        )
        private = set(
            session.exec(
                select(Feedback.text).where(
                    Feedback.receiver_id == emma, Feedback.visibility == "private"
                )
            )
        )
    at = open_page(sign_in(app, "maya"), PAGE)
    at.selectbox(key="feedback_report_pick").select(emma).run()
    assert not at.exception
    frame = at.dataframe[-1].value
    assert set(frame["feedback"]) == shared
    # The demo's named stories: a peer's private note, Maya's own coaching.
    assert any(t.startswith("The hand-over notes") for t in private)
    assert not any(t.startswith("The hand-over notes") for t in frame["feedback"])
    assert any(t.startswith("Try writing the design note") for t in frame["feedback"])
