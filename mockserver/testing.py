"""Helpers for test suites that run against crm-mock: one-line assertions on what was sent.

journal = Journal("http://127.0.0.1:8000")
journal.assert_one(method="POST", path="/v1/leads", body={"email": "a@b.co"})
"""

from __future__ import annotations

from typing import Any

import httpx


class Journal:
    """The mock's request journal over its admin API."""

    def __init__(self, base_url: str | None = None, client: Any = None) -> None:
        if client is None and base_url is None:
            raise ValueError("give a base_url or an HTTP client (httpx or starlette TestClient)")
        self._client = client or httpx.Client(base_url=base_url, timeout=10)

    def _post(self, path: str, matcher: dict[str, Any]) -> dict[str, Any]:
        response = self._client.post(path, json=matcher)
        if response.status_code != 200:
            raise AssertionError(f"journal query refused ({response.status_code}): {response.text}")
        return response.json()

    def count(self, **matcher: Any) -> int:
        """Requests matching: method, path, pathPattern, status, vendor, query, headers, body."""
        return int(self._post("/__admin/requests/count", matcher)["count"])

    def find(self, **matcher: Any) -> list[dict[str, Any]]:
        return list(self._post("/__admin/requests/find", matcher)["requests"])

    def assert_count(self, expected: int, **matcher: Any) -> None:
        got = self.count(**matcher)
        if got != expected:
            raise AssertionError(f"expected {expected} request(s) matching {matcher}, journal has {got}")

    def assert_one(self, **matcher: Any) -> dict[str, Any]:
        """Exactly one request matched; returns it."""
        found = self.find(**matcher)
        if len(found) != 1:
            raise AssertionError(f"expected exactly 1 request matching {matcher}, journal has {len(found)}")
        return found[0]

    def assert_none(self, **matcher: Any) -> None:
        self.assert_count(0, **matcher)

    def clear(self) -> None:
        self._client.delete("/__admin/requests")
