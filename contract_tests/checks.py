"""The vendor checks: response checks that Schemathesis runs on every answer, and probes.

Response checks (``error_envelope``, ``auth_required``, ``rate_limit_headers``, ``id_format``,
``date_format``) are registered with Schemathesis once and find the run they belong to through the
case's schema (``bind``); on any other schema they do nothing, so several runs (or vendors) can
share a process. Probes (``pagination_consistency``, ``write_then_read``, ``delete_then_get``,
``credentials_required``) need several requests in a set order, so they run after the engine with
a plain HTTP client.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import schemathesis

from contract_tests.profile import Auth, VendorContract, dig, walk_keys

BUILTIN_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "positive_data_acceptance",
    "negative_data_rejection",
    "missing_required_header",
    "unsupported_method",
    "use_after_free",
    "ensure_resource_availability",
    "ignored_auth",
)
RESPONSE_CHECKS = ("error_envelope", "auth_required", "rate_limit_headers", "id_format", "date_format")
PROBE_CHECKS = ("pagination_consistency", "write_then_read", "delete_then_get", "credentials_required")


@dataclass
class Binding:
    """What a response check needs to know about the run a schema belongs to."""

    contract: VendorContract
    mount: str
    auth: Auth
    id_formats: dict[str, re.Pattern[str]] = field(default_factory=dict)  # "POST /leads" -> id pattern


_BINDINGS: dict[int, Binding] = {}


def bind(schema: Any, binding: Binding) -> None:
    _BINDINGS[id(schema)] = binding


def unbind(schema: Any) -> None:
    _BINDINGS.pop(id(schema), None)


def binding_for(case: Any) -> Binding | None:
    return _BINDINGS.get(id(case.operation.schema))


def _json(response: Any) -> Any:
    try:
        return json.loads(response.content or b"null")
    except (ValueError, UnicodeDecodeError):
        return None


def _header(response: Any, name: str) -> str | None:
    value = response.headers.get(name.lower()) or response.headers.get(name)
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _sent_credentials(response: Any, auth: Auth) -> bool:
    request = getattr(response, "request", None)
    if request is None:
        return True
    names = {k.lower() for k in request.headers}
    return any(h in names for h in auth.header_names)


@schemathesis.check
def error_envelope(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every refusal comes in the vendor's documented error envelope (clients parse it)."""
    b = binding_for(case)
    if b is None:
        return None
    body = _json(response)
    if not b.contract.is_refusal(b.mount, response.status_code, body):
        return None
    problem = b.contract.error_envelope(b.mount, response.status_code, body)
    if problem:
        raise AssertionError(f"{response.status_code} refusal not in the vendor's envelope: {problem}")
    return True


@schemathesis.check
def auth_required(ctx: Any, response: Any, case: Any) -> bool | None:
    """A secured operation called without credentials is refused, in the vendor's envelope."""
    b = binding_for(case)
    if b is None or b.contract.unauthenticated is None or not b.auth.header_names:
        return None
    if b.contract.secured_mounts and b.mount not in b.contract.secured_mounts:
        return None
    if not case.operation.definition.raw.get("security", True) or _sent_credentials(response, b.auth):
        return None
    if response.status_code == 404 or response.status_code == 405:
        return None  # routing answered before authentication could
    problem = b.contract.unauthenticated(b.mount, response.status_code, _json(response))
    if problem:
        raise AssertionError(f"request without credentials not refused properly: {problem}")
    return True


