"""Every APRO call: thin functions that read ``params``, use the shared helpers, and answer
``{"status": "success", "data": ...}``."""

from __future__ import annotations

import copy
from typing import Any

from mockserver.engine.context import Reply, RequestContext
from mockserver.store import Condition
from mockserver.vendors.apro import accounts, catalog, comms, forms, records, sms
from mockserver.vendors.apro.dialect import params_of
from mockserver.vendors.apro.objects import (
    ENTITIES,
    PURCHASER_FIELDS,
    REQUEST_FIELDS,
    SALE_FIELDS,
    STOCK_FIELDS,
)
from mockserver.vendors.apro.records import as_id, bad, id_list


def ok(data: Any) -> Reply:
    return Reply(200, {"status": "success", "data": data})


def _field_defs(ids: list[str], hide_nested_variants: bool) -> dict[str, Any]:
    out = {}
    for fid in ids:
        field = copy.deepcopy(catalog.FIELDS[fid])
        field.pop("parent", None)
        if hide_nested_variants and fid in catalog.NESTED_CHILDREN:
            field.pop("variants", None)  # loaded with utils/variants or utils/binded instead
        out[fid] = field
    return out


def _nested(ids: list[str]) -> dict[str, list[str]]:
    return {p: [c for c in cs if c in ids] for p, cs in catalog.NESTED.items() if p in ids}


def _layout(groups: list[dict[str, Any]], ids: list[str], hide: bool) -> dict[str, Any]:
    return {
        "groups": copy.deepcopy(groups),
        "fields": _field_defs(ids, hide),
        "nested_selects": _nested(ids),
        "deleted_fields": list(catalog.DELETED_FIELDS),
        "disabled_fields": list(catalog.DISABLED_FIELDS),
    }


# -- generic record calls --------------------------------------------------------------------------
def _entity_call(name: str, action: str):
    entity = ENTITIES[name]

    def call(ctx: RequestContext) -> Reply:
        params = params_of(ctx)
        if action == "filter":
            return ok(records.filter_records(ctx, entity, params if isinstance(params, dict) else {}))
        if action == "insert":
            return ok(records.insert(ctx, entity, params))
        if action == "update":
            return ok(records.update(ctx, entity, params))
        return ok(records.delete(ctx, entity, params))

    call.__name__ = f"{name}_{action}"
    return call


# -- objects ---------------------------------------------------------------------------------------
def stock_types(ctx: RequestContext) -> Reply:
    return ok(copy.deepcopy(catalog.STOCK_TYPES))


def stock_category(ctx: RequestContext) -> Reply:
    return ok(copy.deepcopy(catalog.STOCK_CATEGORIES))


def stock_fields(ctx: RequestContext) -> Reply:
    return ok({t: _layout(groups, STOCK_FIELDS[t], True) for t, groups in catalog.STOCK_LAYOUT.items()})


def purchaser_fields(ctx: RequestContext) -> Reply:
    return ok(_layout(catalog.PURCHASER_LAYOUT, PURCHASER_FIELDS, False))


def applications_types(ctx: RequestContext) -> Reply:
    return ok(copy.deepcopy(catalog.REQUEST_TYPES))


def applications_fields(ctx: RequestContext) -> Reply:
    return ok({t: _layout(g, REQUEST_FIELDS[t], True) for t, g in catalog.REQUEST_LAYOUT.items()})


def sales_types(ctx: RequestContext) -> Reply:
    return ok(copy.deepcopy(catalog.SALE_TYPES))


def sales_fields(ctx: RequestContext) -> Reply:
    out = {}
    for t, layout in catalog.SALE_LAYOUT.items():
        ids = SALE_FIELDS[t]
        out[t] = {
            "stages": copy.deepcopy(layout["stages"]),
            "price_fields": list(layout["price_fields"]),
            "fields": _field_defs(ids, False),
            "nested_selects": {p: [int(c) for c in cs] for p, cs in _nested(ids).items()},
        }
    return ok(out)


