"""APRO across real processes: the 200 requests/hour per key hold across two uvicorn workers."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from mockserver.vendors.apro.seed import DEMO_KEY, LIMITED_KEY
from tests.server_process import start_server

pytestmark = pytest.mark.slow


def test_two_workers_share_the_200_per_hour_limit(tmp_path: Path) -> None:
    server = start_server(tmp_path / "crm.db", "--vendor", "apro", "--workers", "2")
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            answers = []
            for _ in range(215):
                # a new connection each time, so both workers take requests
                r = client.post(
                    "/sharedapi/managergroup", json={"apikey": LIMITED_KEY}, headers={"Connection": "close"}
                )
                assert r.status_code == 200
                answers.append(r.json()["status"])
            assert answers[:200] == ["success"] * 200
            r = client.post("/sharedapi/managergroup", json={"apikey": LIMITED_KEY})
            assert answers[200:] == ["fail"] * 15 and r.json() == {
                "status": "fail",
                "message": "LIMIT_EXCEEDED",
            }
            r = client.post("/sharedapi/managergroup", json={"apikey": DEMO_KEY})
            assert r.json()["status"] == "success"  # other keys keep their own allowance
    finally:
        server.stop()
