"""CRM-Ultra operations that are not plain CRUD: templates, report, current user, OAuth."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from mockserver.engine.context import Reply, RequestContext
from mockserver.engine.errors import ApiError
from mockserver.sim.clock import Clock
from mockserver.store import Condition

ACCESS_TOKEN_TTL = timedelta(hours=2)
CODE_TTL = timedelta(minutes=10)
GROUP_KEYS = {"source": "bySource", "assignedTo": "byAssignedTo", "insuranceType": "byInsuranceType"}


def list_templates(ctx: RequestContext) -> Reply:
    templates = ctx.store.find(ctx.coll("templates"), with_total=False).items
    return Reply(200, {"templates": templates})


def current_user(ctx: RequestContext) -> Reply:
    user_id = ctx.principal.user_id if ctx.principal else None
    user = ctx.store.get(ctx.coll("users"), user_id or "")
    if user is None:
        raise ApiError("not_found", "The credential's user no longer exists")
    return Reply(200, user)


def conversion_report(ctx: RequestContext) -> Reply:
    """Totals and conversion rates computed from the stored leads ("converted" = status won)."""
    dialect = ctx.vendor.dialect
    conditions = []
    for param, op in (("dateFrom", "gte"), ("dateTo", "lte")):
        if param in ctx.params:
            bound = dialect.filter_value(
                ctx, {"type": "datetime", "op": op, "param": param}, ctx.params[param]
            )
            conditions.append(Condition("createdAt", op, bound))
    won = Condition("status", "eq", "won")
    span = ("createdAt", "_convertedAt")
    coll = ctx.coll("leads")
    ((_, total, converted, avg_days),) = ctx.store.group_stats(coll, conditions, None, won, span) or [
        (None, 0, 0, None)
    ]
    group_by = ctx.params.get("groupBy", "source")
    groups = [
        {group_by: value, "total": n, "converted": c, "rate": _rate(c, n)}
        for value, n, c, _ in ctx.store.group_stats(coll, conditions, group_by, won, span)
    ]
    body: dict[str, Any] = {
        "summary": {
            "totalLeads": total,
            "convertedLeads": converted,
            "conversionRate": _rate(converted, total),
            "avgTimeToConversion": round(avg_days, 1) if avg_days is not None else None,
        },
        GROUP_KEYS[group_by]: groups,
    }
    return Reply(200, body)


def _rate(part: int, whole: int) -> float:
    return round(part * 100.0 / whole, 2) if whole else 0.0


# -- OAuth 2.0 -----------------------------------------------------------------------------------
def _oauth_error(code: str, message: str) -> ApiError:
    kind = "unauthorized" if code == "invalid_client" else "bad_request"
    return ApiError(kind, message, extra={"oauth_error": code})


def _redirect(uri: str, params: dict[str, str]) -> Reply:
    parts = urlsplit(uri)
    query = (parts.query + "&" if parts.query else "") + urlencode(params)
    return Reply(302, None, {"Location": urlunsplit(parts._replace(query=query))})


def oauth_authorize(ctx: RequestContext) -> Reply:
    """Stands in for the consent screen: the demo user grants access at once."""
    params = ctx.params
    client = ctx.store.get(ctx.coll("oauth_clients"), params.get("client_id", ""))
    if client is None:
        # RFC 6749 §4.1.2.1: shown to the user, not redirected. `invalid_client` / 401 is the
        # token endpoint's answer (§5.2); this endpoint documents 400.
        raise _oauth_error("invalid_request", "Unknown client_id")
    redirect_uri = params.get("redirect_uri") or client["redirectUris"][0]
    if redirect_uri not in client["redirectUris"]:
        raise _oauth_error("invalid_request", "redirect_uri is not registered for this client")
    state = {"state": params["state"]} if "state" in params else {}
    if params.get("response_type") != "code":
        return _redirect(redirect_uri, {"error": "unsupported_response_type", **state})
    scopes = (params.get("scope") or "read").split()
    if not scopes or not set(scopes) <= set(client["scopes"]):
        return _redirect(redirect_uri, {"error": "invalid_scope", **state})
    code = secrets.token_urlsafe(24)
    ctx.store.insert(
        ctx.coll("oauth_codes"),
        {
            "id": code,
            "clientId": client["id"],
            "redirectUri": redirect_uri,
            "scopes": scopes,
            "userId": client["userId"],
            "expiresAt": ctx.vendor.dialect.timestamp(ctx.now + CODE_TTL),  # type: ignore[operator]
            "used": False,
        },
    )
    return _redirect(redirect_uri, {"code": code, **state})


def _issue_tokens(ctx: RequestContext, client_id: str, user_id: str, scopes: list[str]) -> dict:
    stamp = ctx.vendor.dialect.timestamp
    access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    common = {"clientId": client_id, "userId": user_id, "scopes": scopes, "revoked": False}
    ctx.store.insert(
        ctx.coll("oauth_tokens"),
        {"id": access, "kind": "access", "expiresAt": stamp(ctx.now + ACCESS_TOKEN_TTL), **common},  # type: ignore[operator]
    )
    ctx.store.insert(
        ctx.coll("oauth_tokens"),
        {"id": refresh, "kind": "refresh", "expiresAt": stamp(ctx.now + timedelta(days=30)), **common},  # type: ignore[operator]
    )
    return {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": int(ACCESS_TOKEN_TTL.total_seconds()),
        "refresh_token": refresh,
        "scope": " ".join(scopes),
    }


def oauth_token(ctx: RequestContext) -> Reply:
    form = ctx.body or {}
    client = ctx.store.get(ctx.coll("oauth_clients"), form.get("client_id", ""))
    if client is None or not secrets.compare_digest(client["secret"], form.get("client_secret", "")):
        raise _oauth_error("invalid_client", "Client authentication failed")
    grant = form.get("grant_type")
    with ctx.store.transaction():
        if grant == "authorization_code":
            record = ctx.store.get(ctx.coll("oauth_codes"), form.get("code", ""))
            if (
                record is None
                or record["used"]
                or record["clientId"] != client["id"]
                or Clock.parse(record["expiresAt"]) <= ctx.now  # type: ignore[operator]
            ):
                raise _oauth_error("invalid_grant", "Authorization code is invalid, used or expired")
            if form.get("redirect_uri") != record["redirectUri"]:
                raise _oauth_error("invalid_grant", "redirect_uri does not match the authorization request")
            record["used"] = True
            ctx.store.replace(ctx.coll("oauth_codes"), record)
            tokens = _issue_tokens(ctx, client["id"], record["userId"], record["scopes"])
        elif grant == "refresh_token":
            record = ctx.store.get(ctx.coll("oauth_tokens"), form.get("refresh_token", ""))
            if (
                record is None
                or record["kind"] != "refresh"
                or record["revoked"]
                or record["clientId"] != client["id"]
                or Clock.parse(record["expiresAt"]) <= ctx.now  # type: ignore[operator]
            ):
                raise _oauth_error("invalid_grant", "Refresh token is invalid, revoked or expired")
            record["revoked"] = True  # refresh tokens rotate: each works once
            ctx.store.replace(ctx.coll("oauth_tokens"), record)
            tokens = _issue_tokens(ctx, client["id"], record["userId"], record["scopes"])
        else:
            raise _oauth_error("unsupported_grant_type", f"grant_type {grant!r} is not supported")
    return Reply(200, tokens, {"Cache-Control": "no-store", "Pragma": "no-cache"})


HANDLERS = {
    "list_templates": list_templates,
    "current_user": current_user,
    "conversion_report": conversion_report,
    "oauth_authorize": oauth_authorize,
    "oauth_token": oauth_token,
}


# -- simulation actions (POST /__admin/vendors/ultra/actions/{name}) --------------------------------
def open_email(ctx: RequestContext, body: dict[str, Any]) -> Reply:
    """The lead opened an email: ``opened``/``openedAt`` move, EMAIL_OPENED, ``email.opened``."""
    email = ctx.store.get(ctx.coll("emails"), str(body.get("emailId", "")))
    if email is None:
        raise ApiError("not_found", f"no email {body.get('emailId')!r}")
    if email["status"] != "SENT":
        raise ApiError("conflict", "only a sent email can be opened")
    if not email["opened"]:
        email.update(opened=True, openedAt=ctx.vendor.dialect.timestamp(ctx.now))  # type: ignore[arg-type]
        ctx.store.replace(ctx.coll("emails"), email)
        rules = ctx.vendor.rules
        rules.record_activity(  # type: ignore[attr-defined]
            ctx,
            email["leadId"],
            "EMAIL_OPENED",
            f"Email opened: {email.get('subject') or ''}",
            {"emailId": email["id"]},
        )
        rules.notify(ctx, "email.opened", "emails", email)  # type: ignore[attr-defined]
    return Reply(200, ctx.vendor.rules.present(ctx, "emails", [email])[0])


ADMIN_ACTIONS = {"open-email": open_email}


def set_key(ctx: RequestContext, body: dict[str, Any]) -> Reply:
    """Create or change an API key: ``{key, userId?, tier?, limits?: {perMinute, perHour}, active?}``.
    ``limits`` overrides the tier (``null`` values mean unlimited); ``active: false`` revokes."""
    key = str(body.get("key") or "")
    if not key:
        raise ApiError("bad_request", "send {key, tier?, limits?, userId?, active?}")
    coll = ctx.coll("api_keys")
    record = ctx.store.get(coll, key) or {"id": key, "userId": "user_abc123", "tier": "free", "active": True}
    if "tier" in body:
        from mockserver.vendors.ultra.dialect import TIERS

        if body["tier"] not in TIERS:
            raise ApiError("bad_request", f"tier is one of {', '.join(TIERS)}")
        record["tier"] = body["tier"]
    if "userId" in body:
        if not ctx.store.exists(ctx.coll("users"), str(body["userId"])):
            raise ApiError("bad_request", f"no user {body['userId']!r}")
        record["userId"] = body["userId"]
    if "limits" in body:
        limits = body["limits"]
        ok = limits is None or (
            isinstance(limits, dict)
            and set(limits) <= {"perMinute", "perHour"}
            and all(v is None or (isinstance(v, int) and v > 0) for v in limits.values())
        )
        if not ok:
            raise ApiError("bad_request", "limits is {perMinute?, perHour?} with positive integers or null")
        record["limits"] = limits
    if "active" in body:
        record["active"] = bool(body["active"])
    if ctx.store.exists(coll, key):
        ctx.store.replace(coll, record)
    else:
        ctx.store.insert(coll, record)
    return Reply(200, record)


def register_client(ctx: RequestContext, body: dict[str, Any]) -> Reply:
    """Register an OAuth client: ``{clientId, clientSecret, redirectUris, scopes?, tier?}``."""
    try:
        client = {
            "id": str(body["clientId"]),
            "secret": str(body["clientSecret"]),
            "redirectUris": [str(u) for u in body["redirectUris"]],
            "scopes": [s for s in body.get("scopes", ["read", "write"]) if s in ("read", "write")],
            "userId": str(body.get("userId", "user_abc123")),
            "tier": str(body.get("tier", "professional")),
        }
    except (KeyError, TypeError) as exc:
        raise ApiError(
            "bad_request", "send {clientId, clientSecret, redirectUris: [..], scopes?, tier?}"
        ) from exc
    if not client["redirectUris"] or not client["scopes"]:
        raise ApiError("bad_request", "a client needs at least one redirect URI and one scope")
    coll = ctx.coll("oauth_clients")
    if ctx.store.exists(coll, client["id"]):
        ctx.store.replace(coll, client)
    else:
        ctx.store.insert(coll, client)
    return Reply(201, {k: v for k, v in client.items() if k != "secret"})


ADMIN_ACTIONS["set-key"] = set_key
ADMIN_ACTIONS["register-client"] = register_client
