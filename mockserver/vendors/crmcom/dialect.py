"""How CRM.COM Back-Office v2 speaks: ``api_key`` or Bearer JWT (the key picks live or test mode),
``{status, message, error, parameters}`` errors, ``{content, paging}`` lists, epoch dates."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import jwt

from mockserver.engine.context import Principal, Reply, RequestContext
from mockserver.engine.errors import ApiError
from mockserver.sim.clock import Clock
from mockserver.vendors.base import Dialect

JWT_ALGORITHM = "HS256"
JWT_KID = "/privateKey.pem"  # the header of the document's (truncated) example token
JWT_ISSUER = "crm-mock/crmcom"
SECRET_ID = "signing-secret"

# kind -> (status, CRM.EXCEPTIONS name). The document lists 400, 401, 403, 404, 425 and 5xx; it
# has no 409 / 422, so conflicts and invalid input are 400s, as its "Bad Request" describes.
ERRORS: dict[str, tuple[int, str]] = {
    "bad_request": (400, "INVALIDREQUESTEXCEPTION"),
    "validation": (400, "INVALIDREQUESTEXCEPTION"),
    "conflict": (400, "INVALIDREQUESTEXCEPTION"),
    "unauthorized": (401, "UNAUTHORIZEDEXCEPTION"),
    "forbidden": (403, "FORBIDDENEXCEPTION"),
    "not_found": (404, "NOTFOUNDEXCEPTION"),
    "method_not_allowed": (405, "METHODNOTALLOWEDEXCEPTION"),
    "payload_too_large": (413, "PAYLOADTOOLARGEEXCEPTION"),
    "unsupported_media_type": (415, "UNSUPPORTEDMEDIATYPEEXCEPTION"),
    "too_early": (425, "TOOEARLYEXCEPTION"),
    "rate_limited": (429, "TOOMANYREQUESTSEXCEPTION"),
    "internal": (500, "INTERNALSERVEREXCEPTION"),
    "unavailable": (503, "SERVICEUNAVAILABLEEXCEPTION"),
}
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def crm_error(kind: str, message: str, code: str, parameters: list[str] | None = None) -> ApiError:
    """A refusal with a domain error name (``CRM.EXCEPTIONS.<code>``) and its parameters."""
    return ApiError(kind, message, extra={"error": code, "parameters": parameters or []})


def record_not_found(entity: str, ident: str) -> ApiError:
    """The document's 404: ``Record not found.`` with ``[entity, id]`` as parameters."""
    return crm_error("not_found", "Record not found.", "NOTFOUNDEXCEPTION", [entity, str(ident)])


def invalid(message: str, *parameters: str, code: str = "INVALIDREQUESTEXCEPTION") -> ApiError:
    return crm_error("bad_request", message, code, list(parameters))


