"""Contract-toolkit benchmark: per-vendor run time against the in-process mock at default settings,
and the mutant kill rate (tests/test_mutants.py) with its run time.

    .venv/bin/python bench/contract_bench.py [--vendors ultra,devcrm] [--no-mutants] [--write-results]

``--write-results`` replaces the section between ``<!-- contract-bench:start -->`` and
``<!-- contract-bench:end -->`` in bench/RESULTS.md (appended when missing).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from contract_tests.profile import vendor_keys  # noqa: E402
from contract_tests.runner import DEFAULT_MAX_EXAMPLES, RunSettings, run_contract  # noqa: E402

START, END = "<!-- contract-bench:start -->", "<!-- contract-bench:end -->"


def bench_vendors(vendors: list[str]) -> list[str]:
    rows = ["| vendor | operations | requests | failures | time (s) |", "|---|---|---|---|---|"]
    for vendor in vendors:
        started = time.perf_counter()
        result = run_contract(RunSettings(vendor=vendor, target="mock"))
        elapsed = time.perf_counter() - started
        cells = [vendor, len(result.operations), result.cases, len(result.failures), f"{elapsed:.1f}"]
        rows.append("| " + " | ".join(map(str, cells)) + " |")
        print(rows[-1], flush=True)
    return rows


def bench_mutants() -> list[str]:
    from tests.test_mutants import MUTANTS, run_against

    rows = ["| mutant | expected check | killed | named right | time (s) |", "|---|---|---|---|---|"]
    killed = named = 0
    total_started = time.perf_counter()
    for name, (wrapper, check) in sorted(MUTANTS.items()):
        started = time.perf_counter()
        result = run_against(wrapper)
        elapsed = time.perf_counter() - started
        is_killed, is_named = not result.ok, check in result.failed_checks()
        killed += is_killed
        named += is_named
        cells = [name, check, "yes" if is_killed else "NO", "yes" if is_named else "NO", f"{elapsed:.1f}"]
        rows.append("| " + " | ".join(cells) + " |")
        print(rows[-1], flush=True)
    started = time.perf_counter()
    clean = run_against(None)
    verdict = "passes" if clean.ok else "FAILS"
    rows.append(f"| (unbroken mock) | — | {verdict} | — | {time.perf_counter() - started:.1f} |")
    total = time.perf_counter() - total_started
    n = len(MUTANTS)
    summary = f"Kill rate **{killed}/{n}** (right check named {named}/{n}), {total:.1f} s in all."
    return [summary, "", *rows]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--vendors", default=",".join(vendor_keys()))
    parser.add_argument("--no-mutants", action="store_true")
    parser.add_argument("--write-results", action="store_true")
    args = parser.parse_args()
    cpu = platform.processor() or platform.machine()
    machine = f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    lines = [
        START,
        "## Contract toolkit (`bench/contract_bench.py`)",
        "",
        f"`crm-contract run VENDOR --target mock` at default settings (max examples {DEFAULT_MAX_EXAMPLES}, "
        f"all phases, one worker), in-process; {machine}. Budget: 60 s per vendor.",
        "",
        *bench_vendors(args.vendors.split(",")),
    ]
    if not args.no_mutants:
        lines += [
            "",
            "### Mutants (`tests/test_mutants.py`: lead operations, 3 examples)",
            "",
            *bench_mutants(),
        ]
    lines.append(END)
    text = "\n".join(lines)
    print(text)
    if args.write_results:
        path = ROOT / "bench" / "RESULTS.md"
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if START in current and END in current:
            head, rest = current.split(START, 1)
            current = head + text + rest.split(END, 1)[1]
        else:
            current = current.rstrip("\n") + "\n\n" + text + "\n"
        path.write_text(current, encoding="utf-8")


if __name__ == "__main__":
    main()
