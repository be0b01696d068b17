"""``/__admin``: operate the mock (health, reset, clock, journal, faults, webhooks)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import orjson

from mockserver import __version__
from mockserver.engine.context import Reply
from mockserver.engine.errors import ApiError
from mockserver.engine.request import read_body

if TYPE_CHECKING:
    from mockserver.runtime import Runtime

MAX_ADMIN_BODY = 1024 * 1024


@dataclass
class AdminRequest:
    runtime: Runtime
    method: str
    path: str
    match: re.Match[str]
    query: dict[str, str]
    body: Any

    def json(self) -> dict[str, Any]:
        if not isinstance(self.body, dict):
            raise ApiError("bad_request", "send a JSON object body")
        return self.body


AdminHandler = Callable[[AdminRequest], Reply | Awaitable[Reply]]
_ROUTES: list[tuple[str, re.Pattern[str], AdminHandler, str]] = []


def route(method: str, pattern: str, what: str) -> Callable[[AdminHandler], AdminHandler]:
    """Register an admin endpoint; ``{name}`` in the pattern is one path segment."""
    regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")

    def register(fn: AdminHandler) -> AdminHandler:
        _ROUTES.append((method, regex, fn, what))
        return fn

    return register


def endpoints() -> list[tuple[str, str, str]]:
    """(method, path pattern, what it does) for the landing page and docs."""
    return [(m, r.pattern[1:-1].replace("(?P<", "{").replace(">[^/]+)", "}"), w) for m, r, _, w in _ROUTES]


def error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, {"error": code, "message": message}, headers or {})


async def handle_admin(runtime: Runtime, scope: dict, receive: Any) -> Reply:
    import inspect

    _load_admin_modules()
    method, path = scope["method"], scope["path"].rstrip("/")
    allowed = []
    for m, regex, fn, _ in _ROUTES:
        found = regex.match(path)
        if not found:
            continue
        if m != method:
            allowed.append(m)
            continue
        try:
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
            raw = await read_body(receive, headers, MAX_ADMIN_BODY) if method in ("POST", "PUT") else b""
            try:
                body = orjson.loads(raw) if raw.strip() else None
            except orjson.JSONDecodeError:
                return error(400, "bad_request", "admin bodies are JSON")
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
            result = fn(AdminRequest(runtime, method, path, found, query, body))
            return await result if inspect.isawaitable(result) else result
        except ApiError as exc:
            return error(exc.status, exc.kind, exc.message)
    if allowed:
        return error(
            405, "method_not_allowed", f"{method} not allowed on {path}", {"Allow": ", ".join(allowed)}
        )
    return error(404, "not_found", f"No admin route {path}")


def _load_admin_modules() -> None:
    """Feature modules register their routes on import."""
    from mockserver.admin import features, scenarios  # noqa: F401


@route("GET", "/__admin/health", "liveness, version and record counts")
def health(req: AdminRequest) -> Reply:
    runtime = req.runtime
    counts = {
        key: {res: vendor.count(runtime.store, res) for res in vendor.spec.resources}
        for key, vendor in runtime.vendors.items()
    }
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


@route("POST", "/__admin/reset", "back to the seeded state")
def reset(req: AdminRequest) -> Reply:
    req.runtime.reset()
    return Reply(200, {"status": "reset", "seed": req.runtime.settings.seed})
