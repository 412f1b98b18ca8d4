"""Where the resident memory of `sshmon run` goes, read from inside the process (issue 15).

    nice .venv/bin/python bench/owner_memory.py --hosts 1000 --hosts 0
    nice .venv/bin/python bench/owner_memory.py --hosts 1000 --env JE_MALLOC_CONF=...

`run_bench.py` sees the process from outside (RSS of the tree). This runs the same
`sshmon run` against the same simulator, one process (no `--workers`), with a probe thread
started in it before `sshmon.cli.main`: on request it reports, without stopping anything,

- the kernel's view (/proc/self/smaps_rollup): resident anonymous and file-backed memory;
- glibc malloc (mallinfo2): bytes in use, and bytes freed but still held (Python's objects
  over 512 bytes, its pymalloc arenas, asyncssh's and the drivers' C buffers live here);
- Python: `sys.getallocatedblocks()`, and with `--tracemalloc` the traced heap (and, when
  a `--hosts 0` run is given too, the owner's heap per host by allocation site: the
  innermost frame in sshmon's own packages, `--top` of them);
- chDB, through a client of its own on the same engine: jemalloc's allocated / active /
  resident / dirty / retained bytes (`system.asynchronous_metrics`), the engine's tracked
  memory and its caches (`system.metrics`, `system.asynchronous_metrics`), and the parts'
  primary keys and marks in memory (`system.parts`);

then the same after returning what is only retained: `malloc_trim(0)` (glibc) and
`SYSTEM JEMALLOC PURGE` (chDB's jemalloc). What is still resident after both is held and in
use; the difference is freed memory the allocators kept. RSS is also sampled every 0.25 s
for `--cycle` seconds before the first report, so the rise and fall around the writer's
10 s flush shows (the min and max of that sawtooth, not one point of it).

Reports are printed as one table per host count, in MiB and in KB per host over the first
`--hosts 0` run given (run 0 first to get per-host figures).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import ctypes.util
import gc
import json
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROBE_ENV = "SSHMON_MEMORY_PROBE_DIR"
PROBE_DB_ENV = "SSHMON_MEMORY_PROBE_DB"


# -- inside `sshmon run`: the probe thread ---------------------------------------------------


class _Mallinfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")


def _rollup() -> dict[str, int]:
    out: dict[str, int] = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
        key, _, rest = line.partition(":")
        out[key] = int(rest.split()[0]) * 1024
    return out


def _glibc() -> dict[str, int]:
    libc = _libc()
    libc.mallinfo2.restype = _Mallinfo2
    info = libc.mallinfo2()
    return {
        # in use: small chunks + mmapped big chunks
        "glibc_in_use": info.uordblks + info.hblkhd,
        # free chunks kept in the heap and the arenas (malloc_trim can give some back)
        "glibc_free_held": info.fordblks,
        "glibc_mmapped": info.hblkhd,
    }


_CHDB_METRICS = (
    "MemoryTracking",
    "MergesMutationsMemoryTracking",
    "MarkCacheBytes",
    "UncompressedCacheBytes",
    "PrimaryIndexCacheBytes",
    "IndexMarkCacheBytes",
    "QueryCacheBytes",
    "QueryConditionCacheBytes",
    "PageCacheBytes",
    "MMapCacheCells",
    "CompiledExpressionCacheBytes",
)
_JEMALLOC_TOTALS = re.compile(
    r"^Allocated: (\d+), active: (\d+), metadata: (\d+).*resident: (\d+), mapped: (\d+), "
    r"retained: (\d+)",
    re.MULTILINE,
)
_JEMALLOC_DIRTY = re.compile(
    r"^Merged arenas stats:.*?^\s+dirty:\s+\S+\s+(\d+)", re.MULTILINE | re.DOTALL
)


def _chdb(client: Any, light: bool = False) -> dict[str, float]:
    """The engine's own accounting: jemalloc's totals (chDB links its own jemalloc, which
    Python's objects never use), what the engine tracks, its caches and parts."""
    out: dict[str, float] = {}
    stats = client.query("SELECT stats FROM system.jemalloc_stats").result_rows[0][0]
    totals = _JEMALLOC_TOTALS.search(stats)
    if totals:
        for key, value in zip(
            ("allocated", "active", "metadata", "resident", "mapped", "retained"),
            totals.groups(),
            strict=True,
        ):
            out[f"jemalloc.{key}"] = float(value)
    dirty = _JEMALLOC_DIRTY.search(stats)
    if dirty:
        out["jemalloc.dirty"] = float(dirty.group(1)) * 4096
    if light:
        return out
    names = ", ".join(f"'{n}'" for n in _CHDB_METRICS)
    for name, value in client.query(
        f"SELECT metric, value FROM system.metrics WHERE metric IN ({names})"
    ).result_rows:
        out[name] = float(value)
    row = client.query(
        "SELECT sum(primary_key_bytes_in_memory_allocated), sum(marks_bytes), count() "
        "FROM system.parts WHERE active"
    ).result_rows[0]
    out["parts_pk_in_memory"], out["parts_marks_bytes"], out["parts"] = map(float, row)
    return out


def _pymalloc() -> dict[str, int]:
    """pymalloc's arenas (its own 1 MiB mmaps, outside glibc): `sys._debugmallocstats` prints
    them to fd 2 only, so fd 2 is pointed at a file for the call."""
    import tempfile as tf

    with tf.TemporaryFile() as f:
        saved = os.dup(2)
        try:
            os.dup2(f.fileno(), 2)
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        f.seek(0)
        text = f.read().decode(errors="replace")
    out = {}
    for key, pattern in (
        ("pymalloc_arenas", r"bytes in allocated blocks\s*=\s*([\d,]+)"),
        ("pymalloc_mapped", r"Total\s*=\s*([\d,]+)"),
    ):
        found = re.findall(pattern, text)
        if found:
            out[key] = int(found[0].replace(",", ""))
    return out


def _report(client: Any) -> dict[str, float]:
    roll = _rollup()
    out: dict[str, float] = {
        "rss": roll["Rss"],
        "anon": roll["Anonymous"],
        "file": roll["Rss"] - roll["Anonymous"],
        "py_blocks": sys.getallocatedblocks(),
    }
    out.update(_glibc())
    out.update(_pymalloc())
    import tracemalloc

    if tracemalloc.is_tracing():
        out["py_traced"] = tracemalloc.get_traced_memory()[0]
    if client is not None:
        out.update(_chdb(client))
    return out


def _sample(seconds: float, client: Any) -> dict[str, Any]:
    """RSS and each allocator's footprint every ~0.25 s for `seconds`: the rise and fall
    around the writer's flushes. Returns RSS's min / median / max and every reading at
    the samples where RSS was lowest and highest."""
    samples: list[dict[str, float]] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        roll = _rollup()
        one: dict[str, float] = {"rss": roll["Rss"], "anon": roll["Anonymous"]}
        glibc = _glibc()
        one["glibc_footprint"] = glibc["glibc_in_use"] + glibc["glibc_free_held"]
        one.update(_pymalloc())
        if client is not None:
            one.update(_chdb(client, light=True))
        samples.append(one)
        time.sleep(0.25)
    by_rss = sorted(samples, key=lambda r: r["rss"])
    return {
        "rss_min": by_rss[0]["rss"],
        "rss_median": by_rss[len(by_rss) // 2]["rss"],
        "rss_max": by_rss[-1]["rss"],
        "at_min": by_rss[0],
        "at_max": by_rss[-1],
        "samples": len(samples),
    }


def _probe(directory: Path, db_path: Path) -> None:
    """Answer each `N.req` file (JSON: cycle seconds) with `N-<pid>.json`. The engine is
    asked only where it runs (the process that imported chdb: the owner)."""
    client = None
    seen: set[str] = set()
    pid = os.getpid()
    while True:
        time.sleep(0.2)
        for req in sorted(directory.glob("*.req")):
            if req.name in seen:
                continue
            seen.add(req.name)
            ask = json.loads(req.read_text())
            if client is None and "chdb" in sys.modules and db_path.exists():
                import clickhouse_connect

                client = clickhouse_connect.get_client(dsn=f"chdb://{db_path}")
            result: dict[str, Any] = {"cmdline": " ".join(sys.argv)}
            if ask.get("cycle"):
                result["cycle"] = _sample(float(ask["cycle"]), client)
            result["as_is"] = _report(client)
            gc.collect()
            result["after_gc"] = _report(client)
            import tracemalloc

            if tracemalloc.is_tracing():  # for --tracemalloc: where the heap is, by site
                tracemalloc.take_snapshot().dump(str(directory / f"{req.stem}-{pid}.snap"))
            _libc().malloc_trim(0)
            result["after_malloc_trim"] = _report(client)
            if client is not None:
                client.command("SYSTEM JEMALLOC PURGE")
                result["after_jemalloc_purge"] = _report(client)
            answer = directory / f"{req.stem}-{pid}.json"
            tmp = answer.with_suffix(".tmp")
            tmp.write_text(json.dumps(result))
            tmp.rename(answer)


def start_probe() -> None:
    """Called from the `sitecustomize` the runner puts first on PYTHONPATH, so that every
    Python process of `sshmon run` (the owner and its `--workers`) answers."""
    directory = Path(os.environ[PROBE_ENV])
    db_path = Path(os.environ[PROBE_DB_ENV])
    threading.Thread(
        target=_probe, args=(directory, db_path), daemon=True, name="memory-probe"
    ).start()


SITECUSTOMIZE = """\
import importlib.util
import os

if os.environ.get({env!r}):
    _spec = importlib.util.spec_from_file_location("_sshmon_memory_probe", {path!r})
    _probe = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_probe)
    _probe.start_probe()
"""


# -- outside: the runs -----------------------------------------------------------------------


async def ask(directory: Path, n: int, cycle: float, pids: list[int]) -> list[dict[str, Any]]:
    """One report from each process in `pids` (the owner and its workers)."""
    (directory / f"{n}.req").write_text(json.dumps({"cycle": cycle}))
    answers = [directory / f"{n}-{pid}.json" for pid in pids]
    deadline = time.monotonic() + cycle + 120
    while not all(a.exists() for a in answers):
        if time.monotonic() > deadline:
            raise SystemExit("the probe did not answer")
        await asyncio.sleep(0.5)
    return [json.loads(a.read_text()) for a in answers]


def role(cmdline: str) -> str:
    """owner, or `worker K/N` from a worker's `--shard K/N`."""
    words = cmdline.split()
    if "--shard" in words:
        return f"worker {words[words.index('--shard') + 1]}"
    return "owner"


async def one(hosts: int, args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """role -> that process's report, for one `sshmon run` at `hosts` hosts."""
    sys.path.insert(0, str(ROOT / "bench"))
    import psutil
    from poller_bench import sim_target
    from run_bench import Setup, answered, free_port, get, inventory, sshmon_run, wait_web

    with tempfile.TemporaryDirectory(prefix="owner-memory-") as tmp_dir:
        tmp = Path(tmp_dir)
        probe = tmp / "probe"
        probe.mkdir()
        site = tmp / "site"
        site.mkdir()
        (site / "sitecustomize.py").write_text(
            SITECUSTOMIZE.format(env=PROBE_ENV, path=str(Path(__file__).resolve()))
        )
        async with contextlib.AsyncExitStack() as stack:
            if hosts:
                target = await stack.enter_async_context(sim_target(tmp, hosts, args.interval))
                host_list = [h.model_copy(update={"slow_every": 12}) for h in target.hosts]
                inv = inventory(tmp, host_list, target.known_hosts)
            else:
                inv = inventory(tmp, [], tmp / "known_hosts")
            port = free_port()
            base = f"http://127.0.0.1:{port}/"
            env = {
                **os.environ,
                "PYTHONPATH": f"{site}{os.pathsep}{args.tree}",
                PROBE_ENV: str(probe),
                PROBE_DB_ENV: str(tmp / "data" / "db"),
            }
            if args.tracemalloc:
                env["PYTHONTRACEMALLOC"] = "8"  # frames: a site is found in sshmon's code
            for spec in args.env:
                key, _, value = spec.partition("=")
                env[key] = value
            setup = Setup("owner-memory", Path(args.tree), args.workers)
            with sshmon_run(setup, tmp, inv, port, env) as proc:
                wait_web(base, proc, tmp / "run.log")
                while hosts and await asyncio.to_thread(answered, base) < hosts:
                    if proc.poll() is not None:
                        raise SystemExit((tmp / "run.log").read_text()[-3000:])
                    await asyncio.sleep(2.0)
                await asyncio.sleep(args.warmup)
                for _ in range(args.scrapes):  # as run_bench.py reads it at a window's start
                    await asyncio.to_thread(get, base + "metrics")
                await asyncio.sleep(args.window)
                root = psutil.Process(proc.pid)
                pids = [proc.pid] + [
                    c.pid for c in root.children(recursive=True) if "python" in c.name()
                ]
                reports = await ask(probe, 1, args.cycle, pids)
                if args.tracemalloc:  # kept past the temporary directory, for `sites`
                    for snap in probe.glob("*.snap"):
                        pid = int(snap.stem.split("-")[1])
                        if pid == proc.pid:
                            keep = Path(tempfile.gettempdir()) / f"owner-memory-{hosts}.snap"
                            snap.replace(keep)
                return {role(r["cmdline"]): r for r in reports}


ROWS = (
    ("rss", "RSS"),
    ("anon", "  anonymous"),
    ("file", "  file-backed"),
    ("glibc_in_use", "glibc in use"),
    ("glibc_free_held", "glibc freed, held"),
    ("py_traced", "Python traced heap"),
    ("pymalloc_mapped", "pymalloc arenas mapped"),
    ("pymalloc_arenas", "pymalloc blocks in use"),
    ("jemalloc.resident", "jemalloc resident"),
    ("jemalloc.allocated", "jemalloc allocated"),
    ("jemalloc.active", "jemalloc active"),
    ("jemalloc.dirty", "jemalloc dirty (freed)"),
    ("jemalloc.retained", "jemalloc retained (unmapped)"),
    ("jemalloc.metadata", "jemalloc metadata"),
    ("MemoryTracking", "chDB tracked"),
    ("MarkCacheBytes", "mark cache"),
    ("UncompressedCacheBytes", "uncompressed cache"),
    ("PrimaryIndexCacheBytes", "primary index cache"),
    ("parts_pk_in_memory", "parts' primary keys"),
    ("parts_marks_bytes", "parts' marks (disk)"),
    ("parts", "active parts (count)"),
)


def table(results: dict[int, dict[str, dict[str, Any]]]) -> None:
    counts = sorted(results)
    zero = results.get(0)
    for hosts in counts:
        for name, res in sorted(results[hosts].items()):
            c = res.get("cycle")
            if c:
                print(
                    f"{hosts} hosts, {name}: RSS over the cycle min "
                    f"{c['rss_min'] / 2**20:.0f} / median {c['rss_median'] / 2**20:.0f} / max "
                    f"{c['rss_max'] / 2**20:.0f} MiB ({c['samples']} samples); at the "
                    "lowest -> highest RSS: "
                    + ", ".join(
                        f"{k} {c['at_min'][k] / 2**20:.0f} -> {v / 2**20:.0f}"
                        for k, v in c["at_max"].items()
                        if k in c["at_min"]
                    )
                )
        total = sum(r["as_is"]["rss"] for r in results[hosts].values())
        line = f"{hosts} hosts: RSS of all processes {total / 2**20:.0f} MiB"
        if zero and hosts:
            base = sum(r["as_is"]["rss"] for r in zero.values())
            line += f", {(total - base) / hosts / 1000:.1f} KB/host over 0 hosts"
        print(line)
    roles = sorted({name for res in results.values() for name in res})
    for name in roles:
        for stage in ("as_is", "after_malloc_trim", "after_jemalloc_purge"):
            print(f"-- {name}, {stage}: MiB" + (" (KB/host over 0 hosts)" if zero else ""))
            for key, label in ROWS:
                cells = []
                for hosts in counts:
                    rep = results[hosts].get(name, {}).get(stage, {})
                    if key not in rep:
                        cells.append(f"{'-':>17}")
                        continue
                    value = rep[key]
                    if key == "parts":
                        cells.append(f"{value:>17.0f}")
                        continue
                    text = f"{value / 2**20:9.1f}"
                    base = (zero or {}).get(name, {}).get(stage, {}).get(key)
                    if base is not None and hosts:
                        text += f" ({(value - base) / hosts / 1000:5.1f})"
                    else:
                        text += " " * 8
                    cells.append(text)
                if any(c.strip() != "-" for c in cells):
                    print(f"  {label:30s}" + "  ".join(cells))


OWN_PACKAGES = ("/api/", "/poller/", "/store/", "/alerts/", "/sshmon/", "/parsers/")


def _site(trace: Any) -> str:
    """The innermost frame in sshmon's own packages (else the innermost): who asked."""
    frames = list(trace.traceback)[::-1]  # tracemalloc keeps them oldest first
    for frame in frames:  # innermost first
        if any(p in frame.filename for p in OWN_PACKAGES):
            name = frame.filename
            for p in OWN_PACKAGES:
                if p in name:
                    name = p.strip("/") + "/" + name.split(p, 1)[1]
                    break
            return f"{name}:{frame.lineno}"
    return f"{frames[0].filename.rsplit('/site-packages/', 1)[-1]}:{frames[0].lineno}"


def sites(hosts: int, top: int) -> None:
    """The owner's traced heap at `hosts` over 0 hosts, per allocation site (KB a host)."""
    import tracemalloc

    tmp = Path(tempfile.gettempdir())
    by: list[dict[str, int]] = []
    for n in (0, hosts):
        sizes: dict[str, int] = {}
        for trace in tracemalloc.Snapshot.load(str(tmp / f"owner-memory-{n}.snap")).traces:
            key = _site(trace)
            sizes[key] = sizes.get(key, 0) + trace.size
        by.append(sizes)
    diff = {k: by[1].get(k, 0) - by[0].get(k, 0) for k in by[0].keys() | by[1].keys()}
    total = sum(diff.values())
    per_host = total / hosts / 1000
    print(f"owner's traced heap, {hosts} over 0 hosts: {per_host:.1f} KB/host, by site:")
    for key, size in sorted(diff.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {size / hosts / 1000:7.2f} KB/host  {key}")


async def main_async(args: argparse.Namespace) -> None:
    results: dict[int, dict[str, dict[str, Any]]] = {}
    for hosts in args.hosts:
        results[hosts] = await one(hosts, args)
        print(f"{hosts} hosts: {json.dumps(results[hosts])}", flush=True)
    print(f"columns: {sorted(results)} hosts")
    table(results)
    if args.tracemalloc and 0 in results:
        for hosts in results:
            if hosts:
                sites(hosts, args.top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, action="append", required=True)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=40.0, help="after every host answered")
    parser.add_argument(
        "--cycle", type=float, default=20.0, help="seconds of RSS sampling before the report"
    )
    parser.add_argument(
        "--scrapes", type=int, default=0, help="GET /metrics this many times after the warm-up"
    )
    parser.add_argument(
        "--window", type=float, default=0.0, help="then wait this long before the report"
    )
    parser.add_argument("--tree", type=Path, default=ROOT)
    parser.add_argument("--workers", type=int, default=None, help="sshmon run --workers N")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for `sshmon run` (allocator settings)",
    )
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="trace Python's heap (slows the process: not for RSS figures); with a "
        "0-hosts run, the owner's heap per host by allocation site",
    )
    parser.add_argument("--top", type=int, default=30, help="sites listed with --tracemalloc")
    args = parser.parse_args()
    args.tree = args.tree.resolve()
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
