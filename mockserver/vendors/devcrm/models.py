"""/dev/crm's domain rules: unique emails, the relations between leads, customers, orders and
products, dates normalised to UTC, and the lead -> customer link derived at read time.

The builders here are shared by the generic creates, the CSV imports and conversion, so a record
looks the same however it was made.
"""

from __future__ import annotations

from typing import Any

from mockserver.engine.context import RequestContext
from mockserver.engine.errors import ApiError, not_found
from mockserver.store import Condition
from mockserver.vendors.base import Rules
from mockserver.vendors.devcrm.dialect import DevCrmDialect

LEAD_DEFAULTS: dict[str, Any] = {
    "phone": None,
    "company": None,
    "source": "other",
    "campaign_id": None,
    "status": "new",
    "score": 0,
    "notes": None,
    "last_contact": None,
    "custom_fields": {},
    "assigned_to": None,
    "nurture_step": 0,
    "converted_at": None,
}
CUSTOMER_DEFAULTS: dict[str, Any] = {
    "lead_id": None,
    "phone": None,
    "company": None,
    "type": "individual",
    "status": "active",
    "billing_address": None,
    "shipping_address": None,
    "payment_terms": None,
    "credit_limit": None,
    "tax_id": None,
    "notes": None,
    "custom_fields": {},
    "assigned_to": None,
}
INTERACTION_DEFAULTS: dict[str, dict[str, Any]] = {
    "lead_interactions": {"notes": None, "next_action": None, "next_action_date": None},
    "customer_interactions": {
        "description": None,
        "outcome": None,
        "next_action": None,
        "next_action_date": None,
    },
}
DATE_FIELDS: dict[str, tuple[str, ...]] = {
    "leads": ("last_contact", "converted_at"),
    "customers": (),
    "lead_interactions": ("next_action_date",),
    "customer_interactions": ("date", "next_action_date"),
    "orders": ("order_date",),
}
# Interactions that are contact with the lead (a note is not): they move ``last_contact``.
CONTACT_TYPES = frozenset({"call", "email", "meeting"})
NOUN = {"leads": "lead", "customers": "customer"}
_DIALECT = DevCrmDialect()


def stamp(ctx: RequestContext) -> str:
    """The server clock as a stored timestamp."""
    return ctx.vendor.dialect.timestamp(ctx.now)  # type: ignore[arg-type]


def to_utc(value: str | None, field: str) -> str | None:
    """An ISO date or date-time as ``YYYY-MM-DDTHH:MM:SSZ`` (400 naming ``field`` if invalid)."""
    if value is None:
        return None
    return _DIALECT.filter_value(None, {"type": "datetime", "param": field}, value)  # type: ignore[arg-type]


def email_key(email: str) -> str:
    return email.strip().lower()


def normalise_dates(resource: str, doc: dict[str, Any]) -> None:
    for field in DATE_FIELDS.get(resource, ()):
        if field in doc:
            doc[field] = to_utc(doc[field], field)


def ensure_unique_email(ctx: RequestContext, resource: str, email: str, exclude: str | None = None) -> None:
    """409 when another lead (or customer) already has this email, case-insensitively."""
    found = ctx.store.find(
        ctx.coll(resource), [Condition("_email_key", "eq", email_key(email))], limit=2, with_total=False
    ).items
    if any(d["id"] != exclude for d in found):
        raise ApiError("conflict", f"A {NOUN[resource]} with email {email!r} already exists")


def ensure_lead_free(ctx: RequestContext, lead_id: str | None, exclude: str | None = None) -> None:
    """A customer's ``lead_id`` names an existing lead (404) no other customer came from (409)."""
    if lead_id is None:
        return
    if not ctx.store.exists(ctx.coll("leads"), lead_id):
        raise not_found("Lead", lead_id)
    taken = ctx.store.find(
        ctx.coll("customers"), [Condition("lead_id", "eq", lead_id)], limit=2, with_total=False
    ).items
    if any(d["id"] != exclude for d in taken):
        raise ApiError("conflict", f"Lead {lead_id!r} is already linked to a customer")


def build_lead(ctx: RequestContext, doc: dict[str, Any], now: str) -> dict[str, Any]:
    lead = {**LEAD_DEFAULTS, **doc}
    if lead["custom_fields"] is None:
        lead["custom_fields"] = {}
    normalise_dates("leads", lead)
    ensure_unique_email(ctx, "leads", lead["email"])
    lead["_email_key"] = email_key(lead["email"])
    lead.setdefault("created_at", now)
    lead.setdefault("updated_at", lead["created_at"])
    return lead


def build_customer(ctx: RequestContext, doc: dict[str, Any], now: str) -> dict[str, Any]:
    customer = {**CUSTOMER_DEFAULTS, **doc}
    if customer["custom_fields"] is None:
        customer["custom_fields"] = {}
    ensure_unique_email(ctx, "customers", customer["email"])
    ensure_lead_free(ctx, customer["lead_id"])
    customer["_email_key"] = email_key(customer["email"])
    customer.setdefault("created_at", now)
    customer.setdefault("updated_at", customer["created_at"])
    return customer


