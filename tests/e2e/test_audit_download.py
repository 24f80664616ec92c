"""The audit log reads as sentences, and a download is logged when the file
is really taken (the button's click), not when the page offering it opens."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import navigation_link, sign_in, wait_for_app_idle

pytestmark = pytest.mark.e2e


def _audit_tab(page: Page) -> None:
    page.get_by_role("tab", name="Audit log").click()
    wait_for_app_idle(page)


def test_downloading_the_audit_log_is_audited(page: Page, stride_server: str) -> None:
    sign_in(page, stride_server, "hana")
    navigation_link(page, "Admin").click()
    expect(page.get_by_role("heading", name="Admin")).to_be_visible()
    wait_for_app_idle(page)
    _audit_tab(page)
    log = page.get_by_test_id("stDataFrame").locator("table").last
    expect(log).to_contain_text("Hana Ibrahim signed in.")
    # Opening the page offered the file; nobody took it yet.
    expect(log).not_to_contain_text("downloaded audit-log.xlsx")

    panel = page.get_by_role("tabpanel", name="Audit log")
    with page.expect_download() as download_info:
        panel.get_by_test_id("stDownloadButton").get_by_role("button").click()
    assert download_info.value.suggested_filename == "audit-log.xlsx"
    wait_for_app_idle(page)
    log = page.get_by_test_id("stDataFrame").locator("table").last
    expect(log).to_contain_text("Hana Ibrahim downloaded audit-log.xlsx")
