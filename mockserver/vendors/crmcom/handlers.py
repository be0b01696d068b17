"""CRM.COM operations that are not plain CRUD: login, account actions, activity tags, analytics and
insight results. Figures are always computed from the stored records of the caller's mode."""

from __future__ import annotations

import csv
import io
import itertools
import secrets
from collections import Counter
from typing import Any

import orjson

from mockserver.engine.actions import new_id
from mockserver.engine.context import Reply, RequestContext
from mockserver.store import Condition
from mockserver.vendors.crmcom.dialect import crm_error, invalid, issue_token
from mockserver.vendors.crmcom.models import CrmcomRules, now_epoch

TRANSITIONS = {"ACTIVE": {"SUSPENDED", "TERMINATED"}, "SUSPENDED": {"ACTIVE", "TERMINATED"}}


def _rules(ctx: RequestContext) -> CrmcomRules:
    return ctx.vendor.rules  # type: ignore[return-value]


# -- authentication -------------------------------------------------------------------------------
def authenticate(ctx: RequestContext) -> Reply:
    """A JWT for a user's username and password, in the mode of the API key used to ask."""
    body = ctx.body or {}
    login = ctx.store.get(ctx.vendor.collection("logins"), body.get("username", ""))
    if login is None or not secrets.compare_digest(
        login["password"].encode(), str(body.get("password", "")).encode()
    ):
        raise crm_error(
            "unauthorized", "Unauthorized: wrong username or password.", "INVALIDCREDENTIALSEXCEPTION"
        )
    ttl = int(body.get("expires_in", 3600))
    mode = ctx.principal.tenant if ctx.principal else "live"
    token, expires = issue_token(ctx, login["user_id"], login["id"], mode or "live", ttl)
    return Reply(
        200, {"access_token": token, "token_type": "Bearer", "expires_in": ttl, "expiration_date": expires}
    )


# -- accounts -------------------------------------------------------------------------------------
def account_action(ctx: RequestContext) -> Reply:
    """Move an account to a new state; terminating moves (or loses) its balance."""
    body = ctx.body or {}
    target_state = body["state"]
    coll = ctx.coll("accounts")
    with ctx.store.transaction():
        account = _rules(ctx).need(ctx, "accounts", ctx.params["id"], "account")
        state = account["state"]
        if state == "TERMINATED":
            raise invalid(
                "A terminated account cannot change state.",
                "state",
                target_state,
                code="ACCOUNTTERMINATEDEXCEPTION",
            )
        if target_state == state:
            return Reply(200, {"id": account["id"]})  # already there: nothing changes
        if target_state not in TRANSITIONS[state]:
            raise invalid(f"An account cannot go from {state} to {target_state}.", "state", target_state)
        now = now_epoch(ctx)
        if target_state == "TERMINATED":
            receiver_id = body.get("account_id")
            if receiver_id is not None:
                receiver = _rules(ctx).need(ctx, "accounts", receiver_id, "account")
                _check_receiver(account, receiver)
                receiver["balance"] = round(receiver["balance"] + account["balance"], 2)
                receiver["overdue_amount"] = round(receiver["overdue_amount"] + account["overdue_amount"], 2)
                receiver["_updated_on"] = now
                ctx.store.replace(coll, receiver)
            account.update(balance=0.0, overdue_amount=0.0, is_primary=False, _terminated_on=now)
        account["state"] = target_state
        account["_updated_on"] = now
        ctx.store.replace(coll, account)
    return Reply(200, {"id": account["id"]})


def _check_receiver(account: dict[str, Any], receiver: dict[str, Any]) -> None:
    if receiver["id"] == account["id"]:
        raise invalid("The balance cannot move to the account being terminated.", "account_id")
    if receiver["state"] == "TERMINATED":
        raise invalid(
            "The balance cannot move to a terminated account.",
            "account_id",
            receiver["id"],
            code="ACCOUNTTERMINATEDEXCEPTION",
        )
    if receiver["currency_code"] != account["currency_code"]:
        raise invalid(
            f"The balance is in {account['currency_code']}; account {receiver['id']} is in "
            f"{receiver['currency_code']}.",
            "account_id",
            receiver["id"],
            code="CURRENCYMISMATCHEXCEPTION",
        )


# -- activity tags --------------------------------------------------------------------------------
def put_activity_tags(ctx: RequestContext) -> Reply:
    """Replace the activity's tags; every tag must exist. Sending the same list changes nothing."""
    wanted = list(dict.fromkeys((ctx.body or {})["tags"]))
    with ctx.store.transaction():
        activity = _rules(ctx).need(ctx, "activities", ctx.params["id"], "activity")
        for tag_id in wanted:
            _rules(ctx).need(ctx, "tags", tag_id, "tag")
        if activity.get("tag_ids") != wanted:
            activity["tag_ids"] = wanted
            activity["_updated_on"] = now_epoch(ctx)
            ctx.store.replace(ctx.coll("activities"), activity)
    return Reply(200, {"id": activity["id"]})