class CrmcomDialect(Dialect):
    # credentials pick the partition, so they live outside it
    shared_collections: ClassVar[dict[str, tuple]] = {"api_keys": (), "logins": (), "secrets": ()}

    # -- authentication -----------------------------------------------------------------------
    def authenticate(self, ctx: RequestContext) -> Principal | None:
        if not ctx.op.security:
            return None
        schemes = {name for requirement in ctx.op.security for name in requirement}
        key = ctx.headers.get("api_key")
        token = ctx.headers.get("authorization") if "bearer" in schemes else None
        # every credential presented must be valid (an empty one too); the api_key decides the mode
        from_token = self._jwt(ctx, token.strip()) if token is not None else None
        if key is not None:
            principal = self._api_key(ctx, key)
            if from_token is not None and from_token.tenant != principal.tenant:
                raise crm_error(
                    "unauthorized",
                    "Unauthorized: the token and api_key are of different modes.",
                    "UNAUTHORIZEDEXCEPTION",
                )
        elif from_token is not None:
            principal = from_token
        else:
            wanted = "an api_key header" if "bearer" not in schemes else "api_key or authorization"
            raise crm_error("unauthorized", f"Unauthorized: send {wanted}.", "UNAUTHORIZEDEXCEPTION")
        if ctx.method in WRITE_METHODS and "write" not in principal.scopes:
            raise crm_error("forbidden", "The API key does not allow this operation.", "FORBIDDENEXCEPTION")
        return principal

    def _api_key(self, ctx: RequestContext, key: str) -> Principal:
        record = ctx.store.get(ctx.vendor.collection("api_keys"), key)
        if record is None or not record.get("active", True):
            raise crm_error("unauthorized", "Unauthorized: invalid api_key.", "INVALIDAPIKEYEXCEPTION")
        return Principal(
            user_id=record.get("user_id"),
            credential="key:" + key,
            scopes=frozenset(record.get("scopes", ["read", "write"])),
            tenant=record["mode"],
        )

    def _jwt(self, ctx: RequestContext, header: str) -> Principal:
        scheme, _, rest = header.partition(" ")
        token = rest.strip() if scheme.lower() == "bearer" else header
        claims = verify_token(ctx, token)
        return Principal(
            user_id=claims.get("sub"),
            credential="jwt:" + str(claims.get("sub")),
            scopes=frozenset(claims.get("scopes", ["read", "write"])),
            tenant=claims["mode"],
        )

    def before_request(self, ctx: RequestContext) -> None:
        """425 for a POST received in TLS early data (RFC 8470): it could be a replay."""
        if ctx.method == "POST" and ctx.headers.get("early-data", "").strip() == "1":
            raise crm_error(
                "too_early",
                "The request may be replayed; send it again after the handshake.",
                "TOOEARLYEXCEPTION",
            )

    # -- answers ------------------------------------------------------------------------------
    def render_error(self, ctx: RequestContext | None, err: ApiError, request_id: str) -> Reply:
        default_status, default_code = ERRORS.get(err.kind, (err.status, "INVALIDREQUESTEXCEPTION"))
        # an exact status (an injected fault) wins over the kind's mapping
        status = getattr(err, "_status", None) or default_status
        code = err.extra.get("error", default_code)
        parameters = err.extra.get("parameters")
        message = err.message
        if parameters is None:
            parameters, message = _parameters(err, message)
        body = {
            "status": status,
            "message": message,
            "error": f"CRM.EXCEPTIONS.{code}",
            "parameters": [str(p) for p in parameters],
        }
        return Reply(status, body, dict(err.headers))

    def list_envelope(self, ctx: RequestContext, items: list[Any], page: int, size: int, total: int) -> Any:
        return {"content": items, "paging": {"page": page, "size": size, "total": total}}

    def timestamp(self, moment: datetime) -> Any:
        return int(moment.timestamp())

    def label(self, resource: str) -> str:
        """The entity name the document puts in a 404's parameters (``contact``)."""
        singular = {"activities": "activity", "service_requests": "service_request"}
        return singular.get(resource, resource[:-1] if resource.endswith("s") else resource)


def _parameters(err: ApiError, message: str) -> tuple[list[str], str]:
    """Parameters for errors raised by the engine: the entity and id of a 404, the fields of a
    400; the message stays human-readable."""
    details = err.details or {}
    if err.kind == "not_found" and "id" in details:
        entity = message.split(" ", 1)[0]
        return [entity, str(details["id"])], "Record not found."
    if details:
        fields = [str(k) for k in details]
        text = "; ".join(f"{k}: {v}" for k, v in details.items())
        return fields, f"{message}: {text}"
    return [], message


# -- tokens ---------------------------------------------------------------------------------------
def signing_secret(ctx: RequestContext) -> str:
    record = ctx.store.get(ctx.vendor.collection("secrets"), SECRET_ID)
    if record is None:
        raise crm_error("unauthorized", "Unauthorized: no signing key.", "UNAUTHORIZEDEXCEPTION")
    return record["value"]


def issue_token(ctx: RequestContext, user_id: str, username: str, mode: str, ttl: int) -> tuple[str, int]:
    """A signed JWT for ``user_id`` in ``mode``; returns it with its expiry (epoch seconds)."""
    now = int((ctx.now or Clock().now()).timestamp())
    claims = {
        "iss": JWT_ISSUER,
        "sub": user_id,
        "username": username,
        "mode": mode,
        "iat": now,
        "exp": now + ttl,
    }
    token = jwt.encode(claims, signing_secret(ctx), algorithm=JWT_ALGORITHM, headers={"kid": JWT_KID})
    return token, now + ttl


def verify_token(ctx: RequestContext, token: str) -> dict[str, Any]:
    """Signature, issuer and expiry against the server clock (which tests may pin)."""
    try:
        claims = jwt.decode(
            token,
            signing_secret(ctx),
            algorithms=[JWT_ALGORITHM],
            issuer=JWT_ISSUER,
            options={"verify_exp": False, "require": ["exp", "sub", "iss"]},
        )
    except jwt.PyJWTError as exc:
        raise crm_error("unauthorized", "Unauthorized: invalid token.", "INVALIDTOKENEXCEPTION") from exc
    now = (ctx.now or Clock().now()).timestamp()
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp <= now:
        raise crm_error("unauthorized", "Unauthorized: the token has expired.", "EXPIREDTOKENEXCEPTION")
    if claims.get("mode") not in ("live", "test"):
        raise crm_error("unauthorized", "Unauthorized: invalid token.", "INVALIDTOKENEXCEPTION")
    return claims
