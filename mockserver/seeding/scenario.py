"""Scenario files: find, read, validate (schema, then against the vendors' adapters), merge
``extends``. Nothing here touches a store; ``loader`` writes a validated scenario.

Every error names the file, the line and the field (``fixtures/scenarios/x.yaml:12:
vendors.ultra.generate.leads.weights.status.wn: ...``) so a QA engineer can fix it at once.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema_rs
import yaml

from mockserver.seeding.adapter import ResourcePlan
from mockserver.seeding.schema import ALIAS, RELATIVE, SCHEMA

if TYPE_CHECKING:
    from mockserver.vendors.base import Vendor

FieldPath = tuple[str | int, ...]


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML, but times stay text: a scenario's dates are written in the vendor's format."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_LOADER = _Loader
_RELATIVE = re.compile(RELATIVE)
_OFFSET = re.compile(r"([+-]?)([0-9]+)([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
REF = re.compile(r"^\$(" + ALIAS[1:-1] + r")$")


class ScenarioError(ValueError):
    """A refused scenario: where (file, line, field) and why."""

    def __init__(self, file: str, field_path: FieldPath, message: str, line: int | None = None) -> None:
        self.file, self.field, self.message = file, dotted(field_path), message
        self.line = line if line is not None else line_of(file, field_path)
        where = f"{file}:{self.line}" if self.line else file
        super().__init__(f"{where}: {self.field or '(top)'}: {message}")

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "field": self.field, "message": self.message}


def dotted(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# -- where things are ---------------------------------------------------------------------------
def scenario_dirs() -> list[Path]:
    """Shipped scenarios: ``CRM_MOCK_SCENARIOS_DIR``, the checkout's ``fixtures/scenarios``, or
    the copy packaged with the wheel."""
    here = Path(__file__).resolve().parent.parent
    found = []
    override = os.environ.get("CRM_MOCK_SCENARIOS_DIR")
    for folder in [Path(override)] if override else []:
        found.append(folder)
    for folder in (here.parent / "fixtures" / "scenarios", here / "_scenarios"):
        if folder.is_dir() and all(folder.resolve() != f.resolve() for f in found):
            found.append(folder)
    return found


def shipped() -> dict[str, Path]:
    """name -> file of every shipped scenario (the first directory wins)."""
    out: dict[str, Path] = {}
    for folder in scenario_dirs():
        for path in sorted(folder.glob("*.yaml")):
            out.setdefault(path.stem, path)
    return out


def locate(name_or_path: str, relative_to: Path | None = None) -> Path:
    """A file path, a path relative to ``relative_to``, or a shipped scenario's name."""
    candidates = [Path(name_or_path)]
    if relative_to is not None:
        candidates.insert(0, relative_to / name_or_path)
    for path in candidates:
        if path.is_file():
            return path
        if path.suffix == "" and path.with_suffix(".yaml").is_file():
            return path.with_suffix(".yaml")
    known = shipped()
    if name_or_path in known:
        return known[name_or_path]
    raise FileNotFoundError(
        f"no scenario {name_or_path!r}: not a file, and not one of {', '.join(sorted(known)) or 'none'}"
    )


# -- reading ------------------------------------------------------------------------------------
@lru_cache(maxsize=32)
def _text(file: str) -> str:
    return Path(file).read_text(encoding="utf-8")


