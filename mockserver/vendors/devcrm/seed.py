"""The seeded /dev/crm account: a product catalogue, leads with their interactions, customers
(some converted from those leads) with interactions, orders and feedback.

Deterministic for the seed (pooled Faker values, a seeded ``random.Random``) and dated relative to
``pools.ANCHOR``; every derived value (``last_contact``, order totals, ``converted_at``) agrees with
the records, as if they had been made through the API.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from mockserver.engine.ids import make_id
from mockserver.engine.spec import IdFormat
from mockserver.seeding.pools import ANCHOR, Pools, pools, weighted
from mockserver.vendors.base import seeded_rng
from mockserver.vendors.devcrm.models import CONTACT_TYPES, email_key

if TYPE_CHECKING:
    from mockserver.store import DocumentStore
    from mockserver.vendors.base import Vendor

UUID = IdFormat(alphabet="uuid")
DEFAULT_LEADS = 300
DEMO_TOKEN = "demo-token"
DIRECT_CUSTOMER_SHARE = 0.5  # direct customers per lead, on top of the converted ones
LEAD_STATUS = {
    "new": 25, "contacted": 20, "qualified": 14, "proposal": 8, "negotiation": 6,
    "converted": 15, "lost": 9, "won": 3,
}  # fmt: skip
LEAD_SOURCE = {
    "website": 30, "referral": 15, "campaign": 15, "email": 12, "social": 12, "direct": 10, "other": 6,
}  # fmt: skip
CUSTOMER_STATUS = {"active": 80, "inactive": 15, "blocked": 5}
PRODUCTS = [
    ("Starter Plan", "subscription", 29.0),
    ("Premium Plan", "subscription", 99.0),
    ("Enterprise Plan", "subscription", 499.0),
    ("Analytics Add-on", "software", 149.0),
    ("Integration Pack", "software", 249.0),
    ("Mobile Suite", "software", 79.0),
    ("Onboarding Session", "service", 350.0),
    ("Data Migration", "service", 1200.0),
    ("Custom Development (day)", "service", 950.0),
    ("Priority Support", "service", 199.0),
    ("Admin Training", "training", 450.0),
    ("User Training (group)", "training", 800.0),
    ("Barcode Scanner", "hardware", 129.99),
    ("Receipt Printer", "hardware", 219.5),
    ("POS Terminal", "hardware", 649.0),
    ("Tablet Stand", "hardware", 39.95),
]
LEAD_NOTES = [
    "Asked for a call back next week",
    "Left voicemail",
    "Sent pricing sheet",
    "Interested in premium plan",
    "Requested a demo",
    "Comparing with a competitor",
]
NEXT_ACTIONS = ["Send proposal", "Follow up call", "Schedule demo", "Send contract", "Check in"]
SUBJECTS = [
    "Product Discussion", "Quarterly review", "Support request", "Renewal", "Onboarding", "Invoice question",
]  # fmt: skip
OUTCOMES = ["positive", "neutral", "negative", "completed", None]
TERMS = ["Net 15", "Net 30", "Net 60", "Due on receipt", None]
FEEDBACK_CATEGORIES = ["product", "service", "support", "pricing", "delivery", "billing", "other"]
COMMENTS = {
    5: ["Great service!", "Excellent support, very responsive team", "Love the product features",
        "Fast delivery and great quality"],
    4: ["Good product, easy to use", "Helpful staff", "Good value for the price", "Delivery arrived on time"],
    3: ["Product works but the interface is confusing", "Pricing is a bit expensive", "Support was slow"],
    2: ["Delivery was late", "Billing charged me twice", "Too expensive for what it does"],
    1: ["Terrible support experience", "Product is broken and full of bugs", "Invoice errors and no refund"],
}  # fmt: skip
RATING = {"5": 35, "4": 30, "3": 15, "2": 12, "1": 8}


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class _Ids:
    def __init__(self, vendor: Vendor, rng: random.Random) -> None:
        self.vendor, self.rng, self.seen = vendor, rng, set()

    def __call__(self, resource: str) -> str:
        known = self.vendor.spec.resources.get(resource)
        fmt = known.id_format if known else UUID  # users, campaigns: records the API does not model
        while True:
            candidate = make_id(fmt, self.rng)
            if candidate not in self.seen:
                self.seen.add(candidate)
                return candidate


def _between(rng: random.Random, start: datetime, end: datetime = ANCHOR) -> datetime:
    span = max(0, int((end - start).total_seconds()))
    return start + timedelta(seconds=rng.randint(0, span))


def _address(rng: random.Random, p: Pools) -> str:
    return f"{rng.randint(1, 9999)} {rng.choice(p.last_names)} St, {rng.choice(p.cities)}"


def lead_record(
    rng: random.Random,
    p: Pools,
    ident: str,
    name: str,
    email: str,
    source: str,
    status: str,
    campaign_id: Callable[[], str],
    users: list[str],
    created_at: str,
) -> dict[str, Any]:
    """A lead's remaining fields, drawn in one fixed order that the seed and scenarios share."""
    return {
        "id": ident,
        "name": name,
        "email": email,
        "phone": Pools.phone(rng) if rng.random() < 0.8 else None,
        "company": rng.choice(p.companies) if rng.random() < 0.7 else None,
        "source": source,
        "campaign_id": campaign_id() if source in ("campaign", "email") else None,
        "status": status,
        "score": rng.randint(0, 100),
        "notes": rng.choice(LEAD_NOTES) if rng.random() < 0.4 else None,
        "last_contact": None,
        "custom_fields": {"industry": rng.choice(["retail", "finance", "health", "tech"])}
        if rng.random() < 0.3
        else {},
        "assigned_to": rng.choice(users) if rng.random() < 0.7 else None,
        "nurture_step": 0 if status == "new" else rng.randint(0, 3),
        "converted_at": None,
        "created_at": created_at,
    }


