"""The generic operations: create, get, list, update, delete, driven by the spec's metadata."""

from __future__ import annotations

import inspect
from typing import Any

from mockserver.engine.context import Reply, RequestContext
from mockserver.engine.errors import ApiError, not_found
from mockserver.engine.ids import id_rng, make_id
from mockserver.engine.request import apply_defaults
from mockserver.store import Condition


def new_id(ctx: RequestContext, resource: str) -> str:
    """The next id for a resource; deterministic for the seed and the order of creates."""
    fmt = ctx.vendor.spec.resource(resource).id_format
    coll = ctx.coll(resource)
    while True:
        sequence = ctx.store.incr_meta(f"idseq:{coll}")
        candidate = make_id(fmt, id_rng(ctx.settings.seed, coll, sequence))
        if not ctx.store.exists(coll, candidate):
            return candidate


def parent_id(ctx: RequestContext) -> str | None:
    """The parent record's id from the path; 404 when that parent does not exist."""
    op = ctx.op
    if not op.parent_param:
        return None
    res = ctx.vendor.spec.resource(op.resource or "")
    pid = ctx.params[op.parent_param]
    if res.parent and not ctx.store.exists(ctx.coll(res.parent), pid):
        raise not_found(ctx.vendor.dialect.label(res.parent), pid)
    return pid


def load_or_404(ctx: RequestContext) -> dict[str, Any]:
    op = ctx.op
    resource = op.resource or ""
    record_id = ctx.params[op.id_param or ""]
    doc = ctx.store.get(ctx.coll(resource), record_id)
    pid = parent_id(ctx)
    res = ctx.vendor.spec.resource(resource)
    if doc is None or (pid is not None and doc.get(res.parent_field or "") != pid):
        raise not_found(ctx.vendor.dialect.label(resource), record_id)
    return doc


def create(ctx: RequestContext) -> Reply:
    op = ctx.op
    resource = op.resource or ""
    rules = ctx.vendor.rules
    schema = op.body.schemas.get("application/json", {}) if op.body else {}
    with ctx.store.transaction():
        pid = parent_id(ctx)
        doc = apply_defaults(schema, ctx.body or {})
        doc[ctx.vendor.dialect.id_field] = new_id(ctx, resource)
        res = ctx.vendor.spec.resource(resource)
        if pid is not None and res.parent_field:
            doc[res.parent_field] = pid
        doc = rules.before_create(ctx, resource, doc)
        ctx.store.insert(ctx.coll(resource), doc)
        rules.after_create(ctx, resource, doc)
    return Reply(op.success_status, rules.present(ctx, resource, [doc])[0])


def get(ctx: RequestContext) -> Reply:
    resource = ctx.op.resource or ""
    doc = load_or_404(ctx)
    return Reply(ctx.op.success_status, ctx.vendor.rules.present(ctx, resource, [doc])[0])


def list_(ctx: RequestContext) -> Reply:
    op = ctx.op
    resource = op.resource or ""
    dialect = ctx.vendor.dialect
    conditions: list[Condition] = []
    pid = parent_id(ctx)
    if pid is not None:
        res = ctx.vendor.spec.resource(resource)
        conditions.append(Condition(res.parent_field or "", "eq", pid))
    search = None
    sort_field = sort_order = None
    page, size, offset = 1, 20, None
    for param in op.params:
        meta = param.meta
        if param.name not in ctx.params:
            continue
        value = ctx.params[param.name]
        if "x-mock-filter" in meta:
            spec = {**meta["x-mock-filter"], "param": param.name}
            value = dialect.filter_value(ctx, spec, value)
            conditions.append(Condition(spec["field"], spec.get("op", "eq"), value))
        elif "x-mock-search" in meta:
            search = (meta["x-mock-search"], str(value))
        elif meta.get("x-mock-sort") == "field":
            # x-mock-sort-fields maps a wire value (CREATED_DATE) to a stored field
            sort_field = meta.get("x-mock-sort-fields", {}).get(value, value)
        elif meta.get("x-mock-sort") == "order":
            sort_order = value
        elif meta.get("x-mock-page") == "number":
            page = int(value)
        elif meta.get("x-mock-page") == "size":
            size = int(value)
        elif meta.get("x-mock-page") == "offset":
            offset = int(value)
    sort = [(sort_field, str(sort_order).lower() == "desc")] if sort_field else []
    start = offset if offset is not None else (page - 1) * size
    result = ctx.store.find(
        ctx.coll(resource), conditions, search=search, sort=sort, offset=start, limit=size
    )
    items = ctx.vendor.rules.present(ctx, resource, result.items)
    return Reply(op.success_status, dialect.list_envelope(ctx, items, page, size, result.total))


def update(ctx: RequestContext) -> Reply:
    resource = ctx.op.resource or ""
    rules = ctx.vendor.rules
    with ctx.store.transaction():
        old = load_or_404(ctx)
        new = rules.before_update(ctx, resource, old, dict(ctx.body or {}))
        new[ctx.vendor.dialect.id_field] = old[ctx.vendor.dialect.id_field]
        ctx.store.replace(ctx.coll(resource), new)
        rules.after_update(ctx, resource, old, new)
        # after_update may write the record again (a timeline entry moves a lead's lastActivity)
        new = ctx.store.get(ctx.coll(resource), new[ctx.vendor.dialect.id_field]) or new
    return Reply(ctx.op.success_status, rules.present(ctx, resource, [new])[0])


def cascade_delete(ctx: RequestContext, resource: str, record_id: str) -> None:
    """Remove the records that live under a deleted one, all the way down."""
    for child in ctx.vendor.spec.children_of(resource):
        ids = ctx.store.delete_where(
            ctx.coll(child.name), [Condition(child.parent_field or "", "eq", record_id)]
        )
        for child_id in ids:
            cascade_delete(ctx, child.name, child_id)


def delete(ctx: RequestContext) -> Reply:
    resource = ctx.op.resource or ""
    rules = ctx.vendor.rules
    with ctx.store.transaction():
        doc = load_or_404(ctx)
        rules.before_delete(ctx, resource, doc)
        cascade_delete(ctx, resource, doc[ctx.vendor.dialect.id_field])
        ctx.store.delete(ctx.coll(resource), doc[ctx.vendor.dialect.id_field])
        rules.after_delete(ctx, resource, doc)
    return Reply(ctx.op.success_status, ctx.vendor.dialect.delete_result(ctx, resource, doc))


GENERIC = {"create": create, "get": get, "list": list_, "update": update, "delete": delete}


async def run(ctx: RequestContext) -> Reply:
    """Run the operation's action: a generic one, or the vendor's custom handler."""
    op = ctx.op
    if op.action == "custom":
        result = ctx.vendor.handlers[op.handler or ""](ctx)
        return await result if inspect.isawaitable(result) else result
    action = GENERIC.get(op.action or "")
    if action is None:
        raise ApiError("internal", f"operation {op.operation_id} has no x-mock-action")
    return action(ctx)
