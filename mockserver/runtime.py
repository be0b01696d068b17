"""Everything one server process holds: settings, the store, the vendors and their operations."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import time
from collections.abc import AsyncIterator
from typing import Any

from mockserver.engine.context import Reply, RequestContext
from mockserver.engine.dispatch import new_request_id
from mockserver.engine.errors import ApiError
from mockserver.engine.spec import Operation
from mockserver.settings import Settings
from mockserver.sim import ratelimit, webhooks
from mockserver.sim.clock import Clock
from mockserver.sim.faults import Faults, parse_cli
from mockserver.sim.journal import BODY_LIMIT, Entry, Journal, mask_body
from mockserver.store import DocumentStore
from mockserver.vendors import load_vendor
from mockserver.vendors.base import Vendor

log = logging.getLogger("crm_mock")


class Runtime:
    def __init__(self, settings: Settings, store: DocumentStore | None = None) -> None:
        self.settings = settings
        self.store = store or open_store(settings.db, settings.durable)
        self.clock = Clock(settings.pinned_now, self.store)
        self.faults = Faults(self.store)
        self.journal = Journal(self.store, settings.journal_size)
        self.vendors: dict[str, Vendor] = {key: load_vendor(key) for key in settings.vendors}
        self._ops: dict[tuple[str, str], tuple[Vendor, Operation]] = {}
        self._mounts: list[tuple[str, Vendor]] = []
        for vendor in self.vendors.values():
            vendor.check_handlers()
            for op in vendor.spec.operations.values():
                self._ops[(op.mount, op.operation_id)] = (vendor, op)
            for mount in vendor.spec.mounts:
                self._mounts.append((mount.base_path, vendor))
        self._mounts.sort(key=lambda m: len(m[0]), reverse=True)

    # -- state --------------------------------------------------------------------------------
    def prepare(self) -> bool:
        """Create collections, and seed once when the store is new. True when it seeded."""
        with self.store.transaction():
            self._ensure_sim_tables()
            seeding = self.settings.seed_on_start and self.store.get_meta("seeded") is None
            for vendor in self.vendors.values():
                vendor.setup_store(self.store, indexes=not seeding)
            if seeding:
                self._seed()
            return seeding

    def _seed(self) -> None:
        """Seed into bare tables, then build the indexes once: much faster than per row."""
        if self.settings.scenario:  # the scenario is the seeded state (it builds its own indexes)
            from mockserver.seeding.loader import seed_from_settings

            seed_from_settings(self)
            return
        now = self.clock.now()
        for vendor in self.vendors.values():
            vendor.seed(self.store, self.settings, now)
            vendor.setup_store(self.store, indexes=True)
        self.store.set_meta("seeded", str(self.settings.seed))

    @contextlib.asynccontextmanager
    async def background(self) -> AsyncIterator[None]:
        """What a worker runs beside requests: webhook delivery and journal flushing."""

        async def flush_journal() -> None:
            while True:
                await asyncio.sleep(0.2)
                self.journal.flush()

        flusher = asyncio.create_task(flush_journal())
        try:
            async with webhooks.running(self.webhook_sender()):
                yield
        finally:
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
            self.journal.flush()

    def webhook_sender(self) -> webhooks.Sender:
        s = self.settings
        policy = webhooks.Policy(s.webhook_timeout, s.webhook_attempts, s.webhook_backoff)
        return webhooks.Sender(self.store, policy)

    def context(self, vendor: Vendor) -> RequestContext:
        """A context for work outside an HTTP request (admin simulation actions)."""
        return RequestContext(
            vendor=vendor,
            op=None,  # type: ignore[arg-type]  # no operation: simulation, not an API call
            store=self.store,
            settings=self.settings,
            request_id=new_request_id(),
            method="POST",
            path="/__admin",
            headers={},
            query={},
            path_params={},
            now=self.clock.now(),
        )

    def install_cli_faults(self) -> None:
        """``--latency`` / ``--fault`` become shared fault rules (replacing earlier ones)."""
        rules = parse_cli(self.settings.latency, self.settings.fault)
        if rules:
            self.faults.clear()
            for rule in rules:
                self.faults.add({k: v for k, v in rule.items() if k != "id"})

    def record(
        self, ctx: RequestContext, status: int, headers: dict[str, str], payload: bytes, started: float
    ) -> None:
        """Journal one vendor request and its answer (credentials masked)."""
        if not self.journal.enabled:
            return
        content_type = ctx.headers.get("content-type", "")
        self.journal.record(
            Entry(
                at=self.clock.now().isoformat().replace("+00:00", "Z"),
                vendor=ctx.vendor.key,
                method=ctx.method,
                path=ctx.path,
                query=ctx.query_string,
                status=status,
                duration_ms=(time.perf_counter() - started) * 1000,
                request_headers=ctx.headers,
                request_body=mask_body(ctx.raw_body, content_type),
                response_headers=headers,
                response_body=payload[:BODY_LIMIT].decode("utf-8", "replace"),
            )
        )

    def _ensure_sim_tables(self) -> None:
        ratelimit.ensure_table(self.store)
        webhooks.ensure_table(self.store)

    def reset(self) -> None:
        """Back to the seeded state: drop everything, recreate, seed again."""
        with self.store.transaction():
            self._ensure_sim_tables()
            self.store.drop_all()
            webhooks.clear(self.store)
            for vendor in self.vendors.values():
                vendor.setup_store(self.store, indexes=False)
            self._seed()

    # -- routing ------------------------------------------------------------------------------
    def operation(self, base_path: str | None, op_id: str | None) -> tuple[Vendor, Operation] | None:
        if base_path is None or op_id is None:
            return None
        return self._ops.get((base_path, op_id))

    def vendor_for_path(self, path: str) -> Vendor | None:
        found = self.mount_for_path(path)
        return found[1] if found else None

    def mount_for_path(self, path: str) -> tuple[str, Vendor] | None:
        """The longest mount (base path, vendor) that ``path`` lies under."""
        for base, vendor in self._mounts:
            if path == base or path.startswith(base + "/"):
                return base, vendor
        return None

    def allowed_methods(self, path: str) -> list[str]:
        """The methods the specs document for a concrete path (a 405's ``Allow``); HEAD with GET."""
        matching = [op for _, op in self._ops.values() if _path_pattern(op.mount + op.path).match(path)]
        # a fixed path (``/leads/import``) is itself, not an id under a parameterised twin
        fewest = min((op.path.count("{") for op in matching), default=0)
        methods = {op.method for op in matching if op.path.count("{") == fewest}
        if "GET" in methods:
            methods.add("HEAD")
        return sorted(methods)

    def shadowed_methods(self, op: Operation, path: str) -> list[str]:
        """The methods of a fixed route that a parameterised ``op`` swallowed, else [].

        ``PUT /leads/import`` matches ``PUT /leads/{id}`` in the router, but it names the fixed
        path ``/leads/import``, which has no PUT: that is a 405 (with these methods in ``Allow``),
        not an invalid id.
        """
        if "{" not in op.path:
            return []
        own = op.path.count("{")
        methods = {
            other.method
            for _, other in self._ops.values()
            if other.mount == op.mount
            and other.path.count("{") < own
            and other.path.count("/") == op.path.count("/")
            and _path_pattern(other.mount + other.path).match(path)
        }
        if "GET" in methods:
            methods.add("HEAD")
        return sorted(methods)

    def mounts(self) -> list[tuple[str, Vendor]]:
        return list(self._mounts)

    async def unrouted(self, scope: dict, receive: Any) -> Reply:
        """Requests no spec operation matched: admin, landing page, or a vendor-shaped 404."""
        from mockserver.admin.landing import landing_page
        from mockserver.admin.routes import handle_admin

        path = scope["path"]
        self.store.refresh()
        if path.startswith("/__admin"):
            return await handle_admin(self, scope, receive)
        if path in ("/", ""):
            return landing_page(self, scope)
        return self.error_reply(path, ApiError("not_found", f"No route for {scope['method']} {path}"))

    def error_reply(self, path: str, err: ApiError) -> Reply:
        found = self.mount_for_path(path)
        request_id = new_request_id()
        if found is None:
            return Reply(err.status, {"error": err.kind, "message": err.message})
        mount, vendor = found
        reply = vendor.dialect.render_error(None, err, request_id)
        vendor.dialect.decorate_unmatched(mount, reply, self.clock.now())
        reply.headers.setdefault("X-Request-Id", request_id)
        return reply


@functools.lru_cache(maxsize=1024)
def _path_pattern(template: str) -> re.Pattern[str]:
    """``/v1/leads/{lead_id}`` as a regex matching concrete paths (one segment per parameter)."""
    parts = re.split(r"(\{[^}/]+\})", template)
    body = "".join("[^/]+" if p.startswith("{") and p.endswith("}") else re.escape(p) for p in parts)
    return re.compile(body + r"\Z")


def open_store(path: str, durable: bool = False) -> DocumentStore:
    if path != ":memory:":
        from pathlib import Path

        Path(path).parent.mkdir(parents=True, exist_ok=True)
    return DocumentStore(path, durable)
