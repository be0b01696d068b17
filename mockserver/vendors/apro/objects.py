"""What differs between objects (stock), contacts (purchaser), activities and deals: which fields
a record has, how an entry becomes a stored record, and how a record is shown."""

from __future__ import annotations

from typing import Any

from mockserver.engine.context import RequestContext
from mockserver.store import Condition
from mockserver.vendors.apro import catalog
from mockserver.vendors.apro import fields as fx
from mockserver.vendors.apro.records import Entity, as_id, bad, id_list

STOCK_FIELDS = {t: [f for g in groups for f in g["childs"]] for t, groups in catalog.STOCK_LAYOUT.items()}
PURCHASER_FIELDS = [f for g in catalog.PURCHASER_LAYOUT for f in g["childs"]]
REQUEST_FIELDS = {t: [f for g in groups for f in g["childs"]] for t, groups in catalog.REQUEST_LAYOUT.items()}
SALE_FIELDS = {
    t: sorted({str(f) for fs in layout["stages"].values() for f in fs}, key=int)
    for t, layout in catalog.SALE_LAYOUT.items()
}
ALL_FIELDS = {
    "stock": {f for fs in STOCK_FIELDS.values() for f in fs},
    "purchaser": set(PURCHASER_FIELDS),
    "applications": {f for fs in REQUEST_FIELDS.values() for f in fs},
    "sales": {f for fs in SALE_FIELDS.values() for f in fs},
}
PURCHASER_SOURCES = ["online_consult", "manager_customer", "help_manager", "mobile"]
REQUEST_SOURCES = ["online_consult", "none", "help_manager", "online_form"]


# -- shared pieces ---------------------------------------------------------------------------------
def _worker(ctx: RequestContext, value: Any, what: str, zero_ok: bool = False) -> str:
    wid = as_id(value, what)
    if wid == "0" and zero_ok:
        return wid
    if not ctx.store.exists(ctx.coll("workers"), wid):
        raise bad(f"{what}: user {wid} does not exist", {what: wid})
    return wid


def _workers(ctx: RequestContext, value: Any, what: str) -> list[int]:
    if value in (None, "", []):
        return []
    return [int(_worker(ctx, v, what)) for v in (value if isinstance(value, list) else [value])]


def _customer(ctx: RequestContext, value: Any, what: str) -> str:
    cid = as_id(value, what)
    if not ctx.store.exists(ctx.coll("purchaser"), cid):
        raise bad(f"{what}: contact {cid} does not exist", {what: cid})
    return cid


def _files_exist(ctx: RequestContext):
    return lambda name: ctx.store.exists(ctx.coll("files"), name)


def _ext(ctx: RequestContext, allowed: list[str], old: dict[str, Any] | None, entry: dict[str, Any]) -> dict:
    current = {k: v for k, v in (old or {}).get("ext", {}).items() if k[1:] in allowed}
    try:
        return fx.apply(allowed, current, entry.get("fields"), _files_exist(ctx), modes=old is not None)
    except fx.FieldError as exc:
        raise bad(str(exc)) from None


def _text(entry: dict[str, Any], name: str, old: dict[str, Any] | None, default: str = "") -> str:
    if name in entry:
        value = entry[name]
        if isinstance(value, (dict, list)):
            raise bad(f"{name} must be text")
        return "" if value is None else str(value)
    return (old or {}).get(name, default)


def _choice(
    entry: dict[str, Any], name: str, old: dict[str, Any] | None, allowed: list[str], default: str
) -> str:
    value = str(entry[name]) if name in entry else (old or {}).get(name, default)
    if value not in allowed:
        raise bad(f"{name} must be one of {', '.join(allowed)}", {name: value})
    return value


def _fields_out(allowed: list[str], ext: dict[str, Any], keyed: bool) -> Any:
    if keyed:
        return {
            fid: {
                "id": fid,
                "datatype": catalog.FIELDS[fid]["datatype"],
                "value": fx.show(catalog.FIELDS[fid], ext.get(f"f{fid}")),
            }
            for fid in allowed
            if ext.get(f"f{fid}") is not None
        }
    return [
        {
            "id": fid,
            "type": catalog.FIELDS[fid]["datatype"],
            "value": fx.show(catalog.FIELDS[fid], ext.get(f"f{fid}")),
        }
        for fid in allowed
    ]


