"""Integration: the real CLI, a real uvicorn process on loopback, real kills and restarts."""

from __future__ import annotations

import json
import signal
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.server_process import start_server

pytestmark = pytest.mark.slow
AUTH = {"X-API-Key": "demo-key"}


def call(
    url: str, method: str = "GET", body: Any = None, headers: dict | None = None
) -> tuple[int, Any, dict]:
    data = json.dumps(body).encode() if body is not None else None
    hdrs = {**AUTH, **(headers or {})}
    if data is not None:
        hdrs["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            raw = r.read()
            return r.status, raw, dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def new_lead(base: str, email: str) -> str:
    status, raw, _ = call(base + "/v1/leads", "POST", {"email": email, "source": "website"})
    assert status == 201, raw
    return json.loads(raw)["id"]


def test_write_survives_kill_9_and_restart(tmp_path: Path) -> None:
    """A 2xx write is durable: SIGKILL the server right after, start again, the lead is there."""
    db = tmp_path / "crm.db"
    server = start_server(db)
    try:
        lead_id = new_lead(server.url, "durable@example.com")
        status, raw, _ = call(server.url + f"/v1/leads/{lead_id}", "PUT", {"status": "qualified"})
        assert status == 200, raw
    finally:
        server.stop(signal.SIGKILL)
    assert server.proc.returncode == -signal.SIGKILL
    again = start_server(db)
    try:
        status, raw, _ = call(again.url + f"/v1/leads/{lead_id}")
        assert status == 200
        lead = json.loads(raw)
        assert lead["email"] == "durable@example.com"
        assert lead["status"] == "qualified"
        # restarting does not seed over existing data: the seeded leads plus ours
        _, raw, _ = call(again.url + "/v1/leads?limit=1")
        assert json.loads(raw)["pagination"]["total"] == 301
    finally:
        again.stop()


def test_workers_share_state(tmp_path: Path) -> None:
    """Two uvicorn workers: every write is visible to whichever worker serves the next read."""
    server = start_server(tmp_path / "crm.db", "--workers", "2")
    try:
        ids = [new_lead(server.url, f"w{i}@example.com") for i in range(10)]
        for lead_id in ids * 3:
            status, _, _ = call(server.url + f"/v1/leads/{lead_id}")
            assert status == 200
        _, raw, _ = call(server.url + "/v1/leads?limit=1&search=example.com")
        total = json.loads(raw)["pagination"]["total"]
        assert total >= 10
    finally:
        server.stop()


def test_landing_docs_admin_and_reset(tmp_path: Path) -> None:
    server = start_server(tmp_path / "crm.db")
    try:
        status, raw, headers = call(server.url + "/", headers={"Accept": "text/html"})
        assert status == 200 and "text/html" in headers["content-type"]
        page = raw.decode()
        for needle in ("/v1", "/oauth", "demo-key", "/__admin/reset", "/v1/ui/"):
            assert needle in page
        status, raw, _ = call(server.url + "/v1/ui/")
        assert status == 200 and b"swagger" in raw.lower()
        status, raw, _ = call(server.url + "/v1/openapi.json")
        assert status == 200 and "/leads" in json.loads(raw)["paths"]
        lead_id = new_lead(server.url, "gone-after-reset@example.com")
        status, _, _ = call(server.url + "/__admin/reset", "POST")
        assert status == 200
        status, raw, _ = call(server.url + f"/v1/leads/{lead_id}")
        assert status == 404 and json.loads(raw)["error"]["code"] == "resource_not_found"
        status, raw, _ = call(server.url + "/__admin/health")
        assert json.loads(raw)["records"]["ultra"]["leads"] == 300
    finally:
        server.stop()


def test_same_seed_same_data(tmp_path: Path) -> None:
    """Two fresh data files with one seed hold byte-identical seeded leads."""
    pages = []
    for name in ("a.db", "b.db"):
        server = start_server(tmp_path / name, "--seed", "7")
        try:
            _, raw, _ = call(server.url + "/v1/leads?limit=100&sortBy=score&sortOrder=asc")
            pages.append(raw)
        finally:
            server.stop()
    assert pages[0] == pages[1]
    assert json.loads(pages[0])["pagination"]["total"] == 300
