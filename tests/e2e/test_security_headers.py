"""The Content-Security-Policy the README tells deployers to set at the proxy
must let Stride work: the page loads, signing in writes the re-login cookie,
and the browser reports no refused script."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.conftest import (
    FIRST_LOAD_TIMEOUT_MS,
    dashboard_title,
    sign_in,
)

pytestmark = pytest.mark.e2e

README = Path(__file__).resolve().parents[2] / "README.md"


def documented_policy() -> str:
    found = re.search(r'add_header Content-Security-Policy "([^"]+)"', README.read_text())
    assert found, "README has no Content-Security-Policy example"
    return found.group(1)


def test_the_documented_policy_lets_people_sign_in_and_stay_signed_in(
    page: Page, stride_server: str
) -> None:
    policy = documented_policy()
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )

    def with_policy(route: Route) -> None:
        if route.request.resource_type != "document":
            route.fallback()
            return
        response = route.fetch()
        route.fulfill(
            response=response, headers={**response.headers, "content-security-policy": policy}
        )

    page.route("**/*", with_policy)
    sign_in(page, stride_server, "emma")
    page.reload()
    expect(dashboard_title(page)).to_have_text("Hello, Emma", timeout=FIRST_LOAD_TIMEOUT_MS)
    assert refused == []
