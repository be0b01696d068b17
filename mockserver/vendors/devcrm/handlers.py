"""/dev/crm operations that are not plain CRUD: conversion, CSV import / export, the processes
(nurturing, feedback reminders, follow-ups) and the reports, all computed from stored state."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import orjson

from mockserver.engine.actions import new_id
from mockserver.engine.context import Reply, RequestContext
from mockserver.engine.errors import ApiError, not_found
from mockserver.engine.request import UploadedFile
from mockserver.engine.schema import compile_schema, deref, error_location, short_message
from mockserver.sim.clock import Clock
from mockserver.store import Condition
from mockserver.vendors.devcrm.models import (
    build_customer,
    build_lead,
    customers_by_lead,
    stamp,
    to_utc,
)

LEAD_STATUSES = ("new", "contacted", "qualified", "proposal", "negotiation", "converted", "lost", "won")
LEAD_SOURCES = ("campaign", "website", "referral", "direct", "social", "email", "other")
CUSTOMER_TYPES = ("individual", "business")
CUSTOMER_STATUSES = ("active", "inactive", "blocked")
ORDER_STATUSES = ("pending", "processing", "shipped", "delivered", "cancelled")
LEAD_COLUMNS = (
    "id", "name", "email", "phone", "company", "source", "campaign_id", "status", "score", "notes",
    "last_contact", "custom_fields", "assigned_to", "nurture_step", "converted_at", "created_at",
    "updated_at",
)  # fmt: skip
CUSTOMER_COLUMNS = (
    "id", "lead_id", "name", "email", "phone", "company", "type", "status", "billing_address",
    "shipping_address", "payment_terms", "credit_limit", "tax_id", "notes", "custom_fields",
    "assigned_to", "created_at", "updated_at",
)  # fmt: skip
EXPORT_PAGE = 1000

NURTURE_STAGES = ("new", "contacted", "qualified")
NURTURE_INTERVAL = timedelta(days=7)
NURTURE_EMAILS = (
    "Welcome and introduction",
    "Product overview",
    "Customer success stories",
    "Special offer",
    "Final check-in",
)
REMINDER_INTERVAL = timedelta(days=3)
MAX_REMINDERS = 3
THEMES: dict[str, frozenset[str]] = {
    "service": frozenset({"service", "staff", "friendly", "helpful", "rude", "experience"}),
    "support": frozenset({"support", "help", "response", "responsive", "ticket", "resolved"}),
    "product": frozenset({"product", "feature", "features", "functionality"}),
    "quality": frozenset({"quality", "reliable", "broken", "bug", "bugs", "defect", "works"}),
    "pricing": frozenset({"price", "pricing", "expensive", "cheap", "cost", "value", "discount"}),
    "delivery": frozenset({"delivery", "shipping", "shipped", "late", "delayed", "arrived", "fast"}),
    "usability": frozenset({"easy", "intuitive", "confusing", "difficult", "interface", "usability"}),
    "billing": frozenset({"billing", "invoice", "invoices", "charge", "charged", "refund", "payment"}),
}
_WORD = re.compile(r"[a-z]+")


# -- helpers ----------------------------------------------------------------------------------
def rate(part: int, whole: int) -> float:
    return round(part * 100.0 / whole, 2) if whole else 0.0


def average(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def _all(ctx: RequestContext, resource: str) -> list[dict[str, Any]]:
    return list(ctx.store.scan(ctx.coll(resource)))


def _shift(ctx: RequestContext, delta: timedelta) -> str:
    return ctx.vendor.dialect.timestamp(ctx.now - delta)  # type: ignore[operator]


def _present(ctx: RequestContext, resource: str, doc: dict[str, Any]) -> dict[str, Any]:
    return ctx.vendor.rules.present(ctx, resource, [doc])[0]


def days_since(now: datetime, moment: str) -> int:
    return max(0, (now - Clock.parse(moment)).days)


def _interaction(
    ctx: RequestContext, resource: str, parent_field: str, parent_id: str, **fields: Any
) -> dict:
    """Record an interaction a process made (stored like one created through the API)."""
    now = stamp(ctx)
    doc: dict[str, Any] = {
        "id": new_id(ctx, resource),
        parent_field: parent_id,
        **fields,
        "next_action": None,
        "next_action_date": None,
        "followed_up_at": None,
        "created_at": now,
        "updated_at": now,
    }
    if resource == "customer_interactions":
        doc.setdefault("date", now)
        doc.setdefault("outcome", None)
    ctx.store.insert(ctx.coll(resource), doc)
    return doc


# -- conversion -------------------------------------------------------------------------------
def convert_lead(ctx: RequestContext) -> Reply:
    lead_id = ctx.params["leadId"]
    now = stamp(ctx)
    with ctx.store.transaction():
        lead = ctx.store.get(ctx.coll("leads"), lead_id)
        if lead is None:
            raise not_found("Lead", lead_id)
        if lead["status"] == "converted" or customers_by_lead(ctx, [lead_id]):
            raise ApiError("conflict", f"Lead {lead_id!r} has already been converted")
        fields = {k: lead.get(k) for k in ("name", "email", "phone", "company", "assigned_to")}
        customer = build_customer(ctx, {**fields, "lead_id": lead_id}, now)
        if lead.get("company"):
            customer["type"] = "business"
        customer["id"] = new_id(ctx, "customers")
        ctx.store.insert(ctx.coll("customers"), customer)
        lead.update(status="converted", converted_at=now, updated_at=now)
        ctx.store.replace(ctx.coll("leads"), lead)
        _interaction(
            ctx, "lead_interactions", "lead_id", lead_id, type="note",
            notes=f"Converted to customer {customer['id']}",
        )  # fmt: skip
    body = {
        "message": "Lead converted to customer",
        "lead": _present(ctx, "leads", lead),
        "customer": _present(ctx, "customers", customer),
    }
    return Reply(201, body)


# -- CSV --------------------------------------------------------------------------------------
@lru_cache(maxsize=8)
def _row_schema(spec_id: int, name: str, spec: Any) -> tuple[dict[str, Any], Any]:
    schema = deref(spec.document, spec.document["components"]["schemas"][name])
    return schema, compile_schema(spec.document, schema)


def _read_csv(ctx: RequestContext) -> list[list[str]]:
    """The file's records, header first; 400 for anything that is not a UTF-8 CSV."""
    upload = (ctx.body or {}).get("file")
    data = upload.data if isinstance(upload, UploadedFile) else str(upload or "").encode("utf-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ApiError("bad_request", "The file is not UTF-8 text") from exc
    if "\x00" in text:
        raise ApiError("bad_request", "The file is not a CSV (it contains NUL bytes)")
    try:
        records = [r for r in csv.reader(io.StringIO(text, newline=""), strict=True) if any(r)]
    except csv.Error as exc:
        raise ApiError("bad_request", f"The file is not valid CSV: {exc}") from exc
    if not records:
        raise ApiError("bad_request", "The file is empty; it needs a header row")
    header = [h.strip().lower() for h in records[0]]
    missing = [c for c in ("name", "email") if c not in header]
    if missing:
        raise ApiError("bad_request", f"The header row has no {' or '.join(missing)} column")
    if len(set(header)) != len(header):
        raise ApiError("bad_request", "The header row names a column twice")
    records[0] = header
    return records


def _cell(prop: dict[str, Any], text: str) -> Any:
    """A CSV cell as the type its schema property wants (ValueError when it is not)."""
    kind = prop.get("type")
    if kind == "integer":
        return int(text)
    if kind == "number":
        value = float(text)
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("not a finite number")
        return int(value) if re.fullmatch(r"[+-]?\d+", text.strip()) else value
    if kind == "object":
        value = orjson.loads(text)
        if not isinstance(value, dict):
            raise ValueError("must be a JSON object")
        return value
    return text


def _row_doc(header: list[str], record: list[str], schema: dict[str, Any], validator: Any) -> dict:
    if len(record) > len(header):
        raise ApiError("validation", f"The row has {len(record)} cells; the header has {len(header)}")
    props = schema["properties"]
    doc: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for column, text in zip(header, record, strict=False):
        if column not in props or text == "":
            continue
        try:
            doc[column] = _cell(props[column], text)
        except (ValueError, orjson.JSONDecodeError) as exc:
            problems[column] = str(exc) or "invalid value"
    for error in validator.iter_errors(doc):
        problems.setdefault(error_location(error), short_message(error))
    if problems:
        raise ApiError("validation", "; ".join(f"{k}: {v}" for k, v in problems.items()))
    return doc


def _import(ctx: RequestContext, resource: str, row_schema: str, build: Any) -> Reply:
    records = _read_csv(ctx)  # a malformed file stops here, before any write
    spec = ctx.vendor.spec
    schema, validator = _row_schema(id(spec), row_schema, spec)
    header, rows = records[0], records[1:]
    coll = ctx.coll(resource)
    now = stamp(ctx)
    created = 0
    errors: list[dict[str, Any]] = []
    with ctx.store.transaction():
        for number, record in enumerate(rows, start=1):
            try:
                doc = _row_doc(header, record, schema, validator)
                given = doc.pop("id", None)
                if given is not None and ctx.store.exists(coll, given):
                    raise ApiError("conflict", f"id {given!r} is already in use")
                for field in ("created_at", "updated_at", "converted_at", "last_contact"):
                    if field in doc:
                        doc[field] = to_utc(doc[field], field)
                doc = build(ctx, doc, now)
                doc["id"] = given or new_id(ctx, resource)
                ctx.store.insert(coll, doc)
                created += 1
            except ApiError as err:
                status = 400 if err.kind in ("validation", "bad_request") else err.status
                message = err.message
                if isinstance(err.details, dict) and err.details and err.kind == "validation":
                    message = "; ".join(f"{k}: {v}" for k, v in err.details.items())
                email = record[header.index("email")] if header.index("email") < len(record) else None
                errors.append({"row": number, "status": status, "message": message, "email": email})
    body = {
        "message": "Import completed",
        "total_rows": len(rows),
        "created": created,
        "rejected": len(errors),
        "errors": errors,
    }
    return Reply(200, body)


def import_leads(ctx: RequestContext) -> Reply:
    return _import(ctx, "leads", "LeadCsvRow", build_lead)


def import_customers(ctx: RequestContext) -> Reply:
    return _import(ctx, "customers", "CustomerCsvRow", build_customer)


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)


