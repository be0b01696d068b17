"""HTTP benchmark: crm-mock against Prism on the same three requests, measured with wrk.

Run from the repo root:

    .venv/bin/python bench/http_bench.py --leads 100000 --duration 10 --write-results

Everything binds to 127.0.0.1, every wait is bounded, and every process started here is
stopped by its own PID (its process group) on exit, errors included.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BENCH_DIR = REPO / "bench"
RESULTS_FILE = BENCH_DIR / "RESULTS.md"
START_MARK = "<!-- http-bench:start -->"
END_MARK = "<!-- http-bench:end -->"

HOST = "127.0.0.1"
API_KEY = "demo-key"
PRISM_PACKAGE = "@stoplight/prism-cli@5.14.2"
POST_BODY = (
    '{"source":"website","email":"bench@example.com","firstName":"Bench",'
    '"lastName":"Mark","insuranceType":"AUTO","state":"NY"}'
)
HEALTH_TIMEOUT_S = 30.0
PRISM_START_TIMEOUT_S = 60.0
STOP_GRACE_S = 5.0
SEED_TIMEOUT_S = 1800.0
NPM_TIMEOUT_S = 900.0
REQUEST_TIMEOUT_S = 10.0

TARGET_LIST_P99_MS = 50.0
TARGET_RATIO = 1.0


class BenchError(RuntimeError):
    """A step of the benchmark failed; the message says which and why."""


# --------------------------------------------------------------------------- processes


@dataclass
class Proc:
    """A subprocess in its own session: its PID is also its process-group id."""

    name: str
    cmd: list[str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> int:
        """Start the process with output to its log file; return its PID."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.popen = subprocess.Popen(
                self.cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        print(f"[{self.name}] started pid {self.popen.pid}: {shlex.join(self.cmd)}")
        return self.popen.pid

    @property
    def pid(self) -> int:
        """The PID of the started process."""
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        """True while the process has not exited."""
        return self.popen is not None and self.popen.poll() is None

    def stop(self) -> None:
        """SIGTERM the process group led by our PID; SIGKILL it after the grace."""
        if self.popen is None:
            return
        pid = self.popen.pid
        if self.popen.poll() is None:
            _signal_group(pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=STOP_GRACE_S)
                print(f"[{self.name}] pid {pid} stopped (SIGTERM)")
            except subprocess.TimeoutExpired:
                _signal_group(pid, signal.SIGKILL)
                self.popen.wait(timeout=STOP_GRACE_S)
                print(f"[{self.name}] pid {pid} killed (SIGKILL after {STOP_GRACE_S:.0f} s)")
        # Leftover members of the group (children of a wrapper), if any.
        _signal_group(pid, signal.SIGKILL)
        self.popen = None

    def log_tail(self, n: int = 20) -> str:
        """The last n lines of the process log."""
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    """Send sig to the process group pgid, ignoring a group that is already gone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def port_in_use(port: int) -> bool:
    """True if something already accepts connections on HOST:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((HOST, port)) == 0


# --------------------------------------------------------------------------- HTTP


def http(
    method: str, url: str, body: str | None = None, timeout: float = REQUEST_TIMEOUT_S
) -> tuple[int, bytes]:
    """One request with the API key; return (status, body). Status 0 means no answer."""
    headers = {"X-API-Key": API_KEY}
    data = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        data = body.encode()
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, OSError):
        return 0, b""


