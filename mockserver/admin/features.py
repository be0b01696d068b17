"""Admin endpoints of the simulation: clock, request journal, faults, latency and webhooks."""

from __future__ import annotations

import re
from datetime import datetime

from mockserver.admin.routes import AdminRequest, route
from mockserver.engine.context import Reply
from mockserver.engine.errors import ApiError
from mockserver.sim import webhooks
from mockserver.sim.clock import Clock
from mockserver.sim.journal import matcher_sql


@route("GET", "/__admin/clock", "the server's time")
def clock_get(req: AdminRequest) -> Reply:
    return Reply(200, req.runtime.clock.describe())


@route(
    "PUT", "/__admin/clock", 'pin the time: {"now": "2024-01-16T10:30:00Z"}, or {"now": null} for real time'
)
def clock_put(req: AdminRequest) -> Reply:
    body = req.json()
    if "now" not in body:
        raise ApiError("bad_request", 'send {"now": "<ISO 8601>"} or {"now": null}')
    if body["now"] is None:
        req.runtime.clock.unpin()
    else:
        try:
            moment: datetime = Clock.parse(str(body["now"]))
        except ValueError as exc:
            raise ApiError("bad_request", f"not an ISO 8601 time: {body['now']!r}") from exc
        req.runtime.clock.pin(moment)
    return Reply(200, req.runtime.clock.describe())


@route("POST", "/__admin/clock/advance", 'move time forward: {"seconds": 7200}')
def clock_advance(req: AdminRequest) -> Reply:
    seconds = req.json().get("seconds")
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
        raise ApiError("bad_request", 'send {"seconds": <number >= 0>}')
    req.runtime.clock.advance(float(seconds))
    return Reply(200, req.runtime.clock.describe())


# -- request journal -------------------------------------------------------------------------
def _journal_filter(req: AdminRequest) -> dict:
    q = req.query
    match = {k: q[k] for k in ("vendor", "method", "path", "status", "since", "until") if k in q}
    if "pathPattern" in q:
        match["pathPattern"] = q["pathPattern"]
    return match


def _matcher(req: AdminRequest) -> tuple[list[str], list]:
    body = req.body if req.body is not None else {}
    if not isinstance(body, dict):
        raise ApiError("bad_request", "a matcher is a JSON object")
    unknown = set(body) - {
        "vendor",
        "method",
        "path",
        "pathPattern",
        "status",
        "since",
        "until",
        "query",
        "headers",
        "body",
    }
    if unknown:
        raise ApiError("bad_request", f"unknown matcher fields: {', '.join(sorted(unknown))}")
    try:
        return matcher_sql(body)
    except (ValueError, TypeError) as exc:
        raise ApiError("bad_request", str(exc)) from exc


@route(
    "GET",
    "/__admin/requests",
    "the request journal, newest first (filters: vendor, method, path, status, since, until, limit)",
)
def journal_list(req: AdminRequest) -> Reply:
    where, params = _matcher(
        AdminRequest(req.runtime, req.method, req.path, req.match, {}, _journal_filter(req))
    )
    try:
        limit = int(req.query.get("limit", 100))
    except ValueError as exc:
        raise ApiError("bad_request", "limit is an integer") from exc
    items = req.runtime.journal.query(where, params, max(1, min(limit, 10_000)))
    return Reply(200, {"requests": items, "count": len(items), "capacity": req.runtime.journal.size})


@route("POST", "/__admin/requests/count", "how many journal entries match a matcher")
def journal_count(req: AdminRequest) -> Reply:
    where, params = _matcher(req)
    return Reply(200, {"count": req.runtime.journal.count(where, params)})


@route("POST", "/__admin/requests/find", "the journal entries that match a matcher")
def journal_find(req: AdminRequest) -> Reply:
    where, params = _matcher(req)
    items = req.runtime.journal.query(where, params, 1000)
    return Reply(200, {"requests": items, "count": len(items)})


@route("DELETE", "/__admin/requests", "empty the journal")
def journal_clear(req: AdminRequest) -> Reply:
    return Reply(200, {"deleted": req.runtime.journal.clear()})


# -- faults and latency ----------------------------------------------------------------------
@route("GET", "/__admin/faults", "the fault and latency rules in force")
def faults_list(req: AdminRequest) -> Reply:
    return Reply(200, {"rules": req.runtime.faults.rules()})


@route("POST", "/__admin/faults", "add a rule: {vendor, method, path (regex), probability, latency, fault}")
def faults_add(req: AdminRequest) -> Reply:
    try:
        rule = req.runtime.faults.add(req.json())
    except (ValueError, TypeError, re.error) as exc:
        raise ApiError("bad_request", str(exc)) from exc
    return Reply(201, rule)


@route("DELETE", "/__admin/faults/{rule_id}", "remove one rule")
def faults_remove(req: AdminRequest) -> Reply:
    if not req.runtime.faults.remove(req.match["rule_id"]):
        raise ApiError("not_found", f"no fault rule {req.match['rule_id']!r}")
    return Reply(200, {"deleted": req.match["rule_id"]})


@route("DELETE", "/__admin/faults", "remove every rule")
def faults_clear(req: AdminRequest) -> Reply:
    req.runtime.faults.clear()
    return Reply(200, {"rules": []})


# -- webhooks and vendor simulation actions --------------------------------------------------
@route("GET", "/__admin/webhooks/deliveries", "webhook deliveries with every attempt (filter: status)")
def webhook_log(req: AdminRequest) -> Reply:
    items = webhooks.deliveries(req.runtime.store, req.query.get("status"))
    return Reply(200, {"deliveries": items, "count": len(items)})


@route("DELETE", "/__admin/webhooks/deliveries", "forget every delivery, pending ones included")
def webhook_clear(req: AdminRequest) -> Reply:
    return Reply(200, {"deleted": webhooks.clear(req.runtime.store)})


@route(
    "POST",
    "/__admin/vendors/{vendor}/actions/{action}",
    "a vendor's simulation action (e.g. ultra open-email)",
)
def vendor_action(req: AdminRequest) -> Reply:
    vendor = req.runtime.vendors.get(req.match["vendor"])
    if vendor is None:
        raise ApiError("not_found", f"no vendor {req.match['vendor']!r}")
    action = vendor.admin_actions.get(req.match["action"])
    if action is None:
        known = ", ".join(sorted(vendor.admin_actions)) or "none"
        raise ApiError("not_found", f"{vendor.key} has no action {req.match['action']!r} (known: {known})")
    ctx = req.runtime.context(vendor)
    with req.runtime.store.transaction():
        return action(ctx, req.body if isinstance(req.body, dict) else {})