def _lead(rng: random.Random, p: Pools, ids: _Ids, users: list[str], n: int) -> tuple[dict, list[dict]]:
    first, last = p.person(rng)
    created = Pools.moment(rng, 365)
    status = weighted(rng, LEAD_STATUS)
    source = weighted(rng, LEAD_SOURCE)
    ident = ids("leads")
    email = p.email(rng, first, last, n)
    lead = lead_record(
        rng, p, ident, f"{first} {last}", email, source, status, lambda: ids("campaigns"), users, iso(created)
    )
    interactions = []
    clock = created
    for _ in range(0 if status == "new" and rng.random() < 0.5 else rng.choice([1, 1, 2, 3, 4])):
        clock = _between(rng, clock, min(clock + timedelta(days=30), ANCHOR))
        kind = rng.choice(["call", "call", "email", "meeting", "note"])
        has_next = rng.random() < 0.3
        interactions.append(
            {
                "id": ids("lead_interactions"),
                "lead_id": lead["id"],
                "type": kind,
                "notes": rng.choice(p.sentences),
                "next_action": rng.choice(NEXT_ACTIONS) if has_next else None,
                "next_action_date": iso(clock + timedelta(days=rng.randint(1, 21))) if has_next else None,
                "followed_up_at": None,
                "created_at": iso(clock),
                "updated_at": iso(clock),
            }
        )
    contacts = [i["created_at"] for i in interactions if i["type"] in CONTACT_TYPES]
    lead["last_contact"] = max(contacts) if contacts else None
    updated = clock
    if status == "converted":
        updated = _between(rng, clock, min(clock + timedelta(days=20), ANCHOR))
        lead["converted_at"] = iso(updated)
    lead["updated_at"] = iso(updated)
    lead["_email_key"] = email_key(lead["email"])
    return lead, interactions


def _customer(
    rng: random.Random, p: Pools, ids: _Ids, users: list[str], n: int, lead: dict | None
) -> dict[str, Any]:
    if lead is not None:
        name, email, phone, company = lead["name"], lead["email"], lead["phone"], lead["company"]
        created = lead["converted_at"]
    else:
        first, last = p.person(rng)
        name, email = f"{first} {last}", p.email(rng, first, last, 100_000 + n)
        phone = Pools.phone(rng) if rng.random() < 0.8 else None
        company = rng.choice(p.companies) if rng.random() < 0.5 else None
        created = iso(Pools.moment(rng, 540))
    business = company is not None
    billing = _address(rng, p)
    return {
        "id": ids("customers"),
        "lead_id": lead["id"] if lead else None,
        "name": name,
        "email": email,
        "phone": phone,
        "company": company,
        "type": "business" if business else "individual",
        "status": weighted(rng, CUSTOMER_STATUS),
        "billing_address": billing,
        "shipping_address": billing if rng.random() < 0.7 else _address(rng, p),
        "payment_terms": rng.choice(TERMS),
        "credit_limit": rng.choice([None, 1000, 5000, 10000, 25000]),
        "tax_id": f"US{rng.randint(10**8, 10**9 - 1)}" if business else None,
        "notes": rng.choice(p.sentences) if rng.random() < 0.2 else None,
        "custom_fields": {},
        "assigned_to": (lead or {}).get("assigned_to") or (rng.choice(users) if rng.random() < 0.6 else None),
        "created_at": created,
        "updated_at": created,
        "_email_key": email_key(email),
    }