def purchaser_attach(ctx: RequestContext) -> Reply:
    params = params_of(ctx)
    ids = id_list(params.get("ids"), "ids") if isinstance(params, dict) and "ids" in params else None
    if not ids:
        raise bad("ids is obligatory")
    out = {}
    for cid in ids:
        records.load(ctx, ENTITIES["purchaser"], cid, "ids")
        stock = ctx.store.find(
            ctx.coll("stock"), [Condition("customer_relation", "eq", cid)], sort=[("_n", False)]
        ).items
        reqs = ctx.store.find(
            ctx.coll("applications"),
            [Condition("customer_id", "eq", cid), Condition("publish", "eq", 1)],
            sort=[("_n", False)],
        ).items
        sales = ctx.store.find(
            ctx.coll("sales"),
            [Condition("customers_id", "eq", int(cid)), Condition("publish", "eq", 1)],
            sort=[("_n", False)],
        ).items
        out[cid] = {
            "stock": [s["id"] for s in stock if s["publish"] == 1],
            "stock_archive": [s["id"] for s in stock if s["publish"] != 1],
            "request": [r["id"] for r in reqs],
            "sale": [s["id"] for s in sales],
        }
    return ok(out)


def sales_details(ctx: RequestContext) -> Reply:
    params = params_of(ctx)
    ids = id_list(params.get("ids"), "ids") if isinstance(params, dict) and "ids" in params else None
    if not ids:
        raise bad("ids is obligatory")
    out = {}
    for sid in ids:
        sale = records.load(ctx, ENTITIES["sales"], sid, "ids")
        bills = ctx.store.find(
            ctx.coll("bills"), [Condition("sale_id", "eq", sid)], sort=[("_n", False)]
        ).items
        out[sid] = {
            k: list(sale.get(k, []))
            for k in ("cocustomers", "corequests", "costock", "costockprimary", "cosales")
        }
        out[sid]["bills"] = [b["id"] for b in bills]
        out[sid]["blanks"] = list(sale.get("blanks", []))
    return ok(out)


# -- comments --------------------------------------------------------------------------------------
def _comments(object_type: str):
    entity = ENTITIES[object_type]

    def call(ctx: RequestContext) -> Reply:
        params = params_of(ctx)
        if not isinstance(params, dict) or params.get("entity_id") in (None, "", []):
            raise bad("entity_id is obligatory")
        out: dict[str, list[Any]] = {}
        for eid in id_list(params["entity_id"], "entity_id"):
            records.load(ctx, entity, eid, "entity_id")
            if object_type == "purchaser":  # a contact shows its own and its records' comments
                conds = [Condition("customer_id", "eq", eid)]
            else:
                conds = [
                    Condition("parent_type", "eq", entity.comment_type),
                    Condition("parent_id", "eq", eid),
                ]
            found = ctx.store.find(ctx.coll("comments"), conds, sort=[("date", False), ("_n", False)]).items
            out[eid] = [{k: v for k, v in c.items() if not k.startswith("_")} for c in found]
        return ok(out)

    call.__name__ = f"{object_type}_comments"
    return call


# -- users, groups ---------------------------------------------------------------------------------
def worker_fields(ctx: RequestContext) -> Reply:
    return ok([copy.deepcopy(catalog.FIELDS[f]) for f in catalog.WORKER_FIELDS])


def worker_department(ctx: RequestContext) -> Reply:
    return ok(copy.deepcopy(catalog.DEPARTMENTS))


def worker_filiation(ctx: RequestContext) -> Reply:
    return ok(copy.deepcopy(catalog.FILIATIONS))


def worker_filter(ctx: RequestContext) -> Reply:
    from mockserver.vendors.apro import fields as fx

    params = params_of(ctx)
    params = params if isinstance(params, dict) else {}
    conds: list[Condition] = []
    for name, field in (("id", "id"), ("division_id", "division_id"), ("suboffice_id", "suboffice_id")):
        if params.get(name) not in (None, "", []):
            conds.append(Condition(field, "in", id_list(params[name], name)))
    if params.get("group") not in (None, ""):
        conds.append(Condition("groups", "contains", as_id(params["group"], "group")))
    for name in ("surname", "name"):
        if params.get(name) not in (None, ""):
            conds.append(Condition(f"_{name}", "eq", str(params[name]).lower()))
    if "fields" in params:
        try:
            conds += fx.conditions(catalog.WORKER_FIELDS, params["fields"])
        except fx.FieldError as exc:
            raise bad(str(exc)) from None
    found = ctx.store.find(ctx.coll("workers"), conds, sort=[("_n", False)]).items
    for name, key in (("email", "_emails"), ("phone", "_phones")):
        if params.get(name) not in (None, ""):
            term = str(params[name]).lower()
            found = [w for w in found if any(term in v for v in w[key])]
    out = {}
    for w in found:
        shown = {k: v for k, v in w.items() if not k.startswith("_") and k not in ("ext", "groups")}
        shown["fields"] = {
            fid: {
                "id": fid,
                "datatype": catalog.FIELDS[fid]["datatype"],
                "value": fx.show(catalog.FIELDS[fid], w["ext"].get(f"f{fid}")),
            }
            for fid in catalog.WORKER_FIELDS
            if w["ext"].get(f"f{fid}") is not None
        }
        out[w["id"]] = shown
    return ok(out)


