"""Browser tests: Playwright's sync API driving Debian's chromium (never a downloaded browser)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse the
# ORM calls the test makes to build its data.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = Path("/tmp/jiceng-shots")
# The strict policy the product is meant to run under (settings.JICENG_CSP when present): pages
# must work with no inline script or style. Enforced here on every response, so a violation shows
# up as a console error even before the CSP middleware sends the header itself.
STRICT_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
              "object-src 'none'; base-uri 'self'; form-action 'self'")


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) to run "
                    "the browser tests. Never run 'playwright install'.", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageProbe:
    """A page plus what went wrong on it: script errors and requests leaving the test server."""

    def __init__(self, page, base_url: str):
        self.page = page
        self.errors: list[str] = []
        self.external: list[str] = []
        host = urlparse(base_url).netloc
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        page.on("request", lambda req: self.external.append(req.url)
                if urlparse(req.url).netloc not in (host, "") else None)
        page.on("response", lambda resp: self.errors.append(f"HTTP {resp.status} {resp.url}")
                if resp.status >= 400 else None)

    def shot(self, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


def csp_context(chromium, live_server, *, csp: str = STRICT_CSP, pass_posts: bool = False, **kwargs):
    """A Chinese-language browser context whose every response from the test server carries the
    strict CSP. ``pass_posts``: POSTs go through untouched (route.fetch drops multipart bodies).
    Close it with ``close_context``."""
    from playwright.sync_api import Error as PlaywrightError

    context = chromium.new_context(locale="zh-CN", **kwargs)
    context.set_default_timeout(10_000)

    def with_csp(route):
        try:
            if pass_posts and route.request.method == "POST":
                route.continue_()
                return
            response = route.fetch(max_redirects=0)
            route.fulfill(response=response, headers={**response.headers, "content-security-policy": csp})
        except PlaywrightError:
            return  # the page or context went away while this request was in flight

    context.route(f"{live_server.url}/**", with_csp)
    return context


class _InFlight:
    """Requests the live server is still answering. A page's late fetch (the console map's data,
    say) can still be running in the server's thread after the test has finished; on SQLite the
    server shares the test's in-memory connection, and the flush after the test then hangs on it.
    Counted from Django's request signals, so it covers requests whichever way they came."""

    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()

    def started(self, **kwargs):
        with self.lock:
            self.count += 1

    def finished(self, **kwargs):
        with self.lock:
            self.count -= 1

    def wait_idle(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while self.count > 0 and time.monotonic() < deadline:
            time.sleep(0.02)


IN_FLIGHT = _InFlight()


@pytest.fixture(scope="session", autouse=True)
def _count_requests_in_flight():
    from django.core.signals import request_finished, request_started

    request_started.connect(IN_FLIGHT.started, dispatch_uid="browser-in-flight-start")
    request_finished.connect(IN_FLIGHT.finished, dispatch_uid="browser-in-flight-finish")
    yield
    request_started.disconnect(dispatch_uid="browser-in-flight-start")
    request_finished.disconnect(dispatch_uid="browser-in-flight-finish")


def close_context(context) -> None:
    """Close the browser context, then wait until the server has answered whatever it sent."""
    context.unroute_all(behavior="ignoreErrors")
    context.close()
    IN_FLIGHT.wait_idle()


@pytest.fixture
def browser_page(chromium, live_server):
    """A fresh Chinese-language context per test (zh-CN, as on a county office's PC)."""
    from django.conf import settings

    context = csp_context(chromium, live_server, csp=getattr(settings, "JICENG_CSP", None) or STRICT_CSP,
                          viewport={"width": 1280, "height": 900})
    probe = PageProbe(context.new_page(), live_server.url)
    yield probe
    close_context(context)
