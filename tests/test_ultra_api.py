"""Functional tests of the CRM-Ultra API over HTTP: every operation, state, filters, auth, bad input.

Expected values are derived in each test from data fetched through the API or from the records the
test created; the document's examples are used only for request bodies and response shapes.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from httpx import Response
from starlette.testclient import TestClient

from tests.ultra_support import DOC_CREATE_LEAD, all_leads, assert_error, get_lead, list_all

ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Retry-After")
LEAD_KEYS = {
    "id",
    "status",
    "score",
    "createdAt",
    "updatedAt",
    "assignedTo",
    "source",
    "notesCount",
    "tasksCount",
    "emailsCount",
    "lastActivity",
    "tags",
    "customFields",
    "email",
    "phone",
    "firstName",
    "lastName",
    "city",
    "state",
    "insuranceType",
    "priority",
}
NOTE_KEYS = {"id", "content", "visibility", "createdAt", "createdBy", "leadId"}
TASK_KEYS = {
    "id",
    "title",
    "description",
    "priority",
    "status",
    "type",
    "dueDate",
    "assignee",
    "createdAt",
    "updatedAt",
    "completedAt",
    "leadId",
}
EMAIL_KEYS = {
    "id",
    "status",
    "to",
    "subject",
    "body",
    "templateId",
    "scheduledFor",
    "sentAt",
    "opened",
    "openedAt",
    "leadId",
    "createdAt",
}
ACTIVITY_KEYS = {"id", "type", "description", "createdAt", "createdBy", "metadata", "leadId"}
WEBHOOK_KEYS = {"id", "url", "events", "active", "createdAt"}
PAGINATION_KEYS = {"page", "limit", "total", "totalPages", "hasNext", "hasPrev"}
OAUTH = {
    "client_id": "demo-client",
    "client_secret": "demo-secret",
    "redirect_uri": "http://localhost:8080/callback",
}

# ---------------------------------------------------------------- the document's examples
DOC_CREATE_LEAD_RESPONSE = {
    "id": "lead_123456789",
    "status": "new",
    "score": 65,
    "createdAt": "2024-01-15T14:30:00Z",
    "updatedAt": "2024-01-15T14:30:00Z",
    "assignedTo": None,
    "source": "facebook_ads",
    "email": "john.doe@example.com",
    "phone": "+15551234567",
    "firstName": "John",
    "lastName": "Doe",
    "city": "New York",
    "state": "NY",
    "insuranceType": "AUTO",
}
DOC_GET_LEAD_RESPONSE = {
    "id": "lead_123456789",
    "status": "qualified",
    "score": 78,
    "createdAt": "2024-01-15T14:30:00Z",
    "updatedAt": "2024-01-16T09:15:30Z",
    "assignedTo": {"id": "user_abc123", "name": "Jane Smith", "email": "jane@company.com"},
    "source": "facebook_ads",
    "email": "john.doe@example.com",
    "phone": "+15551234567",
    "firstName": "John",
    "lastName": "Doe",
    "city": "New York",
    "state": "NY",
    "insuranceType": "AUTO",
    "notesCount": 3,
    "tasksCount": 2,
    "emailsCount": 4,
    "lastActivity": "2024-01-16T09:15:30Z",
}
DOC_LIST_LEADS_RESPONSE = {
    "data": [
        {
            "id": "lead_123456789",
            "status": "new",
            "score": 65,
            "createdAt": "2024-01-15T14:30:00Z",
            "updatedAt": "2024-01-15T14:30:00Z",
            "assignedTo": None,
            "source": "facebook_ads",
            "email": "john.doe@example.com",
            "phone": "+15551234567",
            "firstName": "John",
            "lastName": "Doe",
            "insuranceType": "AUTO",
        }
    ],
    "pagination": {
        "page": 1,
        "limit": 50,
        "total": 1250,
        "totalPages": 25,
        "hasNext": True,
        "hasPrev": False,
    },
}
DOC_UPDATE_LEAD = {"status": "qualified", "priority": "high", "score": 85, "assignedTo": "user_xyz789"}
DOC_DELETE_RESPONSE = {"id": "lead_123456789", "deleted": True, "deletedAt": "2024-01-16T10:30:00Z"}
DOC_CREATE_NOTE = {
    "content": "Customer called to discuss auto insurance options. Interested in comprehensive "
    "coverage with roadside assistance.",
    "visibility": "TEAM",
}
DOC_NOTE_RESPONSE = {
    "id": "note_abc123",
    "content": "Customer called to discuss auto insurance options...",
    "visibility": "TEAM",
    "createdAt": "2024-01-16T10:30:00Z",
    "createdBy": {"id": "user_abc123", "name": "Jane Smith", "email": "jane@company.com"},
    "leadId": "lead_123456789",
}
DOC_CREATE_TASK = {
    "title": "Follow up on quote",
    "description": "Customer requested email with detailed quote. Send by end of day.",
    "priority": "HIGH",
    "dueDate": "2024-01-17T17:00:00Z",
    "assigneeId": "user_abc123",
    "type": "FOLLOW_UP",
}
DOC_TASK_RESPONSE = {
    "id": "task_xyz789",
    "title": "Follow up on quote",
    "description": "Customer requested email with detailed quote...",
    "priority": "HIGH",
    "status": "OPEN",
    "dueDate": "2024-01-17T17:00:00Z",
    "assignee": {"id": "user_abc123", "name": "Jane Smith"},
    "createdAt": "2024-01-16T10:30:00Z",
    "leadId": "lead_123456789",
}
DOC_UPDATE_TASK = {"status": "COMPLETED"}
DOC_SEND_EMAIL = {
    "to": ["john.doe@example.com"],
    "subject": "Your Auto Insurance Quote",
    "body": "Hi John, Here's the quote we discussed...",
    "templateId": "template_quote_followup",
    "scheduledFor": "2024-01-17T09:00:00Z",
}
DOC_EMAIL_RESPONSE = {
    "id": "email_456def",
    "status": "SENT",
    "to": ["john.doe@example.com"],
    "subject": "Your Auto Insurance Quote",
    "sentAt": "2024-01-16T10:30:00Z",
    "opened": False,
    "openedAt": None,
}
DOC_TEMPLATES_RESPONSE = {
    "templates": [
        {
            "id": "template_quote_followup",
            "name": "Quote Follow-up",
            "subject": "Your Insurance Quote",
            "body": "Hi {{firstName}}, regarding your quote...",
            "variables": ["firstName", "lastName", "quoteAmount"],
        }
    ]
}
DOC_ACTIVITIES_RESPONSE = {
    "activities": [
        {
            "id": "act_123",
            "type": "EMAIL_SENT",
            "description": "Quote follow-up email sent",
            "createdAt": "2024-01-16T10:30:00Z",
            "createdBy": {"id": "user_abc123", "name": "Jane Smith"},
            "metadata": {"emailId": "email_456def", "template": "quote_followup"},
        }
    ],
    "pagination": {"page": 1, "limit": 50, "total": 25},
}
DOC_REPORT_RESPONSE = {
    "summary": {
        "totalLeads": 1250,
        "convertedLeads": 287,
        "conversionRate": 22.96,
        "avgTimeToConversion": 8.5,
    },
    "bySource": [{"source": "facebook_ads", "total": 450, "converted": 112, "rate": 24.89}],
}
DOC_ME_RESPONSE = {
    "id": "user_abc123",
    "name": "Jane Smith",
    "email": "jane@company.com",
    "role": "SALES_MANAGER",
    "permissions": ["read:leads", "write:leads", "read:reports"],
    "createdAt": "2023-06-15T08:30:00Z",
}
DOC_REGISTER_WEBHOOK = {
    "url": "https://your-domain.com/webhook",
    "events": ["lead.created", "lead.assigned"],
    "secret": "your_webhook_secret",
}


# ---------------------------------------------------------------- helpers
# fields the spec declares nullable: a null there matches an example of any type
NULLABLE = {
    "email", "phone", "firstName", "lastName", "city", "state", "insuranceType", "priority",
    "assignedTo", "lastActivity", "description", "dueDate", "assignee", "completedAt", "body",
    "templateId", "scheduledFor", "sentAt", "openedAt", "avgTimeToConversion", "createdBy",
}  # fmt: skip


def assert_shape(actual: Any, example: Any, where: str = "$") -> None:
    """``actual`` has every key of the document's ``example`` with a value of the same JSON type.

    A null in the example says nothing about the type, a field the spec makes nullable may be null,
    a date-time string must stay one, and a list example describes every item of the actual list.
    """
    if example is None or (actual is None and where.rsplit(".", 1)[-1] in NULLABLE):
        return
    if isinstance(example, dict):
        assert isinstance(actual, dict), f"{where}: expected an object, got {actual!r}"
        for key, value in example.items():
            assert key in actual, f"{where}: missing key {key!r}"
            assert_shape(actual[key], value, f"{where}.{key}")
    elif isinstance(example, list):
        assert isinstance(actual, list), f"{where}: expected an array, got {actual!r}"
        if example:
            for i, item in enumerate(actual):
                assert_shape(item, example[0], f"{where}[{i}]")
    elif isinstance(example, bool):
        assert isinstance(actual, bool), f"{where}: expected a boolean, got {actual!r}"
    elif isinstance(example, int):
        assert isinstance(actual, int) and not isinstance(actual, bool), (
            f"{where}: expected int, got {actual!r}"
        )
    elif isinstance(example, float):
        assert isinstance(actual, (int, float)) and not isinstance(actual, bool), f"{where}: {actual!r}"
    elif isinstance(example, str):
        assert isinstance(actual, str), f"{where}: expected a string, got {actual!r}"
        if ISO.match(example):
            assert ISO.match(actual), f"{where}: expected an ISO 8601 date-time, got {actual!r}"


def assert_rate_headers(resp: Response) -> dict[str, int]:
    values = {}
    for name in RATE_HEADERS:
        assert name in resp.headers, f"{name} missing on {resp.status_code}"
        assert resp.headers[name].isdigit(), (name, resp.headers[name])
        values[name] = int(resp.headers[name])
    assert values["X-RateLimit-Remaining"] <= values["X-RateLimit-Limit"]
    assert values["X-RateLimit-Reset"] > time.time() - 5
    return values


def assert_pagination(p: dict[str, Any], page: int, limit: int, total: int) -> None:
    assert set(p) == PAGINATION_KEYS
    pages = math.ceil(total / limit)
    assert p == {
        "page": page,
        "limit": limit,
        "total": total,
        "totalPages": pages,
        "hasNext": page < pages,
        "hasPrev": page > 1,
    }


def lead_total(client: TestClient, auth: dict[str, str]) -> int:
    resp = client.get("/v1/leads", params={"limit": 1}, headers=auth)
    assert resp.status_code == 200
    return resp.json()["pagination"]["total"]


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [i["id"] for i in items]


def create_lead(client: TestClient, auth: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = fields or {"email": "created.lead@example.com", "firstName": "Created"}
    resp = client.post("/v1/leads", json=body, headers=auth)
    assert resp.status_code == 201, resp.text
    return resp.json()


def check_lead(lead: dict[str, Any]) -> None:
    """A lead object as the spec defines it, with no internal fields leaking out."""
    assert set(lead) == LEAD_KEYS, set(lead) ^ LEAD_KEYS
    assert re.match(r"^lead_[0-9]+$", lead["id"])
    assert isinstance(lead["score"], int) and 0 <= lead["score"] <= 100
    for key in ("notesCount", "tasksCount", "emailsCount"):
        assert isinstance(lead[key], int) and lead[key] >= 0
    for key in ("createdAt", "updatedAt"):
        assert ISO.match(lead[key])
    assert lead["lastActivity"] is None or ISO.match(lead["lastActivity"])
    assert lead["assignedTo"] is None or set(lead["assignedTo"]) == {"id", "name", "email"}
    assert isinstance(lead["tags"], list) and isinstance(lead["customFields"], dict)


def assignee_id(lead: dict[str, Any]) -> str | None:
    return lead["assignedTo"]["id"] if lead["assignedTo"] else None


def authorize(client: TestClient, scope: str = "read write", state: str = "st-1") -> str:
    resp = client.get(
        "/oauth/authorize",
        params={
            "client_id": OAUTH["client_id"],
            "redirect_uri": OAUTH["redirect_uri"],
            "response_type": "code",
            "scope": scope,
            "state": state,
        },
        follow_redirects=False,
    )
    assert resp.status_code == 302, resp.text
    query = parse_qs(urlsplit(resp.headers["location"]).query)
    assert query["state"] == [state]
    return query["code"][0]


def exchange(client: TestClient, code: str) -> Response:
    return client.post(
        "/oauth/token",
        data={**OAUTH, "code": code, "grant_type": "authorization_code"},
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# ================================================================ leads: CRUD and state
def test_create_lead_then_get_list_update_delete(client: TestClient, auth: dict[str, str]) -> None:
    before = lead_total(client, auth)
    created = create_lead(
        client,
        auth,
        email="Crud.Person@example.com",
        phone="+15550001111",
        firstName="Crud",
        lastName="Person",
        city="Austin",
        state="TX",
        insuranceType="HOME",
        source="website",
        priority="low",
        tags=["hot"],
        customFields={"n": 1, "flag": True},
    )
    check_lead(created)
    assert created["status"] == "new"
    assert created["email"] == "Crud.Person@example.com" and created["state"] == "TX"
    assert created["customFields"] == {"n": 1, "flag": True} and created["tags"] == ["hot"]
    assert get_lead(client, auth, created["id"]) == created
    assert lead_total(client, auth) == before + 1
    newest = client.get("/v1/leads", params={"limit": 1}, headers=auth).json()["data"][0]
    assert newest == created  # default sort: createdAt desc; it is the newest record

    resp = client.put(
        f"/v1/leads/{created['id']}", json={"city": "Dallas", "priority": "urgent"}, headers=auth
    )
    assert resp.status_code == 200, resp.text
    updated = resp.json()
    check_lead(updated)
    assert updated["city"] == "Dallas" and updated["priority"] == "urgent"
    unchanged = {
        k: v for k, v in created.items() if k not in ("city", "priority", "updatedAt", "lastActivity")
    }
    assert {k: updated[k] for k in unchanged} == unchanged
    assert updated["updatedAt"] >= created["updatedAt"]
    assert get_lead(client, auth, created["id"]) == updated

    resp = client.delete(f"/v1/leads/{created['id']}", headers=auth)
    assert resp.status_code == 200, resp.text
    assert resp.json()["id"] == created["id"] and resp.json()["deleted"] is True
    assert_shape(resp.json(), DOC_DELETE_RESPONSE)
    assert lead_total(client, auth) == before
    err = assert_error(client.get(f"/v1/leads/{created['id']}", headers=auth), 404, "resource_not_found")
    assert created["id"] in err["message"] or err["details"] == {"id": created["id"]}
    assert_error(
        client.put(f"/v1/leads/{created['id']}", json={"city": "X"}, headers=auth), 404, "resource_not_found"
    )
    assert_error(client.delete(f"/v1/leads/{created['id']}", headers=auth), 404, "resource_not_found")
    assert created["id"] not in ids(all_leads(client, auth, search="crud.person"))


def test_seeded_leads_are_well_formed(client: TestClient, auth: dict[str, str]) -> None:
    leads = all_leads(client, auth)
    assert len(leads) == len(set(ids(leads))) > 0
    for lead in leads:
        check_lead(lead)
        assert lead["email"] or lead["phone"]


def test_update_lead_partial_and_unassign(client: TestClient, auth: dict[str, str]) -> None:
    """Only the fields sent change; ``assignedTo: null`` unassigns."""
    target = next(lead for lead in all_leads(client, auth) if lead["assignedTo"])
    resp = client.put(f"/v1/leads/{target['id']}", json={"assignedTo": None}, headers=auth)
    assert resp.status_code == 200, resp.text
    assert resp.json()["assignedTo"] is None
    same = {k: v for k, v in target.items() if k not in ("assignedTo", "updatedAt", "score", "lastActivity")}
    assert {k: resp.json()[k] for k in same} == same
    listed = all_leads(client, auth, assignedTo=target["assignedTo"]["id"])
    assert target["id"] not in ids(listed)


def test_delete_lead_makes_children_unreachable(client: TestClient, auth: dict[str, str]) -> None:
    lead = create_lead(client, auth, email="doomed@example.com")
    lid = lead["id"]
    assert client.post(f"/v1/leads/{lid}/notes", json={"content": "n"}, headers=auth).status_code == 201
    task = client.post(f"/v1/leads/{lid}/tasks", json={"title": "t"}, headers=auth).json()
    email = client.post(
        f"/v1/leads/{lid}/emails", json={"to": ["doomed@example.com"], "subject": "s"}, headers=auth
    )
    assert email.status_code == 201
    for child in ("notes", "tasks", "emails", "activities"):
        assert client.get(f"/v1/leads/{lid}/{child}", headers=auth).json()["pagination"]["total"] >= 1

    assert client.delete(f"/v1/leads/{lid}", headers=auth).status_code == 200
    for child in ("notes", "tasks", "emails", "activities"):
        assert_error(client.get(f"/v1/leads/{lid}/{child}", headers=auth), 404, "resource_not_found")
    assert_error(
        client.put(f"/v1/tasks/{task['id']}", json={"status": "COMPLETED"}, headers=auth),
        404,
        "resource_not_found",
    )
    assert_error(
        client.post(f"/v1/leads/{lid}/notes", json={"content": "late"}, headers=auth),
        404,
        "resource_not_found",
    )


def test_delete_seeded_lead_cascades(client: TestClient, auth: dict[str, str]) -> None:
    """A seeded lead with tasks: after deletion its tasks can no longer be updated."""
    lead = next(x for x in all_leads(client, auth) if x["tasksCount"] and x["notesCount"])
    tasks = list_all(client, auth, f"/v1/leads/{lead['id']}/tasks")
    assert len(tasks) == lead["tasksCount"]
    assert client.delete(f"/v1/leads/{lead['id']}", headers=auth).status_code == 200
    for task in tasks:
        assert_error(
            client.put(f"/v1/tasks/{task['id']}", json={"status": "OPEN"}, headers=auth),
            404,
            "resource_not_found",
        )
    assert_error(client.get(f"/v1/leads/{lead['id']}/notes", headers=auth), 404, "resource_not_found")


def test_unknown_ids_are_404(client: TestClient, auth: dict[str, str]) -> None:
    existing = set(ids(all_leads(client, auth)))
    missing = next(f"lead_{n:09d}" for n in range(1000) if f"lead_{n:09d}" not in existing)
    for method, path in [
        ("GET", f"/v1/leads/{missing}"),
        ("DELETE", f"/v1/leads/{missing}"),
        ("GET", f"/v1/leads/{missing}/notes"),
        ("GET", f"/v1/leads/{missing}/tasks"),
        ("GET", f"/v1/leads/{missing}/emails"),
        ("GET", f"/v1/leads/{missing}/activities"),
        ("GET", "/v1/webhooks/wh_doesnotexist"),
        ("DELETE", "/v1/webhooks/wh_doesnotexist"),
    ]:
        err = assert_error(client.request(method, path, headers=auth), 404, "resource_not_found")
        assert err["details"] == {"id": path.split("/")[3]}
    assert_error(
        client.put("/v1/tasks/task_nope", json={"status": "OPEN"}, headers=auth), 404, "resource_not_found"
    )
    for child, body in [
        ("notes", {"content": "x"}),
        ("tasks", {"title": "x"}),
        ("emails", {"to": ["a@example.com"], "subject": "x"}),
    ]:
        assert_error(
            client.post(f"/v1/leads/{missing}/{child}", json=body, headers=auth), 404, "resource_not_found"
        )


# ================================================================ listLeads: filters, search, sort, pages
@pytest.mark.parametrize(
    ("param", "value_of"),
    [
        ("status", lambda lead: lead["status"]),
        ("source", lambda lead: lead["source"]),
        ("insuranceType", lambda lead: lead["insuranceType"]),
        ("assignedTo", assignee_id),
    ],
)
def test_list_leads_equality_filters(
    client: TestClient, auth: dict[str, str], param: str, value_of: Callable[[dict], Any]
) -> None:
    """Each filter value gives exactly the leads a Python filter over all leads gives, in order."""
    everything = all_leads(client, auth)
    values = {value_of(lead) for lead in everything} - {None}
    assert len(values) >= 2
    seen = 0
    for value in sorted(values):
        expected = [lead["id"] for lead in everything if value_of(lead) == value]
        got = all_leads(client, auth, **{param: value})
        assert ids(got) == expected, value
        seen += len(got)
    assert seen == len([lead for lead in everything if value_of(lead) is not None])


def test_list_leads_document_example_query(client: TestClient, auth: dict[str, str]) -> None:
    """``GET /leads?status=new&assignedTo=user_abc123&page=1&limit=50`` as the document writes it."""
    everything = all_leads(client, auth)
    expected = [x["id"] for x in everything if x["status"] == "new" and assignee_id(x) == "user_abc123"]
    assert expected
    resp = client.get("/v1/leads?status=new&assignedTo=user_abc123&page=1&limit=50", headers=auth)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert_shape(body, DOC_LIST_LEADS_RESPONSE)
    assert_pagination(body["pagination"], 1, 50, len(expected))
    assert ids(body["data"]) == expected[:50]
    for lead in body["data"]:
        check_lead(lead)


def test_list_leads_combined_filters(client: TestClient, auth: dict[str, str]) -> None:
    everything = all_leads(client, auth)
    sample = everything[len(everything) // 3]
    query = {"status": sample["status"], "source": sample["source"], "insuranceType": sample["insuranceType"]}
    expected = [x["id"] for x in everything if all(x[k] == v for k, v in query.items())]
    assert sample["id"] in expected
    assert ids(all_leads(client, auth, **query)) == expected


def test_list_leads_date_filters(client: TestClient, auth: dict[str, str]) -> None:
    """dateFrom/dateTo are inclusive, accept date-times, offsets and bare dates (whole days)."""
    everything = all_leads(client, auth)
    stamps = sorted(x["createdAt"] for x in everything)
    lo, hi = stamps[len(stamps) // 4], stamps[3 * len(stamps) // 4]

    def between(a: str, b: str) -> list[str]:
        return [x["id"] for x in everything if a <= x["createdAt"] <= b]

    assert ids(all_leads(client, auth, dateFrom=lo, dateTo=hi)) == between(lo, hi)
    assert ids(all_leads(client, auth, dateFrom=lo)) == between(lo, "9999")
    assert ids(all_leads(client, auth, dateTo=lo)) == between("0000", lo)
    assert lo < hi and all_leads(client, auth, dateFrom=hi, dateTo=lo) == []
    # the same instant written with a +02:00 offset
    moment = datetime.fromisoformat(lo.replace("Z", "+00:00")).astimezone(timezone(timedelta(hours=2)))
    assert ids(all_leads(client, auth, dateFrom=moment.isoformat())) == between(lo, "9999")
    # bare dates cover whole days at both ends (dateTo=D includes all of day D)
    day_lo, day_hi = lo[:10], hi[:10]
    expected = [x["id"] for x in everything if day_lo <= x["createdAt"][:10] <= day_hi]
    assert set(between(lo, hi)) <= set(expected)
    assert ids(all_leads(client, auth, dateFrom=day_lo, dateTo=day_hi)) == expected
    one_day = [x["id"] for x in everything if x["createdAt"][:10] == day_lo]
    assert one_day and ids(all_leads(client, auth, dateFrom=day_lo, dateTo=day_lo)) == one_day


def test_list_leads_search(client: TestClient, auth: dict[str, str]) -> None:
    """search is a case-insensitive substring match over first/last name, email and phone."""
    everything = all_leads(client, auth)
    fields = ("firstName", "lastName", "email", "phone")
    sample = next(x for x in everything if x["phone"] and x["email"] and len(x["lastName"] or "") >= 4)
    terms = [
        sample["lastName"][1:4].upper(),
        sample["firstName"].lower(),
        sample["email"].split("@")[0][-5:].upper(),
        sample["phone"][-6:],
        "@",
        "zzqx-no-such-text",
    ]
    for term in terms:
        expected = [x["id"] for x in everything if any(term.lower() in (x[f] or "").lower() for f in fields)]
        got = all_leads(client, auth, search=term)
        assert ids(got) == expected, term
        if term != "zzqx-no-such-text":
            assert sample["id"] in ids(got)
    created = create_lead(client, auth, phone="+1 (555) 987-6543", lastName="Ölçer-Quux")
    assert ids(all_leads(client, auth, search="987-65")) == [created["id"]]
    assert ids(all_leads(client, auth, search="quux")) == [created["id"]]
    # search combines with filters
    status = sample["status"]
    expected = [x["id"] for x in everything if x["status"] == status and "@" in (x["email"] or "")]
    assert ids(all_leads(client, auth, search="@", status=status)) == expected


@pytest.mark.parametrize("sort_by", ["createdAt", "updatedAt", "score"])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_list_leads_sorting(client: TestClient, auth: dict[str, str], sort_by: str, order: str) -> None:
    everything = all_leads(client, auth)
    got = all_leads(client, auth, sortBy=sort_by, sortOrder=order)
    assert sorted(ids(got)) == sorted(ids(everything))
    keys = [x[sort_by] for x in got]
    assert keys == sorted(keys, reverse=order == "desc")
    assert len(set(keys)) > 1


def test_list_leads_default_sort_is_created_desc(client: TestClient, auth: dict[str, str]) -> None:
    default = all_leads(client, auth)
    assert ids(default) == ids(all_leads(client, auth, sortBy="createdAt", sortOrder="desc"))
    keys = [x["createdAt"] for x in default]
    assert keys == sorted(keys, reverse=True)
    asc = all_leads(client, auth, sortOrder="asc")
    assert [x["createdAt"] for x in asc] == sorted(keys)


@pytest.mark.parametrize("limit", [7, 30, 100])
def test_list_leads_pagination(client: TestClient, auth: dict[str, str], limit: int) -> None:
    """Pages are coherent, neither overlap nor skip, and concatenate to the whole sorted list."""
    reference = all_leads(client, auth, sortBy="score", sortOrder="desc")  # many ties: a stable order
    total = len(reference)
    pages = math.ceil(total / limit)
    collected: list[str] = []
    for page in range(1, pages + 1):
        resp = client.get(
            "/v1/leads",
            params={"sortBy": "score", "sortOrder": "desc", "page": page, "limit": limit},
            headers=auth,
        )
        assert resp.status_code == 200
        body = resp.json()
        assert_pagination(body["pagination"], page, limit, total)
        assert len(body["data"]) == (limit if page < pages else total - limit * (pages - 1))
        collected += ids(body["data"])
    assert collected == ids(reference)
    beyond = client.get("/v1/leads", params={"page": pages + 1, "limit": limit}, headers=auth).json()
    assert beyond["data"] == []
    assert_pagination(beyond["pagination"], pages + 1, limit, total)


def test_list_leads_default_page_size(client: TestClient, auth: dict[str, str]) -> None:
    total = lead_total(client, auth)
    body = client.get("/v1/leads", headers=auth).json()
    assert_pagination(body["pagination"], 1, 20, total)
    assert len(body["data"]) == min(20, total)


def test_list_leads_filtered_pagination(client: TestClient, auth: dict[str, str]) -> None:
    everything = all_leads(client, auth)
    expected = [x["id"] for x in everything if x["status"] == "new"]
    limit = 9
    pages = math.ceil(len(expected) / limit)
    assert pages >= 2
    got: list[str] = []
    for page in range(1, pages + 1):
        body = client.get(
            "/v1/leads", params={"status": "new", "page": page, "limit": limit}, headers=auth
        ).json()
        assert_pagination(body["pagination"], page, limit, len(expected))
        got += ids(body["data"])
    assert got == expected


# ================================================================ notes, tasks, emails, activities
def busiest_lead(client: TestClient, auth: dict[str, str], counter: str) -> dict[str, Any]:
    return max(all_leads(client, auth), key=lambda x: (x[counter], x["id"]))


def test_create_and_list_notes(client: TestClient, auth: dict[str, str]) -> None:
    me = client.get("/v1/users/me", headers=auth).json()
    lead = create_lead(client, auth, email="notes@example.com")
    resp = client.post(f"/v1/leads/{lead['id']}/notes", json={"content": "First contact"}, headers=auth)
    assert resp.status_code == 201, resp.text
    note = resp.json()
    assert set(note) == NOTE_KEYS
    assert re.match(r"^note_[0-9A-Za-z]+$", note["id"]) and ISO.match(note["createdAt"])
    assert note["content"] == "First contact" and note["visibility"] == "TEAM"  # the default
    assert note["createdBy"] == {k: me[k] for k in ("id", "name", "email")}
    assert note["leadId"] == lead["id"]
    body = client.get(f"/v1/leads/{lead['id']}/notes", headers=auth).json()
    assert body["data"] == [note]
    assert_pagination(body["pagination"], 1, 20, 1)


def test_list_notes_filters(client: TestClient, auth: dict[str, str]) -> None:
    """visibility, createdBy and date filters match a Python filter over all the lead's notes."""
    lead = busiest_lead(client, auth, "notesCount")
    path = f"/v1/leads/{lead['id']}/notes"
    seeded = list_all(client, auth, path)
    assert len(seeded) == lead["notesCount"] >= 2
    for visibility in ("PRIVATE", "PUBLIC", "TEAM"):
        resp = client.post(
            path, json={"content": f"{visibility} note", "visibility": visibility}, headers=auth
        )
        assert resp.status_code == 201 and resp.json()["visibility"] == visibility
    notes = list_all(client, auth, path)
    assert len(notes) == len(seeded) + 3

    for visibility in ("PRIVATE", "PUBLIC", "TEAM"):
        expected = [n["id"] for n in notes if n["visibility"] == visibility]
        assert ids(list_all(client, auth, path, visibility=visibility)) == expected
    creators = {n["createdBy"]["id"] for n in notes}
    assert len(creators) >= 2 or len(seeded) == 0
    for creator in creators:
        expected = [n["id"] for n in notes if n["createdBy"]["id"] == creator]
        assert ids(list_all(client, auth, path, createdBy=creator)) == expected
    assert list_all(client, auth, path, createdBy="user_nobody") == []

    oldest = min(n["createdAt"] for n in notes)
    newest = max(n["createdAt"] for n in notes)
    assert oldest < newest
    assert ids(list_all(client, auth, path, dateTo=oldest)) == [
        n["id"] for n in notes if n["createdAt"] == oldest
    ]
    assert ids(list_all(client, auth, path, dateFrom=newest)) == [
        n["id"] for n in notes if n["createdAt"] == newest
    ]
    day = newest[:10]
    assert ids(list_all(client, auth, path, dateFrom=day, dateTo=day)) == [
        n["id"] for n in notes if n["createdAt"][:10] == day
    ]
    expected = [n["id"] for n in notes if n["visibility"] == "TEAM" and n["createdAt"] >= newest]
    assert ids(list_all(client, auth, path, visibility="TEAM", dateFrom=newest)) == expected