def _search(*parts: Any) -> str:
    return " | ".join(str(p) for p in parts if p not in (None, "")).lower()


# -- objects ---------------------------------------------------------------------------------------
def stock_allowed(doc: dict[str, Any]) -> list[str]:
    return STOCK_FIELDS.get(catalog.CATEGORY_TYPE.get(doc.get("parent", ""), ""), [])


def build_stock(ctx: RequestContext, entry: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    doc = dict(old or {})
    if old is None and "parent" not in entry:
        raise bad("parent (object category) is obligatory")
    if "parent" in entry:
        parent = as_id(entry["parent"], "parent")
        if parent not in catalog.CATEGORY_TYPE:
            raise bad(f"object category {parent} does not exist", {"parent": parent})
        doc["parent"] = parent
    doc["type"] = catalog.CATEGORY_TYPE[doc["parent"]]
    doc["name"] = _text(entry, "name", old)
    doc["author"] = (
        _worker(ctx, entry["author"], "author", zero_ok=True) if "author" in entry else doc.get("author", "0")
    )
    if "additional_author" in entry:
        value = entry["additional_author"]
        doc["additional_author"] = (
            [] if value in (False, "false") else _workers(ctx, value, "additional_author")
        )
    doc.setdefault("additional_author", [])
    if "associated_with_customer" in entry:
        value = entry["associated_with_customer"]
        doc["customer_relation"] = (
            "" if value in (None, "", 0, "0") else _customer(ctx, value, "associated_with_customer")
        )
    doc.setdefault("customer_relation", "")
    allowed = stock_allowed(doc)
    doc["ext"] = _ext(ctx, allowed, old, entry)
    doc["group_id"] = catalog.STOCK_TYPES[int(doc["type"]) - 1]["groups"][0]
    doc["last_modify"] = ctx.now.strftime("%Y-%m-%d %H:%M:%S")  # type: ignore[union-attr]
    doc["_search"] = _search(doc["name"], *fx.search_words(allowed, doc["ext"]))
    if old is not None and doc["author"] != old.get("author"):
        doc["stock_activity_type"] = "manager"
    elif old is not None:
        doc["stock_activity_type"] = "edit"
    return doc


def present_stock(ctx: RequestContext, docs: list[dict[str, Any]]) -> list[Any]:
    keys = (
        "id",
        "parent",
        "name",
        "date_add",
        "author",
        "additional_author",
        "publish",
        "last_modify",
        "customer_relation",
        "stock_activity_type",
        "stock_activity_date",
    )
    return [
        {**{k: d.get(k) for k in keys}, "fields": _fields_out(stock_allowed(d), d["ext"], False)}
        for d in docs
    ]


def stock_scope(ctx: RequestContext, params: dict[str, Any]) -> list[Condition]:
    if params.get("type") in (None, ""):
        raise bad("type (object type) is obligatory")
    stock_type = as_id(params["type"], "type")
    if stock_type not in catalog.STOCK_LAYOUT:
        raise bad(f"object type {stock_type} does not exist")
    conds = [Condition("type", "eq", stock_type)]
    if params.get("category") not in (None, ""):
        category = as_id(params["category"], "category")
        cats = [category]
        if str(params.get("nested", "false")).lower() in ("true", "1"):
            tree = catalog.STOCK_CATEGORIES[stock_type]
            frontier = [category]
            while frontier:
                kids = [c["id"] for c in tree if c["tree_parent"] in frontier]
                cats += kids
                frontier = kids
        conds.append(Condition("parent", "in", cats))
    if params.get("associated_with_customer") not in (None, ""):
        conds.append(
            Condition(
                "customer_relation",
                "eq",
                as_id(params["associated_with_customer"], "associated_with_customer"),
            )
        )
    if params.get("groups") not in (None, "", []):
        conds.append(Condition("group_id", "in", id_list(params["groups"], "groups")))
    return conds


# -- contacts --------------------------------------------------------------------------------------
def _contacts(value: Any, key: str, what: str) -> list[dict[str, str]]:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, str) and item:
            out.append({key: item, "comment": ""})
        elif isinstance(item, dict) and isinstance(item.get(key), str) and item[key]:
            out.append({key: item[key], "comment": str(item.get("comment", ""))})
        else:
            raise bad(f"{what} is a list of {{{key}, comment}}")
    return out


