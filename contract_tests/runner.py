"""One contract run: build the schemas, drive Schemathesis's engine, run the probes, collect results.

Schemathesis's engine (``schemathesis.engine.from_schema(schema).execute()``) runs every phase
(examples, coverage, fuzzing, stateful via links) with every built-in check plus the vendor's
response checks; its events feed the progress display and the results. The probes run after it.
In safe mode the run only reads and creates (every create tagged with the run tag), and deletes
what it created at the end.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import schemathesis
from schemathesis.engine import events, from_schema

from contract_tests import checks as vendor_checks
from contract_tests.profile import Auth, Credentials, VendorContract, load_contract

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
PHASES = ("examples", "coverage", "fuzzing", "stateful")
DEFAULT_SEED = 20250115
DEFAULT_MAX_EXAMPLES = 10
MOCK_ORIGIN = "http://localhost:8000"  # where `make serve` answers: reproductions of mock runs point here
PLACEHOLDER = "$CRM_CONTRACT_SECRET"


class ConfigurationError(Exception):
    """A run that cannot start: the message says what to fix (exit code 2)."""


@dataclass
class RunSettings:
    vendor: str
    target: str = "url"  # "url" or "mock"
    base_url: str | None = None
    credentials: Credentials = field(default_factory=Credentials)
    mode: str | None = None  # "safe" | "full"; None: full against the mock, safe elsewhere
    seed: int = DEFAULT_SEED
    max_examples: int = DEFAULT_MAX_EXAMPLES
    workers: int = 1
    phases: tuple[str, ...] = PHASES
    operations: str | None = None  # regex over "METHOD /path" labels
    stateful_steps: int = 6
    rate_limit: str | None = None  # safe mode pace, e.g. "60/m"; default the vendor's documented one
    dry_run: bool = False
    request_timeout: float = 10.0
    app: Any = None  # target mock: an ASGI app to test instead of a fresh one (mutants)
    reset: Callable[[], None] | None = None  # target mock: back to the seeded state

    @property
    def effective_mode(self) -> str:
        return self.mode or ("full" if self.target == "mock" else "safe")


@dataclass
class Failure:
    check: str
    operation: str
    title: str
    message: str
    curl: str
    seed: int
    phase: str


@dataclass
class RunResult:
    vendor: str
    mode: str
    seed: int
    target: str
    operations: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    # (operation, check) -> "pass" | "fail"; absent: not run
    matrix: dict[tuple[str, str], str] = field(default_factory=dict)
    documented_codes: dict[str, list[str]] = field(default_factory=dict)
    seen_codes: dict[str, set[int]] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cases: int = 0
    duration: float = 0.0
    created: list[tuple[str, str]] = field(default_factory=list)  # (method path) of created records
    cleaned: int = 0
    deleted: list[str] = field(default_factory=list)  # paths the cleanup deleted (records the run created)
    plan: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures and not self.errors

    def failed_checks(self) -> set[str]:
        return {f.check for f in self.failures}

    def mark(self, operation: str, check: str, passed: bool) -> None:
        key = (operation, check)
        if not passed:
            self.matrix[key] = "fail"
        else:
            self.matrix.setdefault(key, "pass")


Progress = Callable[[str, int, int, int], None]  # (phase, done, total, failures)


class Redactor:
    """Replaces every secret with a placeholder wherever text leaves the run."""

    def __init__(self, secrets: list[str]) -> None:
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, PLACEHOLDER)
        return text.replace("[Filtered]", PLACEHOLDER)


# -- hooks: registered once, dispatch to the run a case belongs to --------------------------------


@dataclass
class _Run:
    contract: VendorContract
    settings: RunSettings
    auth: Auth
    mount: str
    tag: str
    known: Callable[[str], list[dict[str, Any]]]
    creates: set[str]
    created: list[tuple[str, str, Any]]
    lock: threading.Lock
    pace: float  # seconds between requests (0: no pacing)
    last: list[float]


_RUNS: dict[int, _Run] = {}
_HOOKS_DONE = False


def _install_hooks() -> None:
    global _HOOKS_DONE
    if _HOOKS_DONE:
        return
    _HOOKS_DONE = True

    @schemathesis.hook("before_call")
    def _before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
        run = _RUNS.get(id(case.operation.schema))
        if run is None:
            return
        label = f"{case.method.upper()} {case.path}"
        positive = is_positive(case)
        if positive and isinstance(case.body, dict):
            for name, value in run.auth.body_fields.items():
                if name in case.body:
                    case.body[name] = value
        # Reference fixups on every case: Schemathesis revalidates an edited case, so a negative case
        # that an edit (the safe-mode tag) makes valid is judged as positive, with real references.
        if run.contract.positive_fixups is not None and positive:
            run.contract.positive_fixups(case, run.known)
        elif run.contract.positive_fixups is not None and label in run.creates:
            with contextlib.suppress(Exception):  # a negative case may have any shape
                run.contract.positive_fixups(case, run.known)
        if label in run.creates and run.settings.effective_mode == "safe" and run.contract.tag_body:
            case.body = run.contract.tag_body(case.body, run.tag)
        if run.pace:
            with run.lock:
                wait = run.last[0] + run.pace - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                run.last[0] = time.monotonic()

    @schemathesis.hook("after_call")
    def _after_call(context: Any, case: Any, response: Any) -> None:
        run = _RUNS.get(id(case.operation.schema))
        if run is None or not 200 <= response.status_code < 300:
            return
        label = f"{case.method.upper()} {case.path}"
        if label in run.creates:
            try:
                body = json.loads(response.content or b"null")
            except ValueError:
                body = None
            with run.lock:
                run.created.append((run.mount, case.formatted_path, body))

    @schemathesis.hook("filter_failure")
    def _filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
        run = _RUNS.get(id(case.operation.schema))
        if run is None or run.contract.tolerate is None:
            return True
        return not any(run.contract.tolerate(name, case, response) for name in type(failure).checks)


def is_positive(case: Any) -> bool:
    """Schema-valid in every part (a coverage case can be negative in one component only)."""
    meta = case.meta
    if meta is None:
        return True
    mode = schemathesis.GenerationMode.POSITIVE
    return meta.generation.mode == mode and all(c.mode == mode for c in meta.components.values())


# -- building schemas -----------------------------------------------------------------------------


def _label(method: str, path: str) -> str:
    return f"{method.upper()} {path}"


def select_operations(
    contract: VendorContract, settings: RunSettings
) -> dict[str, list[tuple[str, str, str]]]:
    """mount -> [(method, path, class)] of the operations this run may call."""
    pattern = re.compile(settings.operations) if settings.operations else None
    out: dict[str, list[tuple[str, str, str]]] = {}
    for mount in contract.spec.mounts:
        ops = []
        for path, item in mount.document.get("paths", {}).items():
            for method in HTTP_METHODS:
                if method not in item:
                    continue
                kind = contract.default_classify(mount.base_path, method.upper(), path, item[method])
                if settings.effective_mode == "safe" and kind == "write":
                    continue
                if settings.effective_mode == "safe" and kind == "create" and contract.cleanup is None:
                    continue
                if pattern and not pattern.search(_label(method, path)):
                    continue
                ops.append((method.upper(), path, kind))
        out[mount.base_path] = ops
    return out


def _filtered_document(document: dict[str, Any], keep: set[tuple[str, str]]) -> dict[str, Any]:
    """The mount's document with only the kept operations, and links only to kept operations."""
    doc = copy.deepcopy(document)
    kept_ids = set()
    paths = {}
    for path, item in doc.get("paths", {}).items():
        new = {k: v for k, v in item.items() if k not in HTTP_METHODS or (k.upper(), path) in keep}
        if any(k in HTTP_METHODS for k in new):
            paths[path] = new
            kept_ids |= {new[k].get("operationId") for k in new if k in HTTP_METHODS}
    doc["paths"] = paths
    for item in paths.values():
        for method in HTTP_METHODS:
            for response in (item.get(method) or {}).get("responses", {}).values():
                links = response.get("links") if isinstance(response, dict) else None
                if links:
                    for name in [n for n, link in links.items() if link.get("operationId") not in kept_ids]:
                        del links[name]
    return doc