def test_create_update_and_list_tasks(client: TestClient, auth: dict[str, str]) -> None:
    lead = create_lead(client, auth, email="tasks@example.com")
    path = f"/v1/leads/{lead['id']}/tasks"
    resp = client.post(path, json={"title": "Call back"}, headers=auth)
    assert resp.status_code == 201, resp.text
    task = resp.json()
    assert set(task) == TASK_KEYS
    assert re.match(r"^task_[0-9A-Za-z]+$", task["id"])
    assert task["status"] == "OPEN" and task["priority"] == "MEDIUM" and task["type"] == "FOLLOW_UP"
    assert task["assignee"] is None and task["completedAt"] is None and task["leadId"] == lead["id"]

    resp = client.put(
        f"/v1/tasks/{task['id']}",
        json={"title": "Call back today", "priority": "URGENT", "assigneeId": "user_abc123"},
        headers=auth,
    )
    assert resp.status_code == 200, resp.text
    updated = resp.json()
    assert updated["title"] == "Call back today" and updated["priority"] == "URGENT"
    assert updated["assignee"]["id"] == "user_abc123" and set(updated["assignee"]) == {"id", "name"}
    assert updated["createdAt"] == task["createdAt"] and updated["status"] == "OPEN"
    assert list_all(client, auth, path) == [updated]


