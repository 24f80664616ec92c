"""Browser benchmark: how long each page takes to settle in Chromium.

    python -m seed.bench_browser                 # demo organisation, 3 runs
    python -m seed.bench_browser --runs 5 --roles hana
    python -m seed.bench_browser --runs 7 --sign-in-only --before-root /tmp/main-copy

Starts `streamlit run Home.py` on a fresh demo database (the first load,
which migrates and seeds, is not measured), then measures with Playwright
on /usr/bin/chromium (or STRIDE_CHROMIUM):

- the sign-in page in a fresh browser context (no cookies, empty cache),
  from `goto` until the Username box takes input ("usable") and until the
  app is idle ("settled"); apart, the very first page after the server
  started, which also pays for importing the app. Alternated with it, in
  the same way: Streamlit's own floor (a one-button app, and a form of two
  text boxes and a button, the least a sign-in form costs) and, with
  `--before-root`, the sign-in page of another checkout (before/after);
- for each demo role (emma: employee, maya: manager, hana: HR), every page
  of their navigation: from the click on its sidebar entry until the page
  has settled — the script is not running and stays so for 300 ms (a page
  that reruns itself after its first draw is not settled until the last
  run ends).

Prints medians and the process CPU time of each server over the sign-in
visits; targets: sign-in page ≤ 2 s, every page ≤ 1.5 s.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SIGN_IN_TARGET_S = 2.0
PAGE_TARGET_S = 1.5
QUIET_S = 0.3  # idle this long counts as settled
ROLES = {"emma": "employee", "maya": "manager", "hana": "HR"}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
STATE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app ? [app.getAttribute('data-test-connection-state'),
                app.getAttribute('data-test-script-state')] : [null, null];
}"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# Streamlit's own floor: a one-button app served the same way, loaded in a
# fresh browser context like the sign-in page (its front end, about 60
# script files, and one script run of nothing); and the least a sign-in form
# costs (the text boxes' script files are loaded on demand, ~20 more).
FLOOR_APP = 'import streamlit as st\n\nst.button("Sign in")\n'
FORM_FLOOR_APP = (
    "import streamlit as st\n\n"
    'with st.form("sign_in"):\n'
    '    st.text_input("Username")\n'
    '    st.text_input("Password", type="password")\n'
    '    st.form_submit_button("Sign in")\n'
)


def start_server(
    workdir: Path, script: str = "Home.py", *, root: Path = ROOT, name: str = ""
) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    name = name or Path(script).stem
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / f'stride-{name}.db'}",
        "STRIDE_DATA_DIR": str(workdir / f"data-{name}"),
        "STRIDE_SEED_DEMO": "1",
    }
    log = (workdir / f"server-{name}.log").open("wb")
    process = subprocess.Popen(  # noqa: S603  (our interpreter, our app)
        [
            sys.executable,
            *("-m", "streamlit", "run", script, "--server.address=127.0.0.1"),
            f"--server.port={port}",
            "--server.headless=true",
            "--server.fileWatcherType=none",
            "--browser.gatherUsageStats=false",
        ],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=1) as reply:  # noqa: S310
                if reply.status == 200:
                    return process, base
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit(f"the server did not start; see {workdir / f'server-{name}.log'}")


def settle(page: Any, started: float, *, timeout_s: float = 30.0) -> float:
    """Seconds from `started` until the app is idle and stays idle QUIET_S."""
    idle_since: float | None = None
    deadline = started + timeout_s
    while time.perf_counter() < deadline:
        connection, script = page.evaluate(STATE_JS)
        now = time.perf_counter()
        if connection == "CONNECTED" and script == "notRunning":
            idle_since = idle_since or now
            if now - idle_since >= QUIET_S:
                return idle_since - started
        else:
            idle_since = None
        time.sleep(0.02)
    raise TimeoutError("the page did not settle")


def _sign_in_page(browser: Any, base: str) -> tuple[float, float]:
    """(usable, settled): seconds until the Username box (or, in the
    one-button app, the button) takes input, and until the app is idle."""
    context = browser.new_context()
    try:
        page = context.new_page()
        started = time.perf_counter()
        page.goto(base)
        button = page.get_by_role("button", name="Sign in")
        button.wait_for(timeout=30_000)
        username = page.get_by_role("textbox", name="Username")
        if username.count():
            username.wait_for(timeout=30_000)
            page.wait_for_function(
                "() => { const box = document.querySelector('input[aria-label=\"Username\"]');"
                " return box && !box.disabled && !box.readOnly; }",
                polling="raf",
            )
        usable = time.perf_counter() - started
        return usable, settle(page, started)
    finally:
        context.close()


def _cpu_seconds(process: subprocess.Popen[bytes] | None) -> float:
    """User + system CPU seconds of a server process so far (Linux)."""
    if process is None:
        return float("nan")
    try:
        fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _sign_in(page: Any, base: str, username: str, password: str) -> None:
    page.goto(base)
    page.get_by_role("textbox", name="Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Hello,").first.wait_for(timeout=30_000)
    settle(page, time.perf_counter())


def _navigation_titles(page: Any) -> list[str]:
    nav = page.get_by_test_id("stSidebarNav")
    toggle = nav.get_by_test_id("stSidebarNavViewButton")
    if toggle.count() and "more" in toggle.inner_text():
        toggle.click()
    # A link reads "icon-ligature\n\nTitle": the title is its last line.
    return [link.inner_text().strip().split("\n")[-1] for link in nav.get_by_role("link").all()]


def measure(
    base: str,
    runs: int,
    roles: list[str],
    others: dict[str, str] | None = None,
    processes: dict[str, subprocess.Popen[bytes] | None] | None = None,
) -> dict[str, Any]:
    """`others` are further sign-in pages (floor apps, another checkout) to
    load alternated with this one; `processes` their servers, for CPU time."""
    from playwright.sync_api import sync_playwright

    from seed.demo import DEMO_PASSWORD

    chromium = os.environ.get("STRIDE_CHROMIUM", "/usr/bin/chromium")
    results: dict[str, Any] = {"pages": {}}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        # The first page a just-started server serves imports the app and
        # checks the demo: reported apart, not in the median.
        results["first_after_start"] = _sign_in_page(browser, base)[1]
        bases = {"sign-in page": base, **(others or {})}
        for other in (others or {}).values():
            _sign_in_page(browser, other)  # its own first page, not measured
        visits: dict[str, list[tuple[float, float]]] = {name: [] for name in bases}
        cpu: dict[str, list[float]] = {name: [] for name in bases}
        for _ in range(runs):  # alternated: the machine's load falls on all alike
            for name, url in bases.items():
                process = (processes or {}).get(name)
                before = _cpu_seconds(process)
                visits[name].append(_sign_in_page(browser, url))
                cpu[name].append(_cpu_seconds(process) - before)
        results["sign_in_pages"] = {
            name: (
                statistics.median(usable for usable, _ in values),
                statistics.median(settled for _, settled in values),
                statistics.median(cpu[name]),
            )
            for name, values in visits.items()
        }
        results["sign_in"] = results["sign_in_pages"]["sign-in page"][1]
        for username in roles:
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            page = context.new_page()
            _sign_in(page, base, username, DEMO_PASSWORD)
            titles = _navigation_titles(page)
            timings: dict[str, list[float]] = {title: [] for title in titles}
            for _ in range(runs):
                for title in titles:
                    link = page.get_by_test_id("stSidebarNav").get_by_role(
                        "link", name=title, exact=True
                    )
                    if not link.count():
                        _navigation_titles(page)
                    started = time.perf_counter()
                    link.click()
                    timings[title].append(settle(page, started))
            results["pages"][username] = {t: statistics.median(v) for t, v in timings.items()}
            context.close()
        browser.close()
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--roles", nargs="+", default=list(ROLES), choices=list(ROLES))
    parser.add_argument("--sign-in-only", action="store_true", help="skip the roles' pages")
    parser.add_argument("--base-url", help="measure a running server instead of starting one")
    parser.add_argument(
        "--before-root",
        type=Path,
        help="another checkout (e.g. main) whose sign-in page is loaded alternated with this one",
    )
    args = parser.parse_args(argv)
    processes: dict[str, subprocess.Popen[bytes] | None] = {}
    others: dict[str, str] = {}
    workdir = Path(tempfile.mkdtemp(prefix="stride-browser-bench-"))
    if args.base_url:
        base = args.base_url
        processes["sign-in page"] = None
    else:
        processes["sign-in page"], base = start_server(workdir, name="Home")
    if args.before_root:
        processes["before"], others["before"] = start_server(
            workdir, root=args.before_root.resolve(), name="before"
        )
    for name, source in (("one-button app", FLOOR_APP), ("form of two boxes", FORM_FLOOR_APP)):
        script = workdir / f"floor-{len(others)}.py"
        script.write_text(source)
        processes[name], others[name] = start_server(workdir, str(script))
    try:
        r = measure(base, args.runs, [] if args.sign_in_only else args.roles, others, processes)
    finally:
        for process in processes.values():
            if process is not None:
                process.terminate()
                process.wait(timeout=10)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"Stride browser benchmark (Chromium), load {load:.1f}, median of {args.runs} runs")
    print("  sign-in, fresh browser context     usable  settled  server CPU per visit")
    for name, (usable, settled, cpu) in r["sign_in_pages"].items():
        label = name if name in ("sign-in page", "before") else f"(Streamlit alone: {name})"
        flag = " (over target)" if name == "sign-in page" and settled > SIGN_IN_TARGET_S else ""
        print(f"    {label:<34}{usable:6.2f}  {settled:6.2f} s  {cpu:6.3f} s{flag}")
    print(f"  (this sign-in page, first after the server started: {r['first_after_start']:.2f} s)")
    for username, pages in r["pages"].items():
        print(f"\n  {username} ({ROLES[username]}): page settled after its navigation click")
        for title, seconds in pages.items():
            flag = " (over target)" if seconds > PAGE_TARGET_S else ""
            print(f"    {title:<22} {seconds:6.2f} s{flag}")


if __name__ == "__main__":
    main()
