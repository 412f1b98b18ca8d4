"""Host charts read right in headless Chromium: every y tick label is the value it sits at and
fits its axis (light and dark, desktop and phone), the x axis spans the asked range, a lone
point shows, an outage is a break, the alert rules' thresholds are labelled lines, and pan,
compare and the lo/ifb toggle do what they say.

uPlot draws on canvas, so the page records what it drew on each chart's <figure>
(data-yaxis: font, axis size, [tick value, label] pairs; data-thresholds: the lines), and the
tests check those against the pixels and the numbers."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chartsite import DAY, FULL_TABLE, NOW, OUTAGE, TCP_STEP, ChartSite, start

from parsers.cmd_tcp_states import STATES
from store.db import connect

pytestmark = pytest.mark.browser
TWO_HOURS = f"?from={int(NOW - 7200)}&to={int(NOW)}"
FACTORS = {
    "": 1.0, "B": 1.0, "KiB": 1024.0, "MiB": 1024.0**2, "GiB": 1024.0**3, "TiB": 1024.0**4,
    "%": 1.0, "s": 1.0, "ms": 1e-3, "µs": 1e-6, "k": 1e3, "M": 1e6, "G": 1e9,
}
TICK = re.compile(r"^(-?\d+(?:\.\d+)?) ?(B|KiB|MiB|GiB|TiB|%|s|ms|µs|k|M|G)?(/s)?$")


@pytest.fixture(scope="module")
def site(chdb_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChartSite]:
    yield from start(chdb_dir, tmp_path_factory.mktemp("charts"))


def tick_value(label: str) -> float:
    """'48 MiB/s' -> 48 * 2**20, '12.5 %' -> 12.5, '2.5 ms' -> 0.0025, '1.5k/s' -> 1500."""
    m = TICK.match(label)
    assert m, f"tick label {label!r} is not a number with a unit"
    return float(m.group(1)) * FACTORS[m.group(2) or ""]


def open_host(browser: Any, url: str, *, dark: bool = False, phone: bool = False) -> Any:
    if phone:
        ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  color_scheme="dark" if dark else "light")
    else:
        ctx = browser.new_context(viewport={"width": 1400, "height": 900},
                                  color_scheme="dark" if dark else "light")
    p = ctx.new_page()
    errors: list[str] = []
    p.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    p.on("pageerror", lambda e: errors.append(str(e)))
    p.goto(url)
    p.wait_for_function(
        "() => { const f = document.querySelectorAll('#charts figure[data-chart]');"
        " return f.length > 0 && Array.from(f).every((x) => x.dataset.yaxis"
        " || x.classList.contains('nodata')); }",
        timeout=60_000,  # a deadline for a hang, not a speed test: the machine may be busy
    )
    p.errors = errors  # checked by the tests once they are done with the page
    return p


def axes(p: Any) -> dict[str, dict[str, Any]]:
    return {
        fig["id"]: json.loads(fig["yaxis"])
        for fig in p.evaluate(
            "Array.from(document.querySelectorAll('#charts figure[data-yaxis]'))"
            ".map((f) => ({id: f.dataset.chart, yaxis: f.dataset.yaxis}))"
        )
    }


def label_widths(p: Any, font: str, dpr: float, labels: list[str]) -> list[float]:
    """Widths in CSS px, measured in the page with the axis's own canvas font."""
    return list(
        p.evaluate(
            "([font, dpr, labels]) => { const c = document.createElement('canvas')"
            ".getContext('2d'); c.font = font;"
            " return labels.map((l) => c.measureText(l).width / dpr); }",
            [font, dpr, labels],
        )
    )