def test_list_tasks_status_filter(client: TestClient, auth: dict[str, str]) -> None:
    lead = create_lead(client, auth, email="taskfilter@example.com")
    path = f"/v1/leads/{lead['id']}/tasks"
    made = {}
    for status in ("OPEN", "IN_PROGRESS", "COMPLETED", "CANCELLED"):
        task = client.post(path, json={"title": f"task {status}"}, headers=auth).json()
        if status != "OPEN":
            resp = client.put(f"/v1/tasks/{task['id']}", json={"status": status}, headers=auth)
            assert resp.status_code == 200 and resp.json()["status"] == status
        made[status] = task["id"]
    assert len(list_all(client, auth, path)) == 4
    for status, task_id in made.items():
        got = list_all(client, auth, path, status=status)
        assert ids(got) == [task_id]
        assert got[0]["status"] == status


def test_list_tasks_of_seeded_lead(client: TestClient, auth: dict[str, str]) -> None:
    lead = busiest_lead(client, auth, "tasksCount")
    path = f"/v1/leads/{lead['id']}/tasks"
    tasks = list_all(client, auth, path)
    assert len(tasks) == lead["tasksCount"] >= 1
    for task in tasks:
        assert set(task) == TASK_KEYS and task["leadId"] == lead["id"]
        assert (task["completedAt"] is not None) == (task["status"] == "COMPLETED")
    for status in {t["status"] for t in tasks}:
        assert ids(list_all(client, auth, path, status=status)) == [
            t["id"] for t in tasks if t["status"] == status
        ]


