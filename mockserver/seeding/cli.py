"""``crm-mock scenario list | validate FILE | load NAME|FILE | export FILE | schema``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mockserver.runtime import Runtime


def add_commands(sub: argparse._SubParsersAction, common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register ``scenario`` on the main parser (``common`` adds --db, --seed, --vendor)."""
    scenario = sub.add_parser("scenario", help="QA scenarios: list, validate, load, export")
    actions = scenario.add_subparsers(dest="scenario_command", required=True)
    actions.add_parser("list", help="the shipped scenarios").set_defaults(func=cmd_list)
    validate = actions.add_parser("validate", help="check scenario files; nothing is loaded")
    validate.add_argument("files", nargs="+", metavar="FILE")
    common(validate)
    validate.set_defaults(func=cmd_validate)
    load = actions.add_parser("load", help="replace the data with a scenario (atomic)")
    load.add_argument("name", metavar="NAME|FILE")
    load.add_argument("--scale", type=float, default=1.0, help="multiply generated counts (e.g. 0.01)")
    common(load)
    load.set_defaults(func=cmd_load)
    export = actions.add_parser("export", help="write the current data as a scenario file")
    export.add_argument("file", metavar="FILE", help="'-' for stdout")
    common(export)
    export.set_defaults(func=cmd_export)
    actions.add_parser("schema", help="print the JSON Schema of scenario files").set_defaults(func=cmd_schema)


def _runtime(args: argparse.Namespace, **extra: object) -> Runtime:
    from mockserver.cli import _settings
    from mockserver.runtime import Runtime

    runtime = Runtime(_settings(args, seed_on_start=False, **extra))
    runtime.prepare()
    return runtime


def cmd_list(args: argparse.Namespace) -> int:
    from mockserver.seeding.scenario import read_file, shipped

    for name, path in shipped().items():
        try:
            about = read_file(path).get("description", "")
        except ValueError as exc:
            about = f"INVALID: {exc}"
        print(f"{name:24} {about}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from mockserver.seeding.scenario import ScenarioError, load
    from mockserver.vendors import VENDOR_KEYS, load_vendor

    vendors = {k: load_vendor(k) for k in (args.vendor or VENDOR_KEYS)}
    failed = 0
    for file in args.files:
        try:
            scenario = load(file, vendors)
        except (ScenarioError, FileNotFoundError) as exc:
            print(f"invalid: {exc}", file=sys.stderr)
            failed += 1
            continue
        counts = {
            f"{key}.{res}": plan.count if plan.count is not None else f"{plan.per} per parent"
            for key, section in scenario.vendors.items()
            for res, plan in section.plans.items()
        }
        print(f"ok: {file} ({scenario.name}; explicit records {scenario.record_count()}; generate {counts})")
    return 1 if failed else 0


def cmd_load(args: argparse.Namespace) -> int:
    from mockserver.seeding.loader import load_scenario
    from mockserver.seeding.scenario import ScenarioError

    runtime = _runtime(args)
    try:
        report = load_scenario(runtime, args.name, seed=args.seed, scale=args.scale)
    except (ScenarioError, FileNotFoundError) as exc:
        print(f"crm-mock: not loaded, nothing changed: {exc}", file=sys.stderr)
        return 2
    finally:
        runtime.store.close()
    print(
        f"loaded {report['scenario']} into {runtime.settings.db}: {report['records']} records "
        f"in {report['seconds']:.2f}s (seed {report['seed']}, dates relative to {report['anchor']})"
    )
    for collection, n in report["collections"].items():
        print(f"  {collection}: {n}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from mockserver.seeding.loader import export

    runtime = _runtime(args)
    text = export(runtime, Path(args.file).stem if args.file != "-" else "export")
    runtime.store.close()
    if args.file == "-":
        sys.stdout.write(text)
    else:
        Path(args.file).write_text(text, encoding="utf-8")
        print(f"exported {runtime.settings.db} to {args.file}")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from mockserver.seeding.schema import SCHEMA

    print(json.dumps(SCHEMA, indent=2))
    return 0
