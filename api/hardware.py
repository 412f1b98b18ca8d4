"""The host page's hardware tables: link state, temperatures, software RAID.

Built from the host's latest stored values (`latest_host`), so `sshmon serve` shows them
from the store alone. Pure: rows in, table rows out; every string is still target text
(interface names, sensor labels) and the template escapes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from api.format import NONE, number
from api.views import natural_key
from parsers.proc_mdstat import STATES as MD_STATES
from parsers.sys_class_net import OPER_STATES
from store.rows import LatestRow

_DUPLEX: Final = {0: "half", 1: "full"}
_MD_WORDS: Final = {"resync": "resyncing", "check": "checking"}


@dataclass(frozen=True, slots=True)
class Link:
    interface: str
    state: str  # operstate word ("up", "down", …) or NONE
    up: bool
    carrier: str
    speed: str
    mtu: str
    duplex: str
    flaps: str  # carrier changes between the last two slow rounds, or NONE
    flapped: bool


@dataclass(frozen=True, slots=True)
class Temperature:
    sensor: str
    celsius: str
    crit: str
    hot: bool  # at or above the sensor's crit (or else max)


@dataclass(frozen=True, slots=True)
class RaidArray:
    device: str
    state: str
    degraded: bool
    disks: str  # "2 of 3 active"
    failed: str
    spare: str
    sync: str  # "8.59 %" while a sync runs, else NONE


@dataclass(frozen=True, slots=True)
class Hardware:
    links: list[Link]
    temperatures: list[Temperature]
    arrays: list[RaidArray]


def hardware(latest: Iterable[LatestRow]) -> Hardware:
    by: dict[str, dict[str, float]] = {}
    for r in latest:
        by.setdefault(r.metric, {})[r.dev] = r.value
    return Hardware(_links(by), _temperatures(by), _arrays(by))


def _links(by: dict[str, dict[str, float]]) -> list[Link]:
    state, carrier = by.get("net_oper_state", {}), by.get("net_carrier", {})
    speed, mtu, duplex, flaps = (
        by.get("net_speed_bytes_per_second", {}),
        by.get("net_mtu_bytes", {}),
        by.get("net_duplex", {}),
        by.get("net_carrier_changes", {}),
    )
    out = []
    for dev in sorted({*state, *carrier, *mtu}, key=natural_key):
        word = _word(OPER_STATES, state.get(dev))
        c, f = carrier.get(dev), flaps.get(dev)
        out.append(
            Link(
                dev,
                word,
                word == "up",
                NONE if c is None else ("yes" if c else "no"),
                _speed(speed.get(dev)),
                NONE if dev not in mtu else f"{mtu[dev]:.0f}",
                _DUPLEX.get(int(duplex[dev]), NONE) if dev in duplex else NONE,
                NONE if f is None else f"{f:.0f}",
                bool(f),
            )
        )
    return out


def _temperatures(by: dict[str, dict[str, float]]) -> list[Temperature]:
    now, crit, high = (
        by.get("temp_celsius", {}),
        by.get("temp_crit_celsius", {}),
        by.get("temp_max_celsius", {}),
    )
    zones = by.get("thermal_zone_celsius", {})
    out = []
    for dev in sorted(now, key=natural_key):
        limit = crit.get(dev, high.get(dev))
        out.append(Temperature(dev, _celsius(now[dev]), _celsius(limit), _hot(now[dev], limit)))
    for dev in sorted(zones, key=natural_key):
        out.append(Temperature(dev, _celsius(zones[dev]), NONE, False))
    return out


def _arrays(by: dict[str, dict[str, float]]) -> list[RaidArray]:
    state = by.get("md_state", {})
    g = {m: by.get(f"md_{m}", {}) for m in ("degraded", "disks_required", "disks_active")}
    failed, spare, sync = (
        by.get("md_disks_failed", {}),
        by.get("md_disks_spare", {}),
        by.get("md_sync_percent", {}),
    )
    out = []
    for dev in sorted(state, key=natural_key):
        word = _word(MD_STATES, state[dev])
        active, required = g["disks_active"].get(dev), g["disks_required"].get(dev)
        out.append(
            RaidArray(
                dev,
                _MD_WORDS.get(word, word),
                bool(g["degraded"].get(dev)),
                NONE if active is None else f"{active:.0f} of {required or 0:.0f} active",
                _count(failed.get(dev)),
                _count(spare.get(dev)),
                NONE if dev not in sync else f"{number(sync[dev], 2)} %",
            )
        )
    return out


def _word(words: tuple[str, ...], code: float | None) -> str:
    if code is None or not 0 <= code < len(words) or code != int(code):
        return NONE
    return words[int(code)]


def _speed(bytes_per_second: float | None) -> str:
    """Link speed as drivers and ethtool state it: 1 Gb/s, 100 Mb/s, 2.5 Gb/s."""
    if bytes_per_second is None:
        return NONE
    mbps = bytes_per_second * 8 / 1e6
    return f"{mbps / 1000:g} Gb/s" if mbps >= 1000 else f"{mbps:g} Mb/s"


def _celsius(value: float | None) -> str:
    return NONE if value is None else f"{value:.1f} °C"


def _hot(value: float, limit: float | None) -> bool:
    return limit is not None and limit > 0 and value >= limit


def _count(value: float | None) -> str:
    return NONE if value is None else f"{value:.0f}"