def test_send_and_list_emails(client: TestClient, auth: dict[str, str]) -> None:
    lead = create_lead(client, auth, email="mail@example.com", firstName="Mia")
    path = f"/v1/leads/{lead['id']}/emails"
    resp = client.post(
        path, json={"to": ["mail@example.com"], "subject": "Hello", "body": "Hi Mia"}, headers=auth
    )
    assert resp.status_code == 201, resp.text
    sent = resp.json()
    assert set(sent) == EMAIL_KEYS
    assert re.match(r"^email_[0-9A-Za-z]+$", sent["id"])
    assert sent["status"] == "SENT" and ISO.match(sent["sentAt"]) and sent["scheduledFor"] is None
    assert sent["opened"] is False and sent["openedAt"] is None and sent["templateId"] is None
    assert (sent["to"], sent["subject"], sent["body"], sent["leadId"]) == (
        ["mail@example.com"],
        "Hello",
        "Hi Mia",
        lead["id"],
    )
    future = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    later = client.post(
        path, json={"to": ["mail@example.com"], "subject": "Later", "scheduledFor": future}, headers=auth
    ).json()
    assert later["status"] == "SCHEDULED"
    emails = list_all(client, auth, path)
    assert sorted(ids(emails)) == sorted([sent["id"], later["id"]])
    assert ids(list_all(client, auth, path, status="SENT")) == [sent["id"]]
    assert ids(list_all(client, auth, path, status="SCHEDULED")) == [later["id"]]