def managergroup(ctx: RequestContext) -> Reply:
    return ok(copy.deepcopy(catalog.GROUPS))


# -- utils, publications ---------------------------------------------------------------------------
def utils_variants(ctx: RequestContext) -> Reply:
    params = params_of(ctx)
    fid = as_id(params.get("property_id") if isinstance(params, dict) else None, "property_id")
    field = catalog.FIELDS.get(fid)
    if field is None or "variants" not in field:
        raise bad(f"field {fid} is not a select field", {"property_id": fid})
    return ok(copy.deepcopy(field["variants"]))


def utils_binded(ctx: RequestContext) -> Reply:
    params = params_of(ctx)
    bind = as_id(params.get("bind") if isinstance(params, dict) else None, "bind")
    out = [
        copy.deepcopy(v) for f in catalog.FIELDS.values() for v in f.get("variants", []) if v["bind"] == bind
    ]
    return ok(out)


def publication_list(ctx: RequestContext) -> Reply:
    params = params_of(ctx)
    if not isinstance(params, dict) or params.get("parent_id") in (None, ""):
        raise bad("parent_id is obligatory (root = 0)")
    parent = as_id(params["parent_id"], "parent_id")
    if parent != "0" and parent not in {p["id"] for p in catalog.PUBLICATIONS}:
        raise bad(f"post {parent} does not exist")
    out = {}
    for p in catalog.PUBLICATIONS:
        if p["parent_id"] == parent:
            out[p["id"]] = {k: p[k] for k in ("id", "description", "news", "date_news", "title", "publ")}
            out[p["id"]]["childs"] = any(c["parent_id"] == p["id"] for c in catalog.PUBLICATIONS)
    return ok(out)


def publication_single(ctx: RequestContext) -> Reply:
    params = params_of(ctx)
    pid = as_id(params.get("id") if isinstance(params, dict) else None, "id")
    post = next((p for p in catalog.PUBLICATIONS if p["id"] == pid), None)
    if post is None:
        raise bad(f"post {pid} does not exist", {"id": pid})
    keys = ("id", "title", "description", "parent_id", "body", "publ", "created_on")
    shown = {k: post[k] for k in keys}
    shown["files"] = copy.deepcopy(post.get("files", {}))
    shown["images"] = copy.deepcopy(post.get("images", {}))
    shown["childs"] = [
        {k: c[k] for k in ("id", "title", "description", "publ", "created_on")}
        for c in catalog.PUBLICATIONS
        if c["parent_id"] == pid
    ]
    return ok({pid: shown})


HANDLERS: dict[str, Any] = {
    "stock_types": stock_types,
    "stock_category": stock_category,
    "stock_fields": stock_fields,
    "purchaser_fields": purchaser_fields,
    "purchaser_attach": purchaser_attach,
    "applications_types": applications_types,
    "applications_fields": applications_fields,
    "sales_types": sales_types,
    "sales_fields": sales_fields,
    "sales_details": sales_details,
    "worker_fields": worker_fields,
    "worker_department": worker_department,
    "worker_filiation": worker_filiation,
    "worker_filter": worker_filter,
    "managergroup": managergroup,
    "utils_variants": utils_variants,
    "utils_binded": utils_binded,
    "publication_list": publication_list,
    "publication_single": publication_single,
}
for _name in ENTITIES:
    for _action in ("filter", "insert", "update", "delete"):
        HANDLERS[f"{_name}_{_action}"] = _entity_call(_name, _action)
    HANDLERS[f"{_name}_comments"] = _comments(_name)
HANDLERS.update(accounts.HANDLERS)
HANDLERS.update(comms.HANDLERS)
HANDLERS.update(forms.HANDLERS)
HANDLERS.update(sms.HANDLERS)
