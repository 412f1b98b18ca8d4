"""The alerts page and the host charts' alert markers in headless Chromium, on the live
server with a real alerts runtime (SQLite, Apprise to a local receiver) and alert events
written into the real store through the real writer."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from fleetdata import FLEET_NOW, Fleet
from livesite import LiveServer, Page

from alerts.runtime import AlertsRuntime
from alerts.silences import Matcher, Schedule, Target
from store.writer import Writer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "api"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "alerts"))
import alertsdata
from alerts_helpers import Receiver

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning"),
]
T = TypeVar("T")


def on_loop(server: LiveServer, fn: Callable[[], T]) -> T:
    """Run `fn` on the server's event loop thread: the engine's state belongs to it."""

    async def call() -> T:
        return fn()

    return asyncio.run_coroutine_threadsafe(call(), server.loop).result(10)


@pytest.fixture(scope="module")
def alerting(
    server: LiveServer, fleet: Fleet, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[AlertsRuntime, Receiver, float]]:
    """web-1 fires now (memory, critical); web-2 fired and resolved half an hour ago."""
    now = FLEET_NOW
    writer = Writer(fleet.settings)
    writer.start()
    with Receiver() as receiver:
        rt = alertsdata.build(
            fleet.inventory,
            tmp_path_factory.mktemp("alerts"),
            receiver.url("ops"),
            store_events=writer.submit_alert_event,
            clock=fleet.clock(),
        )
        asyncio.run_coroutine_threadsafe(rt.start(), server.loop).result(10)
        on_loop(server, lambda: alertsdata.fire(rt, "web-2", now - 1800))
        on_loop(server, lambda: alertsdata.fire(rt, "web-2", now - 1200, mem=40.0, cpu=5.0))
        on_loop(server, lambda: alertsdata.fire(rt, "web-1", now))
        assert writer.close(60), "writer did not flush"
        server.ctx.alerts = rt
        try:
            yield rt, receiver, now
        finally:
            server.ctx.alerts = None
            asyncio.run_coroutine_threadsafe(rt.stop(), server.loop).result(15)


def test_alerts_page_shows_firing_silences_acks_and_sends_a_test(
    server: LiveServer, page: Page, alerting: tuple[AlertsRuntime, Receiver, float], artifacts: Path
) -> None:
    rt, receiver, _ = alerting
    mutes = rt.engine.mutes
    assert mutes is not None  # built with a database
    p = page.page
    p.goto(server.url + "/")
    p.click("header.top nav >> text=Alerts")
    p.wait_for_url("**/alerts")
    firing = p.locator('#active tr[data-host="web-1"][data-state="firing"]')
    assert firing.count() == 1
    assert "critical" in firing.inner_text() and "97.0%" in firing.inner_text()
    assert p.locator('#active tr[data-host="web-1"][data-state="pending"]').count() == 1
    assert p.locator("#firing-count").inner_text() == "1 firing"
    # history from the store: web-2's firing and resolved transitions
    history = p.locator('#history tr[data-host="web-2"][data-rule="mem"]').all_inner_texts()
    assert any("firing" in row for row in history) and any("resolved" in row for row in history)

    # a silence through the form; the comment comes back as text, not markup
    form = p.locator("#silence-form")
    form.locator("input[name=host]").fill("web-1")
    form.locator("select[name=duration]").select_option("1h")
    form.locator("input[name=comment]").fill("<img src=x onerror=window.__xss=9>")
    form.locator("input[name=author]").fill("ana")
    with p.expect_navigation():
        form.locator("button[type=submit]").click()
    row = p.locator("#silences tbody tr[data-id]")
    assert row.count() == 1
    assert "<img src=x onerror=window.__xss=9>" in row.inner_text()
    assert "host=web-1" in row.inner_text()
    [silence] = on_loop(server, lambda: mutes.silences(FLEET_NOW))
    assert (silence.matcher.hosts, silence.author) == (["web-1"], "ana")

    # edit it: another host, a new comment (escaped as well) and a longer end
    edit = p.locator(f"#silence-edit-{silence.id}")
    assert not edit.is_visible()
    row.locator("button", has_text="Edit").click()
    assert edit.is_visible()
    assert edit.locator("input[name=hosts]").input_value() == "web-1"
    edit.locator("input[name=hosts]").fill("web-2, web-3")
    edit.locator("input[name=comment]").fill("<b>longer</b>")
    edit.locator("select[name=duration]").select_option("4h")
    edit.locator("input[name=author]").fill("bo")
    # a host the inventory does not have is refused, and the page says which one
    edit.locator("button[type=submit]").click()
    p.wait_for_function(
        "() => document.getElementById('alerts-status').textContent.startsWith('failed')"
    )
    assert p.locator("#alerts-status").inner_text() == (
        "failed: matcher.hosts[1]: no host named 'web-3' in the inventory (did you mean web-2?)"
    )
    assert page.errors == [
        "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
    ]
    page.errors.clear()
    edit.locator("input[name=hosts]").fill("web-2, db-1")
    with p.expect_navigation():
        edit.locator("button[type=submit]").click()
    row = p.locator("#silences tbody tr[data-id]")
    assert "host=web-2,db-1" in row.inner_text() and "<b>longer</b>" in row.inner_text()
    assert "edited by bo" in row.inner_text()
    [edited] = on_loop(server, lambda: mutes.silences(FLEET_NOW))
    assert (edited.id, edited.author, edited.updated_by) == (silence.id, "ana", "bo")
    assert edited.ends_at == pytest.approx(FLEET_NOW + 4 * 3600, abs=60)
    # the engine's own store: web-1 is no longer muted by it, web-2 is
    target = Target("web-2", (), "mem", {})
    assert on_loop(server, lambda: mutes.muted_by(target, FLEET_NOW)) is not None
    web1 = Target("web-1", (), "mem", {})
    assert on_loop(server, lambda: mutes.muted_by(web1, FLEET_NOW)) is None
    # put it back on web-1 so the rest of the page reads as before
    on_loop(
        server,
        lambda: mutes.update_silence(silence.id, FLEET_NOW, matcher=Matcher(hosts=["web-1"])),
    )
    p.reload()
    # the Now table says the firing alert is silenced, and by what
    assert f"silenced: silence #{silence.id}" in firing.inner_text()

    # acknowledge the firing alert; the page says what the button did
    with p.expect_navigation():
        firing.locator("button", has_text="Acknowledge").click()
    assert (
        "acknowledged"
        in p.locator('#active tr[data-host="web-1"][data-state="firing"]').inner_text()
    )
    assert p.locator("#alerts-status").inner_text() == (
        "acknowledged mem on web-1: no more reminders for this episode"
    )

    # a bad maintenance window says why, and nothing is stored
    mform = p.locator("#maintenance-form")
    mform.locator("input[name=name]").fill("backup")
    mform.locator("input[name=group]").fill("db")
    assert mform.locator("input[name=start]").is_visible()
    assert not mform.locator("input[name=days]").is_visible()
    mform.locator("select[name=kind]").select_option("weekly")
    assert mform.locator("input[name=days]").is_visible()
    assert not mform.locator("input[name=start]").is_visible()
    mform.locator("input[name=at]").fill("02:00")
    mform.locator("button[type=submit]").click()
    p.wait_for_function(
        "() => document.getElementById('alerts-status').textContent.startsWith('failed')"
    )
    assert "a weekly window needs `days`" in p.locator("#alerts-status").inner_text()
    # Chromium logs every 4xx response as a console error: this one, and only this one, is ours
    assert page.errors == [
        "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
    ]
    page.errors.clear()
    assert on_loop(server, lambda: mutes.maintenance(FLEET_NOW)) == []

    # edit a window: a rename keeps its one-off times exactly, a new schedule replaces them
    start = FLEET_NOW + 3600.5
    once = Schedule(kind="once", start=start, end=start + 1800)
    window = on_loop(
        server, lambda: mutes.add_maintenance("disks", Matcher(groups=["db"]), once, FLEET_NOW)
    )
    p.reload()
    wedit = p.locator(f"#window-edit-{window.id}")
    p.locator(f'#windows tr[data-id="{window.id}"] button', has_text="Edit").click()
    assert wedit.locator("input[name=start]").input_value() != ""
    assert not wedit.locator("input[name=at]").is_visible()
    wedit.locator("input[name=name]").fill("disks & <raid>")
    with p.expect_navigation():
        wedit.locator("button[type=submit]").click()
    [renamed] = on_loop(server, lambda: mutes.maintenance(FLEET_NOW))
    assert (renamed.name, renamed.schedule) == ("disks & <raid>", once)
    assert "disks & <raid>" in p.locator(f'#windows tr[data-id="{window.id}"]').inner_text()
    p.locator(f'#windows tr[data-id="{window.id}"] button', has_text="Edit").click()
    wedit.locator("select[name=kind]").select_option("daily")
    wedit.locator("input[name=at]").fill("02:30")
    wedit.locator("input[name=minutes]").fill("90")
    with p.expect_navigation():
        wedit.locator("button[type=submit]").click()
    [daily] = on_loop(server, lambda: mutes.maintenance(FLEET_NOW))
    assert (daily.schedule.kind, daily.schedule.at, daily.schedule.duration) == (
        "daily",
        "02:30",
        5400,
    )
    on_loop(server, lambda: mutes.expire_maintenance(window.id, FLEET_NOW))
    p.reload()

    p.click("#send-test")
    p.wait_for_function(
        "() => document.getElementById('alerts-status').textContent.startsWith('test notification')"
    )
    assert p.locator("#alerts-status").inner_text() == "test notification: ops: sent"
    # delivered before the API answered (alert notifications of the setup arrive there too)
    assert "sshmon test notification" in [m["title"] for m in receiver.received]

    p.screenshot(path=str(artifacts / "alerts.png"), full_page=True)
    p.emulate_media(color_scheme="dark")
    p.screenshot(path=str(artifacts / "alerts-dark.png"), full_page=True)
    assert p.evaluate("window.__xss") is None
    assert page.csp() == []
    page.assert_clean()


def test_rules_tab_shows_rules_their_hosts_where_they_fire_and_edits_them(
    server: LiveServer, page: Page, alerting: tuple[AlertsRuntime, Receiver, float], artifacts: Path
) -> None:
    rt, _, _ = alerting
    p = page.page
    p.goto(server.url + "/alerts")
    with p.expect_navigation():
        p.click("#rules-tab-link")
    mem = p.locator('#rules tr[data-rule="mem"]')
    cpu = p.locator('#rules tr[data-rule="cpu"]')
    assert "mem_used_percent > 80 (warning) / 95 (critical)" in mem.inner_text()
    assert "all (5 hosts)" in mem.inner_text()
    assert mem.locator("td.firing").inner_text() == "web-1"  # fires there now
    assert cpu.locator("td.firing").inner_text() == "\u2013"  # only pending: a dash
    assert mem.get_attribute("data-source") == "file"

    # lower cpu's warning from the tab: in effect at once, said on the page, audited
    cpu.locator("input[name=warning]").fill("50")
    with p.expect_navigation():
        cpu.locator("form[data-kind=thresholds] button").click()
    assert p.locator("#alerts-status").inner_text() == (
        "thresholds saved (in effect now): warning 50, critical none"
    )
    assert {r.name: r.warning for r in rt.engine.config.rules}["cpu"] == 50.0
    assert cpu.get_attribute("data-source") == "ui"
    assert "by local (127.0.0.1, auth off), over the file rule" in cpu.inner_text()
    audit = p.locator('#rule-audit tr[data-rule="cpu"]').first.inner_text()
    assert "thresholds" in audit and "warning: 90.0 → 50.0" in audit
    p.screenshot(path=str(artifacts / "alerts-rules-tab.png"), full_page=True)

    # put it back as the file has it
    with p.expect_navigation():
        cpu.locator("button", has_text="Revert").click()
    assert {r.name: r.warning for r in rt.engine.config.rules}["cpu"] == 90.0
    assert cpu.get_attribute("data-source") == "file"
    assert page.errors == []


def test_host_charts_mark_the_hosts_alert_events(
    server: LiveServer, page: Page, alerting: tuple[AlertsRuntime, Receiver, float], artifacts: Path
) -> None:
    p = page.page
    p.goto(server.url + "/hosts/web-2?range=1h")
    p.wait_for_function("() => document.getElementById('host').dataset.alertMarkers !== undefined")
    assert p.locator("#host").get_attribute("data-alert-markers") == "2"
    assert p.evaluate("window.sshmonMarkers.spans().length") == 1
    assert "2 alert events in this range" in p.locator("#alert-markers").inner_text()
    # the marker is drawn: the pixel column at the firing time carries the critical red
    red = p.evaluate(
        """() => { const { u } = window.sshmonHost.plots.get('memory');
        const x = Math.round(u.valToPos(window.sshmonMarkers.lines()[0].ts, 'x', true));
        const { top, height } = u.bbox;
        const d = u.ctx.getImageData(x, top, 1, height).data;
        for (let i = 0; i < d.length; i += 4) if (d[i] > 200 && d[i + 1] < 100 && d[i + 2] < 100) return true;
        return false; }"""
    )
    assert red
    p.locator('figure[data-chart="memory"]').screenshot(
        path=str(artifacts / "host-alert-markers.png")
    )
    p.goto(server.url + "/hosts/web-1?range=15m")  # firing now: shaded to the range end
    p.wait_for_function("() => document.getElementById('host').dataset.alertMarkers !== undefined")
    assert p.evaluate("window.sshmonMarkers.spans().length") == 1
    assert page.csp() == []
    page.assert_clean()


def test_overview_marks_hosts_with_silenced_or_acknowledged_alerts(
    server: LiveServer, page: Page, alerting: tuple[AlertsRuntime, Receiver, float], artifacts: Path
) -> None:
    rt, _, now = alerting  # the fixed instant the app's clock reads
    mutes = rt.engine.mutes
    assert mutes is not None
    for old in on_loop(server, lambda: mutes.silences(now)):  # left by the alerts page test
        on_loop(server, lambda sid=old.id: mutes.expire_silence(sid, now))
    silence = on_loop(
        server, lambda: mutes.add_silence(Matcher(hosts=["web-1"]), now + 3600, now, author="t")
    )
    expired = False
    try:
        p = page.page
        p.goto(server.url + "/")
        alerts_cell = 'tr[data-host="web-1"] td[data-k="alerts"] .mark'
        assert "silenced" in p.locator(alerts_cell).all_inner_texts()
        # (the alerts page test may have acknowledged it already; once more does no harm)
        on_loop(server, lambda: rt.engine.acknowledge("mem", "web-1", "", now, author="t"))
        p.reload()
        assert p.locator(alerts_cell).all_inner_texts() == ["acked", "silenced"]
        assert p.locator(f"{alerts_cell}.m-acknowledged").get_attribute("title") == (
            "an alert of this host is acknowledged"
        )
        # and a person can read them: nothing in the cell overflows it (cells clip with "…"),
        # and every mark lies inside its cell
        fits = p.evaluate(
            """(sel) => { const marks = Array.from(document.querySelectorAll(sel));
              const td = marks[0].closest('td'), box = td.getBoundingClientRect();
              return td.scrollWidth <= td.clientWidth && marks.every((m) => {
                const r = m.getBoundingClientRect();
                return r.left >= box.left && r.right <= box.right; }); }""",
            alerts_cell,
        )
        assert fits
        # web-2's alert resolved: nothing to mark
        assert p.locator('tr[data-host="web-2"] .mark').count() == 0
        rows = {r["name"]: r for r in p.request.get(server.url + "/api/v1/hosts").json()}
        assert rows["web-1"]["alert_marks"] == ["acknowledged", "silenced"]
        p.locator('tr[data-host="web-1"]').screenshot(path=str(artifacts / "overview-marks.png"))
        on_loop(server, lambda: mutes.expire_silence(silence.id, now))
        expired = True
        p.reload()
        assert p.locator(alerts_cell).all_inner_texts() == ["acked"]  # the silence is over
        page.assert_clean()
    finally:
        if not expired:
            on_loop(server, lambda: mutes.expire_silence(silence.id, now))
