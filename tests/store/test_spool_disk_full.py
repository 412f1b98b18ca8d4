"""A full disk under the spool, for real: a 256 KiB tmpfs filled to the last few bytes (needs
root to mount; CI runs as root). The store's insert fails through the test client, as when
ClickHouse is away; the spool's own writes hit ENOSPC from the kernel.

What the operator reads must be true: one line per batch saying what happened to it (before:
"insert failed, batch spooled" followed by "cannot spool … dropped" for the same batch), no
partial *.tmp left behind, and a replay is logged with how much it replayed.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from clickhouse_connect.driver.client import Client
from store_helpers import T0, make_points, scalar
from test_writer import Faults, wait_for

from store.settings import StoreSettings
from store.spool import Spool
from store.writer import Writer

ROWS = 1000  # ~7 KB compressed: more than the few bytes left on the full disk


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


@pytest.fixture
def flaky() -> Faults:
    return Faults()


def fill(disk: Path) -> Path:
    """Take every free byte of the disk but a few hundred."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as f:
        for chunk in (65536, 4096, 512):
            try:
                while True:
                    f.write(b"\0" * chunk)
            except OSError:  # ENOSPC: this size no longer fits, try a smaller one
                pass
    return filler


def messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "store.writer"]


def test_disk_full_says_dropped_once_and_leaves_no_partial_file(
    client: Client, settings: StoreSettings, flaky: Faults, small_disk: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="store.writer")
    spool_dir = small_disk / "spool"
    writer = Writer(settings.model_copy(update={"spool_dir": spool_dir}),
                    connector=flaky.connector)
    writer.start()
    flaky.fail = True
    filler = fill(small_disk)

    writer.submit(make_points(1, 1, ROWS))
    wait_for(lambda: writer.stats().dropped_rows == ROWS)
    (line,) = messages(caplog)  # ONE line for the batch, and it is the truth
    assert line.startswith("insert failed (") and "spooled" not in line
    assert "No space left on device" in line and line.endswith(f"batch of {ROWS} rows dropped")
    assert list(spool_dir.iterdir()) == []  # no partial *.tmp keeping the space

    caplog.clear()
    filler.unlink()  # space again: the next batch waits in the spool
    writer.submit(make_points(1, 1, ROWS, seed=2, start=T0 + 100_000))
    wait_for(lambda: writer.stats().spooled_batches == 1)
    (line,) = messages(caplog)
    assert line.startswith("insert failed (") and f"batch of {ROWS} rows spooled (1 batches" in line

    caplog.clear()
    flaky.fail = False  # the store is back: the spool is replayed, and that is said
    wait_for(lambda: writer.stats().replayed_batches == 1)
    assert writer.close(5)
    assert f"replayed 1 spooled batches ({ROWS} rows) from {spool_dir}; 0 left" in messages(caplog)
    assert scalar(client, "SELECT count() FROM points") == ROWS


def test_partial_spool_files_are_removed_at_start(
    settings: StoreSettings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool_dir = tmp_path / "spool"
    Spool(spool_dir, 1 << 20)
    (spool_dir / "0000000000000007-62.tmp").write_bytes(b"x\x9c half a batch")
    caplog.set_level(logging.INFO, logger="store.writer")
    writer = Writer(settings.model_copy(update={"spool_dir": spool_dir}))
    writer.start()
    assert writer.close(5)
    assert list(spool_dir.glob("*.tmp")) == []
    assert f"removed 1 partial spool file(s) left by an interrupted write in {spool_dir}" \
        in messages(caplog)


def test_a_spool_write_that_fails_half_way_leaves_nothing(
    settings: StoreSettings, tmp_path: Path, flaky: Faults,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    """The same without root: ENOSPC injected at the file-write boundary, after half the
    bytes reached the file (what a full disk does to a write)."""
    real_write = Path.write_bytes

    def half_then_enospc(path: Path, data: bytes) -> int:
        real_write(path, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(Path, "write_bytes", half_then_enospc)
    caplog.set_level(logging.INFO, logger="store.writer")
    spool_dir = tmp_path / "spool"
    writer = Writer(settings.model_copy(update={"spool_dir": spool_dir}),
                    connector=flaky.connector)
    writer.start()
    flaky.fail = True
    writer.submit(make_points(1, 1, ROWS))
    wait_for(lambda: writer.stats().dropped_rows == ROWS)
    assert writer.close(5)
    (line,) = messages(caplog)
    assert "No space left on device" in line and line.endswith(f"batch of {ROWS} rows dropped")
    assert list(spool_dir.iterdir()) == []
