"""APRO's outgoing webhooks: on create / edit / delete of contacts, activities, objects and deals,
a POST of the document's ``{subject_type, subject_type_id, event, object_type, object_sub_type,
object_sub_id, snapshot, merge}`` to every subscribed URL.

In the CRM a subscription is set up in the UI (business processes: a URL and the events wanted);
here the admin actions ``add-webhook`` / ``list-webhooks`` / ``remove-webhook`` do it
(``POST /__admin/vendors/apro/actions/{name}``). ``snapshot`` is the record after the change, in
the document's per-object layout; ``merge`` holds the former values of the changed properties,
``{"name": {"type": "edit", "value": "John"}, "1207": {"type": "edit", "value": "100000"}}``
(basic fields by name, additional fields by their numeric id); it is ``[]`` on create.
"""

from __future__ import annotations

import copy
import secrets
from typing import Any

import orjson

from mockserver.engine.context import Reply, RequestContext
from mockserver.engine.errors import ApiError
from mockserver.sim.webhooks import Delivery
from mockserver.vendors.apro import catalog
from mockserver.vendors.apro import fields as fx

EVENTS = ("create", "edit", "delete")
OBJECT_TYPES = {"purchaser": "customer", "applications": "request", "stock": "stock", "sales": "sale"}
# bookkeeping the CRM changes on every write: not "changes in object properties"
_NOT_CHANGES = {
    "stock_activity_type",
    "stock_activity_date",
    "sale_activity_type",
    "sale_activity_date",
    "last_modify",
}


def _s(value: Any) -> Any:
    """Scalars as the CRM's PHP shows them (strings); lists and None unchanged."""
    if value is None or isinstance(value, (list, dict, str)):
        return value
    return str(value)


def _ext(allowed: list[str], ext: dict[str, Any]) -> dict[str, Any]:
    return {
        fid: {
            "id": fid,
            "type": catalog.FIELDS[fid]["datatype"],
            "value": _blank(fx.show(catalog.FIELDS[fid], ext.get(f"f{fid}"))),
        }
        for fid in allowed
    }


def _blank(value: Any) -> Any:
    return "" if value is None else value


def _customer(ctx: RequestContext, cid: Any) -> dict[str, Any]:
    if cid in (None, "", 0, "0"):
        return {}
    return ctx.store.get(ctx.coll("purchaser"), str(cid)) or {}


