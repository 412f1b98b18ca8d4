"""The host page's link, temperature and RAID tables in headless Chromium: what the
collectors derived from a real fixture tree (tests/fixtures/sysclass, beside node_exporter's
output for it), stored through the real writer, read back and rendered; "unavailable" for a
host that has none; target text (an interface or sensor name) escaped."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import synth
from livesite import LiveServer, free_port, kept_forever, start_server

from api.context import AppContext, QueryPool, WebSettings
from api.format import NONE as D
from api.websettings import RateLimitSettings
from poller.collectors.registry import parse_all
from poller.derive import Snapshot, derive
from poller.inventory import Host, Inventory
from poller.points import Point
from poller.replay import sections_from_root
from store.db import connect
from store.writer import Writer

pytestmark = pytest.mark.browser
NOW = 1_790_006_400.0
TREE = Path(__file__).resolve().parents[1] / "fixtures" / "sysclass"
XSS = "<img src=x onerror=window.__xss=7>"
HW = synth.HostShape("hw-1", ifaces=("eth0", "lo"))
PLAIN = synth.HostShape("plain-1")


def _hardware_points(ts: float) -> list[Point]:
    readings = parse_all(sections_from_root(TREE)).readings
    points = derive("hw-1", Snapshot(0, readings), Snapshot(10, readings))
    hostile = [
        Point("net_oper_state", "hw-1", XSS, ts, 6),
        Point("temp_celsius", "hw-1", XSS, ts, 1),
    ]
    flapped = ("net_carrier_changes", "eth1")  # the tree's own counters do not move
    return [
        p._replace(ts=ts, value=3.0) if (p.metric, p.dev) == flapped else p._replace(ts=ts)
        for p in points
    ] + hostile


@pytest.fixture(scope="module")
def site(chdb_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("hw")
    settings = kept_forever(chdb_dir, data / "spool", "hw")
    writer = Writer(settings, catalog={})
    writer.start()
    for shape in (HW, PLAIN):
        for points in synth.history(shape, NOW - 60, NOW, 10):
            writer.submit(points)
            writer.submit_status(synth.status(shape, points[0].ts))
        writer.submit_host_info(synth.info(shape, NOW))
    writer.submit(_hardware_points(NOW - 10))
    assert writer.close(60), "writer did not flush"
    hosts = (
        Host(name="hw-1", interval=10, address="10.0.2.1"),
        Host(name="plain-1", interval=10, address="10.0.2.2"),
    )
    ctx = AppContext(
        settings=WebSettings(port=free_port(), rate_limit=RateLimitSettings(enabled=False)),
        queries=QueryPool(lambda: connect(settings)),
        inventory=Inventory(path=Path("inventory.yaml"), hosts=hosts),
        data_dir=data,
        clock=lambda: NOW,
    )
    server = start_server(ctx)
    try:
        yield server
    finally:
        server.shutdown()
        ctx.queries.close()
        client = connect(settings)
        client.command(f"DROP DATABASE IF EXISTS `{settings.database}`")
        client.close()


def _rows(p: Any, table: str) -> dict[str, list[str]]:
    rows = p.eval_on_selector_all(
        f"#{table} tbody tr",
        "rs => rs.map(r => Array.from(r.cells).map(c => c.textContent.trim()))",
    )
    return {r[0]: r[1:] for r in rows}


def _open(browser: Any, url: str, *, dark: bool = False) -> Any:
    ctx = browser.new_context(
        viewport={"width": 1400, "height": 1000}, color_scheme="dark" if dark else "light"
    )
    p = ctx.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    p.goto(url)
    p.wait_for_selector("#hw-links")
    p.errors = errors
    return p


def test_tables_show_the_stored_values(site: LiveServer, browser: Any, artifacts: Path) -> None:
    p = _open(browser, f"{site.url}/hosts/hw-1")
    links = _rows(p, "hw-links")
    # interface: state, carrier, speed, MTU, duplex, flaps (values of the fixture tree)
    assert links["eth4"] == ["up", "yes", "10 Gb/s", "1500", "full", "0"]
    assert links["eth5"] == ["up", "yes", "100 Mb/s", "1500", "half", "0"]
    assert links["eth1"] == ["down", "no", D, "1500", D, "3"]
    assert links["bond0"] == ["up", "yes", D, "1500", "full", "0"]  # speed -1: unknown
    assert links["lo"] == ["unknown", "yes", D, "65536", D, "0"]
    flaps = "#hw-links tbody tr:has(td:text-is('{}')) td:last-child"
    assert "hw-bad" in (p.get_attribute(flaps.format("eth1"), "class") or "")
    assert "hw-bad" not in (p.get_attribute(flaps.format("eth4"), "class") or "")
    temps = _rows(p, "hw-temps")
    assert temps["coretemp/Package id 0"] == ["61.0 °C", "100.0 °C"]
    # two nvme drives: told apart by their devices (stable), not by hwmonN (load order)
    assert temps["nvme nvme_nvme0/Composite"] == ["38.9 °C", "84.8 °C"]  # 38.85, 84.85
    assert temps["nvme nvme_nvme1/Composite"] == ["41.9 °C", "84.8 °C"]
    assert temps["acpitz/temp0"] == ["41.8 °C", D]  # its thermal zone's own `temp`
    assert temps["platform_it87_2608/temp1"] == ["35.0 °C", "127.0 °C"]  # max: no crit
    assert temps["acpitz/temp1"] == ["27.8 °C", "119.0 °C"]
    assert temps["hwmon4/temp2"] == ["54.0 °C", "100.0 °C"]  # two "foosensor" labels
    assert temps["x86_pkg_temp/10"] == ["61.0 °C", D]
    assert temps["INT3400 Thermal/0"] == ["20.0 °C", D]
    raid = _rows(p, "hw-raid")
    assert raid["md6"] == ["recovering (degraded)", "1 of 2 active", "1", "1", "8.59 %"]
    assert raid["md201"] == ["checking", "2 of 2 active", "0", "0", "5.73 %"]
    assert raid["md3"] == ["active", "8 of 8 active", "0", "2", D]
    assert raid["md4"] == ["inactive", "0 of 0 active", "1", "1", D]
    # every column in view: no panel cut its table off at the edge (the Flaps column once was)
    clipped = p.eval_on_selector_all(
        ".hw", "ss => ss.filter(s => s.scrollWidth > s.clientWidth).map(s => s.id)"
    )
    assert clipped == []
    assert XSS in links and XSS in temps  # shown as text
    assert p.evaluate("window.__xss") is None and p.errors == []
    p.locator(".hw-tables").screenshot(path=str(artifacts / "host-hardware.png"))
    dark = _open(browser, f"{site.url}/hosts/hw-1", dark=True)
    dark.locator(".hw-tables").screenshot(path=str(artifacts / "host-hardware-dark.png"))


def test_on_a_phone_the_tables_stay_within_the_screen(site: LiveServer, browser: Any) -> None:
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    p = ctx.new_page()
    p.goto(f"{site.url}/hosts/hw-1")
    p.wait_for_selector("#hw-links")
    # the page does not scroll sideways; a table wider than the screen scrolls in its panel
    assert p.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    widths = p.eval_on_selector_all(".hw", "ss => ss.map(s => s.getBoundingClientRect().right)")
    assert widths and max(widths) <= 390
    ctx.close()


def test_a_host_without_them_says_unavailable(site: LiveServer, browser: Any) -> None:
    p = _open(browser, f"{site.url}/hosts/plain-1")
    for table, what in (
        ("hw-links", "/sys/class/net"),
        ("hw-temps", "hwmon"),
        ("hw-raid", "mdstat"),
    ):
        text = p.inner_text(f"#{table}")
        assert "unavailable" in text and what in text
        assert p.locator(f"#{table} table").count() == 0
