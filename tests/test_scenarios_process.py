"""Scenarios with real processes: ``serve --scenario`` and the ``crm_mock`` pytest fixture as
another project would use it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.server_process import start_server

pytestmark = pytest.mark.slow
AUTH = {"X-API-Key": "demo-key"}


def test_serve_scenario_starts_from_it_and_resets_to_it(tmp_path: Path) -> None:
    server = start_server(tmp_path / "crm.db", "--scenario", "churn_risk", "--vendor", "ultra")
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            total = client.get("/v1/leads?limit=1", headers=AUTH).json()["pagination"]["total"]
            assert total == 602
            client.post("/v1/leads", json={"email": "x@y.io"}, headers=AUTH)
            assert client.post("/__admin/reset").status_code == 200
            assert client.get("/v1/leads?limit=1", headers=AUTH).json()["pagination"]["total"] == 602
            assert client.get("/__admin/scenarios").json()["active"] == "churn_risk"
    finally:
        server.stop()


PLUGIN_USER = '''
import pytest

AUTH = {"X-API-Key": "demo-key"}

def test_writes_here(crm_mock):
    assert crm_mock.client.get("/v1/leads?limit=1", headers=AUTH).json()["pagination"]["total"] == 0
    crm_mock.client.post("/v1/leads", json={"email": "a@b.io"}, headers=AUTH)

def test_do_not_leak(crm_mock):
    assert crm_mock.client.get("/v1/leads?limit=1", headers=AUTH).json()["pagination"]["total"] == 0

@pytest.mark.crm_mock(scenario="churn_risk")
def test_marker_picks_the_scenario(crm_mock):
    assert crm_mock.client.get("/v1/leads?limit=1", headers=AUTH).json()["pagination"]["total"] == 602
    crm_mock.journal.assert_count(1, method="GET", path="/v1/leads")
'''


def test_crm_mock_fixture_from_another_project(tmp_path: Path) -> None:
    (tmp_path / "test_other.py").write_text(PLUGIN_USER, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", str(tmp_path)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