def line_of(file: str, path: FieldPath) -> int | None:
    """The 1-based line of ``path`` in the file: the deepest node that exists on the way."""
    try:
        node = yaml.compose(_text(file), Loader=yaml.SafeLoader)
    except (OSError, yaml.YAMLError):
        return None
    line = node.start_mark.line + 1 if node is not None else None
    for part in path:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if k.value == part), None)
            if nxt is None:
                break
            key = next(k for k, v in node.value if v is nxt)
            node, line = nxt, key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def read_file(path: Path) -> dict[str, Any]:
    """Parse YAML and check it against the JSON Schema; the first error, with its line."""
    file = str(path)
    _text.cache_clear()
    try:
        text = _text(file)
    except OSError as exc:
        raise ScenarioError(file, (), f"cannot read: {exc.strerror or exc}", line=0) from exc
    try:
        data = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(
            file, (), f"not valid YAML: {problem}", line=mark.line + 1 if mark else 0
        ) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(file, (), "a scenario is a mapping (scenario:, vendors:, ...)", line=1)
    errors = sorted(_validator().iter_errors(data), key=lambda e: [str(p) for p in e.instance_path])
    if errors:
        err = errors[0]
        path = tuple(err.instance_path)
        extra = re.search(r"\('([^']+)' (was|were) unexpected", str(err.message))
        raise ScenarioError(file, (*path, extra.group(1)) if extra else path, _schema_message(err))
    return data


@lru_cache(maxsize=1)
def _validator() -> Any:
    return jsonschema_rs.validator_for(SCHEMA)


def _schema_message(err: Any) -> str:
    message = str(err.message)
    if "additional" in message.lower() and "not allowed" in message.lower():
        return "unknown field: " + message
    return message


# -- the validated scenario -----------------------------------------------------------------
@dataclass(frozen=True)
class Origin:
    file: str
    path: FieldPath

    def error(self, message: str, *more: str | int) -> ScenarioError:
        return ScenarioError(self.file, (*self.path, *more), message)


@dataclass
class VendorSection:
    base: str | None = None  # None: not said (the loader picks)
    plans: dict[str, ResourcePlan] = field(default_factory=dict)
    plan_origins: dict[str, Origin] = field(default_factory=dict)
    records: dict[str, list[tuple[dict[str, Any], Origin]]] = field(default_factory=dict)


@dataclass
class Scenario:
    name: str
    files: list[str]
    description: str = ""
    seed: int | None = None
    locale: str = "en_US"
    anchor: str = "now"
    vendors: dict[str, VendorSection] = field(default_factory=dict)
    collections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)

    def record_count(self) -> int:
        explicit = sum(len(r) for s in self.vendors.values() for r in s.records.values())
        return explicit + sum(len(d) for d in self.collections.values())

    def scaled(self, factor: float) -> Scenario:
        """The same scenario with every generated count multiplied (load-test sets in CI)."""
        if factor == 1:
            return self
        out = Scenario(**{**self.__dict__, "vendors": {}})
        for key, section in self.vendors.items():
            plans = {
                res: ResourcePlan(
                    **{
                        **plan.__dict__,
                        "count": None if plan.count is None else max(0, round(plan.count * factor)),
                    }
                )
                for res, plan in section.plans.items()
            }
            out.vendors[key] = VendorSection(section.base, plans, section.plan_origins, section.records)
        return out


def parse_when(text: str, anchor: datetime) -> datetime:
    """``now``, ``-3d``, ``now+2h``, ``-1d12h`` (relative to ``anchor``) or an ISO 8601 time."""
    text = text.strip()
    if _RELATIVE.match(text):
        moment, sign = anchor, "+"
        for given, amount, unit in _OFFSET.findall(text):
            sign = given or sign  # -1d12h: the sign carries over
            delta = timedelta(seconds=int(amount) * _UNITS[unit])
            moment = moment + delta if sign == "+" else moment - delta
        return moment
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def is_relative(value: Any) -> bool:
    return isinstance(value, str) and bool(_RELATIVE.match(value))


def load(name_or_path: str, vendors: dict[str, Vendor] | None = None) -> Scenario:
    """Read, validate and merge a scenario and everything it extends.

    ``vendors`` are the vendor objects to check sections against (all known vendors when None).
    """
    path = locate(name_or_path)
    scenario = _load(path, vendors if vendors is not None else _all_vendors(), ())
    _check_aliases(scenario)
    return scenario


def _all_vendors() -> dict[str, Vendor]:
    from mockserver.vendors import VENDOR_KEYS, load_vendor

    return {key: load_vendor(key) for key in VENDOR_KEYS}


