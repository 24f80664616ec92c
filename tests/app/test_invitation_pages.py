"""Invitations as HR sees them, and the link page a newcomer opens."""

from urllib.parse import parse_qs, urlparse

from sqlmodel import select
from streamlit.testing.v1 import AppTest

from core.auth import NO_PASSWORD
from core.people.invitations import REFUSED, create_invitations
from core.runtime import unit_of_work
from core.text import markdown_literal as _ui_md
from db.engine import make_engine
from db.models import Person, UserAccount
from tests.app.conftest import HOME, open_page, sign_in
from tests.factories import actor_for


def _uninvite(url: str, name: str) -> str:
    """Make one demo person an imported one (no password) and invite them."""
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        person = session.exec(select(Person).where(Person.full_name == name)).one()
        account = session.exec(select(UserAccount).where(UserAccount.person_id == person.id)).one()
        account.password_hash = NO_PASSWORD
        session.add(account)
        hana = session.exec(
            select(Person).join(UserAccount).where(UserAccount.username == "hana")
        ).one()
        [link] = create_invitations(
            session, actor=actor_for(session, hana), person_ids=[person.id], base_url="x"
        )
    engine.dispose()
    return parse_qs(urlparse(link.link).query)["invite"][0]


def test_hr_sees_who_waits_for_an_invitation(app: AppTest, demo_database_url: str) -> None:
    _uninvite(demo_database_url, "Emma Lindqvist")
    at = open_page(sign_in(app, "hana"), "app_pages/invitations.py")
    assert [t.value for t in at.title] == ["Invitations"]
    assert list(at.dataframe[0].value["name"]) == ["Emma Lindqvist"]


def test_a_newcomer_sets_a_password_from_the_link_and_signs_in(demo_database_url: str) -> None:
    token = _uninvite(demo_database_url, "Emma Lindqvist")
    at = AppTest.from_file(HOME, default_timeout=60)
    at.query_params["invite"] = token
    at.run()
    assert not at.exception
    assert "Emma Lindqvist" in at.markdown[0].value
    at.text_input(key="accept_invitation_password").input("my own long password")
    at.text_input(key="accept_invitation_again").input("my own long password")
    at.button[0].click().run()
    assert not at.exception
    assert any("Sign in as emma" in i.value for i in at.info)
    at.text_input[0].input("emma")
    at.text_input[1].input("my own long password")
    at.button[0].click().run()
    assert at.session_state["authentication_status"] is True


def test_a_forged_link_gets_one_neutral_message(demo_database_url: str) -> None:
    at = AppTest.from_file(HOME, default_timeout=60)
    at.query_params["invite"] = "forged"
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [_ui_md(REFUSED)]
    assert not at.text_input