@schemathesis.check
def rate_limit_headers(ctx: Any, response: Any, case: Any) -> bool | None:
    """The documented rate-limit headers are on the answer and agree with each other."""
    b = binding_for(case)
    if b is None or not b.contract.rate_limit_headers:
        return None
    if b.contract.rate_limit_mounts and b.mount not in b.contract.rate_limit_mounts:
        return None
    values: dict[str, int] = {}
    for name in b.contract.rate_limit_headers:
        raw = _header(response, name)
        if raw is None:
            raise AssertionError(f"header {name} missing")
        try:
            values[name] = int(raw)
        except ValueError as exc:
            raise AssertionError(f"header {name} is not an integer: {raw!r}") from exc
    limit, remaining = (
        values.get(b.contract.rate_limit_headers[0]),
        values.get(b.contract.rate_limit_headers[1]),
    )
    if limit is not None and remaining is not None and not 0 <= remaining <= limit:
        raise AssertionError(f"remaining {remaining} is outside 0..limit {limit}")
    if response.status_code == 429 and _header(response, "Retry-After") is None:
        raise AssertionError("429 without Retry-After")
    return True


@schemathesis.check
def id_format(ctx: Any, response: Any, case: Any) -> bool | None:
    """A created record's id has the documented format (prefix, alphabet, length)."""
    b = binding_for(case)
    if b is None or not 200 <= response.status_code < 300:
        return None
    pattern = b.id_formats.get(f"{case.method.upper()} {case.path}")
    if pattern is None:
        return None
    body = _json(response)
    record = body.get("data", body) if isinstance(body, dict) and "id" not in body else body
    ident = record.get("id") if isinstance(record, dict) else None
    if ident is None:
        return None
    if not pattern.fullmatch(str(ident)):
        raise AssertionError(f"id {ident!r} does not match {pattern.pattern}")
    return True


@schemathesis.check
def date_format(ctx: Any, response: Any, case: Any) -> bool | None:
    """Dates use the vendor's one documented wire format (ISO 8601, epoch seconds, ...)."""
    b = binding_for(case)
    c = b.contract if b else None
    if c is None or c.date_key is None or c.date_value is None or response.status_code >= 400:
        return None
    for path, key, value in walk_keys(_json(response)):
        if value is None or isinstance(value, dict | list) or not c.date_key.search(key):
            continue
        if not c.date_value(value):
            raise AssertionError(f"{path} = {value!r} is not {c.date_format_name}")
    return True


# -- probes -------------------------------------------------------------------------------------


@dataclass
class ProbeResult:
    check: str
    operation: str
    ok: bool
    message: str = ""
    requests: list[tuple[str, str, Any]] = field(default_factory=list)  # (method, url path, body)


Send = Callable[[str, str, Any, bool], tuple[int, Any, dict[str, str]]]


def run_probes(
    contract: VendorContract, send: Send, tag: str, operations: list[tuple[str, str, bool]]
) -> Iterator[ProbeResult]:
    """Run every probe the contract declares. ``send(method, path, body, with_auth)``;
    ``operations`` lists (method, path, secured) of the mount to probe for credentials."""
    for probe in contract.lists:
        yield _pagination(probe, send)
    for crud in contract.crud:
        yield from _crud(crud, send, tag)
    yield from _credentials(contract, send, operations)


def _pagination(probe: Any, send: Send) -> ProbeResult:
    label = f"{probe.method} {probe.path}"
    size = 2
    result = ProbeResult("pagination_consistency", label, True)

    def page(n: int) -> tuple[list[Any], int | None]:
        number = n * size if probe.offset_style else probe.first_page + n
        if probe.body is not None:
            body, path = probe.body(number, size), probe.path
        else:
            sep = "&" if "?" in probe.path else "?"
            body, path = None, f"{probe.path}{sep}{probe.page_param}={number}&{probe.size_param}={size}"
        result.requests.append((probe.method, path, body))
        status, data, _ = send(probe.method, path, body, True)
        if status != 200:
            raise AssertionError(f"page {number} answered {status}")
        items = probe.items(data)
        if items is None:
            raise AssertionError(f"page {number}: no item list in {str(data)[:200]}")
        return items, probe.total(data)

    try:
        first, total = page(0)
        if total is None:
            raise AssertionError("no total in the first page")
        pages = [first]
        seen = [probe.id_of(i) for i in first]
        wanted = min(total, 3 * size)
        n = 1
        while len(seen) < wanted and n < 4:
            items, again = page(n)
            if again != total:
                raise AssertionError(f"total changed between pages: {total} then {again}")
            pages.append(items)
            seen += [probe.id_of(i) for i in items]
            n += 1
        if any(len(p) > size for p in pages):
            raise AssertionError(f"a page holds more than {size} items")
        if len(set(map(str, seen))) != len(seen):
            raise AssertionError(f"pages overlap: ids {seen}")
        if len(seen) != wanted:
            raise AssertionError(f"total {total} says {wanted} items in the first {n} pages; got {len(seen)}")
        # the whole list in one page agrees with the pages
        whole_size = max(wanted, 1)
        number = 0 if probe.offset_style else probe.first_page
        if probe.body is not None:
            body, path = probe.body(number, whole_size), probe.path
        else:
            sep = "&" if "?" in probe.path else "?"
            body, path = None, f"{probe.path}{sep}{probe.page_param}={number}&{probe.size_param}={whole_size}"
        status, data, _ = send(probe.method, path, body, True)
        whole = [probe.id_of(i) for i in (probe.items(data) or [])]
        if status == 200 and whole[: len(seen)] != seen:
            raise AssertionError(f"pages skip or reorder items: pages {seen}, one page {whole}")
    except AssertionError as exc:
        result.ok, result.message = False, str(exc)
    return result