def get_activity_tags(ctx: RequestContext) -> Reply:
    activity = _rules(ctx).need(ctx, "activities", ctx.params["id"], "activity")
    tags = ctx.store.get_many(ctx.coll("tags"), activity.get("tag_ids", []))
    content = [
        {"id": t["id"], "name": t["name"], "colour": t.get("colour")}
        for t in (tags.get(i) for i in activity.get("tag_ids", []))
        if t
    ]
    return Reply(200, {"content": content})


# -- analytics ------------------------------------------------------------------------------------
def _figures(ctx: RequestContext, contact_ids: list[str]) -> dict[str, Any]:
    """Account counts, balances per currency and activity figures over some contacts."""
    accounts = ctx.store.find(
        ctx.coll("accounts"), [Condition("contact_id", "in", contact_ids)], with_total=False
    ).items
    activities = ctx.store.find(
        ctx.coll("activities"), [Condition("contact_id", "in", contact_ids)], with_total=False
    ).items
    states = Counter(a["state"] for a in accounts)
    balances: dict[str, dict[str, float]] = {}
    for a in accounts:
        if a["state"] == "TERMINATED":
            continue
        row = balances.setdefault(
            a["currency_code"], {"balance": 0.0, "overdue_amount": 0.0, "credit_limit": 0.0}
        )
        for key in row:
            row[key] += float(a.get(key) or 0)
    activity_states = Counter(a["state"] for a in activities)
    by_type = Counter(a["type_id"] for a in activities)
    types = ctx.store.get_many(ctx.coll("activity_types"), by_type)
    return {
        "accounts": {
            "total": len(accounts),
            "active": states["ACTIVE"],
            "suspended": states["SUSPENDED"],
            "terminated": states["TERMINATED"],
        },
        "balances": [
            {"currency_code": code, **{k: round(v, 2) for k, v in row.items()}}
            for code, row in sorted(balances.items())
        ],
        "activities": {
            "total": len(activities),
            "pending": activity_states["PENDING"],
            "completed": activity_states["COMPLETED"],
            "cancelled": activity_states["CANCELLED"],
            "last_created_on": max((a["key_dates"]["created_on"] for a in activities), default=None),
            "by_type": [
                {"type": {"id": t, "name": (types.get(t) or {}).get("name", "")}, "count": n}
                for t, n in sorted(by_type.items(), key=lambda item: (-item[1], item[0]))
            ],
        },
    }


def contact_analytics(ctx: RequestContext) -> Reply:
    contact = _rules(ctx).need(ctx, "contacts", ctx.params["id"], "contact")
    return Reply(200, {"contact_id": contact["id"], **_figures(ctx, [contact["id"]])})


def organisation_analytics(ctx: RequestContext) -> Reply:
    org = _rules(ctx).need(ctx, "organisations", ctx.params["id"], "organisation")
    members = ctx.store.find(
        ctx.coll("contacts"), [Condition("organisation_id", "eq", org["id"])], with_total=False
    ).items
    ids = [c["id"] for c in members]
    return Reply(200, {"organisation_id": org["id"], "contacts": len(ids), **_figures(ctx, ids)})


# -- insights -------------------------------------------------------------------------------------
def _definition(ctx: RequestContext, insight_id: str) -> dict[str, list[dict]]:
    return {
        key: ctx.store.find(
            ctx.coll(f"insight_{key}"), [Condition("insight_id", "eq", insight_id)], with_total=False
        ).items
        for key in ("events", "filters", "breakdowns")
    }


def _passes(rule: dict[str, Any], contact: dict[str, Any], accounts: list[dict]) -> bool:
    attribute, value = rule["attribute"], rule["value"]
    if attribute == "CONTACT_TYPE":
        hit = contact.get("type") == value
    elif attribute == "ORGANISATION_ID":
        hit = contact.get("organisation_id") == value
    elif attribute == "ACCOUNT_CURRENCY":
        hit = any(a["currency_code"] == value for a in accounts)
    elif attribute == "ACCOUNT_STATE":
        hit = any(a["state"] == value for a in accounts)
    else:  # HAS_ACCOUNT
        hit = bool(accounts) == (value == "true")
    return hit if rule["operator"] == "EQUALS" else not hit


def _group_value(attribute: str, contact: dict[str, Any], accounts: list[dict]) -> str | None:
    if attribute == "CONTACT_TYPE":
        return contact.get("type")
    if attribute == "ORGANISATION_ID":
        return contact.get("organisation_id")
    primary = next((a for a in accounts if a["is_primary"]), None)
    if primary is None:
        return None
    return primary["currency_code"] if attribute == "PRIMARY_ACCOUNT_CURRENCY" else primary["state"]