def _export(ctx: RequestContext, resource: str, columns: tuple[str, ...]) -> Reply:
    """Every record as CSV, a page of the store at a time, so big sets never sit in memory."""
    store, coll = ctx.store, ctx.coll(resource)

    def lines() -> Iterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(columns)
        offset = 0
        while True:
            page = store.find(coll, offset=offset, limit=EXPORT_PAGE, with_total=False).items
            for doc in page:
                writer.writerow([_csv_value(doc.get(c)) for c in columns])
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            if len(page) < EXPORT_PAGE:
                return
            offset += EXPORT_PAGE

    headers = {"Content-Disposition": f'attachment; filename="{resource}.csv"'}
    return Reply(200, lines(), headers, media_type="text/csv; charset=utf-8")


def export_leads(ctx: RequestContext) -> Reply:
    return _export(ctx, "leads", LEAD_COLUMNS)


def export_customers(ctx: RequestContext) -> Reply:
    return _export(ctx, "customers", CUSTOMER_COLUMNS)


# -- processes --------------------------------------------------------------------------------
def nurture_leads(ctx: RequestContext) -> Reply:
    now = stamp(ctx)
    cutoff = _shift(ctx, NURTURE_INTERVAL)
    coll = ctx.coll("leads")
    processed = []
    with ctx.store.transaction():
        candidates = ctx.store.find(
            coll,
            [
                Condition("status", "in", list(NURTURE_STAGES)),
                Condition("nurture_step", "lt", len(NURTURE_EMAILS)),
            ],
        ).items
        for lead in candidates:
            if lead.get("last_contact") and lead["last_contact"] > cutoff:
                continue
            step = lead.get("nurture_step", 0) + 1
            interaction = _interaction(
                ctx, "lead_interactions", "lead_id", lead["id"], type="email",
                notes=f"Nurturing email {step}/{len(NURTURE_EMAILS)}: {NURTURE_EMAILS[step - 1]}",
            )  # fmt: skip
            lead.update(nurture_step=step, last_contact=now, updated_at=now)
            if lead["status"] == "new":
                lead["status"] = "contacted"
            ctx.store.replace(coll, lead)
            processed.append(
                {
                    "lead_id": lead["id"],
                    "step": step,
                    "interaction_id": interaction["id"],
                    "status": lead["status"],
                }
            )
    return Reply(200, {"as_of": now, "processed": len(processed), "leads": processed})