def snapshot(ctx: RequestContext, entity: str, doc: dict[str, Any]) -> dict[str, Any]:
    """The record in the document's "snapshot" layout for its kind."""
    from mockserver.vendors.apro import objects

    creator = str(doc.get("_creator", "0"))
    if entity == "purchaser":
        return {
            "id": doc["id"],
            "author": str(doc.get("_creator", doc.get("manager_id", "0"))),
            "group_id": doc.get("group_id", "0"),
            "name": doc.get("name", ""),
            "surname": doc.get("surname", ""),
            "patronymic": doc.get("patronymic", ""),
            "manager_id": doc.get("manager_id", "0"),
            "email": copy.deepcopy(doc.get("email", [])),
            "phone": copy.deepcopy(doc.get("phone", [])),
            "create_date": doc.get("create_date", ""),
            "comment": doc.get("comment", ""),
            "publish": _s(doc.get("publish", 1)),
            "marktype": doc.get("marktype", "0"),
            "nattype": doc.get("nattype", "private_individual"),
            "extproperty": _ext(objects.PURCHASER_FIELDS, doc.get("ext", {})),
        }
    if entity == "applications":
        return {
            "request_id": doc["id"],
            "request_date": doc.get("date_create", ""),
            "request_comment": doc.get("comment", ""),
            "manager": doc.get("employee_id", "0"),
            "customer": doc.get("customer_id", "0"),
            "email": copy.deepcopy(_customer(ctx, doc.get("customer_id")).get("email", [])),
            "status": doc.get("status", "unselected"),
            "request_type": doc.get("request_type_id", ""),
            "publish": _s(doc.get("publish", 1)),
            "employee_creator_id": creator,
            "shared_managers": [str(i) for i in doc.get("additional_employee_id", [])],
            "extproperty": _ext(objects.request_allowed(doc), doc.get("ext", {})),
        }
    if entity == "stock":
        type_name = next((t["name"] for t in catalog.STOCK_TYPES if t["id"] == doc.get("type")), "")
        category = next(
            (
                c["name"]
                for cs in catalog.STOCK_CATEGORIES.values()
                for c in cs
                if c["id"] == doc.get("parent")
            ),
            "",
        )
        return {
            "id": doc["id"],
            "group_id": doc.get("group_id", "0"),
            "parent": doc.get("parent", ""),
            "parentname": category,
            "name": doc.get("name", ""),
            "count": "1",
            "date_add": doc.get("date_add", ""),
            "publish": _s(doc.get("publish", 1)),
            "copy": "0",
            "type": doc.get("type", ""),
            "typename": type_name,
            "stock_activity_type": doc.get("stock_activity_type", ""),
            "stock_activity_date": doc.get("stock_activity_date", ""),
            "associated_with_customer": doc.get("customer_relation", ""),
            "stock_creator_id": creator,
            "shared_managers": [str(i) for i in doc.get("additional_author", [])],
            "extproperty": _ext(objects.stock_allowed(doc), doc.get("ext", {})),
        }
    # deals
    sale_type = next((t for t in catalog.SALE_TYPES if t["id"] == doc.get("sales_type_id")), {})
    stage = next((s for s in sale_type.get("stages", []) if s["id"] == doc.get("sales_status_id")), {})
    customer = _customer(ctx, doc.get("customers_id"))
    layout = catalog.SALE_LAYOUT.get(str(doc.get("sales_type_id")), {})
    prices = [
        fx.show(catalog.FIELDS[str(f)], doc.get("ext", {}).get(f"f{f}"))
        for f in layout.get("price_fields", [])
    ]
    return {
        "id": _s(doc["id"]),
        "customers_id": _s(doc.get("customers_id", 0)),
        "employee_id": _s(doc.get("employee_id", 0)),
        "date_create": doc.get("date_create", ""),
        "sales_type_id": _s(doc.get("sales_type_id", "")),
        "sales_type_name": sale_type.get("name", ""),
        "sales_status_id": _s(doc.get("sales_status_id", "")),
        "sales_status_name": stage.get("name", ""),
        "comment": doc.get("comment", ""),
        "price": next((p for p in prices if p is not None), ""),
        "publish": _s(doc.get("publish", 1)),
        "customer_name": customer.get("name", ""),
        "customer_surname": customer.get("surname", ""),
        "customer_patronymic": customer.get("patronymic", ""),
        "customer_email": (customer.get("email") or [{"mail": ""}])[0]["mail"],
        "sale_activity_type": doc.get("sale_activity_type", ""),
        "sale_activity_date": doc.get("sale_activity_date", ""),
        "sale_creator_id": creator,
        "shared_managers": [str(i) for i in doc.get("additional_employee_id", [])],
        "extproperty": _ext(objects.sale_allowed(doc), doc.get("ext", {})),
    }


def merge(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any] | list[Any]:
    """The former values of the properties that changed; ``[]`` when none did (as on create)."""
    out: dict[str, Any] = {}
    for key, old in before.items():
        if key in ("extproperty", *_NOT_CHANGES):
            continue
        if after.get(key) != old:
            out[key] = {"type": "edit", "value": old}
    old_ext, new_ext = before.get("extproperty", {}), after.get("extproperty", {})
    for fid in sorted({*old_ext, *new_ext}, key=int):
        old = old_ext.get(fid, {}).get("value", "")
        if new_ext.get(fid, {}).get("value", "") != old:
            out[fid] = {"type": "edit", "value": old}
    return out or []


def _subscriptions(ctx: RequestContext) -> list[dict[str, Any]]:
    coll = ctx.coll("webhooks")
    return ctx.store.memo(
        ("apro-hooks", coll), lambda: ctx.store.find(coll, with_total=False).items, on=(coll,)
    )


