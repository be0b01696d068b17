"""``/__admin``: health and reset (scenarios, snapshots, journal and faults come later)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mockserver import __version__
from mockserver.engine.context import Reply

if TYPE_CHECKING:
    from mockserver.runtime import Runtime


def _health(runtime: Runtime) -> Reply:
    counts = {}
    for key, vendor in runtime.vendors.items():
        counts[key] = {res: vendor.count(runtime.store, res) for res in vendor.spec.resources}
    return Reply(
        200,
        {
            "status": "ok",
            "version": __version__,
            "vendors": sorted(runtime.vendors),
            "seed": runtime.settings.seed,
            "db": runtime.settings.db,
            "records": counts,
        },
    )


def _reset(runtime: Runtime) -> Reply:
    runtime.reset()
    return Reply(200, {"status": "reset", "seed": runtime.settings.seed})


ROUTES = {
    ("GET", "/__admin/health"): _health,
    ("POST", "/__admin/reset"): _reset,
}


async def handle_admin(runtime: Runtime, scope: dict, receive: Any) -> Reply:
    method, path = scope["method"], scope["path"].rstrip("/")
    handler = ROUTES.get((method, path))
    if handler is not None:
        return handler(runtime)
    allowed = sorted(m for (m, p) in ROUTES if p == path)
    if allowed:
        return Reply(
            405,
            {"error": "method_not_allowed", "message": f"{method} not allowed on {path}"},
            {"Allow": ", ".join(allowed)},
        )
    return Reply(404, {"error": "not_found", "message": f"No admin route {path}"})