def test_list_activities_filters(client: TestClient, auth: dict[str, str]) -> None:
    """activityType and date filters match a Python filter over the lead's whole timeline."""
    lead = max(
        all_leads(client, auth), key=lambda x: (x["notesCount"] + x["tasksCount"] + x["emailsCount"], x["id"])
    )
    path = f"/v1/leads/{lead['id']}/activities"
    timeline = list_all(client, auth, path, key="activities")
    assert len(timeline) >= 3
    for act in timeline:
        assert set(act) == ACTIVITY_KEYS and act["leadId"] == lead["id"] and ISO.match(act["createdAt"])
    assert max(a["createdAt"] for a in timeline) == lead["lastActivity"]
    types = {a["type"] for a in timeline}
    assert len(types) >= 2
    for kind in types:
        expected = [a["id"] for a in timeline if a["type"] == kind]
        assert ids(list_all(client, auth, path, key="activities", activityType=kind)) == expected
    absent = next(t for t in ("QUOTE_GENERATED", "CALL_MADE", "MEETING_SCHEDULED") if t not in types)
    assert list_all(client, auth, path, key="activities", activityType=absent) == []
    stamps = sorted(a["createdAt"] for a in timeline)
    mid = stamps[len(stamps) // 2]
    assert ids(list_all(client, auth, path, key="activities", dateFrom=mid)) == [
        a["id"] for a in timeline if a["createdAt"] >= mid
    ]
    assert ids(list_all(client, auth, path, key="activities", dateTo=mid)) == [
        a["id"] for a in timeline if a["createdAt"] <= mid
    ]
    day = stamps[0][:10]
    assert ids(list_all(client, auth, path, key="activities", dateFrom=day, dateTo=day)) == [
        a["id"] for a in timeline if a["createdAt"][:10] == day
    ]
    page = client.get(path, params={"limit": 2, "page": 2}, headers=auth).json()
    assert_pagination(page["pagination"], 2, 2, len(timeline))
    assert ids(page["activities"]) == ids(timeline)[2:4]


def test_email_templates(client: TestClient, auth: dict[str, str]) -> None:
    resp = client.get("/v1/emails/templates", headers=auth)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert_shape(body, DOC_TEMPLATES_RESPONSE)
    assert len(body["templates"]) >= 1
    assert len({t["id"] for t in body["templates"]}) == len(body["templates"])
    for template in body["templates"]:
        assert set(template) == {"id", "name", "subject", "body", "variables"}
        text = template["subject"] + template["body"]
        # every placeholder the template uses is declared in its variables
        assert set(re.findall(r"\{\{(\w+)\}\}", text)) <= set(template["variables"]), template
    assert "template_quote_followup" in {t["id"] for t in body["templates"]}  # the document's example id


def test_current_user(client: TestClient, auth: dict[str, str]) -> None:
    resp = client.get("/v1/users/me", headers=auth)
    assert resp.status_code == 200, resp.text
    me = resp.json()
    assert_shape(me, DOC_ME_RESPONSE)
    assert (me["id"], me["name"]) == ("user_abc123", "Jane Smith")
    assert set(me) == {"id", "name", "email", "role", "permissions", "createdAt"}
    other = client.get("/v1/users/me", headers={"X-API-Key": "demo-basic"}).json()
    assert other["id"] != me["id"]
    assert set(other) == set(me)


# ================================================================ webhooks
def test_webhook_lifecycle_and_secret_never_returned(client: TestClient, auth: dict[str, str]) -> None:
    assert client.get("/v1/webhooks", headers=auth).json()["pagination"]["total"] == 0
    resp = client.post("/v1/webhooks", json=DOC_REGISTER_WEBHOOK, headers=auth)
    assert resp.status_code == 201, resp.text
    hook = resp.json()
    assert set(hook) == WEBHOOK_KEYS
    assert re.match(r"^wh_[0-9A-Za-z]+$", hook["id"]) and ISO.match(hook["createdAt"])
    assert hook["url"] == DOC_REGISTER_WEBHOOK["url"] and hook["events"] == DOC_REGISTER_WEBHOOK["events"]
    assert hook["active"] is True
    second = client.post(
        "/v1/webhooks", json={"url": "https://example.com/h2", "events": ["note.created"]}, headers=auth
    ).json()

    got = client.get(f"/v1/webhooks/{hook['id']}", headers=auth)
    assert got.status_code == 200 and got.json() == hook
    listed = client.get("/v1/webhooks", headers=auth).json()
    assert sorted(ids(listed["data"])) == sorted([hook["id"], second["id"]])
    assert_pagination(listed["pagination"], 1, 20, 2)
    for text in (resp.text, got.text, client.get("/v1/webhooks", headers=auth).text):
        assert DOC_REGISTER_WEBHOOK["secret"] not in text and '"secret"' not in text

    resp = client.delete(f"/v1/webhooks/{hook['id']}", headers=auth)
    assert resp.status_code == 200 and resp.json()["id"] == hook["id"] and resp.json()["deleted"] is True
    assert_error(client.get(f"/v1/webhooks/{hook['id']}", headers=auth), 404, "resource_not_found")
    assert ids(client.get("/v1/webhooks", headers=auth).json()["data"]) == [second["id"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "https://example.com/h", "events": ["lead.exploded"]}, "events.0"),
        ({"url": "https://example.com/h", "events": []}, "events"),
        ({"url": "https://example.com/h", "events": ["lead.created"], "secret": "short"}, "secret"),
        ({"events": ["lead.created"]}, "url"),
        ({"url": "https://example.com/h", "events": ["lead.created", "lead.created"]}, "events"),
    ],
)
def test_register_webhook_validation(
    client: TestClient, auth: dict[str, str], body: dict[str, Any], field: str
) -> None:
    err = assert_error(client.post("/v1/webhooks", json=body, headers=auth), 422, "validation_error")
    assert field in err["details"], err
    assert client.get("/v1/webhooks", headers=auth).json()["pagination"]["total"] == 0


