"""Schemathesis against the OpenAPI document of a real server over the real test fleet:
valid and invalid inputs for every operation, and not one 5xx.

The server (uvicorn, sshmon.server.serve) runs on its own thread and loop with a real alerts
runtime, so the alerts endpoints are exercised too; schemathesis calls it over HTTP from
the test's thread. Bounded and derandomized so it runs the same cases in about a minute.
The live stream never ends by design, so it is left to test_live/test_streams.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import alertsdata
import httpx
import pytest
import schemathesis
from fleetdata import Fleet
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from liveserver import free_port
from schemathesis import GenerationMode

from api.app import create_app
from api.context import AppContext, QueryPool
from api.websettings import RateLimitSettings, WebSettings
from sshmon.server import serve

# the API suite says Apprise's e-mail plugin imports imghdr; schemathesis pulls in more
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
EXAMPLES = 25  # per operation and generation mode
SKIP = {"GET /api/v1/live"}  # an SSE stream: a request that never completes


@dataclass
class Served:
    url: str
    stop: asyncio.Event
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread


@pytest.fixture
def served(fleet: Fleet, pool: QueryPool, tmp_path: Path) -> Iterator[str]:
    # rate limits off: several hundred requests from one address would get 429s and
    # hide what the operations themselves answer (test_rate_limit covers limits)
    web = WebSettings(port=free_port(), rate_limit=RateLimitSettings(enabled=False))
    ctx = AppContext(settings=web, queries=pool, inventory=fleet.inventory, data_dir=tmp_path)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    async def main() -> None:
        rt = alertsdata.build(fleet.inventory, tmp_path, clock=fleet.clock())
        await rt.start()
        ctx.alerts = rt
        try:
            await serve(create_app(ctx), web, stop)
        finally:
            await rt.stop()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{web.port}"
    deadline = loop.time() + 30
    while True:
        try:
            httpx.get(f"{url}/healthz", timeout=2)
            break
        except httpx.TransportError:
            if loop.time() > deadline or not thread.is_alive():
                raise
            threading.Event().wait(0.05)  # the server is starting: poll /healthz again
    yield url
    loop.call_soon_threadsafe(stop.set)
    thread.join(20)
    loop.close()


def test_no_operation_answers_5xx(served: str) -> None:
    schema = schemathesis.openapi.from_url(f"{served}/openapi.json")
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label in SKIP:
            continue
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                derandomize=True,
                database=None,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            )
            def call(case: schemathesis.Case) -> None:
                response = case.call(base_url=served, timeout=30)
                statuses[response.status_code] += 1
                if response.status_code >= 500:
                    failures.append(
                        f"{case.operation.label} -> {response.status_code}: "
                        f"{case.as_curl_command()}"
                    )

            try:
                call()
            except Unsatisfiable:  # nothing to get wrong: no parameters, no body
                assert mode is GenerationMode.NEGATIVE, operation.label
    print(f"schemathesis: {operations} operations, {statuses.total()} requests, {dict(statuses)}")
    assert operations >= 20
    assert failures == []
