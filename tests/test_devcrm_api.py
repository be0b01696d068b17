"""The /dev/crm API over HTTP through the real stack: every operation, state effects, the
document's request examples as written, auth and validation failures (which change nothing),
and computed figures checked against references computed here from data read through the API."""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.conftest import build_app

B = "/dev/crm"
H = {"Authorization": "Bearer demo-token"}
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")

# The document's request bodies, as written (placeholders "uuid-here" stand for real ids).
DOC_LEAD = {
    "name": "John Doe",
    "email": "john@example.com",
    "phone": "+1234567890",
    "company": "Acme Corp",
    "source": "website",
    "status": "new",
    "score": 75,
    "notes": "Interested in premium plan",
    "campaign_id": "uuid-here",
    "assigned_to": "uuid-here",
}
DOC_LEAD_UPDATE = {"name": "John Doe Updated", "status": "qualified", "score": 85, "notes": "Updated notes"}
DOC_LEAD_INTERACTION = {
    "type": "call",
    "notes": "Discussed pricing and features",
    "next_action": "Send proposal",
    "next_action_date": "2024-01-15T10:00:00Z",
}
DOC_LEAD_INTERACTION_UPDATE = {"type": "meeting", "notes": "Updated notes", "next_action": "Follow up call"}
DOC_CUSTOMER = {
    "name": "Jane Smith",
    "email": "jane@example.com",
    "phone": "+1234567890",
    "company": "Tech Corp",
    "type": "business",
    "status": "active",
    "billing_address": "123 Main St",
    "payment_terms": "Net 30",
}
DOC_CUSTOMER_UPDATE = {"status": "active", "credit_limit": 10000.00, "notes": "Updated customer information"}
DOC_CUSTOMER_INTERACTION = {
    "type": "call",
    "subject": "Product Discussion",
    "description": "Discussed new features and pricing",
    "date": "2024-01-15T10:00:00Z",
    "outcome": "positive",
    "next_action": "Send proposal",
    "next_action_date": "2024-01-20T10:00:00Z",
}
DOC_CUSTOMER_INTERACTION_UPDATE = {"description": "Updated interaction notes", "outcome": "completed"}
DOC_ORDER = {
    "customer_id": "uuid-here",
    "product_id": "uuid-here",
    "quantity": 2,
    "status": "pending",
    "order_date": "2024-01-15T10:00:00Z",
    "shipping_address": "123 Main St",
    "billing_address": "123 Main St",
    "notes": "Rush delivery",
}
DOC_ORDER_UPDATE = {"status": "shipped", "notes": "Order shipped via express"}
DOC_FEEDBACK = {"rating": 5, "comment": "Great service!", "category": "support"}


def fill(example: dict[str, Any], **ids: str) -> dict[str, Any]:
    """The example with its "uuid-here" placeholders replaced by real ids (else a fresh UUID)."""
    return {k: (ids.get(k) or str(uuid.uuid4())) if v == "uuid-here" else v for k, v in example.items()}


@pytest.fixture(scope="module")
def app():
    return build_app("devcrm")


@pytest.fixture
def c(app) -> Iterator[TestClient]:
    app.runtime.reset()
    with TestClient(app, base_url="http://testserver") as client:
        client.headers.update(H)
        yield client


def all_pages(c: TestClient, path: str, **params: Any) -> list[dict[str, Any]]:
    out, page = [], 1
    while True:
        r = c.get(B + path, params={**params, "page": page, "limit": 100})
        assert r.status_code == 200, r.text
        body = r.json()
        out += body["data"]
        if page >= body["pagination"]["total_pages"]:
            return out
        page += 1


def total(c: TestClient, path: str) -> int:
    return c.get(B + path, params={"limit": 1}).json()["pagination"]["total"]


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def rate(part: int, whole: int) -> float:
    return round(part * 100.0 / whole, 2) if whole else 0.0


def avg(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def some_product(c: TestClient) -> dict[str, Any]:
    return c.get(B + "/products").json()["data"][1]


def new_customer(c: TestClient, **fields: Any) -> dict[str, Any]:
    body = {"name": "Test Customer", "email": f"{uuid.uuid4().hex[:12]}@example.com", **fields}
    r = c.post(B + "/customers", json=body)
    assert r.status_code == 201, r.text
    return r.json()


# -- auth and errors ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "method,path",
    [("get", "/leads"), ("post", "/leads"), ("get", "/reports/leads"), ("post", "/followups/process")],
)
@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic demo-token", "Bearer "])
def test_auth_refused(c, method, path, header):
    headers = {"Authorization": header} if header else {}
    before = total(c, "/leads")
    c.headers.pop("Authorization")
    r = c.request(method.upper(), B + path, headers=headers, json=DOC_LEAD_UPDATE)
    assert r.status_code == 401
    assert r.json() == {"message": "Invalid or missing API key"}
    c.headers.update(H)
    assert total(c, "/leads") == before