# ================================================================ the document's request examples
def test_document_examples_round_trip(client: TestClient, auth: dict[str, str]) -> None:
    """Every request example in the document, sent as written, answers with the documented shape."""
    resp = client.post("/v1/leads", json=DOC_CREATE_LEAD, headers=auth)
    assert resp.status_code == 201, resp.text
    lead = resp.json()
    assert_shape(lead, DOC_CREATE_LEAD_RESPONSE)
    assert {k: lead[k] for k in DOC_CREATE_LEAD} == DOC_CREATE_LEAD
    lid = lead["id"]
    assert_shape(get_lead(client, auth, lid), DOC_GET_LEAD_RESPONSE | {"assignedTo": None})

    resp = client.put(f"/v1/leads/{lid}", json=DOC_UPDATE_LEAD, headers=auth)
    assert resp.status_code == 200, resp.text
    updated = resp.json()
    assert_shape(updated, DOC_GET_LEAD_RESPONSE)
    assert (updated["status"], updated["priority"], updated["score"]) == ("qualified", "high", 85)
    assert updated["assignedTo"]["id"] == DOC_UPDATE_LEAD["assignedTo"]

    resp = client.post(f"/v1/leads/{lid}/notes", json=DOC_CREATE_NOTE, headers=auth)
    assert resp.status_code == 201, resp.text
    assert_shape(resp.json(), DOC_NOTE_RESPONSE)
    assert resp.json()["content"] == DOC_CREATE_NOTE["content"]

    resp = client.post(f"/v1/leads/{lid}/tasks", json=DOC_CREATE_TASK, headers=auth)
    assert resp.status_code == 201, resp.text
    task = resp.json()
    assert_shape(task, DOC_TASK_RESPONSE)
    assert {k: task[k] for k in ("title", "description", "priority", "dueDate", "type")} == {
        k: DOC_CREATE_TASK[k] for k in ("title", "description", "priority", "dueDate", "type")
    }
    assert task["assignee"]["id"] == DOC_CREATE_TASK["assigneeId"]

    resp = client.put(f"/v1/tasks/{task['id']}", json=DOC_UPDATE_TASK, headers=auth)
    assert resp.status_code == 200, resp.text
    assert_shape(resp.json(), DOC_TASK_RESPONSE | {"status": "COMPLETED"})
    assert resp.json()["status"] == "COMPLETED"

    resp = client.post(f"/v1/leads/{lid}/emails", json=DOC_SEND_EMAIL, headers=auth)
    assert resp.status_code == 201, resp.text
    email = resp.json()
    assert_shape(email, DOC_EMAIL_RESPONSE)
    assert email["subject"] == DOC_SEND_EMAIL["subject"] and email["to"] == DOC_SEND_EMAIL["to"]

    resp = client.post("/v1/webhooks", json=DOC_REGISTER_WEBHOOK, headers=auth)
    assert resp.status_code == 201, resp.text
    assert set(resp.json()) == WEBHOOK_KEYS

    acts = client.get(f"/v1/leads/{lid}/activities", headers=auth)
    assert acts.status_code == 200
    timeline = acts.json()
    # metadata is free-form per activity type; the example's keys belong to EMAIL_SENT
    assert_shape(timeline, DOC_ACTIVITIES_RESPONSE | {"activities": []})
    free_form = DOC_ACTIVITIES_RESPONSE["activities"][0] | {"metadata": {}}
    for act in timeline["activities"]:
        assert_shape(
            act, DOC_ACTIVITIES_RESPONSE["activities"][0] if act["type"] == "EMAIL_SENT" else free_form
        )
    email_sent = [a for a in timeline["activities"] if a["type"] == "EMAIL_SENT"]
    assert [a["metadata"]["emailId"] for a in email_sent] == [email["id"]]
    report = client.get("/v1/reports/conversion", headers=auth)
    assert report.status_code == 200
    assert_shape(report.json(), DOC_REPORT_RESPONSE)

    resp = client.delete(f"/v1/leads/{lid}", headers=auth)
    assert resp.status_code == 200
    assert_shape(resp.json(), DOC_DELETE_RESPONSE)


def test_document_code_sample_lead(client: TestClient, auth: dict[str, str]) -> None:
    """The Node.js / Python samples' createLead body."""
    body = {
        "source": "website",
        "email": "customer@example.com",
        "firstName": "John",
        "lastName": "Doe",
        "insuranceType": "AUTO",
    }
    resp = client.post("/v1/leads", json=body, headers=auth)
    assert resp.status_code == 201, resp.text
    assert_shape(resp.json(), DOC_CREATE_LEAD_RESPONSE)
    assert {k: resp.json()[k] for k in body} == body
    assert get_lead(client, auth, resp.json()["id"]) == resp.json()


# ================================================================ auth and rate limits
def test_missing_and_wrong_credentials(client: TestClient, auth: dict[str, str]) -> None:
    before = lead_total(client, auth)
    for headers in (
        {},
        {"X-API-Key": "not-a-key"},
        {"X-API-Key": ""},
        {"Authorization": "Bearer nope"},
        {"Authorization": "Basic ZGVtbzpkZW1v"},
    ):
        for method, path, body in [
            ("GET", "/v1/leads", None),
            ("POST", "/v1/leads", {"email": "x@example.com"}),
            ("GET", "/v1/users/me", None),
        ]:
            resp = client.request(method, path, json=body, headers=headers)
            assert_error(resp, 401, "invalid_api_key")
            assert_rate_headers(resp)
    assert lead_total(client, auth) == before


def test_rate_limit_headers_on_success_and_errors(client: TestClient, auth: dict[str, str]) -> None:
    ok = client.get("/v1/leads", headers=auth)
    first = assert_rate_headers(ok)
    assert first["X-RateLimit-Retry-After"] == 0
    second = assert_rate_headers(client.get("/v1/users/me", headers=auth))
    if second["X-RateLimit-Reset"] == first["X-RateLimit-Reset"]:
        assert second["X-RateLimit-Remaining"] == first["X-RateLimit-Remaining"] - 1
    errors = [
        client.get("/v1/leads/lead_000000000", headers=auth),
        client.post("/v1/leads", json={"firstName": "x"}, headers=auth),
        client.get("/v1/leads", params={"limit": 101}, headers=auth),
        client.post("/v1/leads", content=b"{", headers={**auth, "Content-Type": "application/json"}),
        client.get("/v1/leads", headers={"X-API-Key": "wrong"}),
    ]
    for resp in errors:
        assert resp.status_code >= 400
        assert_rate_headers(resp)


def test_rate_limit_headers_on_unrouted_errors(client: TestClient, auth: dict[str, str]) -> None:
    """The spec: every response carries X-RateLimit-*; that includes unknown paths and methods."""
    for resp in (client.get("/v1/no-such-thing", headers=auth), client.patch("/v1/leads", headers=auth)):
        assert resp.status_code in (404, 405)
        assert_rate_headers(resp)


def test_free_tier_rate_limit(client: TestClient, auth: dict[str, str]) -> None:
    """demo-free allows 60 requests a minute; the next is refused with 429 and writes nothing."""
    free = {"X-API-Key": "demo-free"}
    if 60 - time.time() % 60 < 5:  # keep the whole burst inside one fixed window
        time.sleep(60 - time.time() % 60 + 0.05)
    first = client.get("/v1/users/me", headers=free)
    assert first.status_code == 200
    limits = assert_rate_headers(first)
    assert limits["X-RateLimit-Limit"] == 60
    remaining = limits["X-RateLimit-Remaining"]
    for i in range(remaining):
        resp = client.get("/v1/leads", params={"limit": 1}, headers=free)
        assert resp.status_code == 200, (i, resp.text)
        assert int(resp.headers["X-RateLimit-Remaining"]) == remaining - 1 - i
    before = lead_total(client, auth)
    refused = client.post("/v1/leads", json={"email": "over.limit@example.com"}, headers=free)
    err = assert_error(refused, 429, "rate_limit_exceeded")
    assert isinstance(err["retry_after"], int) and 0 < err["retry_after"] <= 60
    assert refused.headers["Retry-After"] == str(err["retry_after"])
    headers = assert_rate_headers(refused)
    assert headers["X-RateLimit-Retry-After"] == err["retry_after"]
    assert headers["X-RateLimit-Remaining"] == 0 and headers["X-RateLimit-Limit"] == 60
    assert lead_total(client, auth) == before
    assert all_leads(client, auth, search="over.limit") == []
    assert client.get("/v1/users/me", headers=free).status_code == 429  # still refused
    assert client.get("/v1/users/me", headers=auth).status_code == 200  # other keys unaffected