def notify(
    ctx: RequestContext, entity: str, event: str, old: dict[str, Any] | None, new: dict[str, Any]
) -> None:
    """Queue the event for the subscribers (inside the write's transaction: a refused write, rolled
    back, sends nothing). Snapshots are only built when someone listens."""
    object_type = OBJECT_TYPES[entity]
    wanted = [
        h
        for h in _subscriptions(ctx)
        if h.get("active", True) and event in h["events"] and object_type in h["objects"]
    ]
    if not wanted:
        return
    after = snapshot(ctx, entity, new)
    before = snapshot(ctx, entity, old) if old is not None else None
    principal = ctx.principal
    sub_type = {
        "purchaser": "0",
        "applications": new.get("request_type_id", "0"),
        "stock": new.get("type", "0"),
        "sales": str(new.get("sales_type_id", "0")),
    }[entity]
    payload = {
        "subject_type": "employee" if principal is not None and principal.user_id else "system",
        "subject_type_id": str(principal.user_id) if principal is not None and principal.user_id else "0",
        "event": event,
        "object_type": object_type,
        "object_sub_type": sub_type,
        "object_sub_id": str(new["id"]),
        "snapshot": after,
        "merge": merge(before, after) if before is not None else [],
    }
    ctx.emit(f"{object_type}.{event}", {"payload": payload, "targets": [h["id"] for h in wanted]})


def deliveries(ctx: RequestContext, data: dict[str, Any]) -> list[Delivery]:
    body = orjson.dumps(data["payload"])
    headers = {"User-Agent": "APRO-CRM-Webhook/2.8"}
    by_id = {h["id"]: h for h in _subscriptions(ctx)}
    return [
        Delivery(url=by_id[t]["url"], body=body, headers=headers, target=t)
        for t in data["targets"]
        if t in by_id
    ]


# -- admin actions ------------------------------------------------------------------------------------
def _public(hook: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in hook.items() if not k.startswith("_")}


def add_webhook(ctx: RequestContext, body: dict[str, Any]) -> Reply:
    """``{url, events?: [create, edit, delete], objects?: [customer, request, stock, sale]}``:
    subscribe a URL (every event of every object when the lists are left out)."""
    url = body.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ApiError("bad_request", "url (http:// or https://) is required")
    events = body.get("events", list(EVENTS))
    objects = body.get("objects", list(OBJECT_TYPES.values()))
    if not isinstance(events, list) or not events or not set(events) <= set(EVENTS):
        raise ApiError("bad_request", f"events is a non-empty list of {', '.join(EVENTS)}")
    known = list(OBJECT_TYPES.values())
    if not isinstance(objects, list) or not objects or not set(objects) <= set(known):
        raise ApiError("bad_request", f"objects is a non-empty list of {', '.join(known)}")
    hook = {
        "id": str(body.get("id") or secrets.token_hex(6)),
        "url": url,
        "events": [e for e in EVENTS if e in events],
        "objects": [o for o in known if o in objects],
        "active": bool(body.get("active", True)),
    }
    coll = ctx.coll("webhooks")
    if ctx.store.exists(coll, hook["id"]):
        ctx.store.replace(coll, hook)
    else:
        ctx.store.insert(coll, hook)
    return Reply(201, _public(hook))


def list_webhooks(ctx: RequestContext, body: dict[str, Any]) -> Reply:
    hooks = ctx.store.find(ctx.coll("webhooks"), with_total=False).items
    return Reply(200, {"webhooks": [_public(h) for h in hooks]})


def remove_webhook(ctx: RequestContext, body: dict[str, Any]) -> Reply:
    hook_id = str(body.get("id") or "")
    if not ctx.store.exists(ctx.coll("webhooks"), hook_id):
        raise ApiError("not_found", f"no webhook {hook_id!r}")
    ctx.store.delete(ctx.coll("webhooks"), hook_id)
    return Reply(200, {"deleted": hook_id})


ADMIN_ACTIONS = {"add-webhook": add_webhook, "list-webhooks": list_webhooks, "remove-webhook": remove_webhook}
