"""Hosts API: list with state and key metrics, filters, one host, poll history."""

from __future__ import annotations

import httpx
import pytest
from fleetdata import XSS_LABEL, Fleet


async def test_list_has_every_inventory_host_with_state_and_latest_values(
    client: httpx.AsyncClient, fleet: Fleet
) -> None:
    r = await client.get("/api/v1/hosts")
    assert r.status_code == 200
    rows = {row["name"]: row for row in r.json()}
    assert set(rows) == {h.name for h in fleet.inventory.hosts}
    web1 = rows["web-1"]
    assert web1["state"] == "ok" and web1["reason"] == ""
    assert web1["groups"] == ["web"] and web1["labels"] == {"env": "prod"}
    # synth's memory swings with the time of day the fleet was written (45 % ± 10, + 0-2):
    # 40-60 failed every afternoon UTC
    assert 0 < web1["cpu"] < 100 and 34 < web1["mem"] < 58
    # worst filesystem: synth puts the second mount 25 points above the first
    assert web1["fs_mount"] == "/var" and web1["fs"] > 50
    # lo is not network traffic of the host: in/out is eth0 alone (~1 MB/s in synth)
    assert 3e5 < web1["net_in"] < 3e6
    assert rows["down-1"]["state"] == "unreachable"
    assert "No route to host" in rows["down-1"]["reason"]
    assert rows["web-1"]["firing_alerts"] == 0


async def test_list_is_faithful_to_what_the_writer_stored(
    client: httpx.AsyncClient, fleet: Fleet
) -> None:
    series = (
        await client.get(
            "/api/v1/series",
            params={
                "host": "web-2",
                "metric": "cpu_busy_percent",
                "range": "15m",
                "step": 10,
            },
        )
    ).json()["points"]
    rows = {row["name"]: row for row in (await client.get("/api/v1/hosts")).json()}
    assert rows["web-2"]["cpu"] == pytest.approx(series[-1][1], rel=1e-5)


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({"group": "db"}, {"db-1"}),
        ({"label": "env=prod"}, {"web-1", "db-1"}),
        ({"state": "unreachable"}, {"down-1"}),
        ({"group": "web", "label": "env=staging"}, {"web-2"}),
    ],
    ids=["group", "label", "state", "group-and-label"],
)
async def test_list_filters(
    client: httpx.AsyncClient, query: dict[str, str], names: set[str]
) -> None:
    r = await client.get("/api/v1/hosts", params=query)
    assert {row["name"] for row in r.json()} == names


async def test_label_filter_needs_key_value(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/hosts", params={"label": "prod"})
    assert r.status_code == 400 and "key=value" in r.json()["detail"]


async def test_one_host_has_info_last_poll_and_latest(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/hosts/db-1")
    assert r.status_code == 200
    body = r.json()
    assert body["info"]["os_name"].startswith("Debian") and body["info"]["cpus"] == 8
    assert body["state"] == "ok" and body["last_poll"] is not None
    devs = {(x["metric"], x["dev"]) for x in body["latest"]}
    assert ("disk_util_percent", "sdb") in devs and (
        "fs_used_percent",
        "/var/lib/postgresql",
    ) in devs


async def test_label_values_come_back_verbatim_as_data(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/v1/hosts/evil")).json()
    assert body["labels"] == {"team": XSS_LABEL}  # JSON carries data; escaping is the page's job


async def test_unknown_host_is_404_with_its_name(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/hosts/nope")
    assert r.status_code == 404 and "nope" in r.json()["detail"]


async def test_poll_history_newest_first_and_limited(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/hosts/down-1/polls", params={"range": "1h", "limit": 5})
    polls = r.json()
    assert len(polls) == 5
    assert [p["ts"] for p in polls] == sorted((p["ts"] for p in polls), reverse=True)
    assert {p["state"] for p in polls} == {"unreachable"}


async def test_poll_history_limit_is_bounded(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/hosts/web-1/polls", params={"limit": 10**9})
    assert r.status_code == 422