def process_followups(ctx: RequestContext) -> Reply:
    now = stamp(ctx)
    items: list[dict[str, Any]] = []
    counts = {"lead": 0, "customer": 0}
    with ctx.store.transaction():
        for resource, field, kind in (
            ("lead_interactions", "lead_id", "lead"),
            ("customer_interactions", "customer_id", "customer"),
        ):
            coll = ctx.coll(resource)
            due = ctx.store.find(
                coll,
                [Condition("next_action_date", "lte", now), Condition("followed_up_at", "isnull", True)],
                sort=[("next_action_date", False)],
            ).items
            for original in due:
                action = original.get("next_action") or "scheduled follow-up"
                if kind == "lead":
                    extra = {"type": "note", "notes": f"Follow-up: {action} (interaction {original['id']})"}
                else:
                    extra = {
                        "type": "other",
                        "subject": f"Follow-up: {action}"[:255],
                        "description": f"Automated follow-up of interaction {original['id']}",
                    }
                followup = _interaction(ctx, resource, field, original[field], **extra)
                original.update(followed_up_at=now, updated_at=now)
                ctx.store.replace(coll, original)
                counts[kind] += 1
                items.append(
                    {
                        "interaction_id": original["id"],
                        "parent_type": kind,
                        "parent_id": original[field],
                        "next_action": original.get("next_action"),
                        "followup_interaction_id": followup["id"],
                    }
                )
    body = {
        "as_of": now,
        "processed": len(items),
        "lead_followups": counts["lead"],
        "customer_followups": counts["customer"],
        "items": items,
    }
    return Reply(200, body)


