"""Browser tests: the real app (`streamlit run Home.py`) driven through Chromium.

Chromium is Debian's `chromium` package (`/usr/bin/chromium`, or the path in
`STRIDE_CHROMIUM`), driven by Python Playwright's sync API through
`executable_path`: Playwright never downloads a browser. Without Chromium or
Playwright every test here SKIPS with the reason; in CI (`CI=true`) it FAILS
instead, so a broken CI image cannot pass by skipping the browser tests.

Mark browser tests with `@pytest.mark.e2e` (or `pytestmark = pytest.mark.e2e`).

Fixtures
--------
browser (session)
    One headless Chromium for the whole run (sandbox off, as root needs; no
    GPU, no background networking: the network is closed).
new_context (function)
    `new_context(**options) -> BrowserContext`: a fresh browser profile (its own
    cookies), closed after the test. Use it for a second user or a second tab
    that must not share cookies.
context, page (function)
    A fresh context and a page in it. Playwright's `expect` waits up to
    `EXPECT_TIMEOUT_MS` here. When a test fails, a screenshot of every open
    page is saved and its path printed (in the teardown's captured output).
stride_server (module)
    Starts `streamlit run Home.py` on a free port on 127.0.0.1 against a fresh
    temporary SQLite database (the app migrates it and seeds the demo
    organisation on its first run), waits for `/_stcore/health` and yields the
    base URL, e.g. "http://127.0.0.1:41234". The process group is terminated
    after the module. Each test module gets its own server and database, so
    tests inside a module share data: sign in as whom you need, and do not
    rely on another test's writes. When a test fails, the tail of the server's
    log is added to the report ("stride server" section).
stride_servers (module)
    The factory behind `stride_server`, for tests that need something else:
    `stride_servers.start(env={...}, database_url=...) -> StrideServer`.
    Servers started with the same `database_url` share a database and, from
    one factory, one cookie key (replicas). `StrideServer` has `base_url`,
    `database_url`, `data_dir`, `cookie_key`, `log_path` and `log_tail()`.

Helpers (import from tests.e2e.conftest)
-------
sign_in(page, base_url, username, password="stride-demo")
    Fills the "Sign in to Stride" form, waits for the dashboard's "Hello, …"
    title and for the re-login cookie, so that `page.goto(base_url + "/people")`
    afterwards opens that page signed in (each goto is a new Streamlit session
    that signs in again from the cookie).
login_form(page), dashboard_title(page), navigation_link(page, title)
    Locators for the sign-in form, the dashboard title, a sidebar nav entry
    (navigation_link unfolds the list first: Streamlit shows 10 entries and
    hides the rest behind "View N more"; see expand_navigation(page)).
wait_for_session_cookie(context) -> dict
    Polls the context's cookies until the re-login cookie (`stride_session`)
    is there; a script in the page writes it after the page renders.
wait_for_app_idle(page)
    Waits until the app is connected and no script run is going on. After a
    click, wait for the visible result first: the run may not have started yet.

Example::

    pytestmark = pytest.mark.e2e

    def test_people(page: Page, stride_server: str) -> None:
        sign_in(page, stride_server, "maya")
        navigation_link(page, "People").click()
        expect(page.get_by_role("heading", name="People")).to_be_visible()
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from seed.demo import DEMO_PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Locator, Page, Playwright

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the environment
    expect = None  # type: ignore[assignment]
    sync_playwright = None  # type: ignore[assignment]

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--no-sandbox",  # Chromium refuses to start as root with its sandbox.
    "--disable-gpu",
    "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    # A document a test serves through page.route (to add response headers)
    # counts as coming from outside, and Local Network Access would then
    # refuse its WebSocket to 127.0.0.1.
    "--disable-features=LocalNetworkAccessChecks",
]
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
COOKIE_NAME = "stride_session"  # app_pages/_auth.py COOKIE_NAME
# The first page load of a new server imports the app and seeds the demo
# organisation (about 5 s here); later runs take well under a second.
FIRST_LOAD_TIMEOUT_MS = 60_000
EXPECT_TIMEOUT_MS = 15_000
SERVER_START_TIMEOUT_S = 60.0
LOG_TAIL_CHARS = 6_000

_LIVE_SERVERS: list[StrideServer] = []


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _unavailable(reason: str) -> None:
    """Skip locally; in CI a missing browser is a broken build, not a skip."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: browser tests must run)", pytrace=False)
    pytest.skip(reason)


def chromium_path() -> str | None:
    configured = os.environ.get("STRIDE_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


PLAYWRIGHT_MISSING = "Python Playwright is not installed (pip install -e '.[test]')"

if sync_playwright is None and not in_ci():

    class _WithoutPlaywright(pytest.Module):
        """A test module that cannot even be imported: skip it with the reason."""

        def collect(self) -> list[pytest.Item | pytest.Collector]:
            pytest.skip(PLAYWRIGHT_MISSING, allow_module_level=True)

    def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector) -> pytest.Module:
        # In CI the import error is left to fail the collection.
        return _WithoutPlaywright.from_parent(parent, path=module_path)