def _load(path: Path, vendors: dict[str, Vendor], chain: tuple[str, ...]) -> Scenario:
    file = str(path)
    if str(path.resolve()) in chain:
        raise ScenarioError(file, ("extends",), "extends itself (a cycle): " + " -> ".join(chain))
    data = read_file(path)
    merged = Scenario(name=data.get("scenario") or path.stem, files=[])
    parents = data.get("extends") or []
    for i, parent in enumerate([parents] if isinstance(parents, str) else parents):
        where: FieldPath = ("extends",) if isinstance(parents, str) else ("extends", i)
        try:
            parent_path = locate(parent, path.parent)
        except FileNotFoundError as exc:
            raise ScenarioError(file, where, str(exc)) from exc
        _merge(merged, _load(parent_path, vendors, (*chain, str(path.resolve()))))
    own = _from_data(file, data, vendors)
    own.name = merged.name
    _merge(merged, own)
    merged.description = data.get("description", merged.description)
    return merged


def _from_data(file: str, data: dict[str, Any], vendors: dict[str, Vendor]) -> Scenario:
    from mockserver.vendors import VENDOR_KEYS

    out = Scenario(name="", files=[file], description=data.get("description", ""))
    out.seed = data.get("seed")
    out.locale = data.get("locale", "")
    out.anchor = data.get("anchor", "")
    if out.locale:
        from faker.config import AVAILABLE_LOCALES

        if out.locale not in AVAILABLE_LOCALES:
            raise ScenarioError(file, ("locale",), f"Faker has no locale {out.locale!r}")
    for key, raw in (data.get("vendors") or {}).items():
        where: FieldPath = ("vendors", key)
        if key not in VENDOR_KEYS:
            raise ScenarioError(file, where, f"unknown vendor {key!r} (known: {', '.join(VENDOR_KEYS)})")
        vendor = vendors.get(key)
        section = VendorSection(base=raw.get("base"))
        if vendor is not None:
            _check_vendor(file, where, raw, vendor, section)
        out.vendors[key] = section
    out.collections = {k: list(v) for k, v in (data.get("collections") or {}).items()}
    out.meta = dict(data.get("meta") or {})
    return out


def _check_vendor(
    file: str, where: FieldPath, raw: dict[str, Any], vendor: Vendor, section: VendorSection
) -> None:
    adapter = getattr(vendor, "scenario", None)
    known = set(vendor.spec.resources) | set(vendor.extra_collections())
    known |= set(getattr(vendor.dialect, "shared_collections", {}))
    generate = raw.get("generate") or {}
    if generate and adapter is None:
        raise ScenarioError(file, (*where, "generate"), f"{vendor.key} has no scenario generators yet")
    if raw.get("base") == "account" and adapter is None:
        raise ScenarioError(
            file, (*where, "base"), f"{vendor.key} has no scenario account; use default or none"
        )
    for res, plan in generate.items():
        at = (*where, "generate", res)
        weighted = (adapter.weights if adapter else {}).get(res)
        if weighted is None:
            can = ", ".join(sorted(adapter.weights)) if adapter else "none"
            raise ScenarioError(file, at, f"{vendor.key} cannot generate {res!r} (it can: {can})")
        for fld, table in (plan.get("weights") or {}).items():
            if fld not in weighted:
                raise ScenarioError(
                    file,
                    (*at, "weights", fld),
                    f"no weighted field {fld!r} on {res} (weighted: {', '.join(sorted(weighted)) or 'none'})",
                )
            for value in table:
                if value not in weighted[fld]:
                    raise ScenarioError(
                        file,
                        (*at, "weights", fld, value),
                        f"{value!r} is not a {fld} (one of: {', '.join(map(str, weighted[fld]))})",
                    )
            if not any(table.values()):
                raise ScenarioError(file, (*at, "weights", fld), "weights add up to 0")
        parent = vendor.spec.resources[res].parent if res in vendor.spec.resources else None
        if "per" in plan and parent is None:
            raise ScenarioError(file, (*at, "per"), f"{res} has no parent record; give a count")
        if "count" in plan and parent is not None:
            raise ScenarioError(
                file, (*at, "count"), f"{res} belong to {parent}: give per (a range per {parent})"
            )
        options = plan.get("options") or {}
        schema = {
            "type": "object",
            "additionalProperties": False,
            "properties": (adapter.options if adapter else {}).get(res, {}),
        }
        for err in jsonschema_rs.validator_for(schema).iter_errors(options):
            raise ScenarioError(file, (*at, "options", *err.instance_path), _schema_message(err))
        per = plan.get("per")
        span = None if per is None else (per, per) if isinstance(per, int) else tuple(per)
        if span and span[0] > span[1]:
            raise ScenarioError(file, (*at, "per"), "the range is [min, max] with min <= max")
        section.plans[res] = ResourcePlan(
            count=plan.get("count"),
            per=span,  # type: ignore[arg-type]
            weights={f: {k: float(v) for k, v in t.items()} for f, t in (plan.get("weights") or {}).items()},
            options=options,
        )
        created = plan.get("created") or {}
        if created:  # resolved against the anchor at load time
            section.plans[res] = ResourcePlan(
                **{**section.plans[res].__dict__, "options": {**options, "_created": created}}
            )
        section.plan_origins[res] = Origin(file, at)
    for res, items in (raw.get("records") or {}).items():
        at = (*where, "records", res)
        if res not in known:
            raise ScenarioError(
                file, at, f"{vendor.key} has no resource {res!r} (known: {', '.join(sorted(known))})"
            )
        section.records[res] = [(doc, Origin(file, (*at, i))) for i, doc in enumerate(items)]