def _reminder_due(feedback: dict[str, Any], cutoff: str) -> bool:
    last = feedback.get("last_reminder_at") or feedback["requested_at"]
    return feedback["status"] == "requested" and last <= cutoff


def process_feedback_reminders(ctx: RequestContext) -> Reply:
    now = stamp(ctx)
    cutoff = _shift(ctx, REMINDER_INTERVAL)
    coll = ctx.coll("feedback")
    items: list[dict[str, Any]] = []
    with ctx.store.transaction():
        pending = ctx.store.find(coll, [Condition("status", "eq", "requested")]).items
        for fb in pending:
            if not _reminder_due(fb, cutoff):
                continue
            if fb["reminders_sent"] >= MAX_REMINDERS:
                fb.update(status="expired", updated_at=now)
                interaction_id = None
            else:
                fb.update(reminders_sent=fb["reminders_sent"] + 1, last_reminder_at=now, updated_at=now)
                interaction_id = _interaction(
                    ctx, "customer_interactions", "customer_id", fb["customer_id"], type="email",
                    subject="Feedback reminder",
                    description=f"Reminder {fb['reminders_sent']}/{MAX_REMINDERS} for request {fb['id']}",
                )["id"]  # fmt: skip
            ctx.store.replace(coll, fb)
            items.append(
                {
                    "feedback_id": fb["id"],
                    "customer_id": fb["customer_id"],
                    "action": "reminder" if interaction_id else "expired",
                    "interaction_id": interaction_id,
                }
            )
    reminders = sum(1 for i in items if i["action"] == "reminder")
    body = {
        "as_of": now,
        "processed": len(items),
        "reminders_sent": reminders,
        "expired": len(items) - reminders,
        "items": items,
    }
    return Reply(200, body)


