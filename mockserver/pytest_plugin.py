"""pytest plugin (entry point ``pytest11``): a running crm-mock per test session, in a known state.

    def test_pipeline(crm_mock):                     # the scenario from --crm-mock-scenario
        r = crm_mock.client.get("/v1/leads", headers={"X-API-Key": "demo-key"})

    @pytest.mark.crm_mock(scenario="churn_risk")     # per test
    def test_churn(crm_mock): ...

The server is a real ``crm-mock serve`` process on a free port with its own data file. Each
scenario is loaded once and snapshotted; every test starts from that snapshot (a page copy, a few
ms for small states) with an empty request journal, so tests cannot see each other's writes.
``--crm-mock-url`` uses a server you started yourself instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

DEFAULT_SCENARIO = "empty"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("crm-mock")
    group.addoption(
        "--crm-mock-scenario", default=None, help=f"scenario for crm_mock (default {DEFAULT_SCENARIO})"
    )
    group.addoption("--crm-mock-url", default=None, help="use this running crm-mock instead of starting one")
    parser.addini("crm_mock_scenario", "scenario for the crm_mock fixture", default=DEFAULT_SCENARIO)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "crm_mock(scenario=NAME): the scenario this test starts from")


@dataclass
class CrmMock:
    """A running mock: its URL, an HTTP client on it, and admin helpers."""

    url: str
    client: httpx.Client
    scenario: str = ""
    _snapshots: dict[str, str] = field(default_factory=dict)

    def admin(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        response = self.client.request(method, "/__admin" + path, json=body)
        if response.status_code >= 400:
            raise AssertionError(f"crm-mock admin {method} {path}: {response.status_code} {response.text}")
        return response.json()

    def load(self, scenario: str, **options: Any) -> dict[str, Any]:
        """Replace the data with a shipped scenario (slow for big ones; ``use`` caches it)."""
        report = self.admin("POST", f"/scenarios/{scenario}", options or None)
        self.scenario = scenario
        return report

    def snapshot(self, snapshot_id: str | None = None) -> str:
        return self.admin("POST", "/snapshots", {"id": snapshot_id} if snapshot_id else None)["id"]

    def restore(self, snapshot_id: str) -> None:
        self.admin("POST", f"/snapshots/{snapshot_id}/restore")

    def use(self, scenario: str) -> None:
        """The scenario's state, from its snapshot when there is one: the fast reset."""
        sid = self._snapshots.get(scenario)
        if sid is None:
            self.load(scenario)
            self._snapshots[scenario] = self.snapshot(f"pytest-{scenario}")
        else:
            self.restore(sid)
            self.scenario = scenario

    @property
    def journal(self) -> Any:
        from mockserver.testing import Journal

        return Journal(client=self.client)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def crm_mock_server(request: pytest.FixtureRequest) -> Iterator[CrmMock]:
    """One mock per test session (per xdist worker)."""
    url = request.config.getoption("--crm-mock-url")
    if url:
        with httpx.Client(base_url=url, timeout=120) as client:
            yield CrmMock(url, client)
        return
    port = _free_port()
    folder = tempfile.mkdtemp(prefix="crm-mock-")
    cmd = [
        sys.executable,
        "-m",
        "mockserver.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--db",
        os.path.join(folder, "crm.db"),
        "--no-seed",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"crm-mock exited: {proc.stderr.read().decode() if proc.stderr else ''}")
            try:
                if httpx.get(base + "/__admin/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("crm-mock did not start in 60 s")
            time.sleep(0.1)
        with httpx.Client(base_url=base, timeout=120) as client:
            yield CrmMock(base, client)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def crm_mock(crm_mock_server: CrmMock, request: pytest.FixtureRequest) -> CrmMock:
    """The mock in the chosen scenario's state, fresh for this test."""
    marker = request.node.get_closest_marker("crm_mock")
    scenario = (
        (marker.kwargs.get("scenario") if marker else None)
        or request.config.getoption("--crm-mock-scenario")
        or request.config.getini("crm_mock_scenario")
        or DEFAULT_SCENARIO
    )
    crm_mock_server.use(scenario)
    crm_mock_server.admin("DELETE", "/requests")  # the journal lives beside the data: empty it too
    return crm_mock_server
