"""Sign-in pauses as people meet them, HR lifting one, and a busy database."""

from __future__ import annotations

import sqlite3

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from core.auth import MAX_FAILED_LOGINS
from core.errors import BUSY_MESSAGE
from core.text import markdown_literal
from db import engine as db_engine
from db.engine import make_engine
from db.models import ProgressUpdate, UserAccount
from seed.demo import DEMO_PASSWORD
from tests.app.conftest import HOME, open_page, sign_in


def _attempt(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def _fail_repeatedly(username: str, times: int) -> AppTest:
    """Someone else, in another browser, typing wrong passwords."""
    stranger = AppTest.from_file(HOME, default_timeout=60).run()
    for _ in range(times):
        stranger = _attempt(stranger, username, "a wrong guess")
        assert stranger.session_state["authentication_status"] is False
    return stranger


def _account(url: str, username: str) -> UserAccount:
    with Session(make_engine(url)) as session:
        return session.exec(select(UserAccount).where(UserAccount.username == username)).one()


def test_failures_by_someone_else_leave_an_open_session_alone(
    app: AppTest, demo_database_url: str
) -> None:
    emma = open_page(sign_in(app, "emma"), "app_pages/my_goals.py")
    stranger = _fail_repeatedly("emma", MAX_FAILED_LOGINS + 1)
    assert _account(demo_database_url, "emma").locked_until is not None
    # New sign-ins are refused, the right password included, with the same words.
    stranger = _attempt(stranger, "emma", DEMO_PASSWORD)
    assert stranger.session_state["authentication_status"] is False
    assert any("incorrect" in e.value for e in stranger.error)
    # Emma, already signed in, carries on.
    emma.run()
    assert not emma.exception, emma.exception
    assert emma.session_state["authentication_status"] is True
    assert emma.title[0].value == "My goals"
    assert not any("session has ended" in i.value for i in emma.info)


def test_hr_sees_the_pause_and_lifts_it(app: AppTest, demo_database_url: str) -> None:
    _fail_repeatedly("emma", MAX_FAILED_LOGINS)
    at = open_page(sign_in(app, "hana"), "app_pages/admin.py")
    emma_id = _account(demo_database_url, "emma").person_id
    picker = at.selectbox(key="admin_account_person")
    assert "locked" in picker.format_func(emma_id)
    picker.select(emma_id).run()
    at.button(key="admin_unlock").click().run()
    assert not at.exception, at.exception
    assert any("unlocked" in s.value for s in at.success)
    assert _account(demo_database_url, "emma").locked_until is None
    again = _attempt(AppTest.from_file(HOME, default_timeout=60).run(), "emma", DEMO_PASSWORD)
    assert again.session_state["authentication_status"] is True


def test_a_busy_database_keeps_the_progress_form(
    app: AppTest, demo_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A short busy timeout, so that the lock held below fails the save fast.
    monkeypatch.setattr(db_engine, "SQLITE_BUSY_TIMEOUT_MS", 300)
    at = open_page(sign_in(app, "emma"), "app_pages/my_goals.py")
    # Every goal card unfolded (a card draws its forms only while open): the
    # session state's keys do not come in the cards' order, and a closed
    # goal's card has no progress form.
    for card in [k for k in at.session_state.to_dict() if str(k).endswith("_details")]:
        at.session_state[card] = True
    at.run()
    note = next(t for t in at.text_input if str(t.key).endswith("_update_note"))
    note_key = str(note.key)
    save = next(b for b in at.button if b.label == "Save update" and b.form_id == note.form_id)
    note.input("Runbook drafted")
    holder = sqlite3.connect(demo_database_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer that does not let go
    try:
        save.click().run()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not at.exception, at.exception
    assert markdown_literal(BUSY_MESSAGE) in [e.value for e in at.error]
    assert at.text_input(key=note_key).value == "Runbook drafted"
    with Session(make_engine(demo_database_url)) as session:
        assert not session.exec(
            select(ProgressUpdate).where(ProgressUpdate.note == "Runbook drafted")
        ).all()
    # Once the database is free, the same press saves what was typed.
    next(
        b for b in at.button if b.label == "Save update" and b.form_id == note.form_id
    ).click().run()
    assert not at.exception, at.exception
    assert BUSY_MESSAGE not in [e.value for e in at.error]
    with Session(make_engine(demo_database_url)) as session:
        assert session.exec(
            select(ProgressUpdate).where(ProgressUpdate.note == "Runbook drafted")
        ).all()