def _history(
    rng: random.Random, p: Pools, ids: _Ids, customer: dict, products: list[dict]
) -> tuple[list[dict], list[dict], list[dict]]:
    """A customer's interactions, orders and (maybe) feedback, all after it became a customer."""
    start = datetime.fromisoformat(customer["created_at"].replace("Z", "+00:00"))
    interactions, orders, feedback = [], [], []
    for _ in range(rng.choice([0, 1, 2, 2, 3, 4, 5])):
        at = _between(rng, start)
        has_next = rng.random() < 0.25
        interactions.append(
            {
                "id": ids("customer_interactions"),
                "customer_id": customer["id"],
                "type": rng.choice(["email", "call", "meeting", "support", "purchase", "other"]),
                "subject": rng.choice(SUBJECTS),
                "date": iso(at),
                "description": rng.choice(p.sentences),
                "outcome": rng.choice(OUTCOMES),
                "next_action": rng.choice(NEXT_ACTIONS) if has_next else None,
                "next_action_date": iso(at + timedelta(days=rng.randint(1, 30))) if has_next else None,
                "followed_up_at": None,
                "created_at": iso(at),
                "updated_at": iso(at),
            }
        )
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3, 4, 6])):
        at = _between(rng, start)
        product = rng.choice(products)
        quantity = rng.choice([1, 1, 1, 2, 2, 3, 5, 10])
        age = (ANCHOR - at).days
        status = (
            "cancelled"
            if rng.random() < 0.08
            else "delivered"
            if age > 14
            else rng.choice(["pending", "processing", "shipped"])
        )
        orders.append(
            {
                "id": ids("orders"),
                "customer_id": customer["id"],
                "product_id": product["id"],
                "quantity": quantity,
                "unit_price": product["price"],
                "total_amount": round(product["price"] * quantity, 2),
                "status": status,
                "order_date": iso(at),
                "shipping_address": customer["shipping_address"],
                "billing_address": customer["billing_address"],
                "notes": None,
                "created_at": iso(at),
                "updated_at": iso(at),
            }
        )
    if orders and rng.random() < 0.6:
        asked = _between(rng, start)
        roll = rng.random()
        record: dict[str, Any] = {
            "id": ids("feedback"),
            "customer_id": customer["id"],
            "status": "requested",
            "requested_at": iso(asked),
            "reminders_sent": 0,
            "last_reminder_at": None,
            "rating": None,
            "comment": None,
            "category": None,
            "received_at": None,
            "created_at": iso(asked),
            "updated_at": iso(asked),
        }
        if roll < 0.6:
            rating = int(weighted(rng, RATING))
            got = _between(rng, asked, min(asked + timedelta(days=10), ANCHOR))
            record.update(
                status="received",
                rating=rating,
                comment=rng.choice(COMMENTS[rating]) if rng.random() < 0.85 else None,
                category=rng.choice(FEEDBACK_CATEGORIES),
                received_at=iso(got),
                updated_at=iso(got),
            )
        else:
            sent = rng.randint(0, 3) if roll < 0.9 else 3
            if sent:
                reminded = _between(rng, asked, min(asked + timedelta(days=3 * sent + 1), ANCHOR))
                record.update(reminders_sent=sent, last_reminder_at=iso(reminded), updated_at=iso(reminded))
            if roll >= 0.9:
                record["status"] = "expired"
        feedback.append(record)
    return interactions, orders, feedback


def seed_devcrm(store: DocumentStore, vendor: Vendor, seed: int, now: datetime, leads: int = 0) -> None:
    """Write the seeded account. ``leads`` of 0 means the default few hundred."""
    rng = seeded_rng(seed, "devcrm:data")
    ids = _Ids(vendor, seeded_rng(seed, "devcrm:ids"))
    p = pools(seed)
    users = [ids("users") for _ in range(5)]
    store.insert_many(
        vendor.collection("api_tokens"), [{"id": DEMO_TOKEN, "user_id": users[0], "active": True}]
    )
    products = [
        {
            "id": ids("products"),
            "name": name,
            "sku": f"SKU-{1001 + i}",
            "category": category,
            "price": price,
            "currency": "USD",
            "active": True,
        }
        for i, (name, category, price) in enumerate(PRODUCTS)
    ]
    store.insert_many(vendor.collection("products"), products)
    batch: dict[str, list[dict]] = {
        r: []
        for r in ("leads", "lead_interactions", "customers", "customer_interactions", "orders", "feedback")
    }
    total = leads or DEFAULT_LEADS
    for n in range(total):
        lead, interactions = _lead(rng, p, ids, users, n)
        batch["leads"].append(lead)
        batch["lead_interactions"].extend(interactions)
        if lead["status"] == "converted":
            batch["customers"].append(_customer(rng, p, ids, users, n, lead))
        if rng.random() < DIRECT_CUSTOMER_SHARE:
            batch["customers"].append(_customer(rng, p, ids, users, n, None))
    for customer in batch["customers"]:
        interactions, orders, feedback = _history(rng, p, ids, customer, products)
        batch["customer_interactions"].extend(interactions)
        batch["orders"].extend(orders)
        batch["feedback"].extend(feedback)
    for resource, docs in batch.items():
        store.insert_many(vendor.collection(resource), docs)
