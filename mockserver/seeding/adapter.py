"""The hook a vendor implements to take part in scenario files (``Vendor.scenario``).

The shared loader parses and validates a scenario, resolves aliases and relative dates, and writes
everything in one store transaction. A vendor supplies only what is specific to its data: its fixed
account (users, keys), fast generators with its own id and date formats, and the derived fields an
explicit record needs to look as if it had been created through the API.

A vendor without an adapter can still be named in a scenario for explicit ``records`` (stored as
written, with ids in the spec's format) and ``base: default | none``; ``generate`` needs an adapter.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from mockserver.seeding.pools import Pools, pools
from mockserver.seeding.timefmt import epoch_seconds

if TYPE_CHECKING:
    from mockserver.store import DocumentStore
    from mockserver.vendors.base import Vendor

Docs = list[dict[str, Any]]


@dataclass(frozen=True)
class ResourcePlan:
    """One ``generate.<resource>`` entry, validated and with relative dates resolved."""

    count: int | None = None
    per: tuple[int, int] | None = None  # per parent record (children), inclusive range
    weights: dict[str, dict[str, float]] = field(default_factory=dict)
    created_from: datetime | None = None
    created_to: datetime | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def window(self, anchor: datetime, default_days: int) -> tuple[datetime, datetime]:
        """(earliest, latest) creation time; the latest is never after the anchor."""
        latest = min(self.created_to or anchor, anchor)
        earliest = self.created_from or latest - timedelta(days=default_days)
        return min(earliest, latest), latest


@dataclass
class GenContext:
    """What a generator may use: the seed, locale, time anchor and the vendor's store layout."""

    vendor: Vendor
    store: DocumentStore
    seed: int
    locale: str
    anchor: datetime  # "now" for the scenario: the server clock, or the scenario's fixed anchor
    stamp: Callable[[datetime], Any]  # the vendor's stored date format

    def rng(self, stream: str) -> random.Random:
        """An independent seeded stream: adding a generator never shifts another's values."""
        return random.Random(f"{self.seed}:{self.vendor.key}:{stream}")

    @property
    def pools(self) -> Pools:
        return pools(self.seed, self.locale)

    @property
    def anchor_epoch(self) -> int:
        return epoch_seconds(self.anchor)

    def collection(self, resource: str, tenant: str | None = None) -> str:
        return self.vendor.collection(resource, tenant)


class ScenarioAdapter:
    """Defaults that take part with explicit records only; override what the vendor can do."""

    #: Resources ``generate`` may name -> the fields whose distribution a scenario may weight,
    #: with their default weights ({"leads": {"status": {"new": 30, ...}}}). Values outside the
    #: defaults' keys are refused, naming the field.
    weights: dict[str, dict[str, dict[str, float]]] = {}  # noqa: RUF012
    #: Options each generated resource accepts, as JSON Schema properties.
    options: dict[str, dict[str, Any]] = {}  # noqa: RUF012
    #: Fields holding another record's id beyond the spec's parent links: {resource: {field: target}}.
    references: dict[str, dict[str, str]] = {}  # noqa: RUF012
    #: The partition explicit and generated records go to (vendors with live/test partitions).
    tenant: str | None = None

    def account(self, ctx: GenContext) -> dict[str, Docs]:
        """The fixed records every state of this vendor has (users, API keys, templates)."""
        return {}

    def generate(self, ctx: GenContext, plans: dict[str, ResourcePlan]) -> Iterator[tuple[Any, ...]]:
        """Batches of (resource, documents) for the ``generate`` section, in insertion order; a
        vendor with several partitions may yield (resource, documents, tenant) instead."""
        return iter(())

    def partition(self, resource: str, doc: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        """The partition an account or explicit record goes to, and the record to store (a
        vendor with live and test modes reads and drops its own selector field here)."""
        return self.tenant, doc

    def complete(self, ctx: GenContext, resource: str, doc: dict[str, Any]) -> dict[str, Any]:
        """An explicit record with the defaults the API would have filled in."""
        return doc

    def finalize(self, ctx: GenContext, records: dict[str, Docs]) -> None:
        """Derived data over all explicit records (counters, timelines), in place."""
