"""Each demo role signs in and every page of its navigation renders."""

import threading

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import open_page, sign_in

ROLES = ["emma", "maya", "hana"]


def test_login_form_first(app: AppTest) -> None:
    app.run()
    assert not app.exception
    assert len(app.text_input) == 2
    assert app.session_state["authentication_status"] is None


def test_a_test_run_starts_no_cache_warming_thread(app: AppTest) -> None:
    """Only a real server warms its caches in a thread that outlives the
    script; under AppTest (whose runtime is a mock) one per test database
    computed beside the tests that came after."""

    def warming() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if t.name == "stride-warm"}

    before = warming()
    sign_in(app, "hana")
    assert warming() <= before


@pytest.mark.parametrize("username", ROLES)
def test_dashboard_after_sign_in(app: AppTest, username: str) -> None:
    at = sign_in(app, username)
    assert at.title[0].value.startswith("Hello")


@pytest.mark.parametrize("username", ROLES)
def test_people_page(app: AppTest, username: str) -> None:
    at = open_page(sign_in(app, username), "app_pages/people.py")
    assert at.title[0].value == "People"
    assert len(at.dataframe[0].value) >= 59
