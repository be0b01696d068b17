"""Put a validated scenario into the store: all of it, in one transaction, or nothing.

Everything that can be wrong with a scenario is found before the first write (``build``);
the write itself drops the data collections, inserts into bare tables and builds the indexes
once at the end, which is several times faster than maintaining them row by row.
"""

from __future__ import annotations

import gc
import os
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

from mockserver.engine.ids import make_id
from mockserver.seeding.adapter import GenContext, ResourcePlan
from mockserver.seeding.scenario import REF, Scenario, ScenarioError, is_relative, parse_when, walk

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mockserver.runtime import Runtime
    from mockserver.store import DocumentStore
    from mockserver.vendors.base import Vendor

KEEP_META = ("sim:",)  # simulation controls (clock, faults) survive a scenario load


@dataclass
class Prepared:
    """A scenario turned into concrete records, ready to write."""

    scenario: Scenario
    seed: int
    anchor: datetime
    bases: dict[str, str] = field(default_factory=dict)
    contexts: dict[str, GenContext] = field(default_factory=dict)
    plans: dict[str, dict[str, ResourcePlan]] = field(default_factory=dict)
    records: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)  # vendor -> res -> docs
    account: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)


def _adapter(vendor: Vendor) -> Any:
    return getattr(vendor, "scenario", None)


def build(runtime: Runtime, scenario: Scenario, seed: int | None = None) -> Prepared:
    """Every check that needs the vendors and the clock, and the explicit records made concrete."""
    seed = seed if seed is not None else scenario.seed if scenario.seed is not None else runtime.settings.seed
    now = runtime.clock.now().replace(microsecond=0)
    try:
        anchor = parse_when(scenario.anchor or "now", now)
    except ValueError as exc:
        raise ScenarioError(scenario.files[-1], ("anchor",), str(exc)) from exc
    out = Prepared(scenario, seed, anchor)
    aliases: dict[str, str] = {}
    pending: list[tuple[str, str, dict[str, Any], Any]] = []
    for key, vendor in runtime.vendors.items():
        adapter = _adapter(vendor)
        section = scenario.vendors.get(key)
        default_base = "none" if scenario.collections else ("account" if adapter else "default")
        out.bases[key] = (section.base if section else None) or default_base
        ctx = GenContext(
            vendor, runtime.store, seed, scenario.locale or "en_US", anchor, vendor.dialect.timestamp
        )
        out.contexts[key] = ctx
        out.account[key] = adapter.account(ctx) if adapter and out.bases[key] == "account" else {}
        out.plans[key] = {}
        for res, plan in (section.plans if section else {}).items():
            options = dict(plan.options)
            created = options.pop("_created", {})
            try:
                window = {f"created_{k}": parse_when(v, anchor) for k, v in created.items()}
            except ValueError as exc:
                raise section.plan_origins[res].error(str(exc), "created") from exc  # type: ignore[union-attr]
            out.plans[key][res] = ResourcePlan(**{**plan.__dict__, "options": options, **window})
        out.records[key] = {}
        taken: dict[str, set[str]] = {}
        for res, items in (section.records if section else {}).items():
            fmt = vendor.spec.resources[res].id_format if res in vendor.spec.resources else None
            rng = ctx.rng(f"explicit:{res}")
            for doc, origin in items:
                doc = dict(doc)
                alias = doc.pop("alias", None)
                id_field = vendor.dialect.id_field
                if id_field not in doc:
                    while True:
                        candidate = make_id(fmt, rng) if fmt else f"{res}_{len(taken.get(res, ())) + 1}"
                        if candidate not in taken.get(res, set()):
                            break
                    doc[id_field] = candidate
                if doc[id_field] in taken.setdefault(res, set()):
                    raise origin.error(f"duplicate id {doc[id_field]!r} in {res}", id_field)
                taken[res].add(doc[id_field])
                if alias:
                    aliases[alias] = doc[id_field]
                out.records[key].setdefault(res, []).append(doc)
                pending.append((key, res, doc, origin))
    for key, _res, doc, _origin in pending:  # second pass: every alias now has its id
        ctx = out.contexts[key]
        for path, value in list(walk(doc)):
            if not isinstance(value, str):
                continue
            if (m := REF.match(value)) is not None:
                _set(doc, path, aliases[m.group(1)])
            elif value.startswith("$$"):
                _set(doc, path, value[1:])
            elif is_relative(value):
                _set(doc, path, ctx.stamp(parse_when(value, anchor)))
    for key, per_res in out.records.items():
        adapter = _adapter(runtime.vendors[key])
        if adapter is None:
            continue
        ctx = out.contexts[key]
        for res, docs in per_res.items():
            per_res[res] = [adapter.complete(ctx, res, doc) for doc in docs]
        adapter.finalize(ctx, per_res)
    _check_references(runtime, out, pending)
    return out


