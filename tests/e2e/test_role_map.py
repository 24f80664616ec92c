"""An HR admin changes a required level in the role map grid (a canvas grid:
click a cell, Enter opens its editor, type and Enter chooses), saves, and the
level is still there after a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import FIRST_LOAD_TIMEOUT_MS, sign_in, wait_for_app_idle

pytestmark = pytest.mark.e2e


def _open_role_map(page: Page, base_url: str) -> None:
    page.goto(base_url + "/role_map")
    expect(page.get_by_role("heading", name="Role map")).to_be_visible(
        timeout=FIRST_LOAD_TIMEOUT_MS
    )
    family = page.get_by_test_id("stSelectbox").filter(has_text="Job family")
    family.click()
    page.get_by_role("option", name="Technology & support").click()
    # The run the choice starts may not have begun yet: wait for its result
    # (the family's two positions, below the header row), then for quiet.
    expect(page.locator('[role="grid"] [role="row"]')).to_have_count(3)
    wait_for_app_idle(page)


def _cell(page: Page, row: int, column: int):  # type: ignore[no-untyped-def]
    """Glide's accessibility table mirrors the canvas: row 1 is the header."""
    return page.locator(f'[role="grid"] [aria-rowindex="{row + 1}"] [role="gridcell"]').nth(column)


def test_hr_changes_a_required_level_and_it_persists(page: Page, stride_server: str) -> None:
    sign_in(page, stride_server, "hana")
    _open_role_map(page, stride_server)
    grid = page.get_by_test_id("stDataFrame")
    expect(grid).to_be_visible()
    # Row 1 is the Data Analyst (grade 5); the 4th visible column is Collaboration.
    expect(_cell(page, 1, 3)).to_have_text("Capable")
    # Select the first row's first cell on the canvas (rows and the header are
    # 35 px high), walk right to the competency column, and open its editor.
    # A click on the grid itself, not at coordinates read beforehand: the
    # elements above it may still be mounting when the script is done, and a
    # click aimed at a box read earlier then missed the grid. Playwright
    # clicks once the grid has stopped moving.
    grid.click(position={"x": 20, "y": 35 + 17})
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    # Type only once the cell's editor is open (on a loaded machine the keys
    # otherwise went to the canvas and the edit was lost), and choose only
    # once the typed level is offered.
    editor = page.locator("#portal").get_by_role("combobox")
    expect(editor).to_be_focused()
    page.keyboard.type("Role model")
    expect(
        page.locator("#portal").get_by_role("option", name="Role model", exact=True)
    ).to_be_visible()
    page.keyboard.press("Enter")
    expect(_cell(page, 1, 3)).to_have_text("Role model")
    # The edit's own rerun must have reached the server before Save is pressed.
    wait_for_app_idle(page)
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Role map saved: 1 cells set")).to_be_visible()

    page.reload()
    _open_role_map(page, stride_server)
    expect(_cell(page, 1, 3)).to_have_text("Role model")
