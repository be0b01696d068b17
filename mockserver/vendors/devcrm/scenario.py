"""/dev/crm's part in scenario files (``mockserver.seeding.adapter.ScenarioAdapter``).

Generates leads with their interactions, customers (every converted lead becomes one, plus direct
customers) with interactions, orders and feedback, in the API's own shapes: UUID ids, UTC
``YYYY-MM-DDTHH:MM:SSZ`` dates, and derived values (``last_contact``, ``converted_at``, order
totals from the product catalogue, ``_email_key``) that agree with the records, as if each had
been created through the API. Deterministic for (seed, locale, anchor).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from typing import Any, ClassVar

from mockserver.seeding.adapter import GenContext, ResourcePlan, ScenarioAdapter
from mockserver.seeding.pools import Pools
from mockserver.seeding.timefmt import iso_z
from mockserver.vendors.devcrm.models import (
    CONTACT_TYPES,
    CUSTOMER_DEFAULTS,
    INTERACTION_DEFAULTS,
    LEAD_DEFAULTS,
    email_key,
)
from mockserver.vendors.devcrm.seed import (
    COMMENTS,
    CUSTOMER_STATUS,
    DEMO_TOKEN,
    FEEDBACK_CATEGORIES,
    LEAD_SOURCE,
    LEAD_STATUS,
    NEXT_ACTIONS,
    OUTCOMES,
    PRODUCTS,
    RATING,
    SUBJECTS,
    TERMS,
    lead_record,
)

DAY = 86400
ORDER_STATUS = {"pending": 8, "processing": 6, "shipped": 8, "delivered": 70, "cancelled": 8}
FEEDBACK_STATUS = {"received": 60, "requested": 30, "expired": 10}
BATCH = 5_000  # leads (and direct customers) per yielded batch


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class _Draw:
    """Small helpers over one seeded stream."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def weighted(self, table: dict[str, float]) -> str:
        return self.rng.choices(list(table), weights=list(table.values()))[0]

    def between(self, start: int, end: int) -> int:
        return start + int(self.rng.random() * max(0, end - start))

    def per(self, plan: ResourcePlan | None, default: list[int]) -> int:
        if plan is None or plan.per is None:
            return self.rng.choice(default)
        return self.rng.randint(*plan.per)


