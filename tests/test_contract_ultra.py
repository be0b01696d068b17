"""Schemathesis contract run: CRM-Ultra (``/v1`` and ``/oauth``) fuzzed against its own spec.

Everything runs in-process against the ASGI app of ``conftest.app`` (no sockets):

* ``test_ultra_v1`` / ``test_ultra_oauth``: every operation through Schemathesis's examples,
  coverage and fuzzing phases (positive and negative data), with every built-in check enabled.
* ``test_ultra_stateful``: the stateful phase, a state machine built from the spec's OpenAPI links
  (create a lead, then read / update / delete it and add notes, tasks, emails to it; register a
  webhook, then read / delete it), with the same checks.

The ``/oauth`` operations are in the same spec, under a path-level ``servers`` override; the app
mounts them as a second document (``/oauth/openapi.json``), and they get a schema of their own here,
built from that same mount document.

Deterministic (fixed seed, derandomized Hypothesis, no example database) and bounded
(``MAX_EXAMPLES`` fuzzed cases per operation; the examples and coverage phases are finite).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis.python import asgi as schemathesis_asgi

from mockserver.engine.spec import VendorSpec
from mockserver.specs import spec_path

pytestmark = pytest.mark.slow

AUTH = {"X-API-Key": "demo-key"}
SEED = 20250115
# Fuzzing-phase cases per operation (positive and negative data); the examples and coverage
# phases add their own finite sets of cases on top.
MAX_EXAMPLES = 100
# Stateful phase: scenarios, and calls per scenario.
STATEFUL_SCENARIOS = 100
STATEFUL_STEPS = 8


class _AppProxy:
    """An ASGI app that forwards to the session's app.

    Schemathesis picks its in-process transport from ``schema.app`` when the tests are collected,
    but the app is a pytest fixture. (``schemathesis.pytest.from_fixture`` would defer loading to
    the fixture, but its lazy schemas fail on pytest 9: ``Function`` has no ``_nodeid``.)
    """

    target: Any = None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if self.target is None:
            raise RuntimeError("the ultra_app fixture is not active")
        await self.target(scope, receive, send)


APP = _AppProxy()


# Fields that name another record. No schema can say "an id that exists", so a random value gets
# a 422 / 400 that is right, yet `positive_data_acceptance` reads it as a rejected valid request.
# Positive cases (every phase) name seeded, documented records instead; negative cases are sent
# as generated. The known values satisfy the same schemas, so the cases stay schema-valid.
KNOWN = {
    ("body", "assignedTo"): ["user_abc123", "user_xyz789"],
    ("body", "assigneeId"): ["user_abc123", "user_xyz789"],
    ("body", "templateId"): [
        "template_quote_followup",
        "template_welcome",
        "template_renewal",
        "template_documents",
    ],
    ("query", "client_id"): ["demo-client"],
    ("query", "redirect_uri"): ["http://localhost:8080/callback", "http://127.0.0.1:8080/callback"],
}


def _known_references(case: schemathesis.Case) -> None:
    """Point a positive case's references at records that exist (deterministically)."""
    if case.meta is None or case.meta.generation.mode != schemathesis.GenerationMode.POSITIVE:
        return
    for (location, name), known in KNOWN.items():
        container = case.body if location == "body" else case.query
        if isinstance(container, dict) and isinstance(container.get(name), str):
            value = container[name]
            if value not in known:
                container[name] = known[zlib.crc32(value.encode("utf-8", "surrogatepass")) % len(known)]


def _config() -> schemathesis.Config:
    """All phases and all built-in checks on (the defaults), made deterministic and bounded."""
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


def _schemas() -> dict[str, Any]:
    """One Schemathesis schema per mount of the ultra spec ('/v1', '/oauth'), sent to APP."""
    out = {}
    for mount in VendorSpec(spec_path("ultra")).mounts:
        document = {**mount.document, "servers": [{"url": mount.base_path}]}
        schema = schemathesis.openapi.from_dict(document, config=_config())
        schema.app = APP
        out[mount.base_path] = schema
    return out


SCHEMAS = _schemas()
v1 = SCHEMAS["/v1"]
oauth = SCHEMAS["/oauth"]


@pytest.fixture(scope="module", autouse=True)
def ultra_app(app) -> Iterator[Any]:
    """Point APP at the session app, at its seeded state; reset it again afterwards."""
    app.runtime.reset()
    APP.target = app
    yield app
    # Schemathesis keeps the app's ASGI lifespan running on a shared portal thread: stop it
    # (the portal thread itself is closed by Schemathesis's atexit hook).
    schemathesis_asgi.shutdown_lifespans()
    APP.target = None
    app.runtime.reset()


@v1.parametrize()
def test_ultra_v1(case):
    _known_references(case)
    case.call_and_validate()


@oauth.parametrize()
def test_ultra_oauth(case):
    _known_references(case)
    case.call_and_validate()


def test_ultra_stateful(ultra_app):
    class Machine(v1.as_state_machine()):  # type: ignore[misc]
        def setup(self):
            # Each scenario starts from the seeded state, so a replayed scenario (Hypothesis
            # replays and shrinks) meets the same state and gets the same answers.
            ultra_app.runtime.reset()

        def before_call(self, case):
            _known_references(case)

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
