"""How CRM-Ultra speaks: X-API-Key or OAuth2 Bearer, ``{"error": {...}}`` errors,
``{data, pagination}`` lists, ISO 8601 timestamps and ``X-RateLimit-*`` headers on every answer."""

from __future__ import annotations

import hashlib
import hmac
import math
from datetime import datetime
from typing import Any, ClassVar

import orjson

from mockserver.engine.context import Principal, Reply, RequestContext
from mockserver.engine.errors import ApiError
from mockserver.sim import ratelimit
from mockserver.sim.clock import Clock
from mockserver.sim.webhooks import Delivery
from mockserver.vendors.base import Dialect

# The document's tiers: requests per minute and per hour (None: unlimited).
TIERS: dict[str, tuple[int, int | None]] = {
    "free": (60, 1_000),
    "basic": (300, 10_000),
    "professional": (1_000, 50_000),
    "enterprise": (5_000, None),
}

ERROR_CODES = {
    "bad_request": "bad_request",
    "unauthorized": "invalid_api_key",
    "forbidden": "insufficient_permissions",
    "not_found": "resource_not_found",
    "method_not_allowed": "method_not_allowed",
    "conflict": "conflict",
    "payload_too_large": "payload_too_large",
    "unsupported_media_type": "unsupported_media_type",
    "validation": "validation_error",
    "too_early": "bad_request",
    "rate_limited": "rate_limit_exceeded",
    "internal": "internal_error",
    "unavailable": "internal_error",
}

OAUTH_ERRORS = {
    "unauthorized": "invalid_client",
    "forbidden": "unauthorized_client",
    "conflict": "invalid_grant",
}


