"""Real-browser tests: Debian's Chromium (`/usr/bin/chromium`, apt package `chromium`) driven headless by Playwright's
Python API (no browser download). Without Chromium or Playwright they skip, unless `REPROLAB_REQUIRE_BROWSER=1`
(CI sets it: there a missing browser is a failure, not a skip)."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("REPROLAB_CHROMIUM", "/usr/bin/chromium")
# as the machine's closed network needs: no background connections, no first-run or sync requests
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def _missing(reason: str) -> None:
    """Skip, or fail where CI requires the browser tests to run."""
    if os.environ.get("REPROLAB_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (REPROLAB_REQUIRE_BROWSER=1)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -e '.[dev]')")
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        _missing(f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Served:
    """A folder served over HTTP on 127.0.0.1 (a free port) in a background thread."""

    def __init__(self, root: Path) -> None:
        handler = functools.partial(_QuietHandler, directory=str(root))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # one line per request would flood the test log
        pass


@pytest.fixture(scope="session")
def open_page(browser):
    """open_page(url) -> (page, problems): a new page at `url`, loaded, and the console errors, uncaught
    exceptions, failed requests and HTTP errors it produced."""
    return functools.partial(_open_page, browser)


@pytest.fixture(scope="session")
def serve():
    """serve(folder) -> Served; every server started is stopped at the end of the session."""
    started: list[Served] = []
    yield lambda root: started.append(Served(root)) or started[-1]
    for served in started:
        served.close()


def _open_page(browser, url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"exception: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    return page, problems
