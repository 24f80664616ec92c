"""The 360 pages for each role, and the no-sign-in page an external link opens.

Demo reviews (seed/demo_reviews.py): #1 peers shown, lone external hidden;
#2 two peers only (hidden); #3 open, Emma to answer as a peer; #4 Maya's own.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from core.reviews import commands as rc
from core.runtime import unit_of_work
from core.text import markdown_literal
from db.engine import make_engine
from db.models import Person, Review, UserAccount
from tests.app.conftest import HOME, open_page, sign_in
from tests.factories import actor_for
from tests.smtp_server import local_smtp_server

PAGE = "app_pages/reviews.py"
HIDDEN = "—"


def _open_review(at: AppTest, review_id: int) -> AppTest:
    at.query_params["review"] = str(review_id)
    return open_page(at, PAGE)


def _texts(at: AppTest) -> str:
    parts = [e.value for e in (*at.markdown, *at.caption, *at.info, *at.header, *at.subheader)]
    return "\n".join(parts)


def test_an_employee_answers_a_review_as_a_peer(app: AppTest) -> None:
    at = open_page(sign_in(app, "emma"), PAGE)
    assert [t.value for t in at.title] == ["360 reviews"]
    assert "To answer" in [s.value for s in at.subheader]
    at = _open_review(at, 3)
    assert "Your answers" in [s.value for s in at.subheader]
    assert "Launch" not in [t.label for t in at.tabs]
    at.text_area(key="reviews_answer_3_comment_strengths").input("Great at pairing.")
    radios = [r for r in at.radio if r.key and r.key.startswith("reviews_answer_3_rating_")]
    radios[0].set_value(2)
    at.button(key="FormSubmitter:reviews_answer_3_form-Send answers").click().run()
    assert not at.exception
    assert any("Answers sent" in s.value for s in at.success)
    assert "Your answers" not in [s.value for s in at.subheader]


def test_a_manager_sees_a_report_with_the_peer_group_hidden(app: AppTest) -> None:
    at = _open_review(sign_in(app, "maya"), 2)
    assert "Report" in [s.value for s in at.subheader]
    assert any("Peers" in i.value and "left out" in i.value.lower() for i in at.info)
    table = next(t.value for t in at.table if "peers" in t.value.columns)
    assert (table["peers"] == HIDDEN).all()
    assert (table["all others"] == table["manager"]).all()
    assert at.get("download_button")
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")


def test_a_manager_sees_the_peer_group_when_three_answered(app: AppTest) -> None:
    at = _open_review(sign_in(app, "maya"), 1)
    table = next(t.value for t in at.table if "peers" in t.value.columns)
    assert (table["peers"] != HIDDEN).all()
    assert (table["externals"] == HIDDEN).all()


def test_a_manager_launches_and_approves(app: AppTest, demo_database_url: str) -> None:
    at = open_page(sign_in(app, "maya"), PAGE)
    at.selectbox(key="reviews_launch_person").select_index(0)
    at.button(key="reviews_launch_go").click().run()
    assert not at.exception
    engine = make_engine(demo_database_url)
    with unit_of_work(engine) as session:
        review = session.exec(select(Review).order_by(Review.id.desc())).first()  # type: ignore[union-attr]
        assert review is not None
        assert review.status == "draft"
        new_id = review.id
    engine.dispose()
    at = _open_review(at, new_id)
    at.button(key=f"reviews_approve_{new_id}").click().run()
    assert not at.exception
    assert any("open for answers" in s.value for s in at.success)
    # The relabelled choice ("draft" became "collecting") keeps this review open.
    assert at.selectbox(key="reviews_pick").value == new_id
    assert f"reviews_approve_{new_id}" not in [b.key for b in at.button]


def test_the_subject_reads_their_report_and_hr_reads_participation(app: AppTest) -> None:
    at = _open_review(sign_in(app, "maya"), 4)
    assert "Report" in [s.value for s in at.subheader]
    hr = open_page(sign_in(AppTest.from_file(HOME, default_timeout=60), "hana"), PAGE)
    assert "Participation" in [t.label for t in hr.tabs]
    participation = next(d.value for d in hr.dataframe if "response rate" in d.value.columns)
    assert {"comment", "rating"}.isdisjoint(participation.columns)
    hr = _open_review(hr, 2)
    assert "Report" not in [s.value for s in hr.subheader]
    assert not hr.error


def test_an_external_answers_through_the_link_once(demo_database_url: str) -> None:
    engine = make_engine(demo_database_url)
    with unit_of_work(engine) as session:
        maya = session.exec(
            select(Person).join(UserAccount).where(UserAccount.username == "maya")
        ).one()
        manager = actor_for(session, maya)
        rc.add_rater(
            session,
            actor=manager,
            review_id=3,
            group="external",
            external_name="Cleo Customer",
            external_email="cleo@client.example",
        )
        [link] = rc.create_external_links(session, actor=manager, review_id=3, base_url="http://x")
    engine.dispose()
    token = parse_qs(urlparse(link.link).query)["review_token"][0]
    at = AppTest.from_file(HOME, default_timeout=60)
    at.query_params["review_token"] = token
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Your feedback"]
    assert "You are asked for feedback on" in at.markdown[0].value
    # Nothing of the app beyond the form: no navigation, no other people.
    assert "Maya" not in _texts(at)
    at.text_area(key="review_answer_comment_strengths").input("Quick and clear.")
    at.button(key="FormSubmitter:review_answer_form-Send answers").click().run()
    assert not at.exception
    assert any("Thank you" in s.value for s in at.success)
    again = AppTest.from_file(HOME, default_timeout=60)
    again.query_params["review_token"] = token
    again.run()
    assert [e.value for e in again.error] == [markdown_literal(rc.REFUSED)]


def test_a_forged_review_link_gets_the_neutral_message(demo_database_url: str) -> None:
    at = AppTest.from_file(HOME, default_timeout=60)
    at.query_params["review_token"] = "forged"
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [markdown_literal(rc.REFUSED)]


def _draft_for(url: str, username: str, launcher: str = "maya") -> int:
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        maya = session.exec(
            select(Person).join(UserAccount).where(UserAccount.username == launcher)
        ).one()
        subject = session.exec(
            select(Person).join(UserAccount).where(UserAccount.username == username)
        ).one()
        from datetime import date, timedelta

        review_id = rc.launch_review(
            session,
            actor=actor_for(session, maya),
            subject_id=subject.id,
            due_on=date.today() + timedelta(days=20),
        )
    engine.dispose()
    return review_id


def test_the_subject_adds_and_removes_raters_before_approval(
    app: AppTest, demo_database_url: str
) -> None:
    review_id = _draft_for(demo_database_url, "tereza.quinn")
    at = _open_review(sign_in(app, "tereza.quinn"), review_id)
    raters = next(d.value for d in at.dataframe if "group" in d.value.columns)
    assert "Maya Okafor" in set(raters["name"])
    assert f"reviews_approve_{review_id}" not in [b.key for b in at.button]
    person = at.selectbox(key=f"reviews_add_person_{review_id}")
    person.select_index(person.options.index("Hana Ibrahim")).run()
    at.button(key=f"reviews_add_{review_id}").click().run()
    assert not at.exception
    assert any("Rater added" in s.value for s in at.success)
    raters = next(d.value for d in at.dataframe if "group" in d.value.columns)
    assert "Hana Ibrahim" in set(raters["name"])
    removable = at.selectbox(key=f"reviews_remove_pick_{review_id}")
    removable.select_index(0).run()
    at.button(key=f"reviews_remove_{review_id}").click().run()
    assert not at.exception
    assert any("Rater removed" in s.value for s in at.success)


def test_hr_raises_the_threshold_of_a_draft(app: AppTest, demo_database_url: str) -> None:
    review_id = _draft_for(demo_database_url, "tereza.quinn")
    at = _open_review(sign_in(app, "hana"), review_id)
    at.number_input(key=f"reviews_threshold_{review_id}").set_value(5)
    at.button(key=f"reviews_threshold_set_{review_id}").click().run()
    assert not at.exception
    assert any("Threshold set" in s.value for s in at.success)
    assert any("anonymity threshold 5" in c.value for c in at.caption)


def test_a_manager_e_mails_reminders_and_external_links(
    app: AppTest, demo_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(demo_database_url)
    with unit_of_work(engine) as session:
        maya = session.exec(
            select(Person).join(UserAccount).where(UserAccount.username == "maya")
        ).one()
        rc.add_rater(
            session,
            actor=actor_for(session, maya),
            review_id=3,
            group="external",
            external_name="Cleo Customer",
            external_email="cleo@client.example",
        )
    engine.dispose()
    with local_smtp_server() as server:
        monkeypatch.setenv("STRIDE_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("STRIDE_SMTP_PORT", str(server.port))
        monkeypatch.setenv("STRIDE_SMTP_SECURITY", "none")
        monkeypatch.setenv("STRIDE_SMTP_FROM", "Northwind HR <hr@northwind.example>")
        at = _open_review(sign_in(app, "maya"), 3)
        at.button(key="reviews_remind_3").click().run()
        assert not at.exception
        assert any(s.value == "Reminders sent." for s in at.success)
        reminded = {r for d in server.wait_for(4) for r in d.recipients}  # the four peers
        assert "emma.lindqvist@northwind.example" in reminded
        count = len(server.deliveries)
        at.button(key="reviews_links_3").click().run()
        assert not at.exception
        [mailed] = server.wait_for(count + 1)[count:]
        assert mailed.recipients == ["cleo@client.example"]
        assert "review_token=" in mailed.message.get_content()
        shown = next(d.value for d in at.dataframe if "link" in d.value.columns)
        assert list(shown["e-mail"]) == ["sent"]


def test_a_draft_warns_of_groups_too_small_to_be_shown(
    app: AppTest, demo_database_url: str
) -> None:
    # Maya's peers are Daniel's three other leads.
    review_id = _draft_for(demo_database_url, "maya", launcher="daniel")
    at = _open_review(sign_in(app, "maya"), review_id)
    assert not at.warning
    removable = at.selectbox(key=f"reviews_remove_pick_{review_id}")
    peer = next(o for o in removable.options if o.endswith("(Peers)"))
    removable.select_index(removable.options.index(peer)).run()
    at.button(key=f"reviews_remove_{review_id}").click().run()
    assert any("would never be shown" in w.value for w in at.warning)
