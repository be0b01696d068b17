"""How /dev/crm speaks: ``Authorization: Bearer`` tokens, ``{"message"}`` errors (validation is a
400, as the document lists no 422), ``{data, pagination}`` lists and ISO 8601 UTC timestamps."""

from __future__ import annotations

import math
from typing import Any, ClassVar

from mockserver.engine.context import Principal, Reply, RequestContext
from mockserver.engine.errors import KINDS, ApiError
from mockserver.vendors.base import Dialect

# The document lists 400, 401, 404 and 409; everything it does not list keeps its HTTP meaning.
STATUS = {"validation": 400, "too_early": 400}
LABELS = {
    "leads": "Lead",
    "lead_interactions": "Lead interaction",
    "customers": "Customer",
    "customer_interactions": "Customer interaction",
    "orders": "Order",
    "products": "Product",
    "feedback": "Feedback",
}
UNAUTHORIZED = "Invalid or missing API key"


class DevCrmDialect(Dialect):
    private_collections: ClassVar[dict[str, tuple]] = {"api_tokens": ()}

    def authenticate(self, ctx: RequestContext) -> Principal | None:
        if not ctx.op.security:
            return None
        scheme, _, token = ctx.headers.get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise ApiError("unauthorized", UNAUTHORIZED)
        record = ctx.store.get(ctx.coll("api_tokens"), token)
        if record is None or not record.get("active", True):
            raise ApiError("unauthorized", UNAUTHORIZED)
        return Principal(user_id=record.get("user_id"), credential=token)

    def render_error(self, ctx: RequestContext | None, err: ApiError, request_id: str) -> Reply:
        """``{"message"}`` only, as documented; field problems are folded into the message."""
        message = err.message
        if err.kind == "validation" and isinstance(err.details, dict) and err.details:
            problems = "; ".join(f"{k}: {v}" for k, v in err.details.items())
            message = f"{message}: {problems}"
        status = err.status
        if status == KINDS[err.kind]:  # the kind's default, not an exact status (injected faults)
            status = STATUS.get(err.kind, status)
        return Reply(status, {"message": message}, dict(err.headers))

    def list_envelope(self, ctx: RequestContext, items: list[Any], page: int, size: int, total: int) -> Any:
        pages = math.ceil(total / size) if size else 0
        return {
            ctx.op.list_key or "data": items,
            "pagination": {"page": page, "limit": size, "total": total, "total_pages": pages},
        }

    def delete_result(self, ctx: RequestContext, resource: str, doc: dict[str, Any]) -> Any:
        return {"message": f"{self.label(resource)} deleted successfully", "id": doc["id"]}

    def label(self, resource: str) -> str:
        return LABELS.get(resource, super().label(resource))
