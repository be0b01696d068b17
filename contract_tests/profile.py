"""What a vendor tells the toolkit about itself: a ``VendorContract``.

Each vendor package has a ``contract.py`` beside its dialect that builds one. The toolkit's generic
checks (``contract_tests.checks``) read it; shared code never asks which vendor it is. Everything
here describes the *wire* (headers, envelopes, formats), so the same contract holds for the mock
and for the real CRM it imitates.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from mockserver.engine.spec import VendorSpec
from mockserver.specs import spec_path

# A problem description (the check fails with it) or None (fine).
Verdict = str | None


@dataclass(frozen=True)
class Credentials:
    """What the user gave on the command line; ``secrets`` lists every value that must never show."""

    api_key: str | None = None
    token: str | None = None
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def secrets(self) -> list[str]:
        values = [v for v in (self.api_key, self.token) if v]
        values += [v for _, v in self.headers if v]
        return values

    @property
    def empty(self) -> bool:
        return not (self.api_key or self.token or self.headers)


@dataclass
class Auth:
    """How credentials travel: headers sent on every request, fields put into JSON bodies."""

    headers: dict[str, str] = field(default_factory=dict)
    body_fields: dict[str, str] = field(default_factory=dict)
    # header names that carry a credential (lower case): absent means "sent without credentials"
    header_names: tuple[str, ...] = ()


def _identity(value: Any) -> Any:
    return value


def _item_id(item: Any) -> Any:
    return item.get("id") if isinstance(item, dict) else item


def _client_error(mount: str, status: int, body: Any) -> bool:
    return 400 <= status < 500


@dataclass(frozen=True)
class ListProbe:
    """A list operation the pagination check pages through."""

    path: str  # relative to the mount, e.g. "/leads"
    page_param: str
    size_param: str
    items: Callable[[Any], list[Any] | None]
    total: Callable[[Any], int | None]
    first_page: int = 1  # 0 for offset-style APIs whose page parameter is an offset
    offset_style: bool = False
    method: str = "GET"
    body: Callable[[int, int], Any] | None = None  # RPC-style lists: (page, size) -> JSON body
    id_of: Callable[[Any], Any] = _item_id


@dataclass(frozen=True)
class CrudProbe:
    """Create a record, read it back, delete it, read it again: write-then-read and delete-then-get."""

    resource: str
    create: tuple[str, str]  # (method, path)
    body: Callable[[str], Any]  # run tag -> request body
    get: Callable[[str], tuple[str, str, Any]]  # id -> (method, path, body or None)
    delete: Callable[[str], tuple[str, str, Any]] | None
    id_of: Callable[[Any], str | None]  # create answer -> new id
    record_of: Callable[[Any], Any] = _identity  # read answer -> the record
    compare: tuple[str, ...] = ()  # fields that must read back as sent (dotted paths)
    sent_of: Callable[[Any], Any] = _identity  # request body -> the record sent
    gone: Callable[[int, Any], Verdict] | None = None  # (status, body) after delete: None if "gone"


@dataclass
class VendorContract:
    """One vendor's wire conventions and check parameters (see docs in each ``contract.py``)."""

    key: str
    # -- credentials -------------------------------------------------------------------------
    auth: Callable[[Credentials], Auth]
    mock_credentials: Credentials
    # -- envelopes ---------------------------------------------------------------------------
    # (mount, status, parsed body) of a refusal -> problem or None
    error_envelope: Callable[[str, int, Any], Verdict]
    # (mount, status, parsed body) -> is this answer a refusal? default: any 4xx
    is_refusal: Callable[[str, int, Any], bool] = _client_error
    # (mount, status, parsed body) of a request sent without credentials -> problem or None
    unauthenticated: Callable[[str, int, Any], Verdict] | None = None
    # mounts whose operations need credentials (others check their own way)
    secured_mounts: tuple[str, ...] = ()
    # -- headers, formats --------------------------------------------------------------------
    rate_limit_headers: tuple[str, ...] = ()  # all present and coherent on every answer
    rate_limit_mounts: tuple[str, ...] = ()
    documented_rate_limit: str | None = None  # e.g. "60/m": the pace safe mode keeps
    date_key: re.Pattern[str] | None = None
    date_value: Callable[[Any], bool] | None = None
    date_format_name: str = ""
    # -- probes ------------------------------------------------------------------------------
    lists: tuple[ListProbe, ...] = ()
    crud: tuple[CrudProbe, ...] = ()
    probe_mount: str = ""  # the mount the probes' paths are relative to (default: the spec's own)
    # -- generation --------------------------------------------------------------------------
    # (case, lookup) -> None: make a positive case reference-valid (lookup(list path) -> records)
    positive_fixups: Callable[[Any, Callable[[str], list[dict[str, Any]]]], None] | None = None
    # (check name, case, response) -> True when a failure is a documented, state-dependent refusal
    tolerate: Callable[[str, Any, Any], bool] | None = None
    disabled_checks: tuple[str, ...] = ()
    # -- safety ------------------------------------------------------------------------------
    # (mount, method, path, raw operation) -> "read" | "create" | "write"
    classify: Callable[[str, str, str, dict[str, Any]], str] | None = None
    # (body, tag) -> body carrying the run tag (a create in safe mode)
    tag_body: Callable[[Any, str], Any] | None = None
    # (mount, path of the create, answer body) -> (method, path, body) that deletes it, or None
    cleanup: Callable[[str, str, Any], tuple[str, str, Any] | None] | None = None
    stateful: bool = True
    notes: str = ""

    @property
    def spec(self) -> VendorSpec:
        return _spec(self.key)

    def default_classify(self, mount: str, method: str, path: str, raw: dict[str, Any]) -> str:
        if self.classify is not None:
            return self.classify(mount, method, path, raw)
        if method.upper() in ("GET", "HEAD", "OPTIONS"):
            return "read"
        if raw.get("x-mock-action") == "create":
            return "create"
        return "write"


