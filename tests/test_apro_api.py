"""APRO CRM through the real stack: the dialect, every call's happy path and state effects,
the documented filters against references computed here, error keys, limits."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver.vendors.apro.comms import round_5
from mockserver.vendors.apro.seed import CALLS_KEY, DEMO_KEY, LIMITED_KEY, READONLY_KEY, SMS_KEY
from tests.conftest import build_app


@pytest.fixture
def client() -> Iterator[TestClient]:
    app = build_app("apro")
    app.runtime.reset()
    with TestClient(app, base_url="http://testserver") as c:
        yield c


def call(c: TestClient, path: str, params: Any = None, key: str = DEMO_KEY) -> dict[str, Any]:
    body: dict[str, Any] = {"apikey": key}
    if params is not None:
        body["params"] = params
    r = c.post("/sharedapi" + path, json=body)
    assert r.status_code == 200, r.text
    return r.json()


def data(c: TestClient, path: str, params: Any = None, key: str = DEMO_KEY) -> Any:
    out = call(c, path, params, key)
    assert out["status"] == "success", out
    return out["data"]


def fails(
    c: TestClient, path: str, params: Any = None, key: str = DEMO_KEY, code: str = "BAD_PARAMS"
) -> None:
    assert call(c, path, params, key) == {"status": "fail", "message": code}


def every(c: TestClient, path: str, params: dict[str, Any], limit: int = 50) -> list[dict[str, Any]]:
    """All pages of a filter."""
    out, page = [], 1
    while True:
        got = data(c, path, {**params, "page": page, "limit": limit})
        out += got["list"]
        if len(got["list"]) < limit:
            return out
        page += 1


# -- dialect ----------------------------------------------------------------------------------------
def test_envelope_errors(client: TestClient) -> None:
    fails(client, "/stock/types", key="x" * 32, code="ACCESS_DENY")
    fails(client, "/stock/types", key="short", code="ACCESS_DENY")
    r = client.post("/sharedapi/stock/types", json={"params": {}})
    assert r.json() == {"status": "fail", "message": "ACCESS_DENY"}
    fails(client, "/nothing/here", {}, code="BAD_REQUEST")
    fails(client, "/stock/nothing", {}, code="BAD_REQUEST")
    r = client.post(
        "/sharedapi/stock/filter", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert (r.status_code, r.json()) == (200, {"status": "fail", "message": "BAD_PARAMS"})
    r = client.post(
        "/sharedapi/stock/filter", content=b"\xff\xfe", headers={"content-type": "application/json"}
    )
    assert r.json()["status"] == "fail"
    r = client.get("/sharedapi/stock/filter")
    assert (r.status_code, r.json()) == (405, {"status": "fail", "message": "BAD_REQUEST"})
    fails(client, "/stock/filter", {"type": 1, "limit": 501})  # over the documented maximum
    fails(client, "/stock/filter", {"limit": 5})  # type is obligatory


def test_php_form_encoding(client: TestClient) -> None:
    """What APRO's PHP library sends: http_build_query of {apikey, params}."""
    form = (
        f"apikey={DEMO_KEY}&params[type]=1&params[limit]=3&params[fields][0][id]=341"
        "&params[fields][0][value]=%3E%3D 5"
    )
    r = client.post(
        "/sharedapi/stock/filter", content=form, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    got = r.json()
    assert got["status"] == "success" and len(got["data"]["list"]) == 3
    for item in got["data"]["list"]:
        rooms = next(f for f in item["fields"] if f["id"] == "341")["value"]
        assert int(rooms) >= 5
    bad = client.post(
        "/sharedapi/stock/filter",
        content=f"apikey={DEMO_KEY}&params[limit]=abc&params[type]=1",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert bad.json() == {"status": "fail", "message": "BAD_PARAMS"}


def test_array_element_limit(client: TestClient) -> None:
    assert (
        call(client, "/stock/filter", {"type": 1, "byid": [str(10200 + i) for i in range(1000)]})["status"]
        == "success"
    )
    fails(client, "/stock/filter", {"type": 1, "byid": [str(10200 + i) for i in range(1001)]})
    # enclosed arrays count too: 501 ids + 500 groups is over the limit, though each array is under it
    fails(client, "/stock/filter", {"type": 1, "byid": ["10200"] * 501, "groups": ["149"] * 500})
    bills = [{"client_id": 10475, "product": [{"name": "a", "count": 1, "price": 1}] * 2} for _ in range(334)]
    fails(client, "/accounts/add", bills)  # 334 invoices + 668 products


def test_rate_limit_200_per_hour(client: TestClient) -> None:
    for _ in range(200):
        assert call(client, "/managergroup", key=LIMITED_KEY)["status"] == "success"
    fails(client, "/managergroup", key=LIMITED_KEY, code="LIMIT_EXCEEDED")
    assert call(client, "/managergroup")["status"] == "success"  # the demo key is not affected


def test_key_permissions(client: TestClient) -> None:
    assert data(client, "/stock/types", key=READONLY_KEY)
    fails(client, "/stock/delete", [10234], key=READONLY_KEY, code="ACCESS_DENY")
    fails(client, "/stock/types", key=CALLS_KEY, code="ACCESS_DENY")
    assert data(client, "/calls/trunks", key=CALLS_KEY)


# -- reference data -----------------------------------------------------------------------------------
def test_reference_calls(client: TestClient) -> None:
    assert {t["id"] for t in data(client, "/stock/types")} == {"1", "2"}
    cats = data(client, "/stock/category")
    assert set(cats) == {"1", "2"} and all(
        {"id", "tree_id", "tree_parent", "name"} <= set(c) for c in cats["1"]
    )
    fields = data(client, "/stock/fields")
    layout = fields["1"]
    assert set(layout) == {"groups", "fields", "nested_selects", "deleted_fields", "disabled_fields"}
    assert layout["nested_selects"]["722"] == ["723"]
    assert "variants" not in layout["fields"]["723"] and "variants" in layout["fields"]["722"]
    assert layout["deleted_fields"] == ["943", "944", "945"]
    variants = data(client, "/utils/variants", {"property_id": 723})
    assert {v["bind"] for v in variants} == {"1614", "1615"}
    binded = data(client, "/utils/binded", {"bind": "1614"})
    assert {v["id"] for v in binded} == {"1619", "1617", "1616"}
    fails(client, "/utils/variants", {"property_id": 338})
    assert data(client, "/purchaser/fields")["fields"]["25"]["datatype"] == "integer"
    assert set(data(client, "/applications/fields")) == {"1", "2"}
    sales_types = data(client, "/sales/types")
    assert sales_types[0]["stages"][0] == {
        "id": 1,
        "name": "Signing contract",
        "color": "#EDF18A",
        "order": 10,
        "is_success": True,
    }
    sf = data(client, "/sales/fields")["1"]
    assert set(sf) == {"stages", "price_fields", "fields", "nested_selects"}
    assert [t["id"] for t in data(client, "/applications/types")] == ["1", "2"]
    assert data(client, "/managergroup")[0] == {"id": "149", "name": "Car dealer #1"}
    assert data(client, "/worker/department")[0]["name"] == "Guidance"
    assert data(client, "/worker/filiation")[0]["name"] == "East London"
    assert [f["id"] for f in data(client, "/worker/fields")] == ["1", "6", "7", "8", "12"]


def test_worker_filter(client: TestClient) -> None:
    users = data(client, "/worker/filter", {"id": [47]})
    assert list(users) == ["47"]
    nolan = users["47"]
    assert (nolan["name"], nolan["surname"], nolan["patronymic"], nolan["type"]) == (
        "Nolan",
        "Mark",
        "Adam",
        "admin",
    )
    assert set(nolan["avatars"]) == {"original", "170", "55", "40", "30"}
    assert data(client, "/worker/filter", {"surname": "mark"}).keys() == {"47"}
    assert data(client, "/worker/filter", {"email": "nolanma@"}).keys() == {"47"}
    everyone = data(client, "/worker/filter", {})
    branch2 = data(client, "/worker/filter", {"suboffice_id": [2]})
    assert set(branch2) == {k for k, w in everyone.items() if w["suboffice_id"] == "2"}
    remote = data(client, "/worker/filter", {"fields": [{"id": 12, "value": "1"}]})
    assert set(remote) == {k for k, w in everyone.items() if w["fields"].get("12", {}).get("value") == "1"}


def test_publications(client: TestClient) -> None:
    root = data(client, "/publication/list", {"parent_id": 0})
    assert root["1"] == {
        "id": "1",
        "description": "",
        "news": "1",
        "date_news": "2011-06-01 00:00:00",
        "title": "News",
        "publ": "1",
        "childs": True,
    }
    post = data(client, "/publication/single", {"id": 871})["871"]
    assert post["title"] == "Report #73 from 22.07.2014" and post["files"]["2484"]["title"] == "73_2014.pdf"
    assert [c["id"] for c in post["childs"]] == ["873"]
    assert data(client, "/publication/list", {"parent_id": 871}).keys() == {"873"}
    fails(client, "/publication/single", {"id": 999999})
    fails(client, "/publication/list", {})


# -- objects ------------------------------------------------------------------------------------------
def test_stock_insert_update_delete(client: TestClient) -> None:
    entry = {
        "parent": 2,
        "name": "Ford Fusion",
        "author": 47,
        "additional_author": [48, 49, 50],
        "associated_with_customer": 10643,
        "fields": [
            {"id": 341, "value": "3"},
            {"id": 350, "value": {"lat": "55.753366", "lon": "37.620908"}},
            {"id": 352, "value": ["1", "3"]},
            {"id": 344, "value": "2014-03-14"},
            {"id": 345, "value": "2014-03-14 21:34:05"},
            {"id": 346, "value": "21:34:05"},
            {"id": 347, "value": 1},
            {"id": 349, "value": ["1605", "1606"]},
            {"id": 339, "value": 5000},
            {"id": 722, "value": "1614"},
            {"id": 723, "value": "1619"},
        ],
    }
    (new_id,) = data(client, "/stock/insert", [entry])
    assert isinstance(new_id, int) and new_id > 10499
    got = data(client, "/stock/filter", {"type": 1, "byid": new_id})
    assert got["count"] == "1"
    item = got["list"][0]
    assert item["id"] == str(new_id) and item["author"] == "47" and item["additional_author"] == [48, 49, 50]
    assert item["customer_relation"] == "10643" and item["stock_activity_type"] == "create"
    values = {f["id"]: f["value"] for f in item["fields"]}
    assert (
        values["350"] == "55.753366 37.620908" and values["352"] == ["1", "3"] and values["339"] == "5000.00"
    )
    assert values["349"] == ["1605", "1606"] and values["347"] == "1"
    assert data(
        client,
        "/stock/update",
        [{"id": new_id, "name": "Renamed", "additional_author": False, "fields": [{"id": 341, "value": 4}]}],
    ) == [new_id]
    item = data(client, "/stock/filter", {"type": 1, "byid": new_id})["list"][0]
    assert (
        item["name"] == "Renamed"
        and item["additional_author"] == []
        and item["stock_activity_type"] == "edit"
    )
    assert {f["id"]: f["value"] for f in item["fields"]}["341"] == "4"
    attach = data(client, "/purchaser/attach", {"ids": 10643})["10643"]
    assert str(new_id) in attach["stock"]
    assert data(client, "/stock/delete", [new_id]) == [new_id]
    assert data(client, "/stock/filter", {"type": 1, "byid": new_id})["count"] == "0"
    assert data(client, "/stock/filter", {"type": 1, "byid": new_id, "publish": 0})["count"] == "1"
    attach = data(client, "/purchaser/attach", {"ids": [10643]})["10643"]
    assert str(new_id) in attach["stock_archive"] and str(new_id) not in attach["stock"]


@pytest.mark.parametrize(
    "bad_entry",
    [
        {"name": "no parent"},
        {"parent": 99, "name": "unknown category"},
        {"parent": 1, "author": 9999},
        {"parent": 1, "associated_with_customer": 1},
        {"parent": 1, "fields": [{"id": 341, "value": "three"}]},
        {"parent": 1, "fields": [{"id": 344, "value": "14.03.2014"}]},
        {"parent": 1, "fields": [{"id": 345, "value": "2014-03-14"}]},
        {"parent": 1, "fields": [{"id": 346, "value": "25:00:00"}]},
        {"parent": 1, "fields": [{"id": 347, "value": "2"}]},
        {"parent": 1, "fields": [{"id": 348, "value": "1605"}]},
        {"parent": 1, "fields": [{"id": 350, "value": {"lat": 91, "lon": 0}}]},
        {"parent": 1, "fields": [{"id": 352, "value": ["5", "1"]}]},
        {"parent": 1, "fields": [{"id": 351, "value": "never-uploaded.jpg"}]},
        {"parent": 1, "fields": [{"id": 943, "value": "deleted"}]},
        {"parent": 1, "fields": [{"id": 1023, "value": "disabled"}]},
        {"parent": 1, "fields": [{"id": 361, "value": 100}]},  # a field of the other object type
        {
            "parent": 1,
            "fields": [{"id": 722, "value": "1614"}, {"id": 723, "value": "1620"}],
        },  # wrong binding
    ],
)
def test_stock_insert_rejects(client: TestClient, bad_entry: dict[str, Any]) -> None:
    before = data(client, "/stock/filter", {"type": 1})["count"]
    fails(client, "/stock/insert", [{"parent": 1, "name": "fine"}, bad_entry])
    assert data(client, "/stock/filter", {"type": 1})["count"] == before  # nothing was added


def test_stock_filters_against_reference(client: TestClient) -> None:
    everything = every(client, "/stock/filter", {"type": 1}, limit=500)
    assert len(everything) == int(data(client, "/stock/filter", {"type": 1})["count"])
    assert [int(i["id"]) for i in everything] == sorted((int(i["id"]) for i in everything), reverse=True)

    def value(item: dict[str, Any], fid: str) -> Any:
        return next(f["value"] for f in item["fields"] if f["id"] == fid)

    got = every(client, "/stock/filter", {"type": 1, "fields": [{"id": 341, "value": "3 & 10"}]})
    assert {i["id"] for i in got} == {
        i["id"] for i in everything if value(i, "341") and 3 <= int(value(i, "341")) <= 10
    }
    got = every(client, "/stock/filter", {"type": 1, "fields": [{"id": 339, "value": "<= 300000"}]})
    assert {i["id"] for i in got} == {
        i["id"] for i in everything if value(i, "339") and float(value(i, "339")) <= 300000
    }
    got = every(client, "/stock/filter", {"type": 1, "fields": [{"id": 344, "value": ">= 2025-01-01"}]})
    assert {i["id"] for i in got} == {i["id"] for i in everything if (value(i, "344") or "") >= "2025-01-01"}
    got = every(client, "/stock/filter", {"type": 1, "fields": [{"id": 349, "value": "1605"}]})
    assert {i["id"] for i in got} == {i["id"] for i in everything if "1605" in (value(i, "349") or [])}
    got = every(client, "/stock/filter", {"type": 1, "category": 1, "nested": "true"})
    assert {i["id"] for i in got} == {i["id"] for i in everything if i["parent"] in ("1", "2", "3")}
    got = every(client, "/stock/filter", {"type": 1, "category": 1})
    assert {i["id"] for i in got} == {i["id"] for i in everything if i["parent"] == "1"}
    got = every(client, "/stock/filter", {"type": 1, "search": "cottage"})
    assert {i["id"] for i in got} >= {i["id"] for i in everything if "cottage" in i["name"].lower()}
    span = {"from": "2025-06-01", "to": "2025-09-30"}
    got = every(client, "/stock/filter", {"type": 1, "date": span})
    assert {i["id"] for i in got} == {
        i["id"] for i in everything if "2025-06-01" <= i["date_add"][:10] <= "2025-09-30"
    }
    got = every(client, "/stock/filter", {"type": 1, "date": span, "date_field": "stock_activity_date"})
    expected = {i["id"] for i in everything if "2025-06-01" <= i["stock_activity_date"][:10] <= "2025-09-30"}
    assert {i["id"] for i in got} == expected
    got = every(client, "/stock/filter", {"type": 1, "order": "asc", "order_field": "stock_activity_date"})
    assert [i["stock_activity_date"] for i in got] == sorted(i["stock_activity_date"] for i in everything)
    got = every(client, "/stock/filter", {"type": 1, "manager": 47})
    assert {i["id"] for i in got} == {i["id"] for i in everything if i["author"] == "47"}
    deleted = every(client, "/stock/filter", {"type": 1, "publish": 0})
    assert deleted and all(i["publish"] == 0 for i in deleted)
    page2 = data(client, "/stock/filter", {"type": 1, "limit": 7, "page": 2})["list"]
    assert [i["id"] for i in page2] == [i["id"] for i in everything[7:14]]


# -- contacts, activities, deals -----------------------------------------------------------------------
def test_purchaser_cycle_and_filters(client: TestClient) -> None:
    new = {
        "name": "John",
        "surname": "Doe",
        "source": "mobile",
        "manager_id": 47,
        "marktype": 1,
        "email": [{"mail": "john.doe@example.org", "comment": ""}],
        "phone": ["1555 XXX 0101"],
        "fields": [{"id": 25, "value": 34}, {"id": 30, "value": "1701"}, {"id": 31, "value": "1712"}],
    }
    (cid,) = data(client, "/purchaser/insert", [new])
    found = data(client, "/purchaser/filter", {"search": "john.doe@example"})
    assert [c["id"] for c in found["list"]] == [str(cid)]
    contact = found["list"][0]
    assert contact["markname"] == "Buyer" and contact["phone"] == [{"phone": "1555 XXX 0101", "comment": ""}]
    assert contact["fields"]["25"] == {"id": "25", "datatype": "integer", "value": "34"}
    data(client, "/purchaser/update", [{"id": cid, "manager_id": 48}])
    contact = data(client, "/purchaser/filter", {"byid": cid})["list"][0]
    assert contact["manager_id"] == "48" and contact["customer_activity_type"] == "supervisor"
    everyone = every(client, "/purchaser/filter", {})
    legal = every(client, "/purchaser/filter", {"nattype": "legal_entity"})
    assert {c["id"] for c in legal} == {c["id"] for c in everyone if c["nattype"] == "legal_entity"}
    aged = every(client, "/purchaser/filter", {"fields": [{"id": 25, "value": ">= 20"}]})
    assert {c["id"] for c in aged} == {
        c["id"] for c in everyone if "25" in c["fields"] and int(c["fields"]["25"]["value"]) >= 20
    }
    fails(client, "/purchaser/filter", {"limit": 51})
    fails(client, "/purchaser/insert", [{"name": "x", "source": "fax"}])
    data(client, "/purchaser/delete", [cid])
    assert data(client, "/purchaser/filter", {"byid": cid})["count"] == "0"


def test_applications_cycle(client: TestClient) -> None:
    fails(client, "/applications/insert", [{"request_type": 1}])  # customers_id is obligatory
    fails(client, "/applications/insert", [{"customers_id": 10607, "request_type": 9}])
    fails(client, "/applications/insert", [{"customers_id": 10607, "request_type": 1, "status": "lost"}])
    (rid,) = data(
        client,
        "/applications/insert",
        [
            {
                "customers_id": 10607,
                "request_type": 1,
                "employee_id": 47,
                "comment": "Wants a loft",
                "request_name": "Application for loan",
                "status": "mustbeprocessed",
                "source": "help_manager",
                "fields": [{"id": 67, "value": "250000"}],
            }
        ],
    )
    item = data(client, "/applications/filter", {"byid": rid})["list"][0]
    assert item["request_type_name"] == "Request for rent" and item["status"] == "mustbeprocessed"
    assert item["customer_id"] == "10607" and item["fields"]["67"]["value"] == "250000.00"
    by_surname = every(client, "/applications/filter", {"search": "moore"})
    assert str(rid) in {i["id"] for i in by_surname}
    data(client, "/applications/update", [{"id": rid, "status": "processed"}])
    item = data(client, "/applications/filter", {"byid": rid})["list"][0]
    assert item["status"] == "processed" and item["request_activity_type"] == "status"
    everything = every(client, "/applications/filter", {})
    chosen = every(client, "/applications/filter", {"statuses": ["processed", "postponed"], "types": [1]})
    assert {i["id"] for i in chosen} == {
        i["id"]
        for i in everything
        if i["status"] in ("processed", "postponed") and i["request_type_id"] == "1"
    }
    mine = every(client, "/applications/filter", {"customer": 10607})
    assert str(rid) in {i["id"] for i in mine} and all(i["customer_id"] == "10607" for i in mine)
    attach = data(client, "/purchaser/attach", {"ids": [10607]})["10607"]
    assert str(rid) in attach["request"]
    data(client, "/applications/delete", [rid])
    assert str(rid) not in data(client, "/purchaser/attach", {"ids": [10607]})["10607"]["request"]


def test_sales_cycle_and_details(client: TestClient) -> None:
    fails(client, "/sales/insert", [{"sales_type_id": 1, "sales_status_id": 4}])  # stage of another type
    (sid,) = data(
        client,
        "/sales/insert",
        [
            {
                "customers_id": 10607,
                "employee_id": 47,
                "sales_type_id": 1,
                "sale_name": "In stock",
                "fields": [{"id": 375, "value": "12000"}],
            }
        ],
    )
    got = data(client, "/sales/filter", {"byid": sid})
    assert got["count"] == 1
    sale = got["list"][0]
    assert sale["id"] == sid and sale["sales_status_id"] == 1 and sale["customers_id"] == 10607
    data(client, "/sales/update", [{"id": sid, "sales_status_id": 3}])
    sale = data(client, "/sales/filter", {"byid": sid})["list"][0]
    assert sale["sales_status_id"] == 3 and sale["sale_activity_type"] == "stage"
    everything = every(client, "/sales/filter", {})
    staged = every(client, "/sales/filter", {"stage": [1, 2]})
    assert {s["id"] for s in staged} == {s["id"] for s in everything if s["sales_status_id"] in (1, 2)}
    details = data(client, "/sales/details", {"ids": [sid, 420]})
    assert set(details) == {str(sid), "420"}
    assert set(details["420"]) == {
        "cocustomers",
        "corequests",
        "costock",
        "costockprimary",
        "cosales",
        "bills",
        "blanks",
    }
    (bill,) = data(
        client,
        "/accounts/add",
        [
            {
                "date_create": "2015-10-06",
                "client_id": 10607,
                "my_company_id": 2,
                "sale_id": sid,
                "product": [{"name": "Fee", "count": 1, "price": 10}],
            }
        ],
    )
    assert details and data(client, "/sales/details", {"ids": sid})[str(sid)]["bills"] == [str(bill["id"])]
    fails(client, "/sales/details", {"ids": [999999]})


def test_comments(client: TestClient) -> None:
    everything = {}
    for kind, path, ids in (
        ("stock", "/stock/comments", range(10200, 10500)),
        ("sale", "/sales/comments", range(400, 500)),
    ):
        got = data(client, path, {"entity_id": list(map(str, ids))})
        for eid, comments in got.items():
            assert all(c["parent_type"] == kind and c["parent_id"] == eid for c in comments)
        everything[kind] = got
    with_files = [c for cs in everything["stock"].values() for c in cs if c["files"]]
    contact_comments = data(client, "/purchaser/comments", {"entity_id": 10607})["10607"]
    assert all(c["customer_id"] == "10607" for c in contact_comments)
    one = data(client, "/applications/comments", {"entity_id": "1355"})
    assert list(one) == ["1355"]
    fails(client, "/stock/comments", {"entity_id": 1})
    fails(client, "/stock/comments", {})
    assert isinstance(with_files, list)


# -- invoices -----------------------------------------------------------------------------------------
def test_accounts_default_filter_and_search(client: TestClient) -> None:
    got = data(client, "/accounts/get", {})
    assert got["filter"] == {
        "page": 1,
        "limit": 1000,
        "order": "b.id",
        "orderType": "DESC",
        "type": "all",
        "bill_active": 1,
        "client_id": 0,
    }
    ids = [int(b["id"]) for b in got["list"]]
    assert ids == sorted(ids, reverse=True) and all(b["bill_active"] == "1" for b in got["list"])
    assert got["total"] == len(got["list"])
    inactive = data(client, "/accounts/get", {"active": 0})["list"]
    assert inactive and all(b["bill_active"] == "0" for b in inactive)
    outgoing = data(client, "/accounts/get", {"type": "out"})["list"]
    assert {b["id"] for b in outgoing} == {b["id"] for b in got["list"] if b["type"] == "out"}
    part = data(client, "/accounts/get", {"pay_status": "part"})["list"]
    assert {b["id"] for b in part} == {b["id"] for b in got["list"] if b["pay_status"] == "part"}
    window = data(client, "/accounts/get", {"date_start": "01.06.2025", "date_end": "2025-09-30"})["list"]
    assert {b["id"] for b in window} == {
        b["id"] for b in got["list"] if "2025-06-01" <= b["date_create"] <= "2025-09-30"
    }
    by_number = data(client, "/accounts/get", {"search": "112"})["list"]
    assert "112" in {b["id"] for b in by_number}
    ordered = data(client, "/accounts/get", {"order": "b.date_create", "orderType": "asc"})["list"]
    assert [b["date_create"] for b in ordered] == sorted(b["date_create"] for b in got["list"])
    assert {b["id"] for b in data(client, "/accounts/get", {"ids": "112,113"})["list"]} <= {"112", "113"}
    with_sale = data(client, "/accounts/get", {"sale_id": 406, "not_sale_id": 406})[
        "list"
    ]  # not_sale_id ignored
    assert all(b["sale_id"] == "406" for b in with_sale)


def test_accounts_add_errors_and_full(client: TestClient) -> None:
    results = data(
        client,
        "/accounts/add",
        [
            {
                "date_create": "2015-10-06",
                "product": [{"count": 10, "name": "Stationery", "price": 500}],
                "client_id": 10475,
                "client_company_id": 84,
                "my_company_id": 2,
                "nds": 0,
                "type": "out",
            },
            {"my_company_id": 2},
            {
                "client_id": 10475,
                "my_company_id": 2,
                "date_create": "2015-10-06",
                "product": [{"name": "no price"}],
            },
        ],
    )
    assert results[0]["stat"] == 1 and isinstance(results[0]["id"], int)
    assert results[1] == {
        "stat": 0,
        "error": [
            {"key": 1, "mes": "Contact not specified"},
            {"key": 3, "mes": "Date not specified"},
            {"key": 4, "mes": "List of objects not specified"},
        ],
    }
    assert [e["key"] for e in results[2]["error"]] == [5]
    assert [e["key"] for e in data(client, "/accounts/add", [{"client_id": 10475}])[0]["error"]] == [2, 3, 4]
    full = data(client, "/accounts/get_full", {"ids": results[0]["id"]})
    assert full["summ"] == "5000.00" and full["to_pay"] == "5000.00" and full["pay_status"] == "not"
    assert full["client"]["id"] == "10475" and full["my_company"]["name"] == "Basic payment details"
    assert full["products"][0]["summary"] == "5000.00"
    assert isinstance(data(client, "/accounts/get_full", {"ids": [results[0]["id"], 112]}), list)
    fails(client, "/accounts/get_full", {"ids": [999999]})


def test_accounts_update_edit_set_pay(client: TestClient) -> None:
    (added,) = data(
        client,
        "/accounts/add",
        [
            {
                "date_create": "2015-10-06",
                "client_id": 10475,
                "my_company_id": 2,
                "product": [{"count": 2, "name": "Item", "price": 100}],
            }
        ],
    )
    bid = added["id"]
    assert data(
        client,
        "/accounts/update",
        [{"bill_id": bid, "product": [{"count": 3, "name": "Item", "price": 100}]}],
    )[0] == {"id": bid, "stat": 1}
    assert data(client, "/accounts/get_full", {"ids": bid})["summ"] == "300.00"
    assert data(client, "/accounts/update", [{"bill_id": 999999}])[0]["error"][0]["key"] == 7
    # billsUpdate is documented at accounts/add: an item with bill_id updates
    assert data(client, "/accounts/add", [{"bill_id": bid, "nds": 10}])[0] == {"id": bid, "stat": 1}
    assert data(client, "/accounts/get_full", {"ids": bid})["total"] == "330.00"
    edit = {"key": 1, "mes": 'Obligatory parameter "bill_id" not submitted'}
    assert data(client, "/accounts/edit", {"date_create": "2015-10-06"}) == {"stat": 0, "error": edit}
    assert data(client, "/accounts/edit", {"bill_id": bid, "date_create": "31-02-2015"})["error"]["key"] == 2
    assert data(client, "/accounts/edit", {"bill_id": bid, "sale_id": 999999})["error"]["key"] == 3
    assert data(client, "/accounts/edit", {"bill_id": bid, "client_id": 999999})["error"]["key"] == 4
    assert data(
        client, "/accounts/edit", {"bill_id": bid, "date_create": "07-10-2015", "outer_id": "X-1"}
    ) == {"stat": 1}
    full = data(client, "/accounts/get_full", {"ids": bid})
    assert full["date_create"] == "2015-10-07" and full["outer_id"] == "X-1"
    assert data(client, "/accounts/set_pay", {}) == {
        "stat": 0,
        "status_pay": "not",
        "error": {"key": 6, "mes": 'Obligatory parameter "ID" not submitted'},
    }
    assert data(client, "/accounts/set_pay", {"id": 999999, "pay": 1})["error"]["key"] == 7
    assert data(client, "/accounts/set_pay", {"id": bid, "pay": 100}) == {"stat": 1, "status_pay": "part"}
    assert data(client, "/accounts/set_pay", {"id": bid, "pay": "230"}) == {"stat": 1, "status_pay": "full"}
    full = data(client, "/accounts/get_full", {"ids": bid})
    assert full["pay"] == "330.00" and full["to_pay"] == "0.00"
    assert bid in {int(b["id"]) for b in data(client, "/accounts/get", {"pay_status": "full"})["list"]}


# -- calls, conversations, organizer -------------------------------------------------------------------
def test_calls(client: TestClient) -> None:
    assert data(client, "/calls/trunks")[0] == {
        "trunk_id": "4",
        "name": "1349 XXX 3456",
        "prov": "MANGO",
        "phone": "1349 XXX 3456",
        "take_input": "1",
    }
    assert set(data(client, "/calls/phoneNumbers")) == {"in", "out"}
    assert [s["text"] for s in data(client, "/calls/statuses")] == ["To processing", "Urgent", "Call back"]
    history = data(client, "/calls/history", {})
    assert [c["date_time"] for c in history] == sorted((c["date_time"] for c in history), reverse=True)
    incoming = data(client, "/calls/history", {"type": "in"})
    assert {c["id"] for c in incoming} == {c["id"] for c in history if c["is_incoming"] == "1"}
    window = data(client, "/calls/history", {"dateFrom": "2025-10-01", "dateTo": "2025-11-30 23:59:59"})
    assert {c["id"] for c in window} == {
        c["id"] for c in history if "2025-10-01" <= c["date_time"] <= "2025-11-30 23:59:59"
    }
    unique = "ewegm0nrsy4nzbz4t48e7lp403dngr8v"
    call_params = {
        "uniqueId": unique,
        "from": "1937 XXX 8888",
        "to": "1749 XXX 3456",
        "trunkId": 4,
        "timestamp": 1469103107,
        "isIncoming": "true",
        "callDuration": 64,
        "isAnswered": 0,
        "customStatus": 2,
    }
    assert data(client, "/calls/import", call_params) == {"result": True, "callId": unique}
    assert data(client, "/calls/import", call_params)["result"] is False  # the same uniqueId again
    mine = data(client, "/calls/history", {"fromPhone": "1937 XXX 8888"})
    assert (
        len(mine) == 1 and mine[0]["date_time"] == "2016-07-21 12:11:47" and mine[0]["call_duration"] == "64"
    )
    assert data(client, "/calls/update", {"uniqueId": unique, "isAnswered": 1, "url": "https://x/rec.mp3"})[
        "result"
    ]
    updated = data(client, "/calls/history", {"fromPhone": "1937 XXX 8888"})[0]
    assert updated["is_answered"] == "1" and updated["url_record"] == "https://x/rec.mp3"
    assert data(client, "/calls/update", {"uniqueId": "0" * 32})["result"] is False
    batch = data(
        client, "/calls/importall", {"calls": [{**call_params, "uniqueId": f"{i:032d}"} for i in range(3)]}
    )
    assert [r["result"] for r in batch] == [True, True, True]
    fails(client, "/calls/history", {"limit": 1001})


def test_externaldialogs(client: TestClient) -> None:
    created = data(
        client,
        "/externaldialogs/insert",
        {"customer": 10607, "dialog": {"name": "Viber", "employees": [47, 48]}},
    )
    assert len(created["clientkey"]) == 32 and isinstance(created["dialogid"], int)
    again = data(client, "/externaldialogs/insert", {"customer": 0, "dialog": {"id": created["dialogid"]}})
    assert set(again) == {"clientkey"} and again["clientkey"] != created["clientkey"]
    assert data(client, "/externaldialogs/update", {"id": created["dialogid"], "name": "Viber bot"}) == {
        "status": True
    }
    types = data(client, "/externaldialogs/dialogtypeslist", {"count": 10})["list"]
    assert {"id": str(created["dialogid"]), "name": "Viber bot", "employees": ["47", "48"]} in types
    history = data(
        client,
        "/externaldialogs/history",
        {"group": created["dialogid"], "client": created["clientkey"], "date": 1474635572668},
    )
    assert history == {"list": [], "total": 0}
    fails(client, "/externaldialogs/history", {"group": 1, "client": "nope", "date": 1})
    fails(client, "/externaldialogs/dialogtypeslist", {"count": 9})
    fails(client, "/externaldialogs/insert", {"dialog": {}})


def test_externaldialogs_seeded_history() -> None:
    app = build_app("apro")
    app.runtime.reset()
    store = app.runtime.store
    vendor = app.runtime.vendors["apro"]
    client_doc = next(store.scan(vendor.collection("dialog_clients")))
    with TestClient(app) as c:
        got = data(
            c,
            "/externaldialogs/history",
            {"group": client_doc["dialog"], "client": client_doc["id"], "date": 99999999999999, "count": 10},
        )
        assert got["total"] >= 3 and [m["date"] for m in got["list"]] == sorted(
            (m["date"] for m in got["list"]), reverse=True
        )
        unread = data(c, "/externaldialogs/notread", {"groups": [1, 2, 3], "client": client_doc["id"]})[
            "list"
        ]
        expected = [
            m["hash"]
            for m in store.scan(vendor.collection("dialog_messages"))
            if m["client"] == client_doc["id"] and not m["status"]
        ]
        assert sorted(h for hs in unread.values() for h in hs) == sorted(expected)


def test_org_events(client: TestClient) -> None:
    event = {
        "title": "Viewing",
        "date": "2017-04-27T10:49:48+04:00",
        "duration": 15,
        "remind_active": "yes",
        "remind_before": 15,
        "description": "Flat 3",
    }
    got = data(client, "/org_events/insert", {"event": event, "users": {"47": "root", "48": "simple"}})[
        "event"
    ]
    assert (got["year"], got["month"], got["day"], got["weekday"], got["hour"], got["minute"]) == (
        "2017",
        "04",
        "27",
        "4",
        "06",
        "50",
    )
    eid = got["id"]
    js = data(
        client, "/org_events/insert", {"event": {"title": "JS", "date": "Thu Apr 27 2017 18:01:00 GMT+0000"}}
    )
    assert (js["event"]["hour"], js["event"]["minute"]) == ("18", "00")
    plain = data(client, "/org_events/insert", {"event": {"title": "GMT", "date": "2017-04-27 18:03:00"}})[
        "event"
    ]
    assert (plain["hour"], plain["minute"]) == ("18", "05")
    fails(client, "/org_events/insert", {"event": {"title": "x", "date": "2017-04-27 18:03", "duration": 7}})
    fails(client, "/org_events/insert", {"event": {"title": "no date"}})
    fails(client, "/org_events/insert", {"event": {"title": "x", "date": "yesterday"}})
    full = data(client, "/org_events/get", {"id": eid})
    assert full["users"] == {"47": "root", "48": "simple"} and full["event"]["description"] == "Flat 3"
    updated = data(client, "/org_events/update", {"event": {"id": eid, "title": "Second viewing"}})["event"]
    assert updated["title"] == "Second viewing" and updated["minute"] == "50"
    assert data(client, "/org_events/delete", {"id": eid})["event"]["publ"] == "0"
    listed = data(client, "/org_events/list", {"publ": 0, "count": 50})
    assert eid in {e["id"] for e in listed["list"]} and all(e["publ"] == "0" for e in listed["list"])
    assert data(client, "/org_events/update", {"event": {"id": eid, "publ": "1"}})["event"]["publ"] == "1"
    everything = data(client, "/org_events/list", {"publ": "all", "count": 50})
    assert everything["total"] == len(everything["list"]) or everything["total"] > 50
    window = data(
        client, "/org_events/list", {"filters": {"date_from": "2017-04-27", "date_to": "2017-04-27"}}
    )
    assert {e["title"] for e in window["list"]} == {"Second viewing", "JS", "GMT"}
    fails(client, "/org_events/get", {"id": 999999})
    fails(client, "/org_events/list", {"count": 51})


def test_round_5() -> None:
    from datetime import UTC, datetime

    for given, want in (
        ("18:01:00", "18:00"),
        ("18:03:00", "18:05"),
        ("18:02:29", "18:00"),
        ("18:57:31", "19:00"),
    ):
        moment = datetime.fromisoformat(f"2017-04-27 {given}").replace(tzinfo=UTC)
        assert round_5(moment).strftime("%H:%M") == want


# -- online forms, files, SMS ---------------------------------------------------------------------------
def test_online_form_fill_creates_contact_and_activity(client: TestClient) -> None:
    form = client.post("/onlineforms", json={"action": "get", "form": "1"}).json()
    assert form["formtype"] == "1" and form["name"] == "Application for loan"
    assert set(form["def_customer"]) == {"surname", "name", "patronymic", "email", "phone"}
    assert form["ext_customer"]["31"]["parent"] == "30"
    filled = {
        "def_customer": {
            "surname": "Lee",
            "name": "Ann",
            "patronymic": "",
            "email": "ann.lee@example.org",
            "phone": "1555 XXX 7777",
        },
        "ext_customer": {"25": {"value": "41"}},
        "ext_request": {"67": {"value": "150000"}},
        "def_stock": {"name": "My flat", "parent": "2"},
        "ext_stock": {"341": {"value": "2"}},
    }
    r = client.post(
        "/onlineforms", json={"action": "fill", "formtype": "1", "host": "sitename.com", "data": filled}
    )
    answer = r.json()
    assert answer["status"] == "success"
    request = data(client, "/applications/filter", {"byid": answer["form"]})["list"][0]
    assert request["source"] == "online_form" and request["request_type_id"] == "1"
    contact = data(client, "/purchaser/filter", {"byid": request["customer_id"]})["list"][0]
    assert contact["surname"] == "Lee" and contact["fields"]["25"]["value"] == "41"
    attach = data(client, "/purchaser/attach", {"ids": request["customer_id"]})[request["customer_id"]]
    assert len(attach["stock"]) == 1
    missing = client.post(
        "/onlineforms", json={"action": "fill", "formtype": "1", "data": {"def_customer": {}}}
    )
    assert missing.json() == {"status": "fail", "message": "BAD_PARAMS"}
    php = client.post(
        "/onlineforms",
        content="action=fill&formtype=2&data[def_customer][name]=Bo&data[def_customer][phone]=1555",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert php.json()["status"] == "success"


def test_upload_and_serve_files(client: TestClient) -> None:
    r = client.post(
        "/sharedapi/utils/upload",
        data={"apikey": DEMO_KEY, "object": "stock"},
        files=[
            ("upload[]", ("photo.jpg", b"\xff\xd8jpeg-bytes", "image/jpeg")),
            ("upload[]", ("plan.pdf", b"%PDF-1.4", "application/pdf")),
        ],
    )
    names = r.json()["data"]["name"]
    assert len(names) == 2 and names[0].endswith(".jpg")
    for prefix in (
        "/files/crm/product/",
        "/files/crm/product/resized200x200/",
        "/files/crm/product/resized800x600/",
    ):
        got = client.get(prefix + names[0])
        assert got.status_code == 200 and got.content == b"\xff\xd8jpeg-bytes"
        assert got.headers["content-type"] == "image/jpeg"
    (sid,) = data(
        client,
        "/stock/insert",
        [{"parent": 1, "name": "With photo", "fields": [{"id": 351, "value": names[0]}]}],
    )
    data(client, "/stock/update", [{"id": sid, "fields": [{"id": 351, "value": names[1], "mode": "insert"}]}])
    item = data(client, "/stock/filter", {"type": 1, "byid": sid})["list"][0]
    assert {f["id"]: f["value"] for f in item["fields"]}["351"] == names
    assert client.get("/files/crm/ribbon/574d479b30ce8.png").status_code == 200
    assert client.get("/files/crm/product/nothing.png").status_code == 404
    r = client.post("/sharedapi/utils/upload", data={"apikey": DEMO_KEY, "object": "stock"})
    assert r.json() == {"status": "fail", "message": "BAD_PARAMS"}
    r = client.post(
        "/sharedapi/utils/upload",
        data={"apikey": "x" * 32, "object": "stock"},
        files=[("upload", ("a.txt", b"a", "text/plain"))],
    )
    assert r.json() == {"status": "fail", "message": "ACCESS_DENY"}


def signed(values: dict[str, Any]) -> dict[str, Any]:
    joined = "".join(str(values[k]) for k in sorted(values))
    return {**values, "hash": hashlib.md5((joined + SMS_KEY).encode()).hexdigest()}


def test_sms_received(client: TestClient) -> None:
    sms = {
        "action": "smsReceived",
        "sms_id": 5,
        "sender": "15551234567",
        "destination": "15550001000",
        "message": "Hello",
        "count": 1,
        "date": 1474635572,
    }
    assert client.post("/sms/gateway", data=signed(sms)).json() == {"success": True}
    assert client.post("/sms/gateway", json=signed(sms)).json() == {"success": True}  # a repeat is fine
    wrong = {**signed(sms), "hash": "0" * 32}
    assert client.post("/sms/gateway", data=wrong).json()["repeat"] is False
    paused = signed({**sms, "destination": "15550009000"})
    assert client.post("/sms/gateway", data=paused).json() == {"success": False, "repeat": True}
    unknown = client.post("/sms/gateway", data=signed({**sms, "destination": "1"})).json()
    assert unknown["success"] is False and unknown["repeat"] is False and unknown["error"]
    assert client.post("/sms/gateway", data=signed({**sms, "sms_id": 0})).json()["success"] is False


def test_sms_send_and_status_progression(client: TestClient) -> None:
    sent = client.post(
        "/sms/provider",
        data=signed(
            {"action": "sendSms", "sender": "APRO", "destination": "15557654321", "message": "x" * 200}
        ),
    ).json()
    assert sent["success"] is True and sent["data"] > 0
    statuses = [
        client.post("/sms/provider", data=signed({"action": "smsStatus", "sms_id": sent["data"]})).json()
        for _ in range(5)
    ]
    assert [s["status"] for s in statuses] == ["new", "inprogress", "send", "delivered", "delivered"]
    assert statuses[0]["count"] == 2
    failed = client.post(
        "/sms/provider",
        data=signed({"action": "sendSms", "sender": "APRO", "destination": "15550000000", "message": "hi"}),
    ).json()
    final = [
        client.post("/sms/provider", data=signed({"action": "smsStatus", "sms_id": failed["data"]})).json()[
            "status"
        ]
        for _ in range(4)
    ][-1]
    assert final == "notdelivered"
    assert (
        client.post("/sms/provider", data=signed({"action": "smsStatus", "sms_id": 1})).json()["status"]
        == "notfound"
    )
    bad = client.post("/sms/provider", data={"action": "sendSms", "hash": "0" * 32}).json()
    assert bad["success"] is False and bad["data"]