@pytest.mark.parametrize(
    ("dark", "phone"),
    [(False, False), (True, False), (False, True), (True, True)],
    ids=["light-desktop", "dark-desktop", "light-phone", "dark-phone"],
)
def test_every_y_tick_label_is_its_value_and_fits_the_axis(
    site: ChartSite, browser: Any, artifacts: Path, dark: bool, phone: bool
) -> None:
    p = open_host(browser, site.url + "/hosts/rates-1" + TWO_HOURS, dark=dark, phone=phone)
    seen = axes(p)
    assert {"disk_io", "net", "cpu_busy", "disk_await", "memory"} <= seen.keys()
    assert p.inner_text("#lastpoll") == "10 s ago"  # the page's "now" is the app's clock
    for chart, ax in seen.items():
        ticks = ax["ticks"]
        assert len(ticks) >= 2, (chart, ticks)
        labels = [label for _, label in ticks]
        for value, label in ticks:
            assert math.isclose(tick_value(label), value, rel_tol=1e-9, abs_tol=1e-12), (
                chart, label, value)
        room = ax["size"] - ax["gap"] - ax["tick"]
        for label, width in zip(labels, label_widths(p, ax["font"], ax["dpr"], labels),
                                strict=True):
            assert width <= room, f"{chart}: {label!r} is {width:.1f} px, the axis has {room}"
    # the two cases of the bug report: MiB/s ticks into the tens, KiB/s ticks
    disk = dict((label, v) for v, label in seen["disk_io"]["ticks"])
    assert any(label.endswith("MiB/s") and v >= 32 * 2**20 for label, v in disk.items()), disk
    net = [label for _, label in seen["net"]["ticks"]]
    assert any(label.endswith("KiB/s") for label in net), net
    name = f"charts-{'dark' if dark else 'light'}-{'phone' if phone else 'desktop'}"
    p.screenshot(path=str(artifacts / f"{name}.png"), full_page=not phone)
    for chart in ("disk_io", "net"):
        p.locator(f"figure[data-chart={chart}]").screenshot(
            path=str(artifacts / f"{name}-{chart}.png")
        )
    assert p.errors == []
    p.context.close()


def x_scale(p: Any, chart: str) -> list[float]:
    return list(
        p.evaluate(
            f"() => {{ const u = window.sshmonHost.plots.get('{chart}').u;"
            " return [u.scales.x.min, u.scales.x.max]; }"
        )
    )


@pytest.mark.parametrize("span", ["15m", "7d"])
def test_the_x_axis_spans_the_asked_range(site: ChartSite, browser: Any, span: str) -> None:
    p = open_host(browser, site.url + f"/hosts/rates-1?range={span}")
    seconds = {"15m": 900, "7d": 7 * 86400}[span]
    for chart in ("cpu", "disk_io", "net"):
        assert x_scale(p, chart) == [NOW - seconds, NOW]
    p.context.close()


def color_pixels(p: Any, chart: str, x0: float, x1: float, colors: list[str]) -> int:
    """Pixels of the plot area between CSS x0 and x1 (canvas coordinates) in any of
    `colors` (#rrggbb, within 8 per channel for antialiasing)."""
    return int(
        p.evaluate(
            """([chart, x0, x1, colors]) => {
              const u = window.sshmonHost.plots.get(chart).u;
              const r = window.devicePixelRatio || 1;
              const want = colors.map((c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)));
              const {top, height} = u.bbox;
              const left = Math.round(x0 * r), w = Math.max(1, Math.round((x1 - x0) * r));
              const d = u.ctx.getImageData(left, top, w, height).data;
              let n = 0;
              for (let i = 0; i < d.length; i += 4) {
                if (d[i + 3] < 200) continue;
                if (want.some(([R, G, B]) => Math.abs(d[i] - R) <= 8 && Math.abs(d[i + 1] - G) <= 8
                    && Math.abs(d[i + 2] - B) <= 8)) n++;
              }
              return n; }""",
            [chart, x0, x1, colors],
        )
    )


def pos(p: Any, chart: str, value: float, scale: str) -> float:
    return float(
        p.evaluate(
            f"() => window.sshmonHost.plots.get('{chart}').u.valToPos({value}, '{scale}', true)"
            " / (window.devicePixelRatio || 1)"
        )
    )


LOAD_COLORS = ["#3b82f6", "#f59e0b", "#10b981"]  # host.js PALETTE, the load chart's 3 series


def test_an_outage_is_a_break_in_the_line(site: ChartSite, browser: Any) -> None:
    p = open_host(browser, site.url + "/hosts/rates-1" + TWO_HOURS)
    data = p.evaluate("window.sshmonHost.plots.get('load').u.data")
    ts = data[0]
    inside = [i for i, t in enumerate(ts) if OUTAGE[0] <= t < OUTAGE[1]]
    assert inside and all(data[1][i] is None for i in inside)  # a null marks the break
    middle = pos(p, "load", (OUTAGE[0] + OUTAGE[1]) / 2, "x")
    before = pos(p, "load", OUTAGE[0] - 900, "x")
    # nothing of the three lines is drawn across the outage, while they are drawn before it
    assert color_pixels(p, "load", middle - 10, middle + 10, LOAD_COLORS) == 0
    assert color_pixels(p, "load", before - 10, before + 10, LOAD_COLORS) > 20
    assert p.errors == []
    p.context.close()