def wait_until(check: Callable[[], bool], proc: Proc, timeout: float) -> float:
    """Poll check() until true; fail if proc exits or time runs out. Return seconds."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if not proc.alive():
            raise BenchError(
                f"{proc.name} exited early (rc={proc.popen and proc.popen.returncode}):\n{proc.log_tail()}"
            )
        if check():
            return time.monotonic() - t0
        time.sleep(0.2)
    raise BenchError(f"{proc.name} did not answer within {timeout:.0f} s:\n{proc.log_tail()}")


def first_id(payload: Any) -> str | None:
    """The first record `id` in a list response, whatever key the list is under."""
    if isinstance(payload, list):
        for item in payload:
            if isinstance(item, dict) and isinstance(item.get("id"), str | int):
                return str(item["id"])
        return None
    if isinstance(payload, dict):
        for value in payload.values():
            if isinstance(value, list | dict):
                found = first_id(value)
                if found:
                    return found
    return None


# --------------------------------------------------------------------------- wrk


@dataclass
class Request:
    """One benchmarked request: a label, method and path (relative to a base URL)."""

    label: str
    method: str
    path: str
    body: str | None = None


@dataclass
class WrkResult:
    """What wrk reported for one run."""

    rps: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    requests: int | None = None
    non2xx: int = 0
    socket_errors: str = ""
    check_status: int | None = None
    raw: str = ""
    notes: list[str] = field(default_factory=list)


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _to_ms(value: str, unit: str) -> float:
    return float(value) * _UNITS_MS[unit]


def parse_wrk(text: str) -> WrkResult:
    """Parse req/s, p50, p99, request and non-2xx counts, socket errors from wrk."""
    res = WrkResult(raw=text)
    if m := re.search(r"^Requests/sec:\s+([\d.]+)", text, re.MULTILINE):
        res.rps = float(m.group(1))
    for pct, attr in (("50", "p50_ms"), ("99", "p99_ms")):
        if m := re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s|m|h)\s*$", text, re.MULTILINE):
            setattr(res, attr, _to_ms(m.group(1), m.group(2)))
    if m := re.search(r"^\s+(\d+) requests in", text, re.MULTILINE):
        res.requests = int(m.group(1))
    if m := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text):
        res.non2xx = int(m.group(1))
    if m := re.search(r"Socket errors:\s+(.+)$", text, re.MULTILINE):
        res.socket_errors = m.group(1).strip()
    return res


def run_wrk(base: str, req: Request, args: argparse.Namespace, tmp: Path, duration: int) -> WrkResult:
    """Run wrk on base+req.path with the API key (and a Lua script for a body)."""
    cmd = [
        "wrk",
        "--latency",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "-H",
        f"X-API-Key: {API_KEY}",
    ]
    if req.method != "GET":
        script = tmp / f"{req.method.lower()}.lua"
        body = (req.body or "").replace("\\", "\\\\").replace('"', '\\"')
        script.write_text(
            f'wrk.method = "{req.method}"\n'
            f'wrk.body = "{body}"\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
        )
        cmd += ["-s", str(script)]
    cmd.append(base + req.path)
    print(f"  $ {shlex.join(cmd)}")
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60, check=False)
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"wrk did not finish within {duration + 60} s") from exc
    if out.returncode != 0:
        raise BenchError(f"wrk failed (rc={out.returncode}): {out.stderr.strip()}")
    res = parse_wrk(out.stdout)
    if res.rps is None or res.p99_ms is None:
        raise BenchError(f"could not parse wrk output:\n{out.stdout}")
    return res


def preflight(base: str, requests: list[Request], who: str) -> dict[str, int]:
    """Send each request once; print its status and return {label: status}."""
    statuses: dict[str, int] = {}
    for req in requests:
        status, body = http(req.method, base + req.path, req.body)
        statuses[req.label] = status
        ok = 200 <= status < 300
        print(
            f"  check {who}: {req.method} {req.path} -> {status or 'no answer'}"
            + ("" if ok else "  <-- NOT 2xx")
        )
        if not ok:
            print(f"    body: {body[:500].decode(errors='replace')}")
    return statuses


def bench_target(
    base: str, requests: list[Request], args: argparse.Namespace, who: str, tmp: Path
) -> dict[str, WrkResult]:
    """Check every request once, then time each with wrk."""
    statuses = preflight(base, requests, who)
    if args.warmup > 0:
        print(f"[{who}] warm-up: {args.warmup} s of {requests[0].label}, not recorded")
        run_wrk(base, requests[0], args, tmp, args.warmup)
    results: dict[str, WrkResult] = {}
    for req in requests:
        print(f"[{who}] wrk {req.label}")
        res = run_wrk(base, req, args, tmp, args.duration)
        res.check_status = statuses[req.label]
        if not 200 <= res.check_status < 300:
            res.notes.append(f"check request answered {res.check_status or 'nothing'}")
        if res.non2xx:
            res.notes.append(f"{res.non2xx} non-2xx responses during the run")
        if res.socket_errors:
            res.notes.append(f"socket errors: {res.socket_errors}")
        print(
            f"    {res.rps:.0f} req/s  p50 {res.p50_ms:.2f} ms  "
            f"p99 {res.p99_ms:.2f} ms  non-2xx {res.non2xx}"
            + (f"  socket errors: {res.socket_errors}" if res.socket_errors else "")
        )
        results[req.label] = res
    return results


# ------------------------------------------------------------------ memory, machine


def proc_status_kb(pid: int, key: str) -> int | None:
    """A `kB` field (VmRSS, VmHWM) of /proc/PID/status."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def descendants(pid: int) -> list[int]:
    """PIDs of all descendants of pid (from /proc/*/stat)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    out: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


@dataclass
class Memory:
    """RSS and peak RSS (MiB) of a process and its descendants."""

    rss_mib: float | None
    hwm_mib: float | None
    nprocs: int


def sample_memory(pid: int) -> Memory:
    """Sum VmRSS and VmHWM over pid and its descendants."""
    pids = [pid, *descendants(pid)]
    rss = [proc_status_kb(p, "VmRSS") for p in pids]
    hwm = [proc_status_kb(p, "VmHWM") for p in pids]
    rss_ok = [v for v in rss if v is not None]
    hwm_ok = [v for v in hwm if v is not None]
    return Memory(
        rss_mib=sum(rss_ok) / 1024 if rss_ok else None,
        hwm_mib=sum(hwm_ok) / 1024 if hwm_ok else None,
        nprocs=len(pids),
    )


def machine_info() -> str:
    """nproc, CPU model and total RAM, in one line."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = proc_meminfo_total_gib()
    nproc = len(os.sched_getaffinity(0))
    return f"nproc {nproc}, {model}, {mem:.1f} GiB RAM, {platform.platform()}"