# ================================================================ OAuth 2.0
def test_oauth_authorization_code_flow(client: TestClient, auth: dict[str, str]) -> None:
    state = "xyz/ABC 123?&="
    code = authorize(client, state=state)
    resp = exchange(client, code)
    assert resp.status_code == 200, resp.text
    assert resp.headers["cache-control"] == "no-store"
    tokens = resp.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 7200
    assert tokens["scope"] == "read write"
    assert isinstance(tokens["access_token"], str) and isinstance(tokens["refresh_token"], str)
    assert tokens["access_token"] != tokens["refresh_token"]

    listed = client.get("/v1/leads", params={"limit": 5}, headers=bearer(tokens["access_token"]))
    assert listed.status_code == 200
    assert listed.json() == client.get("/v1/leads", params={"limit": 5}, headers=auth).json()
    assert_rate_headers(listed)
    created = client.post(
        "/v1/leads", json={"email": "via.oauth@example.com"}, headers=bearer(tokens["access_token"])
    )
    assert created.status_code == 201
    me = client.get("/v1/users/me", headers=bearer(tokens["access_token"])).json()
    assert me == client.get("/v1/users/me", headers=auth).json()  # demo-client acts for the demo user
    # the refresh token is not an access token
    assert_error(client.get("/v1/leads", headers=bearer(tokens["refresh_token"])), 401, "invalid_api_key")

    reused = exchange(client, code)
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"


def test_oauth_token_errors(client: TestClient) -> None:
    code = authorize(client)
    wrong = client.post(
        "/oauth/token",
        data={**OAUTH, "client_secret": "wrong", "code": code, "grant_type": "authorization_code"},
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    bad_redirect = client.post(
        "/oauth/token",
        data={
            **OAUTH,
            "redirect_uri": "http://127.0.0.1:8080/callback",
            "code": code,
            "grant_type": "authorization_code",
        },
    )
    assert bad_redirect.status_code == 400 and bad_redirect.json()["error"] == "invalid_grant"
    unsupported = client.post("/oauth/token", data={**OAUTH, "grant_type": "password"})
    assert unsupported.status_code == 400
    assert unsupported.json()["error"] in ("unsupported_grant_type", "invalid_request")
    garbage = client.post(
        "/oauth/token", data={**OAUTH, "code": "not-a-code", "grant_type": "authorization_code"}
    )
    assert garbage.status_code == 400 and garbage.json()["error"] == "invalid_grant"
    as_json = client.post("/oauth/token", json={**OAUTH, "code": code, "grant_type": "authorization_code"})
    assert as_json.status_code == 400 and as_json.json()["error"] == "invalid_request"
    # none of the refused attempts consumed the code
    assert exchange(client, code).status_code == 200


def test_oauth_refresh_rotates(client: TestClient, auth: dict[str, str]) -> None:
    tokens = exchange(client, authorize(client)).json()
    form = {
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
        "client_id": OAUTH["client_id"],
        "client_secret": OAUTH["client_secret"],
    }
    resp = client.post("/oauth/token", data=form)
    assert resp.status_code == 200, resp.text
    fresh = resp.json()
    assert fresh["expires_in"] == 7200 and fresh["token_type"] == "Bearer"
    assert (
        fresh["refresh_token"] != tokens["refresh_token"] and fresh["access_token"] != tokens["access_token"]
    )
    assert client.get("/v1/leads", headers=bearer(fresh["access_token"])).status_code == 200
    again = client.post("/oauth/token", data=form)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    chained = client.post("/oauth/token", data={**form, "refresh_token": fresh["refresh_token"]})
    assert chained.status_code == 200


def test_oauth_read_scope_cannot_write(client: TestClient, auth: dict[str, str]) -> None:
    tokens = exchange(client, authorize(client, scope="read")).json()
    assert tokens["scope"] == "read"
    token = bearer(tokens["access_token"])
    assert client.get("/v1/leads", headers=token).status_code == 200
    before = lead_total(client, auth)
    lead_id = client.get("/v1/leads", params={"limit": 1}, headers=auth).json()["data"][0]["id"]
    for method, path, body in [
        ("POST", "/v1/leads", {"email": "scoped@example.com"}),
        ("PUT", f"/v1/leads/{lead_id}", {"status": "won"}),
        ("DELETE", f"/v1/leads/{lead_id}", None),
        ("POST", f"/v1/leads/{lead_id}/notes", {"content": "x"}),
        ("POST", "/v1/webhooks", DOC_REGISTER_WEBHOOK),
    ]:
        refused = client.request(method, path, json=body, headers=token)
        assert_error(refused, 403, "insufficient_permissions")
        # counted against the client's professional tier, not the anonymous allowance
        assert refused.headers["X-RateLimit-Limit"] == "1000"
    assert lead_total(client, auth) == before
    assert (
        get_lead(client, auth, lead_id)["notesCount"]
        == client.get(f"/v1/leads/{lead_id}/notes", headers=auth).json()["pagination"]["total"]
    )
    assert client.get("/v1/webhooks", headers=auth).json()["pagination"]["total"] == 0


def test_oauth_authorize_refusals(client: TestClient) -> None:
    """Unknown client or unregistered redirect: 400, and no redirect to the untrusted URI."""
    base = {
        "client_id": "demo-client",
        "redirect_uri": OAUTH["redirect_uri"],
        "response_type": "code",
        "scope": "read",
        "state": "s",
    }
    for change in ({"client_id": "nobody"}, {"redirect_uri": "https://evil.example.com/cb"}):
        resp = client.get("/oauth/authorize", params={**base, **change}, follow_redirects=False)
        assert resp.status_code == 400, resp.text
        assert "location" not in resp.headers
        assert resp.json()["error"] == "invalid_request"
    bad_scope = client.get("/oauth/authorize", params={**base, "scope": "admin"}, follow_redirects=False)
    assert bad_scope.status_code == 302
    query = parse_qs(urlsplit(bad_scope.headers["location"]).query)
    assert query["error"] == ["invalid_scope"] and query["state"] == ["s"] and "code" not in query


def test_expired_access_token_is_refused(client: TestClient) -> None:
    """Access tokens last two hours (by the server clock, moved through the admin API)."""
    tokens = exchange(client, authorize(client)).json()
    token = bearer(tokens["access_token"])
    assert client.get("/v1/users/me", headers=token).status_code == 200
    try:
        assert client.post("/__admin/clock/advance", json={"seconds": 110 * 60}).status_code == 200
        assert client.get("/v1/users/me", headers=token).status_code == 200
        assert client.post("/__admin/clock/advance", json={"seconds": 11 * 60}).status_code == 200
        assert_error(client.get("/v1/users/me", headers=token), 401, "invalid_api_key")
        # the refresh token outlives the access token
        fresh = client.post(
            "/oauth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": tokens["refresh_token"],
                "client_id": OAUTH["client_id"],
                "client_secret": OAUTH["client_secret"],
            },
        )
        assert fresh.status_code == 200
        assert client.get("/v1/users/me", headers=bearer(fresh.json()["access_token"])).status_code == 200
    finally:
        client.put("/__admin/clock", json={"now": None})


