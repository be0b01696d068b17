"""APRO: every request example of the document, sent as written, answered like its documented
example; every example in specs/apro.yaml valid against its schema; the webhooks.

Requests are the document's, section by section. Where it writes a template (``parent: 'Object
category ID'``), the placeholder is replaced by a seeded id and nothing else changes; where it only
lists parameters, every listed parameter is sent with the document's own example values. Answers
are compared by structure with the response examples stored in the spec (which are the
document's): the documented keys are there, with the documented JSON types; maps keyed by ids and
lists are compared element by element.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
import time
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
import yaml
from openapi_schema_validator import OAS30Validator
from starlette.testclient import TestClient

from mockserver.app import create_app
from mockserver.settings import Settings
from mockserver.specs import spec_path
from mockserver.vendors.apro.seed import DEMO_KEY, READONLY_KEY, SMS_KEY
from tests.conftest import build_app

# -- the spec's examples ----------------------------------------------------------------------------


@cache
def spec() -> dict[str, Any]:
    return yaml.safe_load(spec_path("apro").read_text())


def _examples() -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(where, schema, example) for every example of the spec: responses, requests, components."""
    for path, item in spec()["paths"].items():
        for op in item.values():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            media = [
                (f"{path} {code}", m)
                for code, response in op["responses"].items()
                for m in response.get("content", {}).values()
            ]
            media += [(f"{path} request", m) for m in op.get("requestBody", {}).get("content", {}).values()]
            for where, m in media:
                if "example" in m:
                    yield where, m["schema"], m["example"]
                for name, named in m.get("examples", {}).items():
                    yield f"{where} {name}", m["schema"], named["value"]
    for name, schema in spec()["components"]["schemas"].items():
        if "example" in schema:
            yield f"components/{name}", schema, schema["example"]


def validator(schema: dict[str, Any]) -> OAS30Validator:
    return OAS30Validator({**schema, "components": spec()["components"]})


def test_every_spec_example_validates_against_its_schema() -> None:
    examples = list(_examples())
    assert len(examples) >= 75
    for where, schema, example in examples:
        errors = [e.message for e in validator(schema).iter_errors(example)]
        assert not errors, (where, errors[:3])


def documented(path: str, name: str | None = None) -> Any:
    """The spec's (the document's) response example of a call: ``data`` for /sharedapi calls."""
    for item_path, item in spec()["paths"].items():
        if item_path == path:
            media = item["post"]["responses"]["200"]["content"]["application/json"]
            if name is not None:
                return media["examples"][name]["value"]
            return media["example"]["data"]
    raise KeyError(path)


# -- structure comparison ---------------------------------------------------------------------------
def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _id_map(value: dict[str, Any]) -> bool:
    return bool(value) and all(str(k).isdigit() for k in value)


def mismatch(doc: Any, got: Any, where: str = "$") -> str | None:
    """Why ``got`` is not shaped like ``doc`` (None when it is). ``null`` in the document and
    ``{}`` / ``[]`` (its ``{ ... }`` / empty placeholders) accept any value of that kind."""
    if doc is None:
        return None
    if isinstance(doc, dict):
        if not isinstance(got, dict):
            if got == [] and not doc:  # PHP's json_encode writes an empty array for an empty map
                return None
            return f"{where}: object expected, got {_kind(got)}"
        if not doc:
            return None
        if _id_map(doc):
            for key, value in got.items():
                if not str(key).isdigit():
                    return f"{where}: id keys expected, got {key!r}"
                if all(mismatch(d, value, f"{where}.{key}") for d in doc.values()):
                    return mismatch(next(iter(doc.values())), value, f"{where}.{key}")
            return None
        for key, value in doc.items():
            if key not in got:
                return f"{where}: {key!r} missing (has {sorted(got)})"
            problem = mismatch(value, got[key], f"{where}.{key}")
            if problem:
                return problem
        return None
    if isinstance(doc, list):
        if not isinstance(got, list):
            return f"{where}: array expected, got {_kind(got)}"
        for n, item in enumerate(got):
            problems = [mismatch(d, item, f"{where}[{n}]") for d in doc]
            if doc and all(problems):
                return problems[0]
        return None
    kinds = {_kind(doc)} | ({"integer", "number"} if _kind(doc) == "number" else set())
    if where.endswith(".value") and isinstance(doc, str):
        kinds.add("array")  # a field's value follows its data type: multiselect and ranges are arrays
    return None if _kind(got) in kinds else f"{where}: {_kind(doc)} expected, got {_kind(got)} {got!r}"


