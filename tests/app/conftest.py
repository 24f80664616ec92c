"""AppTest fixtures: each test gets its own copy of a seeded demo database.

def test_x(app: AppTest) -> None:
    at = sign_in(app, "maya")
    at.switch_page("app_pages/people.py").run()
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from db.engine import make_engine
from db.migrate import upgrade_to_head
from seed.demo import DEMO_PASSWORD, seed_demo_if_empty

ROOT = Path(__file__).resolve().parents[2]
HOME = str(ROOT / "Home.py")


@pytest.fixture(scope="session")
def demo_database_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "demo.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    seed_demo_if_empty(engine)
    # Outside any transaction: every transaction on SQLite holds the write
    # lock, and a checkpoint cannot run inside one.
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.close()
    finally:
        raw.close()
    engine.dispose()
    return path


@pytest.fixture
def demo_database_url(
    demo_database_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """A private copy of the demo database, wired into the app's environment."""
    database = tmp_path / "stride.db"
    shutil.copyfile(demo_database_template, database)
    url = f"sqlite:///{database}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("STRIDE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("STRIDE_SEED_DEMO", "1")
    monkeypatch.delenv("STRIDE_COOKIE_KEY", raising=False)
    return url


@pytest.fixture
def app(demo_database_url: str) -> AppTest:
    return AppTest.from_file(HOME, default_timeout=60)


def sign_in(at: AppTest, username: str, password: str = DEMO_PASSWORD) -> AppTest:
    """Sign in through the real login form and return the app on its Home page."""
    at.run()
    assert not at.exception, at.exception
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert at.session_state["authentication_status"] is True, [e.value for e in at.error]
    return at


def open_page(at: AppTest, page: str) -> AppTest:
    """Switch to a page file (e.g. "app_pages/people.py") and render it."""
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at