@pytest.mark.parametrize("span", ["15m", "30d", "1y"])
def test_a_range_holding_one_point_draws_it(
    site: ChartSite, browser: Any, artifacts: Path, span: str
) -> None:
    p = open_host(browser, site.url + f"/hosts/new-1?range={span}")
    seconds = {"15m": 900, "30d": 30 * 86400, "1y": 365 * 86400}[span]
    # the asked range, not the years uPlot spread one point over
    assert x_scale(p, "load") == [NOW - seconds, NOW]
    ts, load1 = p.evaluate("window.sshmonHost.plots.get('load').u.data.slice(0, 2)")
    points = [(t, v) for t, v in zip(ts, load1, strict=True) if v is not None]
    assert len(points) == 1, points
    x = pos(p, "load", points[0][0], "x")
    assert color_pixels(p, "load", x - 4, x + 4, LOAD_COLORS[:1]) >= 9  # a dot, not nothing
    p.locator("figure[data-chart=load]").screenshot(path=str(artifacts / f"charts-one-point-{span}.png"))
    assert p.errors == []
    p.context.close()


def thresholds(p: Any, chart: str) -> list[dict[str, Any]]:
    raw = p.get_attribute(f"figure[data-chart={chart}]", "data-thresholds")
    return list(json.loads(raw or "[]"))


def test_alert_thresholds_are_labelled_lines_on_their_charts(
    site: ChartSite, browser: Any, artifacts: Path
) -> None:
    p = open_host(browser, site.url + "/hosts/rates-1" + TWO_HOURS)
    lines = thresholds(p, "cpu_busy")
    assert [(t["severity"], t["value"], t["label"]) for t in lines] == [
        ("warning", 80, "cpu_hot warning 80 %"),
        ("critical", 95, "cpu_hot critical 95 %"),
    ]
    for line in lines:
        # drawn where the y scale puts the value, in the severity's colour, across the plot
        assert line["y"] == pytest.approx(pos(p, "cpu_busy", line["value"], "y"), abs=1)
        row = p.evaluate(
            """([y, color]) => { const u = window.sshmonHost.plots.get('cpu_busy').u;
              const r = window.devicePixelRatio || 1;
              const d = u.ctx.getImageData(u.bbox.left, Math.floor(y * r), u.bbox.width, 1).data;
              const [R, G, B] = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
              let n = 0;
              for (let i = 0; i < d.length; i += 4)
                if (Math.abs(d[i] - R) < 12 && Math.abs(d[i+1] - G) < 12 && Math.abs(d[i+2] - B) < 12) n++;
              return n / (d.length / 4); }""",
            [line["y"], line["color"]],
        )
        assert row > 0.4, f"{line['label']}: only {row:.0%} of the row in its colour"
    # the per-host override: fs_full warns at 70 on rates-1, not at the rule's 85
    assert [(t["severity"], t["value"]) for t in thresholds(p, "fs")] == [
        ("warning", 70), ("critical", 95)]
    assert thresholds(p, "disk_io") == []  # no rule on disk bytes
    # a limit a hundred times the data is named at the top edge, not drawn at the cost of
    # flattening 2-5 ms of latency into the axis
    far = thresholds(p, "disk_await")
    assert [(t["label"], t["offscale"]) for t in far] == [
        ("↑ disk_slow warning 500 ms", "above"), ("↑ disk_slow critical 1 s", "above")]
    y_max = p.evaluate("window.sshmonHost.plots.get('disk_await').u.scales.y.max")
    assert y_max < 0.05
    band = p.evaluate(
        """() => { const u = window.sshmonHost.plots.get('disk_await').u;
          const r = window.devicePixelRatio || 1;
          const d = u.ctx.getImageData(u.bbox.left + u.bbox.width / 2, u.bbox.top,
                                       u.bbox.width / 2, 30 * r).data;
          let red = 0, amber = 0;
          for (let i = 0; i < d.length; i += 4) {
            if (d[i] > 220 && d[i+1] < 90 && d[i+2] < 90) red++;
            if (d[i] > 220 && d[i+1] > 140 && d[i+1] < 175 && d[i+2] < 40) amber++;
          }
          return [amber, red]; }"""
    )
    assert band[0] > 20 and band[1] > 20, band  # both labels are painted
    p.locator("figure[data-chart=disk_await]").screenshot(
        path=str(artifacts / "charts-thresholds-offscale.png")
    )
    p.locator("figure[data-chart=cpu_busy]").screenshot(path=str(artifacts / "charts-thresholds.png"))
    assert p.errors == []
    p.context.close()