def _set(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    target: Any = doc
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


def references(vendor: Vendor) -> dict[str, dict[str, str]]:
    """resource -> {field: target resource}: the spec's parent links and the adapter's extras."""
    out: dict[str, dict[str, str]] = {}
    for res in vendor.spec.resources.values():
        if res.parent and res.parent_field:
            out.setdefault(res.name, {})[res.parent_field] = res.parent
    for res, fields in (getattr(_adapter(vendor), "references", None) or {}).items():
        out.setdefault(res, {}).update(fields)
    return out


def _check_references(runtime: Runtime, out: Prepared, pending: list[tuple[str, str, dict, Any]]) -> None:
    """An explicit record may point at explicit or account records of its vendor, nothing else:
    generated ids depend on the seed, so a literal one would break with another seed."""
    for key, vendor in runtime.vendors.items():
        refs = references(vendor)
        adapter = _adapter(vendor)

        def part(res: str, doc: dict[str, Any], adapter: Any = adapter) -> str | None:
            return adapter.partition(res, doc)[0] if adapter is not None else None

        ids: dict[tuple[str | None, str], set[str]] = {}  # (partition, resource) -> ids
        for source in (out.account[key], out.records[key]):
            for res, docs in source.items():
                for d in docs:
                    ids.setdefault((part(res, d), res), set()).add(str(d.get(vendor.dialect.id_field)))
        for k, res, doc, origin in pending:
            if k != key:
                continue
            for fld, target in refs.get(res, {}).items():
                value = doc.get(fld)
                if value is None or (out.bases[key] == "default" and target not in out.records[key]):
                    continue
                if str(value) not in ids.get((part(res, doc), target), set()):
                    raise origin.error(
                        f"{fld} {value!r} is no {target} record of this scenario (refer to one by $alias)",
                        fld,
                    )


# -- writing ------------------------------------------------------------------------------------
@contextmanager
def bulk_pragmas(store: DocumentStore) -> Iterator[None]:
    """A big page cache while inserting (random-id inserts stay in memory) and helper threads
    for the index sorts. Into a file with no data yet (nothing to lose if the process dies
    half-way) the load also skips the WAL and fsyncs: in WAL mode every page would be written
    twice, once to the log and again by the checkpoint. Restored afterwards; a file another
    process has open stays in WAL mode (SQLite refuses the switch) and loads as before."""
    store.execute("PRAGMA cache_size=-262144")
    store.execute(f"PRAGMA threads={min(4, os.cpu_count() or 1)}")
    # (journal and sync modes cannot change inside a transaction: a load within one, as on a
    # server's first start, keeps them)
    fast = store.path != ":memory:" and not store.in_transaction and _no_data(store)
    if fast:
        try:
            fast = store.execute("PRAGMA journal_mode=MEMORY")[0][0] == "memory"
        except sqlite3.OperationalError:
            fast = False
    sync = store.execute("PRAGMA synchronous")[0][0]  # the store's setting (durable or not)
    if fast:
        store.execute("PRAGMA synchronous=OFF")
    try:
        yield
    finally:
        store.execute("PRAGMA cache_size=-2000")
        store.execute("PRAGMA threads=0")
        if fast:
            store.execute("PRAGMA journal_mode=WAL")
            store.execute(f"PRAGMA synchronous={int(sync)}")


@contextmanager
def _no_gc() -> Iterator[None]:
    """No cyclic garbage collection while loading: generators make millions of short-lived dicts
    and no cycles, and each full collection would walk every one still held in a batch."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _no_data(store: DocumentStore) -> bool:
    """No collection holds a document (a brand-new file, or one only ever set up)."""
    return not any(store.execute(f'SELECT 1 FROM "c_{c}" LIMIT 1') for c in store.collections())


def write(runtime: Runtime, prepared: Prepared) -> dict[str, int]:
    """Replace the data with the prepared scenario, atomically. Returns rows written per collection."""
    store, scenario = runtime.store, prepared.scenario
    written: dict[str, int] = {}

    def put(collection: str, docs: list[dict[str, Any]]) -> None:
        if docs:
            store.insert_many(collection, docs)
            written[collection] = written.get(collection, 0) + len(docs)

    with bulk_pragmas(store), _no_gc(), store.transaction():
        from mockserver.sim import webhooks

        kept = [(k, v) for k, v in store.execute("SELECT key, value FROM meta") if k.startswith(KEEP_META)]
        store.drop_all()
        webhooks.clear(store)
        for k, v in kept:
            store.set_meta(k, v)
        for vendor in runtime.vendors.values():
            vendor.setup_store(store, indexes=False)
        for key, vendor in runtime.vendors.items():
            ctx, adapter = prepared.contexts[key], _adapter(vendor)
            tenant = getattr(adapter, "tenant", None)
            if prepared.bases[key] == "default":
                vendor.seed(store, runtime.settings.but(seed=prepared.seed, seed_records=0), prepared.anchor)
            for source in (prepared.account[key], prepared.records[key]):
                for res, docs in source.items():
                    for coll, part in _partitioned(vendor, adapter, res, docs).items():
                        put(coll, part)
            if adapter is not None and prepared.plans[key]:
                for res, docs, *where in adapter.generate(ctx, prepared.plans[key]):
                    put(vendor.collection(res, where[0] if where else tenant), docs)
        for collection, docs in scenario.collections.items():
            if collection not in store.collections():
                store.ensure_collection(collection)
            put(collection, docs)
        # a small cache for the index builds: SQLite then sorts in several runs, on helper
        # threads, instead of one big single-threaded sort (about a quarter faster at 1M rows)
        store.execute("PRAGMA cache_size=-32768")
        for vendor in runtime.vendors.values():
            vendor.setup_store(store, indexes=True)
        store.set_meta("seeded", str(prepared.seed))
        store.set_meta("scenario", scenario.name)
        for k, v in scenario.meta.items():
            store.set_meta(k, v)
    return written


def _partitioned(vendor: Vendor, adapter: Any, resource: str, docs: list[dict[str, Any]]) -> dict[str, list]:
    """collection -> documents: each record in the partition its vendor's adapter says."""
    if adapter is None:
        return {vendor.collection(resource): docs}
    out: dict[str, list[dict[str, Any]]] = {}
    for doc in docs:
        tenant, stored = adapter.partition(resource, doc)
        out.setdefault(vendor.collection(resource, tenant), []).append(stored)
    return out


def load_scenario(
    runtime: Runtime, name_or_path: str, *, seed: int | None = None, scale: float = 1.0
) -> dict[str, Any]:
    """Validate, build and write a scenario; nothing changes when any step refuses it."""
    from mockserver.seeding import scenario as sc

    started = time.perf_counter()
    scenario = sc.load(name_or_path, runtime.vendors).scaled(scale)
    prepared = build(runtime, scenario, seed)
    written = write(runtime, prepared)
    return {
        "scenario": scenario.name,
        "files": scenario.files,
        "seed": prepared.seed,
        "anchor": prepared.anchor.isoformat().replace("+00:00", "Z"),
        "records": sum(written.values()),
        "collections": written,
        "seconds": round(time.perf_counter() - started, 3),
    }


def seed_from_settings(runtime: Runtime) -> None:
    """``serve --scenario`` / ``CRM_MOCK_SCENARIO``: the scenario is the server's seeded state."""
    load_scenario(runtime, runtime.settings.scenario, scale=runtime.settings.scenario_scale)  # type: ignore[attr-defined]


# -- export -------------------------------------------------------------------------------------
def export(runtime: Runtime, name: str = "export") -> str:
    """The current data as a scenario (verbatim collections and id counters) that loads back to
    exactly this state. One JSON-style flow mapping per record: valid YAML, fast, grep-able."""
    store = runtime.store
    lines = [
        "# crm-mock export: a server's whole data state. `crm-mock scenario load FILE` puts it back",
        "# exactly: records are stored as written, with the ids, dates and derived fields it held.",
        f"scenario: {orjson.dumps(name).decode()}",
        f"seed: {int(store.get_meta('seeded') or runtime.settings.seed)}",
        "collections:",
    ]
    for collection in store.collections():
        docs = list(store.scan(collection))
        if not docs:
            lines.append(f"  {collection}: []")
            continue
        lines.append(f"  {collection}:")
        lines.extend(f"  - {_flow(doc)}" for doc in docs)
    meta = [
        (k, v)
        for k, v in store.execute("SELECT key, value FROM meta ORDER BY key")
        if not k.startswith(KEEP_META)
    ]
    lines.append("meta:" if meta else "meta: {}")
    lines.extend(f"  {orjson.dumps(k).decode()}: {orjson.dumps(str(v)).decode()}" for k, v in meta)
    return "\n".join(lines) + "\n"


def _flow(doc: dict[str, Any]) -> str:
    """JSON is YAML, except floats without a dot (``1e+16``), which YAML 1.1 reads as strings."""
    if any(isinstance(v, float) for _, v in walk(doc)):
        import yaml

        return yaml.dump(
            doc,
            Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper),
            default_flow_style=True,
            width=1 << 30,
            sort_keys=False,
        ).strip()
    return orjson.dumps(doc).decode()


# -- integrity ----------------------------------------------------------------------------------
def integrity_problems(runtime: Runtime, limit: int = 20) -> list[str]:
    """Records whose reference fields name a record that does not exist (empty when sound)."""
    problems: list[str] = []
    store = runtime.store
    for vendor in runtime.vendors.values():
        tenants = vendor.tenants
        for tenant in tenants:
            for res, fields in references(vendor).items():
                for fld, target in fields.items():
                    target_ids = {d["id"] for d in store.scan(vendor.collection(target, tenant))}
                    for doc in store.scan(vendor.collection(res, tenant)):
                        value = doc.get(fld)
                        if value is not None and value not in target_ids:
                            problems.append(
                                f"{vendor.collection(res, tenant)} {doc.get('id')}: {fld} "
                                f"{value!r} is no {target}"
                            )
                            if len(problems) >= limit:
                                return problems
    return problems
