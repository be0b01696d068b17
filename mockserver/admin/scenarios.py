"""``/__admin`` endpoints for scenarios and snapshots: put the mock in a known state from a test."""

from __future__ import annotations

from mockserver.admin.routes import AdminRequest, route
from mockserver.engine.context import Reply
from mockserver.engine.errors import ApiError
from mockserver.seeding import snapshots


@route("GET", "/__admin/scenarios", "the shipped scenarios")
def scenarios_list(req: AdminRequest) -> Reply:
    from mockserver.seeding.scenario import shipped

    active = req.runtime.store.get_meta("scenario")
    return Reply(200, {"scenarios": sorted(shipped()), "active": active})


@route(
    "POST",
    "/__admin/scenarios/{name}",
    'replace the data with a shipped scenario (body, optional: {"seed": 7, "scale": 0.01})',
)
def scenario_load(req: AdminRequest) -> Reply:
    from mockserver.seeding.loader import load_scenario
    from mockserver.seeding.scenario import ScenarioError, shipped

    body = req.body if isinstance(req.body, dict) else {}
    name = req.match["name"]
    if name not in shipped():  # a name, never a path: the admin API does not read arbitrary files
        raise ApiError("not_found", f"no scenario {name!r}; known: {', '.join(sorted(shipped()))}")
    seed, scale = body.get("seed"), body.get("scale", 1.0)
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool) or seed < 0):
        raise ApiError("bad_request", "seed is an integer >= 0")
    if not isinstance(scale, int | float) or isinstance(scale, bool) or not 0 <= scale <= 10:
        raise ApiError("bad_request", "scale is a number from 0 to 10")
    try:
        report = load_scenario(req.runtime, name, seed=seed, scale=float(scale))
    except ScenarioError as exc:
        return Reply(422, {"error": "invalid_scenario", "message": str(exc), **exc.as_dict()})
    return Reply(200, report)


@route("GET", "/__admin/snapshots", "the snapshots taken")
def snapshot_list(req: AdminRequest) -> Reply:
    return Reply(200, {"snapshots": snapshots.listing(req.runtime.store)})


@route("POST", "/__admin/snapshots", 'copy the whole state now (body, optional: {"id": "before-test"})')
def snapshot_take(req: AdminRequest) -> Reply:
    body = req.body if isinstance(req.body, dict) else {}
    try:
        return Reply(201, snapshots.take(req.runtime.store, body.get("id")))
    except ValueError as exc:
        raise ApiError("bad_request", str(exc)) from exc


@route("POST", "/__admin/snapshots/{snapshot_id}/restore", "put the whole state back to a snapshot")
def snapshot_restore(req: AdminRequest) -> Reply:
    sid = req.match["snapshot_id"]
    try:
        return Reply(200, snapshots.restore(req.runtime.store, sid))
    except KeyError as exc:
        raise ApiError("not_found", f"no snapshot {sid!r}") from exc
    except ValueError as exc:
        raise ApiError("bad_request", str(exc)) from exc


@route("DELETE", "/__admin/snapshots/{snapshot_id}", "forget a snapshot")
def snapshot_delete(req: AdminRequest) -> Reply:
    try:
        found = snapshots.delete(req.runtime.store, req.match["snapshot_id"])
    except ValueError as exc:
        raise ApiError("bad_request", str(exc)) from exc
    if not found:
        raise ApiError("not_found", f"no snapshot {req.match['snapshot_id']!r}")
    return Reply(200, {"deleted": req.match["snapshot_id"]})