# -- feedback ---------------------------------------------------------------------------------
def request_feedback(ctx: RequestContext) -> Reply:
    customer_id = ctx.params["customerId"]
    now = stamp(ctx)
    coll = ctx.coll("feedback")
    with ctx.store.transaction():
        if not ctx.store.exists(ctx.coll("customers"), customer_id):
            raise not_found("Customer", customer_id)
        pending = ctx.store.find(
            coll,
            [Condition("customer_id", "eq", customer_id), Condition("status", "eq", "requested")],
            limit=1,
            with_total=False,
        ).items
        if pending:
            raise ApiError(
                "conflict",
                f"Customer {customer_id!r} already has a pending feedback request ({pending[0]['id']})",
            )
        feedback = {
            "id": new_id(ctx, "feedback"),
            "customer_id": customer_id,
            "status": "requested",
            "requested_at": now,
            "reminders_sent": 0,
            "last_reminder_at": None,
            "rating": None,
            "comment": None,
            "category": None,
            "received_at": None,
            "created_at": now,
            "updated_at": now,
        }
        ctx.store.insert(coll, feedback)
        _interaction(
            ctx, "customer_interactions", "customer_id", customer_id, type="email",
            subject="Feedback request", description=f"Feedback request {feedback['id']} sent",
        )  # fmt: skip
    return Reply(201, feedback)


def process_feedback(ctx: RequestContext) -> Reply:
    feedback_id = ctx.params["feedbackId"]
    answer = ctx.body or {}
    now = stamp(ctx)
    with ctx.store.transaction():
        feedback = ctx.store.get(ctx.coll("feedback"), feedback_id)
        if feedback is None:
            raise not_found("Feedback", feedback_id)
        if feedback["status"] == "received":
            raise ApiError("conflict", f"Feedback {feedback_id!r} has already been received")
        feedback.update(
            status="received",
            rating=answer["rating"],
            comment=answer.get("comment"),
            category=answer.get("category"),
            received_at=now,
            updated_at=now,
        )
        ctx.store.replace(ctx.coll("feedback"), feedback)
    return Reply(200, feedback)


def feedback_summary(records: list[dict[str, Any]]) -> dict[str, Any]:
    received = [f for f in records if f["status"] == "received"]
    ratings = [f["rating"] for f in received]
    return {
        "total_requests": len(records),
        "responses": len(received),
        "pending": sum(1 for f in records if f["status"] == "requested"),
        "expired": sum(1 for f in records if f["status"] == "expired"),
        "response_rate": rate(len(received), len(records)),
        "average_rating": average(ratings),
        "csat": rate(sum(1 for r in ratings if r >= 4), len(ratings)),
    }


def feedback_analytics(ctx: RequestContext) -> Reply:
    records = _all(ctx, "feedback")
    received = [f for f in records if f["status"] == "received"]
    distribution = Counter(str(f["rating"]) for f in received)
    by_category: dict[str, list[int]] = defaultdict(list)
    for f in received:
        by_category[f.get("category") or "other"].append(f["rating"])
    body = {
        "as_of": stamp(ctx),
        "summary": feedback_summary(records),
        "rating_distribution": {str(r): distribution.get(str(r), 0) for r in range(1, 6)},
        "by_category": {
            c: {"responses": len(v), "average_rating": average(v)} for c, v in sorted(by_category.items())
        },
    }
    return Reply(200, body)


def themes(records: list[dict[str, Any]]) -> tuple[int, list[dict[str, Any]]]:
    """Keyword themes over received comments, newest comments first for the examples."""
    commented = [f for f in records if f["status"] == "received" and f.get("comment")]
    commented.sort(key=lambda f: (f["received_at"], f["id"]), reverse=True)
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in commented:
        words = set(_WORD.findall(f["comment"].lower()))
        for theme, keywords in THEMES.items():
            if words & keywords:
                found[theme].append(f)
    out = []
    for theme, matches in found.items():
        avg = round(sum(f["rating"] for f in matches) / len(matches), 2)
        sentiment = "positive" if avg >= 4 else "negative" if avg <= 2.5 else "neutral"
        out.append(
            {
                "theme": theme,
                "mentions": len(matches),
                "average_rating": avg,
                "sentiment": sentiment,
                "examples": [f["comment"] for f in matches[:3]],
            }
        )
    out.sort(key=lambda t: (-t["mentions"], t["theme"]))
    return len(commented), out


