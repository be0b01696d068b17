"""APRO's part in scenario files (``mockserver.seeding.adapter.ScenarioAdapter``).

Generates purchasers (contacts), applications, sales (deals) and bills (invoices/accounts) in the
API's stored shapes: sequential numeric ids from where the seeded account starts them (``_n`` the
number, the id its text), ``YYYY-MM-DD HH:MM:SS`` times and ``YYYY-MM-DD`` bill dates, and the
``apro:seq:`` counters moved past them so records created through the API get fresh ids.

Bills have no due date in APRO; a bill is *overdue* when it is not fully paid and was issued more
than ``terms_days`` (default 30) before the anchor. ``generate.bills.options.overdue`` is the share
of unpaid and partly paid bills dated that far back; ``pay_status`` (not / part / full) follows
the paid amount exactly as the API computes it. Kept in its own module: the rest of the package
is another engineer's.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from typing import Any, ClassVar

from mockserver.seeding.adapter import GenContext, ResourcePlan, ScenarioAdapter
from mockserver.seeding.pools import Pools
from mockserver.seeding.timefmt import from_epoch, sql_datetime
from mockserver.vendors.apro import catalog

DAY = 86400
FIRST = {"purchaser": 10430, "applications": 1300, "sales": 400, "bills": 100}
KEYS = [  # the seeded account's keys (``seed.py``): the same values, so examples work unchanged
    {"id": "demo" * 8, "user_id": "47", "per_hour": 1_000_000, "objects": "*", "write": True},
    {"id": "limit200" * 4, "user_id": "48", "per_hour": 200, "objects": "*", "write": True},
    {"id": "readonly" * 4, "user_id": "49", "per_hour": 200, "objects": "*", "write": False},
    {"id": "callsapi" * 4, "user_id": "50", "per_hour": 200, "objects": ["calls"], "write": True},
]
PAY_STATUS = {"not": 35, "part": 20, "full": 45}
BILL_ITEMS = ["Stationery and office supplies", "Valuation", "Photo shoot", "Listing fee", "Consulting"]
BATCH = 5_000


def _search(*parts: Any) -> str:
    return " | ".join(str(p) for p in parts if p not in (None, "")).lower()


def _pick(rng: random.Random, table: dict[str, float]) -> str:
    return rng.choices(list(table), weights=list(table.values()))[0]


def _day(epoch: int) -> str:
    return sql_datetime(epoch)[:10]


class AproScenario(ScenarioAdapter):
    """Purchasers, applications, sales and bills with APRO's ids, dates and payment states."""

    weights: ClassVar[dict[str, dict[str, dict[str, float]]]] = {
        "purchaser": {"nattype": {"private_individual": 2, "legal_entity": 1}},
        "applications": {"status": {s: 1.0 for s in catalog.REQUEST_STATUSES}},
        "sales": {},
        "bills": {"pay_status": dict(PAY_STATUS), "type": {"out": 2, "in": 1}},
    }
    options: ClassVar[dict[str, dict[str, Any]]] = {
        "bills": {
            "overdue": {
                "type": "number",
                "minimum": 0,
                "maximum": 1,
                "description": "share of not and partly paid bills issued more than terms_days "
                "before the anchor (default 0.5)",
            },
            "terms_days": {"type": "integer", "minimum": 1, "description": "payment terms (default 30)"},
        }
    }
    references: ClassVar[dict[str, dict[str, str]]] = {
        "purchaser": {"manager_id": "workers"},
        "applications": {"customer_id": "purchaser", "employee_id": "workers"},
        "bills": {"client_id": "purchaser", "author": "workers"},
        "api_keys": {"user_id": "workers"},
    }

    def account(self, ctx: GenContext) -> dict[str, list[dict]]:
        """API keys, the staff (workers) and the companies bills are issued by and to."""
        from mockserver.vendors.apro.seed import OWN_COMPANY, _workers  # the seeded staff, same shape

        rng = ctx.rng("account")
        workers = _workers(rng, ctx.pools)
        mine = dict(OWN_COMPANY)
        clients = [
            {
                **{k: "" for k in mine},
                "id": str(80 + i),
                "name": rng.choice(ctx.pools.companies),
                "inn": str(rng.randint(10**9, 10**10)),
                "type": "0",
            }
            for i in range(10)
        ]
        return {"api_keys": [dict(k) for k in KEYS], "workers": workers, "companies": [mine, *clients]}

    def generate(self, ctx: GenContext, plans: dict[str, ResourcePlan]) -> Iterator[tuple[str, list[dict]]]:
        # staff and companies in the store: this account's or the default seed's (same ids)
        wids = [w["id"] for w in ctx.store.scan(ctx.collection("workers"))]
        client_companies = [c["id"] for c in ctx.store.scan(ctx.collection("companies")) if c["id"] != "2"]
        # numbering continues after records already there (``base: default`` seeds from FIRST too)
        start_at = {
            res: max(start, int(ctx.store.get_meta(f"apro:seq:{ctx.collection(res)}") or 0) + 1)
            for res, start in FIRST.items()
        }
        rng = ctx.rng("records")
        p: Pools = ctx.pools
        top = ctx.anchor_epoch

        def span(res: str, days: int) -> tuple[int, int]:
            lo, hi = (plans.get(res) or ResourcePlan()).window(ctx.anchor, days)
            return int(lo.timestamp()), int(hi.timestamp())

        def count(res: str) -> int:
            plan = plans.get(res)
            return (plan.count or 0) if plan else 0

        people: list[tuple[str, str, int]] = []  # (id, surname, created)
        pw = (plans["purchaser"].weights.get("nattype") if "purchaser" in plans else None) or None
        start, end = span("purchaser", 700)
        batch: list[dict] = []
        for n in range(count("purchaser")):
            pid = start_at["purchaser"] + n
            first, last = p.person(rng)
            created = start + int(rng.random() * max(1, end - start))
            activity = min(created + rng.randint(1, 2000) * 3600, top)
            local = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
            mail = f"{local}{n}@{rng.choice(p.domains)}"
            phone = f"1{rng.randint(200, 999)} XXX {rng.randint(1000, 9999)}"
            batch.append(
                {
                    "id": str(pid),
                    "_n": pid,
                    "group_id": rng.choice(["149", "149", "150", "151"]),
                    "surname": last,
                    "name": first,
                    "patronymic": "",
                    "manager_id": rng.choice(wids),
                    "additional_manager_id": sorted(
                        {int(rng.choice(wids)) for _ in range(rng.randint(0, 2))}
                    ),
                    "create_date": sql_datetime(created),
                    "marktype": rng.choice(list(catalog.MARKTYPES)),
                    "nattype": _pick(rng, pw)
                    if pw
                    else rng.choice(["private_individual"] * 2 + ["legal_entity"]),
                    "customer_activity_type": rng.choice(["create", "edit", "supervisor", "comment"]),
                    "customer_activity_date": sql_datetime(activity),
                    "email": [{"mail": mail, "comment": ""}],
                    "phone": [{"phone": phone, "comment": "Main"}],
                    "source": rng.choice(["online_consult", "manager_customer", "help_manager", "mobile"]),
                    "comment": "",
                    "publish": 0 if rng.random() < 0.06 else 1,
                    "ext": {},
                    "_search": _search(first, last, mail, phone),
                }
            )
            people.append((str(pid), last, created))
            if len(batch) >= BATCH:
                yield "purchaser", batch
                batch = []
        if batch:
            yield "purchaser", batch
        if not people:
            return
        requests: dict[str, list[str]] = {}
        aw = (plans["applications"].weights.get("status") if "applications" in plans else None) or None
        batch = []
        for n in range(count("applications")):
            rid = start_at["applications"] + n
            customer, surname, since = rng.choice(people)
            created = since + int(rng.random() * max(1, top - since))
            activity = min(created + rng.randint(1, 2000) * 3600, top)
            comment = rng.choice(["To processing", "Call back", "Wants a viewing", ""])
            name = rng.choice(["Application for loan", "Rent request", "Viewing request", "Valuation"])
            batch.append(
                {
                    "id": str(rid),
                    "_n": rid,
                    "employee_id": rng.choice(wids),
                    "additional_employee_id": [],
                    "customer_id": customer,
                    "request_type_id": rng.choice(["1", "2"]),
                    "source": rng.choice(["online_consult", "none", "help_manager", "online_form"]),
                    "date_create": sql_datetime(created),
                    "comment": comment,
                    "request_name": name,
                    "status": _pick(rng, aw) if aw else rng.choice(catalog.REQUEST_STATUSES),
                    "request_activity_type": rng.choice(["create", "stage", "edit"]),
                    "request_activity_date": sql_datetime(activity),
                    "publish": 0 if rng.random() < 0.08 else 1,
                    "ext": {},
                    "_search": _search(surname, comment, name),
                }
            )
            requests.setdefault(customer, []).append(str(rid))
            if len(batch) >= BATCH:
                yield "applications", batch
                batch = []
        if batch:
            yield "applications", batch
        sales: list[tuple[str, str]] = []  # (sale id, customer id)
        batch = []
        for n in range(count("sales")):
            sid = start_at["sales"] + n
            stype = rng.choice(catalog.SALE_TYPES)
            customer, _surname, since = rng.choice(people)
            created = since + int(rng.random() * max(1, top - since))
            activity = min(created + rng.randint(1, 1500) * 3600, top)
            name = rng.choice(["In stock", "Flat sale", "Lease", "Commercial sale"])
            batch.append(
                {
                    "id": str(sid),
                    "_n": sid,
                    "customers_id": int(customer),
                    "employee_id": int(rng.choice(wids)),
                    "additional_employee_id": [],
                    "date_create": sql_datetime(created),
                    "sales_type_id": stype["id"],
                    "sales_status_id": rng.choice(stype["stages"])["id"],
                    "sale_name": name,
                    "sale_activity_type": rng.choice(["create", "stage", "edit"]),
                    "sale_activity_date": sql_datetime(activity),
                    "publish": 0 if rng.random() < 0.08 else 1,
                    "ext": {},
                    "cocustomers": [],
                    "corequests": requests.get(customer, [])[:3],
                    "costock": [],
                    "costockprimary": [],
                    "cosales": [],
                    "blanks": [],
                    "_search": _search(name),
                }
            )
            sales.append((str(sid), customer))
            if len(batch) >= BATCH:
                yield "sales", batch
                batch = []
        if batch:
            yield "sales", batch
        yield from self._bills(
            ctx, plans.get("bills"), rng, people, sales, wids, client_companies, top, start_at["bills"]
        )
        for res in ("purchaser", "applications", "sales", "bills"):
            if count(res):
                coll = ctx.collection(res)
                ctx.store.set_meta(f"apro:seq:{coll}", str(start_at[res] + count(res) - 1))

    @staticmethod
    def _bills(
        ctx: GenContext,
        plan: ResourcePlan | None,
        rng: random.Random,
        people: list[tuple[str, str, int]],
        sales: list[tuple[str, str]],
        wids: list[str],
        companies: list[str],
        top: int,
        first: int,
    ) -> Iterator[tuple[str, list[dict]]]:
        if plan is None or not plan.count:
            return
        status_w = plan.weights.get("pay_status") or PAY_STATUS
        type_w = plan.weights.get("type") or {"out": 2, "in": 1}
        overdue = float(plan.options.get("overdue", 0.5))
        terms = int(plan.options.get("terms_days", 30)) * DAY
        lo, hi = plan.window(ctx.anchor, 400)
        start, end = int(lo.timestamp()), int(hi.timestamp())
        by_customer: dict[str, list[str]] = {}
        for sid, cid in sales:
            by_customer.setdefault(cid, []).append(sid)
        batch: list[dict] = []
        for n in range(plan.count):
            bid = first + n
            client, surname, _since = rng.choice(people)
            products = [
                {
                    "name": rng.choice(BILL_ITEMS),
                    "count": float(rng.randint(1, 10)),
                    "price": float(rng.choice([100, 250, 500, 1200])),
                }
                for _ in range(rng.randint(1, 3))
            ]
            summ = round(sum(x["count"] * x["price"] for x in products), 2)
            nds = rng.choice([0.0, 0.0, 20.0])
            total = round(summ * (1 + nds / 100), 2)
            status = _pick(rng, status_w)
            paid = (
                0.0
                if status == "not"
                else total
                if status == "full"
                else round(total * rng.uniform(0.1, 0.9), 2)
            )
            if status == "part" and not 0 < paid < total:
                paid = round(total / 2, 2)
            if status != "full" and rng.random() < overdue:  # issued before the terms ran out
                issued = min(end, top - terms) - int(rng.random() * max(1, min(end, top - terms) - start))
            else:
                issued = end - int(rng.random() * max(1, min(terms, end - start)))
            issued = max(issued, start) if status == "full" or issued >= start else issued
            company = rng.choice(companies) if rng.random() < 0.5 else "0"
            mine = by_customer.get(client)
            bill = {
                "id": str(bid),
                "_n": bid,
                "act_id": "0",
                "author": rng.choice(wids),
                "bill_active": 0 if rng.random() < 0.05 else 1,
                "client_company_id": company,
                "client_id": client,
                "date_create": _day(issued),
                "hash": hashlib.md5(f"bill:{ctx.seed}:{bid}".encode()).hexdigest(),
                "my_company_id": "2",
                "nds": nds,
                "outer_id": "",
                "pay": paid,
                "payment_date": "0000-00-00",
                "sale_id": rng.choice(mine) if mine and rng.random() < 0.6 else "0",
                "stockgroup_id": str(199 + n),
                "type": _pick(rng, type_w),
                "products": products,
                "summ": summ,
                "total": total,
                "is_cash": 0,
                "pay_status": "not" if paid <= 0 else "full" if paid >= total else "part",
            }
            if paid:
                bill["payment_date"] = _day(issued + int(rng.random() * max(1, top - issued)))
            bill["_search"] = _search(str(bid), surname.lower())
            batch.append(bill)
            if len(batch) >= BATCH:
                yield "bills", batch
                batch = []
        if batch:
            yield "bills", batch

    def complete(self, ctx: GenContext, resource: str, doc: dict[str, Any]) -> dict[str, Any]:
        """Explicit records get ``_n``, the search text and, for bills, the API's totals and
        ``pay_status`` (from the items and the paid amount) unless written explicitly."""
        out = dict(doc)
        if str(out.get("id", "")).isdigit():
            out.setdefault("_n", int(out["id"]))
        now = from_epoch(ctx.anchor_epoch)
        if resource == "purchaser":
            out = {
                "group_id": "149",
                "patronymic": "",
                "manager_id": "47",
                "additional_manager_id": [],
                "marktype": next(iter(catalog.MARKTYPES)),
                "nattype": "private_individual",
                "customer_activity_type": "create",
                "source": "manager_customer",
                "comment": "",
                "publish": 1,
                "ext": {},
                "email": [],
                "phone": [],
                **out,
            }
            out.setdefault("create_date", ctx.stamp(now))
            out.setdefault("customer_activity_date", out["create_date"])
            mails = [e.get("mail") for e in out["email"] if isinstance(e, dict)]
            phones = [e.get("phone") for e in out["phone"] if isinstance(e, dict)]
            out.setdefault("_search", _search(out.get("name"), out.get("surname"), *mails, *phones))
        elif resource == "bills":
            out = {
                "act_id": "0",
                "author": "47",
                "stockgroup_id": "0",
                "bill_active": 1,
                "client_company_id": "0",
                "my_company_id": "2",
                "nds": 0.0,
                "outer_id": "",
                "pay": 0.0,
                "payment_date": "0000-00-00",
                "sale_id": "0",
                "type": "out",
                "products": [],
                "is_cash": 0,
                **out,
            }
            out.setdefault("date_create", ctx.stamp(now))
            for day in ("date_create", "payment_date"):  # bill dates are days (relative dates: times)
                if isinstance(out[day], str) and len(out[day]) > 10:
                    out[day] = out[day][:10]
            out.setdefault("hash", hashlib.md5(f"bill:{ctx.seed}:{out.get('id')}".encode()).hexdigest())
            summ = round(sum(float(x["count"]) * float(x["price"]) for x in out["products"]), 2)
            out.setdefault("summ", summ)
            out.setdefault("total", round(out["summ"] * (1 + float(out["nds"]) / 100), 2))
            paid, total = float(out["pay"]), float(out["total"])
            out.setdefault("pay_status", "not" if paid <= 0 else "full" if paid >= total else "part")
            out.setdefault("_search", _search(str(out.get("id"))))
        elif resource in ("applications", "sales"):
            defaults: dict[str, Any] = {"employee_id": "47", "additional_employee_id": [], "comment": ""}
            if resource == "applications":
                defaults.update(
                    request_type_id="1",
                    source="none",
                    request_name="",
                    status=catalog.REQUEST_STATUSES[0],
                    request_activity_type="create",
                )
            else:
                stype = catalog.SALE_TYPES[0]
                defaults.update(
                    employee_id=47,
                    sales_type_id=stype["id"],
                    sales_status_id=stype["stages"][0]["id"],
                    sale_name="",
                    sale_activity_type="create",
                    **{
                        k: []
                        for k in (
                            "cocustomers",
                            "corequests",
                            "costock",
                            "costockprimary",
                            "cosales",
                            "blanks",
                        )
                    },
                )
            out = {**defaults, **out}
            out.setdefault("date_create", ctx.stamp(now))
            activity = "request_activity_date" if resource == "applications" else "sale_activity_date"
            out.setdefault(activity, out["date_create"])
            out.setdefault("publish", 1)
            out.setdefault("ext", {})
            out.setdefault("_search", _search(out.get("request_name") or out.get("sale_name") or ""))
        return out


def overdue_bills(bills: list[dict[str, Any]], anchor_day: str, terms_days: int = 30) -> list[dict[str, Any]]:
    """Bills not fully paid and issued more than ``terms_days`` before ``anchor_day`` (tests)."""
    from datetime import date, timedelta

    limit = (date.fromisoformat(anchor_day) - timedelta(days=terms_days)).isoformat()
    return [b for b in bills if b["pay_status"] != "full" and b["date_create"] < limit]
