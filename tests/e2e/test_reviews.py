"""A 360 in the real app: Maya launches it, three peers and one external
(through the link, without signing in) answer, and Emma sees the peer group;
in a second review only two peers answer and the peer group is hidden
everywhere, "all others" included."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import FIRST_LOAD_TIMEOUT_MS, sign_in, wait_for_app_idle

pytestmark = pytest.mark.e2e

HIDDEN = "—"


def _choose(page: Page, label: str, option: str) -> None:
    box = page.get_by_test_id("stSelectbox").filter(has_text=label)
    box.locator("input").click()
    page.keyboard.type(option)
    page.keyboard.press("Enter")
    wait_for_app_idle(page)


def _open(page: Page, base_url: str, review_id: int) -> None:
    page.goto(f"{base_url}/reviews?review={review_id}")
    expect(page.get_by_role("heading", name="360 reviews")).to_be_visible(
        timeout=FIRST_LOAD_TIMEOUT_MS
    )
    wait_for_app_idle(page)


def _answer(page: Page, option: int, question: str = "Collaboration") -> None:
    """Rate `question` (the report's first row) with the radio option at
    `option` (0: can't say) and send."""
    # The radio that follows the question's title, not the first radio on the
    # page: the script had finished ("notRunning") while the form's elements
    # were still being mounted, and the first radio then mounted was the
    # second question's (an answer stored for the wrong competency).
    title = page.get_by_test_id("stMarkdown").filter(has=page.locator("strong", has_text=question))
    radio = title.locator(
        "xpath=ancestor::*[@data-testid='stElementContainer'][1]/following-sibling::*[1]"
    ).get_by_test_id("stRadio")
    choice = radio.locator("label").filter(has=page.locator("input[type=radio]")).nth(option)
    choice.click()
    expect(radio.locator("input[type=radio]").nth(option)).to_be_checked()
    page.get_by_role("button", name="Send answers").click()


def _launch(page: Page, base_url: str, subject: str) -> int:
    page.goto(f"{base_url}/reviews")
    expect(page.get_by_role("heading", name="360 reviews")).to_be_visible(
        timeout=FIRST_LOAD_TIMEOUT_MS
    )
    page.get_by_role("tab", name="Launch").click()
    _choose(page, "Person", subject)
    page.get_by_role("button", name="Launch 360 review").click()
    expect(page.get_by_text("360 review launched")).to_be_visible()
    wait_for_app_idle(page)
    return int(parse_qs(urlparse(page.url).query)["review"][0])


def _report_rows(page: Page) -> list[dict[str, str]]:
    table = page.get_by_test_id("stTable").filter(has_text="others rated")
    expect(table.locator("tbody tr").first).to_be_visible()
    headers = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    rows = []
    for row in table.locator("tbody tr").all():
        cells = [c.strip() for c in row.locator("th, td").all_inner_texts()]
        rows.append(dict(zip(headers, cells, strict=False)))
    return rows


def _run_review(
    new_context: Callable[..., BrowserContext],
    base_url: str,
    *,
    subject: str,
    peers: list[str],
    external: bool,
) -> int:
    page = new_context().new_page()  # Maya, in a browser profile of her own
    sign_in(page, base_url, "maya")
    review_id = _launch(page, base_url, subject)
    _open(page, base_url, review_id)
    if external:
        page.get_by_text("Add an external rater").click()
        page.get_by_label("Name").fill("Cleo Customer")
        page.get_by_label("E-mail").fill("cleo@client.example")
        page.get_by_role("button", name="Add external").click()
        expect(page.get_by_text("External rater added.")).to_be_visible()
        wait_for_app_idle(page)
    page.get_by_role("button", name="Approve raters and open for answers").click()
    expect(page.get_by_text("the review is open for answers")).to_be_visible()
    wait_for_app_idle(page)
    # The manager's own (named) answers: the lowest level.
    _answer(page, 1)
    expect(page.get_by_text("Answers sent. Thank you.")).to_be_visible()
    wait_for_app_idle(page)
    link = None
    if external:
        page.get_by_role("button", name="Make links for 1 external rater(s)").click()
        code = page.get_by_test_id("stCode").first
        expect(code).to_contain_text("review_token=")
        link = code.inner_text().strip()

    for username in peers:
        peer_page = new_context().new_page()
        sign_in(peer_page, base_url, username)
        _open(peer_page, base_url, review_id)
        expect(peer_page.get_by_role("heading", name="Your answers")).to_be_visible()
        _answer(peer_page, 3)
        expect(peer_page.get_by_text("Answers sent. Thank you.")).to_be_visible()
        peer_page.context.close()

    if link is not None:
        outside = new_context().new_page()
        outside.goto(link.replace("http://localhost:8501", base_url))
        expect(outside.get_by_text("You are asked for feedback on")).to_be_visible(
            timeout=FIRST_LOAD_TIMEOUT_MS
        )
        expect(outside.get_by_text(subject)).to_be_visible()
        _answer(outside, 2)
        expect(outside.get_by_text("Thank you: your answers are in.")).to_be_visible()
        # The link is used up: opening it again gets the neutral refusal.
        outside.goto(link.replace("http://localhost:8501", base_url))
        expect(outside.get_by_text("This review link is not valid")).to_be_visible(
            timeout=FIRST_LOAD_TIMEOUT_MS
        )
        outside.context.close()

    _open(page, base_url, review_id)
    page.get_by_role("button", name="Close and release the report").click()
    expect(page.get_by_text("Review closed: the report is released.")).to_be_visible()
    wait_for_app_idle(page)
    page.context.close()
    return review_id


def test_three_peers_are_shown_and_two_are_hidden_everywhere(
    new_context: Callable[..., BrowserContext], stride_server: str
) -> None:
    shown_id = _run_review(
        new_context,
        stride_server,
        subject="Emma Lindqvist",
        peers=["rania.tran", "nadia.virtanen", "sanjay.moreau"],
        external=True,
    )
    emma = new_context().new_page()
    sign_in(emma, stride_server, "emma")
    _open(emma, stride_server, shown_id)
    expect(emma.get_by_role("heading", name="Report")).to_be_visible()
    rows = _report_rows(emma)
    assert rows
    assert all(row["peers"] != HIDDEN for row in rows[:1])
    # The single external is under the threshold: in no figure.
    assert all(row["externals"] == HIDDEN for row in rows)
    expect(emma.get_by_text("Externals. They are in no figure below")).to_be_visible()
    emma.context.close()

    hidden_id = _run_review(
        new_context,
        stride_server,
        subject="Tereza Quinn",
        peers=["rania.tran", "emma"],
        external=False,
    )
    for username in ("tereza.quinn", "maya"):
        viewer = new_context().new_page()
        sign_in(viewer, stride_server, username)
        _open(viewer, stride_server, hidden_id)
        expect(viewer.get_by_role("heading", name="Report")).to_be_visible()
        rows = _report_rows(viewer)
        assert rows
        assert all(row["peers"] == HIDDEN for row in rows)
        # "All others" is the manager's rating alone: peers are not in the total.
        assert all(row["all others"] == row["manager"] for row in rows)
        assert all(row["others rated"] in ("1", HIDDEN) for row in rows)
        expect(viewer.get_by_text("Peers. They are in no figure below")).to_be_visible()
        expect(
            viewer.get_by_test_id("stTable").filter(has_text="fewer than 3: hidden")
        ).to_be_visible()
        viewer.context.close()
