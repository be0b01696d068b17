"""Schemathesis contract run: the /dev/crm vendor fuzzed against its own spec, in-process.

Modelled on ``test_contract_ultra.py``: every operation through the examples, coverage and
fuzzing phases (positive and negative data) with every built-in check, plus the stateful phase
built from the spec's links (create a lead, convert it, read its customer; create a customer,
add interactions, request and process feedback; create an order, update and delete it).
Deterministic (fixed seed, derandomized, no example database) and bounded.
"""

from __future__ import annotations

import csv
import io
import zlib
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis.python import asgi as schemathesis_asgi

from mockserver.engine.spec import VendorSpec
from mockserver.specs import spec_path
from tests.conftest import build_app

pytestmark = pytest.mark.slow

AUTH = {"Authorization": "Bearer demo-token"}
SEED = 20250115
MAX_EXAMPLES = 15
STATEFUL_SCENARIOS = 30
STATEFUL_STEPS = 8


class _AppProxy:
    """An ASGI app forwarding to the vendor's app (Schemathesis picks its transport at collection)."""

    target: Any = None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if self.target is None:
            raise RuntimeError("the devcrm_app fixture is not active")
        await self.target(scope, receive, send)


APP = _AppProxy()


def _known(resource: str) -> list[str]:
    """Seeded records a positive case may name (no schema can say "an id that exists")."""
    store = APP.target.runtime.store
    vendor = APP.target.runtime.vendors["devcrm"]
    docs = store.find(vendor.collection(resource), limit=20, with_total=False).items
    return [d["id"] for d in docs if d.get("status") != "blocked"]


def _pick(known: list[str], value: str) -> str:
    return known[zlib.crc32(value.encode("utf-8", "surrogatepass")) % len(known)] if known else value


def _csv_for(case: schemathesis.Case, value: Any) -> bytes:
    """A valid CSV standing in for a positive case's random ``file`` (a random one is rightly a 400)."""
    tag = zlib.crc32(repr(value).encode("utf-8", "surrogatepass"))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["name", "email", "phone"])
    writer.writerow([f"Fuzz {tag}", f"fuzz{tag}@example.com", "+15550100"])
    return buffer.getvalue().encode()


def _null_links(case: schemathesis.Case) -> None:
    """A link from a nullable field (a customer's ``lead_id`` is null when it was not converted)
    yields a None path parameter, sent as the text "None": name a record that does not exist."""
    for name, value in (case.path_parameters or {}).items():
        if value is None:
            case.path_parameters[name] = "00000000-0000-4000-8000-000000000000"


def _positive_fixups(case: schemathesis.Case) -> None:
    if case.meta is None or case.meta.generation.mode != schemathesis.GenerationMode.POSITIVE:
        return
    body = case.body
    if not isinstance(body, dict):
        return
    if case.operation.path.endswith("/import") and "file" in body:
        body["file"] = _csv_for(case, body["file"])
    for field, resource in (("customer_id", "customers"), ("product_id", "products")):
        if isinstance(body.get(field), str) and case.operation.path.startswith("/orders"):
            body[field] = _pick(_known(resource), body[field])


def _config() -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
            "headers": dict(AUTH),
            "generation": {
                "mode": "all",
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": True, "max-steps": STATEFUL_STEPS},
            },
            "checks": {"enabled": True},
        }
    )


def _schema() -> Any:
    mount = VendorSpec(spec_path("devcrm")).mounts[0]
    document = {**mount.document, "servers": [{"url": mount.base_path}]}
    schema = schemathesis.openapi.from_dict(document, config=_config())
    schema.app = APP
    return schema


devcrm = _schema()


@pytest.fixture(scope="module", autouse=True)
def devcrm_app() -> Iterator[Any]:
    app = build_app("devcrm")
    app.runtime.reset()
    APP.target = app
    yield app
    schemathesis_asgi.shutdown_lifespans()
    APP.target = None
    app.runtime.reset()


@devcrm.parametrize()
def test_devcrm(case):
    _positive_fixups(case)
    case.call_and_validate()


def test_devcrm_stateful():
    class Machine(devcrm.as_state_machine()):  # type: ignore[misc]
        def setup(self):
            # each scenario from the seeded state: replays (and shrinking) see the same data
            APP.target.runtime.reset()

        def before_call(self, case):
            _null_links(case)
            _positive_fixups(case)

    Machine.run(
        settings=hypothesis.settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
    )