def price(ctx: RequestContext, order: dict[str, Any]) -> None:
    """``unit_price`` from the product (404 if unknown), ``total_amount`` from the quantity."""
    product = ctx.store.get(ctx.coll("products"), order["product_id"])
    if product is None:
        raise not_found("Product", order["product_id"])
    order["unit_price"] = product["price"]
    order["total_amount"] = round(product["price"] * order["quantity"], 2)


def build_order(ctx: RequestContext, doc: dict[str, Any], now: str) -> dict[str, Any]:
    customer = ctx.store.get(ctx.coll("customers"), doc["customer_id"])
    if customer is None:
        raise not_found("Customer", doc["customer_id"])
    order = {"status": "pending", "notes": None, **doc}
    price(ctx, order)
    if customer["status"] == "blocked":
        raise ApiError("conflict", f"Customer {customer['id']!r} is blocked and cannot place orders")
    order["order_date"] = to_utc(order.get("order_date"), "order_date") or now
    order.setdefault("shipping_address", customer.get("shipping_address") or customer.get("billing_address"))
    order.setdefault("billing_address", customer.get("billing_address"))
    order.update(created_at=now, updated_at=now)
    return order


class DevCrmRules(Rules):
    def before_create(self, ctx: RequestContext, resource: str, doc: dict[str, Any]) -> dict:
        now = stamp(ctx)
        if resource == "leads":
            return build_lead(ctx, doc, now)
        if resource == "customers":
            return build_customer(ctx, doc, now)
        if resource == "orders":
            return build_order(ctx, doc, now)
        if resource in INTERACTION_DEFAULTS:
            doc = {**INTERACTION_DEFAULTS[resource], **doc}
            normalise_dates(resource, doc)
            doc.update(followed_up_at=None, created_at=now, updated_at=now)
        return doc

    def after_create(self, ctx: RequestContext, resource: str, doc: dict[str, Any]) -> None:
        if resource == "lead_interactions" and doc["type"] in CONTACT_TYPES:
            touch_lead(ctx, doc["lead_id"], doc["created_at"])

    def before_update(
        self, ctx: RequestContext, resource: str, old: dict[str, Any], changes: dict[str, Any]
    ) -> dict[str, Any]:
        normalise_dates(resource, changes)
        new = {**old, **changes, "updated_at": stamp(ctx)}
        if resource in ("leads", "customers"):
            if "email" in changes:
                ensure_unique_email(ctx, resource, changes["email"], exclude=old["id"])
                new["_email_key"] = email_key(changes["email"])
            if new.get("custom_fields") is None:
                new["custom_fields"] = {}
        if resource == "customers" and "lead_id" in changes and changes["lead_id"] != old.get("lead_id"):
            ensure_lead_free(ctx, changes["lead_id"], exclude=old["id"])
        elif resource in INTERACTION_DEFAULTS and "next_action_date" in changes:
            new["followed_up_at"] = None  # a new date: due for follow-up again
        elif resource == "orders" and ("product_id" in changes or "quantity" in changes):
            price(ctx, new)
        return new

    def after_delete(self, ctx: RequestContext, resource: str, doc: dict[str, Any]) -> None:
        if resource == "leads":  # the customer stays; it no longer comes from a lead
            coll = ctx.coll("customers")
            for customer in ctx.store.find(coll, [Condition("lead_id", "eq", doc["id"])]).items:
                customer.update(lead_id=None, updated_at=stamp(ctx))
                ctx.store.replace(coll, customer)

    def present(self, ctx: RequestContext, resource: str, docs: list[dict]) -> list[Any]:
        out = [{k: v for k, v in d.items() if not k.startswith("_")} for d in docs]
        if resource == "leads" and out:
            links = customers_by_lead(ctx, [d["id"] for d in out])
            for lead in out:
                lead["customer_id"] = links.get(lead["id"])
        return out


def touch_lead(ctx: RequestContext, lead_id: str, when: str) -> None:
    """Contact with a lead moves its ``last_contact`` forward (never back)."""
    lead = ctx.store.get(ctx.coll("leads"), lead_id)
    if lead is not None and (lead.get("last_contact") or "") < when:
        lead["last_contact"] = when
        ctx.store.replace(ctx.coll("leads"), lead)


def customers_by_lead(ctx: RequestContext, lead_ids: list[str]) -> dict[str, str]:
    """lead id -> id of the customer that came from it."""
    found: dict[str, str] = {}
    for start in range(0, len(lead_ids), 500):
        chunk = lead_ids[start : start + 500]
        for c in ctx.store.find(ctx.coll("customers"), [Condition("lead_id", "in", chunk)]).items:
            found[c["lead_id"]] = c["id"]
    return found