class UltraDialect(Dialect):
    private_collections: ClassVar[dict[str, tuple]] = {
        "api_keys": (),
        "oauth_clients": (),
        "oauth_codes": (),
        "oauth_tokens": (),
    }

    def authenticate(self, ctx: RequestContext) -> Principal | None:
        if not ctx.op.security:
            return None
        key = ctx.headers.get("x-api-key")
        if key is not None:
            record = ctx.store.get(ctx.coll("api_keys"), key)
            if record is None or not record.get("active", True):
                raise ApiError("unauthorized", "API key is invalid or expired")
            return Principal(
                user_id=record["userId"],
                credential=key,
                extra={"tier": record.get("tier", "free"), "limits": record.get("limits")},
            )
        auth = ctx.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            principal = self._bearer(ctx, token.strip())
            return principal
        raise ApiError("unauthorized", "Missing credentials: send X-API-Key or Authorization: Bearer <token>")

    def _bearer(self, ctx: RequestContext, token: str) -> Principal:
        record = ctx.store.get(ctx.coll("oauth_tokens"), token)
        now = ctx.now or Clock().now()
        if (
            record is None
            or record.get("kind") != "access"
            or record.get("revoked")
            or Clock.parse(record["expiresAt"]) <= now
        ):
            raise ApiError("unauthorized", "Access token is invalid or expired")
        client = ctx.store.get(ctx.coll("oauth_clients"), record["clientId"]) or {}
        return Principal(
            user_id=record["userId"],
            credential="token:" + record["clientId"],
            scopes=frozenset(record.get("scopes", [])),
            extra={"tier": client.get("tier", "professional"), "limits": client.get("limits")},
        )

    @staticmethod
    def _check_scopes(ctx: RequestContext, principal: Principal) -> None:
        needed = [set(req.get("OAuth2", [])) for req in ctx.op.security if "OAuth2" in req]
        if needed and not any(scopes <= principal.scopes for scopes in needed):
            wanted = " or ".join(" ".join(sorted(s)) for s in needed)
            raise ApiError(
                "forbidden",
                f"Token scope does not allow this operation (needs {wanted})",
                {"scope": " ".join(sorted(principal.scopes))},
            )

    def before_request(self, ctx: RequestContext) -> None:
        """Count the request against the caller's tier, then check token scopes: a refused
        request still counts and still reports the caller's own allowance."""
        self._count(ctx)
        if ctx.principal is not None and ctx.principal.credential.startswith("token:"):
            self._check_scopes(ctx, ctx.principal)

    def _count(self, ctx: RequestContext) -> None:
        principal = ctx.principal
        if principal is None or not ctx.settings.rate_limits:
            return
        tier = principal.extra.get("tier", "free")
        per_minute, per_hour = TIERS.get(tier, TIERS["free"])
        override = principal.extra.get("limits") or {}
        per_minute = override.get("perMinute", per_minute)
        per_hour = override.get("perHour", per_hour)
        windows = [ratelimit.Window(60, per_minute), ratelimit.Window(3600, per_hour)]
        state = ratelimit.hit(
            ctx.store, principal.credential, windows, (ctx.now or Clock().now()).timestamp()
        )
        ctx.response_headers.update(
            {
                "X-RateLimit-Limit": str(state.limit),
                "X-RateLimit-Remaining": str(state.remaining),
                "X-RateLimit-Reset": str(state.reset),
                "X-RateLimit-Retry-After": str(state.retry_after),
            }
        )
        if state.exceeded:
            raise ApiError(
                "rate_limited",
                f"API rate limit exceeded. Try again in {state.retry_after} seconds.",
                headers={"Retry-After": str(state.retry_after)},
                extra={"retry_after": state.retry_after},
            )

    def decorate(self, ctx: RequestContext, reply: Reply) -> None:
        if ctx.op.security:
            for name, value in ctx.response_headers.items():
                reply.headers.setdefault(name, value)
            if "X-RateLimit-Limit" not in reply.headers:
                # refused before counting (no or bad credentials): the anonymous allowance
                self._anonymous_limits(reply, ctx.now)

    def decorate_unmatched(self, mount: str, reply: Reply, now: datetime) -> None:
        """Every /v1 answer carries the rate-limit headers, unknown paths and 405s too."""
        if not mount.endswith("/oauth"):
            self._anonymous_limits(reply, now)

    @staticmethod
    def _anonymous_limits(reply: Reply, now: datetime | None) -> None:
        """The allowance of a request that was not counted (no, bad or unchecked credentials)."""
        per_minute = TIERS["free"][0]
        reset = (int((now or Clock().now()).timestamp()) // 60 + 1) * 60
        for name, value in (
            ("X-RateLimit-Limit", per_minute),
            ("X-RateLimit-Remaining", per_minute),
            ("X-RateLimit-Reset", reset),
            ("X-RateLimit-Retry-After", 0),
        ):
            reply.headers.setdefault(name, str(value))

    def render_error(self, ctx: RequestContext | None, err: ApiError, request_id: str) -> Reply:
        if ctx is not None and ctx.op.mount.endswith("/oauth"):
            return self._oauth_error(err)
        body: dict[str, Any] = {
            "code": err.extra.get("code", ERROR_CODES[err.kind]),
            "message": err.message,
            "details": err.details,
            "request_id": request_id,
        }
        if "retry_after" in err.extra:
            body["retry_after"] = err.extra["retry_after"]
        return Reply(err.status, {"error": body}, dict(err.headers))

    @staticmethod
    def _oauth_error(err: ApiError) -> Reply:
        """RFC 6749 section 5.2 errors, which OAuth client libraries parse."""
        code = err.extra.get("oauth_error") or OAUTH_ERRORS.get(err.kind, "invalid_request")
        status = 401 if code == "invalid_client" else 400
        body = {"error": code, "error_description": err.message}
        return Reply(status, body, {"Cache-Control": "no-store", **err.headers})

    @staticmethod
    def subscriptions(ctx: RequestContext, event: str) -> list[dict[str, Any]]:
        """Active webhooks registered for the event."""
        coll = ctx.coll("webhooks")
        hooks = ctx.store.memo(
            ("hooks", coll), lambda: ctx.store.find(coll, with_total=False).items, on=(coll,)
        )
        return [h for h in hooks if h.get("active", True) and event in h.get("events", [])]

    def webhook_deliveries(self, ctx: RequestContext, event: str, data: Any) -> list[Delivery]:
        """Every active subscription to the event gets ``{event, timestamp, data}``, signed with
        ``X-CRM-Ultra-Signature`` = hex HMAC-SHA256 of the raw body under its secret."""
        hooks = self.subscriptions(ctx, event)
        if not hooks:
            return []
        body = orjson.dumps(
            {"event": event, "timestamp": self.timestamp(ctx.now or Clock().now()), "data": data}
        )
        out = []
        for hook in hooks:
            if not hook.get("active", True) or event not in hook.get("events", []):
                continue
            headers = {"X-CRM-Ultra-Event": event, "User-Agent": "CRM-Ultra-Webhooks/1.0"}
            if hook.get("secret"):
                digest = hmac.new(hook["secret"].encode(), body, hashlib.sha256).hexdigest()
                headers["X-CRM-Ultra-Signature"] = digest
            out.append(Delivery(url=hook["url"], body=body, headers=headers, target=hook["id"]))
        return out

    def list_envelope(self, ctx: RequestContext, items: list[Any], page: int, size: int, total: int) -> Any:
        pages = math.ceil(total / size) if size else 0
        pagination = {
            "page": page,
            "limit": size,
            "total": total,
            "totalPages": pages,
            "hasNext": page < pages,
            "hasPrev": page > 1,
        }
        return {ctx.op.list_key or "data": items, "pagination": pagination}

    def delete_result(self, ctx: RequestContext, resource: str, doc: dict[str, Any]) -> Any:
        return {"id": doc["id"], "deleted": True, "deletedAt": self.timestamp(ctx.now or Clock().now())}
