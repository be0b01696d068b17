"""Generic behaviour of APRO's four record kinds (objects, contacts, activities, deals).

One filter, one insert, one update and one delete, parameterised by an ``Entity``; what differs
per kind (which fields exist, how a record is built and shown) lives in ``objects.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mockserver.engine.context import RequestContext
from mockserver.engine.errors import ApiError
from mockserver.store import Condition
from mockserver.vendors.apro import webhooks
from mockserver.vendors.apro.fields import FieldError
from mockserver.vendors.apro.fields import conditions as field_conditions


def bad(message: str, details: dict[str, Any] | None = None) -> ApiError:
    """BAD_PARAMS: the request reached a real object but its parameters are wrong."""
    return ApiError("validation", message, details)


def now_text(ctx: RequestContext) -> str:
    return ctx.now.strftime("%Y-%m-%d %H:%M:%S")  # type: ignore[union-attr]


def next_id(ctx: RequestContext, resource: str) -> str:
    """APRO ids are auto-increment numbers sent as strings; the seed sets where they start. Ids
    the seed placed further on (the document's example records) are stepped over."""
    while True:
        candidate = str(ctx.store.incr_meta(f"apro:seq:{ctx.coll(resource)}"))
        if not ctx.store.exists(ctx.coll(resource), candidate):
            return candidate


def as_id(value: Any, what: str) -> str:
    text = str(value).strip() if not isinstance(value, (bool, list, dict)) and value is not None else ""
    if not text.isdigit() or len(text) > 18:
        raise bad(f"{what} must be a numeric id", {what: repr(value)})
    return str(int(text))


def id_list(value: Any, what: str) -> list[str]:
    """An id or an array of ids (documented as "ID or array of IDs" in several calls)."""
    if isinstance(value, list):
        return [as_id(v, what) for v in value]
    if isinstance(value, str) and "," in value:
        return [as_id(v, what) for v in value.split(",") if v.strip()]
    return [as_id(value, what)]


def int_param(params: dict[str, Any], name: str, default: int, low: int, high: int | None) -> int:
    value = params.get(name, default)
    try:
        number = int(str(value).strip())
    except ValueError:
        raise bad(f"{name} must be an integer", {name: repr(value)}) from None
    if number < low or (high is not None and number > high):
        raise bad(f"{name} must be between {low} and {high}", {name: number})
    return number


def day_bound(value: Any, end: bool, what: str) -> str:
    """``2015-10-29`` or ``2015-10-29 09:45:23`` as an inclusive bound on a stored datetime."""
    text = str(value).strip()
    from mockserver.vendors.apro.fields import _scalar

    try:
        if len(text) == 10:
            return _scalar("date", text) + (" 23:59:59" if end else " 00:00:00")
        return _scalar("datetime", text)
    except FieldError as exc:
        raise bad(f"{what}: {exc}") from None


@dataclass(frozen=True)
class Entity:
    name: str  # the collection
    created: str  # creation date field
    activity_date: str
    activity_type: str
    manager: str
    default_limit: int
    max_limit: int
    comment_type: str  # ``parent_type`` of its comments
    allowed: Callable[[dict[str, Any]], list[str]]  # field ids a stored record may have
    build: Callable[[RequestContext, dict[str, Any], dict[str, Any] | None], dict[str, Any]]
    present: Callable[[RequestContext, list[dict[str, Any]]], list[Any]]
    scope: Callable[[RequestContext, dict[str, Any]], list[Condition]]  # per-kind filters
    count_as_int: bool = False


def filter_records(ctx: RequestContext, entity: Entity, params: dict[str, Any]) -> dict[str, Any]:
    """The documented search: byid, manager, fields, search, date range, order, publish, pages."""
    conds = entity.scope(ctx, params)
    publish = params.get("publish", 1)
    if str(publish) not in ("0", "1"):
        raise bad("publish is 1 (active) or 0 (deleted)")
    conds.append(Condition("publish", "eq", int(publish)))
    if params.get("byid") not in (None, ""):
        conds.append(Condition("id", "in", id_list(params["byid"], "byid")))
    if params.get("manager") not in (None, ""):
        manager = as_id(params["manager"], "manager")
        conds.append(Condition(entity.manager, "eq", int(manager) if entity.count_as_int else manager))
    if "fields" in params:
        allowed = sorted(_all_allowed(entity))
        try:
            conds += field_conditions(allowed, params["fields"])
        except FieldError as exc:
            raise bad(str(exc)) from None
    date_field = entity.created
    if params.get("date_field") == entity.activity_date:
        date_field = entity.activity_date
    elif params.get("date_field") not in (None, "", entity.created):
        raise bad(f"date_field can only be {entity.activity_date!r}")
    span = params.get("date")
    if span not in (None, "", []):
        if not isinstance(span, dict) or not set(span) & {"from", "to"}:
            raise bad("date is {from, to}")
        if span.get("from") not in (None, ""):
            conds.append(Condition(date_field, "gte", day_bound(span["from"], False, "date.from")))
        if span.get("to") not in (None, ""):
            conds.append(Condition(date_field, "lte", day_bound(span["to"], True, "date.to")))
    order = str(params.get("order", "desc")).lower()
    if order not in ("asc", "desc"):
        raise bad("order is asc or desc")
    order_field = params.get("order_field")
    if order_field not in (None, "", entity.activity_date):
        raise bad(f"order_field can only be {entity.activity_date!r}")
    sort = [(entity.activity_date, order == "desc")] if order_field else []
    sort.append(("_n", order == "desc"))
    limit = int_param(params, "limit", entity.default_limit, 1, entity.max_limit)
    page = int_param(params, "page", 1, 1, 10**9)
    search = params.get("search")
    found = ctx.store.find(
        ctx.coll(entity.name),
        conds,
        search=(["_search"], str(search)) if search not in (None, "") else None,
        sort=sort,
        offset=(page - 1) * limit,
        limit=limit,
    )
    items = entity.present(ctx, found.items)
    return {"list": items, "count": found.total if entity.count_as_int else str(found.total)}


def _all_allowed(entity: Entity) -> set[str]:
    from mockserver.vendors.apro import objects

    return objects.ALL_FIELDS[entity.name]


def entries(params: Any, what: str) -> list[dict[str, Any]]:
    """Insert / update take an array of entries (at most 1000 by the array limit)."""
    if isinstance(params, dict):  # a PHP array keyed by strings, or a single entry
        params = list(params.values()) if all(isinstance(v, dict) for v in params.values()) else [params]
    if not isinstance(params, list) or not params or not all(isinstance(e, dict) for e in params):
        raise bad(f"params is an array of {what}")
    return params


def insert(ctx: RequestContext, entity: Entity, params: Any) -> list[int]:
    """Every entry is checked before any is written: one bad entry adds nothing."""
    with ctx.store.transaction():
        docs = []
        for entry in entries(params, "entries"):
            doc = entity.build(ctx, entry, None)
            stamp = now_text(ctx)
            doc["id"] = next_id(ctx, entity.name)
            doc["_n"] = int(doc["id"])
            doc.update({entity.created: stamp, entity.activity_date: stamp, entity.activity_type: "create"})
            doc["publish"] = 1
            if ctx.principal is not None and ctx.principal.user_id:
                doc["_creator"] = str(ctx.principal.user_id)
            ctx.store.insert(ctx.coll(entity.name), doc)
            webhooks.notify(ctx, entity.name, "create", None, doc)
            docs.append(doc)
    return [d["_n"] for d in docs]


def load(ctx: RequestContext, entity: Entity, record_id: Any, what: str = "id") -> dict[str, Any]:
    doc = ctx.store.get(ctx.coll(entity.name), as_id(record_id, what))
    if doc is None:
        raise bad(f"{entity.name} {record_id} does not exist", {what: str(record_id)})
    return doc


def update(ctx: RequestContext, entity: Entity, params: Any) -> list[int]:
    with ctx.store.transaction():
        out = []
        for entry in entries(params, "entries with id"):
            if "id" not in entry:
                raise bad("each entry needs the id of an existing record")
            old = load(ctx, entity, entry["id"])
            new = entity.build(ctx, entry, old)
            new[entity.activity_date] = now_text(ctx)
            new.setdefault(entity.activity_type, "edit")
            ctx.store.replace(ctx.coll(entity.name), new)
            webhooks.notify(ctx, entity.name, "edit", old, new)
            out.append(new["_n"])
    return out


def delete(ctx: RequestContext, entity: Entity, params: Any) -> list[int]:
    """Deleting moves a record to the deleted list (``publish`` 0), where filters still find it."""
    ids = id_list(params.get("ids", params.get("id")) if isinstance(params, dict) else params, "id")
    if not ids:
        raise bad("params is the array of ids to delete")
    with ctx.store.transaction():
        docs = [load(ctx, entity, i) for i in ids]
        for doc in docs:
            if doc.get("publish") == 1:
                before = dict(doc)
                doc.update(
                    {"publish": 0, entity.activity_type: "delete", entity.activity_date: now_text(ctx)}
                )
                ctx.store.replace(ctx.coll(entity.name), doc)
                webhooks.notify(ctx, entity.name, "delete", before, doc)
    return [d["_n"] for d in docs]