def feedback_themes(ctx: RequestContext) -> Reply:
    analyzed, found = themes(_all(ctx, "feedback"))
    return Reply(200, {"as_of": stamp(ctx), "analyzed": analyzed, "themes": found})


def feedback_dashboard(ctx: RequestContext) -> Reply:
    records = _all(ctx, "feedback")
    cutoff = _shift(ctx, REMINDER_INTERVAL)
    received = sorted(
        (f for f in records if f["status"] == "received"),
        key=lambda f: (f["received_at"], f["id"]),
        reverse=True,
    )
    names = {
        c["id"]: c["name"]
        for c in ctx.store.get_many(ctx.coll("customers"), [f["customer_id"] for f in received[:10]]).values()
    }
    months: dict[str, list[int]] = defaultdict(list)
    for f in received:
        months[f["received_at"][:7]].append(f["rating"])
    body = {
        "as_of": stamp(ctx),
        "summary": feedback_summary(records),
        "reminders_due": sum(1 for f in records if _reminder_due(f, cutoff)),
        "recent_feedback": [
            {
                "id": f["id"],
                "customer_id": f["customer_id"],
                "customer_name": names.get(f["customer_id"], ""),
                "rating": f["rating"],
                "comment": f.get("comment"),
                "category": f.get("category"),
                "received_at": f["received_at"],
            }
            for f in received[:10]
        ],
        "ratings_by_month": [
            {"month": m, "responses": len(v), "average_rating": average(v)} for m, v in sorted(months.items())
        ],
        "top_themes": themes(records)[1][:3],
    }
    return Reply(200, body)


# -- customers: segments and health -----------------------------------------------------------
def _customer_activity(ctx: RequestContext, now: str) -> tuple[dict[str, float], dict[str, str]]:
    """Per customer: revenue (orders not cancelled) and last touch (interaction or order, not after now)."""
    revenue: dict[str, float] = defaultdict(float)
    last: dict[str, str] = {}
    for order in _all(ctx, "orders"):
        if order["status"] != "cancelled":
            revenue[order["customer_id"]] += order["total_amount"]
        if order["order_date"] <= now and order["order_date"] > last.get(order["customer_id"], ""):
            last[order["customer_id"]] = order["order_date"]
    for i in _all(ctx, "customer_interactions"):
        if i["date"] <= now and i["date"] > last.get(i["customer_id"], ""):
            last[i["customer_id"]] = i["date"]
    return revenue, last


def value_tier(revenue: float) -> str:
    return "high" if revenue >= 5000 else "medium" if revenue >= 1000 else "low" if revenue > 0 else "none"


def engagement(days: int | None) -> str:
    if days is None or days > 90:
        return "dormant"
    return "engaged" if days <= 30 else "at_risk"


def customer_segments(ctx: RequestContext) -> Reply:
    now = stamp(ctx)
    customers = _all(ctx, "customers")
    revenue, last = _customer_activity(ctx, now)
    segments: dict[str, Counter] = {k: Counter() for k in ("type", "status", "value", "engagement")}
    for c in customers:
        segments["type"][c["type"]] += 1
        segments["status"][c["status"]] += 1
        segments["value"][value_tier(round(revenue.get(c["id"], 0.0), 2))] += 1
        touched = last.get(c["id"])
        segments["engagement"][engagement(days_since(ctx.now, touched) if touched else None)] += 1  # type: ignore[arg-type]
    keys = {
        "type": CUSTOMER_TYPES,
        "status": CUSTOMER_STATUSES,
        "value": ("high", "medium", "low", "none"),
        "engagement": ("engaged", "at_risk", "dormant"),
    }
    body: dict[str, Any] = {"as_of": now, "total_customers": len(customers)}
    for dim, names in keys.items():
        body[f"by_{dim}"] = {n: segments[dim].get(n, 0) for n in names}
    return Reply(200, body)