_SPECS: dict[str, VendorSpec] = {}


def _spec(key: str) -> VendorSpec:
    if key not in _SPECS:
        _SPECS[key] = VendorSpec(spec_path(key))
    return _SPECS[key]


def vendor_keys() -> list[str]:
    """Every vendor with a spec in ``specs/`` (the spec files are the registry)."""
    folder = spec_path("ultra").parent
    return sorted(p.stem for p in folder.glob("*.yaml"))


def load_contract(key: str) -> VendorContract:
    """The ``CONTRACT`` of ``mockserver.vendors.<key>.contract``; LookupError if there is none."""
    if key not in vendor_keys():
        raise LookupError(f"unknown vendor {key!r}; known: {', '.join(vendor_keys())}")
    try:
        module = importlib.import_module(f"mockserver.vendors.{key}.contract")
    except ModuleNotFoundError as exc:
        raise LookupError(
            f"vendor {key!r} has no contract module (mockserver/vendors/{key}/contract.py)"
        ) from exc
    return module.CONTRACT


def dig(value: Any, dotted: str) -> Any:
    """``dig({"a": {"b": 1}}, "a.b") == 1``; None where the path does not exist."""
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def pick(dotted: str) -> Callable[[Any], Any]:
    """An extractor for probes: ``pick("pagination.total")(body)``, None where absent."""
    return lambda body: dig(body, dotted)


def walk_keys(value: Any, path: str = "") -> Iterable[tuple[str, str, Any]]:
    """(path, key, value) for every key of every object nested in a JSON value."""
    if isinstance(value, dict):
        for k, v in value.items():
            here = f"{path}.{k}" if path else str(k)
            yield here, str(k), v
            yield from walk_keys(v, here)
    elif isinstance(value, list):
        for i, v in enumerate(value[:50]):
            yield from walk_keys(v, f"{path}[{i}]")


ISO_8601 = re.compile(r"^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?)?$")


def is_iso_8601(value: Any) -> bool:
    return isinstance(value, str) and bool(ISO_8601.match(value))
