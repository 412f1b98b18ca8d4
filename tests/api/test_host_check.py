"""DNS rebinding: a page whose name re-resolves to 127.0.0.1 talks to the default instance
(auth off, loopback) as same-origin, with its own name in Host. Only our names may pass."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import alertsdata
import httpx
import pytest
from fleetdata import Fleet
from liveserver import free_port, running

from alerts.runtime import AlertsRuntime
from api.context import AppContext, WebSettings
from api.hostcheck import HostCheck, host_name
from parsers import cmd_ps

EVIL = "rebind.evil.example"


async def real_ps(host: str) -> str:
    """The fixed `ps`, run on this machine as the poller would run it on a target."""
    proc = await asyncio.create_subprocess_exec(
        "sh", "-c", cmd_ps.COMMAND, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    return out.decode(errors="replace")


@pytest.fixture
async def rt(fleet: Fleet, tmp_path: Path) -> AsyncIterator[AlertsRuntime]:
    runtime = alertsdata.build(fleet.inventory, tmp_path, clock=fleet.clock())
    await runtime.start()
    yield runtime
    await runtime.stop()


@pytest.fixture
async def site(ctx: AppContext, rt: AlertsRuntime) -> AsyncIterator[str]:
    """The default instance, as `sshmon run` serves it: auth off, 127.0.0.1."""
    ctx.settings = WebSettings(port=free_port())
    ctx.alerts = rt
    ctx.top_processes = real_ps
    async with running(ctx) as base:
        yield base


async def test_rebound_page_cannot_read_run_ps_or_silence(site: str, rt: AlertsRuntime) -> None:
    # the requests a rebound page would make: same origin for the browser, Host is its name
    port = site.rsplit(":", 1)[1]
    evil = {"Host": f"{EVIL}:{port}"}
    async with httpx.AsyncClient(base_url=site, timeout=10) as browser:
        assert (await browser.get("/api/v1/hosts", headers=evil)).status_code == 400
        r = await browser.get("/api/v1/hosts/web-1/processes", headers=evil)
        assert r.status_code == 400 and "web.allowed_hosts" in r.text
        page = await browser.get("/alerts", headers=evil)
        assert page.status_code == 400 and "csrf" not in page.text
        # even with a CSRF pair it somehow had, the silence is refused before any route runs
        r = await browser.post(
            "/api/v1/alerts/silences",
            json={"matcher": {"hosts": ["web-1"]}, "duration": "1h"},
            headers={
                **evil,
                "Origin": f"http://{EVIL}:{port}",
                "X-CSRF-Token": "x",
                "Cookie": "sshmon_csrf=x",
            },
        )
        assert r.status_code == 400
        assert rt.engine.mutes is not None and rt.engine.mutes.silences(time.time()) == []
        assert (await browser.get("/openapi.json", headers=evil)).status_code == 400
        # no Host at all (HTTP/1.0) is not ours either
        assert (await browser.get("/api/v1/hosts", headers={"Host": ""})).status_code == 400


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "LOCALHOST"])
async def test_loopback_names_with_and_without_port_are_served(site: str, host: str) -> None:
    port = site.rsplit(":", 1)[1]
    async with httpx.AsyncClient(base_url=site, timeout=10) as browser:
        for header in (host, f"{host}:{port}"):
            r = await browser.get("/api/v1/hosts", headers={"Host": header})
            assert r.status_code == 200, header
        page = await browser.get("/alerts", headers={"Host": f"{host}:{port}"})
        assert page.status_code == 200 and re.search(r'name="csrf_token"|data-csrf', page.text)


def _check(**web: object) -> HostCheck:
    async def app(scope: object, receive: object, send: object) -> None:
        raise AssertionError("not called")

    return HostCheck(app, WebSettings(**web))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("settings", "header", "ok"),
    [
        ({}, "127.0.0.1:8080", True),
        ({}, "[::1]:8080", True),
        ({}, "evil.example", False),
        ({}, "127.0.0.1.evil.example", False),
        ({}, "10.0.0.5:8080", False),  # bound to loopback: no other address is ours
        ({"base_url": "https://mon.example.com/sshmon"}, "mon.example.com", True),
        ({"base_url": "https://mon.example.com"}, "Mon.Example.Com:443", True),
        ({"base_url": "https://mon.example.com"}, "evilmon.example.com", False),
        ({"allowed_hosts": ["dash.lan"]}, "dash.lan:8080", True),
        ({"allowed_hosts": ["*.corp.example"]}, "mon.corp.example", True),
        ({"allowed_hosts": ["*.corp.example"]}, "corp.example.evil.example", False),
        ({"host": "192.0.2.7"}, "192.0.2.7:8080", True),
        # on every interface: any address literal is ours (rebinding needs a name), names not
        ({"host": "0.0.0.0", "auth": {"enabled": True}}, "10.0.0.5:8080", True),
        ({"host": "0.0.0.0", "auth": {"enabled": True}}, "[fe80::1]", True),
        ({"host": "0.0.0.0", "auth": {"enabled": True}}, EVIL, False),
        ({}, "localhost:80@evil.example", False),
        ({}, "localhost:notaport", False),
        ({}, "", False),
    ],
)
def test_host_names_accepted(settings: dict[str, object], header: str, ok: bool) -> None:
    assert _check(**settings).allows(header) is ok


def test_host_name_parses_ipv6_with_port() -> None:
    assert host_name("[::1]:8080") == "::1"
    assert host_name("LocalHost:1") == "localhost"
    assert host_name("a b") is None