class DevcrmScenario(ScenarioAdapter):
    """Leads, customers and their histories with /dev/crm's ids, dates and derived fields."""

    weights: ClassVar[dict[str, dict[str, dict[str, float]]]] = {
        "leads": {"status": dict(LEAD_STATUS), "source": dict(LEAD_SOURCE)},
        "lead_interactions": {},
        "customers": {"status": dict(CUSTOMER_STATUS), "type": {"individual": 55, "business": 45}},
        "customer_interactions": {},
        "orders": {"status": dict(ORDER_STATUS)},
        "feedback": {"status": dict(FEEDBACK_STATUS)},
    }
    options: ClassVar[dict[str, dict[str, Any]]] = {
        "leads": {
            "convert": {
                "type": "boolean",
                "description": "converted leads get their customer (default true); false keeps "
                "them as leads only, for tests of the conversion step itself",
            }
        }
    }
    references: ClassVar[dict[str, dict[str, str]]] = {
        "customers": {"lead_id": "leads"},
        "orders": {"product_id": "products"},
    }

    def account(self, ctx: GenContext) -> dict[str, list[dict]]:
        """The API token and the product catalogue orders refer to. Product ids derive from the
        SKU, not the seed, so an explicit order may name one literally in any scenario."""
        users = self._users(ctx)
        products = [
            {
                "id": product_id(f"SKU-{1001 + i}"),
                "name": name,
                "sku": f"SKU-{1001 + i}",
                "category": category,
                "price": price,
                "currency": "USD",
                "active": True,
            }
            for i, (name, category, price) in enumerate(PRODUCTS)
        ]
        return {
            "api_tokens": [{"id": DEMO_TOKEN, "user_id": users[0], "active": True}],
            "products": products,
        }

    def _users(self, ctx: GenContext) -> list[str]:
        rng = ctx.rng("account")
        return [_uuid(rng) for _ in range(5)]

    def generate(self, ctx: GenContext, plans: dict[str, ResourcePlan]) -> Iterator[tuple[str, list[dict]]]:
        # the catalogue in the store: this account's, or the default seed's (``base: default``)
        products = list(ctx.store.scan(ctx.collection("products"))) or self.account(ctx)["products"]
        users = self._users(ctx)
        p = ctx.pools
        top = ctx.anchor_epoch
        ids_rng = ctx.rng("scenario:ids")  # not the default seed's stream: ids never collide
        seen: set[str] = set()

        def new_id() -> str:
            while True:
                candidate = _uuid(ids_rng)
                if candidate not in seen:
                    seen.add(candidate)
                    return candidate

        leads_plan = plans.get("leads")
        lead_total = leads_plan.count or 0 if leads_plan else 0
        convert = (leads_plan.options.get("convert", True) if leads_plan else True) is not False
        cust_plan = plans.get("customers")
        direct_total = cust_plan.count or 0 if cust_plan else 0
        d = _Draw(ctx.rng("records"))
        lead_status = (leads_plan.weights.get("status") if leads_plan else None) or LEAD_STATUS
        lead_source = (leads_plan.weights.get("source") if leads_plan else None) or LEAD_SOURCE
        cust_w = cust_plan.weights if cust_plan else {}
        lo, hi = (leads_plan or ResourcePlan()).window(ctx.anchor, 365)
        lead_span = (int(lo.timestamp()), int(hi.timestamp()))
        lo, hi = (cust_plan or ResourcePlan()).window(ctx.anchor, 540)
        cust_span = (int(lo.timestamp()), int(hi.timestamp()))

        def history(customer: dict[str, Any], since: int) -> dict[str, list[dict]]:
            out: dict[str, list[dict]] = {"customer_interactions": [], "orders": [], "feedback": []}
            for _ in range(d.per(plans.get("customer_interactions"), [0, 1, 2, 2, 3, 4, 5])):
                at = d.between(since, top)
                has_next = d.rng.random() < 0.25
                out["customer_interactions"].append(
                    {
                        "id": new_id(),
                        "customer_id": customer["id"],
                        "type": d.rng.choice(["email", "call", "meeting", "support", "purchase", "other"]),
                        "subject": d.rng.choice(SUBJECTS),
                        "date": iso_z(at),
                        "description": d.rng.choice(p.sentences),
                        "outcome": d.rng.choice(OUTCOMES),
                        "next_action": d.rng.choice(NEXT_ACTIONS) if has_next else None,
                        "next_action_date": iso_z(at + d.rng.randint(1, 30) * DAY) if has_next else None,
                        "followed_up_at": None,
                        "created_at": iso_z(at),
                        "updated_at": iso_z(at),
                    }
                )
            order_w = plans["orders"].weights.get("status") if "orders" in plans else None
            n_orders = (
                0 if customer["status"] == "blocked" else d.per(plans.get("orders"), [0, 0, 1, 1, 2, 3])
            )
            for _ in range(n_orders):
                at = d.between(since, top)
                product = products[d.rng.randrange(len(products))]
                price = product["price"]
                quantity = d.rng.choice([1, 1, 1, 2, 2, 3, 5, 10])
                if order_w:
                    status = d.weighted(order_w)
                elif d.rng.random() < 0.08:
                    status = "cancelled"
                else:
                    status = (
                        "delivered"
                        if top - at > 14 * DAY
                        else d.rng.choice(["pending", "processing", "shipped"])
                    )
                out["orders"].append(
                    {
                        "id": new_id(),
                        "customer_id": customer["id"],
                        "product_id": product["id"],
                        "quantity": quantity,
                        "unit_price": price,
                        "total_amount": round(price * quantity, 2),
                        "status": status,
                        "order_date": iso_z(at),
                        "shipping_address": customer["shipping_address"],
                        "billing_address": customer["billing_address"],
                        "notes": None,
                        "created_at": iso_z(at),
                        "updated_at": iso_z(at),
                    }
                )
            fb_plan = plans.get("feedback")
            wanted = d.per(fb_plan, [0, 1]) if out["orders"] or fb_plan else 0
            fb_w = (fb_plan.weights.get("status") if fb_plan else None) or FEEDBACK_STATUS
            for _ in range(wanted):
                out["feedback"].append(self._feedback(d, new_id(), customer["id"], since, top, fb_w))
            return out

        def customer_doc(n: int, lead: dict[str, Any] | None, created: int) -> dict[str, Any]:
            if lead is not None:
                name, email, phone, company = lead["name"], lead["email"], lead["phone"], lead["company"]
            else:
                first, last = p.person(d.rng)
                name, email = f"{first} {last}", _email(p, d.rng, first, last, f"c{n}")
                phone = Pools.phone(d.rng) if d.rng.random() < 0.8 else None
                company = d.rng.choice(p.companies) if d.rng.random() < 0.5 else None
            kind = d.weighted(cust_w["type"]) if "type" in cust_w else "business" if company else "individual"
            if kind == "business" and company is None:
                company = d.rng.choice(p.companies)
            billing = f"{d.rng.randint(1, 9999)} {d.rng.choice(p.last_names)} St, {d.rng.choice(p.cities)}"
            return {
                "id": new_id(),
                "lead_id": lead["id"] if lead else None,
                "name": name,
                "email": email,
                "phone": phone,
                "company": company,
                "type": kind,
                "status": d.weighted(cust_w.get("status") or CUSTOMER_STATUS),
                "billing_address": billing,
                "shipping_address": billing
                if d.rng.random() < 0.7
                else f"{d.rng.randint(1, 9999)} {d.rng.choice(p.last_names)} Ave, {d.rng.choice(p.cities)}",
                "payment_terms": d.rng.choice(TERMS),
                "credit_limit": d.rng.choice([None, 1000, 5000, 10000, 25000]),
                "tax_id": f"US{d.rng.randint(10**8, 10**9 - 1)}" if kind == "business" else None,
                "notes": d.rng.choice(p.sentences) if d.rng.random() < 0.2 else None,
                "custom_fields": {},
                "assigned_to": (lead or {}).get("assigned_to")
                or (d.rng.choice(users) if d.rng.random() < 0.6 else None),
                "created_at": iso_z(created),
                "updated_at": iso_z(created),
                "_email_key": email_key(email),
            }

        batch: dict[str, list[dict]] = {}

        def flush() -> Iterator[tuple[str, list[dict]]]:
            for res in ("leads", "lead_interactions", "customers", *_CHILDREN):
                if batch.get(res):
                    yield res, batch.pop(res)

        for n in range(lead_total):
            lead, interactions = self._lead(
                d, p, new_id, users, n, lead_status, lead_source, lead_span, top, plans
            )
            batch.setdefault("leads", []).append(lead)
            batch.setdefault("lead_interactions", []).extend(interactions)
            if convert and lead["status"] == "converted":
                converted = int(_epoch(lead["converted_at"]))
                customer = customer_doc(n, lead, converted)
                batch.setdefault("customers", []).append(customer)
                for res, docs in history(customer, converted).items():
                    batch.setdefault(res, []).extend(docs)
            if (n + 1) % BATCH == 0:
                yield from flush()
        for n in range(direct_total):
            created = d.between(*cust_span)
            customer = customer_doc(n, None, created)
            batch.setdefault("customers", []).append(customer)
            for res, docs in history(customer, created).items():
                batch.setdefault(res, []).extend(docs)
            if (n + 1) % BATCH == 0:
                yield from flush()
        yield from flush()

    @staticmethod
    def _lead(
        d: _Draw,
        p: Pools,
        new_id: Any,
        users: list[str],
        n: int,
        status_w: dict[str, float],
        source_w: dict[str, float],
        span: tuple[int, int],
        top: int,
        plans: dict[str, ResourcePlan],
    ) -> tuple[dict[str, Any], list[dict]]:
        rng = d.rng
        first, last = p.person(rng)
        created = d.between(*span)
        status, source = d.weighted(status_w), d.weighted(source_w)
        email = _email(p, rng, first, last, str(n))
        lead = lead_record(
            rng,
            p,
            new_id(),
            f"{first} {last}",
            email,
            source,
            status,
            lambda: _uuid(rng),
            users,
            iso_z(created),
        )
        interactions = []
        clock = created
        plan = plans.get("lead_interactions")
        count = 0 if status == "new" and plan is None and rng.random() < 0.5 else d.per(plan, [1, 1, 2, 3, 4])
        for _ in range(count):
            clock = d.between(clock, min(clock + 30 * DAY, top))
            has_next = rng.random() < 0.3
            interactions.append(
                {
                    "id": new_id(),
                    "lead_id": lead["id"],
                    "type": rng.choice(["call", "call", "email", "meeting", "note"]),
                    "notes": rng.choice(p.sentences),
                    "next_action": rng.choice(NEXT_ACTIONS) if has_next else None,
                    "next_action_date": iso_z(clock + rng.randint(1, 21) * DAY) if has_next else None,
                    "followed_up_at": None,
                    "created_at": iso_z(clock),
                    "updated_at": iso_z(clock),
                }
            )
        contacts = [i["created_at"] for i in interactions if i["type"] in CONTACT_TYPES]
        lead["last_contact"] = max(contacts) if contacts else None
        updated = clock
        if status == "converted":
            updated = d.between(clock, min(clock + 20 * DAY, top))
            lead["converted_at"] = iso_z(updated)
        lead["updated_at"] = iso_z(updated)
        lead["_email_key"] = email_key(email)
        return lead, interactions

    @staticmethod
    def _feedback(
        d: _Draw, fid: str, customer_id: str, since: int, top: int, weights: dict[str, float]
    ) -> dict[str, Any]:
        rng = d.rng
        asked = d.between(since, top)
        status = d.weighted(weights)
        record: dict[str, Any] = {
            "id": fid,
            "customer_id": customer_id,
            "status": "requested",
            "requested_at": iso_z(asked),
            "reminders_sent": 0,
            "last_reminder_at": None,
            "rating": None,
            "comment": None,
            "category": None,
            "received_at": None,
            "created_at": iso_z(asked),
            "updated_at": iso_z(asked),
        }
        if status == "received":
            rating = int(d.weighted(RATING))  # type: ignore[arg-type]
            got = d.between(asked, min(asked + 10 * DAY, top))
            record.update(
                status="received",
                rating=rating,
                comment=rng.choice(COMMENTS[rating]) if rng.random() < 0.85 else None,
                category=rng.choice(FEEDBACK_CATEGORIES),
                received_at=iso_z(got),
                updated_at=iso_z(got),
            )
        else:
            sent = 3 if status == "expired" else rng.randint(0, 3)
            if sent:
                reminded = d.between(asked, min(asked + (3 * sent + 1) * DAY, top))
                record.update(
                    reminders_sent=sent, last_reminder_at=iso_z(reminded), updated_at=iso_z(reminded)
                )
            record["status"] = status
        return record

    def complete(self, ctx: GenContext, resource: str, doc: dict[str, Any]) -> dict[str, Any]:
        """Defaults the API fills in on create, so explicit records read like created ones."""
        now = ctx.stamp(ctx.anchor)
        if resource == "leads":
            out = {**LEAD_DEFAULTS, "custom_fields": {}, **doc}
        elif resource == "customers":
            out = {**CUSTOMER_DEFAULTS, "custom_fields": {}, **doc}
        elif resource in INTERACTION_DEFAULTS:
            out = {**INTERACTION_DEFAULTS[resource], "followed_up_at": None, **doc}
            if resource == "customer_interactions":
                out.setdefault("date", out.get("created_at", now))
        elif resource == "orders":
            out = {"status": "pending", "notes": None, "quantity": 1, **doc}
            out.setdefault("order_date", out.get("created_at", now))
        elif resource == "feedback":
            out = {
                "status": "requested",
                "reminders_sent": 0,
                "last_reminder_at": None,
                "rating": None,
                "comment": None,
                "category": None,
                "received_at": None,
                **doc,
            }
            out.setdefault("requested_at", out.get("created_at", now))
        else:
            return doc
        if out.get("email"):
            out["_email_key"] = email_key(out["email"])
        out.setdefault("created_at", now)
        out.setdefault("updated_at", out["created_at"])
        return out

    def finalize(self, ctx: GenContext, records: dict[str, list[dict]]) -> None:
        """Order prices and addresses from the catalogue and customer; ``last_contact`` from the
        explicit interactions; a converted lead's ``converted_at``; unless written explicitly."""
        catalogue = {p["id"]: p for p in self.account(ctx)["products"]}
        customers = {c["id"]: c for c in records.get("customers", [])}
        for order in records.get("orders", []):
            product = catalogue.get(order.get("product_id"))
            if product is not None:
                order.setdefault("unit_price", product["price"])
                order.setdefault("total_amount", round(order["unit_price"] * order["quantity"], 2))
            customer = customers.get(order.get("customer_id"), {})
            order.setdefault(
                "shipping_address", customer.get("shipping_address") or customer.get("billing_address")
            )
            order.setdefault("billing_address", customer.get("billing_address"))
        latest: dict[str, str] = {}
        for i in records.get("lead_interactions", []):
            if i.get("type") in CONTACT_TYPES and i.get("created_at", "") > latest.get(i.get("lead_id"), ""):
                latest[i["lead_id"]] = i["created_at"]
        for lead in records.get("leads", []):
            if lead.get("last_contact") is None and lead["id"] in latest:
                lead["last_contact"] = latest[lead["id"]]
            if lead.get("status") == "converted" and not lead.get("converted_at"):
                lead["converted_at"] = lead["updated_at"]


_CHILDREN = ("customer_interactions", "orders", "feedback")


def product_id(sku: str) -> str:
    """The catalogue's id for a SKU (``SKU-1001`` ... ``SKU-1016``), the same in every scenario."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"crm-mock:devcrm:product:{sku}"))


def _email(p: Pools, rng: random.Random, first: str, last: str, n: str) -> str:
    local = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
    return f"{local}{n}@{rng.choice(p.domains)}"


def _epoch(text: str) -> int:
    from datetime import datetime

    from mockserver.seeding.timefmt import epoch_seconds

    return epoch_seconds(datetime.fromisoformat(text.replace("Z", "+00:00")))
