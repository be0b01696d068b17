"""The SMS integration: APRO's gateway (``/smsgateway``, where a provider posts
``smsReceived``) and a simulated provider (``/smsprovider``: ``sendSms`` / ``smsStatus``).

Both ends sign requests: values sorted by key name, joined, the 32-character API key appended,
MD5 of that. A request whose hash does not match is refused.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

from mockserver.engine.context import Reply, RequestContext
from mockserver.engine.errors import ApiError
from mockserver.vendors.apro.dialect import body_of

SMS_KEY = "smsk" * 8  # the provider's API key, as the CRM generated it (seeded account)
# APRO receives only for numbers added in its admin panel; a paused one answers "repeat later".
NUMBERS = {"15550001000": "active", "15550002000": "active", "15550009000": "paused"}
PROGRESSION = ["new", "inprogress", "send"]
FINAL = {"0000": "notdelivered", "1111": "absent", "2222": "blocked"}


def request_hash(values: dict[str, Any], key: str = SMS_KEY) -> str:
    joined = "".join(str(values[k]) for k in sorted(values) if k != "hash")
    return hashlib.md5((joined + key).encode("utf-8")).hexdigest()


def _signed(ctx: RequestContext) -> dict[str, Any]:
    body = body_of(ctx)
    if any(isinstance(v, (dict, list)) for v in body.values()):
        raise ApiError("validation", "parameters are flat key = value pairs")
    if not body.get("action") or not body.get("hash"):
        raise ApiError("validation", "action and hash are obligatory")
    if str(body["hash"]).lower() != request_hash(body):
        raise ApiError("unauthorized", "request hash does not match")
    return body


def sms_received(ctx: RequestContext) -> Reply:
    body = _signed(ctx)
    if body["action"] != "smsReceived":
        raise ApiError("validation", f"unknown action {body['action']}")
    for name in ("sms_id", "sender", "destination", "message", "count"):
        if str(body.get(name, "")).strip() == "":
            raise ApiError("validation", f"{name} is obligatory")
    sms_id = str(body["sms_id"]).strip()
    if not sms_id.isdigit() or int(sms_id) <= 0:
        raise ApiError("validation", "sms_id must be a number > 0")
    state = NUMBERS.get(str(body["destination"]))
    if state is None:
        raise ApiError("validation", "destination is not a number of this CRM")
    if state == "paused":
        raise ApiError("unavailable", "the number cannot receive right now", extra={"repeat": True})
    if not ctx.store.exists(ctx.coll("sms_inbox"), sms_id):  # a repeated delivery is not a new message
        ctx.store.insert(
            ctx.coll("sms_inbox"),
            {
                "id": sms_id,
                "sender": str(body["sender"]),
                "destination": str(body["destination"]),
                "message": str(body["message"]),
                "count": str(body["count"]),
                "date": str(body.get("date") or int(ctx.now.timestamp())),  # type: ignore[union-attr]
            },
        )
    return Reply(200, {"success": True})


def sms_provider(ctx: RequestContext) -> Reply:
    body = _signed(ctx)
    if body["action"] == "sendSms":
        for name in ("sender", "destination", "message"):
            if str(body.get(name, "")).strip() == "":
                raise ApiError("validation", f"{name} is obligatory")
        destination = "".join(c for c in str(body["destination"]) if c.isdigit())
        if len(destination) < 7:
            raise ApiError("validation", "destination is not a phone number")
        message = str(body["message"])
        per_part = 160 if message.isascii() else 70
        with ctx.store.transaction():
            sms_id = ctx.store.incr_meta(f"apro:seq:{ctx.coll('sms_outbox')}") + 97686
            ctx.store.insert(
                ctx.coll("sms_outbox"),
                {
                    "id": str(sms_id),
                    "destination": destination,
                    "message": message,
                    "polls": 0,
                    "count": max(1, math.ceil(len(message) / per_part)),
                },
            )
        return Reply(200, {"success": True, "data": sms_id})
    if body["action"] == "smsStatus":
        sms_id = str(body.get("sms_id", "")).strip()
        doc = ctx.store.get(ctx.coll("sms_outbox"), sms_id)
        if doc is None:
            return Reply(200, {"success": True, "count": 0, "status": "notfound"})
        status = (
            PROGRESSION[doc["polls"]]
            if doc["polls"] < len(PROGRESSION)
            else FINAL.get(doc["destination"][-4:], "delivered")
        )
        doc["polls"] += 1  # each poll moves the message one step: new, inprogress, send, delivered
        ctx.store.replace(ctx.coll("sms_outbox"), doc)
        return Reply(200, {"success": True, "count": doc["count"], "status": status})
    raise ApiError("validation", f"unknown action {body['action']}")


HANDLERS = {"sms_received": sms_received, "sms_provider": sms_provider}
