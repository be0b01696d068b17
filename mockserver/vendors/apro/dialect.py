"""How APRO speaks: the 32-character ``apikey`` inside the POST body (JSON, or the PHP library's
``http_build_query`` form), ``{"status": "success", "data": ...}`` answers, and
``{"status": "fail", "message": CODE}`` refusals.

The document never mentions HTTP status codes: an answer's outcome is its ``status`` field, and
its PHP library reads the JSON without looking at the HTTP status. So every API-level refusal
(ACCESS_DENY, LIMIT_EXCEEDED, BAD_REQUEST, BAD_PARAMS) is HTTP 200; only transport-level trouble
keeps its HTTP status (405 wrong method, 413 body too large), still in the fail envelope.
"""

from __future__ import annotations

import email.parser
import email.policy
from datetime import datetime
from typing import Any, ClassVar

import orjson

from mockserver.engine.context import Principal, Reply, RequestContext
from mockserver.engine.errors import ApiError
from mockserver.engine.schema import error_location, short_message
from mockserver.sim import ratelimit
from mockserver.sim.webhooks import Delivery
from mockserver.vendors.apro import phpform
from mockserver.vendors.base import Dialect

ARRAY_LIMIT = 1000
CODES = {
    "unauthorized": "ACCESS_DENY",
    "forbidden": "ACCESS_DENY",
    "rate_limited": "LIMIT_EXCEEDED",
    "not_found": "BAD_REQUEST",
    "method_not_allowed": "BAD_REQUEST",
    "internal": "BAD_REQUEST",
    "unavailable": "BAD_REQUEST",
}
HTTP_STATUS = {"method_not_allowed": 405, "payload_too_large": 413, "internal": 500, "unavailable": 503}
WRITES = ("_insert", "_update", "_delete", "_add", "_edit", "_set_pay", "_import", "_importall", "_upload")


def media_type(ctx: RequestContext) -> str:
    return ctx.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def decode_body(ctx: RequestContext) -> dict[str, Any]:
    """The request body as a dict, from JSON, a PHP form or multipart (file uploads)."""
    raw = ctx.raw_body
    media = media_type(ctx)
    if not raw.strip():
        return {}
    try:
        if media == "application/x-www-form-urlencoded":
            value: Any = phpform.decode(raw)
        elif media == "multipart/form-data":
            value = decode_multipart(ctx.headers.get("content-type", ""), raw)
        else:
            value = orjson.loads(raw)
    except (orjson.JSONDecodeError, phpform.FormError, ValueError) as exc:
        raise ApiError("validation", "Request body cannot be decoded", {"body": str(exc)[:200]}) from exc
    if not isinstance(value, dict):
        raise ApiError("validation", "Request body must be an object {apikey, params}")
    return value


def decode_multipart(content_type: str, raw: bytes) -> dict[str, Any]:
    """Form fields (PHP bracket names) plus ``_files``: [(field, filename, content type, bytes)]."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw
    )
    if not message.is_multipart():
        raise ValueError("not a multipart body")
    pairs: list[tuple[str, str]] = []
    files: list[tuple[str, str, str, bytes]] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            files.append((str(name), filename, part.get_content_type(), payload))
        else:
            pairs.append((str(name), payload.decode("utf-8")))
    out = phpform.decode_pairs(pairs)
    out["_files"] = files
    return out


def body_of(ctx: RequestContext) -> dict[str, Any]:
    if ctx.principal is not None and "body" in ctx.principal.extra:
        return ctx.principal.extra["body"]
    body = decode_body(ctx)
    if ctx.principal is not None:
        ctx.principal.extra["body"] = body
    return body


def params_of(ctx: RequestContext) -> Any:
    """``params`` of the call, checked against the call's JSON schema whatever the encoding."""
    body = body_of(ctx)
    if media_type(ctx) != "application/json" and ctx.op.body is not None:
        validator = ctx.op.body.media_types.get("application/json")
        plain = {k: v for k, v in body.items() if k != "_files"}
        if validator is not None:
            problems = {}
            for error in validator.iter_errors(plain):
                problems.setdefault(error_location(error), short_message(error))
                if len(problems) >= 20:
                    break
            if problems:
                raise ApiError("validation", "Request parameters are invalid", problems)
    params = body.get("params", {})
    return {} if params in ([], None, "") else params


