"""The request journal stays within its bound under 100k requests: rows, memory and file size."""

from __future__ import annotations

import os
import resource
from pathlib import Path

from mockserver.sim.journal import Entry, Journal
from mockserver.store import DocumentStore


def test_journal_holds_its_bound_over_100k_entries(tmp_path: Path) -> None:
    store = DocumentStore(str(tmp_path / "crm.db"))
    journal = Journal(store, size=1000)
    body = '{"email": "bound@example.com", "apikey": "secret-value"}'
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for n in range(100_000):
        journal.record(
            Entry(
                at=f"2024-01-16T10:{n % 60:02d}:00Z", vendor="ultra", method="POST", path="/v1/leads",
                query=f"n={n}", status=201, duration_ms=0.4, request_headers={"x-api-key": "demo-key"},
                request_body=body, response_headers={"content-type": "application/json"},
                response_body='{"id": "lead_1"}',
            )
        )
        if n == 50_000:
            size_midway = os.path.getsize(tmp_path / "crm.db.journal")
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert journal.count([], []) == 1000
    newest = journal.query([], [], limit=1)[0]
    assert newest["query"] == "n=99999" and newest["request_headers"]["x-api-key"] == "***"
    oldest = journal.query([], [])[-1]
    assert oldest["query"] == "n=99000"
    # the file reuses freed pages: no growth in the second half of the run
    assert os.path.getsize(tmp_path / "crm.db.journal") <= size_midway * 1.1
    assert grown_kib < 50 * 1024  # buffered rows are flushed: memory does not follow the request count
    store.close()
