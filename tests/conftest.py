"""Shared fixtures: the real app in-process (ASGI), reset to the seeded state for each test."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

warnings.filterwarnings("ignore", message=".*httpx.*starlette.testclient.*")

from starlette.testclient import TestClient  # noqa: E402

from mockserver.app import create_app  # noqa: E402
from mockserver.settings import Settings  # noqa: E402

DEMO_KEY = "demo-key"
AUTH = {"X-API-Key": DEMO_KEY}


_APPS: dict[tuple[str, ...], object] = {}


def build_app(*vendors: str):
    """One in-memory app per set of vendors per test process; tests reset it, not rebuild it."""
    if vendors not in _APPS:
        _APPS[vendors] = create_app(Settings(db=":memory:", seed=42, vendors=vendors))
    return _APPS[vendors]


@pytest.fixture(scope="session")
def app():
    """The CRM-Ultra app (vendor tests build their own with ``build_app("key")``)."""
    return build_app("ultra")


@pytest.fixture
def runtime(app):
    return app.runtime


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    """An HTTP client on the in-process app, with the store back at its seeded state."""
    app.runtime.reset()
    with TestClient(app, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def auth() -> dict[str, str]:
    return dict(AUTH)