def proc_meminfo_total_gib() -> float:
    """MemTotal from /proc/meminfo in GiB."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


def tool_version(cmd: list[str]) -> str:
    """First line of a tool's version output, or '?'."""
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0] if text else "?"


# ------------------------------------------------------------------ the two servers


def seed_db(args: argparse.Namespace) -> None:
    """Build a fresh data file with args.leads leads through `crm-mock seed`."""
    db = Path(args.db)
    db.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal", ".ratelimit", ".journal"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    cmd = [
        args.crm_mock,
        "seed",
        "--db",
        str(db),
        "--leads",
        str(args.leads),
        "--seed",
        "42",
        "--vendor",
        "ultra",
    ]
    print(f"[seed] $ {shlex.join(cmd)}")
    t0 = time.monotonic()
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=SEED_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"seed did not finish within {SEED_TIMEOUT_S:.0f} s") from exc
    if out.returncode != 0:
        raise BenchError(f"seed failed (rc={out.returncode}):\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    if not db.exists():
        raise BenchError(f"seed exited 0 but wrote no {db}")
    size = db.stat().st_size / 1024 / 1024
    print(f"[seed] {args.leads} leads in {time.monotonic() - t0:.1f} s, {db} {size:.1f} MiB")


@dataclass
class Side:
    """Results of one server: per-request wrk results and memory."""

    results: dict[str, WrkResult] = field(default_factory=dict)
    mem_idle: Memory | None = None
    mem_after: Memory | None = None
    prefix: str = ""
    error: str = ""


def requests_for(prefix: str, lead_id: str) -> list[Request]:
    """The three benchmarked requests under a path prefix."""
    return [
        Request("GET /leads/{id}", "GET", f"{prefix}/leads/{lead_id}"),
        Request(
            "GET /leads?status=new&limit=20",
            "GET",
            f"{prefix}/leads?status=new&limit=20",
        ),
        Request("POST /leads", "POST", f"{prefix}/leads", POST_BODY),
    ]


def bench_ours(args: argparse.Namespace, tmp: Path) -> tuple[Side, str]:
    """Seed, start, benchmark, sample memory, stop crm-mock. Return (side, lead id)."""
    side = Side(prefix="/v1")
    port = args.port_base
    if port_in_use(port):
        raise BenchError(f"port {port} is already in use; pick another --port-base")
    seed_db(args)
    proc = Proc(
        "crm-mock",
        [
            args.crm_mock,
            "serve",
            "--host",
            HOST,
            "--port",
            str(port),
            "--db",
            args.db,
            "--workers",
            "1",
            "--no-seed",
            "--vendor",
            "ultra",
        ],
        tmp / "crm-mock.log",
    )
    base = f"http://{HOST}:{port}"
    try:
        proc.start()
        waited = wait_until(
            lambda: http("GET", base + "/__admin/health", timeout=2)[0] == 200,
            proc,
            HEALTH_TIMEOUT_S,
        )
        print(f"[crm-mock] healthy after {waited:.1f} s")
        side.mem_idle = sample_memory(proc.pid)
        status, body = http("GET", base + "/v1/leads?limit=1")
        if status != 200:
            raise BenchError(f"GET /v1/leads?limit=1 answered {status}: {body[:500]!r}")
        lead_id = first_id(json.loads(body))
        if not lead_id:
            raise BenchError(f"no lead id in GET /v1/leads?limit=1: {body[:500]!r}")
        print(f"[crm-mock] lead id {lead_id}")
        side.results = bench_target(base, requests_for("/v1", lead_id), args, "crm-mock", tmp)
        side.mem_after = sample_memory(proc.pid)
        if not proc.alive():
            raise BenchError(f"crm-mock died during the run:\n{proc.log_tail()}")
        print(f"[crm-mock] RSS {side.mem_after.rss_mib:.1f} MiB, peak {side.mem_after.hwm_mib:.1f} MiB")
    finally:
        proc.stop()
    return side, lead_id


def ensure_prism(prism_dir: Path) -> Path:
    """Install Prism with npm into prism_dir unless it is there; return its binary."""
    binary = prism_dir / "node_modules" / ".bin" / "prism"
    if binary.exists():
        return binary
    npm = shutil.which("npm")
    if not npm:
        raise BenchError("npm not found: apt-get install -y npm (or use --skip-prism)")
    prism_dir.mkdir(parents=True, exist_ok=True)
    cmd = [
        npm,
        "install",
        "--prefix",
        str(prism_dir),
        "--no-audit",
        "--no-fund",
        PRISM_PACKAGE,
    ]
    print(f"[prism] installing: {shlex.join(cmd)}")
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=NPM_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"npm install did not finish within {NPM_TIMEOUT_S:.0f} s") from exc
    if out.returncode != 0 or not binary.exists():
        raise BenchError(f"npm install failed (rc={out.returncode}):\n{out.stderr[-2000:]}")
    return binary


