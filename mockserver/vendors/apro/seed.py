"""The seeded APRO account: users, contacts, objects, activities, deals, invoices, comments,
calls, conversations and organizer events, all consistent with each other.

Ids start where the document's examples live (contact 10607, object 10234, invoice 112, ...) so
its examples, sent as written, find their records. Dates are relative to ``pools.ANCHOR``.
"""

from __future__ import annotations

import base64
import hashlib
import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from mockserver.seeding.pools import ANCHOR, Pools, pools
from mockserver.vendors.apro import catalog
from mockserver.vendors.apro import fields as fx
from mockserver.vendors.apro.objects import (
    PURCHASER_FIELDS,
    REQUEST_FIELDS,
    SALE_FIELDS,
    STOCK_FIELDS,
    _search,
)
from mockserver.vendors.apro.sms import SMS_KEY
from mockserver.vendors.base import seeded_rng

if TYPE_CHECKING:
    from mockserver.store import DocumentStore
    from mockserver.vendors.base import Vendor

DEMO_KEY = "demo" * 8  # 32 characters, generous limits
LIMITED_KEY = "limit200" * 4  # the documented 200 requests per hour
READONLY_KEY = "readonly" * 4  # may read, may not write
CALLS_KEY = "callsapi" * 4  # only the "Calls" permission
FIRST = {
    "workers": 47,
    "purchaser": 10430,
    "stock": 10200,
    "applications": 1300,
    "sales": 400,
    "bills": 100,
    "comments": 480,
    "calls": 27380,
    "events": 1,
    "dialog_types": 1,
}
DEFAULT_CONTACTS = 250
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
NAMES = [
    "Ford Fusion",
    "Sunny flat",
    "Garden house",
    "Loft",
    "Penthouse",
    "Studio by the park",
    "Family home",
    "Sea view villa",
    "Townhouse",
    "Cottage",
]


# The account's own payment details, as the document's invoice examples show them.
OWN_COMPANY = {
    "id": "2",
    "bank_name": "Bank of Philadelphia",
    "bank_city": "Philadelphia",
    "bik": "3046311854",
    "email": "test@test.com",
    "inn": "34511102704",
    "kpp": "711101001",
    "ks": "65464654646545",
    "legal_address": "229, Arch St.",
    "mail_address": "4305117",
    "name": "Basic payment details",
    "ogrn": "54645645",
    "phone": "1784XXX6427",
    "rs": "40702810711030001415",
    "city": "Philadelphia",
    "type": "Inc.",
}


