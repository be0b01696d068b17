"""What a handler gets: the request, already checked, plus the state it works on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mockserver.engine.spec import Operation

if TYPE_CHECKING:
    from mockserver.settings import Settings
    from mockserver.store import DocumentStore
    from mockserver.vendors.base import Vendor


@dataclass
class Principal:
    """Who is calling: the user behind the key or token, and what they may do."""

    user_id: str | None
    credential: str
    scopes: frozenset[str] = frozenset({"read", "write"})
    tenant: str | None = None  # a data partition (e.g. live / test mode) the caller sees
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    media_type: str = "application/json"


@dataclass
class RequestContext:
    vendor: Vendor
    op: Operation
    store: DocumentStore
    settings: Settings
    request_id: str
    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, list[str]]
    path_params: dict[str, str]
    params: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    raw_body: bytes = b""
    query_string: str = ""
    principal: Principal | None = None
    now: datetime | None = None
    response_headers: dict[str, str] = field(default_factory=dict)

    def emit(self, event: str, data: Any) -> None:
        """Report a state change: the vendor decides who is notified and how (webhooks)."""
        from mockserver.sim import webhooks

        deliveries = self.vendor.dialect.webhook_deliveries(self, event, data)
        if deliveries:
            webhooks.enqueue(self.store, self.vendor.key, event, deliveries)

    def coll(self, resource: str) -> str:
        """The store collection holding a resource of this vendor, in the caller's partition."""
        return self.vendor.collection(resource, self.principal.tenant if self.principal else None)