def bench_prism(args: argparse.Namespace, lead_id: str, tmp: Path) -> Side:
    """Start Prism on the spec, find its path prefix, benchmark it, stop it."""
    side = Side()
    port = args.port_base + 1
    if port_in_use(port):
        raise BenchError(f"port {port} is already in use; pick another --port-base")
    if not Path(args.spec).exists():
        raise BenchError(f"spec {args.spec} not found")
    binary = ensure_prism(Path(args.prism_dir).expanduser())
    # The binary is the node script itself (no npx wrapper), so the PID is the server.
    proc = Proc(
        "prism",
        [
            str(binary),
            "mock",
            str(args.spec),
            "-h",
            HOST,
            "-p",
            str(port),
            "-v",
            args.prism_log_level,
        ],
        tmp / "prism.log",
    )
    base = f"http://{HOST}:{port}"
    try:
        proc.start()
        waited = wait_until(
            lambda: http("GET", base + "/leads?limit=1", timeout=2)[0] != 0,
            proc,
            PRISM_START_TIMEOUT_S,
        )
        print(f"[prism] answering after {waited:.1f} s")
        side.mem_idle = sample_memory(proc.pid)
        # Prism matches paths without the servers' base path; probe rather than assume.
        for prefix in ("/v1", ""):
            status, _ = http("GET", f"{base}{prefix}/leads?limit=1")
            if status != 404:
                side.prefix = prefix
                break
        else:
            raise BenchError("Prism answers 404 on both /v1/leads and /leads")
        print(f"[prism] serves the spec paths at prefix {side.prefix or '/'!r}")
        side.results = bench_target(base, requests_for(side.prefix, lead_id), args, "prism", tmp)
        side.mem_after = sample_memory(proc.pid)
    finally:
        proc.stop()
    return side


# --------------------------------------------------------------------------- report


