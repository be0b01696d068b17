"""Proof that the contract run catches real breakage: deliberately broken variants of the CRM-Ultra
mock (mutants), each an ASGI wrapper around the in-process app that breaks one thing. The run must
fail on every mutant and name the check that should catch it; the unbroken mock must pass.

Runs are scoped to the lead operations (``/leads`` and ``/leads/{lead_id}``) with few examples, so
the whole suite stays in CI; ``bench/contract_bench.py --mutants`` records kill rate and time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from contract_tests.runner import RunResult, RunSettings, run_contract
from mockserver.app import create_app
from mockserver.settings import Settings

pytestmark = pytest.mark.slow

OPERATIONS = r"^(GET|POST|PUT|DELETE) /leads(/\{lead_id\})?$"
LEAD = re.compile(r"^/v1/leads/(lead_[^/]+)$")


@dataclass
class Exchange:
    """One request and its (mutable) answer, as the mutant sees them."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    status: int = 0
    response_headers: list[tuple[bytes, bytes]] | None = None
    body: bytes = b""

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    def set_json(self, value: Any) -> None:
        self.body = json.dumps(value).encode()
        self.response_headers = [
            (k, v) for k, v in self.response_headers or [] if k.lower() != b"content-length"
        ]
        self.response_headers.append((b"content-length", str(len(self.body)).encode()))

    def set_header(self, name: str, value: str | None) -> None:
        kept = [(k, v) for k, v in self.response_headers or [] if k.lower() != name.lower().encode()]
        if value is not None:
            kept.append((name.lower().encode(), value.encode()))
        self.response_headers = kept


