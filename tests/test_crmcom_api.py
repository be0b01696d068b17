"""Functional tests of the CRM.COM Back-Office v2 mock over HTTP: every operation, state effects,
list filters against references computed here from data read through the API, auth and modes,
bad input (with proof that refused writes change nothing), and every request example of the
vendor document sent as written."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from starlette.testclient import TestClient

from tests.conftest import build_app

B = "/backoffice/v2"
LIVE = {"api_key": "4dc0809f-ed91-4b68-b912-5bd6064d901e"}
TEST = {"api_key": "2189341e-981e-9ad5-9912-11101670314a"}
READ_ONLY = {"api_key": "0a1b2c3d-0000-4000-8000-00000000read"}
ERROR_KEYS = {"status", "message", "error", "parameters"}
JOHN_DOE = "1c060611-0667-313e-b3bf-4cb70ee81cdf"
JOHN_SMITH = "a2c0809f-ed91-4b68-b912-5bd6064d602a"
MARIA = "3ec0809f-ed91-4458-b912-5bd6064dabf1"
EUR_ACCOUNT = "4dc0809f-ed91-4b68-b912-5bd6064d901e"
USD_ACCOUNT = "a2c0809f-ed91-4b68-b912-5bd6064d602a"
SUSPENDED_GBP = "1eaa809f-ed91-4b68-b912-5bd6064d3400"
MARIA_USD = "2ee0809f-ed91-4b68-b912-5bd6064d602a"
CALL_TYPE = "cdd8e232-ddce-87c0-44fd-27f44035a252"
ORDER = "50490788-0f2c-0a73-8ae0-1b129f8fdb50"
NICOSIA = "4d1b276d-6ae9-eca3-8c61-aedd35ebb9a4"
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@pytest.fixture(scope="module")
def app():
    return build_app("crmcom")


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    app.runtime.reset()
    with TestClient(app, base_url="http://testserver") as c:
        yield c


def get(c: TestClient, path: str, headers: dict | None = None, **params: Any) -> Any:
    r = c.get(B + path, headers=headers or LIVE, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def error(r: Any, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == ERROR_KEYS and body["status"] == status
    assert body["error"].startswith("CRM.EXCEPTIONS.")
    if code:
        assert body["error"] == f"CRM.EXCEPTIONS.{code}"
    return body


def all_activities(c: TestClient, headers: dict | None = None, **params: Any) -> list[dict]:
    out, page = [], 1
    while True:
        body = get(
            c,
            "/activities/",
            headers,
            page=page,
            size=100,
            include_tags="true",
            include_custom_fields="true",
            **params,
        )
        out += body["content"]
        if len(out) >= body["paging"]["total"] or not body["content"]:
            return out
        page += 1


def new_activity(**overrides: Any) -> dict:
    body = {
        "name": "Call back",
        "type_id": CALL_TYPE,
        "scheduled_on": {"from_date": 1767225600, "to_date": 1767229200},
        "linked_to": [{"type": "CONTACT", "id": JOHN_DOE}],
    }
    return {**body, **overrides}


# -- the document's examples, sent as written --------------------------------------------------
def test_doc_get_account(client):
    r = client.get(B + "/accounts/4dc0809f-ed91-4b68-b912-5bd6064d901e", headers=LIVE)
    assert r.status_code == 200
    body = r.json()
    assert body == {
        "id": "4dc0809f-ed91-4b68-b912-5bd6064d901e",
        "name": "AC00123456 John Smith",
        "number": "AC00123456",
        "is_primary": True,
        "state": "ACTIVE",
        "currency_code": "EUR",
        "balance": 99.99,
        "overdue_amount": 9.99,
        "credit_limit": 99.99,
        "payment_terms": {"id": "CAD1E31269B76D7A65ACCE45B2E68DFD", "name": "Net 7"},
        "classification": {"id": "c8d83493-3f50-40df-adb0-762ec5f41863", "name": "Delivery Purchase"},
        "billing_address": {
            "id": "4dc0809f-ed91-4b68-b912-5bd6064d901e",
            "address_line_1": "2265 Oak Street",
            "address_line_2": "",
            "state_province_county": "New York",
            "town_city": "Old Forge",
            "postal_code": "13420",
            "country_code": "CYP",
        },
    }


def test_doc_update_account(client):
    body = {
        "is_primary": True,
        "classification_id": "d230809f-ed91-4b68-b912-5bd6064d602a",
        "billing_address_id": "a345fb9f-ed91-4b68-b912-5bd6064d602a",
        "credit_limit": 20.99,
        "payment_terms_id": "d230809f-ed91-4b68-b912-5bd6064d602a",
    }
    r = client.put(B + "/accounts/a2c0809f-ed91-4b68-b912-5bd6064d602a", json=body, headers=LIVE)
    assert r.status_code == 200 and r.json() == {"id": "a2c0809f-ed91-4b68-b912-5bd6064d602a"}
    account = get(client, f"/accounts/{USD_ACCOUNT}")
    assert account["is_primary"] is True and account["credit_limit"] == 20.99
    assert account["classification"] == {"id": body["classification_id"], "name": "Corporate"}
    assert account["billing_address"]["id"] == body["billing_address_id"]
    assert account["payment_terms"]["name"] == "Net 30"
    # the previous primary account was unmarked
    assert get(client, f"/accounts/{EUR_ACCOUNT}")["is_primary"] is False


def test_doc_list_contact_accounts(client):
    body = get(client, "/contacts/a2c0809f-ed91-4b68-b912-5bd6064d602a/accounts")
    assert set(body) == {"content", "paging"} and set(body["paging"]) == {"page", "size", "total"}
    item = next(a for a in body["content"] if a["id"] == EUR_ACCOUNT)
    assert set(item) == {"id", "is_primary", "name", "number", "state", "currency_code", "classification"}
    assert item["classification"] == {
        "id": "c8d83493-3f50-40df-adb0-762ec5f41863",
        "name": "Delivery Purchase",
    }


def test_doc_add_account(client):
    body = {
        "is_primary": True,
        "currency_code": "EUR",
        "name": "John Smith Main account",
        "classification_id": "a2c0809f-ed91-4b68-b912-5bd6064d602a",
        "billing_address_id": "e230809f-ed91-4b68-b912-5bd6064d602a",
    }
    r = client.post(B + "/contacts/3ec0809f-ed91-4458-b912-5bd6064dabf1/accounts", json=body, headers=LIVE)
    assert r.status_code == 201, r.text
    new = r.json()["id"]
    assert GUID.match(new) and set(r.json()) == {"id"}
    account = get(client, f"/accounts/{new}")
    assert account["name"] == body["name"] and account["is_primary"] and account["state"] == "ACTIVE"
    assert account["balance"] == 0 and account["classification"]["name"] == "Retail"
    assert get(client, f"/accounts/{MARIA_USD}")["is_primary"] is False


def test_doc_account_action(client):
    body = {"state": "ACTIVE", "account_id": "2ee0809f-ed91-4b68-b912-5bd6064d602a"}
    r = client.post(B + "/accounts/1eaa809f-ed91-4b68-b912-5bd6064d3400/actions", json=body, headers=LIVE)
    assert r.status_code == 200 and r.json() == {"id": SUSPENDED_GBP}
    assert get(client, f"/accounts/{SUSPENDED_GBP}")["state"] == "ACTIVE"
    # account_id only matters on termination: the balances did not move
    assert get(client, f"/accounts/{MARIA_USD}")["balance"] == 10.0


def test_doc_create_activity(client):
    body = {
        "name": "Call customer",
        "description": "We need to call the contact (after 4pm) in order to schedule a demo",
        "type_id": "cdd8e232-ddce-87c0-44fd-27f44035a252",
        "address_id": "4d1b276d-6ae9-eca3-8c61-aedd35ebb9a4",
        "use_entity_address": "false",
        "scheduled_on": {"from_date": 1592809457, "to_date": 11653396172},
        "linked_to": [{"type": "ORDER", "id": "50490788-0f2c-0a73-8ae0-1b129f8fdb50"}],
        "assign_to": {
            "user_id": "1edef819-0a1d-4d41-9d2a-d4bbc2ddbedf",
            "team_id": "a43f08ca-998b-afbc-6ed4-c9dc2d136935",
        },
        "custom_fields": [{"key": "back_office", "value": "0001-12345"}],
    }
    r = client.post(B + "/activities", json=body, headers=LIVE)
    assert r.status_code == 201, r.text
    activity = get(client, f"/activities/{r.json()['id']}")
    assert activity["contact"]["id"] == JOHN_DOE  # taken from the order
    assert activity["order"] == {"id": ORDER, "number": "O101366"}
    assert activity["address"]["address_line_1"] == "Elia Papakyriakou"
    assert activity["state"] == "PENDING" and activity["states"][0]["state"] == "PENDING"
    assert activity["key_dates"]["scheduled_on"] == body["scheduled_on"]
    assert activity["assign_to"]["user"]["id"] == body["assign_to"]["user_id"]
    assert activity["assign_to"]["team"] == {"id": body["assign_to"]["team_id"], "name": "Sales"}
    assert activity["custom_fields"] == body["custom_fields"]


def test_doc_update_activity(client):
    body = {
        "name": "Approve Offers",
        "description": "Require 4 approvals for an offer",
        "state": "CANCELLED",
        "address_id": "6cbe314d-9f32-d3c7-4be6-f453e7b8e77e",
        "scheduled_on": {"from_date": 1592809457, "to_date": 11653396172},
        "linked_to": [{"type": "ORDER", "id": "50490788-0f2c-0a73-8ae0-1b129f8fdb50"}],
        "assign_to": {
            "user_id": "1edef819-0a1d-4d41-9d2a-d4bbc2ddbedf",
            "team_id": "a43f08ca-998b-afbc-6ed4-c9dc2d136935",
        },
        "custom_fields": [{"key": "back_office", "value": "0001-12345"}],
    }
    url = B + "/activities/43bf8b4a-6b7c-f86d-6faf-454b7e99a8e2"
    r = client.put(url, json=body, headers=LIVE)
    assert r.status_code == 200 and r.json() == {"id": "43bf8b4a-6b7c-f86d-6faf-454b7e99a8e2"}
    first = get(client, "/activities/43bf8b4a-6b7c-f86d-6faf-454b7e99a8e2")
    assert first["state"] == "CANCELLED" and [s["state"] for s in first["states"]] == ["PENDING", "CANCELLED"]
    assert first["address"]["town_city"] == "Limassol" and first["order"]["id"] == ORDER
    # PUT is idempotent: the same request again leaves the same state
    assert client.put(url, json=body, headers=LIVE).status_code == 200
    assert get(client, "/activities/43bf8b4a-6b7c-f86d-6faf-454b7e99a8e2") == first


def test_doc_delete_activity(client):
    url = B + "/activities/52cbb887-a61a-9b1e-63df-1303f7b5718a"
    r = client.delete(url, headers=LIVE)
    assert r.status_code == 204 and r.content == b""
    error(client.get(url, headers=LIVE), 404, "NOTFOUNDEXCEPTION")
    error(client.delete(url, headers=LIVE), 404)


def test_doc_list_activities(client):
    body = get(client, "/activities/")
    assert set(body) == {"content", "paging"} and body["paging"]["size"] == 10
    keys = {
        "id",
        "name",
        "description",
        "state",
        "key_dates",
        "type",
        "contact",
        "lead",
        "service_request",
        "order",
        "assign_to",
    }
    for item in body["content"]:
        assert keys <= set(item) and "custom_fields" not in item and "tags" not in item
    full = get(client, "/activities/", include_tags="true", include_custom_fields="true", size=100)
    example = next(a for a in all_activities(client) if a["id"] == "1cf0d458-b799-1d99-52e4-d7f5081b3c01")
    assert example["tags"] == [
        {"id": "609a369e-3f10-492a-8332-679ecbe56b65", "name": "Maintenance", "colour": "FR547F"}
    ]
    assert example["lead"] == {"id": "2760043d-c671-a428-9b35-2f27b0623fa1", "title": "ASOS"}
    assert all("tags" in a and "custom_fields" in a for a in full["content"])


def test_doc_get_activity(client):
    body = get(client, "/activities/6215f115-321a-c3d4-8809-59ca5f502433")
    assert body["type"] == {"id": "HGJDHGSJDHG", "name": "site visit", "color": "876FD5"}
    assert body["contact"] == {"id": JOHN_DOE, "name": "John Doe", "code": "C123"}
    assert body["service_request"] == {"id": "JHGHGF7576HGFTGD564654", "number": "SRV78001"}
    assert body["order"] == {"id": "2760043d-c671-a428-9b35-2f27b0623fa1", "number": "O101367"}
    assert body["address"] == {
        "address_line_1": "Elia Papakyriakou",
        "address_line_2": "7 Tower Stars",
        "state_province_county": "Egkomi",
        "town_city": "Nicosia",
        "postal_code": "2015",
        "country": "CYP",
        "lat": 35.157115,
        "lon": 33.313719,
        "google_place_id": "ChIJrTLr-GyuEmsRBfy61i59si0",
    }
    assert body["states"][-1] == {"state": "COMPLETED", "date": 1653400142}
    assert body["assign_to"]["user"] == {
        "id": "47ac694d-6281-b873-bf46-3fd8da334a3a",
        "name": "John Doe",
        "username": "j_doe@crm.com",
    }
    assert body["custom_fields"] == [{"key": "back_office", "value": "Back Office"}]


def test_doc_activity_tags(client):
    r = client.put(
        B + "/activities/d4187991-4d1a-4aa2-fa3e-ce5fe7fdb7d9/tags",
        json={"tags": ["96c3cb52-c68f-6ba6-e886-ed28f2b594cb"]},
        headers=LIVE,
    )
    assert r.status_code == 200 and r.json() == {"id": "d4187991-4d1a-4aa2-fa3e-ce5fe7fdb7d9"}
    tags = get(client, "/activities/d4187991-4d1a-4aa2-fa3e-ce5fe7fdb7d9/tags")["content"]
    assert [t["id"] for t in tags] == ["96c3cb52-c68f-6ba6-e886-ed28f2b594cb"]
    body = get(client, "/activities/d82881e9-a909-9d44-4f28-4b30fc1ac276/tags")
    assert body == {
        "content": [{"id": "1abe9097-d46a-d2ed-3415-fd3e1439d8d4", "name": "VIP", "colour": "#0000FF"}]
    }


def test_doc_create_insight(client):
    r = client.post(
        B + "/insights",
        json={"name": "Marketing customers", "description": "A list of customers that own an account"},
        headers=LIVE,
    )
    assert r.status_code == 200 and set(r.json()) == {"id"} and GUID.match(r.json()["id"])


def test_doc_error_example_shape(client):
    body = error(
        client.get(B + "/contacts/789dacae-cf71-414f-9483-ca88acaa46432/accounts", headers=LIVE), 404
    )
    assert body == {
        "status": 404,
        "message": "Record not found.",
        "error": "CRM.EXCEPTIONS.NOTFOUNDEXCEPTION",
        "parameters": ["contact", "789dacae-cf71-414f-9483-ca88acaa46432"],
    }


# -- authentication and modes ---------------------------------------------------------------------
def login(c: TestClient, headers: dict | None = None, **extra: Any) -> str:
    r = c.post(
        B + "/users/authenticate",
        json={"username": "j_doe@crm.com", "password": "demo-password", **extra},
        headers=headers or LIVE,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == extra.get("expires_in", 3600)
    return body["access_token"]


def test_jwt_login_and_use(client):
    token = login(client)
    assert jwt.get_unverified_header(token)["kid"] == "/privateKey.pem"
    body = get(client, f"/accounts/{EUR_ACCOUNT}", {"authorization": f"Bearer {token}"})
    assert body["id"] == EUR_ACCOUNT
    # the document's Update Account example sends the token without "Bearer "
    r = client.put(B + f"/accounts/{USD_ACCOUNT}", json={"credit_limit": 5}, headers={"authorization": token})
    assert r.status_code == 200


def test_jwt_refusals(client, app):
    token = login(client)
    secret = app.runtime.store.get("crmcom_secrets", "signing-secret")["value"]
    claims = jwt.decode(token, secret, algorithms=["HS256"])
    expired = jwt.encode({**claims, "exp": claims["iat"] - 10}, secret, algorithm="HS256")
    forged = jwt.encode(claims, "not-the-signing-secret-of-this-server", algorithm="HS256")
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for bad, code in (
        (expired, "EXPIREDTOKENEXCEPTION"),
        (forged, "INVALIDTOKENEXCEPTION"),
        (tampered, None),
        ("x.y.z", None),
    ):
        error(
            client.get(B + f"/accounts/{EUR_ACCOUNT}", headers={"authorization": f"Bearer {bad}"}), 401, code
        )
    r = client.post(
        B + "/users/authenticate", json={"username": "j_doe@crm.com", "password": "nope"}, headers=LIVE
    )
    error(r, 401, "INVALIDCREDENTIALSEXCEPTION")
    # the login needs an api_key (its mode goes into the token)
    r = client.post(
        B + "/users/authenticate",
        json={"username": "j_doe@crm.com", "password": "demo-password"},
        headers={"authorization": f"Bearer {token}"},
    )
    error(r, 401)


def test_api_key_refusals(client):
    error(client.get(B + f"/accounts/{EUR_ACCOUNT}"), 401, "UNAUTHORIZEDEXCEPTION")
    error(
        client.get(B + f"/accounts/{EUR_ACCOUNT}", headers={"api_key": "nope"}), 401, "INVALIDAPIKEYEXCEPTION"
    )
    assert client.get(B + f"/accounts/{EUR_ACCOUNT}", headers=READ_ONLY).status_code == 200
    # every credential sent must hold: a good key with a bad token is refused, as are mixed modes
    error(client.get(B + f"/accounts/{EUR_ACCOUNT}", headers={**LIVE, "authorization": "Bearer x"}), 401)
    test_token = {"authorization": f"Bearer {login(client, TEST)}"}
    error(client.get(B + f"/accounts/{EUR_ACCOUNT}", headers={**LIVE, **test_token}), 401)
    assert client.get(B + f"/accounts/{EUR_ACCOUNT}", headers={**TEST, **test_token}).status_code == 200
    before = get(client, f"/accounts/{USD_ACCOUNT}")
    error(
        client.put(B + f"/accounts/{USD_ACCOUNT}", json={"credit_limit": 1}, headers=READ_ONLY),
        403,
        "FORBIDDENEXCEPTION",
    )
    assert get(client, f"/accounts/{USD_ACCOUNT}") == before


def test_modes_are_separate(client):
    live_ids = {a["id"] for a in all_activities(client)}
    test_ids = {a["id"] for a in all_activities(client, TEST)}
    generated_live = live_ids - test_ids
    assert generated_live and test_ids and len(test_ids) < len(live_ids)
    error(client.get(B + f"/activities/{sorted(generated_live)[0]}", headers=TEST), 404)
    # a write in test mode is invisible in live mode, and the documented records are copies
    r = client.post(B + "/activities", json=new_activity(), headers=TEST)
    assert r.status_code == 201
    error(client.get(B + f"/activities/{r.json()['id']}", headers=LIVE), 404)
    client.put(B + f"/accounts/{USD_ACCOUNT}", json={"credit_limit": 77}, headers=TEST)
    assert get(client, f"/accounts/{USD_ACCOUNT}", TEST)["credit_limit"] == 77
    assert get(client, f"/accounts/{USD_ACCOUNT}", LIVE)["credit_limit"] == 0
    # a token carries the mode of the key it was obtained with
    test_token = {"authorization": f"Bearer {login(client, TEST)}"}
    assert get(client, f"/activities/{r.json()['id']}", test_token)["name"] == "Call back"


def test_too_early(client):
    before = get(client, "/insights")["paging"]["total"]
    r = client.post(B + "/insights", json={"name": "x"}, headers={**LIVE, "Early-Data": "1"})
    error(r, 425, "TOOEARLYEXCEPTION")
    assert get(client, "/insights")["paging"]["total"] == before
    assert client.get(B + "/insights", headers={**LIVE, "Early-Data": "1"}).status_code == 200


# -- accounts -------------------------------------------------------------------------------------
def test_primary_account_is_unique(client):
    r = client.post(
        B + f"/contacts/{JOHN_SMITH}/accounts",
        json={"currency_code": "GBP", "is_primary": True},
        headers=LIVE,
    )
    assert r.status_code == 201
    accounts = get(client, f"/contacts/{JOHN_SMITH}/accounts")["content"]
    assert [a["id"] for a in accounts if a["is_primary"]] == [r.json()["id"]]
    created = get(client, f"/accounts/{r.json()['id']}")
    assert re.match(r"^AC\d{8} John Smith$", created["name"]) and created["payment_terms"]["name"] == "Net 30"
    assert (
        client.put(B + f"/accounts/{EUR_ACCOUNT}", json={"is_primary": True}, headers=LIVE).status_code == 200
    )
    accounts = get(client, f"/contacts/{JOHN_SMITH}/accounts")["content"]
    assert [a["id"] for a in accounts if a["is_primary"]] == [EUR_ACCOUNT]


def test_terminate_moves_or_loses_balance(client):
    # move: John Smith's USD account -> a new USD account of Maria? currency must match
    r = client.post(
        B + f"/accounts/{USD_ACCOUNT}/actions",
        json={"state": "TERMINATED", "account_id": MARIA_USD},
        headers=LIVE,
    )
    assert r.status_code == 200
    assert get(client, f"/accounts/{MARIA_USD}")["balance"] == 25.5
    gone = get(client, f"/accounts/{USD_ACCOUNT}")
    assert gone["state"] == "TERMINATED" and gone["balance"] == 0
    # lose: without account_id the balance is gone
    r = client.post(B + f"/accounts/{MARIA_USD}/actions", json={"state": "TERMINATED"}, headers=LIVE)
    assert r.status_code == 200 and get(client, f"/accounts/{MARIA_USD}")["balance"] == 0
    # TERMINATED is final
    for state in ("ACTIVE", "SUSPENDED", "TERMINATED"):
        error(
            client.post(B + f"/accounts/{MARIA_USD}/actions", json={"state": state}, headers=LIVE),
            400,
            "ACCOUNTTERMINATEDEXCEPTION",
        )
    error(
        client.put(B + f"/accounts/{MARIA_USD}", json={"credit_limit": 5}, headers=LIVE),
        400,
        "ACCOUNTTERMINATEDEXCEPTION",
    )
    analytics = get(client, f"/contacts/{MARIA}/analytics")
    assert analytics["accounts"]["terminated"] == 1


def test_terminate_refusals_change_nothing(client):
    before = (
        get(client, f"/accounts/{EUR_ACCOUNT}"),
        get(client, f"/accounts/{USD_ACCOUNT}"),
        get(client, f"/accounts/{MARIA_USD}"),
    )
    cases = [
        ({"state": "TERMINATED", "account_id": USD_ACCOUNT}, 400, "CURRENCYMISMATCHEXCEPTION"),
        ({"state": "TERMINATED", "account_id": EUR_ACCOUNT}, 400, None),
        ({"state": "TERMINATED", "account_id": "no-such-account"}, 404, "NOTFOUNDEXCEPTION"),
        ({"state": "CLOSED"}, 400, None),
        ({}, 400, None),
    ]
    for body, status, code in cases:
        error(client.post(B + f"/accounts/{EUR_ACCOUNT}/actions", json=body, headers=LIVE), status, code)
    after = (
        get(client, f"/accounts/{EUR_ACCOUNT}"),
        get(client, f"/accounts/{USD_ACCOUNT}"),
        get(client, f"/accounts/{MARIA_USD}"),
    )
    assert after == before


def test_suspended_blocks_purchasing_not_payments(client):
    url = B + f"/accounts/{SUSPENDED_GBP}"
    before = get(client, f"/accounts/{SUSPENDED_GBP}")
    error(client.put(url, json={"is_primary": True}, headers=LIVE), 400, "ACCOUNTSUSPENDEDEXCEPTION")
    error(client.put(url, json={"credit_limit": 1000}, headers=LIVE), 400, "ACCOUNTSUSPENDEDEXCEPTION")
    assert get(client, f"/accounts/{SUSPENDED_GBP}") == before
    assert (
        client.put(
            url,
            json={"credit_limit": 50, "payment_terms_id": "CAD1E31269B76D7A65ACCE45B2E68DFD"},
            headers=LIVE,
        ).status_code
        == 200
    )
    after = get(client, f"/accounts/{SUSPENDED_GBP}")
    assert after["credit_limit"] == 50 and after["payment_terms"]["name"] == "Net 7"
    # reactivate, then it can become primary
    assert client.post(url + "/actions", json={"state": "ACTIVE"}, headers=LIVE).status_code == 200
    assert client.put(url, json={"is_primary": True}, headers=LIVE).status_code == 200


def test_account_validation_changes_nothing(client):
    before = get(client, f"/contacts/{MARIA}/accounts")
    cases = [
        ({"currency_code": "GBP"}, 400, "DUPLICATECURRENCYEXCEPTION"),
        ({"currency_code": "eur"}, 400, None),
        ({"name": "no currency"}, 400, None),
        ({"currency_code": "CHF", "classification_id": "nope"}, 404, None),
        ({"currency_code": "CHF", "billing_address_id": NICOSIA}, 404, None),  # John Doe's address
        ({"currency_code": "CHF", "colour": "red"}, 400, None),
    ]
    for body, status, code in cases:
        error(client.post(B + f"/contacts/{MARIA}/accounts", json=body, headers=LIVE), status, code)
    error(client.post(B + "/contacts/nope/accounts", json={"currency_code": "CHF"}, headers=LIVE), 404)
    r = client.post(
        B + f"/contacts/{MARIA}/accounts",
        content=b"{not json",
        headers={**LIVE, "content-type": "application/json"},
    )
    error(r, 400)
    r = client.post(
        B + f"/contacts/{MARIA}/accounts",
        content=b"currency_code=CHF",
        headers={**LIVE, "content-type": "application/x-www-form-urlencoded"},
    )
    error(r, 415)
    error(client.put(B + f"/accounts/{EUR_ACCOUNT}", json={}, headers=LIVE), 400)
    error(client.put(B + "/accounts/nope", json={"credit_limit": 1}, headers=LIVE), 404)
    error(client.put(B + f"/accounts/{EUR_ACCOUNT}", json={"credit_limit": -1}, headers=LIVE), 400)
    assert get(client, f"/contacts/{MARIA}/accounts") == before


def test_put_account_is_idempotent(client):
    body = {"credit_limit": 300, "is_primary": True}
    assert client.put(B + f"/accounts/{USD_ACCOUNT}", json=body, headers=LIVE).status_code == 200
    first = get(client, f"/contacts/{JOHN_SMITH}/accounts", sort="UPDATED_DATE")
    assert client.put(B + f"/accounts/{USD_ACCOUNT}", json=body, headers=LIVE).status_code == 200
    assert get(client, f"/contacts/{JOHN_SMITH}/accounts", sort="UPDATED_DATE") == first


def contact_with_accounts(c: TestClient) -> tuple[str, list[dict]]:
    """A generated contact with several accounts (read through the API)."""
    for contact in get(c, "/contacts", size=100)["content"]:
        accounts = get(c, f"/contacts/{contact['id']}/accounts", size=100)["content"]
        if len(accounts) >= 3 and len({a["state"] for a in accounts}) >= 2:
            return contact["id"], accounts
    raise AssertionError("no seeded contact with three accounts in two states")


def test_list_contact_accounts_filters(client):
    contact, accounts = contact_with_accounts(client)
    path = f"/contacts/{contact}/accounts"
    assert [a["id"] for a in get(client, path, is_primary="true")["content"]] == [
        a["id"] for a in accounts if a["is_primary"]
    ]
    assert {a["id"] for a in get(client, path, is_primary="false")["content"]} == {
        a["id"] for a in accounts if not a["is_primary"]
    }
    for states in (["ACTIVE"], ["SUSPENDED", "TERMINATED"], ["ACTIVE", "TERMINATED"]):
        got = get(client, path, state=",".join(states))["content"]
        assert {a["id"] for a in got} == {a["id"] for a in accounts if a["state"] in states}
    names = [a["name"] for a in get(client, path, sort="NAME", order="ASC")["content"]]
    assert names == sorted(a["name"] for a in accounts)
    desc = [a["name"] for a in get(client, path, sort="NAME", order="DESC")["content"]]
    assert desc == sorted((a["name"] for a in accounts), reverse=True)
    page = get(client, path, size=1, page=2)
    assert page["paging"] == {"page": 2, "size": 1, "total": len(accounts)} and len(page["content"]) == 1
    error(client.get(B + path, params={"state": "OPEN"}, headers=LIVE), 400)
    error(client.get(B + path, params={"size": 0}, headers=LIVE), 400)


# -- activities -----------------------------------------------------------------------------------
def test_activity_lifecycle(client):
    r = client.post(
        B + "/activities",
        json=new_activity(
            use_entity_address=True,
            linked_to=[
                {"type": "CONTACT", "id": JOHN_DOE},
                {"type": "LEAD", "id": "2760043d-c671-a428-9b35-2f27b0623fa1"},
            ],
        ),
        headers=LIVE,
    )
    assert r.status_code == 201
    ident = r.json()["id"]
    activity = get(client, f"/activities/{ident}")
    assert activity["address"]["address_line_1"] == "Elia Papakyriakou"  # the contact's address
    assert activity["lead"]["title"] == "ASOS" and activity["order"] is None
    assert activity["key_dates"]["completed_on"] is None
    r = client.put(B + f"/activities/{ident}", json={"state": "COMPLETED"}, headers=LIVE)
    assert r.status_code == 200
    done = get(client, f"/activities/{ident}")
    assert done["state"] == "COMPLETED" and done["key_dates"]["completed_on"] == done["states"][-1]["date"]
    r = client.put(
        B + f"/activities/{ident}",
        json={"linked_to": None, "description": None, "assign_to": None},
        headers=LIVE,
    )
    assert r.status_code == 200
    cleared = get(client, f"/activities/{ident}")
    assert cleared["lead"] is None and cleared["contact"]["id"] == JOHN_DOE
    assert client.delete(B + f"/activities/{ident}", headers=LIVE).status_code == 204
    error(client.get(B + f"/activities/{ident}", headers=LIVE), 404)


def test_activity_validation_changes_nothing(client):
    before = get(client, "/activities/")["paging"]["total"]
    cases = [
        (new_activity(linked_to=[{"type": "LEAD", "id": "no-such-lead"}]), 404),
        (new_activity(linked_to=[{"type": "CONTACT", "id": "nobody"}]), 404),
        (new_activity(type_id="nope"), 404),
        (new_activity(address_id=NICOSIA, use_entity_address=True), 400),
        (new_activity(address_id="e230809f-ed91-4b68-b912-5bd6064d602a"), 404),  # Maria's address
        (new_activity(assign_to={"user_id": "ghost"}), 404),
        (new_activity(assign_to={"team_id": "ghost"}), 404),
        (new_activity(scheduled_on={"from_date": 100, "to_date": 50}), 400),
        (new_activity(custom_fields=[{"key": "a", "value": "1"}, {"key": "a", "value": "2"}]), 400),
        (
            new_activity(
                linked_to=[{"type": "CONTACT", "id": JOHN_DOE}, {"type": "CONTACT", "id": JOHN_SMITH}]
            ),
            400,
        ),
        (new_activity(linked_to=[]), 400),
        (new_activity(use_entity_address="yes"), 400),
        ({"name": "missing fields"}, 400),
        (new_activity(extra=1), 400),
    ]
    for body, status in cases:
        error(client.post(B + "/activities", json=body, headers=LIVE), status)
    # a lead without a contact cannot name one
    assert get(client, "/activities/")["paging"]["total"] == before
    url = B + "/activities/43bf8b4a-6b7c-f86d-6faf-454b7e99a8e2"
    original = get(client, "/activities/43bf8b4a-6b7c-f86d-6faf-454b7e99a8e2")
    for body, status in [
        ({"linked_to": [{"type": "CONTACT", "id": JOHN_SMITH}]}, 400),
        ({"address_id": "e230809f-ed91-4b68-b912-5bd6064d602a"}, 404),
        ({"state": "DONE"}, 400),
        ({}, 400),
        ({"name": "x", "linked_to": [{"type": "ORDER", "id": "nope"}]}, 404),
    ]:
        error(client.put(url, json=body, headers=LIVE), status)
    error(client.put(B + "/activities/nope", json={"name": "x"}, headers=LIVE), 404)
    assert get(client, "/activities/43bf8b4a-6b7c-f86d-6faf-454b7e99a8e2") == original


def test_activity_list_filters(client):
    everything = all_activities(client)
    assert len(everything) == get(client, "/activities/")["paging"]["total"] > 100

    def ids(**params: Any) -> set[str]:
        return {a["id"] for a in all_activities(client, **params)}

    def ref(pred) -> set[str]:
        return {a["id"] for a in everything if pred(a)}

    sample = next(
        a for a in everything if a["lead"] and a["order"] and a["assign_to"] and a["assign_to"]["user"]
    )
    with_team = next(a for a in everything if a["assign_to"] and a["assign_to"]["team"])
    with_sr = next(a for a in everything if a["service_request"])
    assert ids(contact_id=sample["contact"]["id"]) == ref(
        lambda a: a["contact"]["id"] == sample["contact"]["id"]
    )
    assert ids(lead_id=sample["lead"]["id"]) == ref(
        lambda a: (a["lead"] or {}).get("id") == sample["lead"]["id"]
    )
    assert ids(order_id=sample["order"]["id"]) == ref(
        lambda a: (a["order"] or {}).get("id") == sample["order"]["id"]
    )
    sr = with_sr["service_request"]["id"]
    assert ids(service_request_id=sr) == ref(lambda a: (a["service_request"] or {}).get("id") == sr)
    user = sample["assign_to"]["user"]["id"]
    assert ids(assign_to_user_id=user) == ref(
        lambda a: ((a["assign_to"] or {}).get("user") or {}).get("id") == user
    )
    team = with_team["assign_to"]["team"]["id"]
    assert ids(assign_to_team_id=team) == ref(
        lambda a: ((a["assign_to"] or {}).get("team") or {}).get("id") == team
    )
    for states in (["PENDING"], ["COMPLETED", "CANCELLED"]):
        assert ids(states=",".join(states)) == ref(lambda a, s=states: a["state"] in s)
    type_ids = sorted({a["type"]["id"] for a in everything})[:2]
    assert ids(types=",".join(type_ids)) == ref(lambda a: a["type"]["id"] in type_ids)
    tag_ids = ["1abe9097-d46a-d2ed-3415-fd3e1439d8d4", "2d4b6f80-1a3c-4e5f-8b9d-0c2e4f6a8b03"]
    expected = ref(lambda a: any(t["id"] in tag_ids for t in a["tags"]))
    assert expected and ids(tag_ids=",".join(tag_ids)) == expected
    assert ids(custom_fields="channel;web") == ref(
        lambda a: {"key": "channel", "value": "web"} in a["custom_fields"]
    )
    assert ids(custom_fields="back_office;Back Office") == ref(
        lambda a: {"key": "back_office", "value": "Back Office"} in a["custom_fields"]
    )
    assert ids(search_value="DEMO") == ref(
        lambda a: "demo" in (a["name"] + " " + (a["description"] or "")).lower()
    )
    created = sorted(a["key_dates"]["created_on"] for a in everything)
    mid = created[len(created) // 2]
    for op, pred in (
        ("gt", lambda v: v > mid),
        ("gte", lambda v: v >= mid),
        ("lt", lambda v: v < mid),
        ("lte", lambda v: v <= mid),
    ):
        assert ids(**{f"created_on[{op}]": mid}) == ref(lambda a, p=pred: p(a["key_dates"]["created_on"]))
        done = [a["key_dates"]["completed_on"] for a in everything if a["key_dates"]["completed_on"]]
        cmid = sorted(done)[len(done) // 2]
        assert ids(**{f"completed_on[{op}]": cmid}) == ref(
            lambda a, p=pred, m=cmid: (
                a["key_dates"]["completed_on"] is not None and p(a["key_dates"]["completed_on"] - m + mid)
            )
        )
    low, high = created[10], created[-10]
    both = ids(**{"created_on[gte]": low, "created_on[lt]": high})
    assert both == ref(lambda a: low <= a["key_dates"]["created_on"] < high)


def test_activity_list_sort_and_paging(client):
    everything = all_activities(client)
    for sort, key in (
        ("CREATED_DATE", lambda a: a["key_dates"]["created_on"]),
        ("NAME", lambda a: a["name"]),
        ("SCHEDULED_DATE", lambda a: a["key_dates"]["scheduled_on"]["from_date"]),
    ):
        for order in ("ASC", "DESC"):
            got = [key(a) for a in get(client, "/activities/", sort=sort, order=order, size=100)["content"]]
            want = sorted((key(a) for a in everything), reverse=order == "DESC")[:100]
            assert got == want, (sort, order)
    default = get(client, "/activities/", size=100)["content"]
    assert [a["key_dates"]["created_on"] for a in default] == sorted(
        (a["key_dates"]["created_on"] for a in everything), reverse=True
    )[:100]
    pages = [get(client, "/activities/", page=n, size=7)["content"] for n in (1, 2, 3)]
    assert len({a["id"] for p in pages for a in p}) == 21
    assert get(client, "/activities/", page=10_000)["content"] == []
    for params in (
        {"size": 101},
        {"page": 0},
        {"created_on[gte]": "yesterday"},
        {"order": "UP"},
        {"states": "OPEN"},
        {"custom_fields": "nosemicolon"},
        {"include_tags": "maybe"},
    ):
        error(client.get(B + "/activities/", params=params, headers=LIVE), 400)


def test_activity_sort_by_updated(client):
    target = "d4187991-4d1a-4aa2-fa3e-ce5fe7fdb7d9"
    assert client.put(B + f"/activities/{target}", json={"name": "Touched"}, headers=LIVE).status_code == 200
    first = get(client, "/activities/", sort="UPDATED_DATE", order="DESC")["content"][0]
    assert first["id"] == target


def test_activity_tags(client):
    target = "d4187991-4d1a-4aa2-fa3e-ce5fe7fdb7d9"
    r = client.post(B + "/tags", json={"name": "Hot", "colour": "#FF00FF"}, headers=LIVE)
    assert r.status_code == 201
    hot = r.json()["id"]
    assert hot in {t["id"] for t in all_pages(client, "/tags")}
    body = {"tags": [hot, "1abe9097-d46a-d2ed-3415-fd3e1439d8d4", hot]}
    assert client.put(B + f"/activities/{target}/tags", json=body, headers=LIVE).status_code == 200
    tags = get(client, f"/activities/{target}/tags")["content"]
    assert [t["id"] for t in tags] == [hot, "1abe9097-d46a-d2ed-3415-fd3e1439d8d4"]
    assert target in {a["id"] for a in all_activities(client, tag_ids=hot)}
    error(client.put(B + f"/activities/{target}/tags", json={"tags": ["ghost"]}, headers=LIVE), 404)
    error(client.put(B + f"/activities/{target}/tags", json={}, headers=LIVE), 400)
    error(client.put(B + "/activities/nope/tags", json={"tags": []}, headers=LIVE), 404)
    error(client.get(B + "/activities/nope/tags", headers=LIVE), 404)
    assert [t["id"] for t in get(client, f"/activities/{target}/tags")["content"]] == [
        hot,
        "1abe9097-d46a-d2ed-3415-fd3e1439d8d4",
    ]
    assert client.put(B + f"/activities/{target}/tags", json={"tags": []}, headers=LIVE).status_code == 200
    assert get(client, f"/activities/{target}/tags")["content"] == []


def all_pages(c: TestClient, path: str, **params: Any) -> list[dict]:
    out, page = [], 1
    while True:
        body = get(c, path, page=page, size=100, **params)
        out += body["content"]
        if len(out) >= body["paging"]["total"] or not body["content"]:
            return out
        page += 1


# -- contacts, organisations, analytics ------------------------------------------------------------
def test_contacts_and_organisations(client):
    r = client.post(
        B + "/organisations", json={"name": "Larnaca Branch", "country_code": "CYP"}, headers=LIVE
    )
    assert r.status_code == 201
    org = r.json()["id"]
    assert get(client, f"/organisations/{org}")["name"] == "Larnaca Branch"
    assert org in {o["id"] for o in all_pages(client, "/organisations")}
    body = {
        "first_name": "Eleni",
        "last_name": "Petrou",
        "code": "C9001",
        "organisation_id": org,
        "addresses": [{"address_line_1": "1 Shore Road", "country_code": "CYP", "town_city": "Larnaca"}],
    }
    r = client.post(B + "/contacts", json=body, headers=LIVE)
    assert r.status_code == 201
    contact = get(client, f"/contacts/{r.json()['id']}")
    assert contact["name"] == "Eleni Petrou" and contact["organisation"] == {
        "id": org,
        "name": "Larnaca Branch",
    }
    address = contact["addresses"][0]["id"]
    assert [c["id"] for c in get(client, "/contacts", organisation_id=org)["content"]] == [contact["id"]]
    assert [c["id"] for c in get(client, "/contacts", search_value="c9001")["content"]] == [contact["id"]]
    error(client.post(B + "/contacts", json=body, headers=LIVE), 400, "DUPLICATECODEEXCEPTION")
    error(
        client.post(
            B + "/contacts", json={"first_name": "A", "last_name": "B", "type": "COMPANY"}, headers=LIVE
        ),
        400,
    )
    error(
        client.post(
            B + "/contacts",
            json={"first_name": "A", "last_name": "B", "organisation_id": "nope"},
            headers=LIVE,
        ),
        404,
    )
    error(client.get(B + "/organisations/nope", headers=LIVE), 404)
    # the new contact's address works as a billing address and as an activity address
    r = client.post(
        B + f"/contacts/{contact['id']}/accounts",
        json={"currency_code": "EUR", "billing_address_id": address},
        headers=LIVE,
    )
    assert r.status_code == 201
    assert get(client, f"/accounts/{r.json()['id']}")["billing_address"]["address_line_1"] == "1 Shore Road"
    r = client.post(
        B + "/activities",
        json=new_activity(address_id=address, linked_to=[{"type": "CONTACT", "id": contact["id"]}]),
        headers=LIVE,
    )
    assert r.status_code == 201
    figures = get(client, f"/organisations/{org}/analytics")
    assert (
        figures["contacts"] == 1 and figures["accounts"]["total"] == 1 and figures["activities"]["total"] == 1
    )


def expected_figures(accounts: list[dict], activities: list[dict]) -> dict:
    balances: dict[str, list[float]] = {}
    for a in accounts:
        if a["state"] != "TERMINATED":
            row = balances.setdefault(a["currency_code"], [0.0, 0.0, 0.0])
            row[0] += a["balance"]
            row[1] += a["overdue_amount"]
            row[2] += a["credit_limit"]
    return {
        "accounts": {
            "total": len(accounts),
            "active": sum(a["state"] == "ACTIVE" for a in accounts),
            "suspended": sum(a["state"] == "SUSPENDED" for a in accounts),
            "terminated": sum(a["state"] == "TERMINATED" for a in accounts),
        },
        "balances": {c: [round(v, 2) for v in row] for c, row in balances.items()},
        "activities": {
            "total": len(activities),
            "pending": sum(a["state"] == "PENDING" for a in activities),
            "completed": sum(a["state"] == "COMPLETED" for a in activities),
            "cancelled": sum(a["state"] == "CANCELLED" for a in activities),
            "last_created_on": max((a["key_dates"]["created_on"] for a in activities), default=None),
        },
    }


def figures_of(body: dict) -> dict:
    acts = dict(body["activities"])
    acts.pop("by_type")
    return {
        "accounts": body["accounts"],
        "balances": {
            b["currency_code"]: [b["balance"], b["overdue_amount"], b["credit_limit"]]
            for b in body["balances"]
        },
        "activities": acts,
    }


def test_contact_and_organisation_analytics(client):
    contact, accounts = contact_with_accounts(client)
    full = [get(client, f"/accounts/{a['id']}") for a in accounts]
    activities = all_activities(client, contact_id=contact)
    body = get(client, f"/contacts/{contact}/analytics")
    assert body["contact_id"] == contact
    assert figures_of(body) == expected_figures(full, activities)
    assert sum(t["count"] for t in body["activities"]["by_type"]) == len(activities)
    # organisation: every contact of it
    org = get(client, f"/contacts/{JOHN_DOE}")["organisation"]
    assert org is not None
    members = all_pages(client, "/contacts", organisation_id=org["id"])
    org_accounts = [
        get(client, f"/accounts/{a['id']}")
        for m in members
        for a in all_pages(client, f"/contacts/{m['id']}/accounts")
    ]
    org_activities = [a for a in all_activities(client) if a["contact"]["id"] in {m["id"] for m in members}]
    body = get(client, f"/organisations/{org['id']}/analytics")
    assert body["contacts"] == len(members)
    got, want = figures_of(body), expected_figures(org_accounts, org_activities)
    assert got["accounts"] == want["accounts"] and got["activities"] == want["activities"]
    assert got["balances"].keys() == want["balances"].keys()
    for currency, row in want["balances"].items():
        assert got["balances"][currency] == pytest.approx(row, abs=0.05)
    # state changes show at once
    client.post(
        B + "/activities", json=new_activity(linked_to=[{"type": "CONTACT", "id": contact}]), headers=LIVE
    )
    assert (
        get(client, f"/contacts/{contact}/analytics")["activities"]["pending"]
        == expected_figures(full, activities)["activities"]["pending"] + 1
    )
    error(client.get(B + "/contacts/nope/analytics", headers=LIVE), 404)
    error(client.get(B + "/organisations/nope/analytics", headers=LIVE), 404)


# -- insights -------------------------------------------------------------------------------------
def insight(c: TestClient, name: str = "Marketing customers") -> str:
    r = c.post(B + "/insights", json={"name": name}, headers=LIVE)
    assert r.status_code == 200
    return r.json()["id"]


def test_insight_crud(client):
    ident = insight(client)
    body = get(client, f"/insights/{ident}")
    assert body["name"] == "Marketing customers" and body["description"] is None
    assert body["events"] == body["filters"] == body["breakdowns"] == []
    r = client.put(B + f"/insights/{ident}", json={"description": "EUR owners"}, headers=LIVE)
    assert r.status_code == 200 and r.json() == {"id": ident}
    assert get(client, f"/insights/{ident}")["description"] == "EUR owners"
    other = insight(client, "Zeta")
    listed = get(client, "/insights", sort="NAME", order="ASC")["content"]
    assert [i["name"] for i in listed] == ["Marketing customers", "Zeta"]
    assert [i["id"] for i in get(client, "/insights", search_value="zet")["content"]] == [other]
    for path, body in (
        ("events", {"type": "ACCOUNT_CREATED"}),
        ("filters", {"attribute": "HAS_ACCOUNT", "operator": "EQUALS", "value": "true"}),
        ("breakdowns", {"attribute": "CONTACT_TYPE"}),
    ):
        r = client.post(B + f"/insights/{ident}/{path}", json=body, headers=LIVE)
        assert r.status_code == 201
    full = get(client, f"/insights/{ident}")
    assert len(full["events"]) == len(full["filters"]) == len(full["breakdowns"]) == 1
    assert client.post(B + f"/insights/{ident}/exports", json={}, headers=LIVE).status_code == 201
    assert client.delete(B + f"/insights/{ident}", headers=LIVE).status_code == 204
    error(client.get(B + f"/insights/{ident}", headers=LIVE), 404)
    error(client.get(B + f"/insights/{ident}/results", headers=LIVE), 404)
    store = client.app.runtime.store  # type: ignore[attr-defined]
    for sub in ("events", "filters", "breakdowns", "exports"):
        assert store.count(f"crmcom_live_insight_{sub}") == 0  # cascaded


def test_insight_validation(client):
    ident = insight(client)
    before = get(client, f"/insights/{ident}")
    cases = [
        ("events", {"type": "ACCOUNT_CREATED", "activity_type_id": CALL_TYPE}, 400),
        ("events", {"type": "ACTIVITY_CREATED", "activity_type_id": "ghost"}, 404),
        ("events", {"type": "ACTIVITY_CREATED", "from_date": 10, "to_date": 5}, 400),
        ("events", {"type": "PURCHASE"}, 400),
        ("filters", {"attribute": "HAS_ACCOUNT", "operator": "EQUALS", "value": "maybe"}, 400),
        ("filters", {"attribute": "CONTACT_TYPE", "operator": "EQUALS", "value": "ROBOT"}, 400),
        ("filters", {"attribute": "ACCOUNT_CURRENCY", "operator": "LIKE", "value": "EUR"}, 400),
        ("breakdowns", {"attribute": "COLOUR"}, 400),
    ]
    for path, body, status in cases:
        error(client.post(B + f"/insights/{ident}/{path}", json=body, headers=LIVE), status)
    error(client.post(B + "/insights/ghost/events", json={"type": "ACCOUNT_CREATED"}, headers=LIVE), 404)
    for attribute in ("CONTACT_TYPE", "ORGANISATION_ID", "PRIMARY_ACCOUNT_STATE"):
        assert (
            client.post(
                B + f"/insights/{ident}/breakdowns", json={"attribute": attribute}, headers=LIVE
            ).status_code
            == 201
        )
    error(
        client.post(
            B + f"/insights/{ident}/breakdowns", json={"attribute": "PRIMARY_ACCOUNT_CURRENCY"}, headers=LIVE
        ),
        400,
    )
    assert len(get(client, f"/insights/{ident}")["breakdowns"]) == 3
    assert get(client, f"/insights/{ident}")["events"] == before["events"] == []
    error(client.post(B + "/insights", json={"name": ""}, headers=LIVE), 400)
    error(client.put(B + f"/insights/{ident}", json={}, headers=LIVE), 400)


def reference_results(
    contacts: list[dict], accounts: dict[str, list[dict]], activities: list[dict], currency: str
) -> dict:
    """Contacts owning a `currency` account, by contact type, counting activities created."""
    by_contact: dict[str, list[dict]] = {}
    for a in activities:
        by_contact.setdefault(a["contact"]["id"], []).append(a)
    groups: dict[str, list[int]] = {}
    for c in contacts:
        if any(a["currency_code"] == currency for a in accounts.get(c["id"], [])):
            row = groups.setdefault(c["type"], [0, 0])
            row[0] += 1
            row[1] += len(by_contact.get(c["id"], []))
    return groups


def test_insight_results_preview_export(client):
    ident = insight(client)
    client.post(
        B + f"/insights/{ident}/filters",
        json={"attribute": "ACCOUNT_CURRENCY", "operator": "EQUALS", "value": "GBP"},
        headers=LIVE,
    )
    r = client.post(
        B + f"/insights/{ident}/events",
        json={"type": "ACTIVITY_CREATED", "name": "All activities"},
        headers=LIVE,
    )
    event_id = r.json()["id"]
    client.post(B + f"/insights/{ident}/breakdowns", json={"attribute": "CONTACT_TYPE"}, headers=LIVE)
    contacts = all_pages(client, "/contacts")
    accounts = {c["id"]: all_pages(client, f"/contacts/{c['id']}/accounts") for c in contacts}
    activities = all_activities(client)
    want = reference_results(contacts, accounts, activities, "GBP")
    body = get(client, f"/insights/{ident}/results")
    assert body["insight_id"] == ident and body["total_contacts"] == sum(v[0] for v in want.values())
    got = {
        row["group"]["CONTACT_TYPE"]: [row["contacts"], row["events"][0]["count"]] for row in body["content"]
    }
    assert got == want
    assert all(row["events"][0]["id"] == event_id for row in body["content"])
    # preview replaces lists for one computation and stores nothing
    r = client.post(B + f"/insights/{ident}/preview", json={"filters": [], "breakdowns": []}, headers=LIVE)
    assert r.status_code == 200
    preview = r.json()
    assert preview["total_contacts"] == len(contacts) and len(preview["content"]) == 1
    assert preview["content"][0]["events"][0]["count"] == len(activities)
    assert len(get(client, f"/insights/{ident}")["filters"]) == 1
    # an export is the same figures as a file
    r = client.post(B + f"/insights/{ident}/exports", json={"format": "CSV"}, headers=LIVE)
    assert r.status_code == 201
    export = r.json()
    lines = export["content"].strip().split("\n")
    assert lines[0] == "CONTACT_TYPE,contacts,event_id,event,count" and export["rows"] == len(
        lines
    ) - 1 == len(want)
    r = client.post(B + f"/insights/{ident}/exports", headers=LIVE)
    assert r.status_code == 201 and r.json()["format"] == "CSV"
    r = client.post(B + f"/insights/{ident}/exports", json={"format": "JSON"}, headers=LIVE)
    assert r.json()["format"] == "JSON" and '"count"' in r.json()["content"]
    error(client.post(B + f"/insights/{ident}/exports", json={"format": "XLS"}, headers=LIVE), 400)
    error(
        client.post(
            B + f"/insights/{ident}/preview",
            json={"breakdowns": [{"attribute": "CONTACT_TYPE"}, {"attribute": "CONTACT_TYPE"}]},
            headers=LIVE,
        ),
        400,
    )
    # results follow the data: a new GBP account moves a contact into the population
    outsider = next(c for c in contacts if not accounts[c["id"]])
    client.post(B + f"/contacts/{outsider['id']}/accounts", json={"currency_code": "GBP"}, headers=LIVE)
    assert get(client, f"/insights/{ident}/results")["total_contacts"] == body["total_contacts"] + 1


def test_insight_events_by_kind(client):
    ident = insight(client)
    events = [
        {"type": "ACCOUNT_CREATED"},
        {"type": "ACCOUNT_TERMINATED"},
        {"type": "ACTIVITY_COMPLETED"},
        {"type": "ACTIVITY_CREATED", "activity_type_id": CALL_TYPE},
    ]
    r = client.post(B + f"/insights/{ident}/preview", json={"events": events}, headers=LIVE)
    assert r.status_code == 200
    counts = [e["count"] for e in r.json()["content"][0]["events"]]
    contacts = all_pages(client, "/contacts")
    accounts = [a for c in contacts for a in all_pages(client, f"/contacts/{c['id']}/accounts")]
    activities = all_activities(client)
    assert counts == [
        len(accounts),
        sum(a["state"] == "TERMINATED" for a in accounts),
        sum(a["key_dates"]["completed_on"] is not None for a in activities),
        sum(a["type"]["id"] == CALL_TYPE for a in activities),
    ]


# -- seeding --------------------------------------------------------------------------------------
def test_seed_is_deterministic(client, app):
    first = all_activities(client)
    app.runtime.reset()
    assert all_activities(client) == first