def _fmt(v: float | None, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def ratio(ours: WrkResult | None, prism: WrkResult | None) -> float | None:
    """ours req/s divided by Prism req/s."""
    if not ours or not prism or not ours.rps or not prism.rps:
        return None
    return ours.rps / prism.rps


def tools_line(args: argparse.Namespace, prism: Side | None) -> str:
    """wrk and Prism versions, and how Prism was run."""
    wrk = " ".join(tool_version(["wrk", "--version"]).split()[:2])
    line = f"- tools: {wrk}; "
    if not prism:
        return line + "Prism skipped"
    binary = Path(args.prism_dir).expanduser() / "node_modules" / ".bin" / "prism"
    return (
        line + f"Prism {tool_version([str(binary), '--version'])} "
        f"(`-v {args.prism_log_level}`, static examples) on `{args.spec}`, "
        + ("run failed" if prism.error else f"paths at prefix `{prism.prefix or '/'}`")
    )


def table_row(label: str, o: WrkResult | None, p: WrkResult | None) -> str:
    """One Markdown table row: ours, Prism, ratio."""
    cells = [f"`{label}`"]
    for res in (o, p):
        cells += [
            _fmt(res and res.rps, ".0f"),
            _fmt(res and res.p50_ms, ".2f"),
            _fmt(res and res.p99_ms, ".2f"),
            str(res.non2xx) if res else "-",
        ]
    cells.append(_fmt(ratio(o, p), ".2f"))
    return "| " + " | ".join(cells) + " |"


def memory_line(name: str, side: Side) -> str:
    """RSS idle, after the runs, and peak."""
    idle, after = side.mem_idle, side.mem_after
    assert after is not None
    procs = f" ({after.nprocs} processes)" if after.nprocs > 1 else ""
    return (
        f"- RSS {name}: {_fmt(idle and idle.rss_mib, '.1f')} MiB idle after start, "
        f"{_fmt(after.rss_mib, '.1f')} MiB after the runs, "
        f"peak (VmHWM) {_fmt(after.hwm_mib, '.1f')} MiB{procs}"
    )


def render(args: argparse.Namespace, ours: Side, prism: Side | None, labels: list[str]) -> str:
    """The Markdown report: context, table, memory, targets, notes."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"Run {now}",
        "",
        f"- machine: {machine_info()}",
        f"- command: `{shlex.join(sys.orig_argv)}`",
        (
            f"- leads: {args.leads}, connections: {args.connections}, "
            f"wrk threads: {args.threads}, duration: {args.duration} s per request "
            f"after a {args.warmup} s unrecorded GET-by-id warm-up per server"
        ),
        tools_line(args, prism),
        "",
        (
            "| request | ours req/s | ours p50 ms | ours p99 ms | ours non-2xx "
            "| Prism req/s | Prism p50 ms | Prism p99 ms | Prism non-2xx | ours/Prism |"
        ),
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for label in labels:
        p = prism.results.get(label) if prism else None
        lines.append(table_row(label, ours.results.get(label), p))
    lines.append("")
    for name, side in (("ours (crm-mock)", ours), ("Prism", prism)):
        if side and side.mem_after:
            lines.append(memory_line(name, side))
    lines += ["", "Targets:", *[f"- {t}" for t in targets(args, ours, prism)]]
    notes = [
        f"{who} `{label}`: {'; '.join(res.notes)}"
        for who, side in (("ours", ours), ("Prism", prism))
        if side
        for label, res in side.results.items()
        if res.notes
    ]
    if prism and prism.error:
        notes.append(f"Prism run failed: {prism.error}")
    if notes:
        lines += ["", "Notes:", *[f"- {n}" for n in notes]]
    return "\n".join(lines) + "\n"


def targets(args: argparse.Namespace, ours: Side, prism: Side | None) -> list[str]:
    """Each target with its measured value and met / not met."""
    out = []
    for label in ("GET /leads/{id}", "POST /leads"):
        o = ours.results.get(label)
        r = ratio(o, prism.results.get(label)) if prism else None
        if r is None:
            out.append(f"ratio >= {TARGET_RATIO:.1f} on `{label}`: n/a (no figure to compare)")
            continue
        verdict = "met" if r >= TARGET_RATIO else "not met"
        if o and (o.non2xx or not 200 <= (o.check_status or 0) < 300):
            verdict = "not met (ours answered non-2xx)"
        out.append(f"ratio >= {TARGET_RATIO:.1f} on `{label}`: {r:.2f}, **{verdict}**")
    lst = ours.results.get("GET /leads?status=new&limit=20")
    if lst and lst.p99_ms is not None:
        verdict = "met" if lst.p99_ms < TARGET_LIST_P99_MS and not lst.non2xx else "not met"
        at = f"at {args.connections} connections" + (
            "" if args.connections == 32 else " (target is set at 32)"
        )
        out.append(f"list p99 < {TARGET_LIST_P99_MS:.0f} ms {at}: {lst.p99_ms:.2f} ms, **{verdict}**")
    return out


def write_results(section: str) -> None:
    """Replace the marked section of bench/RESULTS.md, creating the file if missing."""
    block = f"{START_MARK}\n{section}{END_MARK}"
    if RESULTS_FILE.exists():
        text = RESULTS_FILE.read_text()
        start, end = text.find(START_MARK), text.find(END_MARK)
        if start != -1 and end > start:
            text = text[:start] + block + text[end + len(END_MARK) :]
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
    else:
        text = (
            "# Benchmark results\n\n"
            "## HTTP: crm-mock against Prism (`bench/http_bench.py`)\n\n"
            "Written by `.venv/bin/python bench/http_bench.py --write-results`;\n"
            "the section between the markers is replaced on every run.\n"
            "See `bench/README.md`.\n\n"
            f"{block}\n"
        )
    RESULTS_FILE.write_text(text)
    print(f"wrote {RESULTS_FILE}")


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--leads",
        type=int,
        default=100_000,
        help="leads in the data file (default 100000)",
    )
    p.add_argument(
        "--duration",
        type=int,
        default=10,
        help="seconds of wrk per request (default 10)",
    )
    p.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="wrk threads (default 1: on 2 cores the server keeps the other core)",
    )
    p.add_argument(
        "--warmup",
        type=int,
        default=2,
        help="unrecorded GET-by-id seconds before each server's runs (default 2)",
    )
    p.add_argument("--skip-prism", action="store_true", help="benchmark crm-mock only")
    p.add_argument(
        "--port-base",
        type=int,
        default=18400,
        help="crm-mock on this port, Prism on +1",
    )
    p.add_argument(
        "--write-results",
        action="store_true",
        help="update the marked section of bench/RESULTS.md",
    )
    p.add_argument(
        "--crm-mock",
        default=str(REPO / ".venv" / "bin" / "crm-mock"),
        help="crm-mock executable",
    )
    p.add_argument("--db", default="/tmp/crm-bench/bench.db", help="data file to (re)build")
    p.add_argument("--spec", default=str(REPO / "specs" / "ultra.yaml"), help="spec Prism serves")
    p.add_argument(
        "--prism-dir",
        default="~/.cache/crm-mock-bench/prism",
        help="npm prefix Prism is cached in",
    )
    p.add_argument(
        "--prism-log-level",
        default="warn",
        help="Prism -v level (default warn, as the issue's protocol says; silent is Prism's fastest)",
        choices=["trace", "debug", "info", "warn", "error", "fatal", "silent"],
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 on success, 1 on a failed step, 2 when wrk is missing."""
    args = parse_args(argv)
    if not shutil.which("wrk"):
        print("wrk not found. Install it with:  apt-get install -y wrk", file=sys.stderr)
        return 2
    if not Path(args.crm_mock).exists():
        print(f"crm-mock not found at {args.crm_mock}", file=sys.stderr)
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="http-bench-", dir="/tmp"))
    print(f"logs and wrk scripts in {tmp}")
    signal.signal(signal.SIGTERM, _raise_interrupt)
    prism: Side | None = None
    try:
        ours, lead_id = bench_ours(args, tmp)
        if not args.skip_prism:
            try:
                prism = bench_prism(args, lead_id, tmp)
            except BenchError as exc:
                print(f"\nPRISM FAILED: {exc}", file=sys.stderr)
                first = str(exc).splitlines()[0]
                prism = Side(error=f"{first} (log: {tmp / 'prism.log'})")
    except BenchError as exc:
        print(f"\nFAILED: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted; started processes were stopped", file=sys.stderr)
        return 130
    labels = [r.label for r in requests_for("", "x")]
    report = render(args, ours, prism, labels)
    print("\n" + report)
    if args.write_results:
        write_results(report)
    return 1 if prism and prism.error else 0


def _raise_interrupt(signum: int, frame: object) -> None:
    """Turn SIGTERM into KeyboardInterrupt so the finally blocks stop our servers."""
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
