"""Sign-in, sign-out and role navigation in the real app, through Chromium.

Signing out must end the session on the server: a copy of the old re-login
cookie, replayed in a fresh browser, gets the login form (core.auth.end_sessions
moves sessions_valid_after; app_pages/_auth.py refuses cookies issued before it).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import (
    COOKIE_NAME,
    FIRST_LOAD_TIMEOUT_MS,
    dashboard_title,
    login_form,
    navigation_link,
    sign_in,
    wait_for_app_idle,
    wait_for_no_session_cookie,
    wait_for_session_cookie,
)

pytestmark = pytest.mark.e2e


def _open_with_cookie(
    new_context: Callable[..., BrowserContext], base_url: str, cookie: dict[str, object]
) -> Page:
    """A new browser (no session state) that only carries the given cookie."""
    fresh = new_context()
    fresh.add_cookies([cookie])  # type: ignore[list-item]
    shown = fresh.new_page()
    shown.goto(base_url)
    return shown


def test_sign_out_ends_the_session_for_a_copied_cookie(
    page: Page, new_context: Callable[..., BrowserContext], stride_server: str
) -> None:
    sign_in(page, stride_server, "emma")
    expect(dashboard_title(page)).to_have_text("Hello, Emma")
    cookie = wait_for_session_cookie(page.context)

    # Before sign-out the copied cookie is a valid session: a fresh browser
    # carrying it is signed straight in (so the check after sign-out means something).
    before = _open_with_cookie(new_context, stride_server, cookie)
    expect(dashboard_title(before)).to_have_text("Hello, Emma", timeout=FIRST_LOAD_TIMEOUT_MS)
    before.context.close()

    page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
    expect(login_form(page)).to_be_visible()
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    expect(dashboard_title(page)).to_have_count(0)
    # None of the previous person's pages stays offered beside the form.
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
    expect(page.get_by_role("link", name="My goals")).to_have_count(0)

    after = _open_with_cookie(new_context, stride_server, cookie)
    expect(login_form(after)).to_be_visible(timeout=FIRST_LOAD_TIMEOUT_MS)
    expect(dashboard_title(after)).to_have_count(0)
    expect(after.get_by_test_id("stSidebar").get_by_role("button", name="Sign out")).to_have_count(
        0
    )
    # The refused cookie reached the server (it was in the browser before the
    # page loaded) and the form came back; the page then removes it. (Asserting
    # it was still there raced that tidy-up.)
    wait_for_no_session_cookie(after.context)


def test_wrong_password_shows_the_error(page: Page, stride_server: str) -> None:
    page.goto(stride_server)
    form = login_form(page)
    expect(form).to_be_visible(timeout=FIRST_LOAD_TIMEOUT_MS)
    # The sign-in page's first runs (the cookie component reports back) must
    # be over, or the submit lands in a run that redraws the form.
    wait_for_app_idle(page)
    form.get_by_role("textbox", name="Username").fill("emma")
    form.get_by_role("textbox", name="Password").fill("not-the-password")
    form.get_by_role("button", name="Sign in").click()

    expect(page.get_by_test_id("stAlert").filter(has_text="incorrect")).to_have_text(
        "Username or password is incorrect. After 5 failed attempts in a row, new "
        "sign-ins to the account pause for 1 minute, longer if failures go on "
        "(at most 15 minutes)."
    )
    expect(login_form(page)).to_be_visible()
    expect(dashboard_title(page)).to_have_count(0)
    assert not any(c["name"] == COOKIE_NAME for c in page.context.cookies())


def test_an_employee_has_no_admin_page_not_even_by_url(page: Page, stride_server: str) -> None:
    sign_in(page, stride_server, "emma")
    expect(navigation_link(page, "People")).to_be_visible()
    expect(navigation_link(page, "Admin")).to_have_count(0)

    page.goto(f"{stride_server}/admin")
    # The page is not registered for her roles: Streamlit says so and runs Home.
    expect(page.get_by_text("Page not found")).to_be_visible()
    expect(dashboard_title(page)).to_have_text("Hello, Emma")
    expect(page.get_by_role("heading", name="Admin", exact=True)).to_have_count(0)
    expect(page.get_by_role("tab", name="Accounts")).to_have_count(0)


def test_hr_has_the_admin_page_in_navigation_and_by_url(page: Page, stride_server: str) -> None:
    sign_in(page, stride_server, "hana")
    navigation_link(page, "Admin").click()
    expect(page.get_by_role("heading", name="Admin", exact=True)).to_be_visible()
    expect(page.get_by_role("tab", name="Accounts")).to_be_visible()

    page.goto(f"{stride_server}/admin")
    expect(page.get_by_role("heading", name="Admin", exact=True)).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)
