"""The request path: an ASGI middleware in Connexion's stack, after its router.

Connexion routes the request (and serves Swagger UI); this middleware replaces Connexion's
per-operation security, validation and parameter decorators with a leaner path built from the
same spec: vendor authentication, compiled jsonschema-rs validation, the engine, and the vendor's
envelope. That path is what makes the mock several times faster than stock Connexion here.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import orjson
from connexion.middleware.abstract import ROUTING_CONTEXT, SpecMiddleware

from mockserver.engine import actions
from mockserver.engine.context import Reply, RequestContext
from mockserver.engine.errors import KINDS, ApiError
from mockserver.engine.request import parse_body, parse_query, read_body, validate_params

if TYPE_CHECKING:
    from mockserver.runtime import Runtime

log = logging.getLogger("crm_mock")


def new_request_id() -> str:
    return "req_" + secrets.token_hex(8)


def encode(reply: Reply) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """Serialise a reply into body bytes and raw ASGI headers."""
    if reply.body is None:
        payload = b""
    elif isinstance(reply.body, bytes):
        payload = reply.body
    elif isinstance(reply.body, str):
        payload = reply.body.encode("utf-8")
    else:
        payload = orjson.dumps(reply.body)
    headers = [(b"content-length", str(len(payload)).encode())]
    if payload or reply.status not in (204, 304):
        headers.append((b"content-type", reply.media_type.encode()))
    headers += [(k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in reply.headers.items()]
    return payload, headers


def is_stream(body: Any) -> bool:
    """A reply body produced piece by piece (a generator of bytes), e.g. a large CSV export."""
    return isinstance(body, (Iterator, AsyncIterator))


async def send_stream(send: Any, reply: Reply, keep: int = 65536) -> bytes:
    """Send a streamed body in ``more_body`` chunks (no Content-Length); returns its first
    ``keep`` bytes for the journal. A failure mid-stream is logged and ends the body early:
    the status line has already gone out."""
    headers = [(b"content-type", reply.media_type.encode())]
    headers += [(k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in reply.headers.items()]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    head = bytearray()

    async def emit(chunk: bytes | str) -> None:
        data = chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)
        if data:
            if len(head) < keep:
                head.extend(data[: keep - len(head)])
            await send({"type": "http.response.body", "body": data, "more_body": True})

    try:
        if isinstance(reply.body, AsyncIterator):
            async for chunk in reply.body:
                await emit(chunk)
        else:
            for chunk in reply.body:
                await emit(chunk)
    except Exception:
        log.exception("streamed reply failed mid-body")
    await send({"type": "http.response.body", "body": b"", "more_body": False})
    return bytes(head)


async def send_reply(send: Any, reply: Reply) -> bytes:
    """Send the reply; returns the body bytes sent (for the journal)."""
    if is_stream(reply.body):
        return await send_stream(send, reply)
    payload, headers = encode(reply)
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
    return payload


class EngineMiddleware(SpecMiddleware):
    """Serves every spec operation, the admin API and the landing page."""

    def __init__(self, app: Any, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    def add_api(self, specification: Any, base_path: str | None = None, **kwargs: Any) -> None:
        """Operations come from the runtime's parsed specs; nothing to keep per Connexion API."""

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        routing = scope.get("extensions", {}).get(ROUTING_CONTEXT, {})
        entry = self.runtime.operation(routing.get("api_base_path"), routing.get("operation_id"))
        if entry is None:
            reply = await self.runtime.unrouted(scope, receive)
            await send_reply(send, reply)
            return
        vendor, op = entry
        started = time.perf_counter()
        self.runtime.store.refresh()
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        request_id = new_request_id()
        ctx = RequestContext(
            vendor=vendor,
            op=op,
            store=self.runtime.store,
            settings=self.runtime.settings,
            request_id=request_id,
            method=scope["method"],
            path=scope["path"],
            headers=headers,
            query={},
            path_params=scope.get("path_params", {}),
            now=self.runtime.clock.now(),
            query_string=scope.get("query_string", b"").decode("latin-1"),
        )
        decision = self.runtime.faults.decide(vendor.key, ctx.method, ctx.path, headers.get("prefer"))
        if decision.latency_ms:
            await asyncio.sleep(decision.latency_ms / 1000)
        if decision.fault and decision.fault["kind"] not in ("status", "unavailable"):
            status = await send_broken(send, decision.fault["kind"])
            self.runtime.record(ctx, status, {}, b"", started)
            return
        reply = await self._serve(ctx, scope, receive, decision.fault)
        vendor.dialect.decorate(ctx, reply)
        reply.headers.setdefault("X-Request-Id", request_id)
        payload = await send_reply(send, reply)
        self.runtime.record(ctx, reply.status, reply.headers, payload, started)

    async def _serve(self, ctx: RequestContext, scope: dict, receive: Any, fault: dict | None) -> Reply:
        """Authenticate, validate and run the operation; every refusal in the vendor's envelope."""
        vendor, op, headers = ctx.vendor, ctx.op, ctx.headers
        try:
            allowed = self.runtime.shadowed_methods(op, ctx.path)
            if allowed:  # a fixed path's undocumented method, routed to a parameterised twin
                raise ApiError(
                    "method_not_allowed",
                    f"Method {ctx.method} is not allowed for {ctx.path}",
                    headers={"Allow": ", ".join(allowed)},
                )
            if op.body is not None:  # read first: some vendors carry credentials in the body
                limit = op.extensions.get("x-mock-max-body-bytes", self.runtime.settings.max_body_bytes)
                ctx.raw_body = await read_body(receive, headers, int(limit))
            if fault is not None:  # injected before anything runs: state never changes
                raise injected_error(fault)
            ctx.principal = vendor.dialect.authenticate(ctx)
            vendor.dialect.before_request(ctx)
            ctx.query = parse_query(scope.get("query_string", b""))
            ctx.params = validate_params(op, ctx.path_params, ctx.query, headers)
            if op.body is not None:
                ctx.body = parse_body(op, headers.get("content-type", ""), ctx.raw_body)
            return await actions.run(ctx)
        except ApiError as err:
            return vendor.dialect.render_error(ctx, err, ctx.request_id)
        except Exception:  # a bug: log it, answer in the vendor's shape, keep serving
            log.exception("unhandled error in %s %s", ctx.method, ctx.path)
            err = ApiError("internal", "Internal server error")
            return vendor.dialect.render_error(ctx, err, ctx.request_id)


def injected_error(fault: dict[str, Any]) -> ApiError:
    if fault["kind"] == "unavailable":
        after = str(fault.get("retryAfter", 5))
        return ApiError("unavailable", "Service unavailable (injected fault)", headers={"Retry-After": after})
    status = int(fault["status"])
    kind = next((k for k, v in KINDS.items() if v == status), "internal" if status >= 500 else "bad_request")
    return ApiError(kind, f"Injected fault: HTTP {status}", status=status)


async def send_broken(send: Any, kind: str) -> int:
    """Answers a flaky network or server produces; returns the status the client saw (0: none)."""
    body = b'{"data": [{"id": "'
    if kind == "reset":  # headers, then the connection closes: the server drops it mid-answer
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"512")],
            }
        )
        return 0
    if kind == "truncated":  # a declared length the body never reaches
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"512")],
            }
        )
        await send({"type": "http.response.body", "body": body, "more_body": True})
        return 200
    payload = body if kind == "malformed" else b""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
    return 200