def _occurrences(event: dict[str, Any], accounts: list[dict], activities: list[dict]) -> int:
    """How many times the event happened for one contact, within its date range."""
    kind = event["type"]
    if kind == "ACCOUNT_CREATED":
        dates = [a.get("_created_on") for a in accounts]
    elif kind == "ACCOUNT_TERMINATED":
        dates = [a.get("_terminated_on") for a in accounts if a["state"] == "TERMINATED"]
    else:
        wanted_type = event.get("activity_type_id")
        chosen = [a for a in activities if wanted_type is None or a["type_id"] == wanted_type]
        key = "created_on" if kind == "ACTIVITY_CREATED" else "completed_on"
        dates = [a["key_dates"].get(key) for a in chosen]
    start, end = event.get("from_date"), event.get("to_date")
    return sum(
        1 for d in dates if d is not None and (start is None or d >= start) and (end is None or d <= end)
    )


def compute_results(ctx: RequestContext, insight_id: str, definition: dict[str, list[dict]]) -> dict:
    """The insight over the stored contacts, accounts and activities of the caller's mode."""
    accounts_by: dict[str, list[dict]] = {}
    for account in ctx.store.scan(ctx.coll("accounts")):
        accounts_by.setdefault(account["contact_id"], []).append(account)
    activities_by: dict[str, list[dict]] = {}
    for activity in ctx.store.scan(ctx.coll("activities")):
        activities_by.setdefault(activity["contact_id"], []).append(activity)
    attributes = [b["attribute"] for b in definition["breakdowns"]]
    events = definition["events"]
    groups: dict[tuple, dict[str, Any]] = {}
    total = 0
    for contact in ctx.store.scan(ctx.coll("contacts")):
        accounts = accounts_by.get(contact["id"], [])
        if not all(_passes(rule, contact, accounts) for rule in definition["filters"]):
            continue
        total += 1
        key = tuple(_group_value(a, contact, accounts) for a in attributes)
        row = groups.setdefault(key, {"contacts": 0, "counts": [0] * len(events)})
        row["contacts"] += 1
        activities = activities_by.get(contact["id"], [])
        for i, event in enumerate(events):
            row["counts"][i] += _occurrences(event, accounts, activities)
    content = [
        {
            "group": dict(zip(attributes, key, strict=True)),
            "contacts": row["contacts"],
            "events": [
                {"id": e.get("id"), "type": e["type"], "count": n}
                for e, n in zip(events, row["counts"], strict=True)
            ],
        }
        for key, row in sorted(groups.items(), key=lambda item: [str(v) for v in item[0]])
    ]
    return {
        "insight_id": insight_id,
        "computed_on": now_epoch(ctx),
        "total_contacts": total,
        "content": content,
    }


def insight_results(ctx: RequestContext) -> Reply:
    insight = _rules(ctx).need(ctx, "insights", ctx.params["id"], "insight")
    return Reply(200, compute_results(ctx, insight["id"], _definition(ctx, insight["id"])))


def insight_preview(ctx: RequestContext) -> Reply:
    """Results with the sent lists in place of the saved ones; nothing is stored."""
    insight = _rules(ctx).need(ctx, "insights", ctx.params["id"], "insight")
    definition = _definition(ctx, insight["id"])
    body = ctx.body or {}
    for event in body.get("events") or []:
        _rules(ctx).check_event(ctx, event)
    for key in ("events", "filters", "breakdowns"):
        if key in body:
            definition[key] = [{"id": None, **item} for item in body[key]]
    attributes = [b["attribute"] for b in definition["breakdowns"]]
    if len(set(attributes)) != len(attributes):
        raise invalid("Each breakdown attribute can be used once.", "breakdowns")
    return Reply(200, compute_results(ctx, insight["id"], definition))


def insight_export(ctx: RequestContext) -> Reply:
    """The results as a CSV or JSON file, stored with the insight."""
    insight_id = ctx.params["id"]
    with ctx.store.transaction():
        insight = _rules(ctx).need(ctx, "insights", insight_id, "insight")
        results = compute_results(ctx, insight["id"], _definition(ctx, insight["id"]))
        rows = [
            {
                **row["group"],
                "contacts": row["contacts"],
                "event_id": e["id"],
                "event": e["type"],
                "count": e["count"],
            }
            for row in results["content"]
            for e in (row["events"] or [{"id": None, "type": None, "count": None}])
        ]
        fmt = (ctx.body or {}).get("format", "CSV")
        if fmt == "JSON":
            content = orjson.dumps(rows).decode()
        else:
            columns = list(dict.fromkeys(itertools.chain.from_iterable(rows))) or ["contacts"]
            out = io.StringIO()
            writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
            content = out.getvalue()
        export = {
            "id": new_id(ctx, "insight_exports"),
            "insight_id": insight["id"],
            "format": fmt,
            "created_on": now_epoch(ctx),
            "rows": len(rows),
            "content": content,
        }
        ctx.store.insert(ctx.coll("insight_exports"), export)
        _rules(ctx).touch_insight(ctx, insight["id"])
    return Reply(201, export)


HANDLERS = {
    "authenticate": authenticate,
    "account_action": account_action,
    "put_activity_tags": put_activity_tags,
    "get_activity_tags": get_activity_tags,
    "contact_analytics": contact_analytics,
    "organisation_analytics": organisation_analytics,
    "insight_results": insight_results,
    "insight_preview": insight_preview,
    "insight_export": insight_export,
}
