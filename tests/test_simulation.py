"""Issue 8 through the real stack: clock, request journal, faults, latency, webhooks."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver.app import create_app
from mockserver.settings import Settings

AUTH = {"X-API-Key": "demo-key"}
LEAD = {"email": "sim@example.com", "source": "website", "firstName": "Sim"}


@pytest.fixture(scope="module")
def sim_app():
    """Fast retries and a short receiver timeout, so webhook tests take a second, not a minute."""
    return create_app(
        Settings(
            db=":memory:", vendors=("ultra",), journal_size=500, webhook_backoff=0.05, webhook_timeout=0.5
        )
    )


@pytest.fixture
def api(sim_app) -> Iterator[TestClient]:
    sim_app.runtime.reset()
    sim_app.runtime.journal.clear()
    sim_app.runtime.faults.clear()
    with TestClient(sim_app) as client:
        yield client


def total_leads(api: TestClient) -> int:
    return api.get("/v1/leads?limit=1", headers=AUTH).json()["pagination"]["total"]


# -- clock -------------------------------------------------------------------------------------
def test_pinned_clock_dates_writes_and_advance_moves_it(api: TestClient) -> None:
    assert api.put("/__admin/clock", json={"now": "2024-01-16T10:30:00Z"}).json()["mode"] == "pinned"
    lead = api.post("/v1/leads", headers=AUTH, json=LEAD).json()
    assert lead["createdAt"] == "2024-01-16T10:30:00Z"
    api.post("/__admin/clock/advance", json={"seconds": 3600})
    updated = api.put(f"/v1/leads/{lead['id']}", headers=AUTH, json={"status": "contacted"}).json()
    assert updated["updatedAt"] == "2024-01-16T11:30:00Z"
    assert api.put("/__admin/clock", json={"now": None}).json()["mode"] == "real"
    assert api.put("/__admin/clock", json={"now": "yesterday"}).status_code == 400


def test_clock_makes_scheduled_email_due(api: TestClient) -> None:
    api.put("/__admin/clock", json={"now": "2024-01-16T10:30:00Z"})
    lead = api.post("/v1/leads", headers=AUTH, json=LEAD).json()
    body = {"to": [LEAD["email"]], "subject": "Quote", "scheduledFor": "2024-01-17T09:00:00Z"}
    email = api.post(f"/v1/leads/{lead['id']}/emails", headers=AUTH, json=body).json()
    assert email["status"] == "SCHEDULED" and email["sentAt"] is None
    api.post("/__admin/clock/advance", json={"seconds": 86400})
    emails = api.get(f"/v1/leads/{lead['id']}/emails", headers=AUTH).json()["data"]
    assert emails[0]["status"] == "SENT" and emails[0]["sentAt"] == "2024-01-17T09:00:00Z"
    kinds = [
        a["type"] for a in api.get(f"/v1/leads/{lead['id']}/activities", headers=AUTH).json()["activities"]
    ]
    assert "EMAIL_SENT" in kinds


def test_access_token_expires_after_two_hours_of_server_time(api: TestClient) -> None:
    api.put("/__admin/clock", json={"now": "2024-01-16T10:00:00Z"})
    redirect = api.get(
        "/oauth/authorize",
        params={
            "client_id": "demo-client",
            "redirect_uri": "http://localhost:8080/callback",
            "response_type": "code",
            "scope": "read write",
            "state": "s1",
        },
        follow_redirects=False,
    )
    code = redirect.headers["location"].split("code=")[1].split("&")[0]
    token = api.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": "demo-client",
            "client_secret": "demo-secret",
            "redirect_uri": "http://localhost:8080/callback",
        },
    ).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    api.post("/__admin/clock/advance", json={"seconds": 7199})
    assert api.get("/v1/leads?limit=1", headers=bearer).status_code == 200
    api.post("/__admin/clock/advance", json={"seconds": 2})
    refused = api.get("/v1/leads?limit=1", headers=bearer)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_api_key"


# -- journal -----------------------------------------------------------------------------------
def test_journal_records_matches_and_masks(api: TestClient) -> None:
    api.post("/v1/leads", headers=AUTH, json={**LEAD, "email": "one@example.com"})
    api.post("/v1/leads", headers=AUTH, json={**LEAD, "email": "two@example.com"})
    api.get("/v1/leads?status=new&limit=5", headers=AUTH)
    count = api.post(
        "/__admin/requests/count",
        json={"method": "POST", "path": "/v1/leads", "body": {"email": "one@example.com"}},
    )
    assert count.json() == {"count": 1}
    assert api.post("/__admin/requests/count", json={"method": "POST", "status": 201}).json()["count"] == 2
    assert api.post("/__admin/requests/count", json={"query": {"status": "new"}}).json()["count"] == 1
    found = api.post("/__admin/requests/find", json={"pathPattern": "^/v1/leads$", "method": "GET"}).json()
    entry = found["requests"][0]
    assert entry["status"] == 200 and entry["query"] == "status=new&limit=5"
    assert entry["request_headers"]["x-api-key"] == "***"
    assert "demo-key" not in json.dumps(api.get("/__admin/requests").json())
    listed = api.get("/__admin/requests?method=POST&limit=10").json()
    assert [json.loads(r["request_body"])["email"] for r in listed["requests"]] == [
        "two@example.com",
        "one@example.com",
    ]
    assert api.delete("/__admin/requests").json()["deleted"] >= 3
    assert api.get("/__admin/requests").json()["count"] == 0


def test_journal_masks_oauth_secrets_in_form_bodies(api: TestClient) -> None:
    api.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": "rt-secret-value",
            "client_id": "demo-client",
            "client_secret": "demo-secret",
        },
    )
    dump = json.dumps(api.get("/__admin/requests").json())
    assert "demo-secret" not in dump and "rt-secret-value" not in dump
    assert "client_id=demo-client" in dump


def test_journal_stays_within_its_bound(api: TestClient, sim_app) -> None:
    for _ in range(1200):
        api.get("/v1/users/me", headers=AUTH)
    listed = api.get("/__admin/requests?limit=10000").json()
    assert listed["capacity"] == 500
    assert listed["count"] == 500
    assert api.post("/__admin/requests/count", json={}).json()["count"] == 500


def test_bad_matchers_are_refused(api: TestClient) -> None:
    assert api.post("/__admin/requests/count", json={"colour": "red"}).status_code == 400
    assert api.post("/__admin/requests/count", json={"body": {"a;drop": 1}}).status_code == 400
    assert api.post("/__admin/requests/count", json=[1, 2]).status_code == 400


# -- faults and latency ------------------------------------------------------------------------
def test_prefer_code_injects_an_enveloped_error_and_changes_nothing(api: TestClient) -> None:
    before = total_leads(api)
    refused = api.post("/v1/leads", headers={**AUTH, "Prefer": "code=503"}, json=LEAD)
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "5"
    assert set(refused.json()["error"]) >= {"code", "message", "request_id"}
    refused = api.post("/v1/leads", headers={**AUTH, "Prefer": "code=422"}, json=LEAD)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "validation_error"
    assert total_leads(api) == before


def test_prefer_latency_delays_the_answer(api: TestClient) -> None:
    started = time.perf_counter()
    assert api.get("/v1/users/me", headers={**AUTH, "Prefer": "latency=250"}).status_code == 200
    assert time.perf_counter() - started >= 0.25


def test_fault_rules_match_method_path_vendor_and_probability(api: TestClient) -> None:
    rule = api.post(
        "/__admin/faults",
        json={
            "method": "POST",
            "path": "^/v1/leads$",
            "fault": {"kind": "status", "status": 500},
        },
    ).json()
    never = api.post(
        "/__admin/faults", json={"path": "^/v1/users", "probability": 0, "fault": {"kind": "unavailable"}}
    )
    assert never.status_code == 201
    assert api.post("/v1/leads", headers=AUTH, json=LEAD).status_code == 500
    assert api.get("/v1/leads?limit=1", headers=AUTH).status_code == 200  # GET not matched
    assert api.get("/v1/users/me", headers=AUTH).status_code == 200  # probability 0
    assert len(api.get("/__admin/faults").json()["rules"]) == 2
    assert api.delete(f"/__admin/faults/{rule['id']}").status_code == 200
    assert api.post("/v1/leads", headers=AUTH, json=LEAD).status_code == 201
    assert api.delete("/__admin/faults/nope").status_code == 404


def test_latency_rule(api: TestClient) -> None:
    api.post("/__admin/faults", json={"path": "^/v1/users/me$", "latency": {"fixed": 200}})
    started = time.perf_counter()
    assert api.get("/v1/users/me", headers=AUTH).status_code == 200
    assert time.perf_counter() - started >= 0.2


@pytest.mark.parametrize(
    "rule",
    [
        {"fault": {"kind": "teapot"}},
        {"fault": {"kind": "status", "status": 200}},
        {"latency": {"fixed": -5}},
        {"probability": 2, "fault": {"kind": "empty"}},
        {"path": "(", "fault": {"kind": "empty"}},
        {},
    ],
)
def test_bad_fault_rules_are_refused(api: TestClient, rule: dict) -> None:
    assert api.post("/__admin/faults", json=rule).status_code == 400
    assert api.get("/__admin/faults").json()["rules"] == []


# -- webhooks ----------------------------------------------------------------------------------
class Receiver:
    """A real HTTP server on loopback that fails the first ``failures`` deliveries."""

    def __init__(self, failures: int = 0, delay: float = 0.0) -> None:
        self.failures, self.delay = failures, delay
        self.received: list[tuple[dict[str, str], bytes, int]] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                time.sleep(owner.delay if len(owner.received) < owner.failures else 0)
                status = 500 if len(owner.received) < owner.failures else 200
                owner.received.append((dict(self.headers), body, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_webhook_signed_retried_and_logged(api: TestClient) -> None:
    receiver = Receiver(failures=2)
    try:
        secret = "whsec-test-123"
        hook = api.post(
            "/v1/webhooks",
            headers=AUTH,
            json={
                "url": receiver.url,
                "events": ["lead.created", "lead.converted"],
                "secret": secret,
            },
        )
        assert hook.status_code == 201 and "secret" not in hook.json()
        lead = api.post("/v1/leads", headers=AUTH, json=LEAD).json()
        wait_for(lambda: len(receiver.received) >= 3)
        assert [status for _, _, status in receiver.received] == [500, 500, 200]
        headers, body, _ = receiver.received[-1]
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-CRM-Ultra-Signature"] == expected
        payload = json.loads(body)
        assert payload["event"] == "lead.created" and payload["data"]["id"] == lead["id"]
        assert payload["data"]["email"] == LEAD["email"] and payload["timestamp"].endswith("Z")
        log = api.get("/__admin/webhooks/deliveries").json()["deliveries"]
        assert log[0]["status"] == "delivered" and log[0]["target"] == hook.json()["id"]
        assert [a["status"] for a in log[0]["attempts"]] == [500, 500, 200]
        # only subscribed events are sent: an update fires lead.updated, which nobody asked for
        api.put(f"/v1/leads/{lead['id']}", headers=AUTH, json={"status": "won"})
        wait_for(lambda: len(receiver.received) >= 4)
        assert json.loads(receiver.received[-1][1])["event"] == "lead.converted"
        time.sleep(0.3)
        assert len(receiver.received) == 4
    finally:
        receiver.close()


def test_slow_receiver_counts_as_failure(api: TestClient) -> None:
    receiver = Receiver(failures=1, delay=1.0)  # first answer comes after the 0.5 s timeout
    try:
        api.post("/v1/webhooks", headers=AUTH, json={"url": receiver.url, "events": ["lead.created"]})
        api.post("/v1/leads", headers=AUTH, json=LEAD)
        wait_for(
            lambda: any(
                d["status"] == "delivered"
                for d in api.get("/__admin/webhooks/deliveries").json()["deliveries"]
            )
        )
        attempts = api.get("/__admin/webhooks/deliveries").json()["deliveries"][0]["attempts"]
        assert "error" in attempts[0] and "0.5 s" in attempts[0]["error"]
        assert attempts[-1]["status"] == 200
        assert "X-CRM-Ultra-Signature" not in receiver.received[-1][0]  # no secret, no signature
    finally:
        receiver.close()


def test_refused_write_sends_nothing(api: TestClient) -> None:
    api.post("/v1/webhooks", headers=AUTH, json={"url": "http://127.0.0.1:9/x", "events": ["lead.created"]})
    assert api.post("/v1/leads", headers=AUTH, json={"source": "website"}).status_code == 422
    assert api.post("/v1/leads", headers={**AUTH, "Prefer": "code=500"}, json=LEAD).status_code == 500
    assert api.get("/__admin/webhooks/deliveries").json()["count"] == 0


def test_open_email_action_fires_email_opened(api: TestClient) -> None:
    receiver = Receiver()
    try:
        api.post("/v1/webhooks", headers=AUTH, json={"url": receiver.url, "events": ["email.opened"]})
        lead = api.post("/v1/leads", headers=AUTH, json=LEAD).json()
        email = api.post(
            f"/v1/leads/{lead['id']}/emails", headers=AUTH, json={"to": [LEAD["email"]], "subject": "Hi"}
        ).json()
        opened = api.post("/__admin/vendors/ultra/actions/open-email", json={"emailId": email["id"]})
        assert opened.status_code == 200 and opened.json()["opened"] is True and opened.json()["openedAt"]
        wait_for(lambda: len(receiver.received) == 1)
        data = json.loads(receiver.received[0][1])["data"]
        assert data["id"] == email["id"] and data["leadId"] == lead["id"]
        kinds = [
            a["type"]
            for a in api.get(f"/v1/leads/{lead['id']}/activities", headers=AUTH).json()["activities"]
        ]
        assert "EMAIL_OPENED" in kinds
        assert (
            api.post("/__admin/vendors/ultra/actions/open-email", json={"emailId": "nope"}).status_code == 404
        )
        assert api.post("/__admin/vendors/ultra/actions/fly", json={}).status_code == 404
    finally:
        receiver.close()
