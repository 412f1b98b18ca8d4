"""The shipped raid_degraded rule, fed by the mdadm collector's points from real mdstat."""

from __future__ import annotations

from pathlib import Path

from alerts_helpers import host, ok, pt

from alerts.config import load as load_alerts
from alerts.defaults import SHIPPED
from alerts.engine import AlertEngine
from alerts.state import Change
from parsers import proc_mdstat
from poller.collectors import mdadm
from poller.yamlfile import Document

MDSTAT = Path(__file__).resolve().parents[1] / "fixtures/sysclass/proc/mdstat"
RECOVERED = """Personalities : [raid1]
md6 : active raid1 sdc[2] sda2[0]
      195310144 blocks [2/2] [UU]

unused devices: <none>
"""


def _points(text: str, t: float) -> list[object]:
    out: list[tuple[str, str, float]] = []
    mdadm.gauges({"mdstat": proc_mdstat.parse(text)}, out)
    return [pt("db-1", m, v, t, dev) for m, dev, v in out if m == "md_degraded"]


def test_a_degraded_array_fires_and_clears_when_it_recovers() -> None:
    only = {d["name"]: False for d in SHIPPED if d["name"] != "raid_degraded"}
    config = load_alerts(Document(Path("inventory.yaml"), {}, {}), data={"defaults": only})
    engine = AlertEngine(config, [host("db-1")])
    degraded = MDSTAT.read_text()  # md6 recovering [U_], md7 [U_UU], md42 [UU_]
    fired = []
    for minute in range(3):
        t = minute * 60.0
        fired += engine.observe(ok("db-1", t), _points(degraded, t), t)  # type: ignore[arg-type]
    firing = sorted(c.dev for c in fired if c.change is Change.FIRING)
    assert firing == ["md42", "md6", "md7"]
    cleared = engine.observe(ok("db-1", 240.0), _points(RECOVERED, 240.0), 240.0)  # type: ignore[arg-type]
    assert [(c.dev, c.change) for c in cleared if c.dev == "md6"] == [("md6", Change.RESOLVED)]