def build_purchaser(ctx: RequestContext, entry: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    doc = dict(old or {})
    for name in ("name", "surname", "patronymic", "comment"):
        doc[name] = _text(entry, name, old)
    doc["source"] = _choice(entry, "source", old, PURCHASER_SOURCES, "manager_customer")
    doc["marktype"] = _choice(entry, "marktype", old, list(catalog.MARKTYPES), "0")
    doc["nattype"] = _choice(
        entry, "nattype", old, ["private_individual", "legal_entity"], "private_individual"
    )
    if "group_id" in entry:
        doc["group_id"] = _choice(entry, "group_id", old, [g["id"] for g in catalog.GROUPS], "149")
    doc.setdefault("group_id", "149")
    if "manager_id" in entry:
        doc["manager_id"] = _worker(ctx, entry["manager_id"], "manager_id", zero_ok=True)
    doc.setdefault("manager_id", "0")
    if "additional_manager_id" in entry:
        value = entry["additional_manager_id"]
        doc["additional_manager_id"] = (
            [] if value in (False, "false") else _workers(ctx, value, "additional_manager_id")
        )
    doc.setdefault("additional_manager_id", [])
    if "email" in entry:
        doc["email"] = (
            _contacts(entry["email"], "mail", "email") if entry["email"] not in ("", None, []) else []
        )
    if "phone" in entry:
        doc["phone"] = (
            _contacts(entry["phone"], "phone", "phone") if entry["phone"] not in ("", None, []) else []
        )
    doc.setdefault("email", [])
    doc.setdefault("phone", [])
    doc["ext"] = _ext(ctx, PURCHASER_FIELDS, old, entry)
    doc["_search"] = _search(
        doc["name"], doc["surname"], *(e["mail"] for e in doc["email"]), *(p["phone"] for p in doc["phone"])
    )
    if old is not None:
        doc["customer_activity_type"] = "supervisor" if doc["manager_id"] != old.get("manager_id") else "edit"
    return doc


def present_purchaser(ctx: RequestContext, docs: list[dict[str, Any]]) -> list[Any]:
    keys = (
        "id",
        "group_id",
        "surname",
        "name",
        "patronymic",
        "manager_id",
        "additional_manager_id",
        "create_date",
        "marktype",
    )
    return [
        {
            **{k: d.get(k) for k in keys},
            "markname": catalog.MARKTYPES[d["marktype"]],
            "nattype": d["nattype"],
            "customer_activity_type": d["customer_activity_type"],
            "customer_activity_date": d["customer_activity_date"],
            "email": d["email"],
            "phone": d["phone"],
            "fields": _fields_out(PURCHASER_FIELDS, d["ext"], True),
        }
        for d in docs
    ]


def purchaser_scope(ctx: RequestContext, params: dict[str, Any]) -> list[Condition]:
    conds: list[Condition] = []
    if params.get("groups") not in (None, "", []):
        conds.append(Condition("group_id", "in", id_list(params["groups"], "groups")))
    if params.get("marktype") not in (None, "", []):
        conds.append(Condition("marktype", "in", id_list(params["marktype"], "marktype")))
    nattype = params.get("nattype")
    if nattype not in (None, ""):
        if nattype not in ("private_individual", "legal_entity"):
            raise bad("nattype is private_individual or legal_entity")
        conds.append(Condition("nattype", "eq", nattype))
    return conds


# -- activities ------------------------------------------------------------------------------------
def request_allowed(doc: dict[str, Any]) -> list[str]:
    return REQUEST_FIELDS.get(doc.get("request_type_id", ""), [])


def build_request(ctx: RequestContext, entry: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    doc = dict(old or {})
    if old is None:
        for name in ("customers_id", "request_type"):
            if entry.get(name) in (None, ""):
                raise bad(f"{name} is obligatory")
    if "customers_id" in entry:
        doc["customer_id"] = _customer(ctx, entry["customers_id"], "customers_id")
    if "request_type" in entry:
        rtype = as_id(entry["request_type"], "request_type")
        if rtype not in catalog.REQUEST_LAYOUT:
            raise bad(f"activity type {rtype} does not exist")
        doc["request_type_id"] = rtype
    if "employee_id" in entry:
        doc["employee_id"] = _worker(ctx, entry["employee_id"], "employee_id", zero_ok=True)
    doc.setdefault("employee_id", "0")
    if "additional_employee_id" in entry:
        value = entry["additional_employee_id"]
        doc["additional_employee_id"] = (
            [] if value in (False, "false") else _workers(ctx, value, "additional_employee_id")
        )
    doc.setdefault("additional_employee_id", [])
    doc["comment"] = _text(entry, "comment", old)
    doc["request_name"] = _text(entry, "request_name", old)
    doc["source"] = _choice(entry, "source", old, REQUEST_SOURCES, "none")
    doc["status"] = _choice(entry, "status", old, catalog.REQUEST_STATUSES, "unselected")
    doc["ext"] = _ext(ctx, request_allowed(doc), old, entry)
    customer = ctx.store.get(ctx.coll("purchaser"), doc["customer_id"]) or {}
    doc["_search"] = _search(customer.get("surname"), doc["comment"], doc["request_name"])
    if old is not None:
        changed_status = doc["status"] != old.get("status")
        changed_manager = doc["employee_id"] != old.get("employee_id")
        doc["request_activity_type"] = (
            "status" if changed_status else "manager" if changed_manager else "edit"
        )
    return doc


def present_request(ctx: RequestContext, docs: list[dict[str, Any]]) -> list[Any]:
    names = {t["id"]: t["name"] for t in catalog.REQUEST_TYPES}
    keys = ("id", "employee_id", "additional_employee_id", "customer_id", "request_type_id")
    return [
        {
            **{k: d.get(k) for k in keys},
            "request_type_name": names[d["request_type_id"]],
            "source": d["source"],
            "date_create": d["date_create"],
            "comment": d["comment"],
            "request_name": d["request_name"],
            "status": d["status"],
            "request_activity_type": d["request_activity_type"],
            "request_activity_date": d["request_activity_date"],
            "fields": _fields_out(request_allowed(d), d["ext"], True),
        }
        for d in docs
    ]


def request_scope(ctx: RequestContext, params: dict[str, Any]) -> list[Condition]:
    conds: list[Condition] = []
    if params.get("customer") not in (None, ""):
        conds.append(Condition("customer_id", "eq", as_id(params["customer"], "customer")))
    if params.get("types") not in (None, "", []):
        conds.append(Condition("request_type_id", "in", id_list(params["types"], "types")))
    if params.get("statuses") not in (None, "", []):
        statuses = params["statuses"] if isinstance(params["statuses"], list) else [params["statuses"]]
        if not set(map(str, statuses)) <= set(catalog.REQUEST_STATUSES):
            raise bad("unknown status", {"statuses": statuses})
        conds.append(Condition("status", "in", [str(s) for s in statuses]))
    if params.get("groups") not in (None, "", []):
        groups = set(id_list(params["groups"], "groups"))
        types = [t["id"] for t in catalog.REQUEST_TYPES if groups & set(t["groups"])]
        conds.append(Condition("request_type_id", "in", types))
    return conds


# -- deals -----------------------------------------------------------------------------------------
def sale_allowed(doc: dict[str, Any]) -> list[str]:
    return SALE_FIELDS.get(str(doc.get("sales_type_id", "")), [])


def build_sale(ctx: RequestContext, entry: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    doc = dict(old or {})
    if old is None and entry.get("sales_type_id") in (None, ""):
        raise bad("sales_type_id is obligatory")
    if "sales_type_id" in entry:
        stype = int(as_id(entry["sales_type_id"], "sales_type_id"))
        if str(stype) not in catalog.SALE_LAYOUT:
            raise bad(f"deal type {stype} does not exist")
        doc["sales_type_id"] = stype
    if "sales_status_id" in entry:
        doc["sales_status_id"] = int(as_id(entry["sales_status_id"], "sales_status_id"))
    elif old is None or ("sales_type_id" in entry and doc.get("sales_status_id") not in _stages(doc)):
        doc["sales_status_id"] = _stages(doc)[0]
    if doc["sales_status_id"] not in _stages(doc):
        raise bad(f"stage {doc['sales_status_id']} does not belong to deal type {doc['sales_type_id']}")
    if "customers_id" in entry:
        doc["customers_id"] = int(_customer(ctx, entry["customers_id"], "customers_id"))
    doc.setdefault("customers_id", 0)
    if "employee_id" in entry:
        doc["employee_id"] = int(_worker(ctx, entry["employee_id"], "employee_id", zero_ok=True))
    doc.setdefault("employee_id", 0)
    if "additional_employee_id" in entry:
        value = entry["additional_employee_id"]
        doc["additional_employee_id"] = (
            [] if value in (False, "false") else _workers(ctx, value, "additional_employee_id")
        )
    doc.setdefault("additional_employee_id", [])
    doc["sale_name"] = _text(entry, "sale_name", old)
    doc["ext"] = _ext(ctx, sale_allowed(doc), old, entry)
    for key in ("cocustomers", "corequests", "costock", "costockprimary", "cosales", "blanks"):
        doc.setdefault(key, [])
    doc["_search"] = _search(doc["sale_name"], *fx.search_words(sale_allowed(doc), doc["ext"]))
    if old is not None:
        doc["sale_activity_type"] = (
            "stage" if doc["sales_status_id"] != old.get("sales_status_id") else "edit"
        )
    return doc


def _stages(doc: dict[str, Any]) -> list[int]:
    return [s["id"] for t in catalog.SALE_TYPES if t["id"] == doc.get("sales_type_id") for s in t["stages"]]


def present_sale(ctx: RequestContext, docs: list[dict[str, Any]]) -> list[Any]:
    return [
        {
            "id": d["_n"],
            "customers_id": d["customers_id"],
            "employee_id": d["employee_id"],
            "additional_employee_id": d["additional_employee_id"],
            "date_create": d["date_create"],
            "sales_type_id": d["sales_type_id"],
            "sales_status_id": d["sales_status_id"],
            "sale_name": d["sale_name"],
            "sale_activity_type": d["sale_activity_type"],
            "sale_activity_date": d["sale_activity_date"],
            "fields": _fields_out(sale_allowed(d), d["ext"], True),
        }
        for d in docs
    ]


def sale_scope(ctx: RequestContext, params: dict[str, Any]) -> list[Condition]:
    conds: list[Condition] = []
    if params.get("type") not in (None, "", []):
        conds.append(Condition("sales_type_id", "in", [int(i) for i in id_list(params["type"], "type")]))
    if params.get("stage") not in (None, "", []):
        conds.append(Condition("sales_status_id", "in", [int(i) for i in id_list(params["stage"], "stage")]))
    if params.get("customer") not in (None, ""):
        conds.append(Condition("customers_id", "eq", int(as_id(params["customer"], "customer"))))
    return conds


STOCK = Entity(
    "stock",
    "date_add",
    "stock_activity_date",
    "stock_activity_type",
    "author",
    20,
    500,
    "stock",
    stock_allowed,
    build_stock,
    present_stock,
    stock_scope,
)
PURCHASER = Entity(
    "purchaser",
    "create_date",
    "customer_activity_date",
    "customer_activity_type",
    "manager_id",
    20,
    50,
    "customer",
    lambda d: PURCHASER_FIELDS,
    build_purchaser,
    present_purchaser,
    purchaser_scope,
)
APPLICATIONS = Entity(
    "applications",
    "date_create",
    "request_activity_date",
    "request_activity_type",
    "employee_id",
    20,
    50,
    "request",
    request_allowed,
    build_request,
    present_request,
    request_scope,
)
SALES = Entity(
    "sales",
    "date_create",
    "sale_activity_date",
    "sale_activity_type",
    "employee_id",
    20,
    50,
    "sale",
    sale_allowed,
    build_sale,
    present_sale,
    sale_scope,
    count_as_int=True,
)
ENTITIES = {e.name: e for e in (STOCK, PURCHASER, APPLICATIONS, SALES)}
