"""The fleet overview in headless Chromium, on the fixed-epoch site of tests/web/chartsite.py:
values past a threshold of a rule in effect are coloured as warning/critical (per-host
overrides included), and on a phone the host column stays in view while the table scrolls."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chartsite import NOW, ChartSite, start

from poller.points import HostState, Point, PollStatus

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(chdb_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChartSite]:
    yield from start(chdb_dir, tmp_path_factory.mktemp("overview"))


def rgb(hex_color: str) -> str:
    h = hex_color.strip().lstrip("#")
    return "rgb({}, {}, {})".format(*(int(h[i : i + 2], 16) for i in (0, 2, 4)))


def cell(p: Any, host: str, key: str) -> dict[str, Any]:
    return dict(
        p.evaluate(
            """([host, key]) => {
              const td = document.querySelector(`tr[data-host="${host}"] td[data-k="${key}"]`);
              const css = getComputedStyle(document.documentElement);
              return {v: td.dataset.v, cls: td.className, text: td.textContent,
                      color: getComputedStyle(td).color,
                      warn: css.getPropertyValue('--warn'), bad: css.getPropertyValue('--bad')}; }""",
            [host, key],
        )
    )


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_values_past_a_threshold_are_coloured_by_severity(
    site: ChartSite, browser: Any, artifacts: Path, dark: bool
) -> None:
    ctx = browser.new_context(viewport={"width": 1400, "height": 600},
                              color_scheme="dark" if dark else "light")
    p = ctx.new_page()
    p.goto(site.url + "/")
    # mem_high: warning 30, critical 50; new-1 overridden to critical 35 (chartsite.rules)
    limits = {"rates-1": (30.0, 50.0), "new-1": (30.0, 35.0)}
    seen = set()
    for host, (warning, critical) in limits.items():
        mem = cell(p, host, "mem")
        value = float(mem["v"])
        want = "critical" if value > critical else "warning" if value > warning else ""
        assert mem["cls"] == (f"lvl-{want}" if want else ""), (host, mem)
        if want:
            assert mem["color"] == rgb(mem["warn"] if want == "warning" else mem["bad"])
        seen.add(want)
        cpu = cell(p, host, "cpu")  # ~12 % busy: under cpu_hot's 80, plain
        assert cpu["cls"] == "" and float(cpu["v"]) < 80
    assert seen == {"warning", "critical"}  # the data shows both, or this test shows nothing
    # the JSON says the same
    rows = {r["name"]: r for r in p.request.get(site.url + "/api/v1/hosts").json()}
    assert rows["rates-1"]["levels"] == {"mem": "warning"}
    assert rows["new-1"]["levels"] == {"mem": "critical"}
    # net in is eth0 alone: lo stays on the box, ifb0 only mirrors eth0's ingress
    latest = p.request.get(site.url + "/api/v1/hosts/rates-1").json()["latest"]
    rx = {r["dev"]: r["value"] for r in latest if r["metric"] == "net_rx_bytes_per_second"}
    assert set(rx) == {"eth0", "lo", "ifb0"}
    assert rows["rates-1"]["net_in"] == pytest.approx(rx["eth0"])
    p.screenshot(path=str(artifacts / f"overview-levels-{'dark' if dark else 'light'}.png"))
    ctx.close()


def test_live_values_take_their_threshold_colour(site: ChartSite, browser: Any) -> None:
    ctx = browser.new_context(viewport={"width": 1400, "height": 600})
    p = ctx.new_page()
    p.goto(site.url + "/")
    p.wait_for_function("() => document.getElementById('live').dataset.state === 'on'")
    mem = 'tr[data-host="rates-1"] td[data-k="mem"]'
    for step, (value, shown, cls) in enumerate(
        [(60.0, "60 %", "lvl-critical"), (20.0, "20 %", ""), (31.0, "31 %", "lvl-warning")]
    ):
        ts = NOW + 10 * (step + 1)
        site.server.publish(
            "rates-1",
            PollStatus("rates-1", ts, HostState.OK, "", 0.1),
            [Point("mem_used_percent", "rates-1", "", ts, value)],
        )
        p.wait_for_function(
            f"() => document.querySelector('{mem}').textContent === '{shown}'"
        )
        assert p.get_attribute(mem, "class") == cls, (value, cls)
    ctx.close()


def test_on_a_phone_the_host_column_stays_while_the_table_scrolls(
    site: ChartSite, browser: Any, artifacts: Path
) -> None:
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    p = ctx.new_page()
    p.goto(site.url + "/")
    first = 'tr[data-host="rates-1"] td:first-child'
    mem = 'tr[data-host="rates-1"] td[data-k="mem"]'
    before = (p.locator(first).bounding_box(), p.locator(mem).bounding_box())
    scrolled = p.evaluate(
        "() => { const w = document.querySelector('.tablewrap'); w.scrollLeft = 600;"
        " return w.scrollLeft; }"
    )
    assert scrolled > 300  # the table is wider than the phone: it does scroll
    p.wait_for_timeout(100)
    after = (p.locator(first).bounding_box(), p.locator(mem).bounding_box())
    assert after[0]["x"] == pytest.approx(before[0]["x"], abs=1)  # the host cell stayed
    assert after[1]["x"] == pytest.approx(before[1]["x"] - scrolled, abs=1)  # the rest moved
    # and it is on top: what is under the host cell's middle is the host cell, its link
    hit = p.evaluate(
        """(sel) => { const td = document.querySelector(sel); const b = td.getBoundingClientRect();
          const el = document.elementFromPoint(b.left + 10, b.top + b.height / 2);
          return td.contains(el); }""",
        first,
    )
    assert hit
    p.screenshot(path=str(artifacts / "overview-phone-scrolled.png"))
    assert p.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
    ctx.close()
