"""``crm-contract``: check a CRM (our mock or a real one) against its spec.

    crm-contract run VENDOR --base-url URL [--api-key K | --token T | --header 'Name: value'] ...
    crm-contract run VENDOR --target mock
    crm-contract list

Settings come from (highest first) the command line, ``CRM_CONTRACT_*`` environment variables and
a TOML file (``--config``, default ``crm-contract.toml`` when present; a ``[crm-contract]`` table or
top-level keys). Exit codes: 0 all pass, 1 contract failures, 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import os
import sys
import tomllib
from pathlib import Path
from typing import Any

from contract_tests.profile import Credentials, load_contract, vendor_keys
from contract_tests.runner import (
    DEFAULT_MAX_EXAMPLES,
    DEFAULT_SEED,
    PHASES,
    ConfigurationError,
    Redactor,
    RunResult,
    RunSettings,
    plan,
    run_contract,
)

KEYS = {  # setting -> type
    "base_url": str,
    "api_key": str,
    "token": str,
    "header": list,
    "mode": str,
    "seed": int,
    "max_examples": int,
    "workers": int,
    "report": str,
    "report_dir": str,
    "target": str,
    "rate_limit": str,
    "operations": str,
    "phases": str,
}


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse exits 2 already; keep the message actionable
        self.print_usage(sys.stderr)
        print(f"crm-contract: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="crm-contract", description="Contract tests for CRM APIs (Schemathesis + vendor checks)."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the contract against a CRM")
    run.add_argument("vendor", help=f"one of: {', '.join(vendor_keys())}")
    run.add_argument("--base-url", help="the API root, e.g. http://localhost:8000/v1")
    run.add_argument("--target", choices=["mock", "url"], help="mock: the in-process mock app, no network")
    run.add_argument("--api-key")
    run.add_argument("--token")
    run.add_argument("--header", action="append", help="'Name: value', repeatable")
    run.add_argument(
        "--mode", choices=["safe", "full"], help="default: full against the mock, safe elsewhere"
    )
    run.add_argument("--seed", type=int)
    run.add_argument("--max-examples", type=int)
    run.add_argument("--workers", type=int)
    run.add_argument("--report", help="comma-separated: junit,html,json")
    run.add_argument("--report-dir")
    run.add_argument(
        "--rate-limit", help="safe-mode pace, e.g. 60/m (default: the vendor's documented limit)"
    )
    run.add_argument("--operations", help="regex over 'METHOD /path' to run a subset")
    run.add_argument("--phases", help=f"comma-separated subset of {','.join(PHASES)}")
    run.add_argument("--dry-run", action="store_true", help="print the plan and send nothing")
    run.add_argument("--config", help="TOML file (default: ./crm-contract.toml when it exists)")
    sub.add_parser("list", help="vendors, operations and checks")
    return parser


def _file_settings(path: str | None) -> dict[str, Any]:
    candidate = Path(path) if path else Path("crm-contract.toml")
    if not candidate.exists():
        if path:
            raise UsageError(f"config file {path} does not exist")
        return {}
    try:
        data = tomllib.loads(candidate.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{candidate}: not valid TOML ({exc})") from exc
    data = data.get("crm-contract", data)
    out = {}
    for key, value in data.items():
        name = key.replace("-", "_")
        if name not in KEYS:
            raise UsageError(f"{candidate}: unknown setting {key!r}; known: {', '.join(sorted(KEYS))}")
        out[name] = value
    return out


def _env_settings() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in KEYS:
        value = os.environ.get(f"CRM_CONTRACT_{name.upper()}")
        if value is not None:
            out[name] = [h for h in value.split("\n") if h.strip()] if KEYS[name] is list else value
    return out


def _coerce(name: str, value: Any) -> Any:
    kind = KEYS[name]
    if kind is int:
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise UsageError(f"{name.replace('_', '-')} must be an integer, got {value!r}") from exc
    if kind is list:
        return list(value) if isinstance(value, list | tuple) else [value]
    return str(value)


def resolve(args: argparse.Namespace) -> tuple[RunSettings, list[str], Path]:
    """Merge file < environment < command line into RunSettings; UsageError says what to fix."""
    merged: dict[str, Any] = {}
    merged.update(_file_settings(args.config))
    merged.update(_env_settings())
    merged.update({k: v for k, v in vars(args).items() if k in KEYS and v is not None})
    merged = {k: _coerce(k, v) for k, v in merged.items()}
    if args.vendor not in vendor_keys():
        raise UsageError(f"unknown vendor {args.vendor!r}; choose one of: {', '.join(vendor_keys())}")
    headers = []
    for raw in merged.get("header", []):
        name, sep, value = raw.partition(":")
        if not sep or not name.strip():
            raise UsageError(f"--header must look like 'Name: value', got {raw.split(':')[0]!r}...")
        headers.append((name.strip(), value.strip()))
    if merged.get("api_key") and merged.get("token"):
        raise UsageError("give either --api-key or --token, not both")
    target = merged.get("target") or ("url" if merged.get("base_url") else None)
    if target is None:
        raise UsageError("give --base-url URL for a real CRM, or --target mock for the in-process mock")
    if target not in ("mock", "url"):
        raise UsageError(f"target must be 'mock' or 'url', got {target!r}")
    phases = tuple(p.strip() for p in merged.get("phases", ",".join(PHASES)).split(",") if p.strip())
    formats = [f.strip() for f in merged.get("report", "").split(",") if f.strip()]
    from contract_tests.reports import FORMATS

    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise UsageError(f"unknown report format(s) {bad}; choose from {', '.join(FORMATS)}")
    settings = RunSettings(
        vendor=args.vendor,
        target=target,
        base_url=merged.get("base_url"),
        credentials=Credentials(merged.get("api_key"), merged.get("token"), tuple(headers)),
        mode=merged.get("mode"),
        seed=merged.get("seed", DEFAULT_SEED),
        max_examples=merged.get("max_examples", DEFAULT_MAX_EXAMPLES),
        workers=merged.get("workers", 1),
        phases=phases,
        operations=merged.get("operations"),
        rate_limit=merged.get("rate_limit"),
        dry_run=bool(args.dry_run),
    )
    return settings, formats, Path(merged.get("report_dir", "crm-contract-reports"))


class Progress:
    """One live status line on a terminal (operations done / total, failures so far); silent otherwise."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream or sys.stdout
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, phase: str, done: int, total: int, failures: int) -> None:
        if self.live:
            self.stream.write(f"\r{phase:<10} operations {done}/{total}  failures {failures}   ")
            self.stream.flush()

    def close(self) -> None:
        if self.live:
            self.stream.write("\r" + " " * 60 + "\r")
            self.stream.flush()


