"""``crm-mock``: serve the mock, seed or reset its data file."""

from __future__ import annotations

import argparse
import os
import sys
import time

from mockserver.settings import Settings
from mockserver.vendors import VENDOR_KEYS


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="SQLite data file (default .crm-mock/crm.db; ':memory:' for throwaway)")
    p.add_argument("--seed", type=int, help="seed for generated data (default 42)")
    p.add_argument(
        "--vendor", action="append", choices=VENDOR_KEYS, help="serve only this vendor (repeatable)"
    )


def _settings(args: argparse.Namespace, **extra: object) -> Settings:
    return Settings.from_env(
        db=args.db,
        seed=args.seed,
        vendors=tuple(args.vendor) if args.vendor else None,
        **extra,
    )


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from mockserver.runtime import Runtime

    settings = _settings(
        args,
        host=args.host,
        port=args.port,
        workers=args.workers,
        seed_on_start=False if args.no_seed else None,
        latency=args.latency,
        fault=args.fault,
        journal_size=args.journal_size,
        durable=args.durable,
        log_level=args.log_level,
        scenario=args.scenario,
        scenario_scale=args.scenario_scale,
    )
    if settings.workers > 1 and settings.db == ":memory:":
        print("--db :memory: cannot be shared by several workers; use a file", file=sys.stderr)
        return 2
    runtime = Runtime(settings)  # prepare (and seed) once, before any worker starts
    seeded = runtime.prepare()
    if settings.scenario and not seeded:  # an existing data file: put the scenario in it now
        runtime.reset()
        seeded = True
    runtime.install_cli_faults()
    runtime.store.close()
    base = f"http://{settings.host}:{settings.port}"
    print(f"crm-mock on {base}/  (data: {settings.db}{', freshly seeded' if seeded else ''})")
    for key, vendor in runtime.vendors.items():
        mounts = ", ".join(f"{base}{m.base_path}" for m in vendor.spec.mounts)
        creds = "; ".join(f"{k}: {v}" for k, v in vendor.demo_credentials.items())
        print(f"  {key:7} {mounts}   docs {base}{vendor.spec.base_path}/ui/   {creds}")
    print(f"  admin   {base}/__admin/health   POST {base}/__admin/reset")
    sys.stdout.flush()
    if settings.db == ":memory:":  # one process owns a memory store: serve it in-process
        from mockserver.app import create_app

        uvicorn.run(
            create_app(settings, runtime=Runtime(settings)),
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level,
            access_log=False,
        )
        return 0
    os.environ.update(settings.but(seed_on_start=False).to_env())
    uvicorn.run(
        "mockserver.app:app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
        access_log=False,
    )
    return 0
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    from mockserver.runtime import Runtime

    settings = _settings(args, seed_records=args.records)
    started = time.perf_counter()
    runtime = Runtime(settings)
    runtime.reset()
    counts = {
        f"{key}.{res}": vendor.count(runtime.store, res)
        for key, vendor in runtime.vendors.items()
        for res in vendor.spec.resources
    }
    runtime.store.close()
    took = time.perf_counter() - started
    total = sum(counts.values())
    print(f"seeded {total} records into {settings.db} in {took:.2f}s (seed {settings.seed})")
    for name, n in counts.items():
        print(f"  {name}: {n}")
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    from mockserver.runtime import Runtime

    settings = _settings(args)
    runtime = Runtime(settings)
    runtime.reset()
    runtime.store.close()
    print(f"reset {settings.db} to the seeded state (seed {settings.seed})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crm-mock", description="Stateful mock CRM server.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve every vendor's API on one port")
    _common(serve)
    serve.add_argument("--host", help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
    serve.add_argument("--workers", type=int, help="uvicorn worker processes (default 1)")
    serve.add_argument("--no-seed", action="store_true", help="do not seed a new data file")
    serve.add_argument("--scenario", help="start from (and reset to) this scenario: name or file")
    serve.add_argument("--scenario-scale", type=float, help="multiply the scenario's generated counts")
    serve.add_argument("--log-level", help="uvicorn log level (default warning)")
    serve.add_argument(
        "--latency", help="injected latency: fixed:MS | uniform:LO-HI | lognormal:MEDIAN,SIGMA"
    )
    serve.add_argument(
        "--fault", help="injected fault: STATUS[@P] | reset[@P] | truncated | malformed | empty"
    )
    serve.add_argument(
        "--durable",
        action="store_true",
        default=None,
        help="wait for the disk on each commit (survive OS crashes, not only killed servers)",
    )
    serve.add_argument(
        "--journal-size", type=int, help="requests kept in the journal (default 10000; 0: off)"
    )
    serve.set_defaults(func=cmd_serve)
    seed = sub.add_parser("seed", help="replace the data file's content with freshly seeded data")
    _common(seed)
    seed.add_argument(
        "--leads",
        "--records",
        dest="records",
        type=int,
        help="primary records per vendor (leads for ultra; default a few hundred)",
    )
    seed.set_defaults(func=cmd_seed)
    reset = sub.add_parser("reset", help="put the data file back to its seeded state")
    _common(reset)
    reset.set_defaults(func=cmd_reset)
    from mockserver.seeding.cli import add_commands

    add_commands(sub, _common)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ValueError as exc:
        print(f"crm-mock: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
