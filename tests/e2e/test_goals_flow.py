"""An employee creates a goal with two key results aligned to a team goal,
updates one key result, and sees her progress and the team goal's roll-up move."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import FIRST_LOAD_TIMEOUT_MS, sign_in, wait_for_app_idle

pytestmark = pytest.mark.e2e

TITLE = "Write the on-call handbook"
TEAM_GOAL = "Ship the reliability roadmap"


def _card(page: Page) -> Locator:
    return page.locator('[class*="st-key-my_goals_goal_"][class*="_card"]').filter(has_text=TITLE)


def _rolled_up(card: Locator) -> int:
    text = card.get_by_text(re.compile(r"Aligned to .*rolled-up progress")).inner_text()
    found = re.search(r"rolled-up progress (\d+) %", text)
    assert found, text
    return int(found.group(1))


def test_employee_goal_rolls_up_to_the_team_goal(page: Page, stride_server: str) -> None:
    sign_in(page, stride_server, "emma")
    page.goto(stride_server + "/my_goals")
    expect(page.get_by_role("heading", name="My goals")).to_be_visible(
        timeout=FIRST_LOAD_TIMEOUT_MS
    )
    wait_for_app_idle(page)

    page.get_by_test_id("stExpander").filter(has_text="New goal").locator("summary").click()
    form = page.get_by_test_id("stForm").filter(has_text="Create goal")
    form.get_by_label("Goal", exact=True).fill(TITLE)
    form.get_by_test_id("stSelectbox").filter(has_text="Aligned to").click()
    page.get_by_role("option", name=re.compile(f"^{TEAM_GOAL} \\(team")).click()
    form.get_by_label("Title").nth(0).fill("Runbooks written")
    form.get_by_label("Target").nth(0).fill("10")
    form.get_by_label("Title").nth(1).fill("Pages per week")
    form.get_by_label("Start").nth(1).fill("12")
    form.get_by_label("Target").nth(1).fill("4")
    form.get_by_role("button", name="Create goal").click()
    expect(page.get_by_text(f"Goal created: {TITLE}")).to_be_visible()
    wait_for_app_idle(page)

    card = _card(page)
    expect(card).to_be_visible()
    expect(card.get_by_test_id("stMetricValue")).to_have_text("0 %")
    before = _rolled_up(card)

    card.get_by_test_id("stExpander").locator("summary").click()
    update = card.get_by_test_id("stForm").filter(has_text="Save update")
    update.get_by_label(re.compile(r"^New value")).fill("5")
    update.get_by_role("button", name="Save update").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    wait_for_app_idle(page)

    card = _card(page)
    # One of two equally weighted key results half-way: 25 %.
    expect(card.get_by_test_id("stMetricValue")).to_have_text("25 %")
    after = _rolled_up(card)
    assert after > before

    # The alignment tree finds the new goal under the team goal.
    page.goto(stride_server + "/alignment")
    expect(page.get_by_role("heading", name="Alignment")).to_be_visible(
        timeout=FIRST_LOAD_TIMEOUT_MS
    )
    page.get_by_label("Goal contains").fill("on-call")
    page.keyboard.press("Enter")
    wait_for_app_idle(page)
    # Only the new goal matches; the company and team goals above it stay.
    expect(page.get_by_text(re.compile(r"^4 goals you can see"))).to_be_visible()
    # The grid is drawn on a canvas; its accessible mirror holds the text.
    tree = page.get_by_test_id("stDataFrame").locator("table")
    expect(tree).to_have_count(1)
    expect(tree).to_contain_text(TITLE)
    expect(tree).to_contain_text(TEAM_GOAL)
