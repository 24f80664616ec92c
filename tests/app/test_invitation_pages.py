"""Invitations as HR sees them, and the link page a newcomer opens."""

import re
from urllib.parse import parse_qs, urlparse

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from core.auth import NO_PASSWORD
from core.people.invitations import REFUSED, create_invitations, get_invitation
from core.runtime import unit_of_work
from core.text import markdown_literal as _ui_md
from db.engine import make_engine
from db.models import Person, UserAccount
from tests.app.conftest import HOME, open_page, sign_in
from tests.factories import actor_for
from tests.smtp_server import free_port, local_smtp_server

LINK = re.compile(r"\S+\?invite=[\w-]+")


def _without_password(url: str, name: str) -> None:
    """Make one demo person an imported one (an account, no password)."""
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        person = session.exec(select(Person).where(Person.full_name == name)).one()
        account = session.exec(select(UserAccount).where(UserAccount.person_id == person.id)).one()
        account.password_hash = NO_PASSWORD
        session.add(account)
    engine.dispose()


def _uninvite(url: str, name: str) -> str:
    """Make one demo person an imported one (no password) and invite them."""
    _without_password(url, name)
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        person = session.exec(select(Person).where(Person.full_name == name)).one()
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


def _smtp_env(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    monkeypatch.setenv("STRIDE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("STRIDE_SMTP_PORT", str(port))
    monkeypatch.setenv("STRIDE_SMTP_SECURITY", "none")
    monkeypatch.setenv("STRIDE_SMTP_FROM", "Northwind HR <hr@northwind.example>")


def test_without_smtp_the_page_says_how_to_set_it_up(
    app: AppTest, demo_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STRIDE_SMTP_HOST", raising=False)
    _uninvite(demo_database_url, "Emma Lindqvist")
    at = open_page(sign_in(app, "hana"), "app_pages/invitations.py")
    assert not at.toggle
    assert any("STRIDE_SMTP_HOST" in c.value for c in at.caption)


def test_half_configured_smtp_is_explained(
    app: AppTest, demo_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRIDE_SMTP_HOST", "127.0.0.1")
    monkeypatch.delenv("STRIDE_SMTP_FROM", raising=False)
    _uninvite(demo_database_url, "Emma Lindqvist")
    at = open_page(sign_in(app, "hana"), "app_pages/invitations.py")
    assert not at.toggle
    assert any("address invitations come from" in w.value for w in at.warning)


def test_hr_emails_invitations_and_sends_again_what_did_not_go_out(
    app: AppTest, demo_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _without_password(demo_database_url, "Emma Lindqvist")
    _without_password(demo_database_url, "Maya Okafor")
    port = free_port()
    _smtp_env(monkeypatch, port)
    at = open_page(sign_in(app, "hana"), "app_pages/invitations.py")
    assert at.toggle(key="invitations_email").value is True

    # The mail server is down: nothing goes out, every link is kept.
    at.button(key="invitations_all_go").click().run()
    assert not at.exception
    assert any("0 invitations e-mailed, 2 not sent" in w.value for w in at.warning)
    not_sent = at.dataframe[1].value
    assert sorted(not_sent["name"]) == ["Emma Lindqvist", "Maya Okafor"]
    assert all("could not reach the mail server" in p for p in not_sent["problem"])
    assert at.get("download_button")

    # Back up: the same links go out on the second try.
    with local_smtp_server(port=port) as server:
        at.button(key="invitations_retry").click().run()
        assert not at.exception
        deliveries = server.wait_for(2)
    assert any(_ui_md("2 invitations e-mailed.") in s.value for s in at.success)
    assert not any("not sent" in w.value for w in at.warning)
    sent_links = sorted(LINK.findall(d.message.get_content())[0] for d in deliveries)
    assert len(set(sent_links)) == 2
    engine = make_engine(demo_database_url)
    with unit_of_work(engine) as session:
        invited = {
            get_invitation(session, token=parse_qs(urlparse(link).query)["invite"][0]).full_name
            for link in sent_links
        }
    engine.dispose()
    assert invited == {"Emma Lindqvist", "Maya Okafor"}


def test_with_passwords_off_the_link_points_to_single_sign_on(demo_database_url: str) -> None:
    token = _uninvite(demo_database_url, "Emma Lindqvist")
    at = AppTest.from_file(HOME, default_timeout=60)
    at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "c" * 48,
        "client_id": "stride",
        "client_secret": "client-secret",
        "server_metadata_url": "http://localhost:9400/.well-known/openid-configuration",
    }
    at.secrets["app"] = {"password_sign_in": False}
    at.query_params["invite"] = token
    at.run()
    assert not at.exception
    assert "Emma Lindqvist" in at.markdown[0].value
    assert any("single sign-on" in i.value for i in at.info)
    assert not at.text_input  # no password to choose
    at.button[0].click().run()
    assert not at.exception
    assert "invite" not in at.query_params
