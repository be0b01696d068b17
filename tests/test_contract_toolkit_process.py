"""Safe mode against a real ``crm-mock serve`` process: the run reads, creates tagged records and
deletes only those; the journal shows no PUT/PATCH and no DELETE of a seeded record, and the
seeded records read back exactly as before."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from contract_tests.profile import Credentials
from contract_tests.runner import RunSettings, run_contract
from mockserver.testing import Journal
from tests.server_process import start_server

pytestmark = pytest.mark.slow
AUTH = {"X-API-Key": "demo-key"}


def _all_leads(client: httpx.Client, base: str) -> dict[str, dict]:
    out: dict[str, dict] = {}
    page = 1
    while True:
        body = client.get(f"{base}/v1/leads", params={"page": page, "limit": 100}, headers=AUTH).json()
        out.update({lead["id"]: lead for lead in body["data"]})
        if not body["pagination"]["hasNext"]:
            return out
        page += 1


def test_safe_mode_touches_only_its_own_records(tmp_path: Path) -> None:
    server = start_server(tmp_path / "crm.db", "--vendor", "ultra")
    try:
        client = httpx.Client(timeout=30)
        before = _all_leads(client, server.url)
        hooks_before = client.get(f"{server.url}/v1/webhooks", headers=AUTH).json()
        journal = Journal(server.url)
        journal.clear()
        result = run_contract(
            RunSettings(
                vendor="ultra",
                base_url=f"{server.url}/v1",
                credentials=Credentials(api_key="demo-key"),
                max_examples=2,
                stateful_steps=3,
                rate_limit="100000/m",
            )
        )
        assert result.mode == "safe"
        assert not any(op.startswith(("PUT ", "PATCH ", "DELETE ")) for op in result.operations)
        assert result.created, "safe mode should still create (tagged) records"
        assert result.cleaned == len([c for c in result.created]) or result.cleaned >= 1
        assert journal.count(method="PUT") == 0
        assert journal.count(method="PATCH") == 0
        deletes = journal.find(method="DELETE")
        assert deletes, "the run deletes what it created"
        for request in deletes:
            ident = request["path"].rstrip("/").rsplit("/", 1)[-1]
            assert ident not in before, f"deleted a seeded record: {request['path']}"
        after = _all_leads(client, server.url)
        assert after == before, "seeded leads changed (or created ones were left behind)"
        assert client.get(f"{server.url}/v1/webhooks", headers=AUTH).json() == hooks_before
        assert "demo-key" not in repr(result.failures) + repr(result.errors)
    finally:
        server.stop()