def _mount_urls(contract: VendorContract, settings: RunSettings) -> dict[str, str]:
    """mount -> base URL. A real target's URL names the main mount; the others sit beside it."""
    main = contract.spec.base_path
    if settings.target == "mock":
        return {m.base_path: m.base_path for m in contract.spec.mounts}
    if not settings.base_url:
        raise ConfigurationError("give --base-url URL (the CRM's API root) or --target mock")
    parsed = urlparse(settings.base_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigurationError(f"--base-url must be an http(s) URL, got {settings.base_url!r}")
    url = settings.base_url.rstrip("/")
    out = {main: url}
    if main and parsed.path.rstrip("/").endswith(main):
        origin = url[: len(url) - len(main)]
        for mount in contract.spec.mounts:
            out.setdefault(mount.base_path, origin + mount.base_path)
    return out


def _config(
    settings: RunSettings,
    contract: VendorContract,
    auth: Auth,
    enabled: list[str],
    base_url: str | None = None,
) -> schemathesis.Config:
    phases = {p: {"enabled": p in settings.phases} for p in PHASES}
    phases["stateful"]["max-steps"] = settings.stateful_steps
    checks: dict[str, Any] = {"enabled": True}
    for name in contract.disabled_checks:
        checks[name] = {"enabled": False}
    data: dict[str, Any] = {
        "seed": settings.seed,
        "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
        "headers": dict(auth.headers),
        "workers": max(1, settings.workers),
        "request-timeout": settings.request_timeout,
        "generation": {
            "mode": "all",
            "max-examples": settings.max_examples,
            "deterministic": True,
            "database": "none",
        },
        "phases": phases,
        "checks": checks,
    }
    if base_url:
        data["base-url"] = base_url
    if settings.effective_mode == "safe":
        data["rate-limit"] = "auto"  # wait out 429s (Retry-After); the pace itself is kept by our hook
    return schemathesis.Config.from_dict(data)


def _resetting(build: Callable[..., Any], reset: Callable[[], None]) -> Callable[..., Any]:
    """Each stateful scenario starts from the seeded state, so replays meet the same data."""

    def wrapped(**kwargs: Any) -> Any:
        machine = build(**kwargs)

        class Resetting(machine):  # type: ignore[misc, valid-type]
            def __init__(self) -> None:
                reset()
                super().__init__()

        Resetting.__name__ = machine.__name__
        return Resetting

    return wrapped


def _pace(rate: str | None) -> float:
    if not rate:
        return 0.0
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(s|m|h)\s*", rate)
    if not match:
        raise ConfigurationError(f"rate limit {rate!r}: write it as N/s, N/m or N/h (e.g. 60/m)")
    per = {"s": 1, "m": 60, "h": 3600}[match.group(2)]
    return per / max(1, int(match.group(1)))


# -- the target ----------------------------------------------------------------------------------


class Target:
    """Where requests go: the in-process mock app or a real base URL; a small sync client."""

    def __init__(self, contract: VendorContract, settings: RunSettings, urls: dict[str, str]) -> None:
        self.contract = contract
        self.settings = settings
        self.urls = urls
        self.app = None
        self.own_app = False
        if settings.target == "mock":
            self.app = settings.app
            if self.app is None:
                from mockserver.app import create_app
                from mockserver.settings import Settings

                self.app = create_app(Settings(db=":memory:", seed=42, vendors=(contract.key,)))
                self.own_app = True
            from starlette.testclient import TestClient

            self.client: Any = TestClient(self.app, base_url="http://localhost")
        else:
            import httpx

            self.client = httpx.Client(timeout=settings.request_timeout)

    def reset(self) -> None:
        if self.settings.reset is not None:
            self.settings.reset()
        elif self.app is not None and hasattr(self.app, "runtime"):
            self.app.runtime.reset()

    def url(self, mount: str, path: str) -> str:
        base = self.urls.get(mount, "")
        return (base if self.settings.target != "mock" else "http://localhost" + base) + path

    def send(
        self, mount: str, auth: Auth | None, method: str, path: str, body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        headers = dict(auth.headers) if auth else {}
        if isinstance(body, dict) and auth:
            body = {**body, **auth.body_fields}
        kwargs: dict[str, Any] = {"headers": headers}
        if body is not None:
            kwargs["json"] = body
        for _attempt in range(5):
            response = self.client.request(method, self.url(mount, path), **kwargs)
            if response.status_code != 429:
                break
            time.sleep(min(float(response.headers.get("retry-after", "1") or 1), 30.0))
        try:
            data = response.json()
        except ValueError:
            data = None
        return response.status_code, data, dict(response.headers)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close()


# -- the run ------------------------------------------------------------------------------------


def plan(settings: RunSettings) -> list[str]:
    """What a run would do, without sending anything (``--dry-run``)."""
    contract = load_contract(settings.vendor)
    urls = _mount_urls(contract, settings)
    selected = select_operations(contract, settings)
    lines = [
        f"vendor {contract.key}, mode {settings.effective_mode}, seed {settings.seed}, "
        f"max examples {settings.max_examples}, phases {', '.join(settings.phases)}"
    ]
    for mount, ops in selected.items():
        if mount not in urls:
            continue
        lines.append(f"{urls[mount]}: {len(ops)} operations")
        lines += [f"  {m:6} {p}  ({kind})" for m, p, kind in ops]
    lines.append("vendor checks: " + ", ".join(vendor_checks.RESPONSE_CHECKS + vendor_checks.PROBE_CHECKS))
    if settings.effective_mode == "safe":
        pace = settings.rate_limit or contract.documented_rate_limit or "unlimited"
        lines.append(
            f"safe mode: reads and tagged creates only, deleted at the end; pace {pace}; backs off on 429"
        )
    return lines


def run_contract(settings: RunSettings, progress: Progress | None = None) -> RunResult:
    """Run the whole contract for one vendor; never raises for contract failures."""
    if settings.target not in ("mock", "url"):
        raise ConfigurationError(f"unknown target {settings.target!r}: use 'mock' or a --base-url")
    if settings.effective_mode not in ("safe", "full"):
        raise ConfigurationError(f"--mode must be safe or full, got {settings.mode!r}")
    unknown = set(settings.phases) - set(PHASES)
    if unknown:
        raise ConfigurationError(f"unknown phases {sorted(unknown)}; known: {', '.join(PHASES)}")
    if settings.max_examples < 1:
        raise ConfigurationError("--max-examples must be at least 1")
    try:
        contract = load_contract(settings.vendor)
    except LookupError as exc:
        raise ConfigurationError(str(exc)) from exc
    if settings.operations:
        try:
            re.compile(settings.operations)
        except re.error as exc:
            raise ConfigurationError(f"--operations is not a valid regex: {exc}") from exc
    credentials = settings.credentials
    if credentials.empty:
        if settings.target != "mock":
            raise ConfigurationError(
                "give credentials: --api-key KEY, --token TOKEN or --header 'Name: value'"
            )
        credentials = contract.mock_credentials
    auth = contract.auth(credentials)
    redact = Redactor(credentials.secrets)
    urls = _mount_urls(contract, settings)
    pace = (
        _pace(settings.rate_limit or contract.documented_rate_limit)
        if settings.effective_mode == "safe"
        else 0.0
    )
    result = RunResult(settings.vendor, settings.effective_mode, settings.seed, settings.target)
    result.plan = plan(settings)
    if settings.dry_run:
        return result
    _install_hooks()
    started = time.monotonic()
    target = Target(contract, settings, urls)
    tag = f"crm-contract-{uuid.uuid4().hex[:10]}"
    known_cache: dict[str, list[str]] = {}
    main = contract.probe_mount or contract.spec.base_path

    def known(path: str) -> list[dict[str, Any]]:
        """Existing records under a list path of the main mount (for positive fixups)."""
        if path not in known_cache:
            status, data, _ = target.send(main, auth, "GET", path, None)
            items = []
            if status == 200:
                items = (
                    next((v for v in (data or {}).values() if isinstance(v, list)), [])
                    if isinstance(data, dict)
                    else (data or [])
                )
            known_cache[path] = [i for i in items if isinstance(i, dict) and "id" in i]
        return known_cache[path]

    selected = select_operations(contract, settings)
    schemas = []
    created: list[tuple[str, str, Any]] = []
    lock = threading.Lock()
    last = [0.0]
    enabled = [
        c
        for c in vendor_checks.BUILTIN_CHECKS + vendor_checks.RESPONSE_CHECKS
        if c not in contract.disabled_checks
    ]
    try:
        if settings.target == "mock":
            target.reset()
        for mount in contract.spec.mounts:
            ops = selected.get(mount.base_path, [])
            if mount.base_path not in urls or not ops:
                continue
            keep = {(m, p) for m, p, _ in ops}
            document = copy.deepcopy(mount.document)
            document["servers"] = [{"url": urls[mount.base_path]}]
            remote = urls[mount.base_path] if settings.target != "mock" else None
            schema = schemathesis.openapi.from_dict(
                document, config=_config(settings, contract, auth, enabled, remote)
            )
            # filter here, not in the document: the Allow header check needs every documented method
            schema = schema.include(
                func=lambda ctx, keep=keep: (ctx.operation.method.upper(), ctx.operation.path) in keep
            )
            if settings.target == "mock":
                schema.app = target.app
                schema.build_state_machine = _resetting(schema.build_state_machine, target.reset)  # type: ignore[method-assign]
            ids = {}
            for method, path, _kind in ops:
                raw = mount.document["paths"][path][method.lower()]
                resource = raw.get("x-mock-resource")
                if raw.get("x-mock-action") == "create" and resource in contract.spec.resources:
                    ids[_label(method, path)] = _id_pattern(contract.spec.resources[resource].id_format)
            vendor_checks.bind(schema, vendor_checks.Binding(contract, mount.base_path, auth, ids))
            creates = {_label(m, p) for m, p, kind in ops if kind == "create"}
            _RUNS[id(schema)] = _Run(
                contract, settings, auth, mount.base_path, tag, known, creates, created, lock, pace, last
            )
            schemas.append((mount.base_path, schema, ops))
            result.operations += [
                _label(m, p) if mount.base_path == main else f"{_label(m, p)} [{mount.base_path}]"
                for m, p, _ in ops
            ]
            for m, p, _ in ops:
                raw = mount.document["paths"][p][m.lower()]
                result.documented_codes[_name(mount.base_path, main, m, p)] = sorted(raw.get("responses", {}))
        total_ops = sum(len(ops) for _, _, ops in schemas)
        for mount_path, schema, _ops in schemas:
            for event in _events(schema):
                _collect(event, result, mount_path, main, redact, settings, progress, total_ops)
        if settings.target == "mock":
            target.reset()
        _probes(contract, target, auth, tag, selected, result, redact, settings, main)
        if settings.effective_mode == "safe":
            result.created = [(m, p) for m, p, _ in created]
            result.cleaned = _cleanup(contract, target, auth, created, result.deleted)
    finally:
        for _, schema, _ in schemas:
            _RUNS.pop(id(schema), None)
            vendor_checks.unbind(schema)
        if settings.target == "mock":
            from schemathesis.python import asgi as schemathesis_asgi

            with contextlib.suppress(Exception):
                schemathesis_asgi.shutdown_lifespans()
            if settings.app is None or settings.reset is None:
                with contextlib.suppress(Exception):
                    target.reset()
        target.close()
    ran = {check for _, check in result.matrix}
    result.checks = [c for c in enabled if c not in ran] + sorted(ran - set(vendor_checks.PROBE_CHECKS))
    result.checks = sorted(result.checks) + list(vendor_checks.PROBE_CHECKS)
    result.duration = time.monotonic() - started
    return result


def _name(mount: str, main: str, method: str, path: str) -> str:
    return _label(method, path) if mount == main else f"{_label(method, path)} [{mount}]"


def _id_pattern(fmt: Any) -> re.Pattern[str]:
    if fmt.alphabet == "uuid":
        body = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    else:
        chars = {"digits": "0-9", "alnum": "0-9A-Za-z", "hex": "0-9a-f"}.get(fmt.alphabet)
        body = f"[{chars}]{{{fmt.length}}}" if chars else f"[{re.escape(fmt.alphabet)}]{{{fmt.length}}}"
    return re.compile(re.escape(fmt.prefix) + body)


def _events(schema: Any) -> Iterator[Any]:
    yield from from_schema(schema).execute()


def _collect(
    event: Any,
    result: RunResult,
    mount: str,
    main: str,
    redact: Redactor,
    settings: RunSettings,
    progress: Progress | None,
    total_ops: int,
) -> None:
    if isinstance(event, events.NonFatalError):
        if "excluded by filters" in event.info.message or "Missing Open API links" in event.info.title:
            return  # a subset of operations with no links between them: nothing stateful to run
        result.errors.append(redact(f"{event.label}: {event.info.title}: {event.info.message}"[:2000]))
        return
    if isinstance(event, events.FatalError):
        result.errors.append(redact(f"fatal: {event.exception}"[:2000]))
        return
    if not isinstance(event, events.ScenarioFinished):
        return
    recorder = event.recorder
    phase = str(event.phase.value)
    for case_id, node in recorder.cases.items():
        case = node.value
        name = _name(mount, main, case.operation.method, case.path)
        interaction = recorder.interactions.get(case_id)
        if interaction is not None and interaction.response is not None:
            result.seen_codes.setdefault(name, set()).add(interaction.response.status_code)
            result.cases += 1
    seen: set[tuple[str, str, str]] = {(f.operation, f.check, f.title) for f in result.failures}
    for case_id, nodes in recorder.checks.items():
        case_node = recorder.cases.get(case_id)
        if case_node is None:
            continue
        case = case_node.value
        name = _name(mount, main, case.operation.method, case.path)
        for check in nodes:
            failed = check.failure_info is not None
            result.mark(name, check.name, not failed)
            if not failed:
                continue
            info = check.failure_info
            title = str(info.failure.title)
            key = (name, check.name, title)
            if key in seen:
                continue
            seen.add(key)
            steps = [s.curl for s in info.steps] if info.steps else [info.code_sample]
            curl = "\n".join(_rebase(redact(s), mount, settings) for s in steps)
            result.failures.append(
                Failure(
                    check.name,
                    name,
                    redact(title),
                    redact(str(info.failure.message))[:2000],
                    curl,
                    settings.seed,
                    phase,
                )
            )
    if progress is not None:
        done = len({op for op, _ in result.matrix})
        progress(phase, min(done, total_ops), total_ops, len(result.failures))


def _rebase(curl: str, mount: str, settings: RunSettings) -> str:
    """Mock runs: point reproductions at a local ``crm-mock serve`` instead of the ASGI test host."""
    if settings.target != "mock":
        return curl
    return re.sub(r"https?://(localhost|testserver)(?=/)", MOCK_ORIGIN, curl)


def _curl(method: str, url: str, auth: Auth | None, body: Any, redact: Redactor) -> str:
    parts = [f"curl -X {method} '{url}'"]
    for name, value in (auth.headers if auth else {}).items():
        parts.append(f"-H '{name}: {value}'")
    if body is not None:
        if isinstance(body, dict) and auth:
            body = {**body, **auth.body_fields}
        parts.append("-H 'Content-Type: application/json'")
        parts.append("-d '" + json.dumps(body).replace("'", "'\"'\"'") + "'")
    return redact(" ".join(parts))


def _probes(
    contract: VendorContract,
    target: Target,
    auth: Auth,
    tag: str,
    selected: dict[str, list[tuple[str, str, str]]],
    result: RunResult,
    redact: Redactor,
    settings: RunSettings,
    main: str,
) -> None:
    mount_ops = selected.get(main, [])
    secured_default = (
        bool(contract.spec.mounts[0].document.get("security")) or main in contract.secured_mounts
    )
    ops = []
    for method, path, _kind in mount_ops:
        raw = contract.spec.mounts[0].document["paths"].get(path, {}).get(method.lower(), {})
        ops.append(
            (method, path, bool(raw.get("security", secured_default)) or main in contract.secured_mounts)
        )
    allowed = {_label(m, p) for m, p, _ in mount_ops}
    contract_probe = copy.copy(contract)
    contract_probe.lists = tuple(
        p for p in contract.lists if _label(p.method, p.path.split("?")[0]) in allowed
    )
    contract_probe.crud = tuple(c for c in contract.crud if _label(*c.create) in allowed)

    def send(method: str, path: str, body: Any, with_auth: bool) -> tuple[int, Any, dict[str, str]]:
        if body is not None and method == "POST" and not with_auth:
            return target.send(main, None, method, path, body)
        return target.send(main, auth if with_auth else None, method, path, body)

    for probe in vendor_checks.run_probes(contract_probe, send, tag, ops):
        result.mark(probe.operation, probe.check, probe.ok)
        if probe.ok:
            continue
        with_auth = probe.check != "credentials_required"
        curl = "\n".join(
            _rebase(_curl(m, target.url(main, p), auth if with_auth else None, b, redact), main, settings)
            for m, p, b in probe.requests
        )
        result.failures.append(
            Failure(
                probe.check,
                probe.operation,
                probe.check.replace("_", " "),
                redact(probe.message),
                curl,
                settings.seed,
                "probes",
            )
        )


def _cleanup(
    contract: VendorContract, target: Target, auth: Auth, created: list[tuple[str, str, Any]], log: list[str]
) -> int:
    """Delete what the run created (and nothing else): each id comes from a create's own answer."""
    done = 0
    for mount, path, body in created:
        if contract.cleanup is None:
            break
        step = contract.cleanup(mount, path, body)
        if step is None:
            continue
        method, del_path, del_body = step
        log.append(mount + del_path)
        status, _, _ = target.send(mount, auth, method, del_path, del_body)
        done += 200 <= status < 300 or status == 404
    return done


def write_reports(result: RunResult, formats: list[str], folder: Path) -> list[Path]:
    from contract_tests import reports

    return reports.write(result, formats, folder)
