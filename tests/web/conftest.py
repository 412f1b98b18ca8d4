"""Browser tests: the real app served by uvicorn (sshmon.server.serve) on a thread of this
process (chDB's store lives in-process), driven by Debian's Chromium through Playwright.

Every page gets two recorders: console errors and Content-Security-Policy violations
(the `securitypolicyviolation` DOM event, which also catches blocked inline script/style
that never reaches the console as an error on some versions).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "api"))  # fleetdata, synth

from fleetdata import Fleet, fleet
from livesite import LiveServer, Page, free_port, local_ps, start_server

from api.context import AppContext, QueryPool, WebSettings
from api.websettings import RateLimitSettings
from store.db import connect

__all__ = ["fleet"]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RECORDER = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


@pytest.fixture(scope="session")
def web_ctx(fleet: Fleet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppContext]:
    ctx = AppContext(
        # a page load fetches its charts in batches, and a module of browser tests shares
        # one server and one client address: the request budget (covered by
        # tests/api/test_rate_limit.py) would answer some of them 429 here
        settings=WebSettings(port=free_port(), rate_limit=RateLimitSettings(enabled=False)),
        queries=QueryPool(lambda: connect(fleet.settings)),
        inventory=fleet.inventory,
        data_dir=tmp_path_factory.mktemp("web"),
        top_processes=local_ps,
        clock=fleet.clock(),  # the fleet's fixed "now", whatever the wall clock says
    )
    yield ctx
    ctx.queries.close()


@pytest.fixture(scope="session")
def server(web_ctx: AppContext) -> Iterator[LiveServer]:
    live = start_server(web_ctx)
    yield live
    live.shutdown()


def _real_clock_env() -> dict[str, str]:
    """Chromium's environment without libfaketime: under tests/at_other_hours.sh the browser
    crashes at start (its zygote cannot fork), and nothing on the pages reads the wall
    clock; the server, which does, stays faked."""
    return {
        k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("FAKETIME")
    }


# module scope: Playwright's sync API keeps an event loop running on this thread while it
# is open, which would break asyncio tests collected after this module
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, env=_real_clock_env()
        )
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.add_init_script(RECORDER)
    p = context.new_page()
    rec = Page(p)
    p.on("console", lambda m: rec.errors.append(m.text) if m.type == "error" else None)
    p.on("pageerror", lambda e: rec.errors.append(str(e)))
    yield rec
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
