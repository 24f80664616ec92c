"""A manager rates a report in the real app, and the team heatmap's cell changes."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    FIRST_LOAD_TIMEOUT_MS,
    navigation_link,
    sign_in,
    wait_for_app_idle,
)

pytestmark = pytest.mark.e2e


def _choose(page: Page, label: str, option: str) -> None:
    box = page.get_by_test_id("stSelectbox").filter(has_text=label)
    box.locator("input").click()
    page.keyboard.type(option)
    page.keyboard.press("Enter")
    wait_for_app_idle(page)


def _emma_leading_cell(page: Page) -> str:
    table = page.get_by_test_id("stTable")
    header = table.locator("thead th")
    headers = [h.strip() for h in header.all_inner_texts()]
    column = headers.index("Leading others")
    row = table.locator("tbody tr").filter(has_text="Emma Lindqvist")
    return row.locator("th, td").nth(column).inner_text().strip()


def test_manager_rates_a_report_and_the_heatmap_changes(page: Page, stride_server: str) -> None:
    sign_in(page, stride_server, "maya")
    wait_for_app_idle(page)
    navigation_link(page, "Skills gap").click()
    expect(page.get_by_role("heading", name="Skills gap")).to_be_visible(
        timeout=FIRST_LOAD_TIMEOUT_MS
    )
    expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible()
    page.get_by_role("tab", name="Table").click()
    expect(page.get_by_test_id("stTable")).to_be_visible()
    wait_for_app_idle(page)
    # Emma's "Leading others" is deliberately unassessed in the demo.
    assert _emma_leading_cell(page) == "?"  # not assessed

    _choose(page, "Person", "Emma Lindqvist")
    expect(page.get_by_test_id("stSelectbox").filter(has_text="Competency")).to_be_visible()
    _choose(page, "Competency", "Leading others")
    # The level choices now describe Leading others.
    expect(page.get_by_text("Supports newer colleagues informally.")).to_be_visible()
    page.get_by_test_id("stRadio").filter(has_text="Level").get_by_text(
        "Skilled", exact=True
    ).click()
    wait_for_app_idle(page)
    page.get_by_role("button", name="Save rating").click()

    expect(page.get_by_text("Rating saved: Leading others for Emma Lindqvist.")).to_be_visible()
    wait_for_app_idle(page)
    # Developing is required of a Software Engineer; Skilled is two above.
    expect(
        page.get_by_test_id("stTable").locator("tbody tr").filter(has_text="Emma Lindqvist")
    ).to_contain_text("Skilled (-2)")
    assert _emma_leading_cell(page) == "Skilled (-2)"
