"""The sign-in page with single sign-on configured (st.user faked by AppTest)."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from core.auth import end_sessions
from db.engine import make_engine
from db.models import AuditEvent, UserAccount, utcnow

EMMA = "emma.lindqvist@northwind.example"
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "c" * 48,
    "client_id": "stride",
    "client_secret": "client-secret",
    "server_metadata_url": "http://localhost:9400/.well-known/openid-configuration",
}


def with_sso(app: AppTest, **app_section: Any) -> AppTest:
    app.secrets["auth"] = dict(AUTH)
    if app_section:
        app.secrets["app"] = app_section
    return app


def identity(email: str, **values: object) -> dict[str, object]:
    return {
        "is_logged_in": True,
        "iss": "http://localhost:9400",
        "sub": email,
        "email": email,
        "email_verified": True,
        "iat": int(time.time()),
        **values,
    }


def _events(url: str, action: str) -> list[AuditEvent]:
    with Session(make_engine(url)) as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def _plain(text: str) -> str:
    """Message text without markdown_literal's escapes."""
    return text.replace("\\", "").replace("\u2060", "")


def _sso_button(at: AppTest) -> bool:
    return any(b.key == "stride_sso_login" for b in at.button)


def test_both_ways_in_are_offered(app: AppTest) -> None:
    at = with_sso(app)
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception, at.exception
    assert _sso_button(at)
    assert len(at.text_input) == 2  # the password form stays


def test_a_known_e_mail_opens_home(app: AppTest, demo_database_url: str) -> None:
    at = with_sso(app)
    at.user = identity(EMMA.upper())
    at.run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Hello, Emma"]
    assert at.session_state["stride_sign_in_method"] == "sso"
    assert len(at.text_input) == 0
    (signed_in,) = [e for e in _events(demo_database_url, "account.signed_in") if "sso" in e.detail]
    assert json.loads(signed_in.detail)["method"] == "sso"


def test_an_unknown_e_mail_is_refused_with_a_reason(app: AppTest, demo_database_url: str) -> None:
    at = with_sso(app)
    at.user = identity("stranger@outside.example")
    at.run()
    assert not at.exception, at.exception
    assert any("Nobody with this e-mail address" in e.value for e in at.error)
    assert not at.title  # no Home
    assert _sso_button(at)
    at.run()  # a rerun does not record it again
    (refused,) = _events(demo_database_url, "sso.refused")
    assert json.loads(refused.detail)["email"] == "stranger@outside.example"


def test_an_unverified_e_mail_is_refused(app: AppTest) -> None:
    at = with_sso(app)
    at.user = identity(EMMA, email_verified=False)
    at.run()
    assert any("not verified your e-mail" in e.value for e in at.error)
    assert not at.title


def test_signing_out_calls_st_logout_and_ends_the_session(
    app: AppTest, demo_database_url: str
) -> None:
    at = with_sso(app)
    at.user = identity(EMMA)
    at.run()
    assert [t.value for t in at.title] == ["Hello, Emma"]
    with Session(make_engine(demo_database_url)) as session:
        before = session.exec(
            select(UserAccount.sessions_valid_after).where(UserAccount.username == "emma")
        ).one()
    at.button(key="sidebar_logout").click().run()
    assert not at.exception, at.exception
    assert at.user == {"is_logged_in": False}  # st.logout() ran
    assert not at.title
    with Session(make_engine(demo_database_url)) as session:
        after = session.exec(
            select(UserAccount.sessions_valid_after).where(UserAccount.username == "emma")
        ).one()
    assert after > before


def test_a_session_signed_out_elsewhere_ends_on_the_next_run(
    app: AppTest, demo_database_url: str
) -> None:
    at = with_sso(app)
    at.user = identity(EMMA)
    at.run()
    assert [t.value for t in at.title] == ["Hello, Emma"]
    # Signed out in another browser (a second later than this token's second).
    with Session(make_engine(demo_database_url)) as session:
        end_sessions(session, username="emma", now=utcnow() + timedelta(seconds=2))
        session.commit()
    at.run()
    assert not at.title
    assert any("session has ended" in i.value for i in at.info)
    assert _sso_button(at)


def test_password_sign_in_can_be_switched_off(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = with_sso(app, password_sign_in=False)
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception, at.exception
    assert _sso_button(at)
    assert len(at.text_input) == 0
    monkeypatch.setenv("STRIDE_PASSWORD_SIGN_IN", "1")  # the environment wins
    at.run()
    assert len(at.text_input) == 2


def test_switching_passwords_off_without_sso_stops_the_app(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRIDE_PASSWORD_SIGN_IN", "0")
    at = app.run()
    assert any("nobody could sign in" in e.value for e in at.error)
    assert len(at.text_input) == 0


def test_a_half_configured_provider_stops_the_app(app: AppTest) -> None:
    app.secrets["auth"] = {k: v for k, v in AUTH.items() if k != "client_secret"}
    at = app.run()
    assert any(
        "half configured" in _plain(e.value) and "client_secret" in _plain(e.value)
        for e in at.error
    )
    assert len(at.text_input) == 0
