"""Invoices (``accounts``): the documented default filter, per-invoice error keys, payments.

Amounts are kept as numbers and shown as ``"5000.00"``; ``pay_status`` follows the paid amount
(not / part / full), so it is always derived from state.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from typing import Any

from mockserver.engine.context import Reply, RequestContext
from mockserver.store import Condition
from mockserver.vendors.apro.dialect import params_of
from mockserver.vendors.apro.records import as_id, bad, id_list, int_param, next_id

ADD_ERRORS = {
    1: "Contact not specified",
    2: "Company payment details not specified",
    3: "Date not specified",
    4: "List of objects not specified",
    5: 'No valid objects (please specify "name", "count", "price")',
}
EDIT_ERRORS = {
    1: 'Obligatory parameter "bill_id" not submitted',
    2: "Invalid date",
    3: "Deal does not exist",
    4: "Contact does not exist",
}
PAY_ERRORS = {
    6: 'Obligatory parameter "ID" not submitted',
    7: "Invoice not found or has no associated objects",
}
LIST_KEYS = (
    "act_id",
    "author",
    "author_name",
    "bill_active",
    "client_company_id",
    "client_id",
    "date_create",
    "hash",
    "id",
    "my_company_id",
    "nds",
    "outer_id",
    "pay",
    "pay_status",
    "payer",
    "payment_date",
    "recipient",
    "sale_id",
    "stockgroup_id",
    "summ",
    "type",
)
DEFAULT_FILTER = {
    "page": 1,
    "limit": 1000,
    "order": "b.id",
    "orderType": "DESC",
    "type": "all",
    "bill_active": 1,
    "client_id": 0,
}


def money(value: float) -> str:
    return f"{value:.2f}"


def parse_day(value: Any) -> str | None:
    """``yyyy-mm-dd``, ``dd.mm.yyyy`` or ``dd-mm-yyyy`` as ``yyyy-mm-dd``; None when invalid."""
    text = str(value).strip()
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text) or None
    if m:
        y, mo, d = m.groups()
    else:
        m = re.fullmatch(r"(\d{2})[.-](\d{2})[.-](\d{4})", text)
        if not m:
            return None
        d, mo, y = m.groups()
    try:
        return date(int(y), int(mo), int(d)).isoformat()
    except ValueError:
        return None


def _products(value: Any) -> list[dict[str, Any]] | None:
    """Valid products (name, count, price); None when none is valid."""
    if isinstance(value, dict):
        value = list(value.values())
    out = []
    for p in value if isinstance(value, list) else []:
        try:
            name, count, price = str(p["name"]).strip(), float(p["count"]), float(p["price"])
        except (KeyError, TypeError, ValueError):
            continue
        if name and count > 0 and price >= 0:
            out.append({"name": name, "count": count, "price": price})
    return out or None


def _totals(bill: dict[str, Any]) -> None:
    summ = round(sum(p["count"] * p["price"] for p in bill["products"]), 2)
    bill["summ"] = summ
    bill["total"] = round(summ * (1 + bill["nds"] / 100), 2)
    bill["pay_status"] = "not" if bill["pay"] <= 0 else "full" if bill["pay"] >= bill["total"] else "part"


def _client_ok(ctx: RequestContext, value: Any) -> str | None:
    try:
        cid = as_id(value, "client_id")
    except Exception:
        return None
    return cid if cid != "0" and ctx.store.exists(ctx.coll("purchaser"), cid) else None


def _check_new(ctx: RequestContext, item: dict[str, Any], old: dict[str, Any] | None) -> tuple[dict, list]:
    """A bill built from an add / update item, and its ``[{key, mes}]`` errors."""
    merged = {**(old or {}), **{k: v for k, v in item.items() if k != "bill_id"}}
    errors = []
    if _client_ok(ctx, merged.get("client_id")) is None:
        errors.append(1)
    if merged.get("my_company_id") in (None, "", "0", 0) or not ctx.store.exists(
        ctx.coll("companies"), str(merged.get("my_company_id"))
    ):
        errors.append(2)
    day = parse_day(merged.get("date_create", "")) if merged.get("date_create") not in (None, "") else None
    if day is None:
        errors.append(3)
    raw_products = item.get("product", None if old is None else "keep")
    if raw_products in (None, "", [], {}):
        errors.append(4)
        products = None
    elif raw_products == "keep":
        products = old["products"]  # type: ignore[index]
    else:
        products = _products(raw_products)
        if products is None:
            errors.append(5)
    if errors:
        return {}, [{"key": k, "mes": ADD_ERRORS[k]} for k in errors]
    bill = dict(old or {})
    bill.update(
        client_id=str(int(merged["client_id"])),
        my_company_id=str(merged["my_company_id"]),
        client_company_id=str(merged.get("client_company_id") or "0"),
        date_create=day,
        sale_id=str(merged.get("sale_id") or "0"),
        stockgroup_id=str(merged.get("stockgroup_id") or "0"),
        nds=_number(merged.get("nds", 0)),
        type="in" if merged.get("type") == "in" else "out",
        products=products,
    )
    bill.setdefault("pay", 0.0)
    client = ctx.store.get(ctx.coll("purchaser"), bill["client_id"])
    company = ctx.store.get(ctx.coll("companies"), bill["client_company_id"])
    bill["_search"] = bill_search({"id": str(item.get("bill_id", "")), **bill}, client, company)
    return bill, []


def _number(value: Any) -> float:
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return 0.0


def _new_bill(ctx: RequestContext, bill: dict[str, Any]) -> dict[str, Any]:
    bid = next_id(ctx, "bills")
    author = ctx.principal.user_id if ctx.principal else "1"
    bill.update(
        id=bid,
        _n=int(bid),
        act_id="0",
        author=author or "1",
        bill_active=1,
        outer_id="",
        payment_date="0000-00-00",
        is_cash=0,
        hash=hashlib.md5(f"bill:{ctx.settings.seed}:{bid}".encode()).hexdigest(),
    )
    bill["_search"] = bid + bill["_search"]
    _totals(bill)
    return bill


def accounts_add(ctx: RequestContext) -> Reply:
    """Each invoice gets its own result; an item with ``bill_id`` updates that invoice (the
    document gives ``accounts/add`` as the URL of ``billsUpdate`` too)."""
    items = params_of(ctx)
    items = list(items.values()) if isinstance(items, dict) else items
    if not isinstance(items, list) or not items:
        raise bad("params is an array of invoices")
    if len(items) > 1000:
        raise bad("at most 1000 invoices at a time")
    results = []
    with ctx.store.transaction():
        for item in items:
            results.append(
                _update_one(ctx, item)
                if isinstance(item, dict) and "bill_id" in item
                else _add_one(ctx, item)
            )
    return Reply(200, {"status": "success", "data": results})


def _add_one(ctx: RequestContext, item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        return {"stat": 0, "error": [{"key": k, "mes": ADD_ERRORS[k]} for k in (1, 2, 3, 4)]}
    bill, errors = _check_new(ctx, item, None)
    if errors:
        return {"stat": 0, "error": errors}
    bill = _new_bill(ctx, bill)
    ctx.store.insert(ctx.coll("bills"), bill)
    return {"id": bill["_n"], "stat": 1}


def _update_one(ctx: RequestContext, item: Any) -> dict[str, Any]:
    if not isinstance(item, dict) or item.get("bill_id") in (None, ""):
        return {"stat": 0, "error": [{"key": 1, "mes": EDIT_ERRORS[1]}]}
    old = ctx.store.get(ctx.coll("bills"), str(item["bill_id"]).strip())
    if old is None:
        return {"stat": 0, "error": [{"key": 7, "mes": PAY_ERRORS[7]}]}
    bill, errors = _check_new(ctx, item, old)
    if errors:
        return {"stat": 0, "error": errors}
    _totals(bill)
    ctx.store.replace(ctx.coll("bills"), bill)
    return {"id": bill["_n"], "stat": 1}


def accounts_update(ctx: RequestContext) -> Reply:
    items = params_of(ctx)
    items = list(items.values()) if isinstance(items, dict) else items
    if not isinstance(items, list) or not items:
        raise bad("params is an array of invoices")
    with ctx.store.transaction():
        results = [_update_one(ctx, item) for item in items]
    return Reply(200, {"status": "success", "data": results})


def accounts_edit(ctx: RequestContext) -> Reply:
    p = params_of(ctx)
    p = p if isinstance(p, dict) else {}

    def fail(key: int) -> Reply:
        return Reply(
            200, {"status": "success", "data": {"stat": 0, "error": {"key": key, "mes": EDIT_ERRORS[key]}}}
        )

    if p.get("bill_id") in (None, ""):
        return fail(1)
    bill = ctx.store.get(ctx.coll("bills"), str(p["bill_id"]).strip())
    if bill is None:
        return fail(1)
    if "date_create" in p:
        day = parse_day(p["date_create"])
        if day is None:
            return fail(2)
        bill["date_create"] = day
    if p.get("sale_id") not in (None, "", "0", 0):
        if not ctx.store.exists(ctx.coll("sales"), str(p["sale_id"])):
            return fail(3)
        bill["sale_id"] = str(p["sale_id"])
    if "client_id" in p:
        cid = _client_ok(ctx, p["client_id"])
        if cid is None:
            return fail(4)
        bill["client_id"] = cid
    if "product" in p:
        products = _products(p["product"])
        if products is None:
            raise bad(ADD_ERRORS[5])
        bill["products"] = products
    for name in ("outer_id", "client_company_id", "my_company_id"):
        if name in p:
            bill[name] = str(p[name])
    if "nds" in p:
        bill["nds"] = _number(p["nds"])
    if "is_cash" in p:
        bill["is_cash"] = 1 if str(p["is_cash"]) in ("1", "true") else 0
    if p.get("type") in ("in", "out"):
        bill["type"] = p["type"]
    _totals(bill)
    ctx.store.replace(ctx.coll("bills"), bill)
    return Reply(200, {"status": "success", "data": {"stat": 1}})


def accounts_set_pay(ctx: RequestContext) -> Reply:
    p = params_of(ctx)
    p = p if isinstance(p, dict) else {}

    def answer(stat: int, status: str, key: int | None = None) -> Reply:
        data: dict[str, Any] = {"stat": stat, "status_pay": status}
        if key:
            data["error"] = {"key": key, "mes": PAY_ERRORS[key]}
        return Reply(200, {"status": "success", "data": data})

    if p.get("id") in (None, ""):
        return answer(0, "not", 6)
    bill = ctx.store.get(ctx.coll("bills"), str(p["id"]).strip())
    if bill is None or not bill.get("products"):
        return answer(0, "not", 7)
    try:
        amount = float(p.get("pay", 0))
    except (TypeError, ValueError):
        raise bad("pay must be an amount") from None
    if amount <= 0:
        raise bad("pay must be a positive amount")
    bill["pay"] = round(bill["pay"] + amount, 2)
    bill["payment_date"] = ctx.now.strftime("%Y-%m-%d")  # type: ignore[union-attr]
    _totals(bill)
    ctx.store.replace(ctx.coll("bills"), bill)
    return answer(1, bill["pay_status"])


# -- reading ---------------------------------------------------------------------------------------
def _names(ctx: RequestContext, bills: list[dict[str, Any]]) -> tuple[dict, dict, dict]:
    workers = ctx.store.get_many(ctx.coll("workers"), {b["author"] for b in bills})
    clients = ctx.store.get_many(ctx.coll("purchaser"), {b["client_id"] for b in bills})
    companies = ctx.store.get_many(
        ctx.coll("companies"), {b["my_company_id"] for b in bills} | {b["client_company_id"] for b in bills}
    )
    return workers, clients, companies


def _person(doc: dict[str, Any] | None) -> str:
    if not doc:
        return ""
    return f"{doc.get('name', '')} {doc.get('surname', '')[:1]}.".strip()


def _summary(bill: dict[str, Any], workers: dict, clients: dict, companies: dict) -> dict[str, Any]:
    company = companies.get(bill["client_company_id"])
    out = {k: bill.get(k) for k in LIST_KEYS}
    out.update(
        bill_active=str(bill["bill_active"]),
        nds=f"{bill['nds']:g}",
        pay=money(bill["pay"]),
        summ=money(bill["summ"]),
        author_name=_person(workers.get(bill["author"])),
        payer=company["name"] if company else _person(clients.get(bill["client_id"])),
        recipient=(companies.get(bill["my_company_id"]) or {}).get("name", ""),
    )
    return out


def accounts_get(ctx: RequestContext) -> Reply:
    p = params_of(ctx)
    p = p if isinstance(p, dict) else {}
    effective = {**DEFAULT_FILTER, **{k: v for k, v in p.items() if k not in ("active",)}}
    if "active" in p:
        effective["bill_active"] = p["active"]
    conds: list[Condition] = []
    kind = str(effective["type"])
    if kind not in ("all", "in", "out"):
        raise bad("type is in, out or all")
    if kind != "all":
        conds.append(Condition("type", "eq", kind))
    if str(effective["bill_active"]) not in ("0", "1"):
        raise bad("active is 1 or 0")
    conds.append(Condition("bill_active", "eq", int(effective["bill_active"])))
    for name, op in (("date_start", "gte"), ("date_end", "lte")):
        if p.get(name) not in (None, ""):
            day = parse_day(p[name])
            if day is None:
                raise bad(f"{name} is dd.mm.yyyy or yyyy-mm-dd")
            conds.append(Condition("date_create", op, day))
    if p.get("pay_status") not in (None, ""):
        if p["pay_status"] not in ("not", "part", "full"):
            raise bad("pay_status is not, part or full")
        conds.append(Condition("pay_status", "eq", p["pay_status"]))
    if str(effective["client_id"]) not in ("0", ""):
        conds.append(Condition("client_id", "eq", as_id(effective["client_id"], "client_id")))
    if p.get("company_id") not in (None, ""):
        conds.append(Condition("client_company_id", "eq", as_id(p["company_id"], "company_id")))
    if p.get("sale_id") not in (None, ""):
        conds.append(Condition("sale_id", "eq", as_id(p["sale_id"], "sale_id")))
    elif p.get("not_sale_id") not in (None, ""):
        conds.append(Condition("sale_id", "ne", as_id(p["not_sale_id"], "not_sale_id")))
    if p.get("ids") not in (None, "", []):
        conds.append(Condition("id", "in", id_list(p["ids"], "ids")))
    order_field = {"b.id": "_n", "b.date_create": "date_create"}.get(str(effective["order"]))
    if order_field is None:
        raise bad("order is b.id or b.date_create")
    direction = str(effective["orderType"]).upper()
    if direction not in ("ASC", "DESC"):
        raise bad("orderType is asc or desc")
    limit = int_param(effective, "limit", 1000, 1, 1000)
    page = int_param(effective, "page", 1, 1, 10**9)
    search = p.get("search")
    found = ctx.store.find(
        ctx.coll("bills"),
        conds,
        search=(["_search"], str(search)) if search not in (None, "") else None,
        sort=[(order_field, direction == "DESC"), ("_n", direction == "DESC")],
        offset=(page - 1) * limit,
        limit=limit,
    )
    names = _names(ctx, found.items)
    data = {
        "filter": effective,
        "limit": limit,
        "page": page,
        "total": found.total,
        "list": [_summary(b, *names) for b in found.items],
    }
    return Reply(200, {"status": "success", "data": data})


def _company(doc: dict[str, Any] | None) -> dict[str, Any] | None:
    return {k: v for k, v in doc.items() if not k.startswith("_")} if doc else None


def _full(bill: dict[str, Any], workers: dict, clients: dict, companies: dict) -> dict[str, Any]:
    out = _summary(bill, workers, clients, companies)
    client = clients.get(bill["client_id"]) or {}
    out["client"] = {
        "id": bill["client_id"],
        "logo": "0",
        "name": client.get("name", ""),
        "patronymic": client.get("patronymic", ""),
        "surname": client.get("surname", ""),
    }
    out["client_company"] = _company(companies.get(bill["client_company_id"]))
    out["my_company"] = _company(companies.get(bill["my_company_id"]))
    out["payer"] = {"client": "client", "company": "client_company", "name": out["payer"]}
    out["recipient"] = {"client": "firm", "company": "my_company", "name": out["recipient"], "type": "legal"}
    out["products"] = [
        {
            "count": f"{p['count']:g}",
            "id": str(i + 1),
            "name": p["name"],
            "price": money(p["price"]),
            "stockgroup_id": bill["stockgroup_id"],
            "summary": money(p["count"] * p["price"]),
        }
        for i, p in enumerate(bill["products"])
    ]
    out["to_pay"] = money(max(0.0, bill["total"] - bill["pay"]))
    out["total"] = money(bill["total"])
    return out


def accounts_get_full(ctx: RequestContext) -> Reply:
    """One id gives the invoice object (the documented shape); an array gives a list of them."""
    p = params_of(ctx)
    if not isinstance(p, dict) or p.get("ids") in (None, "", []):
        raise bad("ids is obligatory")
    ids = id_list(p["ids"], "ids")
    bills = [ctx.store.get(ctx.coll("bills"), i) for i in ids]
    if any(b is None for b in bills):
        raise bad("invoice not found", {"ids": [i for i, b in zip(ids, bills, strict=True) if b is None]})
    names = _names(ctx, bills)  # type: ignore[arg-type]
    full = [_full(b, *names) for b in bills]  # type: ignore[arg-type]
    return Reply(200, {"status": "success", "data": full if isinstance(p["ids"], list) else full[0]})


def bill_search(bill: dict[str, Any], client: dict[str, Any] | None, company: dict[str, Any] | None) -> str:
    return " | ".join(
        [bill.get("id", ""), (client or {}).get("surname", ""), (company or {}).get("name", "")]
    ).lower()


HANDLERS = {
    "accounts_get": accounts_get,
    "accounts_get_full": accounts_get_full,
    "accounts_add": accounts_add,
    "accounts_update": accounts_update,
    "accounts_edit": accounts_edit,
    "accounts_set_pay": accounts_set_pay,
}