def test_tcp_sockets_by_state_draw_one_line_per_state(
    site: ChartSite, browser: Any, artifacts: Path
) -> None:
    p = open_host(browser, site.url + "/hosts/cores-1?range=1h")
    u = "window.sshmonHost.plots.get('tcp_states').u"
    labels = p.evaluate(f"() => {u}.series.slice(1).map((s) => s.label)")
    assert sorted(labels) == sorted(STATES)
    # the CLOSE_WAIT leak as stored: 0, 10, ... 50 one reading every 10 minutes, joined
    # into one line (a slow series' gaps are its own cadence, not an outage)
    ts, *columns = p.evaluate(f"() => {u}.data")
    close_wait = columns[labels.index("close_wait")]
    readings = [(t, v) for t, v in zip(ts, close_wait, strict=True) if v is not None]
    assert [v for _, v in readings] == [10.0 * k for k in range(6)]
    assert [t for t, _ in readings] == [NOW - 3600 + 30 + k * TCP_STEP for k in range(6)]
    established = columns[labels.index("established")]
    assert {v for v in established if v is not None} == {120.0}
    # the y axis reaches the leak's top, and its labels are counts
    ticks = json.loads(p.get_attribute("figure[data-chart=tcp_states]", "data-yaxis") or "{}")
    assert max(v for v, _ in ticks["ticks"]) >= 50
    assert all(re.fullmatch(r"\d+", label) for _, label in ticks["ticks"]), ticks["ticks"]
    fig = p.locator("figure[data-chart=tcp_states]")
    assert fig.locator(".u-legend").is_visible()
    fig.scroll_into_view_if_needed()
    fig.screenshot(path=str(artifacts / "charts-tcp-states.png"))
    assert p.errors == []
    p.context.close()


def test_kernel_packet_drops_show_a_full_conntrack_table(
    site: ChartSite, browser: Any, artifacts: Path
) -> None:
    p = open_host(browser, site.url + "/hosts/cores-1?range=1h")
    u = "window.sshmonHost.plots.get('drops').u"
    labels = p.evaluate(f"() => {u}.series.slice(1).map((s) => s.label)")
    assert labels == [
        "backlog full",
        "conntrack",
        "conntrack full (evicted)",
        "conntrack insert failed",
    ]
    ts, *columns = p.evaluate(f"() => {u}.data")
    evicted = dict(zip(ts, columns[2], strict=True))
    full = [v for t, v in evicted.items() if FULL_TABLE[0] <= t < FULL_TABLE[1]]
    assert full and set(full) == {250.0}  # the stored rate, every point of the five minutes
    assert {v for t, v in evicted.items() if t < FULL_TABLE[0] and v is not None} == {0.0}
    assert {v for v in columns[3] if v is not None} == {0.2}
    # the y axis holds the eviction rate, and its labels read as the rates they mark
    assert p.evaluate(f"() => {u}.scales.y.max") >= 250
    ticks = json.loads(p.get_attribute("figure[data-chart=drops]", "data-yaxis") or "{}")
    values = [tick_value(label) for _, label in ticks["ticks"]]
    assert values == [v for v, _ in ticks["ticks"]] and max(values) >= 200, ticks["ticks"]
    assert all(label.endswith("/s") for _, label in ticks["ticks"]), ticks["ticks"]
    fig = p.locator("figure[data-chart=drops]")
    assert fig.locator(".u-legend").is_visible()
    fig.scroll_into_view_if_needed()
    fig.screenshot(path=str(artifacts / "charts-drops.png"))
    assert p.errors == []
    p.context.close()


