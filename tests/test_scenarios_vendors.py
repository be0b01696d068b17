"""Scenario adapters of /dev/crm, CRM.COM and APRO: the shipped per-vendor scenarios validate and
load with every vendor present, every generated record's references resolve (the spec's parent
links, the adapters' extras and the links they cannot declare), records are in each vendor's own
id and date formats, and the API serves them. Also: light ultra leads score as the API would."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver.app import create_app
from mockserver.runtime import Runtime
from mockserver.seeding import scenario as sc
from mockserver.seeding.loader import integrity_problems, load_scenario
from mockserver.settings import Settings
from mockserver.vendors.apro.scenario import overdue_bills
from mockserver.vendors.devcrm.models import CONTACT_TYPES
from mockserver.vendors.ultra.models import lead_score

NOW = "2026-03-01T12:00:00Z"
ALL = ("ultra", "devcrm", "crmcom", "apro")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
SQL_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
DAY = re.compile(r"^\d{4}-\d\d-\d\d$")
VENDOR_SCENARIOS = ("devcrm_sales", "crmcom_accounts", "overdue_invoices")


def runtime() -> Runtime:
    rt = Runtime(Settings(db=":memory:", vendors=ALL, now=NOW, seed_on_start=False))
    rt.prepare()
    return rt


def docs(rt: Runtime, collection: str) -> list[dict[str, Any]]:
    return list(rt.store.scan(collection))


@pytest.fixture(scope="module")
def loaded() -> dict[str, Runtime]:
    out = {}
    for name in VENDOR_SCENARIOS:
        rt = runtime()
        load_scenario(rt, name)
        out[name] = rt
    return out


def test_each_vendor_has_a_shipped_scenario() -> None:
    assert set(VENDOR_SCENARIOS) <= set(sc.shipped())


@pytest.mark.parametrize("name", sorted(sc.shipped()))
def test_every_shipped_scenario_loads_with_every_vendor(name: str) -> None:
    rt = runtime()
    sc.load(name, rt.vendors)
    load_scenario(rt, name, scale=0.002 if name == "load_test_1m" else 1.0)
    assert integrity_problems(rt, limit=5) == []


def test_devcrm_records_agree_with_each_other(loaded: dict[str, Runtime]) -> None:
    rt = loaded["devcrm_sales"]
    leads, customers = docs(rt, "devcrm_leads"), docs(rt, "devcrm_customers")
    orders, products = docs(rt, "devcrm_orders"), {p["id"]: p for p in docs(rt, "devcrm_products")}
    interactions = docs(rt, "devcrm_lead_interactions")
    assert len(leads) == 1501 and len(customers) > 400 and orders
    by_lead = {c["lead_id"]: c for c in customers if c["lead_id"]}
    lead_ids = {lead["id"] for lead in leads}
    assert set(by_lead) <= lead_ids
    for lead in leads:
        assert UUID.match(lead["id"]) and ISO_Z.match(lead["created_at"]) and ISO_Z.match(lead["updated_at"])
        assert lead["_email_key"] == lead["email"].lower()
        if lead["status"] == "converted":  # every converted lead became a customer
            assert by_lead[lead["id"]]["created_at"] == lead["converted_at"]
    contacts: dict[str, str] = {}
    for i in interactions:
        if i["type"] in CONTACT_TYPES and i["created_at"] > contacts.get(i["lead_id"], ""):
            contacts[i["lead_id"]] = i["created_at"]
    assert all(lead["last_contact"] == contacts.get(lead["id"]) for lead in leads)
    for kind in (leads, customers):  # email is unique among leads, and among customers
        assert len({d["_email_key"] for d in kind}) == len(kind)
    for order in orders:
        product = products[order["product_id"]]
        assert order["unit_price"] == product["price"]
        assert order["total_amount"] == round(product["price"] * order["quantity"], 2)
    blocked = {c["id"] for c in customers if c["status"] == "blocked"}
    assert not [o for o in orders if o["customer_id"] in blocked and o["created_at"] > "2026-02-01"]
    assert all(f["status"] in ("requested", "received", "expired") for f in docs(rt, "devcrm_feedback"))


def test_devcrm_scenario_through_the_api() -> None:
    app = create_app(Settings(db=":memory:", vendors=("devcrm",), now=NOW))
    auth = {"Authorization": "Bearer demo-token"}
    with TestClient(app) as client:
        assert client.post("/__admin/scenarios/devcrm_sales").status_code == 200
        page = client.get("/dev/crm/leads?status=converted&limit=5", headers=auth).json()
        assert page["pagination"]["total"] > 100
        assert all(lead["customer_id"] for lead in page["data"])
        vip = client.get("/dev/crm/customers?search=northwind", headers=auth).json()["data"]
        assert vip and vip[0]["type"] == "business"
        r = client.get("/dev/crm/orders?limit=100", headers=auth)
        assert r.status_code == 200 and r.json()["pagination"]["total"] > 1000


def test_crmcom_modes_and_links(loaded: dict[str, Runtime]) -> None:
    rt = loaded["crmcom_accounts"]
    for mode in ("live", "test"):
        contacts = {c["id"]: c for c in docs(rt, f"crmcom_{mode}_contacts")}
        links = {
            field: {d["id"]: d["contact_id"] for d in docs(rt, f"crmcom_{mode}_{res}")}
            for field, res in (
                ("lead_id", "leads"),
                ("order_id", "orders"),
                ("service_request_id", "service_requests"),
            )
        }
        accounts = docs(rt, f"crmcom_{mode}_accounts")
        assert contacts and accounts
        assert all("_mode" not in d for d in (*contacts.values(), *accounts))
        primaries = Counter(a["contact_id"] for a in accounts if a["is_primary"])
        assert max(primaries.values()) == 1  # one primary account per contact
        assert all(re.match(r"^AC\d{8}$", a["number"]) for a in accounts)
        for activity in docs(rt, f"crmcom_{mode}_activities"):
            assert UUID.match(activity["id"]) or not activity["id"]
            assert isinstance(activity["key_dates"]["created_on"], int)
            for field, owners in links.items():  # a linked record is the same contact's
                if activity.get(field):
                    assert owners[activity[field]] == activity["contact_id"]
    live, test = (len(docs(rt, f"crmcom_{m}_contacts")) for m in ("live", "test"))
    assert live == 801 and test == 201


def test_crmcom_scenario_through_the_api_in_each_mode() -> None:
    app = create_app(Settings(db=":memory:", vendors=("crmcom",), now=NOW))
    live = {"api_key": "4dc0809f-ed91-4b68-b912-5bd6064d901e"}
    test = {"api_key": "2189341e-981e-9ad5-9912-11101670314a"}
    with TestClient(app) as client:
        assert client.post("/__admin/scenarios/crmcom_accounts").status_code == 200
        names = {
            key: {
                c["code"]
                for c in client.get(
                    "/backoffice/v2/contacts?size=100&search_value=customer", headers=h
                ).json()["content"]
            }
            for key, h in (("live", live), ("test", test))
        }
        assert "T000001" in names["test"] and "T000001" not in names["live"]
        vip = client.get("/backoffice/v2/contacts?search_value=andreou", headers=live).json()["content"]
        assert vip and vip[0]["code"] == "C900001"


def test_apro_bills_payment_states_and_overdue(loaded: dict[str, Runtime]) -> None:
    rt = loaded["overdue_invoices"]
    bills, sales = docs(rt, "apro_bills"), {s["id"]: s for s in docs(rt, "apro_sales")}
    people = {p["id"] for p in docs(rt, "apro_purchaser")}
    assert len(bills) == 403
    statuses = Counter(b["pay_status"] for b in bills)
    assert set(statuses) == {"not", "part", "full"}
    for b in bills:
        assert b["pay_status"] == ("not" if b["pay"] <= 0 else "full" if b["pay"] >= b["total"] else "part")
        assert b["total"] == round(b["summ"] * (1 + b["nds"] / 100), 2)
        assert DAY.match(b["date_create"]) and b["client_id"] in people
        assert b["sale_id"] == "0" or str(sales[b["sale_id"]]["customers_id"]) == b["client_id"]
    overdue = overdue_bills(bills, "2026-03-01")
    assert len(overdue) > 150
    named = [b for b in bills if b["products"][0]["name"] in ("Valuation", "Photo shoot") and b["_n"] > 10**5]
    assert {b["date_create"] for b in named} >= {"2025-11-01", "2026-01-15"}
    assert all(str(s["customers_id"]) in people for s in sales.values())
    for p in docs(rt, "apro_purchaser"):
        assert SQL_TIME.match(p["create_date"]) and p["id"] == str(p["_n"])
    last = (date(2026, 3, 1) - timedelta(days=30)).isoformat()
    assert all(b["date_create"] < last for b in overdue)
    assert rt.store.get_meta("apro:seq:apro_bills") == str(100 + 400 - 1)


def test_apro_scenario_through_the_api() -> None:
    app = create_app(Settings(db=":memory:", vendors=("apro",), now=NOW))
    key = "demo" * 8
    with TestClient(app) as client:
        assert client.post("/__admin/scenarios/overdue_invoices").status_code == 200
        r = client.post("/sharedapi/accounts/get", json={"apikey": key, "params": {"pay_status": "part"}})
        part = r.json()["data"]["list"]
        assert part and all(b["pay_status"] == "part" for b in part)
        new = [
            {
                "date_create": "2026-02-27",
                "client_id": 10430,
                "my_company_id": 2,
                "product": [{"name": "Fee", "count": 1, "price": 10}],
            }
        ]
        made = client.post("/sharedapi/accounts/add", json={"apikey": key, "params": new}).json()
        assert made["data"][0]["id"] in (500, "500"), made  # the next id is past the generated ones


def test_a_test_mode_record_cannot_point_at_a_live_one(tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "vendors:\n  crmcom:\n    records:\n      contacts:\n"
        "        - {alias: c, first_name: A, last_name: B}\n"
        "      leads:\n        - {_mode: test, title: X, contact_id: $c}\n"
    )
    rt = runtime()
    with pytest.raises(sc.ScenarioError) as err:
        load_scenario(rt, str(bad))
    assert "contact_id" in str(err.value) and err.value.line == 7


def test_same_seed_same_records_for_every_vendor() -> None:
    digests = []
    for _ in range(2):
        rt = runtime()
        load_scenario(rt, "crmcom_accounts")
        load_scenario(rt, "devcrm_sales")
        digests.append([docs(rt, c) for c in rt.store.collections()])
    assert digests[0] == digests[1]


def test_light_leads_score_as_the_api_does() -> None:
    rt = Runtime(Settings(db=":memory:", vendors=("ultra",), now=NOW, seed_on_start=False))
    rt.prepare()
    load_scenario(rt, "load_test_1m", scale=0.005)
    leads = docs(rt, "ultra_leads")
    assert len(leads) == 5000
    assert all(lead["score"] == lead_score(lead) for lead in leads)
    shares = Counter(lead["status"] for lead in leads)
    assert shares["new"] > shares["won"] > shares["lost"] > 0


@pytest.mark.parametrize(
    ("vendor", "generate"),
    [
        ("devcrm", "leads: {count: 50}\n      customers: {count: 20}\n      orders: {per: [1, 2]}"),
        ("crmcom", "contacts: {count: 30, options: {mode: both}}"),
        ("apro", "purchaser: {count: 30}\n      sales: {count: 10}\n      bills: {count: 20}"),
    ],
)
def test_generated_records_on_top_of_the_default_seed(tmp_path, vendor: str, generate: str) -> None:
    """``base: default``: generated records refer to the seeded catalogue, organisations and
    staff, and take ids after the seeded ones."""
    path = tmp_path / "on_default.yaml"
    path.write_text(f"seed: 3\nvendors:\n  {vendor}:\n    base: default\n    generate:\n      {generate}\n")
    rt = runtime()
    load_scenario(rt, str(path))
    assert integrity_problems(rt, limit=5) == []
    if vendor == "devcrm":
        products = {p["id"] for p in docs(rt, "devcrm_products")}
        assert {o["product_id"] for o in docs(rt, "devcrm_orders")} <= products
    if vendor == "crmcom":
        orgs = {o["id"] for o in docs(rt, "crmcom_test_organisations")}
        assert {c["organisation_id"] for c in docs(rt, "crmcom_test_contacts")} - {None} <= orgs
