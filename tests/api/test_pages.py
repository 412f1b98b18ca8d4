"""Server-rendered pages: content, escaping of target/inventory strings, security headers."""

from __future__ import annotations

import re

import httpx
import pytest
from fleetdata import XSS_IFACE, XSS_LABEL, XSS_MOUNT, XSS_UNIT

from api.routes import pages


async def test_overview_lists_hosts_with_formatted_values(client: httpx.AsyncClient) -> None:
    r = await client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    for name in ("web-1", "web-2", "db-1", "down-1", "evil"):
        assert f'data-host="{name}"' in html
    assert 'href="/hosts/web-1"' in html
    assert "connect: No route to host" in html  # the reason, on hover of the state badge
    assert re.search(r'data-k="cpu" data-v="[\d.]+">\d+(\.\d)? %', html)
    assert re.search(r'data-k="net_in" data-v="[\d.e+]+">[\d.]+ [KMG]iB/s', html)


async def test_overview_escapes_inventory_labels(client: httpx.AsyncClient) -> None:
    html = (await client.get("/")).text
    assert XSS_LABEL not in html
    assert "&lt;img src=x onerror=window.__xss=3&gt;" in html


async def test_host_page_escapes_everything_from_the_target(client: httpx.AsyncClient) -> None:
    html = (await client.get("/hosts/evil")).text
    assert XSS_LABEL not in html and "&lt;img" in html
    # dev names reach the page only through the charts JSON, drawn with textContent by uPlot
    assert XSS_IFACE not in html and XSS_MOUNT not in html
    assert XSS_UNIT not in html and "&lt;svg onload=window.__xss=4&gt;.service" in html


async def test_host_page_names_failed_units_only_where_some_failed(
    client: httpx.AsyncClient,
) -> None:
    evil = (await client.get("/hosts/evil")).text
    assert "Failed units" in evil and '<span class="tag">backup.service</span>' in evil
    assert "Failed units" not in (await client.get("/hosts/web-1")).text  # no systemd answer


async def test_host_page_header(client: httpx.AsyncClient) -> None:
    r = await client.get("/hosts/db-1", params={"range": "6h"})
    html = r.text
    assert r.status_code == 200
    assert "Debian GNU/Linux 12" in html and "6.1.0-26-amd64" in html and "16.0 GiB" in html
    assert 'class="range on" href="/hosts/db-1?range=6h"' in html
    # api.charts.CHARTS: 10 + cpu busy, cpu per core, disk IOPS, disk latency, TCP states,
    # kernel drops
    assert html.count('<figure class="chart"') == 16


async def test_host_page_bad_range_is_a_400_page(client: httpx.AsyncClient) -> None:
    r = await client.get("/hosts/db-1", params={"range": "forever"})
    assert r.status_code == 400 and "span" in r.text


async def test_unknown_host_page_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/hosts/nobody")).status_code == 404


@pytest.mark.parametrize(
    "path", ["/", "/hosts/web-1", "/api/v1/hosts", "/healthz", "/static/css/app.css"]
)
async def test_strict_security_headers_everywhere(client: httpx.AsyncClient, path: str) -> None:
    r = await client.get(path)
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"


async def test_no_inline_script_or_style_in_pages(client: httpx.AsyncClient) -> None:
    for path in ("/", "/hosts/web-1", "/login", "/docs"):
        html = (await client.get(path)).text
        assert "<script>" not in html and "style=" not in html and "<style" not in html
        assert "onclick" not in html.lower()


async def test_missing_vendor_assets_give_set_up_instructions(
    client: httpx.AsyncClient, tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "VENDOR", tmp_path)
    r = await client.get("/hosts/web-1")
    assert r.status_code == 503
    assert "npm ci" in r.text and "uPlot.iife.min.js" in r.text


async def test_docs_page_serves_swagger_from_our_static_files(client: httpx.AsyncClient) -> None:
    html = (await client.get("/docs")).text
    assert "/static/vendor/swagger-ui-bundle.js" in html and "cdn" not in html.lower()
    spec = (await client.get("/openapi.json")).json()
    assert "/api/v1/series" in spec["paths"] and "/api/v1/hosts/{name}" in spec["paths"]


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    r = await client.get("/readyz")
    assert r.status_code == 200 and r.json()["status"] == "ready"