# ================================================================ bad input
def test_malformed_json_and_encodings(client: TestClient, auth: dict[str, str]) -> None:
    before = lead_total(client, auth)
    json_ct = {**auth, "Content-Type": "application/json"}
    for raw in (b"{", b'{"email": "a@example.com",}', b"\xef\xbb", b"nul", b"[" * 3000 + b"]" * 3000):
        assert_error(client.post("/v1/leads", content=raw, headers=json_ct), 400, "bad_request")
    latin1 = '{"email": "jos\u00e9@example.com"}'.encode("latin-1")
    assert_error(client.post("/v1/leads", content=latin1, headers=json_ct), 400, "bad_request")
    assert_error(client.post("/v1/leads", content=b"", headers=json_ct), 400, "bad_request")
    for content_type in ("text/plain", "application/xml", "application/x-www-form-urlencoded", None):
        headers = {**auth, "Content-Type": content_type} if content_type else dict(auth)
        resp = client.post("/v1/leads", content=b'{"email": "a@example.com"}', headers=headers)
        assert_error(resp, 415, "unsupported_media_type")
    big = b'{"email": "big@example.com", "firstName": "' + b"x" * (1024 * 1024) + b'"}'
    assert_error(client.post("/v1/leads", content=big, headers=json_ct), 413, "payload_too_large")
    lead_id = client.get("/v1/leads", params={"limit": 1}, headers=auth).json()["data"][0]["id"]
    original = get_lead(client, auth, lead_id)
    assert_error(client.put(f"/v1/leads/{lead_id}", content=b"{", headers=json_ct), 400, "bad_request")
    assert_error(client.put(f"/v1/leads/{lead_id}", content=big, headers=json_ct), 413, "payload_too_large")
    assert_error(
        client.put(
            f"/v1/leads/{lead_id}", content=b'{"city": "x"}', headers={**auth, "Content-Type": "text/plain"}
        ),
        415,
        "unsupported_media_type",
    )
    assert get_lead(client, auth, lead_id) == original
    assert lead_total(client, auth) == before
    ok = client.post(
        "/v1/leads",
        content=b'{"email": "ok@example.com"}',
        headers={**auth, "Content-Type": "application/json; charset=utf-8"},
    )
    assert ok.status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"firstName": "Nobody"}, "email"),
        ({"email": "a@example.com", "state": "XX"}, "state"),
        ({"email": "a@example.com", "state": "ny"}, "state"),
        ({"email": "a@example.com", "insuranceType": "BOAT"}, "insuranceType"),
        ({"email": "a@example.com", "source": "carrier_pigeon"}, "source"),
        ({"email": "a@example.com", "unknownField": 1}, "unknownField"),
        ({"email": "a@example.com", "score": 99}, "score"),
        ({"email": "not-an-email"}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"email": "a@example.com", "tags": ["ok", 5]}, "tags.1"),
        ({"email": "a@example.com", "customFields": {"nested": {"a": 1}}}, "customFields.nested"),
        ({"email": "a@example.com", "priority": "HIGH"}, "priority"),
        ({"email": "a@example.com", "firstName": "x" * 101}, "firstName"),
    ],
)
def test_create_lead_validation(
    client: TestClient, auth: dict[str, str], body: dict[str, Any], field: str
) -> None:
    before = lead_total(client, auth)
    err = assert_error(client.post("/v1/leads", json=body, headers=auth), 422, "validation_error")
    assert field in err["details"], err["details"]
    assert lead_total(client, auth) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"status": "converted"}, "status"),
        ({"score": 101}, "score"),
        ({"score": "high"}, "score"),
        ({"state": "ZZ"}, "state"),
        ({"id": "lead_1"}, "id"),
        ({"assignedTo": "user_nobody"}, "assignedTo"),
        ({"email": None}, "email"),
    ],
)
def test_update_lead_validation(
    client: TestClient, auth: dict[str, str], body: dict[str, Any], field: str
) -> None:
    lead = client.get("/v1/leads", params={"limit": 1}, headers=auth).json()["data"][0]
    timeline = client.get(f"/v1/leads/{lead['id']}/activities", headers=auth).json()["pagination"]["total"]
    err = assert_error(
        client.put(f"/v1/leads/{lead['id']}", json=body, headers=auth), 422, "validation_error"
    )
    assert field in err["details"], err["details"]
    assert get_lead(client, auth, lead["id"]) == lead
    assert (
        client.get(f"/v1/leads/{lead['id']}/activities", headers=auth).json()["pagination"]["total"]
        == timeline
    )


@pytest.mark.parametrize(
    ("child", "body", "field"),
    [
        ("notes", {}, "content"),
        ("notes", {"content": ""}, "content"),
        ("notes", {"content": "x", "visibility": "SECRET"}, "visibility"),
        ("tasks", {"title": "x", "priority": "LOW-ISH"}, "priority"),
        ("tasks", {"title": "x", "type": "LUNCH"}, "type"),
        ("tasks", {"title": "x", "dueDate": "tomorrow"}, "dueDate"),
        ("tasks", {"title": "x", "assigneeId": "user_nobody"}, "assigneeId"),
        ("tasks", {"description": "no title"}, "title"),
        ("emails", {"subject": "no recipients"}, "to"),
        ("emails", {"to": [], "subject": "x"}, "to"),
        ("emails", {"to": ["not-an-address"], "subject": "x"}, "to.0"),
        ("emails", {"to": ["a@example.com"]}, "subject"),
        ("emails", {"to": ["a@example.com"], "subject": "x", "scheduledFor": "soon"}, "scheduledFor"),
        ("emails", {"to": ["a@example.com"], "templateId": "template_nope"}, "templateId"),
    ],
)
def test_child_create_validation(
    client: TestClient, auth: dict[str, str], child: str, body: dict[str, Any], field: str
) -> None:
    lead = next(x for x in all_leads(client, auth) if x["email"])
    path = f"/v1/leads/{lead['id']}/{child}"
    count = client.get(path, headers=auth).json()["pagination"]["total"]
    err = assert_error(client.post(path, json=body, headers=auth), 422, "validation_error")
    assert field in err["details"], err["details"]
    assert client.get(path, headers=auth).json()["pagination"]["total"] == count
    assert get_lead(client, auth, lead["id"]) == lead


def test_update_task_validation(client: TestClient, auth: dict[str, str]) -> None:
    lead = create_lead(client, auth, email="taskval@example.com")
    task = client.post(f"/v1/leads/{lead['id']}/tasks", json={"title": "x"}, headers=auth).json()
    for body, field in [
        ({}, "body"),
        ({"status": "DONE"}, "status"),
        ({"assigneeId": "user_nobody"}, "assigneeId"),
        ({"leadId": "lead_1"}, "leadId"),
    ]:
        err = assert_error(
            client.put(f"/v1/tasks/{task['id']}", json=body, headers=auth), 422, "validation_error"
        )
        assert field in err["details"], err["details"]
    assert list_all(client, auth, f"/v1/leads/{lead['id']}/tasks") == [task]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": 101}, "limit"),
        ({"limit": 0}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"page": 0}, "page"),
        ({"page": "1.5"}, "page"),
        ({"status": "converted"}, "status"),
        ({"source": "tv"}, "source"),
        ({"insuranceType": "auto"}, "insuranceType"),
        ({"sortBy": "lastName"}, "sortBy"),
        ({"sortOrder": "up"}, "sortOrder"),
        ({"dateFrom": "yesterday"}, "dateFrom"),
        ({"dateTo": "2025-02-30"}, "dateTo"),
        ({"dateTo": "2025-01-01T24:00:00Z"}, "dateTo"),
        ({"search": "x" * 101}, "search"),
        ({"assignedTo": ""}, "assignedTo"),
    ],
)
def test_list_leads_bad_parameters(
    client: TestClient, auth: dict[str, str], query: dict[str, Any], field: str
) -> None:
    err = assert_error(client.get("/v1/leads", params=query, headers=auth), 422, "validation_error")
    assert field in err["details"], err["details"]


def test_huge_page_number_is_not_a_server_error(client: TestClient, auth: dict[str, str]) -> None:
    """A page far past the end is an empty page, or a 422 naming ``page`` past the spec's maximum."""
    total = lead_total(client, auth)
    for page in (10**6, 10**17, 999_999_999_999_999_999):
        resp = client.get("/v1/leads", params={"page": page, "limit": 100}, headers=auth)
        if resp.status_code == 422:
            assert page > 10**6
            assert "page" in assert_error(resp, 422, "validation_error")["details"]
            continue
        assert resp.status_code == 200, resp.text
        assert resp.json()["data"] == []
        assert_pagination(resp.json()["pagination"], page, 100, total)


def test_bad_query_encoding_and_odd_ids(client: TestClient, auth: dict[str, str]) -> None:
    assert_error(client.get("/v1/leads?search=%ff%fe", headers=auth), 400, "bad_request")
    assert client.get("/v1/leads?search=%00", headers=auth).json()["data"] == []
    assert_error(client.get("/v1/leads/" + "9" * 65, headers=auth), 422, "validation_error")
    assert_error(client.get("/v1/leads/%27%20OR%201%3D1", headers=auth), 404, "resource_not_found")
    assert_error(client.get("/v1/leads/lead_%00", headers=auth), 404, "resource_not_found")


def test_unknown_path_and_wrong_method(client: TestClient, auth: dict[str, str]) -> None:
    for path in ("/v1/nothing-here", "/v1/leads/lead_1/unknown", "/v1/activities/timeline"):
        err = assert_error(client.get(path, headers=auth), 404, "resource_not_found")
        assert err["details"] is None or isinstance(err["details"], dict)
    before = lead_total(client, auth)
    lead_id = client.get("/v1/leads", params={"limit": 1}, headers=auth).json()["data"][0]["id"]
    for method, path, allowed in [
        ("PATCH", f"/v1/leads/{lead_id}", {"GET", "PUT", "DELETE"}),
        ("DELETE", "/v1/leads", {"GET", "POST"}),
        ("POST", "/v1/emails/templates", {"GET"}),
        ("GET", "/v1/tasks/task_x", {"PUT"}),
        ("PUT", "/v1/webhooks", {"GET", "POST"}),
    ]:
        resp = client.request(method, path, json={"status": "won"}, headers=auth)
        assert_error(resp, 405, "method_not_allowed")
        assert allowed <= {m.strip() for m in resp.headers["allow"].split(",")}, (path, resp.headers["allow"])
    assert lead_total(client, auth) == before
