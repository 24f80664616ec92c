"""A manager prepares and runs a check-in with a key-result update and an
action item, the employee acknowledges it, and her next check-in shows the
action carried forward."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import FIRST_LOAD_TIMEOUT_MS, sign_in, wait_for_app_idle

pytestmark = pytest.mark.e2e

ACTION = "Send the migration plan to the team"


def _open(page: Page, url: str, heading: str) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", name=heading)).to_be_visible(timeout=FIRST_LOAD_TIMEOUT_MS)
    wait_for_app_idle(page)


def _submit(page: Page, form_text: str, button: str, done: str) -> None:
    page.get_by_test_id("stForm").filter(has_text=form_text).first.get_by_role(
        "button", name=button
    ).click()
    expect(page.get_by_text(done)).to_be_visible()
    wait_for_app_idle(page)


def test_a_check_in_from_agenda_to_carried_forward_action(
    page: Page, browser: Browser, stride_server: str
) -> None:
    sign_in(page, stride_server, "maya")
    _open(page, stride_server + "/team_checkins", "Team check-ins")
    # Emma comes first (reports are listed by name).
    expect(page.get_by_text("Cadence for Emma Lindqvist")).to_be_visible()
    page.get_by_role("button", name="Start check-in").click()
    expect(
        page.get_by_role("heading", name="Check-in: Emma Lindqvist with Maya Okafor")
    ).to_be_visible()
    wait_for_app_idle(page)

    # Prepare: a talking point on the agenda.
    page.get_by_label("Add a talking point").fill("Hand-over before the holidays")
    _submit(page, "Add to the agenda", "Add to the agenda", "Talking point added.")
    expect(
        page.get_by_text(re.compile("Hand-over before the holidays — talking point"))
    ).to_be_visible()

    # Run: a key-result update through the goals service.
    goals = page.get_by_test_id("stExpander").filter(has_text=re.compile(r"· \d+%"))
    goals.first.locator("summary").click()
    update = page.get_by_test_id("stForm").filter(has_text="Save update").first
    update.get_by_label("New value").fill("7")
    update.get_by_label("Note").fill("Agreed in the check-in")
    update.get_by_role("button", name="Save update").click()
    expect(page.get_by_text("Progress updated.")).to_be_visible()
    wait_for_app_idle(page)

    # An action item for Emma, then complete.
    page.get_by_label("New action item").fill(ACTION)
    _submit(page, "New action item", "Add action item", "Action item added.")
    expect(page.get_by_text(re.compile(f"^{ACTION} — Emma Lindqvist"))).to_be_visible()
    page.get_by_role("button", name="Complete check-in").click()
    expect(page.get_by_text("Check-in completed.")).to_be_visible()
    wait_for_app_idle(page)
    expect(page.get_by_role("button", name="Start check-in")).to_be_visible()

    # The employee acknowledges it with a comment.
    emma = browser.new_context().new_page()
    sign_in(emma, stride_server, "emma")
    _open(emma, stride_server + "/my_checkins", "My check-ins")
    emma.get_by_role("tab", name="History").click()
    history = emma.get_by_role("tabpanel", name="History")
    expect(history.get_by_text(re.compile("Hand-over before the holidays"))).to_be_visible()
    expect(history.get_by_text("Agreed in the check-in")).to_have_count(0)
    history.get_by_label("Comment (optional)").fill("Thanks, clear plan.")
    history.get_by_role("button", name="Acknowledge").click()
    expect(emma.get_by_text("Check-in acknowledged.")).to_be_visible()
    wait_for_app_idle(emma)

    # Her next check-in carries the open action forward.
    emma.get_by_role("tab", name="Next check-in").click()
    emma.get_by_role("button", name="Prepare my next check-in").click()
    expect(emma.get_by_text("Your next check-in is open")).to_be_visible()
    wait_for_app_idle(emma)
    upcoming = emma.get_by_role("tabpanel", name="Next check-in")
    expect(
        upcoming.get_by_text(re.compile(f"^{ACTION} — .*\\(carried forward\\)$"))
    ).to_be_visible()
    expect(upcoming.get_by_role("button", name="Add to calendar (.ics)")).to_be_visible()
    emma.context.close()
