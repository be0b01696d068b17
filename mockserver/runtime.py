"""Everything one server process holds: settings, the store, the vendors and their operations."""

from __future__ import annotations

import logging
from typing import Any

from mockserver.engine.context import Reply
from mockserver.engine.dispatch import new_request_id
from mockserver.engine.errors import ApiError
from mockserver.engine.spec import Operation
from mockserver.settings import Settings
from mockserver.sim import ratelimit
from mockserver.sim.clock import Clock
from mockserver.store import DocumentStore
from mockserver.vendors import load_vendor
from mockserver.vendors.base import Vendor

log = logging.getLogger("crm_mock")


class Runtime:
    def __init__(self, settings: Settings, store: DocumentStore | None = None) -> None:
        self.settings = settings
        self.store = store or open_store(settings.db)
        self.clock = Clock(settings.pinned_now)
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
            ratelimit.ensure_table(self.store)
            for vendor in self.vendors.values():
                vendor.setup_store(self.store)
            if not self.settings.seed_on_start or self.store.get_meta("seeded") is not None:
                return False
            self._seed()
            return True

    def _seed(self) -> None:
        now = self.clock.now()
        for vendor in self.vendors.values():
            vendor.seed(self.store, self.settings, now)
        self.store.set_meta("seeded", str(self.settings.seed))

    def reset(self) -> None:
        """Back to the seeded state: drop everything, recreate, seed again."""
        with self.store.transaction():
            self.store.drop_all()
            for vendor in self.vendors.values():
                vendor.setup_store(self.store)
            self._seed()

    # -- routing ------------------------------------------------------------------------------
    def operation(self, base_path: str | None, op_id: str | None) -> tuple[Vendor, Operation] | None:
        if base_path is None or op_id is None:
            return None
        return self._ops.get((base_path, op_id))

    def vendor_for_path(self, path: str) -> Vendor | None:
        for base, vendor in self._mounts:
            if path == base or path.startswith(base + "/"):
                return vendor
        return None

    def mounts(self) -> list[tuple[str, Vendor]]:
        return list(self._mounts)

    async def unrouted(self, scope: dict, receive: Any) -> Reply:
        """Requests no spec operation matched: admin, landing page, or a vendor-shaped 404."""
        from mockserver.admin.landing import landing_page
        from mockserver.admin.routes import handle_admin

        path = scope["path"]
        if path.startswith("/__admin"):
            return await handle_admin(self, scope, receive)
        if path in ("/", ""):
            return landing_page(self, scope)
        return self.error_reply(path, ApiError("not_found", f"No route for {scope['method']} {path}"))

    def error_reply(self, path: str, err: ApiError) -> Reply:
        vendor = self.vendor_for_path(path)
        request_id = new_request_id()
        if vendor is None:
            return Reply(err.status, {"error": err.kind, "message": err.message})
        reply = vendor.dialect.render_error(None, err, request_id)
        reply.headers.setdefault("X-Request-Id", request_id)
        return reply


def open_store(path: str) -> DocumentStore:
    if path != ":memory:":
        from pathlib import Path

        Path(path).parent.mkdir(parents=True, exist_ok=True)
    return DocumentStore(path)
