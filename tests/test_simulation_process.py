"""Issue 8 across real processes: shared rate-limit counters, connection-level faults."""

from __future__ import annotations

import http.client
import json
import urllib.request
from pathlib import Path

import httpx
import pytest

from mockserver.testing import Journal
from tests.server_process import start_server

pytestmark = pytest.mark.slow


def test_two_workers_share_rate_limit_counters(tmp_path: Path) -> None:
    """demo-free allows 60 a minute: across two worker processes, exactly 60 of 75 get through."""
    server = start_server(tmp_path / "crm.db", "--workers", "2")
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            statuses = []
            for _ in range(75):
                # a new connection each time, so both workers take requests
                r = client.get("/v1/users/me", headers={"X-API-Key": "demo-free", "Connection": "close"})
                statuses.append(r.status_code)
                if r.status_code == 429:
                    body = r.json()["error"]
                    assert body["code"] == "rate_limit_exceeded" and body["retry_after"] > 0
                    assert r.headers["X-RateLimit-Remaining"] == "0"
            assert statuses.count(200) == 60
            assert statuses.count(429) == 15
            assert statuses[:60] == [200] * 60
    finally:
        server.stop()


def test_limits_can_be_overridden_per_key_and_switched_off(tmp_path: Path) -> None:
    server = start_server(tmp_path / "crm.db")
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            r = client.post(
                "/__admin/vendors/ultra/actions/set-key", json={"key": "tiny", "limits": {"perMinute": 3}}
            )
            assert r.status_code == 200
            codes = [client.get("/v1/users/me", headers={"X-API-Key": "tiny"}).status_code for _ in range(5)]
            assert codes == [200, 200, 200, 429, 429]
            client.post("/__admin/vendors/ultra/actions/set-key", json={"key": "tiny", "active": False})
            assert client.get("/v1/users/me", headers={"X-API-Key": "tiny"}).status_code == 401
    finally:
        server.stop()
    off = start_server(tmp_path / "off.db", env={"CRM_MOCK_RATE_LIMITS": "0"})
    try:
        with httpx.Client(base_url=off.url, timeout=10) as client:
            codes = {
                client.get("/v1/users/me", headers={"X-API-Key": "demo-free"}).status_code for _ in range(70)
            }
            assert codes == {200}
    finally:
        off.stop()


def raw_get(port: int, path: str) -> tuple[int | None, bytes, str | None]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path, headers={"X-API-Key": "demo-key"})
        response = conn.getresponse()
        try:
            return response.status, response.read(), None
        except (http.client.IncompleteRead, ConnectionError) as exc:
            return response.status, b"", type(exc).__name__
    except (http.client.HTTPException, ConnectionError) as exc:
        return None, b"", type(exc).__name__
    finally:
        conn.close()


def test_connection_level_faults(tmp_path: Path) -> None:
    server = start_server(tmp_path / "crm.db")
    try:

        def inject(kind: str) -> None:
            urllib.request.urlopen(urllib.request.Request(server.url + "/__admin/faults", method="DELETE"))
            req = urllib.request.Request(
                server.url + "/__admin/faults",
                method="POST",
                data=json.dumps({"path": "^/v1/users/me$", "fault": {"kind": kind}}).encode(),
                headers={"Content-Type": "application/json"},
            )
            assert urllib.request.urlopen(req).status == 201

        inject("malformed")
        status, body, err = raw_get(server.port, "/v1/users/me")
        assert status == 200 and err is None
        with pytest.raises(json.JSONDecodeError):
            json.loads(body)
        inject("empty")
        assert raw_get(server.port, "/v1/users/me") == (200, b"", None)
        inject("truncated")
        status, _, err = raw_get(server.port, "/v1/users/me")
        assert err == "IncompleteRead"
        inject("reset")
        status, _, err = raw_get(server.port, "/v1/users/me")
        assert err is not None
        # other paths are untouched, and the server keeps serving
        status, body, err = raw_get(server.port, "/v1/leads?limit=1")
        assert status == 200 and json.loads(body)["pagination"]["total"] == 300
    finally:
        server.stop()


def test_journal_helper_against_a_real_server(tmp_path: Path) -> None:
    server = start_server(tmp_path / "crm.db", "--latency", "fixed:1")
    try:
        journal = Journal(server.url)
        with httpx.Client(base_url=server.url, timeout=10) as client:
            client.post("/v1/leads", headers={"X-API-Key": "demo-key"}, json={"email": "helper@example.com"})
        entry = journal.assert_one(method="POST", path="/v1/leads", body={"email": "helper@example.com"})
        assert entry["status"] == 201
        journal.assert_none(method="DELETE")
        with pytest.raises(AssertionError, match="expected exactly 1"):
            journal.assert_one(method="GET")
        rules = httpx.get(server.url + "/__admin/faults").json()["rules"]
        assert rules[0]["latency"] == {"fixed": 1.0}
    finally:
        server.stop()
