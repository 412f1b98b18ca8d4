"""The dashboard in headless Chromium: pages render real data, every chart draws, range and
zoom live in the URL, live updates arrive, and nothing breaks the CSP or logs an error."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fleetdata import FLEET_NOW, XSS_IFACE, XSS_LABEL, XSS_MOUNT, XSS_UNIT
from livesite import LiveServer, Page, free_port, start_server

from api.context import AppContext
from api.hub import Hub
from api.routes import pages
from poller.points import HostState, Point, PollStatus

pytestmark = pytest.mark.browser
CHARTS = 13  # api.charts.CHARTS


def _wait_charts(p: Any, n: int = CHARTS) -> None:
    p.wait_for_function(
        f"() => document.querySelectorAll('#charts canvas').length >= {n}", timeout=10_000
    )


def test_overview_renders_sorts_and_filters(
    server: LiveServer, page: Page, artifacts: Path
) -> None:
    p = page.page
    p.goto(server.url + "/")
    rows = p.locator("#hosts tbody tr[data-host]")
    assert rows.count() == 5
    assert (
        p.locator('tr[data-host="down-1"] .badge')
        .get_attribute("title")
        .startswith("connect: No route to host")
    )
    p.wait_for_function("() => document.querySelector('tr[data-host=\"web-1\"] canvas') !== null")
    # sort by CPU: numbers sort worst first; web-1 (synth base 35 %) leads
    p.click("th[data-key=cpu] button")
    assert p.locator("#hosts tbody tr[data-host]").first.get_attribute("data-host") == "web-1"
    assert p.get_attribute("th[data-key=cpu]", "aria-sort") == "descending"
    assert "sort=-cpu" in p.url
    p.select_option("#group", "db")
    assert p.locator("#hosts tbody tr[data-host]:not([hidden])").count() == 1
    assert "group=db" in p.url
    p.select_option("#group", "")
    p.fill("#q", "10.0.0.1")  # search covers addresses
    p.wait_for_function("() => document.getElementById('count').textContent.startsWith('2 of')")
    p.fill("#q", "")
    p.wait_for_function("() => document.getElementById('count').textContent.startsWith('5 of')")
    # sparklines drew something (a canvas with non-transparent pixels)
    drawn = p.evaluate("""() => { const c = document.querySelector('tr[data-host="web-1"] canvas');
        return c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some((v) => v > 0); }""")
    assert drawn
    p.screenshot(path=str(artifacts / "overview.png"), full_page=True)
    page.assert_clean()


def test_big_fleets_reveal_rows_as_the_table_is_scrolled(
    server: LiveServer, page: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "OVERVIEW_PAGE", 2)  # the server runs in this process
    p = page.page
    html = p.request.get(server.url + "/").text()
    assert html.count("<tr hidden data-host=") == 3  # sent, but not laid out
    p.goto(server.url + "/")
    shown = "#hosts tbody tr[data-host]:not([hidden])"
    # the end of a 2-row table is on screen: the next pages come by themselves
    p.wait_for_function(
        "() => document.querySelectorAll('#hosts tbody tr[data-host]:not([hidden])').length === 5"
    )
    assert p.is_hidden("#more")
    assert p.locator(shown).first.get_attribute("data-host") == "db-1"  # name order
    page.assert_clean()


def test_host_page_draws_every_chart(server: LiveServer, page: Page, artifacts: Path) -> None:
    p = page.page
    p.goto(server.url + "/hosts/db-1?range=6h")
    _wait_charts(p)
    # the fleet's hosts store no per-core series, no TCP states and no kernel drops
    # (test_charts.py draws them on cores-1); every other chart has data
    empty = p.eval_on_selector_all("#charts figure.nodata", "fs => fs.map(f => f.dataset.chart)")
    assert empty == ["cpu_cores", "tcp_states", "drops"]
    # per-device series: both disks and both mounts are in the legends
    legends = p.locator("#charts .u-legend").all_inner_texts()
    joined = " ".join(legends)
    for label in ("sda read", "sdb write", "/var/lib/postgresql", "eth0 in", "iowait", "io full"):
        assert label in joined, label
    # crosshair: hovering a chart fills the legend with human-formatted values (scrolled to
    # first: with the per-core and disk charts above it, it starts below the fold)
    p.locator("figure[data-chart=memory]").scroll_into_view_if_needed()
    box = p.locator("figure[data-chart=memory] .u-over").bounding_box()
    p.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    legend = p.locator("figure[data-chart=memory] .u-legend").inner_text()
    assert re.search(r"\d+(\.\d)? GiB", legend), legend
    p.mouse.move(0, 0)
    p.click("#procs summary")  # runs the fixed ps (here on this machine, see conftest)
    p.wait_for_function(
        "() => document.getElementById('procs-status').textContent.includes('processes')"
    )
    assert p.locator("#procs-cpu tbody tr").count() == 15
    assert p.locator("#procs-mem tbody tr").first.locator("td").nth(3).inner_text().endswith("iB")
    p.screenshot(path=str(artifacts / "host.png"), full_page=True)
    page.assert_clean()


def test_range_change_and_zoom_update_url_and_charts(server: LiveServer, page: Page) -> None:
    p = page.page
    p.goto(server.url + "/hosts/web-1")
    _wait_charts(p)
    assert "raw data" in p.inner_text("#chart-status")
    p.click("#ranges a[data-range='30d']")
    p.wait_for_url(re.compile(r"\?range=30d$"))
    p.wait_for_function(
        "() => document.getElementById('chart-status').textContent.startsWith('1h data')"
    )
    assert p.get_attribute("#ranges a[data-range='30d']", "aria-current") == "true"
    p.click("#ranges a[data-range='1h']")
    p.wait_for_function(
        "() => document.getElementById('chart-status').textContent.startsWith('raw data')"
    )
    before = p.evaluate("window.sshmonHost.current().charts[0].ts.length")
    box = p.locator("figure[data-chart=cpu] .u-over").bounding_box()
    y = box["y"] + box["height"] / 2
    p.mouse.move(box["x"] + box["width"] * 0.2, y)
    p.mouse.down()
    p.mouse.move(box["x"] + box["width"] * 0.5, y, steps=5)
    p.mouse.up()
    p.wait_for_url(re.compile(r"\?from=\d+&to=\d+$"))
    p.wait_for_function(f"() => window.sshmonHost.current().charts[0].ts.length < {before}")
    start, end = (int(x) for x in re.findall(r"=(\d+)", p.url))
    assert 600 < end - start < 2400  # about 30 % of the hour
    # back to where we were
    # about:blank, the page, 30d, 1h, one zoom: a drag is one entry, not one per chart
    assert p.evaluate("history.length") == 5
    p.go_back()  # same-document history entry: popstate redraws the hour
    p.wait_for_function("() => location.search === '?range=1h'")
    p.wait_for_function(
        "() => { const c = window.sshmonHost.current(); return Math.round(c.to - c.from) === 3600; }"
    )
    page.assert_clean()


def test_live_updates_arrive_on_overview_and_host_page(
    server: LiveServer, page: Page, browser: Any
) -> None:
    p = page.page
    p.goto(server.url + "/")
    p.wait_for_function(
        "() => document.getElementById('live').dataset.state === 'on'", timeout=10_000
    )
    host_ctx = browser.new_context()
    hp = host_ctx.new_page()
    hp.goto(server.url + "/hosts/web-2?range=15m")
    _wait_charts(hp)
    hp.wait_for_function("() => document.getElementById('live').dataset.state === 'on'")
    ts = FLEET_NOW + 1
    points = [
        Point("cpu_busy_percent", "web-2", "", ts, 97.5),
        Point("cpu_user_percent", "web-2", "", ts, 90.0),
        Point("mem_used_percent", "web-2", "", ts, 12.5),
    ]
    server.publish("web-2", PollStatus("web-2", ts, HostState.OK, "", 0.1), points)
    p.wait_for_function(
        "() => document.querySelector('tr[data-host=\"web-2\"] td[data-k=cpu]').textContent === '98 %'"
    )
    assert p.inner_text('tr[data-host="web-2"] td[data-k=mem]') == "13 %"
    # the poll is the charts' newest point (the oldest slid out of the 15-minute window)
    hp.wait_for_function(f"() => window.sshmonHost.current().charts[0].ts.at(-1) === {ts}")
    assert hp.evaluate("window.sshmonHost.current().charts[0].values[0].at(-1)") == 90.0
    # the x axis slid with it: it ends at the new poll and still spans 15 minutes
    x = hp.evaluate("(() => { const s = window.sshmonHost.plots.get('cpu').u.scales.x;"
                    " return [s.min, s.max]; })()")
    assert x == [ts - 900, ts]
    # and so did the charts this poll had nothing for (no filesystem points in it)
    fs = hp.evaluate("(() => { const s = window.sshmonHost.plots.get('fs').u.scales.x;"
                     " return [s.min, s.max]; })()")
    assert fs == [ts - 900, ts]
    assert hp.inner_text("#lastpoll") == "just now"
    host_ctx.close()
    page.assert_clean()


def test_live_stream_reconnects_after_a_server_restart(
    server: LiveServer, web_ctx: AppContext, page: Page
) -> None:
    # a second server on its own port, so the session's server keeps serving other tests
    ctx = replace(
        web_ctx, settings=web_ctx.settings.model_copy(update={"port": free_port()}), hub=Hub()
    )
    first = start_server(ctx)
    p = page.page
    p.goto(first.url + "/")
    p.wait_for_function("() => document.getElementById('live').dataset.state === 'on'")
    first.shutdown()  # ends the stream: the badge says so and EventSource starts retrying
    p.wait_for_function("() => document.getElementById('live').dataset.state === 'off'")
    second = start_server(replace(ctx, hub=Hub()))
    try:
        p.wait_for_function(
            "() => document.getElementById('live').dataset.state === 'on'", timeout=20_000
        )
        ts = FLEET_NOW + 3
        second.publish(
            "db-1",
            PollStatus("db-1", ts, HostState.OK, "", 0.1),
            [Point("cpu_busy_percent", "db-1", "", ts, 77.0)],
        )
        p.wait_for_function(
            "() => document.querySelector('tr[data-host=\"db-1\"] td[data-k=cpu]')"
            ".textContent === '77 %'"
        )
    finally:
        second.shutdown()
    # the page logged the dropped connection (net::ERR_*) while the server was away: expected
    assert page.csp() == []


def test_script_payloads_from_targets_never_run(
    server: LiveServer, page: Page, artifacts: Path
) -> None:
    p = page.page
    p.goto(server.url + "/")
    assert p.get_attribute('tr[data-host="evil"]', "data-labels").strip() == f"team={XSS_LABEL}"
    p.goto(server.url + "/hosts/evil?range=1h")
    _wait_charts(p)
    legends = " ".join(p.locator("#charts .u-legend").all_inner_texts())
    assert XSS_IFACE in legends and XSS_MOUNT in legends  # shown as text
    assert XSS_LABEL in p.inner_text(".facts")
    assert XSS_UNIT in p.inner_text(".facts .failed-units")  # a failed systemd unit's name
    p.locator(".facts").screenshot(path=str(artifacts / "host-failed-units.png"))
    # and the same names arriving live
    ts = FLEET_NOW + 2
    server.publish(
        "evil",
        PollStatus("evil", ts, HostState.OK, XSS_LABEL, 0.1),
        [Point("net_rx_bytes_per_second", "evil", XSS_IFACE, ts, 1.0)],
    )
    p.wait_for_timeout(500)
    assert p.evaluate("window.__xss") is None
    assert p.locator("img[src=x]").count() == 0 and p.locator("#charts script").count() == 0
    page.assert_clean()


def test_dark_theme_follows_the_os(server: LiveServer, browser: Any, artifacts: Path) -> None:
    ctx = browser.new_context(color_scheme="dark", viewport={"width": 1400, "height": 900})
    p = ctx.new_page()
    p.goto(server.url + "/hosts/web-1?range=6h")
    _wait_charts(p)
    background = p.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(15, 18, 24)"  # --bg of the dark palette in app.css
    p.screenshot(path=str(artifacts / "host-dark.png"))
    ctx.close()


def test_phone_layout_has_no_horizontal_page_scroll(
    server: LiveServer, browser: Any, artifacts: Path
) -> None:
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    p = ctx.new_page()
    p.goto(server.url + "/hosts/web-1")
    _wait_charts(p)
    overflow = p.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
    p.screenshot(path=str(artifacts / "host-phone.png"))
    p.goto(server.url + "/")
    # the wide table scrolls inside its box, the page itself does not
    assert p.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
    ctx.close()


def test_keyboard_reaches_sorting_and_ranges(server: LiveServer, page: Page) -> None:
    p = page.page
    p.goto(server.url + "/")
    p.focus("th[data-key=mem] button")
    p.keyboard.press("Enter")
    assert p.get_attribute("th[data-key=mem]", "aria-sort") == "descending"
    page.assert_clean()
