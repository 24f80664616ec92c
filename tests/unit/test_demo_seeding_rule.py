"""When an empty database gets the demo organisation (pure)."""

import pytest

from core.runtime import demo_seeding_wanted
from db.engine import DEFAULT_SQLITE_URL

PRODUCTION = "postgresql+psycopg://stride:secret@db.example.com:5432/stride"
OTHER_SQLITE = "sqlite:////srv/stride/stride.db"


@pytest.mark.parametrize(
    ("database_url", "setting", "seeds"),
    [
        # Nothing said: only the embedded default database gets the demo.
        (DEFAULT_SQLITE_URL, None, True),
        (PRODUCTION, None, False),
        ("postgres://stride:secret@db.example.com/stride", None, False),
        (OTHER_SQLITE, None, False),
        # Asked for, in any usual spelling (environment strings, TOML booleans).
        (PRODUCTION, "1", True),
        (PRODUCTION, "true", True),
        (PRODUCTION, True, True),
        (OTHER_SQLITE, " Yes ", True),
        # Turned off, even on the default database.
        (DEFAULT_SQLITE_URL, "0", False),
        (DEFAULT_SQLITE_URL, False, False),
        (DEFAULT_SQLITE_URL, "off", False),
        (PRODUCTION, "false", False),
        # A value nobody can read is no request.
        (PRODUCTION, "maybe", False),
        (DEFAULT_SQLITE_URL, "", True),
    ],
)
def test_demo_seeding_decision(database_url: str, setting: object, seeds: bool) -> None:
    assert demo_seeding_wanted(database_url=database_url, setting=setting) is seeds


def test_the_secrets_app_section_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """Streamlit hands secrets sections over as AttrDict, a Mapping but no dict."""
    monkeypatch.delenv("STRIDE_SEED_DEMO", raising=False)
    from streamlit.runtime.secrets import AttrDict

    from app_pages._ui import _seed_demo_setting

    assert _seed_demo_setting({"app": AttrDict({"seed_demo": False})}) is False
    assert _seed_demo_setting({"app": {"seed_demo": "yes"}}) == "yes"
    assert _seed_demo_setting({}) is None