def customer_health(ctx: RequestContext) -> Reply:
    customer_id = ctx.params["customerId"]
    if not ctx.store.exists(ctx.coll("customers"), customer_id):
        raise not_found("Customer", customer_id)
    now = stamp(ctx)
    since_90 = _shift(ctx, timedelta(days=90))
    mine = [Condition("customer_id", "eq", customer_id)]
    interactions = ctx.store.find(ctx.coll("customer_interactions"), mine).items
    orders = ctx.store.find(ctx.coll("orders"), mine).items
    feedback = ctx.store.find(ctx.coll("feedback"), [*mine, Condition("status", "eq", "received")]).items
    touches = [i["date"] for i in interactions if i["date"] <= now]
    touches += [o["order_date"] for o in orders if o["order_date"] <= now]
    last = max(touches) if touches else None
    days = days_since(ctx.now, last) if last else None  # type: ignore[arg-type]
    recent = sum(1 for i in interactions if since_90 <= i["date"] <= now)
    kept = [o for o in orders if o["status"] != "cancelled"]
    ratings = [f["rating"] for f in feedback]
    mean = sum(ratings) / len(ratings) if ratings else None
    components = {
        "recency": 0 if days is None else 30 if days <= 30 else 15 if days <= 90 else 0,
        "engagement": min(20, 4 * recent),
        "purchases": min(25, 5 * len(kept)),
        "satisfaction": round((mean - 1) / 4 * 25) if mean is not None else 12,
    }
    score = sum(components.values())
    body = {
        "customer_id": customer_id,
        "as_of": now,
        "score": score,
        "status": "healthy" if score >= 70 else "at_risk" if score >= 40 else "critical",
        "components": components,
        "metrics": {
            "last_touch_at": last,
            "days_since_last_touch": days,
            "interactions_last_90_days": recent,
            "orders": len(kept),
            "cancelled_orders": len(orders) - len(kept),
            "lifetime_value": round(sum(o["total_amount"] for o in kept), 2),
            "feedback_responses": len(ratings),
            "average_rating": average(ratings),
        },
    }
    return Reply(200, body)


# -- reports ----------------------------------------------------------------------------------
def lead_report(ctx: RequestContext) -> Reply:
    leads = _all(ctx, "leads")
    since_30 = _shift(ctx, timedelta(days=30))
    interactions = ctx.store.count(ctx.coll("lead_interactions"))
    status = Counter(lead["status"] for lead in leads)
    source = Counter(lead["source"] for lead in leads)
    converted_by_source = Counter(lead["source"] for lead in leads if lead["status"] == "converted")
    body = {
        "as_of": stamp(ctx),
        "total_leads": len(leads),
        "by_status": {s: status.get(s, 0) for s in LEAD_STATUSES},
        "by_source": {s: source.get(s, 0) for s in LEAD_SOURCES},
        "average_score": average([lead["score"] for lead in leads]),
        "converted_leads": status.get("converted", 0),
        "conversion_rate": rate(status.get("converted", 0), len(leads)),
        "new_last_30_days": sum(1 for lead in leads if lead["created_at"] >= since_30),
        "total_interactions": interactions,
        "average_interactions_per_lead": round(interactions / len(leads), 2) if leads else None,
        "conversion_by_source": {
            s: {
                "total": source.get(s, 0),
                "converted": converted_by_source.get(s, 0),
                "conversion_rate": rate(converted_by_source.get(s, 0), source.get(s, 0)),
            }
            for s in LEAD_SOURCES
        },
    }
    return Reply(200, body)


def _order_figures(orders: list[dict[str, Any]]) -> tuple[list[dict], float, float | None]:
    kept = [o for o in orders if o["status"] != "cancelled"]
    revenue = round(sum(o["total_amount"] for o in kept), 2)
    return kept, revenue, round(revenue / len(kept), 2) if kept else None


