"""A new organisation's first day, through Chromium: empty database → set-up
page → HR admin → import Totara-style files → preview → commit → invite link
→ the new person sets a password, signs in and sees their manager on Home.
The manager's invitation then goes by e-mail, to an SMTP server the test runs."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import (
    FIRST_LOAD_TIMEOUT_MS,
    StrideServers,
    dashboard_title,
    login_form,
    sign_in,
    wait_for_app_idle,
)
from tests.smtp_server import LocalSmtpServer, local_smtp_server

pytestmark = pytest.mark.e2e

TOTARA = Path(__file__).resolve().parents[1] / "fixtures" / "totara"
TOTARA_FILES = ["org.csv", "pos.csv", "user.csv", "jobassignment.csv"]
ADMIN_PASSWORD = "first admin's long password"
NEWCOMER_PASSWORD = "René's own long password"


def _open(page: Page, url: str, heading: str) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", name=heading)).to_be_visible(timeout=FIRST_LOAD_TIMEOUT_MS)
    wait_for_app_idle(page)


def _set_up(page: Page, base_url: str) -> None:
    _open(page, base_url, "Set up Stride")
    form = page.get_by_test_id("stForm").filter(has_text="Create organisation and HR admin")
    form.get_by_role("textbox", name="Organisation", exact=True).fill("Acme Ltd")
    form.get_by_role("textbox", name="Your full name", exact=True).fill("Ana Silva")
    form.get_by_role("textbox", name="Username", exact=True).fill("ana")
    form.get_by_role("textbox", name="Work e-mail", exact=True).fill("ana@acme.example")
    form.get_by_role("textbox", name="Password", exact=True).fill(ADMIN_PASSWORD)
    form.get_by_role("button", name="Create organisation and HR admin").click()
    expect(login_form(page)).to_be_visible()
    expect(page.get_by_text("Stride is set up.")).to_be_visible()


def _import_people(page: Page, base_url: str) -> None:
    _open(page, base_url + "/people_import", "Import people")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        [TOTARA / name for name in TOTARA_FILES]
    )
    expect(page.get_by_role("button", name="Import", exact=True)).to_be_visible()
    # The first selectbox, toggle and grid of this browser load their code
    # from the server now, which on a busy machine takes longer than a click.
    expect(page.get_by_test_id("stDataFrame")).to_have_count(2, timeout=FIRST_LOAD_TIMEOUT_MS)
    wait_for_app_idle(page)
    # Every file's source is recognised (by its columns or its name).
    for name, source in zip(
        TOTARA_FILES, ["org units", "positions", "users", "job assignments"], strict=True
    ):
        chooser = page.get_by_test_id("stSelectbox").filter(has_text=f"What does {name} hold?")
        expect(chooser.get_by_role("combobox")).to_have_value(source)
    expect(page.get_by_text("nothing can be imported")).to_have_count(0)
    summary, changes = (
        page.get_by_test_id("stDataFrame").nth(0).locator("table"),
        page.get_by_test_id("stDataFrame").nth(1).locator("table"),
    )
    for entity in ("person", "unit", "position"):
        expect(summary).to_contain_text(entity)
    for planned in ("Zoë Leader", "René Agent", "Team Aurora", "Support agent"):
        expect(changes).to_contain_text(planned)

    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_text("Imported. ")).to_be_visible()
    expect(page.get_by_text("person: 2 created")).to_be_visible()
    wait_for_app_idle(page)


def _choose_and_invite(page: Page, base_url: str, name: str, *, by_email: bool) -> None:
    _open(page, base_url + "/invitations", "Invitations")
    email = page.get_by_role("switch", name="E-mail invitations")
    expect(email).to_be_checked()  # offered, and on, because SMTP is configured
    if not by_email:
        # The switch's input is drawn over by its label: click what people see.
        page.get_by_test_id("stCheckbox").get_by_text("E-mail invitations", exact=True).click()
        expect(email).not_to_be_checked()
        wait_for_app_idle(page)
    page.get_by_test_id("stMultiSelect").filter(has_text="Invite").click()
    page.get_by_role("option", name=name).click()
    page.keyboard.press("Escape")
    wait_for_app_idle(page)
    page.get_by_role("button", name="Invite chosen").click()


def _invite_by_link(page: Page, base_url: str, name: str) -> dict[str, str]:
    """Invite one person and return their row of the downloaded links CSV."""
    _choose_and_invite(page, base_url, name, by_email=False)
    expect(page.get_by_text("1 invitation link made.")).to_be_visible()
    wait_for_app_idle(page)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download links (CSV, for a mail merge)").click()
    download = download_info.value
    assert download.suggested_filename == "stride-invitations.csv"
    rows = list(csv.DictReader(io.StringIO(download.path().read_text(encoding="utf-8-sig"))))
    assert [row["name"] for row in rows] == [name]
    return rows[0]


def _invite_by_email(page: Page, base_url: str, name: str, mailbox: LocalSmtpServer) -> str:
    """Invite one person by e-mail and return the link the e-mail carries."""
    _choose_and_invite(page, base_url, name, by_email=True)
    expect(page.get_by_text("1 invitation e-mailed.")).to_be_visible()
    [delivery] = mailbox.wait_for(1)
    body = delivery.message.get_content()
    assert body.startswith(f"Hello {name},")
    [link] = re.findall(r"http\S+\?invite=[\w-]+", body)
    return str(link)


@pytest.fixture
def mailbox() -> Iterator[LocalSmtpServer]:
    with local_smtp_server() as server:
        yield server


def test_an_organisation_goes_from_empty_to_a_newcomer_signed_in(
    page: Page,
    new_context: Callable[..., BrowserContext],
    stride_servers: StrideServers,
    mailbox: LocalSmtpServer,
) -> None:
    server = stride_servers.start(
        env={
            "STRIDE_SEED_DEMO": "0",
            "STRIDE_SMTP_HOST": mailbox.host,
            "STRIDE_SMTP_PORT": str(mailbox.port),
            "STRIDE_SMTP_SECURITY": "none",
            "STRIDE_SMTP_FROM": "Acme HR <hr@acme.example>",
        }
    )
    base_url = server.base_url

    _set_up(page, base_url)
    sign_in(page, base_url, "ana", ADMIN_PASSWORD)
    expect(dashboard_title(page)).to_have_text("Hello, Ana")
    _import_people(page, base_url)
    row = _invite_by_link(page, base_url, "René Agent")
    assert row["email"] == "rene@acme.example"
    assert row["username"] == "rene.agent"
    assert row["link"].startswith(base_url + "/?invite=")

    # The newcomer, in a browser of their own.
    newcomer = new_context().new_page()
    _open(newcomer, row["link"], "Welcome to Stride")
    expect(newcomer.get_by_text("Hello René Agent.")).to_be_visible()
    newcomer.get_by_role("textbox", name="New password", exact=True).fill(NEWCOMER_PASSWORD)
    newcomer.get_by_role("textbox", name="The same password again", exact=True).fill(
        NEWCOMER_PASSWORD
    )
    newcomer.get_by_role("button", name="Set password").click()
    expect(login_form(newcomer)).to_be_visible()
    expect(newcomer.get_by_text("Your password is set. Sign in as rene.agent.")).to_be_visible()

    sign_in(newcomer, base_url, "rene.agent", NEWCOMER_PASSWORD)
    expect(dashboard_title(newcomer)).to_have_text("Hello, René")
    manager = newcomer.get_by_test_id("stColumn").filter(has_text="My manager")
    expect(manager).to_contain_text("Zoë Leader")
    expect(manager).to_contain_text("Operations lead")

    # The link is used up.
    again = new_context().new_page()
    again.goto(row["link"])
    expect(again.get_by_text("This sign-in link is not valid")).to_be_visible(
        timeout=FIRST_LOAD_TIMEOUT_MS
    )

    # The manager is invited by e-mail; the link in it opens their welcome.
    link = _invite_by_email(page, base_url, "Zoë Leader", mailbox)
    assert link.startswith(base_url + "/?invite=")
    manager_page = new_context().new_page()
    _open(manager_page, link, "Welcome to Stride")
    expect(manager_page.get_by_text("Hello Zoë Leader.")).to_be_visible()
