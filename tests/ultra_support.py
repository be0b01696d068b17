"""Shared helpers for the CRM-Ultra tests: the document's example lead, the error envelope and
paging through lists (every page must fit with the next)."""

from __future__ import annotations

import re
from typing import Any

from httpx import Response
from starlette.testclient import TestClient

REQ_ID = re.compile(r"^req_[0-9A-Za-z]+$")

DOC_CREATE_LEAD = {
    "source": "facebook_ads",
    "email": "john.doe@example.com",
    "phone": "+15551234567",
    "firstName": "John",
    "lastName": "Doe",
    "city": "New York",
    "state": "NY",
    "insuranceType": "AUTO",
    "tags": ["high-value", "referral"],
    "customFields": {"campaignId": "camp_001", "landingPage": "summer-promo"},
}


def assert_error(resp: Response, status: int, code: str) -> dict[str, Any]:
    """The documented error envelope with this status and code; returns the inner error object."""
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/json"
    body = resp.json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert {"code", "message", "details", "request_id"} <= set(err), err
    assert err["code"] == code, err
    assert isinstance(err["message"], str) and err["message"]
    assert err["details"] is None or isinstance(err["details"], dict)
    assert REQ_ID.match(err["request_id"]), err["request_id"]
    return err


def list_all(
    client: TestClient, auth: dict[str, str], path: str, key: str = "data", **params: Any
) -> list[dict[str, Any]]:
    """Every item of a paginated list, fetched 100 at a time; pages must fit together."""
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        resp = client.get(path, params={**params, "page": page, "limit": 100}, headers=auth)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        items += body[key]
        p = body["pagination"]
        assert p["page"] == page and p["limit"] == 100
        if not p["hasNext"]:
            assert p["total"] == len(items)
            assert p["totalPages"] == page or (p["total"] == 0 and p["totalPages"] == 0)
            return items
        page += 1


def all_leads(client: TestClient, auth: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    return list_all(client, auth, "/v1/leads", **params)


def get_lead(client: TestClient, auth: dict[str, str], lead_id: str) -> dict[str, Any]:
    resp = client.get(f"/v1/leads/{lead_id}", headers=auth)
    assert resp.status_code == 200, resp.text
    return resp.json()