def test_threshold_labels_close_together_are_both_readable(
    site: ChartSite, browser: Any, artifacts: Path
) -> None:
    # cores-1 has the shipped cpu_busy levels, 90 and 98: their lines lie closer than a
    # line of text, and the two labels were printed over each other
    p = open_host(browser, site.url + "/hosts/cores-1?range=1h")
    lines = thresholds(p, "cpu_busy")
    assert [(t["severity"], t["value"], t["label"]) for t in lines] == [
        ("warning", 90, "cpu_hot warning 90 %"),
        ("critical", 98, "cpu_hot critical 98 %"),
    ]
    warn, crit = lines
    assert warn["y"] - crit["y"] < 14  # the case at hand: closer than a line of text
    (c_top, c_bottom), (w_top, w_bottom) = crit["labelBox"], warn["labelBox"]
    assert c_bottom <= w_top or w_bottom <= c_top, (crit["labelBox"], warn["labelBox"])
    top, height = p.evaluate(
        "(() => { const u = window.sshmonHost.plots.get('cpu_busy').u;"
        " const r = window.devicePixelRatio || 1; return [u.bbox.top / r, u.bbox.height / r]; })()"
    )
    for t in lines:
        box_top, box_bottom = t["labelBox"]
        assert top <= box_top and box_bottom <= top + height, (t["label"], t["labelBox"])
        # each label is painted in its colour within its own box (not covered by the other)
        painted = p.evaluate(
            """([y0, y1, color]) => { const u = window.sshmonHost.plots.get('cpu_busy').u;
              const r = window.devicePixelRatio || 1;
              const x0 = u.bbox.left + u.bbox.width / 2;
              const d = u.ctx.getImageData(x0, Math.ceil(y0 * r), u.bbox.width / 2,
                                           Math.floor((y1 - y0) * r)).data;
              const [R, G, B] = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
              let n = 0;
              for (let i = 0; i < d.length; i += 4)
                if (Math.abs(d[i] - R) < 40 && Math.abs(d[i+1] - G) < 40 && Math.abs(d[i+2] - B) < 40) n++;
              return n; }""",
            [box_top, box_bottom, t["color"]],
        )
        assert painted > 40, (t["label"], painted)
    p.locator("figure[data-chart=cpu_busy]").screenshot(
        path=str(artifacts / "charts-thresholds-close.png")
    )
    assert p.errors == []
    p.context.close()


def test_pan_moves_the_range_by_buttons_keys_and_shift_drag(
    site: ChartSite, browser: Any
) -> None:
    start, end = int(NOW - 7200), int(NOW)
    p = open_host(browser, site.url + "/hosts/rates-1" + TWO_HOURS)

    def wait_range(a: int, b: int) -> None:
        p.wait_for_url(re.compile(rf"\?from={a}&to={b}$"))
        p.wait_for_function(
            f"() => {{ const c = window.sshmonHost.current(); return c.from === {a} && c.to === {b}; }}"
        )

    p.click("#pan-earlier")
    wait_range(start - 3600, end - 3600)
    assert x_scale(p, "cpu") == [start - 3600, end - 3600]
    p.focus("figure[data-chart=load]")
    p.keyboard.press("ArrowRight")
    wait_range(start, end)
    box = p.locator("figure[data-chart=load] .u-over").bounding_box()
    y = box["y"] + box["height"] / 2
    p.keyboard.down("Shift")
    p.mouse.move(box["x"] + box["width"] * 0.75, y)
    p.mouse.down()
    p.mouse.move(box["x"] + box["width"] * 0.25, y, steps=5)
    p.mouse.up()
    p.keyboard.up("Shift")
    # dragged half the width to the left: later by half the span (a drag without Shift zooms)
    p.wait_for_function(
        "() => location.search.startsWith('?from=') && window.sshmonHost.current().from > "
        f"{start + 3000}"
    )
    a, b = (int(x) for x in re.findall(r"=(\d+)", p.url))
    assert b - a == 7200 and abs(a - (start + 3600)) <= 30
    assert p.errors == []
    p.context.close()


