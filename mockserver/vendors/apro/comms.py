"""Telephony (``calls``), external conversations (``externaldialogs``) and the organizer
(``org_events``)."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from mockserver.engine.context import Reply, RequestContext
from mockserver.store import Condition
from mockserver.vendors.apro import catalog
from mockserver.vendors.apro.dialect import params_of
from mockserver.vendors.apro.records import as_id, bad, day_bound, id_list, int_param, next_id

TRUNK_IDS = {t["trunk_id"] for t in catalog.TRUNKS}
STATUS_IDS = {s["id"] for s in catalog.CALL_STATUSES}


def ok(data: Any) -> Reply:
    return Reply(200, {"status": "success", "data": data})


def _params(ctx: RequestContext) -> dict[str, Any]:
    p = params_of(ctx)
    if not isinstance(p, dict):
        raise bad("params is an associative array")
    return p


# -- calls -----------------------------------------------------------------------------------------
def calls_trunks(ctx: RequestContext) -> Reply:
    return ok([dict(t) for t in catalog.TRUNKS])


def calls_phone_numbers(ctx: RequestContext) -> Reply:
    return ok({k: [dict(n) for n in v] for k, v in catalog.PHONE_NUMBERS.items()})


def calls_statuses(ctx: RequestContext) -> Reply:
    return ok([dict(s) for s in catalog.CALL_STATUSES])


def show_call(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if not k.startswith("_") and k not in ("unique_id", "caller_id")}


def calls_history(ctx: RequestContext) -> Reply:
    p = _params(ctx)
    conds: list[Condition] = []
    for name, field in (("fromPhone", "from_phone"), ("toPhone", "to_phone")):
        if p.get(name) not in (None, ""):
            conds.append(Condition(field, "eq", str(p[name])))
    if p.get("dateFrom") not in (None, ""):
        conds.append(Condition("date_time", "gte", _moment(p["dateFrom"], False)))
    if p.get("dateTo") not in (None, ""):
        conds.append(Condition("date_time", "lte", _moment(p["dateTo"], True)))
    if p.get("type") not in (None, ""):
        if p["type"] not in ("in", "out"):
            raise bad("type is in or out")
        conds.append(Condition("is_incoming", "eq", "1" if p["type"] == "in" else "0"))
    fields = {
        "date": "date_time",
        "date_time": "date_time",
        "id": "_n",
        "duration": "_duration",
        "call_duration": "_duration",
    }
    field = fields.get(str(p.get("orderField", "date")))
    if field is None:
        raise bad(f"orderField is one of {', '.join(fields)}")
    direction = str(p.get("orderType", "DESC")).upper()
    if direction not in ("ASC", "DESC"):
        raise bad("orderType is ASC or DESC")
    limit = int_param(p, "limit", 1000, 1, 1000)
    page = int_param(p, "page", 1, 1, 10**9)
    found = ctx.store.find(
        ctx.coll("calls"),
        conds,
        sort=[(field, direction == "DESC"), ("_n", direction == "DESC")],
        offset=(page - 1) * limit,
        limit=limit,
        with_total=False,
    )
    return ok([show_call(c) for c in found.items])


def _moment(value: Any, end: bool) -> str:
    """A Unix timestamp, ``YYYY-MM-DD`` or ``YYYY-MM-DD HH:MM:SS`` (GMT) as a stored datetime."""
    text = str(value).strip()
    if re.fullmatch(r"\d{9,11}", text):
        return datetime.fromtimestamp(int(text), UTC).strftime("%Y-%m-%d %H:%M:%S")
    return day_bound(text, end, "date")


def _call_fields(p: dict[str, Any], doc: dict[str, Any]) -> str | None:
    """Apply the updatable call parameters; an error text, or None."""
    if "url" in p:
        doc["url_record"] = str(p["url"])
    if "callDuration" in p:
        if not re.fullmatch(r"\d{1,7}", str(p["callDuration"]).strip()):
            return "callDuration must be a number of seconds"
        doc["call_duration"] = str(int(str(p["callDuration"]).strip()))
        doc["_duration"] = int(doc["call_duration"])
    if "isAnswered" in p:
        doc["is_answered"] = "1" if str(p["isAnswered"]).lower() in ("1", "true") else "0"
    if "customStatus" in p:
        if str(p["customStatus"]) not in STATUS_IDS | {"0"}:
            return f"unknown customStatus {p['customStatus']}"
        doc["custom_status"] = str(p["customStatus"])
    return None


def _import_one(ctx: RequestContext, p: Any) -> dict[str, Any]:
    if not isinstance(p, dict):
        return {"result": False, "error": "a call is an associative array"}
    unique = str(p.get("uniqueId", ""))
    if not re.fullmatch(r"[0-9A-Za-z]{32}", unique):
        return {"result": False, "error": "uniqueId must be 32 characters"}
    if ctx.store.find(
        ctx.coll("calls"), [Condition("unique_id", "eq", unique)], limit=1, with_total=False
    ).items:
        return {"result": False, "error": f"call {unique} already exists"}
    for name in ("from", "to"):
        if p.get(name) in (None, ""):
            return {"result": False, "error": f"{name} is obligatory"}
    trunk = str(p.get("trunkId", catalog.TRUNKS[0]["trunk_id"]))
    if trunk not in TRUNK_IDS:
        return {"result": False, "error": f"unknown trunkId {trunk}"}
    stamp = p.get("timestamp")
    try:
        when = _moment(stamp, False) if stamp not in (None, "") else ctx.now.strftime("%Y-%m-%d %H:%M:%S")  # type: ignore[union-attr]
    except Exception:
        return {"result": False, "error": "timestamp is a Unix timestamp or YYYY-MM-DD HH:MM:SS"}
    cid = next_id(ctx, "calls")
    doc = {
        "id": cid,
        "_n": int(cid),
        "date_time": when,
        "user_id": str(ctx.principal.user_id if ctx.principal else "0"),
        "is_incoming": "1" if str(p.get("isIncoming", "")).lower() in ("1", "true") else "0",
        "is_answered": "0",
        "custom_status": "0",
        "from_phone": str(p["from"]),
        "to_phone": str(p["to"]),
        "trunk_id": trunk,
        "call_duration": "0",
        "_duration": 0,
        "url_record": "",
        "unique_id": unique,
        "caller_id": str(p.get("callerId", p["from"])),
    }
    error = _call_fields(p, doc)
    if error:
        return {"result": False, "error": error}
    ctx.store.insert(ctx.coll("calls"), doc)
    return {"result": True, "callId": unique}


def calls_import(ctx: RequestContext) -> Reply:
    with ctx.store.transaction():
        return ok(_import_one(ctx, _params(ctx)))


def calls_importall(ctx: RequestContext) -> Reply:
    """``params[calls][]``: one result per call, in order (each as ``import`` answers)."""
    p = _params(ctx)
    calls = p.get("calls")
    if isinstance(calls, dict):
        calls = list(calls.values())
    if not isinstance(calls, list) or not calls:
        raise bad("calls is the array of calls to import")
    with ctx.store.transaction():
        return ok([_import_one(ctx, c) for c in calls])


def calls_update(ctx: RequestContext) -> Reply:
    p = _params(ctx)
    unique = str(p.get("uniqueId", ""))
    found = ctx.store.find(
        ctx.coll("calls"), [Condition("unique_id", "eq", unique)], limit=1, with_total=False
    ).items
    if not found:
        return ok({"result": False, "error": f"call {unique} not found"})
    doc = found[0]
    error = _call_fields(p, doc)
    if error:
        return ok({"result": False, "error": error})
    ctx.store.replace(ctx.coll("calls"), doc)
    return ok({"result": True, "callId": unique})


# -- external conversations ----------------------------------------------------------------------
def _employees(ctx: RequestContext, value: Any) -> list[str]:
    ids = id_list(value, "employees") if value not in (None, "", []) else []
    for wid in ids:
        if not ctx.store.exists(ctx.coll("workers"), wid):
            raise bad(f"user {wid} does not exist")
    return ids


def dialogs_insert(ctx: RequestContext) -> Reply:
    p = _params(ctx)
    customer = as_id(p.get("customer", "0"), "customer")
    if customer != "0" and not ctx.store.exists(ctx.coll("purchaser"), customer):
        raise bad(f"contact {customer} does not exist")
    dialog = p.get("dialog") or {}
    if not isinstance(dialog, dict):
        raise bad("dialog is {id} or {name, employees}")
    data: dict[str, Any] = {}
    with ctx.store.transaction():
        if dialog.get("id") not in (None, ""):
            type_id = as_id(dialog["id"], "dialog.id")
            if not ctx.store.exists(ctx.coll("dialog_types"), type_id):
                raise bad(f"conversation type {type_id} does not exist")
        else:
            if not str(dialog.get("name", "")).strip():
                raise bad("dialog.name is needed to create a conversation type")
            type_id = next_id(ctx, "dialog_types")
            ctx.store.insert(
                ctx.coll("dialog_types"),
                {
                    "id": type_id,
                    "_n": int(type_id),
                    "name": str(dialog["name"]),
                    "employees": _employees(ctx, dialog.get("employees")),
                },
            )
            data["dialogid"] = int(type_id)
        seq = ctx.store.incr_meta(f"apro:seq:{ctx.coll('dialog_clients')}")
        key = hashlib.md5(f"client:{ctx.settings.seed}:{seq}".encode()).hexdigest()
        ctx.store.insert(ctx.coll("dialog_clients"), {"id": key, "customer": customer, "dialog": type_id})
    return ok({"clientkey": key, **data})


def dialogs_update(ctx: RequestContext) -> Reply:
    p = _params(ctx)
    type_id = as_id(p.get("id"), "id")
    doc = ctx.store.get(ctx.coll("dialog_types"), type_id)
    if doc is None:
        raise bad(f"conversation type {type_id} does not exist")
    if "name" in p:
        if not str(p["name"]).strip():
            raise bad("name cannot be empty")
        doc["name"] = str(p["name"])
    if "employees" in p:
        doc["employees"] = _employees(ctx, p["employees"])
    ctx.store.replace(ctx.coll("dialog_types"), doc)
    return ok({"status": True})


def _page_count(p: dict[str, Any], default: int) -> tuple[int, int]:
    return int_param(p, "page", 0, 0, 10**9), int_param(p, "count", default, 10, 50)


def dialogs_typeslist(ctx: RequestContext) -> Reply:
    p = _params(ctx)
    page, count = _page_count(p, 30)
    found = ctx.store.find(
        ctx.coll("dialog_types"), [], sort=[("_n", False)], offset=page * count, limit=count
    )
    return ok(
        {"list": [{"id": d["id"], "name": d["name"], "employees": d["employees"]} for d in found.items]}
    )


def _client(ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    key = str(p.get("client", ""))
    client = ctx.store.get(ctx.coll("dialog_clients"), key)
    if client is None:
        raise bad("unknown client key", {"client": key})
    return client


def dialogs_history(ctx: RequestContext) -> Reply:
    p = _params(ctx)
    for name in ("group", "client", "date"):
        if p.get(name) in (None, ""):
            raise bad(f"{name} is obligatory")
    group = as_id(p["group"], "group")
    client = _client(ctx, p)
    deadline = int(str(p["date"]).strip()) if str(p["date"]).strip().isdigit() else -1
    if deadline < 0:
        raise bad("date is a timestamp")
    if deadline < 10**11:  # seconds rather than milliseconds
        deadline *= 1000
    page, count = _page_count(p, 30)
    conds = [
        Condition("dialog", "eq", group),
        Condition("client", "eq", client["id"]),
        Condition("_ms", "lt", deadline),
    ]
    found = ctx.store.find(
        ctx.coll("dialog_messages"), conds, sort=[("_ms", True)], offset=page * count, limit=count
    )
    shown = [
        {k: v for k, v in m.items() if k in ("sender_type", "text", "author", "date", "hash", "status")}
        for m in found.items
    ]
    return ok({"list": shown, "total": found.total})


def dialogs_notread(ctx: RequestContext) -> Reply:
    p = _params(ctx)
    if p.get("groups") in (None, "", []) or p.get("client") in (None, ""):
        raise bad("groups and client are obligatory")
    groups = id_list(p["groups"], "groups")
    client = _client(ctx, p)
    conds = [
        Condition("dialog", "in", groups),
        Condition("client", "eq", client["id"]),
        Condition("status", "eq", False),
    ]
    out: dict[str, list[str]] = {}
    for m in ctx.store.find(ctx.coll("dialog_messages"), conds, sort=[("_ms", False)]).items:
        out.setdefault(m["dialog"], []).append(m["hash"])
    return ok({"list": out})


# -- organizer -------------------------------------------------------------------------------------
EVENT_KEYS = (
    "id",
    "title",
    "publ",
    "description",
    "allDay",
    "duration",
    "remind_active",
    "remind_before",
    "year",
    "month",
    "day",
    "weekday",
    "hour",
    "minute",
    "textColor",
    "backgroundColor",
    "borderColor",
)
_JS_DATE = re.compile(r"^\w{3} (\w{3} \d{1,2} \d{4} \d{2}:\d{2}:\d{2}) GMT([+-]\d{4})")


def parse_event_date(value: Any) -> datetime:
    """ISO 8601 (``2017-04-27T10:49:48+04:00``), JavaScript's ``Date.toString()`` or
    ``YYYY-MM-DD HH:MM:SS``; GMT when no offset is given. Rounded to 5 minutes, in GMT."""
    text = str(value).strip()
    m = _JS_DATE.match(text)
    try:
        if m:
            moment = datetime.strptime(m.group(1) + " " + m.group(2), "%b %d %Y %H:%M:%S %z")
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise bad("event date is not a date", {"date": text}) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC).replace(microsecond=0)
    return round_5(moment)


def round_5(moment: datetime) -> datetime:
    """18:01 -> 18:00, 18:03 -> 18:05 (the document's rule; seconds count, 2:30 rounds up)."""
    seconds = moment.minute * 60 + moment.second
    rounded = int((seconds + 150) // 300) * 300
    return moment.replace(minute=0, second=0) + timedelta(seconds=rounded)


def _five(value: Any, name: str) -> str:
    text = str(value).strip()
    if not text.isdigit() or int(text) % 5:
        raise bad(f"{name} must be a multiple of 5 minutes", {name: text})
    return str(int(text))


def _apply_event(ctx: RequestContext, doc: dict[str, Any], event: dict[str, Any]) -> None:
    if "title" in event:
        if not str(event["title"]).strip():
            raise bad("title is obligatory")
        doc["title"] = str(event["title"])
    if "date" in event:
        moment = parse_event_date(event["date"])
        doc.update(
            year=f"{moment.year:04d}",
            month=f"{moment.month:02d}",
            day=f"{moment.day:02d}",
            weekday=str(moment.isoweekday()),
            hour=f"{moment.hour:02d}",
            minute=f"{moment.minute:02d}",
            _at=moment.strftime("%Y-%m-%d %H:%M:%S"),
        )
    for name in ("duration", "remind_before"):
        if name in event:
            doc[name] = _five(event[name], name)
    if "allDay" in event:
        if str(event["allDay"]) not in ("0", "1"):
            raise bad("allDay is 1 or 0")
        doc["allDay"] = str(event["allDay"])
    if "remind_active" in event:
        if event["remind_active"] not in ("yes", "no"):
            raise bad("remind_active is yes or no")
        doc["remind_active"] = event["remind_active"]
    for name in ("description", "textColor", "backgroundColor", "borderColor"):
        if name in event:
            doc[name] = str(event[name])


def _users(ctx: RequestContext, value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise bad("users is {user id: simple | root}")
    out = {}
    for uid, role in value.items():
        wid = as_id(uid, "users")
        if role not in ("simple", "root") or not ctx.store.exists(ctx.coll("workers"), wid):
            raise bad(f"users: {uid} must be an existing user with role simple or root")
        out[wid] = role
    return out


def _event_out(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: doc.get(k) for k in EVENT_KEYS}


def events_insert(ctx: RequestContext) -> Reply:
    p = _params(ctx)
    event = p.get("event")
    if not isinstance(event, dict) or not event.get("title") or not event.get("date"):
        raise bad("event.title and event.date are obligatory")
    doc: dict[str, Any] = {
        "publ": "1",
        "description": "",
        "allDay": "0",
        "duration": "15",
        "remind_active": "no",
        "remind_before": "15",
        "textColor": "#000000",
        "backgroundColor": "#EFEFEF",
        "borderColor": "#EFEFEF",
    }
    _apply_event(ctx, doc, event)
    author = str(ctx.principal.user_id) if ctx.principal and ctx.principal.user_id else None
    doc["users"] = _users(ctx, p["users"]) if "users" in p else ({author: "root"} if author else {})
    with ctx.store.transaction():
        eid = next_id(ctx, "events")
        doc.update(id=eid, _n=int(eid))
        ctx.store.insert(ctx.coll("events"), doc)
    return ok({"event": _event_out(doc)})


def _load_event(ctx: RequestContext, value: Any) -> dict[str, Any]:
    eid = as_id(value, "id")
    doc = ctx.store.get(ctx.coll("events"), eid)
    if doc is None:
        raise bad(f"event {eid} does not exist", {"id": eid})
    return doc


def events_update(ctx: RequestContext) -> Reply:
    p = _params(ctx)
    event = p.get("event")
    if not isinstance(event, dict) or event.get("id") in (None, ""):
        raise bad("event.id is obligatory")
    doc = _load_event(ctx, event["id"])
    _apply_event(ctx, doc, event)
    if "publ" in event:
        if str(event["publ"]) not in ("0", "1"):
            raise bad("publ is 0 (delete) or 1 (restore)")
        doc["publ"] = str(event["publ"])
    if "users" in p:
        doc["users"] = _users(ctx, p["users"])
    ctx.store.replace(ctx.coll("events"), doc)
    return ok({"event": _event_out(doc)})


def events_delete(ctx: RequestContext) -> Reply:
    doc = _load_event(ctx, _params(ctx).get("id"))
    doc["publ"] = "0"
    ctx.store.replace(ctx.coll("events"), doc)
    return ok({"event": _event_out(doc)})


def events_get(ctx: RequestContext) -> Reply:
    doc = _load_event(ctx, _params(ctx).get("id"))
    return ok({"event": _event_out(doc), "users": dict(doc.get("users", {}))})


def events_list(ctx: RequestContext) -> Reply:
    """``filters`` (not detailed in the document): ``date_from`` / ``date_to`` and ``user``."""
    p = _params(ctx)
    conds: list[Condition] = []
    publ = str(p.get("publ", "1"))
    if publ not in ("0", "1", "all"):
        raise bad("publ is 1, 0 or all")
    if publ != "all":
        conds.append(Condition("publ", "eq", publ))
    filters = p.get("filters") or {}
    if not isinstance(filters, dict):
        raise bad("filters is an associative array")
    if filters.get("date_from") not in (None, ""):
        conds.append(Condition("_at", "gte", day_bound(filters["date_from"], False, "filters.date_from")))
    if filters.get("date_to") not in (None, ""):
        conds.append(Condition("_at", "lte", day_bound(filters["date_to"], True, "filters.date_to")))
    page, count = _page_count(p, 50)
    found = ctx.store.find(ctx.coll("events"), conds, sort=[("_at", False), ("_n", False)])
    items = found.items
    if filters.get("user") not in (None, ""):
        uid = as_id(filters["user"], "filters.user")
        items = [e for e in items if uid in e.get("users", {})]
    return ok(
        {"list": [_event_out(e) for e in items[page * count : (page + 1) * count]], "total": len(items)}
    )


HANDLERS = {
    "calls_trunks": calls_trunks,
    "calls_phone_numbers": calls_phone_numbers,
    "calls_statuses": calls_statuses,
    "calls_history": calls_history,
    "calls_import": calls_import,
    "calls_importall": calls_importall,
    "calls_update": calls_update,
    "dialogs_insert": dialogs_insert,
    "dialogs_update": dialogs_update,
    "dialogs_typeslist": dialogs_typeslist,
    "dialogs_history": dialogs_history,
    "dialogs_notread": dialogs_notread,
    "events_list": events_list,
    "events_get": events_get,
    "events_insert": events_insert,
    "events_update": events_update,
    "events_delete": events_delete,
}