def count_array_elements(value: Any) -> int:
    """Array elements in a request, the enclosed ones included."""
    if isinstance(value, list):
        return len(value) + sum(count_array_elements(v) for v in value)
    if isinstance(value, dict):
        return sum(count_array_elements(v) for v in value.values())
    return 0


class AproDialect(Dialect):
    private_collections: ClassVar[dict[str, tuple]] = {"api_keys": (), "webhooks": ()}

    def webhook_deliveries(self, ctx: RequestContext, event: str, data: Any) -> list[Delivery]:
        """The document's webhook payload to each subscription ``webhooks.notify`` picked."""
        from mockserver.vendors.apro import webhooks

        return webhooks.deliveries(ctx, data)

    def authenticate(self, ctx: RequestContext) -> Principal | None:
        if not ctx.op.mount.endswith("/sharedapi"):
            return None  # online forms, files and the SMS gateway check their own way
        body = decode_body(ctx)
        key = body.get("apikey")
        record = ctx.store.get(ctx.coll("api_keys"), key) if isinstance(key, str) and len(key) == 32 else None
        if record is None or not record.get("active", True):
            raise ApiError("unauthorized", "apikey is missing or unknown")
        section = ctx.op.path.strip("/").split("/")[0]
        allowed = record.get("objects", "*")
        if allowed != "*" and section not in allowed:
            raise ApiError("forbidden", f"the key has no access to {section}")
        if (ctx.op.handler or "").endswith(WRITES) and not record.get("write", True):
            raise ApiError("forbidden", "the key may only read")
        return Principal(user_id=record.get("user_id"), credential=key, extra={"body": body, "key": record})

    def before_request(self, ctx: RequestContext) -> None:
        principal = ctx.principal
        if principal is None:
            return
        if ctx.settings.rate_limits:
            per_hour = principal.extra["key"].get("per_hour", 200)
            state = ratelimit.hit(
                ctx.store,
                "apro:" + principal.credential,
                [ratelimit.Window(3600, per_hour)],
                ctx.now.timestamp(),  # type: ignore[union-attr]
            )
            if state.exceeded:
                raise ApiError("rate_limited", f"more than {per_hour} requests this hour")
        elements = count_array_elements(principal.extra["body"].get("params"))
        if elements > ARRAY_LIMIT:
            raise ApiError(
                "validation", f"{elements} array elements in one request; the limit is {ARRAY_LIMIT}"
            )

    def render_error(self, ctx: RequestContext | None, err: ApiError, request_id: str) -> Reply:
        mount = ctx.op.mount if ctx is not None else ""
        path = ctx.op.path if ctx is not None else ""
        if mount.endswith("/sms") and path == "/gateway":
            if err.extra.get("repeat"):
                return Reply(200, {"success": False, "repeat": True})
            return Reply(200, {"success": False, "repeat": False, "error": err.message})
        if mount.endswith("/sms"):
            return Reply(200, {"success": False, "data": err.message})
        if "/files/" in mount + "/" and err.kind not in HTTP_STATUS:  # a file that is not there
            return Reply(404, {"status": "fail", "message": "BAD_REQUEST"})
        code = CODES.get(err.kind, "BAD_PARAMS")
        return Reply(HTTP_STATUS.get(err.kind, 200), {"status": "fail", "message": code}, dict(err.headers))

    def timestamp(self, moment: datetime) -> Any:
        return moment.strftime("%Y-%m-%d %H:%M:%S")