def test_errors_are_message_envelopes(c):
    assert c.get(B + "/leads/not-a-uuid").status_code == 400
    r = c.get(B + f"/leads/{uuid.uuid4()}")
    assert r.status_code == 404 and set(r.json()) == {"message"}
    r = c.delete(B + "/leads")  # undocumented method
    assert r.status_code == 405 and set(r.json()) == {"message"}
    r = c.post(B + "/leads", content=b"name=x", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415 and set(r.json()) == {"message"}
    r = c.post(B + "/leads", content=b"{bad json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and set(r.json()) == {"message"}
    r = c.post(B + "/leads", json={"name": "x", "email": "a@b.co", "notes": "x" * 2_000_000})
    assert r.status_code == 413 and set(r.json()) == {"message"}
    r = c.get(B + "/leads", params={"limit": 101})
    assert r.status_code == 400 and "limit" in r.json()["message"]


@pytest.mark.parametrize(
    "body,field",
    [
        ({"email": "a@example.com"}, "name"),
        ({"name": "A"}, "email"),
        ({"name": "A", "email": "not-an-email"}, "email"),
        ({"name": "A", "email": "a@example.com", "score": 101}, "score"),
        ({"name": "A", "email": "a@example.com", "score": -1}, "score"),
        ({"name": "A", "email": "a@example.com", "source": "tv"}, "source"),
        ({"name": "A", "email": "a@example.com", "status": "hot"}, "status"),
        ({"name": "A", "email": "a@example.com", "campaign_id": "uuid-here"}, "campaign_id"),
        ({"name": "A", "email": "a@example.com", "last_contact": "2024-02-30"}, "last_contact"),
        ({"name": "A", "email": "a@example.com", "nickname": "Al"}, "nickname"),
    ],
)
def test_lead_validation_is_400_and_writes_nothing(c, body, field):
    before = total(c, "/leads")
    r = c.post(B + "/leads", json=body)
    assert r.status_code == 400, r.text
    assert field in r.json()["message"]
    assert total(c, "/leads") == before


# -- leads -------------------------------------------------------------------------------------
def test_lead_crud_with_document_examples(c):
    body = fill(DOC_LEAD)
    r = c.post(B + "/leads", json=body)
    assert r.status_code == 201, r.text
    lead = r.json()
    assert UUID_RE.match(lead["id"]) and TS_RE.match(lead["created_at"])
    assert {k: lead[k] for k in body} == body
    assert lead["custom_fields"] == {} and lead["customer_id"] is None and lead["nurture_step"] == 0
    assert c.get(B + f"/leads/{lead['id']}").json() == lead
    assert lead["id"] in {x["id"] for x in all_pages(c, "/leads", search="john@example.com")}

    r = c.put(B + f"/leads/{lead['id']}", json=DOC_LEAD_UPDATE)
    assert r.status_code == 200, r.text
    updated = r.json()
    assert {k: updated[k] for k in DOC_LEAD_UPDATE} == DOC_LEAD_UPDATE
    assert updated["email"] == body["email"] and updated["updated_at"] >= lead["updated_at"]
    assert c.get(B + f"/leads/{lead['id']}").json() == updated

    c.post(B + f"/leads/{lead['id']}/interactions", json={"type": "note"})
    r = c.delete(B + f"/leads/{lead['id']}")
    assert r.status_code == 200 and r.json()["id"] == lead["id"]
    assert c.get(B + f"/leads/{lead['id']}").status_code == 404
    assert c.get(B + f"/leads/{lead['id']}/interactions").status_code == 404
    assert c.delete(B + f"/leads/{lead['id']}").status_code == 404


def test_lead_defaults_dates_and_null_clears(c):
    lead = c.post(
        B + "/leads", json={"name": "A", "email": "a1@example.com", "last_contact": "2024-03-05"}
    ).json()
    assert (lead["status"], lead["source"], lead["score"]) == ("new", "other", 0)
    assert lead["last_contact"] == "2024-03-05T00:00:00Z"
    r = c.put(B + f"/leads/{lead['id']}", json={"last_contact": "2024-03-05T12:00:00+02:00", "phone": None})
    assert r.json()["last_contact"] == "2024-03-05T10:00:00Z" and r.json()["phone"] is None
    assert c.put(B + f"/leads/{lead['id']}", json={}).status_code == 400


def test_lead_email_is_unique(c):
    c.post(B + "/leads", json={"name": "A", "email": "dup@example.com"})
    before = total(c, "/leads")
    r = c.post(B + "/leads", json={"name": "B", "email": "DUP@example.com"})
    assert r.status_code == 409 and "already exists" in r.json()["message"]
    other = c.post(B + "/leads", json={"name": "C", "email": "c@example.com"}).json()
    assert c.put(B + f"/leads/{other['id']}", json={"email": "dup@Example.com"}).status_code == 409
    assert c.get(B + f"/leads/{other['id']}").json()["email"] == "c@example.com"
    assert total(c, "/leads") == before + 1


def test_lead_list_filters_sort_and_pages(c):
    leads = all_pages(c, "/leads")
    assert len(leads) == total(c, "/leads") == 300
    assert len({x["id"] for x in leads}) == 300
    for status in ("new", "converted"):
        got = all_pages(c, "/leads", status=status)
        assert {x["id"] for x in got} == {x["id"] for x in leads if x["status"] == status}
    page = c.get(B + "/leads", params={"sort_by": "score", "sort_order": "asc", "limit": 50}).json()
    assert [x["score"] for x in page["data"]] == sorted(x["score"] for x in leads)[:50]
    assert page["pagination"] == {"page": 1, "limit": 50, "total": 300, "total_pages": 6}
    past = c.get(B + "/leads", params={"page": 99}).json()
    assert past["data"] == [] and past["pagination"]["total"] == 300


# -- lead interactions --------------------------------------------------------------------------
def test_lead_interactions(c):
    lead = c.post(B + "/leads", json={"name": "A", "email": "ia@example.com"}).json()
    other = c.post(B + "/leads", json={"name": "B", "email": "ib@example.com"}).json()
    r = c.post(B + f"/leads/{lead['id']}/interactions", json=DOC_LEAD_INTERACTION)
    assert r.status_code == 201, r.text
    it = r.json()
    assert {k: it[k] for k in DOC_LEAD_INTERACTION} == DOC_LEAD_INTERACTION
    assert it["lead_id"] == lead["id"] and it["followed_up_at"] is None
    # a call is contact: last_contact moves to when it was recorded
    assert c.get(B + f"/leads/{lead['id']}").json()["last_contact"] == it["created_at"]
    note = c.post(B + f"/leads/{lead['id']}/interactions", json={"type": "note"}).json()
    listed = c.get(B + f"/leads/{lead['id']}/interactions").json()
    assert {x["id"] for x in listed["data"]} == {it["id"], note["id"]}
    assert [x["id"] for x in c.get(B + f"/leads/{lead['id']}/interactions?type=note").json()["data"]] == [
        note["id"]
    ]
    r = c.put(B + f"/leads/{lead['id']}/interactions/{it['id']}", json=DOC_LEAD_INTERACTION_UPDATE)
    assert r.status_code == 200 and {k: r.json()[k] for k in DOC_LEAD_INTERACTION_UPDATE} == (
        DOC_LEAD_INTERACTION_UPDATE
    )
    # under another lead it does not exist
    assert c.put(B + f"/leads/{other['id']}/interactions/{it['id']}", json={"notes": "x"}).status_code == 404
    assert c.delete(B + f"/leads/{other['id']}/interactions/{it['id']}").status_code == 404
    assert c.post(B + f"/leads/{lead['id']}/interactions", json={"type": "sms"}).status_code == 400
    assert c.post(B + f"/leads/{uuid.uuid4()}/interactions", json={"type": "call"}).status_code == 404
    assert c.delete(B + f"/leads/{lead['id']}/interactions/{it['id']}").status_code == 200
    assert total(c, f"/leads/{lead['id']}/interactions") == 1


# -- conversion -------------------------------------------------------------------------------
def test_convert_lead(c):
    lead = c.post(B + "/leads", json=fill(DOC_LEAD)).json()
    customers_before = total(c, "/customers")
    r = c.post(B + f"/leads/{lead['id']}/convert")
    assert r.status_code == 201, r.text
    body = r.json()
    customer = body["customer"]
    for key in ("name", "email", "phone", "company"):
        assert customer[key] == lead[key]
    assert customer["lead_id"] == lead["id"] and customer["type"] == "business"
    assert body["lead"]["status"] == "converted" and body["lead"]["customer_id"] == customer["id"]
    assert TS_RE.match(body["lead"]["converted_at"])
    assert c.get(B + f"/customers/{customer['id']}").json() == customer
    assert c.get(B + f"/leads/{lead['id']}").json() == body["lead"]
    assert total(c, "/customers") == customers_before + 1
    again = c.post(B + f"/leads/{lead['id']}/convert")
    assert again.status_code == 409 and set(again.json()) == {"message"}
    assert total(c, "/customers") == customers_before + 1
    assert c.post(B + f"/leads/{uuid.uuid4()}/convert").status_code == 404
    # deleting the lead keeps the customer, unlinked
    assert c.delete(B + f"/leads/{lead['id']}").status_code == 200
    assert c.get(B + f"/customers/{customer['id']}").json()["lead_id"] is None


def test_convert_refuses_an_email_a_customer_has(c):
    new_customer(c, email="taken@example.com")
    lead = c.post(B + "/leads", json={"name": "T", "email": "taken@example.com"}).json()
    before = total(c, "/customers")
    assert c.post(B + f"/leads/{lead['id']}/convert").status_code == 409
    assert c.get(B + f"/leads/{lead['id']}").json()["status"] == "new"
    assert total(c, "/customers") == before


# -- customers --------------------------------------------------------------------------------
def test_customer_crud_with_document_examples(c):
    r = c.post(B + "/customers", json=DOC_CUSTOMER)
    assert r.status_code == 201, r.text
    cust = r.json()
    assert {k: cust[k] for k in DOC_CUSTOMER} == DOC_CUSTOMER
    assert cust["lead_id"] is None and cust["credit_limit"] is None and cust["custom_fields"] == {}
    assert c.get(B + f"/customers/{cust['id']}").json() == cust
    r = c.put(B + f"/customers/{cust['id']}", json=DOC_CUSTOMER_UPDATE)
    assert r.status_code == 200 and {k: r.json()[k] for k in DOC_CUSTOMER_UPDATE} == DOC_CUSTOMER_UPDATE
    assert c.post(B + "/customers", json=DOC_CUSTOMER).status_code == 409
    for bad in ({"credit_limit": -1}, {"type": "company"}, {"status": "gone"}, {"email": "x"}):
        assert c.put(B + f"/customers/{cust['id']}", json=bad).status_code == 400
    assert c.get(B + f"/customers/{cust['id']}").json() == r.json()
    assert (
        c.post(
            B + "/customers", json={**DOC_CUSTOMER, "email": "z@example.com", "lead_id": str(uuid.uuid4())}
        ).status_code
        == 404
    )
    lead = c.post(B + "/leads", json={"name": "L", "email": "l@example.com"}).json()
    linked = new_customer(c, lead_id=lead["id"])
    assert c.get(B + f"/leads/{lead['id']}").json()["customer_id"] == linked["id"]
    assert (
        c.post(
            B + "/customers", json={"name": "x", "email": "x2@example.com", "lead_id": lead["id"]}
        ).status_code
        == 409
    )


def test_delete_customer_removes_its_history(c):
    cust = new_customer(c)
    product = some_product(c)
    order = c.post(
        B + "/orders", json={"customer_id": cust["id"], "product_id": product["id"], "quantity": 1}
    ).json()
    it = c.post(B + f"/customers/{cust['id']}/interactions", json=DOC_CUSTOMER_INTERACTION).json()
    fb = c.post(B + f"/customers/{cust['id']}/feedback/request").json()
    r = c.delete(B + f"/customers/{cust['id']}")
    assert r.status_code == 200 and r.json()["id"] == cust["id"]
    assert c.get(B + f"/customers/{cust['id']}").status_code == 404
    assert c.get(B + f"/orders/{order['id']}").status_code == 404
    assert c.get(B + f"/customers/{cust['id']}/interactions").status_code == 404
    assert c.post(B + f"/feedback/{fb['id']}", json=DOC_FEEDBACK).status_code == 404
    assert all_pages(c, "/feedback", customer_id=cust["id"]) == []
    assert all_pages(c, "/orders", customer_id=cust["id"]) == []
    # the interactions went with it: a customer recreated with the same email starts empty
    again = new_customer(c, email=cust["email"])
    assert it["id"] not in {i["id"] for i in all_pages(c, f"/customers/{again['id']}/interactions")}


def test_customer_list_filters(c):
    customers = all_pages(c, "/customers")
    for key, value in (("status", "blocked"), ("type", "business")):
        got = all_pages(c, "/customers", **{key: value})
        assert {x["id"] for x in got} == {x["id"] for x in customers if x[key] == value}
    name = customers[0]["name"].split()[0].lower()
    got = all_pages(c, "/customers", search=name)
    expected = [
        x for x in customers if any(name in (x[f] or "").lower() for f in ("name", "email", "company"))
    ]
    assert {x["id"] for x in got} == {x["id"] for x in expected}


def test_customer_interactions(c):
    cust, other = new_customer(c), new_customer(c)
    r = c.post(B + f"/customers/{cust['id']}/interactions", json=DOC_CUSTOMER_INTERACTION)
    assert r.status_code == 201, r.text
    it = r.json()
    assert {k: it[k] for k in DOC_CUSTOMER_INTERACTION} == DOC_CUSTOMER_INTERACTION
    r = c.put(B + f"/customers/{cust['id']}/interactions/{it['id']}", json=DOC_CUSTOMER_INTERACTION_UPDATE)
    assert (
        r.status_code == 200 and r.json()["outcome"] == "completed" and r.json()["subject"] == it["subject"]
    )
    assert c.get(B + f"/customers/{cust['id']}/interactions").json()["data"] == [r.json()]
    assert (
        c.put(B + f"/customers/{other['id']}/interactions/{it['id']}", json={"outcome": "x"}).status_code
        == 404
    )
    missing = {k: v for k, v in DOC_CUSTOMER_INTERACTION.items() if k != "date"}
    assert c.post(B + f"/customers/{cust['id']}/interactions", json=missing).status_code == 400
    assert c.delete(B + f"/customers/{cust['id']}/interactions/{it['id']}").status_code == 200
    assert total(c, f"/customers/{cust['id']}/interactions") == 0


# -- orders -----------------------------------------------------------------------------------
def test_orders(c):
    cust = new_customer(c, billing_address="1 Bill St", shipping_address="2 Ship St")
    product = some_product(c)
    r = c.post(B + "/orders", json=fill(DOC_ORDER, customer_id=cust["id"], product_id=product["id"]))
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["unit_price"] == product["price"] and order["total_amount"] == round(product["price"] * 2, 2)
    assert order["order_date"] == "2024-01-15T10:00:00Z" and order["notes"] == "Rush delivery"
    assert c.get(B + f"/orders/{order['id']}").json() == order
    plain = c.post(
        B + "/orders", json={"customer_id": cust["id"], "product_id": product["id"], "quantity": 1}
    ).json()
    assert (plain["status"], plain["shipping_address"], plain["billing_address"]) == (
        "pending",
        "2 Ship St",
        "1 Bill St",
    )
    r = c.put(B + f"/orders/{order['id']}", json=DOC_ORDER_UPDATE)
    assert (
        r.status_code == 200
        and r.json()["status"] == "shipped"
        and r.json()["notes"] == DOC_ORDER_UPDATE["notes"]
    )
    r = c.put(B + f"/orders/{order['id']}", json={"quantity": 5})
    assert r.json()["total_amount"] == round(product["price"] * 5, 2)
    assert {o["id"] for o in all_pages(c, "/orders", customer_id=cust["id"])} == {order["id"], plain["id"]}
    before = total(c, "/orders")
    for bad, status in (
        ({"customer_id": str(uuid.uuid4()), "product_id": product["id"], "quantity": 1}, 404),
        ({"customer_id": cust["id"], "product_id": str(uuid.uuid4()), "quantity": 1}, 404),
        ({"customer_id": cust["id"], "product_id": product["id"], "quantity": 0}, 400),
        ({"customer_id": cust["id"], "product_id": product["id"], "quantity": 1.5}, 400),
        ({"customer_id": cust["id"], "product_id": product["id"]}, 400),
        (fill(DOC_ORDER) | {"customer_id": "uuid-here"}, 400),
    ):
        r = c.post(B + "/orders", json=bad)
        assert r.status_code == status, (bad, r.text)
    blocked = new_customer(c, status="blocked")
    r = c.post(B + "/orders", json={"customer_id": blocked["id"], "product_id": product["id"], "quantity": 1})
    assert r.status_code == 409
    assert total(c, "/orders") == before
    assert c.delete(B + f"/orders/{order['id']}").status_code == 200
    assert c.get(B + f"/orders/{order['id']}").status_code == 404


def test_products(c):
    products = all_pages(c, "/products")
    assert len(products) == 16 and all(p["price"] > 0 for p in products)
    assert c.get(B + f"/products/{products[0]['id']}").json() == products[0]
    hardware = all_pages(c, "/products", category="hardware")
    assert {p["id"] for p in hardware} == {p["id"] for p in products if p["category"] == "hardware"}


# -- feedback ---------------------------------------------------------------------------------
def test_feedback_request_and_process(c):
    cust = new_customer(c)
    r = c.post(B + f"/customers/{cust['id']}/feedback/request")
    assert r.status_code == 201, r.text
    fb = r.json()
    assert (fb["status"], fb["reminders_sent"], fb["rating"]) == ("requested", 0, None)
    sent = c.get(B + f"/customers/{cust['id']}/interactions").json()["data"]
    assert [(i["type"], i["subject"]) for i in sent] == [("email", "Feedback request")]
    assert c.post(B + f"/customers/{cust['id']}/feedback/request").status_code == 409
    assert c.post(B + f"/customers/{uuid.uuid4()}/feedback/request").status_code == 404
    for bad in ({"rating": 6}, {"rating": 0}, {"comment": "x"}, {"rating": 3, "category": "vibes"}):
        assert c.post(B + f"/feedback/{fb['id']}", json=bad).status_code == 400
    r = c.post(B + f"/feedback/{fb['id']}", json=DOC_FEEDBACK)
    assert r.status_code == 200, r.text
    got = r.json()
    assert {k: got[k] for k in DOC_FEEDBACK} == DOC_FEEDBACK and got["status"] == "received"
    assert c.post(B + f"/feedback/{fb['id']}", json=DOC_FEEDBACK).status_code == 409
    assert c.post(B + f"/feedback/{uuid.uuid4()}", json=DOC_FEEDBACK).status_code == 404
    assert c.post(B + f"/customers/{cust['id']}/feedback/request").status_code == 201  # none pending now


THEME_WORDS = {
    "service": {"service", "staff", "friendly", "helpful", "rude", "experience"},
    "support": {"support", "help", "response", "responsive", "ticket", "resolved"},
    "product": {"product", "feature", "features", "functionality"},
    "quality": {"quality", "reliable", "broken", "bug", "bugs", "defect", "works"},
    "pricing": {"price", "pricing", "expensive", "cheap", "cost", "value", "discount"},
    "delivery": {"delivery", "shipping", "shipped", "late", "delayed", "arrived", "fast"},
    "usability": {"easy", "intuitive", "confusing", "difficult", "interface", "usability"},
    "billing": {"billing", "invoice", "invoices", "charge", "charged", "refund", "payment"},
}


def feedback_reference(records: list[dict[str, Any]]) -> dict[str, Any]:
    received = [f for f in records if f["status"] == "received"]
    ratings = [f["rating"] for f in received]
    return {
        "total_requests": len(records),
        "responses": len(received),
        "pending": sum(f["status"] == "requested" for f in records),
        "expired": sum(f["status"] == "expired" for f in records),
        "response_rate": rate(len(received), len(records)),
        "average_rating": avg(ratings),
        "csat": rate(sum(r >= 4 for r in ratings), len(ratings)),
    }


def test_feedback_analytics_themes_dashboard(c):
    cust = new_customer(c)
    fb = c.post(B + f"/customers/{cust['id']}/feedback/request").json()
    c.post(
        B + f"/feedback/{fb['id']}",
        json={"rating": 1, "comment": "Awful billing, refund please", "category": "billing"},
    )
    records = all_pages(c, "/feedback")
    received = [f for f in records if f["status"] == "received"]
    body = c.get(B + "/feedback/analytics").json()
    assert body["summary"] == feedback_reference(records)
    assert body["rating_distribution"] == {
        str(r): sum(f["rating"] == r for f in received) for r in range(1, 6)
    }
    cats: dict[str, list[int]] = {}
    for f in received:
        cats.setdefault(f["category"] or "other", []).append(f["rating"])
    assert body["by_category"] == {
        k: {"responses": len(v), "average_rating": avg(v)} for k, v in cats.items()
    }

    themes = c.get(B + "/feedback/themes").json()
    commented = [f for f in received if f["comment"]]
    assert themes["analyzed"] == len(commented)
    expected = {}
    for theme, words in THEME_WORDS.items():
        hits = [f for f in commented if set(re.findall(r"[a-z]+", f["comment"].lower())) & words]
        if hits:
            expected[theme] = (len(hits), round(sum(f["rating"] for f in hits) / len(hits), 2))
    assert {t["theme"]: (t["mentions"], t["average_rating"]) for t in themes["themes"]} == expected
    assert [t["mentions"] for t in themes["themes"]] == sorted(
        (t["mentions"] for t in themes["themes"]), reverse=True
    )
    billing = next(t for t in themes["themes"] if t["theme"] == "billing")
    assert billing["examples"][0] == "Awful billing, refund please"

    dash = c.get(B + "/feedback/dashboard").json()
    assert dash["summary"] == body["summary"]
    newest = sorted(received, key=lambda f: (f["received_at"], f["id"]), reverse=True)[:10]
    assert [f["id"] for f in dash["recent_feedback"]] == [f["id"] for f in newest]
    assert dash["recent_feedback"][0]["customer_name"] == "Test Customer"
    months: dict[str, list[int]] = {}
    for f in received:
        months.setdefault(f["received_at"][:7], []).append(f["rating"])
    assert dash["ratings_by_month"] == [
        {"month": m, "responses": len(v), "average_rating": avg(v)} for m, v in sorted(months.items())
    ]
    assert dash["top_themes"] == themes["themes"][:3]
    cutoff = ts(dash["as_of"]) - timedelta(days=3)
    due = [
        f
        for f in records
        if f["status"] == "requested" and ts(f["last_reminder_at"] or f["requested_at"]) <= cutoff
    ]
    assert dash["reminders_due"] == len(due)


def test_feedback_reminders_process(c):
    fresh = c.post(B + f"/customers/{new_customer(c)['id']}/feedback/request").json()
    before = {f["id"]: f for f in all_pages(c, "/feedback", status="requested")}
    r = c.post(B + "/feedback/process-reminders")
    assert r.status_code == 200, r.text
    body = r.json()
    cutoff = ts(body["as_of"]) - timedelta(days=3)
    due = {i for i, f in before.items() if ts(f["last_reminder_at"] or f["requested_at"]) <= cutoff}
    assert {i["feedback_id"] for i in body["items"]} == due and fresh["id"] not in due
    expected_expired = {i for i in due if before[i]["reminders_sent"] >= 3}
    assert {i["feedback_id"] for i in body["items"] if i["action"] == "expired"} == expected_expired
    assert body["processed"] == len(due) and body["expired"] == len(expected_expired)
    assert body["reminders_sent"] == len(due) - len(expected_expired)
    after = {f["id"]: f for f in all_pages(c, "/feedback")}
    for item in body["items"]:
        f = after[item["feedback_id"]]
        if item["action"] == "expired":
            assert f["status"] == "expired"
        else:
            assert f["reminders_sent"] == before[f["id"]]["reminders_sent"] + 1
            assert f["last_reminder_at"] == body["as_of"]
            sent = c.get(B + f"/customers/{f['customer_id']}/interactions").json()["data"]
            assert item["interaction_id"] in {i["id"] for i in sent if i["subject"] == "Feedback reminder"}
    assert c.post(B + "/feedback/process-reminders").json()["processed"] == 0


# -- processes --------------------------------------------------------------------------------
def test_nurturing(c):
    leads = all_pages(c, "/leads")
    r = c.post(B + "/leads/nurture/start")
    assert r.status_code == 200, r.text
    body = r.json()
    cutoff = ts(body["as_of"]) - timedelta(days=7)
    due = {
        x["id"]
        for x in leads
        if x["status"] in ("new", "contacted", "qualified")
        and x["nurture_step"] < 5
        and (x["last_contact"] is None or ts(x["last_contact"]) <= cutoff)
    }
    assert due and {x["lead_id"] for x in body["leads"]} == due and body["processed"] == len(due)
    by_id = {x["id"]: x for x in leads}
    item = body["leads"][0]
    lead = c.get(B + f"/leads/{item['lead_id']}").json()
    old = by_id[item["lead_id"]]
    assert lead["nurture_step"] == old["nurture_step"] + 1 == item["step"]
    assert lead["last_contact"] == body["as_of"]
    assert lead["status"] == ("contacted" if old["status"] == "new" else old["status"])
    sent = c.get(B + f"/leads/{lead['id']}/interactions", params={"type": "email", "limit": 100}).json()[
        "data"
    ]
    assert item["interaction_id"] in {i["id"] for i in sent}
    assert c.post(B + "/leads/nurture/start").json()["processed"] == 0


def test_followups(c):
    lead = c.post(B + "/leads", json={"name": "F", "email": "f@example.com"}).json()
    due_it = c.post(B + f"/leads/{lead['id']}/interactions", json=DOC_LEAD_INTERACTION).json()
    later = c.post(
        B + f"/leads/{lead['id']}/interactions",
        json={"type": "call", "next_action": "Later", "next_action_date": "2999-01-01"},
    ).json()
    leads = all_pages(c, "/leads")
    customers = all_pages(c, "/customers")
    lead_its = [i for x in leads for i in all_pages(c, f"/leads/{x['id']}/interactions")]
    cust_its = [i for x in customers for i in all_pages(c, f"/customers/{x['id']}/interactions")]
    r = c.post(B + "/followups/process")
    assert r.status_code == 200, r.text
    body = r.json()
    now = ts(body["as_of"])

    def due(items: list[dict]) -> set[str]:
        return {
            i["id"]
            for i in items
            if i["next_action_date"] and ts(i["next_action_date"]) <= now and i["followed_up_at"] is None
        }

    assert {i["interaction_id"] for i in body["items"] if i["parent_type"] == "lead"} == due(lead_its)
    assert {i["interaction_id"] for i in body["items"] if i["parent_type"] == "customer"} == due(cust_its)
    assert body["lead_followups"] == len(due(lead_its)) and body["customer_followups"] == len(due(cust_its))
    assert due_it["id"] in due(lead_its) and later["id"] not in due(lead_its)
    listed = {i["id"]: i for i in c.get(B + f"/leads/{lead['id']}/interactions").json()["data"]}
    assert listed[due_it["id"]]["followed_up_at"] == body["as_of"]
    made = next(i for i in body["items"] if i["interaction_id"] == due_it["id"])["followup_interaction_id"]
    assert listed[made]["type"] == "note" and "Send proposal" in listed[made]["notes"]
    assert c.post(B + "/followups/process").json()["processed"] == 0
    # a new date makes it due again
    c.put(B + f"/leads/{lead['id']}/interactions/{due_it['id']}", json={"next_action_date": "2024-02-01"})
    again = c.post(B + "/followups/process").json()
    assert [i["interaction_id"] for i in again["items"]] == [due_it["id"]]


# -- reports ----------------------------------------------------------------------------------
def test_lead_report(c):
    c.post(B + "/leads", json={"name": "N", "email": "n@example.com", "source": "social", "score": 10})
    leads = all_pages(c, "/leads")
    interactions = sum(total(c, f"/leads/{x['id']}/interactions") for x in leads)
    body = c.get(B + "/reports/leads").json()
    since = ts(body["as_of"]) - timedelta(days=30)
    status, source = Counter(x["status"] for x in leads), Counter(x["source"] for x in leads)
    converted = Counter(x["source"] for x in leads if x["status"] == "converted")
    assert body["total_leads"] == len(leads)
    assert {k: v for k, v in body["by_status"].items() if v} == dict(status)
    assert {k: v for k, v in body["by_source"].items() if v} == dict(source)
    assert body["average_score"] == avg([x["score"] for x in leads])
    assert body["converted_leads"] == status["converted"]
    assert body["conversion_rate"] == rate(status["converted"], len(leads))
    assert body["new_last_30_days"] == sum(ts(x["created_at"]) >= since for x in leads) >= 1
    assert body["total_interactions"] == interactions
    assert body["average_interactions_per_lead"] == round(interactions / len(leads), 2)
    for s, figures in body["conversion_by_source"].items():
        assert figures == {
            "total": source[s],
            "converted": converted[s],
            "conversion_rate": rate(converted[s], source[s]),
        }


def orders_reference(orders: list[dict]) -> tuple[list[dict], float]:
    kept = [o for o in orders if o["status"] != "cancelled"]
    return kept, round(sum(o["total_amount"] for o in kept), 2)


def test_customer_report_and_dashboard(c):
    cust = new_customer(c)
    product = some_product(c)
    for quantity in (3, 4):
        c.post(
            B + "/orders", json={"customer_id": cust["id"], "product_id": product["id"], "quantity": quantity}
        )
    customers, orders, leads = all_pages(c, "/customers"), all_pages(c, "/orders"), all_pages(c, "/leads")
    kept, revenue = orders_reference(orders)
    per = Counter(o["customer_id"] for o in kept)
    body = c.get(B + "/reports/customers").json()
    since = ts(body["as_of"]) - timedelta(days=30)
    assert body["total_customers"] == len(customers)
    assert body["by_status"] == {
        s: sum(x["status"] == s for x in customers) for s in ("active", "inactive", "blocked")
    }
    assert body["by_type"] == {t: sum(x["type"] == t for x in customers) for t in ("individual", "business")}
    assert body["new_last_30_days"] == sum(ts(x["created_at"]) >= since for x in customers)
    assert body["converted_from_leads"] == sum(bool(x["lead_id"]) for x in customers)
    assert body["total_orders"] == len(orders)
    assert body["orders_by_status"] == {
        s: sum(o["status"] == s for o in orders)
        for s in ("pending", "processing", "shipped", "delivered", "cancelled")
    }
    assert body["total_revenue"] == pytest.approx(revenue)
    assert body["average_order_value"] == pytest.approx(round(revenue / len(kept), 2))
    assert body["customers_with_orders"] == len(per)
    repeat = sum(n >= 2 for n in per.values())
    assert body["repeat_customers"] == repeat and body["repeat_customer_rate"] == rate(repeat, len(per))
    assert body["average_lifetime_value"] == pytest.approx(round(revenue / len(customers), 2))

    dash = c.get(B + "/analytics/dashboard").json()
    now = ts(dash["as_of"])
    since = now - timedelta(days=30)
    status = Counter(x["status"] for x in leads)
    assert dash["leads"]["total"] == len(leads) and dash["leads"]["converted"] == status["converted"]
    assert {k: v for k, v in dash["leads"]["pipeline"].items() if v} == dict(status)
    assert dash["customers"] == {
        "total": len(customers),
        "active": sum(x["status"] == "active" for x in customers),
        "new_last_30_days": sum(ts(x["created_at"]) >= since for x in customers),
    }
    recent = [o for o in orders if since <= ts(o["order_date"]) <= now]
    assert dash["orders"]["total"] == len(orders) and dash["orders"]["last_30_days"] == len(recent)
    assert dash["orders"]["revenue"] == pytest.approx(revenue)
    assert dash["orders"]["revenue_last_30_days"] == pytest.approx(orders_reference(recent)[1])
    assert dash["feedback"] == feedback_reference(all_pages(c, "/feedback"))
    names = {x["id"]: x["name"] for x in customers}
    sums: dict[str, float] = {}
    for o in kept:
        sums[o["customer_id"]] = sums.get(o["customer_id"], 0.0) + o["total_amount"]
    top = sorted(sums.items(), key=lambda t: (-round(t[1], 2), names[t[0]], t[0]))[:5]
    assert [t["customer_id"] for t in dash["top_customers"]] == [cid for cid, _ in top]
    assert dash["top_customers"][0]["orders"] == per[top[0][0]]
    # figures follow the data
    c.post(B + "/orders", json={"customer_id": cust["id"], "product_id": product["id"], "quantity": 1})
    assert c.get(B + "/reports/customers").json()["total_orders"] == len(orders) + 1


def health_reference(c: TestClient, customer_id: str, as_of: str) -> dict[str, Any]:
    now = ts(as_of)
    its = all_pages(c, f"/customers/{customer_id}/interactions")
    orders = all_pages(c, "/orders", customer_id=customer_id)
    ratings = [f["rating"] for f in all_pages(c, "/feedback", customer_id=customer_id, status="received")]
    touches = [ts(i["date"]) for i in its if ts(i["date"]) <= now] + [
        ts(o["order_date"]) for o in orders if ts(o["order_date"]) <= now
    ]
    days = (now - max(touches)).days if touches else None
    recent = sum(now - timedelta(days=90) <= ts(i["date"]) <= now for i in its)
    kept = [o for o in orders if o["status"] != "cancelled"]
    comps = {
        "recency": 0 if days is None else 30 if days <= 30 else 15 if days <= 90 else 0,
        "engagement": min(20, 4 * recent),
        "purchases": min(25, 5 * len(kept)),
        "satisfaction": round((sum(ratings) / len(ratings) - 1) / 4 * 25) if ratings else 12,
    }
    return {
        "components": comps,
        "score": sum(comps.values()),
        "days": days,
        "orders": len(kept),
        "ratings": ratings,
    }


def test_customer_health(c):
    customers = all_pages(c, "/customers")
    product = some_product(c)
    fresh = new_customer(c)
    today = datetime.now().strftime("%Y-%m-%d")
    for _ in range(6):
        c.post(
            B + f"/customers/{fresh['id']}/interactions",
            json={"type": "call", "subject": "Hi", "date": today},
        )
        c.post(B + "/orders", json={"customer_id": fresh["id"], "product_id": product["id"], "quantity": 1})
    fb = c.post(B + f"/customers/{fresh['id']}/feedback/request").json()
    c.post(B + f"/feedback/{fb['id']}", json={"rating": 4})
    for cid in [fresh["id"], *(x["id"] for x in customers[:8])]:
        body = c.get(B + f"/customers/{cid}/health").json()
        ref = health_reference(c, cid, body["as_of"])
        assert body["components"] == ref["components"] and body["score"] == ref["score"]
        assert body["status"] == (
            "healthy" if ref["score"] >= 70 else "at_risk" if ref["score"] >= 40 else "critical"
        )
        assert body["metrics"]["days_since_last_touch"] == ref["days"]
        assert body["metrics"]["orders"] == ref["orders"]
        assert body["metrics"]["average_rating"] == avg(ref["ratings"])
    fresh_health = c.get(B + f"/customers/{fresh['id']}/health").json()
    assert fresh_health["status"] == "healthy" and fresh_health["components"]["recency"] == 30
    assert c.get(B + f"/customers/{uuid.uuid4()}/health").status_code == 404


def test_segments(c):
    customers = all_pages(c, "/customers")
    orders = all_pages(c, "/orders")
    body = c.get(B + "/customers/segments").json()
    now = ts(body["as_of"])
    revenue: dict[str, float] = {}
    last: dict[str, datetime] = {}
    for o in orders:
        if o["status"] != "cancelled":
            revenue[o["customer_id"]] = revenue.get(o["customer_id"], 0.0) + o["total_amount"]
        if ts(o["order_date"]) <= now:
            last[o["customer_id"]] = max(last.get(o["customer_id"], ts(o["order_date"])), ts(o["order_date"]))
    for x in customers:
        for i in all_pages(c, f"/customers/{x['id']}/interactions"):
            if ts(i["date"]) <= now:
                last[x["id"]] = max(last.get(x["id"], ts(i["date"])), ts(i["date"]))
    value, engage = Counter(), Counter()
    for x in customers:
        v = round(revenue.get(x["id"], 0.0), 2)
        value["high" if v >= 5000 else "medium" if v >= 1000 else "low" if v > 0 else "none"] += 1
        days = (now - last[x["id"]]).days if x["id"] in last else None
        engage["dormant" if days is None or days > 90 else "engaged" if days <= 30 else "at_risk"] += 1
    assert body["total_customers"] == len(customers)
    assert {k: v for k, v in body["by_value"].items() if v} == dict(value)
    assert {k: v for k, v in body["by_engagement"].items() if v} == dict(engage)
    assert body["by_type"] == {t: sum(x["type"] == t for x in customers) for t in ("individual", "business")}
    new_customer(c, status="blocked")
    assert c.get(B + "/customers/segments").json()["by_status"]["blocked"] == body["by_status"]["blocked"] + 1