def test_mismatch_compares_structure() -> None:
    assert mismatch({"a": "1", "b": [1]}, {"a": "x", "b": [2, 3], "c": 0}) is None
    assert mismatch({"a": "1"}, {"a": 1}) == "$.a: string expected, got integer 1"
    assert mismatch({"a": "1"}, {}) is not None
    assert mismatch({"7": {"id": "7"}}, {"1": {"id": "1"}, "2": {"id": "2"}}) is None
    assert mismatch({"7": {"id": "7"}}, {"1": {"id": 1}}) is not None
    assert mismatch([{"x": 1}, {"y": 1}], [{"y": 2}, {"x": 3}]) is None
    assert mismatch([{"x": 1}], [{"y": 2}]) is not None
    assert mismatch({"v": None}, {"v": [1]}) is None and mismatch({}, []) is None


# -- sending the examples ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    """One seeded state for the read-only examples; writing tests use ``fresh``."""
    app = build_app("apro")
    app.runtime.reset()
    with TestClient(app, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def fresh(client: TestClient) -> TestClient:
    client.app.runtime.reset()  # type: ignore[attr-defined]
    return client


def send(c: TestClient, path: str, params: Any = ..., key: str = DEMO_KEY) -> Any:
    """``{apikey, params}`` as JSON (``params`` left out for "Params: no"); the answer's data."""
    body: dict[str, Any] = {"apikey": key}
    if params is not ...:
        body["params"] = params
    r = c.post("/sharedapi" + path, json=body)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["status"] == "success", (path, params, answer)
    assert set(answer) == {"status", "data"}
    return answer["data"]


def like_doc(c: TestClient, path: str, params: Any = ..., doc_path: str | None = None) -> Any:
    got = send(c, path, params)
    problem = mismatch(documented(doc_path or path), got)
    assert problem is None, (path, params, problem)
    return got


def nonempty(got: Any) -> Any:
    """The comparison of an empty list proves nothing: examples are chosen to find records."""
    items = got["list"] if isinstance(got, dict) and "list" in got else got
    assert items, "the example found nothing to compare"
    return got


# Calls the document lists with "Params: no".
NO_PARAMS = [
    "/stock/types",
    "/stock/category",
    "/stock/fields",
    "/worker/fields",
    "/worker/department",
    "/worker/filiation",
    "/managergroup",
    "/purchaser/fields",
    "/applications/types",
    "/applications/fields",
    "/sales/types",
    "/sales/fields",
    "/calls/trunks",
    "/calls/phoneNumbers",
    "/calls/statuses",
]


@pytest.mark.parametrize("path", NO_PARAMS)
def test_calls_without_params(client: TestClient, path: str) -> None:
    nonempty(like_doc(client, path))
    like_doc(client, path, [])  # what the PHP library sends for "no parameters"


# Reading calls: (documented call, params as the document lists them, with its example values).
READS: list[tuple[str, Any]] = [
    ("/utils/variants", {"property_id": 723}),
    ("/utils/binded", {"bind": 1614}),
    ("/publication/list", {"parent_id": 0}),
    ("/publication/single", {"id": 871}),
    ("/stock/filter", {"type": 1}),
    (
        "/stock/filter",
        {
            "type": 1,
            "category": 1,
            "nested": "true",
            "search": "Ford Fusion",
            "groups": ["149"],
            "order": "desc",
            "page": 1,
            "publish": 1,
            "limit": 500,
        },
    ),
    ("/stock/filter", {"type": 1, "byid": 280959, "manager": 47, "associated_with_customer": 278056}),
    (
        "/stock/filter",
        {"type": 1, "fields": [{"id": 341, "value": ">= 3"}, {"id": 339, "value": "<= 900000"}]},
    ),
    ("/stock/filter", {"type": 1, "fields": [{"id": 342, "value": "1 & 30"}]}),
    (
        "/stock/filter",
        {
            "type": 1,
            "date": {"from": "2015-10-29 09:45:23", "to": "2015-11-19 13:05:12"},
            "date_field": "stock_activity_date",
            "order": "asc",
            "order_field": "stock_activity_date",
        },
    ),
    ("/stock/filter", {"type": 1, "date": {"from": "2015-10-29 09:45:23", "to": "2015-11-19 13:05:12"}}),
    ("/stock/filter", {"type": 1, "publish": 0}),
    (
        "/worker/filter",
        {
            "group": 149,
            "id": [47],
            "division_id": [1],
            "suboffice_id": [1],
            "surname": "Mark",
            "name": "Nolan",
            "email": "nolanma@hotmail.com",
            "phone": "1202 XXX 0191",
        },
    ),
    ("/worker/filter", {"fields": [{"id": 1, "value": ">= 1900-01-01"}]}),
    ("/purchaser/filter", {"byid": 10607}),
    (
        "/purchaser/filter",
        {
            "groups": [149, 150, 151],
            "manager": 47,
            "marktype": [0, 1, 2, 3],
            "nattype": "private_individual",
            "search": "Walker",
        },
    ),
    ("/purchaser/filter", {"fields": [{"id": 25, "value": ">= 20"}], "page": 1, "publish": 1, "limit": 50}),
    (
        "/purchaser/filter",
        {
            "date": {"from": "2015-10-29", "to": "2015-11-19"},
            "date_field": "customer_activity_date",
            "order": "asc",
            "order_field": "customer_activity_date",
        },
    ),
    ("/purchaser/filter", {"date": {"from": "2015-10-29", "to": "2015-11-19"}}),
    ("/purchaser/attach", {"ids": [278056]}),
    ("/purchaser/attach", {"ids": 278056}),
    ("/applications/filter", {"byid": 1969}),
    (
        "/applications/filter",
        {
            "search": "Walker",
            "groups": [149],
            "manager": 47,
            "customer": 278056,
            "types": [1],
            "statuses": ["mustbeprocessed"],
            "page": 1,
            "publish": 1,
            "limit": 50,
        },
    ),
    (
        "/applications/filter",
        {
            "date": {"from": "2015-10-29", "to": "2015-11-19"},
            "date_field": "request_activity_date",
            "order": "desc",
            "order_field": "request_activity_date",
        },
    ),
    ("/applications/filter", {"date": {"from": "2015-10-29", "to": "2015-11-19"}}),
    ("/sales/filter", {"byid": 468}),
    (
        "/sales/filter",
        {
            "search": "In stock",
            "type": [1],
            "stage": [1],
            "customer": 278056,
            "manager": 47,
            "page": 1,
            "publish": 1,
            "limit": 50,
        },
    ),
    (
        "/sales/filter",
        {
            "date": {"from": "2015-10-29", "to": "2015-11-19"},
            "date_field": "sale_activity_date",
            "order": "asc",
            "order_field": "sale_activity_date",
        },
    ),
    ("/sales/filter", {"date": {"from": "2015-10-29", "to": "2015-11-19"}}),
    ("/sales/details", {"ids": [468]}),
    ("/stock/comments", {"entity_id": [10234, 10432, 280959]}),
    ("/applications/comments", {"entity_id": 1355}),
    ("/purchaser/comments", {"entity_id": 273954}),
    ("/sales/comments", {"entity_id": [447]}),
    (
        "/accounts/get",
        {
            "page": 1,
            "limit": 1000,
            "order": "b.id",
            "orderType": "DESC",
            "type": "all",
            "bill_active": 1,
            "client_id": 0,
        },
    ),
    (
        "/accounts/get",
        {
            "type": "out",
            "date_start": "01.01.2015",
            "active": 1,
            "orderType": "asc",
            "order": "b.date_create",
            "limit": 1000,
            "page": 1,
        },
    ),
    ("/accounts/get", {"ids": "100,101,102,112"}),
    ("/accounts/get", {"ids": [100, 101], "pay_status": "not"}),
    ("/accounts/get_full", {"ids": 112}),
    ("/calls/history", {}),
    (
        "/calls/history",
        {
            "type": "in",
            "dateFrom": "2015-01-01",
            "dateTo": "2030-12-31 23:59:59",
            "limit": 1000,
            "page": 1,
            "orderField": "date_time",
            "orderType": "DESC",
        },
    ),
    ("/externaldialogs/dialogtypeslist", {"page": 0, "count": 30}),
    ("/externaldialogs/dialogtypeslist", {}),
    ("/org_events/list", {"filters": {}, "publ": 1, "page": 0, "count": 50}),
    ("/org_events/list", {"publ": "all"}),
    ("/org_events/get", {"id": 1}),
]


@pytest.mark.parametrize(("path", "params"), READS, ids=[f"{p}-{i}" for i, (p, _) in enumerate(READS)])
def test_reading_examples(client: TestClient, path: str, params: Any) -> None:
    nonempty(like_doc(client, path, params))


def test_document_records_answer_as_documented(client: TestClient) -> None:
    """The examples whose ids the seed holds answer the document's values, not only its shape."""
    for path, params in (
        ("/purchaser/attach", {"ids": [278056]}),
        ("/sales/details", {"ids": [468]}),
        ("/purchaser/comments", {"entity_id": 273954}),
    ):
        assert send(client, path, params) == documented(path), path
    assert (
        send(client, "/publication/single", {"id": 871})["871"]["files"]
        == documented("/publication/single")["871"]["files"]
    )


def test_full_invoices_for_an_array_of_ids(client: TestClient) -> None:
    """``ids`` - array of invoice IDs: one invoice as documented for each (one id alone: the object)."""
    got = send(client, "/accounts/get_full", {"ids": [112, 113]})
    assert [b["id"] for b in got] == ["112", "113"]
    no_company = {**documented("/accounts/get_full"), "client_company": None}  # 113 has none
    assert mismatch([documented("/accounts/get_full"), no_company], got) is None


def test_call_history_as_written(client: TestClient) -> None:
    one = send(client, "/calls/history", {"limit": 1})[0]
    got = like_doc(client, "/calls/history", {"fromPhone": one["from_phone"], "toPhone": one["to_phone"]})
    assert one["id"] in {c["id"] for c in got}


def test_externaldialogs_history_and_notread(client: TestClient) -> None:
    runtime = client.app.runtime  # type: ignore[attr-defined]
    seeded = next(runtime.store.scan(runtime.vendors["apro"].collection("dialog_clients")))
    params = {
        "group": seeded["dialog"],
        "client": seeded["id"],
        "date": 99999999999999,
        "page": 0,
        "count": 30,
    }
    nonempty(like_doc(client, "/externaldialogs/history", params))
    like_doc(client, "/externaldialogs/notread", {"groups": [1, 2, 3], "client": seeded["id"]})


# -- writing calls ----------------------------------------------------------------------------------
def upload(c: TestClient, name: str = "photo.jpg") -> str:
    """Utilities / Files upload, as documented: ``object`` and the file in ``upload``."""
    r = c.post(
        "/sharedapi/utils/upload",
        data={"apikey": DEMO_KEY, "object": "stock"},
        files=[("upload", (name, b"\xff\xd8jpeg", "image/jpeg"))],
    )
    answer = r.json()
    assert answer["status"] == "success" and mismatch(documented("/utils/upload"), answer["data"]) is None
    return answer["data"]["name"]


def test_upload_example(fresh: TestClient) -> None:
    name = upload(fresh)
    assert fresh.get(f"/files/crm/product/{name}").status_code == 200
    r = fresh.post(
        "/sharedapi/utils/upload",
        data={"apikey": DEMO_KEY, "object": "stock"},
        files=[("upload[]", ("a.jpg", b"a", "image/jpeg")), ("upload[]", ("b.pdf", b"b", "application/pdf"))],
    )
    assert len(r.json()["data"]["name"]) == 2  # "array of values for multiple uploads"


def stock_entry(file_name: str) -> dict[str, Any]:
    """The document's insert element; placeholders -> seeded ids, everything else as written."""
    return {
        "parent": 1,  # 'Object category ID (obligatory field)'
        "name": "Name",
        "author": 47,  # 'Supervisor ID or 0'
        "additional_author": [48, 49, 50],
        "associated_with_customer": 10643,
        "fields": [
            {"id": 338, "value": "Property value"},  # 'Property ID' of a text field
            {"id": 350, "value": {"lat": "55.753366", "lon": "37.620908"}},  # geocoordinate
            {"id": 352, "value": ["1", "3"]},  # range of values: ['value from', 'value to']
            {"id": 351, "value": file_name},  # a field of type "file"
        ],
    }


def test_stock_insert_update_delete_as_written(fresh: TestClient) -> None:
    name = upload(fresh)
    entry = stock_entry(name)
    ids = like_doc(fresh, "/stock/insert", [entry, dict(entry)])  # {same as previous element}
    assert len(ids) == 2 and all(isinstance(i, int) for i in ids)
    second = upload(fresh, "plan.jpg")
    edited = {
        "id": ids[0],  # 'ID of existing object'
        **{k: v for k, v in entry.items() if k != "fields"},
        "fields": [
            {"id": 338, "value": "Property value"},
            {"id": 351, "value": second, "mode": "insert"},
        ],
    }
    assert (
        like_doc(fresh, "/stock/update", [edited, {**edited, "id": ids[1], "additional_author": False}])
        == ids
    )
    item = send(fresh, "/stock/filter", {"type": 1, "byid": ids[0]})["list"][0]
    assert {f["id"]: f["value"] for f in item["fields"]}["351"] == [name, second]
    assert like_doc(fresh, "/stock/delete", [10234, 10432, 10342]) == [10234, 10432, 10342]


def test_contacts_activities_deals_as_written(fresh: TestClient) -> None:
    contact = {
        "source": "mobile",
        "name": "Mary",
        "surname": "Moore",
        "patronymic": "Ann",
        "manager_id": 47,
        "additional_manager_id": [48, 49, 50],
        "marktype": 0,
        "email": [{"mail": "customer@gmail.com", "comment": ""}],
        "phone": [
            {"phone": "1965 XXX 4332", "comment": "Main"},
            {"phone": "1423 XXX 2253", "comment": "Second"},
        ],
        "comment": "Met at the fair",
        "fields": [{"id": 25, "value": "34"}],
    }
    (cid,) = like_doc(fresh, "/purchaser/insert", [contact])
    like_doc(fresh, "/purchaser/update", [{"id": cid, **contact, "manager_id": 48}])
    request = {
        "source": "help_manager",
        "customers_id": cid,
        "employee_id": 47,
        "additional_employee_id": [48, 49, 50],
        "comment": "To processing",
        "request_name": "Application for loan",
        "status": "mustbeprocessed",
        "request_type": 1,
    }
    (rid,) = like_doc(fresh, "/applications/insert", [request])
    like_doc(fresh, "/applications/update", [{"id": rid, "status": "processnow"}])
    sale = {
        "customers_id": cid,
        "employee_id": 47,
        "additional_employee_id": [48, 49, 50],
        "sales_type_id": 1,
        "sales_status_id": 1,
        "sale_name": "In stock",
        "fields": [{"id": 375, "value": "12000"}],
    }
    (sid,) = like_doc(fresh, "/sales/insert", [sale])
    like_doc(fresh, "/sales/update", [{"id": sid, "sales_status_id": 3}])
    attach = send(fresh, "/purchaser/attach", {"ids": cid})[str(cid)]
    assert attach["request"] == [str(rid)] and attach["sale"] == [str(sid)]
    assert like_doc(fresh, "/sales/delete", [sid]) == [sid]
    assert like_doc(fresh, "/applications/delete", [rid]) == [rid]
    assert like_doc(fresh, "/purchaser/delete", [cid]) == [cid]


BILL = {
    "date_create": "2015-10-06",
    "product": [{"count": 10, "name": "Stationery and office supplies", "price": 500}],
    "sale_id": 468,
    "stockgroup_id": 199,
    "client_company_id": 84,
    "client_id": 10475,
    "my_company_id": 2,
    "nds": 0,
    "type": "out",
}


def test_invoices_as_written(fresh: TestClient) -> None:
    added = like_doc(fresh, "/accounts/add", [BILL])
    assert added[0]["stat"] == 1
    # billsUpdate is documented at accounts/add: an element with bill_id
    updated = like_doc(
        fresh, "/accounts/add", [{"bill_id": 112, **{k: v for k, v in BILL.items() if k != "date_create"}}]
    )
    assert updated[0]["stat"] == 1
    assert like_doc(fresh, "/accounts/update", [{"bill_id": 112, "nds": 0}])[0]["stat"] == 1
    # edit and set_pay: the document's examples are the error answers; success has no "error"
    assert send(fresh, "/accounts/edit", {}) == documented("/accounts/edit")
    edit = {
        "bill_id": 112,
        "date_create": "06-10-2015",
        "product": [{"count": 10, "name": "Stationery and office supplies", "price": 500}],
        "sale_id": 468,
        "outer_id": "X-112",
        "client_company_id": 84,
        "client_id": 10475,
        "my_company_id": 2,
        "nds": 0,
        "is_cash": 0,
        "type": "out",
    }
    assert send(fresh, "/accounts/edit", edit) == {"stat": 1}
    assert send(fresh, "/accounts/set_pay", {}) == documented("/accounts/set_pay")
    paid = send(fresh, "/accounts/set_pay", {"id": 112, "pay": 100})
    assert paid["stat"] == 1 and set(paid) <= set(documented("/accounts/set_pay"))
    assert mismatch({k: v for k, v in documented("/accounts/set_pay").items() if k != "error"}, paid) is None


CALL = {
    "uniqueId": "ewegm0nrsy4nzbz4t48e7lp403dngr8v",
    "from": "1937 XXX 8888",
    "to": "1749 XXX 3456",
    "trunkId": 4,
    "callerId": "1937 XXX 8888",
    "timestamp": 1469103107,
    "isIncoming": "true",
    "url": "https://yourdomain.crma.pro/files/records/27402.mp3",
    "callDuration": 64,
    "isAnswered": 0,
    "customStatus": 2,
}


def test_calls_as_written(fresh: TestClient) -> None:
    got = like_doc(fresh, "/calls/import", CALL)
    assert got == {"result": True, "callId": CALL["uniqueId"]}
    update = {
        "uniqueId": CALL["uniqueId"],
        "url": CALL["url"],
        "callDuration": 65,
        "isAnswered": 1,
        "customStatus": 1,
    }
    assert like_doc(fresh, "/calls/update", update)["result"] is True
    calls = [{**CALL, "uniqueId": f"{n:032d}"} for n in range(2)]  # params[calls][]
    assert [r["result"] for r in like_doc(fresh, "/calls/importall", {"calls": calls})] == [True, True]


def test_externaldialogs_writes_as_written(fresh: TestClient) -> None:
    created = like_doc(
        fresh,
        "/externaldialogs/insert",
        {"customer": 10607, "dialog": {"name": "Viber", "employees": [47, 48]}},
    )
    assert set(created) == {"clientkey", "dialogid"}
    again = send(fresh, "/externaldialogs/insert", {"customer": "0", "dialog": {"id": created["dialogid"]}})
    assert set(again) == {"clientkey"}  # "in any case, the response will contain a clientkey"
    assert like_doc(
        fresh, "/externaldialogs/update", {"id": created["dialogid"], "name": "Viber bot", "employees": [47]}
    ) == {"status": True}


def test_org_events_as_written(fresh: TestClient) -> None:
    event = {
        "title": "Event name",
        "date": "2017-04-27T10:49:48+04:00",  # PHP date("c")
        "description": "Event description",
        "allDay": "0",
        "duration": "15",
        "remind_active": "yes",
        "remind_before": "15",
        "textColor": "#000000",
        "backgroundColor": "#EFEFEF",
        "borderColor": "#EFEFEF",
    }
    users = {"47": "root", "48": "simple"}
    got = like_doc(fresh, "/org_events/insert", {"event": event, "users": users})["event"]
    js = like_doc(
        fresh, "/org_events/insert", {"event": {**event, "date": "Thu Apr 27 2017 10:49:48 GMT+0400"}}
    )
    assert (js["event"]["hour"], js["event"]["minute"]) == (got["hour"], got["minute"]) == ("06", "50")
    eid = got["id"]
    like_doc(fresh, "/org_events/update", {"event": {"id": eid, "title": "Renamed"}})
    like_doc(fresh, "/org_events/update", {"event": {"id": eid, "publ": "0"}, "users": users})
    like_doc(fresh, "/org_events/update", {"event": {"id": eid, "publ": "1"}})
    assert like_doc(fresh, "/org_events/delete", {"id": eid})["event"]["publ"] == "0"
    assert like_doc(fresh, "/org_events/get", {"id": eid})["users"] == users


def test_online_forms_as_written(fresh: TestClient) -> None:
    form = fresh.post("/onlineforms", json={"action": "get", "form": "1", "host": "sitename.com"}).json()
    assert mismatch(documented("/", "form"), form) is None
    sample = {  # "Sending a filled form", exactly as the document writes it
        "def_customer": {"surname": "", "name": "", "patronymic": "", "email": "", "phone": ""},
        "ext_customer": {"24": {"value": ""}},
        "ext_request": {"67": {"value": ""}},
        "def_stock": {"name": "", "parent": ""},
        "ext_stock": {"24": {"value": ""}},
    }
    filled = fresh.post(
        "/onlineforms", json={"action": "fill", "formtype": "3", "host": "sitename.com", "data": sample}
    ).json()
    assert mismatch(documented("/", "filled"), filled) is None and filled["status"] == "success"
    values = json.loads(json.dumps(sample))
    values["def_customer"].update(surname="Lee", name="Ann", email="ann@example.org", phone="1555 XXX 7777")
    values["ext_customer"]["24"]["value"] = "Lofts"
    values["ext_request"]["67"]["value"] = "150000"
    values["def_stock"] = {"name": "My flat", "parent": "2"}
    values["ext_stock"] = {"338": {"value": "SKU-1"}}
    filled = fresh.post("/onlineforms", json={"action": "fill", "formtype": "3", "data": values}).json()
    assert mismatch(documented("/", "filled"), filled) is None
    request = send(fresh, "/applications/filter", {"byid": filled["form"]})["list"][0]
    assert request["fields"]["67"]["value"] == "150000.00"


def _signed(values: dict[str, Any]) -> dict[str, Any]:
    joined = "".join(str(values[k]) for k in sorted(values))
    return {**values, "hash": hashlib.md5((joined + SMS_KEY).encode()).hexdigest()}


def test_sms_as_written(fresh: TestClient) -> None:
    send_sms = {
        "action": "sendSms",
        "sender": "sender_name",
        "destination": "15557654321",
        "message": "sms_text",
    }
    sent = fresh.post("/sms/provider", data=_signed(send_sms)).json()
    assert mismatch(documented("/provider", "sendSms"), sent) is None
    status = fresh.post("/sms/provider", data=_signed({"action": "smsStatus", "sms_id": sent["data"]})).json()
    assert mismatch(documented("/provider", "smsStatus"), status) is None
    received = {
        "action": "smsReceived",
        "sms_id": 1,
        "sender": "15551234567",
        "destination": "15550001000",
        "message": "sms_text",
        "count": 1,
        "date": 1474635572,
    }
    assert fresh.post("/sms/gateway", data=_signed(received)).json() == documented("/gateway", "received")


# -- webhooks -----------------------------------------------------------------------------------------
class Receiver:
    """A real HTTP server on loopback that records what it is sent."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                owner.received.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.received) >= count, self.received
        return self.received

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def hook_app():
    return create_app(Settings(db=":memory:", vendors=("apro",), webhook_backoff=0.05, webhook_timeout=1.0))


@pytest.fixture
def hooked(hook_app) -> Iterator[tuple[TestClient, Receiver]]:
    hook_app.runtime.reset()
    receiver = Receiver()
    try:
        with TestClient(hook_app) as c:
            yield c, receiver
    finally:
        receiver.close()


def subscribe(c: TestClient, url: str, **extra: Any) -> dict[str, Any]:
    r = c.post("/__admin/vendors/apro/actions/add-webhook", json={"url": url, **extra})
    assert r.status_code == 201, r.text
    return r.json()


def check_payload(payload: dict[str, Any]) -> None:
    schema = spec()["components"]["schemas"]["WebhookPayload"]
    errors = [e.message for e in validator(schema).iter_errors(payload)]
    assert not errors, errors
    assert set(payload) == {
        "subject_type",
        "subject_type_id",
        "event",
        "object_type",
        "object_sub_type",
        "object_sub_id",
        "snapshot",
        "merge",
    }


def test_webhooks_contacts_create_edit_delete(hooked) -> None:
    c, receiver = hooked
    hook = subscribe(c, receiver.url)
    assert hook["events"] == ["create", "edit", "delete"] and len(hook["objects"]) == 4
    listed = c.post("/__admin/vendors/apro/actions/list-webhooks", json={}).json()["webhooks"]
    assert [h["id"] for h in listed] == [hook["id"]]
    (cid,) = send(
        c,
        "/purchaser/insert",
        [{"name": "John", "surname": "Doe", "manager_id": 47, "fields": [{"id": 25, "value": 30}]}],
    )
    created = receiver.wait(1)[0]
    check_payload(created)
    assert (
        created["event"],
        created["object_type"],
        created["object_sub_type"],
        created["object_sub_id"],
    ) == (
        "create",
        "customer",
        "0",
        str(cid),
    )
    assert (created["subject_type"], created["subject_type_id"]) == ("employee", "47")
    assert created["merge"] == [] and created["snapshot"]["name"] == "John"
    assert created["snapshot"]["extproperty"]["25"] == {"id": "25", "type": "integer", "value": "30"}
    assert set(created["snapshot"]) >= set(
        spec()["components"]["schemas"]["WebhookPayload"]["example"]["snapshot"]
    )
    send(
        c,
        "/purchaser/update",
        [{"id": cid, "name": "Johnny", "manager_id": 48, "fields": [{"id": 25, "value": 31}]}],
    )
    edited = receiver.wait(2)[1]
    check_payload(edited)
    assert edited["event"] == "edit" and edited["snapshot"]["name"] == "Johnny"
    assert edited["merge"] == {
        "name": {"type": "edit", "value": "John"},
        "manager_id": {"type": "edit", "value": "47"},
        "25": {"type": "edit", "value": "30"},
    }
    send(c, "/purchaser/delete", [cid])
    deleted = receiver.wait(3)[2]
    check_payload(deleted)
    assert deleted["event"] == "delete" and deleted["snapshot"]["publish"] == "0"
    assert deleted["merge"] == {"publish": {"type": "edit", "value": "1"}}
    log = c.get("/__admin/webhooks/deliveries").json()["deliveries"]
    assert [d["event"] for d in log] == ["customer.delete", "customer.edit", "customer.create"]
    assert all(d["status"] == "delivered" and d["target"] == hook["id"] for d in log)


def test_webhooks_activities_objects_deals(hooked) -> None:
    c, receiver = hooked
    subscribe(c, receiver.url, objects=["request", "stock", "sale"])
    (rid,) = send(c, "/applications/insert", [{"customers_id": 10607, "request_type": 2, "comment": "a"}])
    send(c, "/applications/update", [{"id": rid, "status": "processed", "comment": "b"}])
    (sid,) = send(
        c, "/stock/insert", [{"parent": 6, "name": "Villa", "fields": [{"id": 339, "value": 100000}]}]
    )
    send(c, "/stock/update", [{"id": sid, "fields": [{"id": 339, "value": 120000}]}])
    (did,) = send(c, "/sales/insert", [{"customers_id": 10607, "sales_type_id": 2, "sale_name": "Lease"}])
    send(c, "/sales/update", [{"id": did, "sales_status_id": 5}])
    send(c, "/sales/delete", [did])
    send(c, "/purchaser/insert", [{"name": "not subscribed"}])
    got = receiver.wait(7)
    time.sleep(0.3)
    # deliveries go out concurrently: put them in the order of the writes
    order = {("request", "create"): 0, ("request", "edit"): 1, ("stock", "create"): 2, ("stock", "edit"): 3}
    order |= {("sale", "create"): 4, ("sale", "edit"): 5, ("sale", "delete"): 6}
    got = sorted(got, key=lambda p: order.get((p["object_type"], p["event"]), 9))
    assert len(got) == 7  # the contact is not among the subscribed objects
    for payload in got:
        check_payload(payload)
    kinds = [(p["object_type"], p["event"], p["object_sub_type"]) for p in got]
    assert kinds == [
        ("request", "create", "2"),
        ("request", "edit", "2"),
        ("stock", "create", "2"),
        ("stock", "edit", "2"),
        ("sale", "create", "2"),
        ("sale", "edit", "2"),
        ("sale", "delete", "2"),
    ]
    request_edit = got[1]
    assert (
        request_edit["snapshot"]["request_id"] == str(rid)
        and request_edit["snapshot"]["status"] == "processed"
    )
    assert request_edit["merge"] == {
        "request_comment": {"type": "edit", "value": "a"},
        "status": {"type": "edit", "value": "unselected"},
    }
    assert (
        request_edit["snapshot"]["email"] == send(c, "/purchaser/filter", {"byid": 10607})["list"][0]["email"]
    )
    stock_edit = got[3]
    assert stock_edit["snapshot"]["parentname"] == "Spain" and stock_edit["snapshot"]["typename"]
    assert stock_edit["merge"] == {"339": {"type": "edit", "value": "100000.00"}}
    sale_edit = got[5]
    assert sale_edit["snapshot"]["sales_status_name"] == "Lease signed"
    assert sale_edit["merge"] == {
        "sales_status_id": {"type": "edit", "value": "4"},
        "sales_status_name": {"type": "edit", "value": "Viewing"},
    }
    assert got[6]["merge"] == {"publish": {"type": "edit", "value": "1"}}


def test_webhooks_only_subscribed_events_and_refused_writes_send_nothing(hooked) -> None:
    c, receiver = hooked
    hook = subscribe(c, receiver.url, objects=["stock"])
    # refused writes: a bad entry after a good one in a batch, a read-only key, an unknown id
    r = c.post(
        "/sharedapi/stock/insert",
        json={"apikey": DEMO_KEY, "params": [{"parent": 1, "name": "ok"}, {"name": "no parent"}]},
    )
    assert r.json() == {"status": "fail", "message": "BAD_PARAMS"}
    r = c.post("/sharedapi/stock/delete", json={"apikey": READONLY_KEY, "params": [10234]})
    assert r.json() == {"status": "fail", "message": "ACCESS_DENY"}
    r = c.post("/sharedapi/stock/delete", json={"apikey": DEMO_KEY, "params": [10234, 1]})
    assert r.json() == {"status": "fail", "message": "BAD_PARAMS"}
    time.sleep(0.3)
    assert receiver.received == [] and c.get("/__admin/webhooks/deliveries").json()["count"] == 0
    subscribe(c, receiver.url, id=hook["id"], events=["delete"], objects=["stock"])
    send(c, "/stock/update", [{"id": 10234, "name": "edited, not subscribed"}])
    time.sleep(0.3)
    assert receiver.received == [] and c.get("/__admin/webhooks/deliveries").json()["count"] == 0
    deleted = [i for i in send(c, "/stock/delete", [10235]) if i]
    payload = receiver.wait(1)[0]
    assert payload["event"] == "delete" and payload["object_sub_id"] == str(deleted[0])
    # online forms notify too, as the system
    subscribe(c, receiver.url, id=hook["id"], events=["create"], objects=["customer"])
    c.post(
        "/onlineforms",
        json={"action": "fill", "formtype": "2", "data": {"def_customer": {"name": "Bo", "phone": "1555"}}},
    )
    web = receiver.wait(2)[1]
    assert (web["subject_type"], web["subject_type_id"], web["object_type"]) == ("system", "0", "customer")
    r = c.post("/__admin/vendors/apro/actions/remove-webhook", json={"id": hook["id"]})
    assert r.json() == {"deleted": hook["id"]}
    send(c, "/purchaser/insert", [{"name": "after removal"}])
    time.sleep(0.3)
    assert len(receiver.received) == 2
    bad = c.post("/__admin/vendors/apro/actions/add-webhook", json={"url": "ftp://x", "events": ["create"]})
    assert bad.status_code == 400
    bad = c.post("/__admin/vendors/apro/actions/add-webhook", json={"url": receiver.url, "events": ["login"]})
    assert bad.status_code == 400
