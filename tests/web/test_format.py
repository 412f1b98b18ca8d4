"""web/static/js/format.js against api/format.py: the page formats live cells in the
browser and the server renders the first ones, so both must print a value the same way.

format.js runs for real in Node (a plain script that sets `window.fmt`, loaded into a vm
context); web/ has no JS test runner, and Node is there already for the web assets.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from api import format as fmt

FORMAT_JS = Path(__file__).resolve().parents[2] / "web" / "static" / "js" / "format.js"
RUN = """
const fs = require("fs"), vm = require("vm");
const sandbox = { window: {} };
vm.runInNewContext(fs.readFileSync(process.argv[1], "utf8"), sandbox);
const [name, values] = JSON.parse(process.argv[2]);
process.stdout.write(JSON.stringify(values.map((v) => sandbox.window.fmt[name](v))));
"""
PERCENTS = [
    pytest.param(0.0, "0 %", id="true-zero"),
    pytest.param(0.04, "0.04 %", id="small-steal"),
    pytest.param(0.046, "0.046 %", id="two-significant-digits"),
    pytest.param(0.004, "0.004 %", id="smaller"),
    pytest.param(1e-7, "0.0000001 %", id="tiny-no-exponent"),
    pytest.param(0.0999, "0.1 %", id="rounds-up-to-the-band"),
    pytest.param(0.1, "0.1 %", id="one-decimal-from-0.1"),
    pytest.param(3.14, "3.1 %", id="one-decimal"),
    pytest.param(42.4, "42 %", id="whole-from-10"),
    pytest.param(-0.04, "-0.04 %", id="negative-small"),
    pytest.param(None, "\u2013", id="no-reading"),
]


def in_node(name: str, values: list[float | None]) -> list[str]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (apt-get install nodejs)")
    args = [node, "-e", RUN, str(FORMAT_JS), json.dumps([name, values])]
    done = subprocess.run(args, capture_output=True, text=True, timeout=30, check=True)
    result: list[str] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize(("value", "shown"), PERCENTS)
def test_server_percent_keeps_small_values_and_a_true_zero(value: float | None, shown: str) -> None:
    assert fmt.percent(value) == shown


def test_page_percent_prints_what_the_server_prints() -> None:
    values = [p.values[0] for p in PERCENTS]
    assert in_node("percent", values) == [p.values[1] for p in PERCENTS]


AXIS_RUN = """
const fs = require("fs"), vm = require("vm");
const sandbox = { window: {} };
vm.runInNewContext(fs.readFileSync(process.argv[1], "utf8"), sandbox);
const [unit, splits] = JSON.parse(process.argv[2]);
process.stdout.write(JSON.stringify(sandbox.window.fmt.axis(unit, splits)));
"""
MiB = 1024**2
AXES = [
    pytest.param("bytes_per_second", [0, 16 * MiB, 32 * MiB, 48 * MiB],
                 ["0 B/s", "16 MiB/s", "32 MiB/s", "48 MiB/s"], id="mib-ticks-of-the-report"),
    pytest.param("bytes_per_second", [0, 16384, 32768, 49152, 65536],
                 ["0 B/s", "16 KiB/s", "32 KiB/s", "48 KiB/s", "64 KiB/s"], id="kib-ticks"),
    pytest.param("bytes_per_second", [MiB, 1.0625 * MiB, 1.125 * MiB],
                 ["1.0000 MiB/s", "1.0625 MiB/s", "1.1250 MiB/s"], id="fine-binary-steps-exact"),
    pytest.param("bytes", [512 * 1024, MiB, 1.5 * MiB],
                 ["512 KiB", "1.0 MiB", "1.5 MiB"], id="units-change-along-the-axis"),
    pytest.param("percent", [10, 12.5, 15], ["10.0 %", "12.5 %", "15.0 %"],
                 id="percent-not-rounded-to-13"),
    pytest.param("seconds", [0, 0.0025, 0.005], ["0 s", "2.5 ms", "5.0 ms"], id="latency"),
    pytest.param("seconds", [0.0002, 0.0004], ["200 µs", "400 µs"], id="microseconds"),
    pytest.param("per_second", [0, 500, 1000, 1500], ["0/s", "500/s", "1.0k/s", "1.5k/s"],
                 id="si-rates"),
    pytest.param("ratio", [0, 0.25, 0.5], ["0", "0.25", "0.50"], id="plain-numbers"),
]


@pytest.mark.parametrize(("unit", "splits", "labels"), AXES)
def test_axis_labels_are_exactly_their_tick(unit: str, splits: list[float], labels: list[str]) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (apt-get install nodejs)")
    args = [node, "-e", AXIS_RUN, str(FORMAT_JS), json.dumps([unit, splits])]
    done = subprocess.run(args, capture_output=True, text=True, timeout=30, check=True)
    assert json.loads(done.stdout) == labels