# --- browser ----------------------------------------------------------------


@pytest.fixture(scope="session")
def _playwright() -> Iterator[Playwright]:
    if sync_playwright is None:
        _unavailable(PLAYWRIGHT_MISSING)
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(_playwright: Playwright) -> Iterator[Browser]:
    executable = chromium_path()
    if executable is None:
        _unavailable("Chromium not found: install Debian's `chromium` (apt-get install chromium)")
    assert executable is not None
    assert expect is not None
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    launched = _playwright.chromium.launch(
        executable_path=executable, headless=True, args=CHROMIUM_ARGS
    )
    yield launched
    launched.close()


@pytest.fixture
def new_context(
    browser: Browser, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., BrowserContext]]:
    opened: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        options.setdefault("viewport", {"width": 1280, "height": 900})
        made = browser.new_context(**options)
        made.set_default_timeout(EXPECT_TIMEOUT_MS)
        # Refuse the outside world at once instead of waiting for DNS to fail
        # (the page icon, a material symbol, is fetched from fonts.gstatic.com).
        made.route(_is_external, lambda route: route.abort("blockedbyclient"))
        opened.append(made)
        return made

    yield make
    if _failed(request.node):
        _screenshot_pages(opened, request.node, tmp_path_factory)
    for made in opened:
        made.close()