def _merge(into: Scenario, other: Scenario) -> None:
    into.files.extend(f for f in other.files if f not in into.files)
    into.seed = other.seed if other.seed is not None else into.seed
    into.locale = other.locale or into.locale
    into.anchor = other.anchor or into.anchor
    into.description = other.description or into.description
    for key, section in other.vendors.items():
        mine = into.vendors.setdefault(key, VendorSection())
        mine.base = section.base or mine.base
        for res, plan in section.plans.items():
            old = mine.plans.get(res)
            if old is None:
                mine.plans[res] = plan
            else:  # a child's fields replace its parent's, field by field
                given = {k: v for k, v in plan.__dict__.items() if v not in (None, {}, ())}
                mine.plans[res] = ResourcePlan(
                    **{
                        **old.__dict__,
                        **given,
                        "weights": {**old.weights, **plan.weights},
                        "options": {**old.options, **plan.options},
                    }
                )
            mine.plan_origins[res] = section.plan_origins[res]
        for res, items in section.records.items():
            mine.records.setdefault(res, []).extend(items)
    for coll, docs in other.collections.items():
        into.collections.setdefault(coll, []).extend(docs)
    into.meta.update(other.meta)


def _check_aliases(scenario: Scenario) -> None:
    """Aliases are unique, and every ``$alias`` names one."""
    seen: dict[str, Origin] = {}
    for section in scenario.vendors.values():
        for items in section.records.values():
            for doc, origin in items:
                alias = doc.get("alias")
                if alias is None:
                    continue
                if alias in seen:
                    first = seen[alias]
                    raise origin.error(
                        f"alias {alias!r} is already used at {first.file}:{line_of(first.file, first.path)}",
                        "alias",
                    )
                seen[alias] = origin
    for section in scenario.vendors.values():
        for items in section.records.values():
            for doc, origin in items:
                for path, value in walk(doc):
                    m = REF.match(value) if isinstance(value, str) else None
                    if m and m.group(1) not in seen:
                        raise origin.error(f"no record has alias {m.group(1)!r}", *path)


def walk(value: Any, path: FieldPath = ()) -> Iterable[tuple[FieldPath, Any]]:
    """(path, leaf) for every leaf of a nested document."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, (*path, i))
    else:
        yield path, value
