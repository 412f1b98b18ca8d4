"""The host page lists each collector with its state and reason; user metrics get charts."""

from __future__ import annotations

from dataclasses import replace

import httpx

from api.app import create_app
from api.charts import custom_charts
from api.context import AppContext
from poller.collectors.status import CollectorState, CollectorStatus

HOSTILE = "<script>alert(1)</script>"


async def test_host_page_shows_each_collectors_state_and_reason(ctx: AppContext) -> None:
    seen = {
        "cpu": CollectorStatus(CollectorState.OK),
        "pressure": CollectorStatus(CollectorState.UNAVAILABLE, "not on the target: /proc/p"),
        "textfile": CollectorStatus(CollectorState.FAILED, f"bad.prom: {HOSTILE}"),
    }
    app = create_app(replace(ctx, collector_status=lambda host: seen))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            page = (await client.get("/hosts/web-1")).text
    assert 'id="collectors"' in page and " open>" in page  # a failure opens the list
    assert "not on the target: /proc/p" in page
    assert HOSTILE not in page and "&lt;script&gt;" in page  # target text is escaped
    assert ">meminfo<" in page and ">pending<" in page  # on, but not reported yet


def test_custom_charts_one_per_user_metric_only() -> None:
    charts = custom_charts(["load1", "custom:b_total", "custom:a", "custom:a"])
    assert [(c.id, c.metrics, c.unit, c.per_dev) for c in charts] == [
        ("custom-a", ("custom:a",), "", True),
        ("custom-b_total", ("custom:b_total",), "", True),
    ]
