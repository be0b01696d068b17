"""The parts every vendor supplies, with defaults that suit a plain REST API.

A vendor is a ``Dialect`` (how it speaks: auth, errors, ids, envelopes, dates), ``Rules``
(what its domain does on writes and reads) and ``handlers`` (operations that are not plain
create / get / list / update / delete). Shared code calls these and never asks which vendor it is.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING, Any

from mockserver.engine.context import Principal, Reply, RequestContext
from mockserver.engine.errors import ApiError
from mockserver.engine.spec import VendorSpec
from mockserver.sim.webhooks import Delivery

if TYPE_CHECKING:
    from mockserver.settings import Settings
    from mockserver.store import DocumentStore

Handler = Callable[[RequestContext], Any]


class Dialect:
    """Wire conventions. Subclasses override what their vendor does differently."""

    id_field = "id"

    def authenticate(self, ctx: RequestContext) -> Principal | None:
        return None

    def before_request(self, ctx: RequestContext) -> None:
        """Hook for limits and faults, after authentication and before validation."""

    def decorate(self, ctx: RequestContext, reply: Reply) -> None:
        """Add headers every answer carries (rate limits, request ids)."""

    def decorate_unmatched(self, mount: str, reply: Reply, now: datetime) -> None:
        """Headers for answers under ``mount`` that no operation produced (unknown path, 405)."""

    def render_error(self, ctx: RequestContext | None, err: ApiError, request_id: str) -> Reply:
        return Reply(err.status, {"message": err.message}, dict(err.headers))

    def webhook_deliveries(self, ctx: RequestContext, event: str, data: Any) -> list[Delivery]:
        """The POSTs an event causes (subscribers, payload shape, signature). None by default."""
        return []

    def list_envelope(self, ctx: RequestContext, items: list[Any], page: int, size: int, total: int) -> Any:
        return {"data": items, "page": page, "size": size, "total": total}

    def delete_result(self, ctx: RequestContext, resource: str, doc: dict[str, Any]) -> Any:
        return None

    def timestamp(self, moment: datetime) -> Any:
        # isoformat, not strftime("%Y"): glibc does not zero-pad years before 1000, which breaks
        # both the format and the string order stored timestamps are compared in.
        return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"

    def filter_value(self, ctx: RequestContext, spec: dict[str, Any], value: Any) -> Any:
        """Normalise a filter value to the stored representation (dates, mostly)."""
        if spec.get("type") != "datetime":
            return value
        # RFC 3339 allows a lower-case "t" and "z", and year 0000, which Python cannot represent.
        text = value.upper()
        text = "0001" + text[4:] if text.startswith("0000") else text
        try:
            if len(text) == 10:
                day = datetime.fromisoformat(text).date()
                bound = time.max if spec.get("op") in ("lte", "lt") else time.min
                moment = datetime.combine(day, bound, tzinfo=UTC).replace(microsecond=0)
            else:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=UTC)
            moment = moment.astimezone(UTC)
        except OverflowError:
            # A valid time whose offset moves it before year 1 or past 9999 in UTC: the nearest one.
            edge = datetime.min if text.startswith("0001") else datetime.max
            moment = edge.replace(tzinfo=UTC, microsecond=0)
        except ValueError as exc:
            raise ApiError("validation", "Invalid date", {spec.get("param", "date"): str(exc)}) from exc
        return self.timestamp(moment)

    def label(self, resource: str) -> str:
        """How error messages name one record of a resource."""
        name = resource[:-1] if resource.endswith("s") else resource
        return name.replace("_", " ").capitalize()


class Rules:
    """Domain behaviour around the generic writes. Defaults store what the client sent."""

    def before_create(self, ctx: RequestContext, resource: str, doc: dict[str, Any]) -> dict:
        return doc

    def after_create(self, ctx: RequestContext, resource: str, doc: dict[str, Any]) -> None:
        pass

    def before_update(
        self, ctx: RequestContext, resource: str, old: dict[str, Any], changes: dict[str, Any]
    ) -> dict[str, Any]:
        return {**old, **changes}

    def after_update(
        self, ctx: RequestContext, resource: str, old: dict[str, Any], new: dict[str, Any]
    ) -> None:
        pass

    def before_delete(self, ctx: RequestContext, resource: str, doc: dict[str, Any]) -> None:
        pass

    def after_delete(self, ctx: RequestContext, resource: str, doc: dict[str, Any]) -> None:
        pass

    def present(self, ctx: RequestContext, resource: str, docs: list[dict]) -> list[Any]:
        """Stored documents as the API shows them (resolved references, derived fields)."""
        return docs


@dataclass
class Vendor:
    key: str
    title: str
    spec: VendorSpec
    dialect: Dialect
    rules: Rules
    handlers: dict[str, Handler] = field(default_factory=dict)
    seeder: Callable[[DocumentStore, Vendor, int, datetime, int], None] | None = None
    demo_credentials: dict[str, str] = field(default_factory=dict)
    # Separate data partitions (e.g. live and test mode); None is the one default partition.
    tenants: tuple[str | None, ...] = (None,)
    # Simulation controls a test can trigger through POST /__admin/vendors/{key}/actions/{name}
    # (e.g. "a lead opened this email"): name -> fn(ctx, body) -> Reply.
    admin_actions: dict[str, Callable[[RequestContext, dict[str, Any]], Reply]] = field(default_factory=dict)
    # Scenario files (mockserver.seeding): a ScenarioAdapter with the vendor's account, generators
    # and derived fields; None takes part with explicit records and its default seed only.
    scenario: Any = None

    def collection(self, resource: str, tenant: str | None = None) -> str:
        return f"{self.key}_{tenant}_{resource}" if tenant else f"{self.key}_{resource}"

    def setup_store(self, store: DocumentStore, indexes: bool = True) -> None:
        """Create the vendor's collections; bulk seeding asks for indexes after the data."""
        for tenant in self.tenants:
            for res in self.spec.resources.values():
                # the indexed fields' columns always; the indexes themselves only when asked
                store.ensure_collection(self.collection(res.name, tenant), res.indexes, build_indexes=indexes)
            for name, extra in self.extra_collections().items():
                store.ensure_collection(self.collection(name, tenant), extra)
        # collections shared by every partition (credentials that pick the partition)
        for name, extra in getattr(self.dialect, "shared_collections", {}).items():
            store.ensure_collection(self.collection(name), extra)

    def count(self, store: DocumentStore, resource: str) -> int:
        """Records of a resource across every partition."""
        return sum(store.count(self.collection(resource, t)) for t in self.tenants)

    def extra_collections(self) -> dict[str, tuple[Any, ...]]:
        """Collections the dialect keeps that the spec does not expose (keys, tokens)."""
        return getattr(self.dialect, "private_collections", {})

    def seed(self, store: DocumentStore, settings: Settings, now: datetime) -> None:
        if self.seeder is not None:
            self.seeder(store, self, settings.seed, now, settings.seed_records)

    def check_handlers(self) -> None:
        """Fail at start-up, not at request time, when the spec names a missing handler."""
        for op in self.spec.operations.values():
            if op.action == "custom" and op.handler not in self.handlers:
                raise LookupError(f"{self.key}: no handler {op.handler!r} for {op.operation_id}")


def seeded_rng(seed: int, stream: str) -> random.Random:
    return random.Random(f"{seed}:{stream}")
