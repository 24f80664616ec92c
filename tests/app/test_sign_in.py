"""The sign-in form against the UserAccount table."""

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from core.auth import MAX_FAILED_LOGINS
from db.engine import make_engine
from db.models import UserAccount
from tests.app.conftest import sign_in


def _attempt(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click().run()
    assert not at.exception
    return at


def _account(url: str, username: str) -> UserAccount:
    with Session(make_engine(url)) as session:
        return session.exec(select(UserAccount).where(UserAccount.username == username)).one()


def test_wrong_password_is_counted_and_explained(app: AppTest, demo_database_url: str) -> None:
    at = _attempt(app.run(), "emma", "wrong password")
    assert at.session_state["authentication_status"] is False
    assert any("incorrect" in e.value for e in at.error)
    assert _account(demo_database_url, "emma").failed_logins == 1


def test_unknown_user_gets_the_same_message(app: AppTest) -> None:
    at = _attempt(app.run(), "nobody-here", "whatever it is")
    assert at.session_state["authentication_status"] is False
    assert any("incorrect" in e.value for e in at.error)


def test_locked_account_refuses_even_the_right_password(
    app: AppTest, demo_database_url: str
) -> None:
    at = app.run()
    for _ in range(MAX_FAILED_LOGINS):
        at = _attempt(at, "emma", "wrong password")
    assert _account(demo_database_url, "emma").locked_until is not None
    at = _attempt(at, "emma", "stride-demo")
    assert at.session_state["authentication_status"] is False


def test_sign_out_ends_the_session(app: AppTest, demo_database_url: str) -> None:
    at = sign_in(app, "maya")
    at.button(key="sidebar_logout").click().run()
    assert not at.exception
    assert at.session_state["authentication_status"] is None
    assert len(at.text_input) == 2  # the sign-in form again
    assert any("signed out" in i.value for i in at.info)


@pytest.mark.parametrize("key", ["too-short", "some_signature_key"])
def test_weak_cookie_keys_stop_the_app(
    app: AppTest, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    monkeypatch.setenv("STRIDE_COOKIE_KEY", key)
    at = app.run()
    assert any("cannot start" in e.value for e in at.error)
    assert len(at.text_input) == 0