def _crud(crud: Any, send: Send, tag: str) -> Iterator[ProbeResult]:
    method, path = crud.create
    label = f"{method} {path}"
    write = ProbeResult("write_then_read", label, True)
    gone = ProbeResult("delete_then_get", label, True)
    body = crud.body(tag)
    write.requests.append((method, path, body))
    status, data, _ = send(method, path, body, True)
    new_id = crud.id_of(data) if 200 <= status < 300 else None
    if new_id is None:
        write.ok, write.message = False, f"create answered {status}: {str(data)[:300]}"
        gone.ok, gone.message = False, "not run: the create failed"
        yield write
        yield gone
        return
    g_method, g_path, g_body = crud.get(new_id)
    write.requests.append((g_method, g_path, g_body))
    status, data, _ = send(g_method, g_path, g_body, True)
    record = crud.record_of(data) if status == 200 else None
    if record is None:
        write.ok, write.message = False, f"reading {new_id} back answered {status}: {str(data)[:300]}"
    else:
        for name in crud.compare:
            sent, got = dig(crud.sent_of(body), name), dig(record, name)
            if sent != got:
                write.ok, write.message = False, f"{name}: sent {sent!r}, read back {got!r}"
                break
    yield write
    if crud.delete is None:
        gone.ok, gone.message = True, "no delete operation"
        yield gone
        return
    d_method, d_path, d_body = crud.delete(new_id)
    gone.requests += [(d_method, d_path, d_body), (g_method, g_path, g_body)]
    status, data, _ = send(d_method, d_path, d_body, True)
    if not 200 <= status < 300:
        gone.ok, gone.message = False, f"delete answered {status}: {str(data)[:300]}"
    else:
        status, data, _ = send(g_method, g_path, g_body, True)
        problem = crud.gone(status, data) if crud.gone else (None if status == 404 else f"answered {status}")
        if problem:
            gone.ok, gone.message = False, f"deleted {new_id} still readable: {problem}"
    yield gone


def _credentials(
    contract: VendorContract, send: Send, operations: list[tuple[str, str, bool]]
) -> Iterator[ProbeResult]:
    if contract.unauthenticated is None:
        return
    mount = contract.probe_mount or contract.spec.base_path
    for method, path, secured in operations:
        if not secured:
            continue
        concrete = re.sub(r"\{[^}]+\}", "probe-0", path)
        body = {} if method in ("POST", "PUT", "PATCH") else None
        result = ProbeResult(
            "credentials_required", f"{method} {path}", True, requests=[(method, concrete, body)]
        )
        status, data, _ = send(method, concrete, body, False)
        problem = contract.unauthenticated(mount, status, data)
        if problem:
            result.ok, result.message = False, f"answered {status} without credentials: {problem}"
        yield result
