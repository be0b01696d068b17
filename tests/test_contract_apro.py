"""Schemathesis contract run: APRO CRM (``/sharedapi`` plus ``/onlineforms``, ``/files/crm`` and
``/sms``) fuzzed against its own spec, in-process.

Modelled on ``test_contract_ultra.py``: every operation through the examples, coverage and fuzzing
phases (positive and negative data) with the built-in checks: no 5xx, responses that match their
schemas and documented status codes, 405 for undocumented methods.

One built-in check is off: ``negative_data_rejection`` expects invalid data to get a 4xx, but APRO
answers every API-level refusal with HTTP 200 and ``{"status": "fail", "message": CODE}`` (the
document has no HTTP statuses; its PHP library reads only the JSON). ``apro_refusals_are_fail``
checks that instead: a case whose body is not even an ``{apikey, params}`` object is refused in the
fail envelope. The spec has no links (RPC calls), so there is no stateful phase.

Deterministic (fixed seed, derandomized Hypothesis, no example database) and bounded.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from schemathesis.python import asgi as schemathesis_asgi

from mockserver.engine.spec import VendorSpec
from mockserver.specs import spec_path
from mockserver.vendors.apro.seed import DEMO_KEY
from tests.conftest import build_app

pytestmark = pytest.mark.slow

SEED = 20250115
MAX_EXAMPLES = 3


class _AppProxy:
    """An ASGI app forwarding to the vendor's app (Schemathesis picks its transport at collection)."""

    target: Any = None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if self.target is None:
            raise RuntimeError("the apro_app fixture is not active")
        await self.target(scope, receive, send)


APP = _AppProxy()


@schemathesis.check
def apro_refusals_are_fail(ctx: Any, response: Any, case: schemathesis.Case) -> bool | None:
    """A /sharedapi answer is always the envelope; a body that is not an object is refused."""
    if not case.operation.path.startswith("/") or case.operation.method.upper() != "POST":
        return None
    if not str(case.operation.base_url or "").endswith("/sharedapi") or response.status_code != 200:
        return None
    if "json" not in response.headers.get("content-type", [""])[0]:
        return None
    body = response.json()
    assert isinstance(body, dict) and body.get("status") in ("success", "fail"), body
    if case.media_type == "application/json" and not isinstance(case.body, dict):
        assert body["status"] == "fail", f"non-object body accepted: {case.body!r}"
    return None


def _positive_fixups(case: schemathesis.Case) -> None:
    """Positive cases use the demo key, so they reach the calls instead of stopping at ACCESS_DENY."""
    if case.meta is None or case.meta.generation.mode != schemathesis.GenerationMode.POSITIVE:
        return
    if isinstance(case.body, dict) and "apikey" in case.body:
        case.body["apikey"] = DEMO_KEY


def _config() -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
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
                "stateful": {"enabled": False},
            },
            "checks": {"enabled": True, "negative_data_rejection": {"enabled": False}},
        }
    )


def _schemas() -> dict[str, Any]:
    out = {}
    for mount in VendorSpec(spec_path("apro")).mounts:
        document = {**mount.document, "servers": [{"url": mount.base_path}]}
        schema = schemathesis.openapi.from_dict(document, config=_config())
        schema.app = APP
        out[mount.base_path] = schema
    return out


SCHEMAS = _schemas()
sharedapi = SCHEMAS["/sharedapi"]
onlineforms = SCHEMAS["/onlineforms"]
files = SCHEMAS["/files/crm"]
sms = SCHEMAS["/sms"]


@pytest.fixture(scope="module", autouse=True)
def apro_app() -> Iterator[Any]:
    app = build_app("apro")
    app.runtime.reset()
    APP.target = app
    yield app
    schemathesis_asgi.shutdown_lifespans()
    APP.target = None
    app.runtime.reset()


@sharedapi.parametrize()
def test_apro_sharedapi(case):
    _positive_fixups(case)
    case.call_and_validate()


@onlineforms.parametrize()
def test_apro_onlineforms(case):
    case.call_and_validate()


@files.parametrize()
def test_apro_files(case):
    case.call_and_validate()


@sms.parametrize()
def test_apro_sms(case):
    case.call_and_validate()
