"""A pilot and its pulse: HR turns check-ins on for one unit only (Platform),
a person outside it sees no check-ins, a person inside answers the open
check-ins pulse from her Home to-do and sees a confirmation, and HR sees
the response count go up.

The server starts on a demo database where check-ins are off everywhere
(the demo's division switches removed; the company's "off" stays)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, col, delete, select

from db.engine import make_engine
from db.migrate import upgrade_to_head
from db.models import ModuleSwitch, OrgUnit
from seed.demo import seed_demo_if_empty
from tests.e2e.conftest import (
    FIRST_LOAD_TIMEOUT_MS,
    StrideServers,
    navigation_link,
    sign_in,
    wait_for_app_idle,
)

pytestmark = pytest.mark.e2e

PLATFORM_ROW = 11  # the modules grid lists units in tree order, Platform last
CHECKINS_COLUMN = 4  # Unit, Kind, People, Goals and OKRs, Check-ins


def _checkins_off_everywhere(path: Path) -> str:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    seed_demo_if_empty(engine)
    with Session(engine) as session:
        divisions = session.exec(select(OrgUnit.id).where(OrgUnit.kind == "division")).all()
        session.execute(
            delete(ModuleSwitch).where(
                col(ModuleSwitch.module) == "checkins", col(ModuleSwitch.org_unit_id).in_(divisions)
            )
        )
        session.commit()
    engine.dispose()
    return url


def _open(page: Page, url: str, heading: str) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", name=heading)).to_be_visible(timeout=FIRST_LOAD_TIMEOUT_MS)
    wait_for_app_idle(page)


def _cell(page: Page, row: int, column: int):  # type: ignore[no-untyped-def]
    """Glide's accessibility table mirrors the canvas: row 1 is the header."""
    return page.locator(f'[role="grid"] [aria-rowindex="{row + 2}"] [role="gridcell"]').nth(column)


def _answered(page: Page) -> int:
    metric = page.get_by_test_id("stMetricValue").first
    expect(metric).to_have_text(re.compile(r"^\d+ of \d+$"))
    return int(metric.inner_text().split(" of ")[0])


def test_a_pilot_in_one_unit_and_its_pulse(
    page: Page, browser: Browser, stride_servers: StrideServers, tmp_path: Path
) -> None:
    server = stride_servers.start(database_url=_checkins_off_everywhere(tmp_path / "pilot.db"))
    base = server.base_url

    # HR switches check-ins on for Platform alone.
    sign_in(page, base, "hana")
    _open(page, base + "/modules", "Modules")
    grid = page.get_by_test_id("stDataFrame").first
    expect(grid).to_be_visible()
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 20, box["y"] + 35 + 17)  # the first unit's first cell
    for _ in range(PLATFORM_ROW):
        page.keyboard.press("ArrowDown")
    for _ in range(CHECKINS_COLUMN):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    # The choice list opens over the grid; typing before it is there is lost.
    choices = page.get_by_role("listbox").get_by_role("option")
    expect(choices).to_have_count(3)
    page.keyboard.type("on")
    expect(choices).to_have_count(1)
    page.keyboard.press("Enter")
    expect(_cell(page, PLATFORM_ROW, 0)).to_have_text("Platform")
    expect(_cell(page, PLATFORM_ROW, CHECKINS_COLUMN)).to_have_text("on")
    wait_for_app_idle(page)
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Saved 1 module switch.")).to_be_visible()
    wait_for_app_idle(page)

    # HR's count of answers to the open pulse before.
    _open(page, base + "/surveys", "Rollout surveys")
    picker = page.get_by_test_id("stSelectbox").filter(has_text="Survey")
    expect(picker.locator("input")).to_have_value(re.compile("^Check-ins pulse, round 2 — Open"))
    before = _answered(page)

    # Daniel directs Product & Technology, outside Platform: no check-ins.
    daniel = browser.new_context().new_page()
    sign_in(daniel, base, "daniel")
    expect(navigation_link(daniel, "Surveys")).to_have_count(1)
    expect(navigation_link(daniel, "My check-ins")).to_have_count(0)
    expect(navigation_link(daniel, "Team check-ins")).to_have_count(0)
    daniel.context.close()

    # Emma, in Platform, has check-ins now and answers the pulse from Home.
    emma = browser.new_context().new_page()
    sign_in(emma, base, "emma")
    expect(navigation_link(emma, "My check-ins")).to_have_count(1)
    emma.get_by_role("link", name="Answer the survey “Check-ins pulse”").click()
    expect(emma.get_by_role("heading", name="Surveys")).to_be_visible()
    wait_for_app_idle(emma)
    form = emma.get_by_test_id("stForm")
    radio = form.get_by_test_id("stRadio")
    radio.filter(has_text="My check-ins help me.").get_by_text("4", exact=True).click()
    radio.filter(has_text="The check-in cadence is…").get_by_text("About right").click()
    form.get_by_label("Anything you would change?").fill("More time on growth, please.")
    form.get_by_role("button", name="Send my answers").click()
    expect(emma.get_by_text("Thank you — your answers were sent anonymously.")).to_be_visible()
    expect(emma.get_by_text("You have answered this survey")).to_be_visible()
    emma.context.close()

    # HR sees one more answer.
    page.reload()
    expect(page.get_by_role("heading", name="Rollout surveys")).to_be_visible(
        timeout=FIRST_LOAD_TIMEOUT_MS
    )
    wait_for_app_idle(page)
    assert _answered(page) == before + 1