def customer_report(ctx: RequestContext) -> Reply:
    customers = _all(ctx, "customers")
    orders = _all(ctx, "orders")
    since_30 = _shift(ctx, timedelta(days=30))
    kept, revenue, aov = _order_figures(orders)
    per_customer = Counter(o["customer_id"] for o in kept)
    repeat = sum(1 for n in per_customer.values() if n >= 2)
    status = Counter(c["status"] for c in customers)
    kind = Counter(c["type"] for c in customers)
    order_status = Counter(o["status"] for o in orders)
    body = {
        "as_of": stamp(ctx),
        "total_customers": len(customers),
        "by_status": {s: status.get(s, 0) for s in CUSTOMER_STATUSES},
        "by_type": {t: kind.get(t, 0) for t in CUSTOMER_TYPES},
        "new_last_30_days": sum(1 for c in customers if c["created_at"] >= since_30),
        "converted_from_leads": sum(1 for c in customers if c.get("lead_id")),
        "total_orders": len(orders),
        "orders_by_status": {s: order_status.get(s, 0) for s in ORDER_STATUSES},
        "total_revenue": revenue,
        "average_order_value": aov,
        "customers_with_orders": len(per_customer),
        "repeat_customers": repeat,
        "repeat_customer_rate": rate(repeat, len(per_customer)),
        "average_lifetime_value": round(revenue / len(customers), 2) if customers else None,
    }
    return Reply(200, body)


def analytics_dashboard(ctx: RequestContext) -> Reply:
    now = stamp(ctx)
    since_30 = _shift(ctx, timedelta(days=30))
    leads = _all(ctx, "leads")
    customers = _all(ctx, "customers")
    orders = _all(ctx, "orders")
    kept, revenue, aov = _order_figures(orders)
    recent_orders = [o for o in orders if since_30 <= o["order_date"] <= now]
    interactions = _all(ctx, "lead_interactions") + _all(ctx, "customer_interactions")
    status = Counter(lead["status"] for lead in leads)
    per_customer: dict[str, list[float]] = defaultdict(list)
    for o in kept:
        per_customer[o["customer_id"]].append(o["total_amount"])
    names = {c["id"]: c["name"] for c in customers}
    top = sorted(
        ((cid, round(sum(v), 2), len(v)) for cid, v in per_customer.items()),
        key=lambda t: (-t[1], names.get(t[0], ""), t[0]),
    )[:5]
    body = {
        "as_of": now,
        "leads": {
            "total": len(leads),
            "new_last_30_days": sum(1 for lead in leads if lead["created_at"] >= since_30),
            "converted": status.get("converted", 0),
            "conversion_rate": rate(status.get("converted", 0), len(leads)),
            "pipeline": {s: status.get(s, 0) for s in LEAD_STATUSES},
        },
        "customers": {
            "total": len(customers),
            "active": sum(1 for c in customers if c["status"] == "active"),
            "new_last_30_days": sum(1 for c in customers if c["created_at"] >= since_30),
        },
        "orders": {
            "total": len(orders),
            "last_30_days": len(recent_orders),
            "revenue": revenue,
            "revenue_last_30_days": round(
                sum(o["total_amount"] for o in recent_orders if o["status"] != "cancelled"), 2
            ),
            "average_order_value": aov,
        },
        "interactions": {
            "total": len(interactions),
            "last_30_days": sum(1 for i in interactions if i["created_at"] >= since_30),
        },
        "feedback": feedback_summary(_all(ctx, "feedback")),
        "top_customers": [
            {"customer_id": cid, "name": names.get(cid, ""), "revenue": rev, "orders": n}
            for cid, rev, n in top
        ],
    }
    return Reply(200, body)


HANDLERS = {
    "convert_lead": convert_lead,
    "import_leads": import_leads,
    "export_leads": export_leads,
    "nurture_leads": nurture_leads,
    "import_customers": import_customers,
    "export_customers": export_customers,
    "customer_segments": customer_segments,
    "customer_health": customer_health,
    "request_feedback": request_feedback,
    "process_feedback": process_feedback,
    "feedback_analytics": feedback_analytics,
    "process_feedback_reminders": process_feedback_reminders,
    "feedback_themes": feedback_themes,
    "feedback_dashboard": feedback_dashboard,
    "lead_report": lead_report,
    "customer_report": customer_report,
    "analytics_dashboard": analytics_dashboard,
    "process_followups": process_followups,
}
