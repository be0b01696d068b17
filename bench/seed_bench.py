"""Seeding at scale: scenario load times, memory, list/get at 1M leads, snapshot restore.

    .venv/bin/python bench/seed_bench.py [--sizes 100000 1000000] [--write-results]

Each measurement runs in a fresh child process (so peak RSS is its own) against a fresh data
file under a temporary directory, with the clock pinned. Targets (issue 4): 100k leads <= 2 s,
1M <= 20 s, 1M records held in <= 1.5 GiB RSS, restoring a 100k-record state <= 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
START, END = "<!-- seed-bench:start -->", "<!-- seed-bench:end -->"
NOW = "2026-03-01T12:00:00Z"

CHILD = r"""
import json, os, resource, sys, time, warnings
warnings.filterwarnings("ignore")
from mockserver.settings import Settings
from mockserver.runtime import Runtime
from mockserver.seeding.loader import load_scenario
from mockserver.seeding import snapshots
db, leads, what = sys.argv[1], int(sys.argv[2]), sys.argv[3]
out = {}
settings = Settings(db=db, vendors=("ultra",), now="__NOW__", seed_on_start=False)
if what == "load":
    runtime = Runtime(settings); runtime.prepare()
    t = time.perf_counter()
    report = load_scenario(runtime, "load_test_1m", scale=leads / 1_000_000)
    out["load_s"] = time.perf_counter() - t
    out["records"] = report["records"]
    out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["file_mib"] = os.path.getsize(db) / 2**20
elif what == "default":
    runtime = Runtime(settings); runtime.prepare()
    t = time.perf_counter(); runtime.reset(); out["load_s"] = time.perf_counter() - t
elif what == "serve":  # the state held by a server process: requests through the real stack
    from starlette.testclient import TestClient
    from mockserver.app import create_app
    app = create_app(settings.but(seed_on_start=False))
    client = TestClient(app); h = {"X-API-Key": "demo-key"}
    ids = [d["id"] for d in client.get("/v1/leads?limit=100", headers=h).json()["data"]]
    def timed(path, n):
        samples = []
        for i in range(n):
            t = time.perf_counter(); r = client.get(path.format(id=ids[i % len(ids)]), headers=h)
            samples.append((time.perf_counter() - t) * 1000); assert r.status_code == 200, r.text
        samples.sort(); return {"p50_ms": samples[len(samples) // 2], "max_ms": samples[-1]}
    out["get"] = timed("/v1/leads/{id}", 200)
    out["list_status_sorted"] = timed("/v1/leads?status=won&sortBy=createdAt&sortOrder=desc&limit=20", 50)
    out["list_page_50"] = timed("/v1/leads?page=50&limit=20", 50)
    out["list_search"] = timed("/v1/leads?search=smith&limit=20", 5)
    out["rss_mib"] = int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
elif what == "restore":
    runtime = Runtime(settings); runtime.prepare()
    out["snapshot"] = snapshots.take(runtime.store, "bench")
    runtime.store.execute("DELETE FROM c_ultra_leads WHERE rowid % 2 = 0")
    out["restore"] = snapshots.restore(runtime.store, "bench")
    out["leads_after"] = runtime.store.count("ultra_leads")
print(json.dumps(out))
""".replace("__NOW__", NOW)


def child(db: str, leads: int, what: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, db, str(leads), what],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=1800,
    )
    if proc.returncode:
        raise SystemExit(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--write-results", action="store_true")
    args = parser.parse_args()
    lines = []
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="seed-bench-") as tmp:
        d = child(str(Path(tmp) / "default.db"), 0, "default")
        lines.append(f"| default seed (300 leads, full histories, ~3.2k records) | {d['load_s']:.2f} s | | |")
        for n in args.sizes:
            db = str(Path(tmp) / f"{n}.db")
            r = child(db, n, "load")
            lines.append(
                f"| `load_test_1m` at {n:,} leads ({r['records']:,} records) | {r['load_s']:.2f} s | "
                f"{r['peak_rss_mib']:.0f} MiB | {r['file_mib']:.0f} MiB |"
            )
            if n == max(args.sizes):
                served = child(db, n, "serve")
            if n == min(args.sizes):
                restore = child(db, n, "restore")
    load = os.getloadavg()
    text = [
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
        f"- machine: nproc {os.cpu_count()}, {platform.machine()}, Python {platform.python_version()}, "
        f"load average {load_start:.1f} at the start, {load[0]:.1f} at the end (a shared machine: "
        "figures vary run to run)",
        f"- command: `.venv/bin/python bench/seed_bench.py --sizes {' '.join(map(str, args.sizes))}"
        f"{' --write-results' if args.write_results else ''}`",
        "- each line is a fresh process and a fresh data file (indexes built after the data, on "
        "materialised columns; a brand-new file loads without the WAL, which is back on afterwards)",
        "",
        "| load | wall time | peak RSS of the loading process | data file |",
        "|---|--:|--:|--:|",
        *lines,
        "",
        f"Serving {max(args.sizes):,} leads (in-process ASGI, one request at a time; "
        f"RSS {served['rss_mib']:.0f} MiB after the requests):",
        "",
        "| request | p50 ms | max ms |",
        "|---|--:|--:|",
        *(
            f"| `{k}` | {v['p50_ms']:.2f} | {v['max_ms']:.2f} |"
            for k, v in served.items()
            if isinstance(v, dict)
        ),
        "",
        f"Snapshot of the {min(args.sizes):,}-lead state: take {restore['snapshot']['seconds']:.2f} s "
        f"({restore['snapshot']['bytes'] / 2**20:.0f} MiB), restore {restore['restore']['seconds']:.2f} s "
        f"(leads after restore: {restore['leads_after']:,}).",
    ]
    report = "\n".join(text)
    print(report)
    if args.write_results:
        body = RESULTS.read_text(encoding="utf-8")
        section = f"{START}\n{report}\n{END}"
        if START in body:
            body = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _: section, body, flags=re.S)
        else:
            body += "\n## Seeding: scenario loads at scale (`bench/seed_bench.py`)\n\n" + section + "\n"
        RESULTS.write_text(body, encoding="utf-8")


if __name__ == "__main__":
    main()