@pytest.fixture
def context(new_context: Callable[..., BrowserContext]) -> BrowserContext:
    return new_context()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def _is_external(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return url.startswith(("http:", "https:", "ws:", "wss:")) and host not in LOCAL_HOSTS


def _screenshot_pages(
    contexts: list[BrowserContext], node: pytest.Item, factory: pytest.TempPathFactory
) -> None:
    folder = factory.getbasetemp() / "e2e-failures"
    folder.mkdir(exist_ok=True)
    stem = re.sub(r"[^\w.-]+", "_", node.name)[:80]
    for index, shown in enumerate(p for c in contexts for p in c.pages):
        path = folder / f"{stem}-{index}.png"
        try:
            shown.screenshot(path=str(path), full_page=True)
            print(f"screenshot of page {index} ({shown.url}): {path}")
        except Exception as problem:  # the page may be gone; the test already failed
            print(f"no screenshot of page {index}: {problem}")


# --- the app server -----------------------------------------------------------


@dataclass
class StrideServer:
    """One `streamlit run Home.py` process and what it was started with."""

    base_url: str
    database_url: str
    data_dir: Path
    cookie_key: str
    log_path: Path
    process: subprocess.Popen[bytes]
    env: dict[str, str] = field(repr=False)

    def log_tail(self, chars: int = LOG_TAIL_CHARS) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError as problem:
            return f"(no log: {problem})"
        return text[-chars:]

    def stop(self) -> None:
        if self.process.poll() is None:
            _signal_group(self.process, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _signal_group(self.process, signal.SIGKILL)
                self.process.wait(timeout=10)
        if self in _LIVE_SERVERS:
            _LIVE_SERVERS.remove(self)


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)  # start_new_session made pid the group id


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _healthy(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as answer:
            return bool(answer.status == 200 and answer.read().strip() == b"ok")
    except (urllib.error.URLError, OSError):
        return False


class StrideServers:
    """Starts app servers for one test module and stops them all afterwards."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        # One key per factory: servers on one database accept each other's cookies.
        self.cookie_key = secrets.token_urlsafe(48)
        self.started: list[StrideServer] = []

    def start(
        self, *, env: Mapping[str, str] | None = None, database_url: str | None = None
    ) -> StrideServer:
        number = len(self.started) + 1
        folder = self.workdir / f"server{number}"
        folder.mkdir(parents=True)
        data_dir = folder / "data"
        settings = {
            "DATABASE_URL": database_url or f"sqlite:///{folder / 'stride.db'}",
            "STRIDE_DATA_DIR": str(data_dir),
            "STRIDE_BCRYPT_ROUNDS": "4",
            "STRIDE_SEED_DEMO": "1",
            "STRIDE_COOKIE_KEY": self.cookie_key,
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        full_env = {**os.environ, **settings}
        log_path = folder / "server.log"
        # A free port can be taken between probing and binding (parallel runs).
        for _attempt in range(3):
            server = self._launch(full_env, settings, data_dir, log_path)
            if server is not None:
                self.started.append(server)
                _LIVE_SERVERS.append(server)
                return server
        pytest.fail(f"Stride did not start; server log:\n{log_path.read_text()[-LOG_TAIL_CHARS:]}")

    def _launch(
        self,
        full_env: dict[str, str],
        settings: dict[str, str],
        data_dir: Path,
        log_path: Path,
    ) -> StrideServer | None:
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        command = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "Home.py",
            "--server.address=127.0.0.1",
            f"--server.port={port}",
            "--server.headless=true",
            "--server.fileWatcherType=none",
            "--browser.gatherUsageStats=false",
        ]
        with log_path.open("ab") as log:
            log.write(f"$ {' '.join(command)}\n".encode())
            log.flush()
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=full_env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = StrideServer(
            base_url=base_url,
            database_url=settings["DATABASE_URL"],
            data_dir=data_dir,
            cookie_key=settings["STRIDE_COOKIE_KEY"],
            log_path=log_path,
            process=process,
            env=full_env,
        )
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if process.poll() is not None:
                if f"Port {port} is already in use" in server.log_tail():
                    return None
                pytest.fail(
                    f"Stride exited with code {process.returncode}; server log:\n"
                    f"{server.log_tail()}"
                )
            if _healthy(base_url):
                return server
            time.sleep(0.1)  # polling interval of a real condition, not a fixed wait
        server.stop()
        pytest.fail(
            f"Stride was not healthy after {SERVER_START_TIMEOUT_S:.0f} s; server log:\n"
            f"{server.log_tail()}"
        )

    def stop_all(self) -> None:
        for server in self.started:
            server.stop()


@pytest.fixture(scope="module")
def stride_servers(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StrideServers]:
    # Depends on `browser` so that a missing Chromium skips before any server starts.
    servers = StrideServers(tmp_path_factory.mktemp("stride-e2e"))
    yield servers
    servers.stop_all()


@pytest.fixture(scope="module")
def stride_server(stride_servers: StrideServers) -> str:
    return stride_servers.start().base_url


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    if report.failed:
        for server in _LIVE_SERVERS:
            report.sections.append(
                (f"stride server {server.base_url} ({server.log_path})", server.log_tail())
            )
    return report


_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


def _failed(node: pytest.Item) -> bool:
    reports = node.stash.get(_REPORTS, {})
    return any(report.failed for report in reports.values())


# --- page helpers -------------------------------------------------------------


def login_form(page: Page) -> Locator:
    return page.get_by_test_id("stForm").filter(has_text="Sign in to Stride")


def dashboard_title(page: Page) -> Locator:
    # .first: while a rerun draws, the previous run's heading may linger.
    return page.get_by_role("heading", name=re.compile(r"^Hello, ")).first


def expand_navigation(page: Page) -> None:
    """Unfold the sidebar navigation: past 10 entries Streamlit hides the rest
    behind "View N more", and a hidden entry is not in the page at all."""
    assert expect is not None
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav).to_be_visible()
    toggle = nav.get_by_test_id("stSidebarNavViewButton")
    if toggle.count() and re.fullmatch(r"View \d+ more", toggle.inner_text().strip()):
        toggle.click()
        expect(toggle).to_have_text("View less")


def navigation_link(page: Page, title: str) -> Locator:
    """The sidebar navigation entry of a page, by its exact title (the list is
    unfolded first, so `to_have_count(0)` really means "not offered")."""
    expand_navigation(page)
    return page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True)


def wait_for_app_idle(page: Page) -> None:
    assert expect is not None
    app = page.get_by_test_id("stApp")
    expect(app).to_have_attribute("data-test-connection-state", "CONNECTED")
    expect(app).to_have_attribute("data-test-script-state", "notRunning")


def wait_for_session_cookie(
    context: BrowserContext, *, timeout_s: float = EXPECT_TIMEOUT_MS / 1000
) -> dict[str, Any]:
    """The re-login cookie, once the page's script has written it."""
    deadline = time.monotonic() + timeout_s
    while True:
        for cookie in context.cookies():
            if cookie.get("name") == COOKIE_NAME and cookie.get("value"):
                return dict(cookie)
        if time.monotonic() > deadline:
            raise AssertionError(f"no {COOKIE_NAME} cookie after {timeout_s:.0f} s")
        time.sleep(0.05)  # polling interval of a real condition


def wait_for_no_session_cookie(
    context: BrowserContext, *, timeout_s: float = EXPECT_TIMEOUT_MS / 1000
) -> None:
    """Until the page's script has removed the re-login cookie."""
    deadline = time.monotonic() + timeout_s
    while any(c.get("name") == COOKIE_NAME and c.get("value") for c in context.cookies()):
        if time.monotonic() > deadline:
            raise AssertionError(f"the {COOKIE_NAME} cookie is still set after {timeout_s:.0f} s")
        time.sleep(0.05)  # polling interval of a real condition


def sign_in(
    page: Page,
    base_url: str,
    username: str,
    password: str = DEMO_PASSWORD,
    *,
    wait_for_cookie: bool = True,
) -> None:
    """Sign in through the real form and wait for the dashboard (and cookie)."""
    assert expect is not None
    page.goto(base_url)
    form = login_form(page)
    expect(form).to_be_visible(timeout=FIRST_LOAD_TIMEOUT_MS)
    form.get_by_role("textbox", name="Username").fill(username)
    form.get_by_role("textbox", name="Password").fill(password)
    form.get_by_role("button", name="Sign in").click()
    expect(dashboard_title(page)).to_be_visible()
    if wait_for_cookie:
        wait_for_session_cookie(page.context)
    wait_for_app_idle(page)
