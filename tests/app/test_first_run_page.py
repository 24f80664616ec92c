"""The set-up page of an empty database without the demo."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import HOME


@pytest.fixture
def empty_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.setenv("STRIDE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("STRIDE_SEED_DEMO", "0")
    monkeypatch.delenv("STRIDE_COOKIE_KEY", raising=False)
    return AppTest.from_file(HOME, default_timeout=60)


def _fill(at: AppTest, **values: str) -> None:
    for key, value in values.items():
        at.text_input(key=f"setup_{key}").input(value)


def test_an_empty_database_opens_on_set_up_then_signs_in(empty_app: AppTest) -> None:
    at = empty_app
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Set up Stride"]
    _fill(
        at,
        organisation="Example Ltd",
        full_name="Ana Silva",
        username="ana",
        email="ana@example.org",
        password="a long enough pass",
    )
    at.button[0].click().run()
    assert not at.exception
    assert "Set up Stride" not in [t.value for t in at.title]
    assert any("Stride is set up" in i.value for i in at.info)

    at.text_input[0].input("ana")
    at.text_input[1].input("a long enough pass")
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["authentication_status"] is True


def test_a_short_password_is_refused_and_the_form_kept(empty_app: AppTest) -> None:
    at = empty_app
    at.run()
    _fill(
        at,
        organisation="Example Ltd",
        full_name="Ana Silva",
        username="ana",
        email="ana@example.org",
        password="too short",
    )
    at.button[0].click().run()
    assert any("12 characters" in e.value for e in at.error)
    assert at.text_input(key="setup_organisation").value == "Example Ltd"
    assert [t.value for t in at.title] == ["Set up Stride"]