def fmt(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def random_value(rng: random.Random, field: dict[str, Any], p: Pools) -> Any:
    """A stored (normalised) value of the field's data type."""
    kind = field["datatype"]
    day = Pools.moment(rng, 900)
    if kind == "integer":
        return rng.randint(1, 30)
    if kind == "decimal":
        return round(rng.uniform(20, 300), 1)
    if kind == "price":
        return rng.randrange(20_000, 900_000, 500)
    if kind == "date":
        return day.strftime("%Y-%m-%d")
    if kind == "datetime":
        return fmt(day)
    if kind == "time":
        return f"{rng.randint(8, 19):02d}:{rng.choice([0, 15, 30, 45]):02d}:00"
    if kind == "radio":
        return rng.choice(["0", "1"])
    if kind == "text":
        return rng.choice(p.sentences)[:40]
    if kind == "select":
        return rng.choice(field["variants"])["id"]
    if kind == "multiselect":
        return sorted({rng.choice(field["variants"])["id"] for _ in range(rng.randint(1, 2))})
    if kind == "point":
        return f"{round(rng.uniform(51.3, 51.7), 6)} {round(rng.uniform(-0.3, 0.1), 6)}"
    if kind in fx.RANGE_BASE:
        low = random_value(rng, {"datatype": fx.RANGE_BASE[kind]}, p)
        high = random_value(rng, {"datatype": fx.RANGE_BASE[kind]}, p)
        return sorted([low, high])
    return None  # files are only set by uploads


def random_ext(rng: random.Random, allowed: list[str], p: Pools) -> dict[str, Any]:
    ext: dict[str, Any] = {}
    for fid in allowed:
        if fid in catalog.NESTED_CHILDREN or rng.random() < 0.3:
            continue
        value = random_value(rng, catalog.FIELDS[fid], p)
        if value is not None:
            ext[f"f{fid}"] = value
    for parent, children in catalog.NESTED.items():  # nested options consistent with their parents
        for child in children:
            if f"f{parent}" in ext and child in allowed and rng.random() < 0.7:
                fits = [v["id"] for v in catalog.FIELDS[child]["variants"] if v["bind"] == ext[f"f{parent}"]]
                if fits:
                    ext[f"f{child}"] = rng.choice(fits)
    return ext


def _workers(rng: random.Random, p: Pools) -> list[dict[str, Any]]:
    out = []
    for n in range(12):
        wid = str(FIRST["workers"] + n)
        if n == 0:
            name, surname, patronymic, mail, mobile = (
                "Nolan",
                "Mark",
                "Adam",
                "nolanma@hotmail.com",
                "1202 XXX 0191",
            )
        else:
            name, surname = p.person(rng)
            patronymic, mail = "", p.email(rng, name, surname, n)
            mobile = f"1{rng.randint(200, 999)} XXX {rng.randint(1000, 9999)}"
        avatar = hashlib.md5(wid.encode()).hexdigest()[:8]
        ext = {
            "f1": Pools.moment(rng, 2000).strftime("%Y-%m-%d"),
            "f6": rng.choice(p.sentences)[:30],
            "f12": rng.choice(["0", "1"]),
        }
        out.append(
            {
                "id": wid,
                "_n": int(wid),
                "avatars": {
                    "original": f"/images/avatars/{avatar}.jpg",
                    **{s: f"/images/avatars/{avatar}{s}.jpg" for s in ("170", "55", "40", "30")},
                },
                "type": "admin" if n == 0 else rng.choice(["hr", "general manager", "simple", "simple"]),
                "division_id": "1" if n == 0 else rng.choice(["1", "2", "3", "4"]),
                "suboffice_id": "1" if n == 0 else rng.choice(["1", "2"]),
                "post": "Manager",
                "boss": "1" if n < 2 else "0",
                "name": name,
                "surname": surname,
                "patronymic": patronymic,
                "internalemail": [{"email": mail, "comment": ""}],
                "externalemail": [{"email": mail, "comment": ""}],
                "internalphone": [],
                "externalphone": [],
                "mobilephone": [{"phone": mobile, "comment": "", "link": ""}],
                "birthday": "1968-08-09"
                if n == 0
                else Pools.moment(rng, 15000, ANCHOR - timedelta(days=8000)).strftime("%Y-%m-%d"),
                "address": None,
                "about": None,
                "hobby": None,
                "created_on": "0000-00-00 00:00:00" if n == 0 else fmt(Pools.moment(rng, 2000)),
                "gender": "male" if n == 0 else rng.choice(["male", "female"]),
                "asterisk_short_number": [str(100 + n)],
                "ext": ext,
                "groups": ["149", "150"] if n < 6 else ["150", "151"],
                "_name": name.lower(),
                "_surname": surname.lower(),
                "_emails": [mail.lower()],
                "_phones": [mobile.lower()],
            }
        )
    return out


def seed_apro(store: DocumentStore, vendor: Vendor, seed: int, now: datetime, contacts: int = 0) -> None:
    rng = seeded_rng(seed, "apro")
    p = pools(seed)
    coll = vendor.collection
    keys = [
        {"id": DEMO_KEY, "user_id": "47", "per_hour": 1_000_000, "objects": "*", "write": True},
        {"id": LIMITED_KEY, "user_id": "48", "per_hour": 200, "objects": "*", "write": True},
        {"id": READONLY_KEY, "user_id": "49", "per_hour": 200, "objects": "*", "write": False},
        {"id": CALLS_KEY, "user_id": "50", "per_hour": 200, "objects": ["calls"], "write": True},
    ]
    store.insert_many(coll("api_keys"), keys)
    workers = _workers(rng, p)
    store.insert_many(coll("workers"), workers)
    wids = [w["id"] for w in workers]
    companies = [
        dict(OWN_COMPANY),
        {
            "id": "11",
            "bank_name": "Royal Phoenix Bank",
            "bank_city": "Phoenix",
            "bik": "042204757",
            "email": "",
            "inn": "2311111067",
            "kpp": "",
            "ks": "30101810300000000757",
            "legal_address": "",
            "mail_address": "",
            "name": "Tech&Tech Inc.",
            "ogrn": "",
            "phone": "",
            "rs": "",
            "city": "",
            "type": "0",
        },
    ]
    for cid in range(80, 90):
        companies.append(
            {
                **companies[1],
                "id": str(cid),
                "name": rng.choice(p.companies),
                "inn": str(rng.randint(10**9, 10**10)),
            }
        )
    store.insert_many(coll("companies"), companies)

    # contacts
    people = []
    for n in range(contacts or DEFAULT_CONTACTS):
        pid = str(FIRST["purchaser"] + n)
        first, last = p.person(rng)
        patronymic = ""
        if pid == "10607":
            first, last, patronymic = "Mary", "Moore", "Ann"
        created = Pools.moment(rng, 700)
        activity = min(created + timedelta(hours=rng.randint(1, 2000)), ANCHOR)
        mail = p.email(rng, first, last, n)
        phone = [{"phone": f"1{rng.randint(200, 999)} XXX {rng.randint(1000, 9999)}", "comment": "Main"}]
        doc = {
            "id": pid,
            "_n": int(pid),
            "group_id": rng.choice(["149", "149", "150", "151"]),
            "surname": last,
            "name": first,
            "patronymic": patronymic,
            "manager_id": rng.choice(wids),
            "additional_manager_id": sorted({int(rng.choice(wids)) for _ in range(rng.randint(0, 2))}),
            "create_date": fmt(created),
            "marktype": rng.choice(list(catalog.MARKTYPES)),
            "nattype": rng.choice(["private_individual", "private_individual", "legal_entity"]),
            "customer_activity_type": rng.choice(["create", "edit", "supervisor", "comment"]),
            "customer_activity_date": fmt(activity),
            "email": [{"mail": mail, "comment": ""}],
            "phone": phone,
            "source": rng.choice(["online_consult", "manager_customer", "help_manager", "mobile"]),
            "comment": "",
            "publish": 0 if rng.random() < 0.06 else 1,
            "ext": random_ext(rng, PURCHASER_FIELDS, p),
        }
        doc["_search"] = _search(first, last, mail, phone[0]["phone"])
        people.append(doc)
    store.insert_many(coll("purchaser"), people)
    pids = [d["id"] for d in people]

    # objects
    stock = []
    for n in range(300):
        sid = str(FIRST["stock"] + n)
        stype = rng.choice(["1", "1", "1", "2"])
        parent = rng.choice(catalog.STOCK_CATEGORIES[stype])["id"]
        created = Pools.moment(rng, 700)
        activity = min(created + timedelta(hours=rng.randint(1, 3000)), ANCHOR)
        allowed = STOCK_FIELDS[stype]
        ext = random_ext(rng, allowed, p)
        name = f"{rng.choice(NAMES)} {rng.randint(1, 99)}"
        doc = {
            "id": sid,
            "_n": int(sid),
            "type": stype,
            "parent": parent,
            "name": name,
            "date_add": fmt(created),
            "author": rng.choice(wids),
            "additional_author": sorted({int(rng.choice(wids)) for _ in range(rng.randint(0, 3))}),
            "publish": 0 if rng.random() < 0.1 else 1,
            "last_modify": fmt(activity),
            "customer_relation": rng.choice(pids) if rng.random() < 0.5 else "",
            "stock_activity_type": rng.choice(["create", "edit", "comment"]),
            "stock_activity_date": fmt(activity),
            "group_id": catalog.STOCK_TYPES[int(stype) - 1]["groups"][0],
            "ext": ext,
        }
        doc["_search"] = _search(name, *fx.search_words(allowed, ext))
        stock.append(doc)
    store.insert_many(coll("stock"), stock)

    # activities
    requests = []
    surnames = {d["id"]: d["surname"] for d in people}
    for n in range(300):
        rid = str(FIRST["applications"] + n)
        rtype = rng.choice(["1", "2"])
        customer = rng.choice(pids)
        created = Pools.moment(rng, 600)
        activity = min(created + timedelta(hours=rng.randint(1, 2000)), ANCHOR)
        comment = rng.choice(["To processing", "Call back", "Wants a viewing", ""])
        name = rng.choice(["Application for loan", "Rent request", "Viewing request", "Valuation"])
        doc = {
            "id": rid,
            "_n": int(rid),
            "employee_id": rng.choice(wids),
            "additional_employee_id": sorted({int(rng.choice(wids)) for _ in range(rng.randint(0, 2))}),
            "customer_id": customer,
            "request_type_id": rtype,
            "source": rng.choice(["online_consult", "none", "help_manager", "online_form"]),
            "date_create": fmt(created),
            "comment": comment,
            "request_name": name,
            "status": rng.choice(catalog.REQUEST_STATUSES),
            "request_activity_type": rng.choice(["create", "stage", "edit"]),
            "request_activity_date": fmt(activity),
            "publish": 0 if rng.random() < 0.08 else 1,
            "ext": random_ext(rng, REQUEST_FIELDS[rtype], p),
        }
        doc["_search"] = _search(surnames[customer], comment, name)
        requests.append(doc)
    store.insert_many(coll("applications"), requests)

    # deals
    sales = []
    for n in range(100):
        sid = str(FIRST["sales"] + n)
        stype = rng.choice(catalog.SALE_TYPES)
        customer = int(rng.choice(pids))
        created = Pools.moment(rng, 500)
        activity = min(created + timedelta(hours=rng.randint(1, 1500)), ANCHOR)
        name = rng.choice(["In stock", "Flat sale", "Lease", "Commercial sale"])
        ext = random_ext(rng, SALE_FIELDS[str(stype["id"])], p)
        mine = [r["id"] for r in requests if r["customer_id"] == str(customer)][:3]
        doc = {
            "id": sid,
            "_n": int(sid),
            "customers_id": customer,
            "employee_id": int(rng.choice(wids)),
            "additional_employee_id": sorted({int(rng.choice(wids)) for _ in range(rng.randint(0, 2))}),
            "date_create": fmt(created),
            "sales_type_id": stype["id"],
            "sales_status_id": rng.choice(stype["stages"])["id"],
            "sale_name": name,
            "sale_activity_type": rng.choice(["create", "stage", "edit"]),
            "sale_activity_date": fmt(activity),
            "publish": 0 if rng.random() < 0.08 else 1,
            "ext": ext,
            "cocustomers": [],
            "corequests": mine,
            "costock": [s["id"] for s in rng.sample(stock, 1)],
            "costockprimary": [],
            "cosales": [],
            "blanks": [],
        }
        doc["_search"] = _search(name, *fx.search_words(SALE_FIELDS[str(stype["id"])], ext))
        sales.append(doc)
    store.insert_many(coll("sales"), sales)

    _bills(store, vendor, rng, p, people, sales, wids, companies, seed)
    _comments(store, vendor, rng, p, stock, requests, sales, people, wids)
    _calls(store, vendor, rng, wids)
    _dialogs(store, vendor, rng, p, pids, wids, seed)
    _events(store, vendor, rng, p, wids)
    _document_records(store, vendor)
    store.insert_many(
        coll("files"),
        [
            {
                "id": "574d479b30ce8.png",
                "object": "ribbon",
                "original": "business_filter_q_2.png",
                "content_type": "image/png",
                "size": len(PNG),
                "data": base64.b64encode(PNG).decode(),
            },
        ],
    )
    counts = {
        "workers": len(workers),
        "purchaser": len(people),
        "stock": len(stock),
        "applications": len(requests),
        "sales": len(sales),
        "bills": 60,
        "comments": 150,
        "calls": 120,
        "events": 30,
        "dialog_types": 3,
    }
    for resource, count in counts.items():
        store.set_meta(f"apro:seq:{coll(resource)}", str(FIRST[resource] + count - 1))


def _document_records(store: DocumentStore, vendor: Vendor) -> None:
    """The records the document's examples name (``purchaser/attach`` for contact 278056,
    ``sales/details`` for deal 468, the comments of contact 273954), with its ids and values, so
    those calls sent as written answer what the document shows. Fixed data: the random stream and
    the id sequences (new records start after the seeded ranges) are untouched."""
    coll = vendor.collection
    day = "2016-05-31 12:13:15"

    def put(resource: str, docs: list[dict[str, Any]]) -> None:
        """Insert, or take the place of a seeded record with the same id (deals 447, 468)."""
        for doc in docs:
            if store.exists(coll(resource), doc["id"]):
                store.replace(coll(resource), doc)
            else:
                store.insert(coll(resource), doc)

    contacts = [
        ("278056", "Walker", "Tom", "tom.walker@example.org"),
        ("273954", "Wildes", "Michael", "customer@gmail.com"),
    ]
    put(
        "purchaser",
        [
            {
                "id": cid,
                "_n": int(cid),
                "group_id": "149",
                "surname": surname,
                "name": name,
                "patronymic": "",
                "manager_id": "47",
                "additional_manager_id": [48, 49, 50],
                "create_date": "2015-11-02 10:00:00",
                "marktype": "0",
                "nattype": "private_individual",
                "customer_activity_type": "create",
                "customer_activity_date": "2015-11-19 11:08:51",
                "email": [{"mail": mail, "comment": ""}],
                "phone": [{"phone": "1965 XXX 4332", "comment": "Main"}],
                "source": "manager_customer",
                "comment": "",
                "publish": 1,
                "ext": {},
                "_search": _search(name, surname, mail, "1965 XXX 4332"),
            }
            for cid, surname, name, mail in contacts
        ],
    )
    put(
        "stock",
        [
            {
                "id": sid,
                "_n": int(sid),
                "type": "1",
                "parent": "1",
                "name": f"Ford Fusion {sid}",
                "date_add": "2015-10-30 09:00:00",
                "author": "47",
                "additional_author": [48, 49, 50],
                "publish": 1 if int(sid) >= 280959 else 0,
                "last_modify": "2015-11-19 11:34:54",
                "customer_relation": "278056",
                "stock_activity_type": "edit",
                "stock_activity_date": "2015-11-19 11:34:54",
                "group_id": "149",
                "ext": {"f338": f"SKU-{sid}"},
                "_search": _search(f"Ford Fusion {sid}", f"SKU-{sid}"),
            }
            for sid in ("280957", "280958", "280959", "280960", "280961")
        ],
    )
    put(
        "applications",
        [
            {
                "id": rid,
                "_n": int(rid),
                "employee_id": "47",
                "additional_employee_id": [48, 49, 50],
                "customer_id": "278056",
                "request_type_id": "1",
                "source": "help_manager",
                "date_create": "2015-11-03 10:00:00",
                "comment": "To processing",
                "request_name": "Application for loan",
                "status": "mustbeprocessed",
                "request_activity_type": "stage",
                "request_activity_date": "2015-11-19 10:36:29",
                "publish": 1,
                "ext": {},
                "_search": _search("Walker", "To processing", "Application for loan"),
            }
            for rid in ("1969", "1970", "1971")
        ],
    )
    deals = [(sid, 278056) for sid in ("522", "527", "528", "529")] + [("447", 273954), ("468", 273954)]
    put(
        "sales",
        [
            {
                "id": sid,
                "_n": int(sid),
                "customers_id": customer,
                "employee_id": 47,
                "additional_employee_id": [48, 49, 50],
                "date_create": "2015-11-19 16:44:45",
                "sales_type_id": 1,
                "sales_status_id": 1,
                "sale_name": "In stock",
                "sale_activity_type": "stage",
                "sale_activity_date": "2015-11-19 17:17:11",
                "publish": 1,
                "ext": {},
                "cocustomers": [],
                "corequests": [],
                "costock": [],
                "costockprimary": [],
                "cosales": [],
                "blanks": [],
                "_search": _search("In stock"),
            }
            for sid, customer in deals
        ],
    )
    put(
        "comments",
        [
            {
                "id": "492",
                "_n": 492,
                "parent_type": "sale",
                "parent_id": "447",
                "text": "Comment text",
                "date": day,
                "customer_id": "273954",
                "author_id": "47",
                "files": [
                    {
                        "id": "66",
                        "parent": "492",
                        "name": "business_filter_q_2.png",
                        "size": "201085",
                        "file": "/files/crm/ribbon/574d479b30ce8.png",
                    }
                ],
            }
        ],
    )


def _bills(store, vendor, rng, p, people, sales, wids, companies, seed) -> None:
    bills = []
    by_id = {d["id"]: d for d in people}
    client_companies = [c["id"] for c in companies if c["id"] != "2"]
    for n in range(60):
        bid = str(FIRST["bills"] + n)
        client = rng.choice(people)
        products = [
            {
                "name": rng.choice(
                    ["Stationery and office supplies", "Valuation", "Photo shoot", "Listing fee"]
                ),
                "count": float(rng.randint(1, 10)),
                "price": float(rng.choice([100, 250, 500, 1200])),
            }
            for _ in range(rng.randint(1, 3))
        ]
        summ = round(sum(x["count"] * x["price"] for x in products), 2)
        nds = rng.choice([0.0, 0.0, 20.0])
        total = round(summ * (1 + nds / 100), 2)
        paid = rng.choice([0.0, 0.0, round(total / 2, 2), total])
        company = rng.choice(client_companies) if rng.random() < 0.5 else "0"
        sale = rng.choice(sales)["id"] if rng.random() < 0.4 else "0"
        bill = {
            "id": bid,
            "_n": int(bid),
            "act_id": "0",
            "author": rng.choice(wids),
            "bill_active": 0 if rng.random() < 0.1 else 1,
            "client_company_id": company,
            "client_id": client["id"],
            "date_create": Pools.moment(rng, 400).strftime("%Y-%m-%d"),
            "hash": hashlib.md5(f"bill:{seed}:{bid}".encode()).hexdigest(),
            "my_company_id": "2",
            "nds": nds,
            "outer_id": "",
            "pay": paid,
            "payment_date": "0000-00-00",
            "sale_id": sale,
            "stockgroup_id": str(199 + n),
            "type": rng.choice(["out", "out", "in"]),
            "products": products,
            "summ": summ,
            "total": total,
            "is_cash": 0,
            "pay_status": "not" if paid <= 0 else "full" if paid >= total else "part",
        }
        if paid:
            bill["payment_date"] = Pools.moment(rng, 100).strftime("%Y-%m-%d")
        company_name = next((c["name"] for c in companies if c["id"] == company), "")
        bill["_search"] = " | ".join([bid, by_id[client["id"]]["surname"], company_name]).lower()
        bills.append(bill)
    store.insert_many(vendor.collection("bills"), bills)


def _comments(store, vendor, rng, p, stock, requests, sales, people, wids) -> None:
    out = []
    pool = (
        [("stock", s["id"], s["customer_relation"]) for s in stock]
        + [("request", r["id"], r["customer_id"]) for r in requests]
        + [("sale", s["id"], str(s["customers_id"])) for s in sales]
        + [("customer", c["id"], c["id"]) for c in people]
    )
    for n in range(150):
        cid = str(FIRST["comments"] + n)
        kind, parent, customer = rng.choice(pool)
        files = []
        if n % 25 == 0:
            files = [
                {
                    "id": str(60 + n // 25),
                    "parent": cid,
                    "name": "business_filter_q_2.png",
                    "size": "201085",
                    "file": "/files/crm/ribbon/574d479b30ce8.png",
                }
            ]
        out.append(
            {
                "id": cid,
                "_n": int(cid),
                "parent_type": kind,
                "parent_id": parent,
                "text": rng.choice(p.sentences),
                "date": fmt(Pools.moment(rng, 300)),
                "customer_id": customer or "0",
                "author_id": rng.choice(wids),
                "files": files,
            }
        )
    store.insert_many(vendor.collection("comments"), out)


def _calls(store, vendor, rng, wids) -> None:
    out = []
    for n in range(120):
        cid = str(FIRST["calls"] + n)
        incoming = rng.random() < 0.6
        ours = rng.choice(["1749 XXX 3456", "1357 XXX 3456"])
        theirs = f"1{rng.randint(200, 999)} XXX {rng.randint(1000, 9999)}"
        duration = rng.randint(0, 600)
        unique = hashlib.md5(f"call:{cid}".encode()).hexdigest()
        out.append(
            {
                "id": cid,
                "_n": int(cid),
                "date_time": fmt(Pools.moment(rng, 200)),
                "user_id": rng.choice(wids),
                "is_incoming": "1" if incoming else "0",
                "is_answered": "1" if duration else "0",
                "custom_status": rng.choice(["0", "1", "2", "3"]),
                "from_phone": theirs if incoming else ours,
                "to_phone": ours if incoming else theirs,
                "trunk_id": rng.choice(["4", "7"]),
                "call_duration": str(duration),
                "_duration": duration,
                "url_record": f"https://yourdomain.crma.pro/files/records/{unique}.mp3" if duration else "",
                "unique_id": unique,
                "caller_id": theirs if incoming else ours,
            }
        )
    store.insert_many(vendor.collection("calls"), out)


def _dialogs(store, vendor, rng, p, pids, wids, seed) -> None:
    types = [
        {"id": str(i), "_n": i, "name": name, "employees": wids[:3]}
        for i, name in ((1, "Website chat"), (2, "Telegram"), (3, "WhatsApp"))
    ]
    store.insert_many(vendor.collection("dialog_types"), types)
    clients, messages = [], []
    for n in range(8):
        key = hashlib.md5(f"seedclient:{seed}:{n}".encode()).hexdigest()
        dialog = types[n % 3]["id"]
        clients.append({"id": key, "customer": pids[n], "dialog": dialog})
        moment = ANCHOR - timedelta(days=n + 1)
        for m in range(rng.randint(3, 12)):
            moment += timedelta(minutes=rng.randint(1, 90))
            ms = int(moment.timestamp() * 1000)
            from_client = rng.random() < 0.5
            messages.append(
                {
                    "id": f"{key}:{m}",
                    "dialog": dialog,
                    "client": key,
                    "sender_type": "client" if from_client else "apro crm",
                    "text": rng.choice(p.sentences),
                    "author": "0" if from_client else rng.choice(wids),
                    "date": str(ms),
                    "_ms": ms,
                    "hash": hashlib.md5(f"msg:{key}:{m}".encode()).hexdigest(),
                    "status": not from_client or rng.random() < 0.5,
                }
            )
    store.insert_many(vendor.collection("dialog_clients"), clients)
    store.insert_many(vendor.collection("dialog_messages"), messages)


def _events(store, vendor, rng, p, wids) -> None:
    out = []
    for n in range(30):
        eid = str(FIRST["events"] + n)
        moment = ANCHOR + timedelta(
            days=rng.randint(-60, 60), hours=rng.randint(8, 18), minutes=5 * rng.randint(0, 11)
        )
        out.append(
            {
                "id": eid,
                "_n": int(eid),
                "title": rng.choice(["Viewing", "Team meeting", "Call back", "Signing"]),
                "publ": "0" if rng.random() < 0.1 else "1",
                "description": rng.choice(p.sentences),
                "allDay": "0",
                "duration": str(5 * rng.randint(3, 24)),
                "remind_active": rng.choice(["yes", "no"]),
                "remind_before": "15",
                "year": f"{moment.year:04d}",
                "month": f"{moment.month:02d}",
                "day": f"{moment.day:02d}",
                "weekday": str(moment.isoweekday()),
                "hour": f"{moment.hour:02d}",
                "minute": f"{moment.minute:02d}",
                "textColor": "#000000",
                "backgroundColor": "#EFEFEF",
                "borderColor": "#EFEFEF",
                "_at": fmt(moment),
                "users": {wids[0]: "root", rng.choice(wids[1:]): "simple"},
            }
        )
    store.insert_many(vendor.collection("events"), out)


__all__ = ["CALLS_KEY", "DEMO_KEY", "LIMITED_KEY", "READONLY_KEY", "SMS_KEY", "seed_apro"]