def test_compare_overlays_the_day_before(site: ChartSite, browser: Any, artifacts: Path) -> None:
    p = open_host(browser, site.url + "/hosts/rates-1" + TWO_HOURS)
    p.select_option("#compare", "86400")
    p.wait_for_function(
        "() => { const e = window.sshmonHost && window.sshmonHost.plots.get('disk_io');"
        " return e && e.cmp && e.u.series.some((s) => / \\(day before\\)$/.test(s.label)); }"
    )
    entry = p.evaluate(
        """() => { const e = window.sshmonHost.plots.get('disk_io');
          return {labels: e.u.series.slice(1).map((s) => s.label), x: e.u.data[0],
                  cols: e.u.data.slice(1)}; }"""
    )
    labels = entry["labels"]
    assert labels == ["sda read", "sda write", "sda read (day before)", "sda write (day before)"]
    # the day before's points, moved forward one day, lie inside today's range
    shown = {t: v for t, v in zip(entry["x"], entry["cols"][2], strict=True) if v is not None}
    assert len(shown) > 60 and min(shown) >= NOW - 7200 and max(shown) <= NOW
    # and they are the day before's values: the API's series of that day, point for point
    day_before = p.request.get(
        site.url + "/api/v1/series",
        params={"host": "rates-1", "metric": "disk_read_bytes_per_second", "dev": "sda",
                "from": str(int(NOW - DAY - 7200)), "to": str(int(NOW - DAY))},
    ).json()
    expected = {ts + DAY: avg for ts, avg, _, _ in day_before["points"]}
    assert shown.keys() == expected.keys()
    for ts, value in shown.items():
        assert value == pytest.approx(expected[ts], abs=1e-4)
    # the overlay keeps today's outage a break, and draws its own points as a line, not dots
    middle = pos(p, "disk_io", (OUTAGE[0] + OUTAGE[1]) / 2, "x")
    assert color_pixels(p, "disk_io", middle - 10, middle + 10, LOAD_COLORS[:2]) == 0
    lone = p.evaluate(
        "() => { const u = window.sshmonHost.plots.get('disk_io').u;"
        " return [1, 2, 3, 4].map((i) => window.sshmonPlot.lonePoints(u, i)); }"
    )
    assert lone == [None, None, None, None]
    for chart in ("cpu", "disk_io"):
        p.locator(f"figure[data-chart={chart}]").screenshot(
            path=str(artifacts / f"charts-compare-{chart}.png")
        )
    # the page's URL keeps it: a shared link (or a reload) compares the same
    assert "compare=1d" in p.url
    p.reload()
    p.wait_for_function(
        "() => { const e = window.sshmonHost && window.sshmonHost.plots.get('disk_io');"
        " return e && e.cmp; }"
    )
    assert p.input_value("#compare") == "86400"
    assert p.errors == []
    p.context.close()


def test_loopback_and_ifb_are_hidden_until_asked_for(site: ChartSite, browser: Any) -> None:
    p = open_host(browser, site.url + "/hosts/rates-1" + TWO_HOURS)

    def legend() -> str:
        return str(p.locator("figure[data-chart=net] .u-legend").inner_text())

    assert "eth0 in" in legend() and "lo in" not in legend() and "ifb0" not in legend()
    p.check("#show-aux-ifaces")
    p.wait_for_function(
        "() => document.querySelector('figure[data-chart=net] .u-legend').innerText.includes('ifb0 in')"
    )
    assert "lo in" in legend()
    assert "ifaces=all" in p.url
    p.uncheck("#show-aux-ifaces")
    p.wait_for_function(
        "() => !document.querySelector('figure[data-chart=net] .u-legend').innerText.includes('ifb0')"
    )
    assert "ifaces" not in p.url
    p.context.close()
    p = open_host(browser, site.url + "/hosts/rates-1" + TWO_HOURS + "&ifaces=all")
    assert p.is_checked("#show-aux-ifaces") and "lo in" in legend()
    assert p.errors == []
    p.context.close()


def test_cpu_per_core_draws_one_line_per_stored_core(
    site: ChartSite, browser: Any, artifacts: Path
) -> None:
    client = connect(site.settings)
    try:
        stored = client.query(
            "SELECT DISTINCT dev FROM points WHERE host = 'cores-1'"
            " AND metric = 'cpu_core_busy_percent'"
        ).result_rows
    finally:
        client.close()
    assert len(stored) == 20
    p = open_host(browser, site.url + "/hosts/cores-1?range=1h")
    drawn = p.evaluate(
        "() => window.sshmonHost.plots.get('cpu_cores').u.series.slice(1).map((s) => s.label)"
    )
    # every core, not the busiest 16 of a per-device chart, in the order a person counts
    assert drawn == [f"cpu{i}" for i in range(20)]
    assert sorted(drawn) == sorted(dev for (dev,) in stored)
    fig = p.locator("figure[data-chart=cpu_cores]")
    # 20 names would stand taller than the plot: past 16 lines the legend is left out
    assert fig.locator(".u-legend").count() == 0
    assert fig.locator("p.legend-note").inner_text() == (
        "20 lines, cpu0 … cpu19 (legend hidden past 16)"
    )
    assert p.locator("figure[data-chart=cpu_busy] .u-legend").is_visible()
    fig.scroll_into_view_if_needed()
    fig.screenshot(path=str(artifacts / "charts-cpu-per-core.png"))
    assert p.errors == []
    p.context.close()
    # a host without per-core points (polled before they were stored) says so
    p = open_host(browser, site.url + "/hosts/rates-1" + TWO_HOURS)
    assert p.inner_text("figure[data-chart=cpu_cores] p.nodata") == "no data in this range"
    p.context.close()