class Mutant:
    """An ASGI app: ``before`` may rewrite the request or answer it alone; ``after`` edits the answer."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.runtime = app.runtime
        self.created: set[str] = set()

    def before(self, ex: Exchange, scope: dict) -> bool:
        """Return True when ``ex`` was answered here (the app is not called)."""
        return False

    def after(self, ex: Exchange) -> None:
        pass

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        ex = Exchange(scope["method"], scope["path"], scope.get("query_string", b"").decode(), headers)
        scope = dict(scope)
        if not self.before(ex, scope):
            chunks: list[bytes] = []

            async def capture(message: dict) -> None:
                if message["type"] == "http.response.start":
                    ex.status = message["status"]
                    ex.response_headers = list(message.get("headers", []))
                elif message["type"] == "http.response.body":
                    chunks.append(message.get("body", b""))

            await self.app(scope, receive, capture)
            ex.body = b"".join(chunks)
            if ex.method == "POST" and ex.path == "/v1/leads" and ex.status == 201:
                self.created.add(str((ex.json() or {}).get("id")))
            self.after(ex)
        await send({"type": "http.response.start", "status": ex.status, "headers": ex.response_headers or []})
        await send({"type": "http.response.body", "body": ex.body})


def _lead_get(ex: Exchange) -> bool:
    return ex.method == "GET" and bool(LEAD.match(ex.path)) and ex.status == 200


class WrongType(Mutant):
    def after(self, ex: Exchange) -> None:
        if _lead_get(ex):
            ex.set_json({**ex.json(), "score": "high"})


class MissingField(Mutant):
    def after(self, ex: Exchange) -> None:
        if _lead_get(ex):
            ex.set_json({k: v for k, v in ex.json().items() if k != "status"})


class WrongStatus(Mutant):
    def after(self, ex: Exchange) -> None:
        if ex.method == "POST" and ex.path == "/v1/leads" and ex.status == 201:
            ex.status = 202


class WrongEnvelope(Mutant):
    def after(self, ex: Exchange) -> None:
        if ex.path.startswith("/v1/") and 400 <= ex.status < 500:
            ex.set_json({"message": "something went wrong"})


class LostWrite(Mutant):
    """Creates answer 201 but the record never shows up again."""

    def after(self, ex: Exchange) -> None:
        match = LEAD.match(ex.path)
        if ex.method == "GET" and match and match.group(1) in self.created:
            ex.status = 404
            ex.set_json(
                {
                    "error": {
                        "code": "resource_not_found",
                        "message": "Lead not found",
                        "details": None,
                        "request_id": "req_mutant",
                    }
                }
            )


class PaginationOffByOne(Mutant):
    def before(self, ex: Exchange, scope: dict) -> bool:
        if ex.method == "GET" and ex.path == "/v1/leads":
            query = re.sub(
                r"(^|&)page=(\d+)", lambda m: f"{m.group(1)}page={max(1, int(m.group(2)) - 1)}", ex.query
            )
            scope["query_string"] = query.encode()
        return False


class AuthIgnored(Mutant):
    def before(self, ex: Exchange, scope: dict) -> bool:
        if "x-api-key" not in ex.headers and "authorization" not in ex.headers:
            scope["headers"] = [*scope.get("headers", []), (b"x-api-key", b"demo-key")]
        return False


class ServerError(Mutant):
    def before(self, ex: Exchange, scope: dict) -> bool:
        if ex.method == "GET" and ex.path == "/v1/leads" and "search=" in ex.query:
            ex.status, ex.response_headers = 500, [(b"content-type", b"application/json")]
            ex.set_json(
                {"error": {"code": "internal_error", "message": "boom", "details": None, "request_id": "r"}}
            )
            return True
        return False


class WrongContentType(Mutant):
    def after(self, ex: Exchange) -> None:
        if _lead_get(ex):
            ex.set_header("content-type", "text/plain")


class DeletedStillReadable(Mutant):
    """DELETE answers as documented but the record stays."""

    def before(self, ex: Exchange, scope: dict) -> bool:
        match = LEAD.match(ex.path)
        if ex.method == "DELETE" and match and "x-api-key" in ex.headers:
            ex.status, ex.response_headers = 200, [(b"content-type", b"application/json")]
            ex.set_json({"id": match.group(1), "deleted": True, "deletedAt": "2024-01-16T10:30:00Z"})
            return True
        return False


class NoRateLimitHeaders(Mutant):
    def after(self, ex: Exchange) -> None:
        if ex.path.startswith("/v1/") and ex.method == "GET":
            ex.set_header("x-ratelimit-remaining", None)


class BadDate(Mutant):
    def after(self, ex: Exchange) -> None:
        if _lead_get(ex):
            ex.set_json({**ex.json(), "lastActivity": "16/01/2024 10:30"})


MUTANTS: dict[str, tuple[Callable[[Any], Mutant], str]] = {
    "field_wrong_type": (WrongType, "response_schema_conformance"),
    "required_field_missing": (MissingField, "response_schema_conformance"),
    "wrong_status_code": (WrongStatus, "status_code_conformance"),
    "wrong_error_envelope": (WrongEnvelope, "error_envelope"),
    "lost_write": (LostWrite, "write_then_read"),
    "pagination_off_by_one": (PaginationOffByOne, "pagination_consistency"),
    "auth_ignored": (AuthIgnored, "credentials_required"),
    "server_error_on_input": (ServerError, "not_a_server_error"),
    "wrong_content_type": (WrongContentType, "content_type_conformance"),
    "deleted_record_readable": (DeletedStillReadable, "delete_then_get"),
    "rate_limit_headers_missing": (NoRateLimitHeaders, "rate_limit_headers"),
    "date_in_wrong_format": (BadDate, "date_format"),
}

_APP: dict[str, Any] = {}


def _app() -> Any:
    if "app" not in _APP:
        _APP["app"] = create_app(Settings(db=":memory:", seed=42, vendors=("ultra",)))
    return _APP["app"]


def run_against(wrapper: Callable[[Any], Any] | None, **overrides: Any) -> RunResult:
    """A contract run over the lead operations against ``wrapper(app)`` (or the plain app)."""
    app = _app()
    target = wrapper(app) if wrapper else app
    settings = RunSettings(
        vendor="ultra",
        target="mock",
        app=target,
        reset=app.runtime.reset,
        operations=OPERATIONS,
        max_examples=3,
        stateful_steps=4,
        **overrides,
    )
    return run_contract(settings)


def test_unbroken_mock_passes() -> None:
    result = run_against(None)
    assert result.ok, [(f.check, f.operation, f.message[:200]) for f in result.failures]


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_mutant_is_killed(name: str) -> None:
    wrapper, check = MUTANTS[name]
    result = run_against(wrapper)
    assert not result.ok, f"mutant {name} survived"
    assert check in result.failed_checks(), f"{name}: expected {check}, got {sorted(result.failed_checks())}"
    failure = next(f for f in result.failures if f.check == check)
    assert failure.curl.startswith("curl ") and failure.seed == result.seed
