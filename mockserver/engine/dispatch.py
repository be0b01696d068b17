"""The request path: an ASGI middleware in Connexion's stack, after its router.

Connexion routes the request (and serves Swagger UI); this middleware replaces Connexion's
per-operation security, validation and parameter decorators with a leaner path built from the
same spec: vendor authentication, compiled jsonschema-rs validation, the engine, and the vendor's
envelope. That path is what makes the mock several times faster than stock Connexion here.
"""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING, Any

import orjson
from connexion.middleware.abstract import ROUTING_CONTEXT, SpecMiddleware

from mockserver.engine import actions
from mockserver.engine.context import Reply, RequestContext
from mockserver.engine.errors import ApiError
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


async def send_reply(send: Any, reply: Reply) -> None:
    payload, headers = encode(reply)
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


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
        )
        try:
            if op.body is not None:  # read first: some vendors carry credentials in the body
                ctx.raw_body = await read_body(receive, headers, self.runtime.settings.max_body_bytes)
            ctx.principal = vendor.dialect.authenticate(ctx)
            vendor.dialect.before_request(ctx)
            ctx.query = parse_query(scope.get("query_string", b""))
            ctx.params = validate_params(op, ctx.path_params, ctx.query, headers)
            if op.body is not None:
                ctx.body = parse_body(op, headers.get("content-type", ""), ctx.raw_body)
            reply = await actions.run(ctx)
        except ApiError as err:
            reply = vendor.dialect.render_error(ctx, err, request_id)
        except Exception:  # a bug: log it, answer in the vendor's shape, keep serving
            log.exception("unhandled error in %s %s", scope["method"], scope["path"])
            err = ApiError("internal", "Internal server error")
            reply = vendor.dialect.render_error(ctx, err, request_id)
        vendor.dialect.decorate(ctx, reply)
        reply.headers.setdefault("X-Request-Id", request_id)
        await send_reply(send, reply)