def summary(result: RunResult) -> str:
    lines = [
        f"crm-contract {result.vendor}: {'PASS' if result.ok else 'FAIL'} — "
        f"{len(result.operations)} operations, "
        f"{result.cases} requests, {len(result.failures)} failures, {result.duration:.1f} s "
        f"(mode {result.mode}, seed {result.seed})"
    ]
    for f in result.failures:
        lines += [
            f"  [{f.check}] {f.operation} ({f.phase}): {f.title}",
            "    " + f.message.replace("\n", "\n    ")[:600],
        ]
        lines += ["    reproduce: " + f.curl.replace("\n", "\n               "), f"    seed: {f.seed}"]
    for e in result.errors:
        lines.append(f"  error: {e[:600]}")
    if result.mode == "safe" and result.created:
        lines.append(f"  safe mode: created {len(result.created)} tagged records, deleted {result.cleaned}")
    return "\n".join(lines)


def cmd_list() -> int:
    from contract_tests.checks import BUILTIN_CHECKS, PROBE_CHECKS, RESPONSE_CHECKS

    for key in vendor_keys():
        try:
            contract = load_contract(key)
        except LookupError as exc:
            print(f"{key}: {exc}")
            continue
        spec = contract.spec
        print(
            f"{key}: {len(spec.operations)} operations, mounts {', '.join(m.base_path for m in spec.mounts)}"
        )
        for op in spec.operations.values():
            kind = contract.default_classify(op.mount, op.method, op.path, op.spec)
            print(f"  {op.method:6} {op.mount}{op.path}  ({kind})")
        print("  vendor checks: " + ", ".join(c for c in RESPONSE_CHECKS + PROBE_CHECKS))
        if contract.disabled_checks:
            print("  built-in checks off: " + ", ".join(contract.disabled_checks))
    print("built-in checks: " + ", ".join(BUILTIN_CHECKS))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "list":
        return cmd_list()
    redact = Redactor([])
    try:
        settings, formats, report_dir = resolve(args)
        redact = Redactor(settings.credentials.secrets)
        if settings.dry_run:
            print("\n".join(plan(settings)))
            print("dry run: nothing sent")
            return 0
        progress = Progress()
        try:
            result = run_contract(settings, progress=progress)
        finally:
            progress.close()
    except (UsageError, ConfigurationError) as exc:
        print(f"crm-contract: error: {redact(str(exc))}", file=sys.stderr)
        return 2
    print(summary(result))
    if formats:
        from contract_tests.reports import write

        for path in write(result, formats, report_dir):
            print(f"report: {path}")
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
