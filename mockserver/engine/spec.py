"""Reading a vendor spec: its mounts, resources and the x-mock metadata of each operation."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

from mockserver.engine.schema import compile_schema, deref

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")


@dataclass(frozen=True)
class IdFormat:
    prefix: str = ""
    alphabet: str = "alnum"
    length: int = 10


@dataclass(frozen=True)
class Resource:
    name: str
    id_format: IdFormat
    parent: str | None = None
    parent_field: str | None = None
    indexes: tuple[Any, ...] = ()


@dataclass
class Param:
    name: str
    location: str
    required: bool
    schema: dict[str, Any]
    validator: Any
    style: str
    explode: bool
    meta: dict[str, Any]

    @property
    def kind(self) -> str:
        t = self.schema.get("type")
        return t if isinstance(t, str) else "string"

    @property
    def default(self) -> Any:
        return self.schema.get("default")


@dataclass
class Body:
    required: bool
    media_types: dict[str, Any]  # media type -> compiled validator (or None)
    schemas: dict[str, dict[str, Any]]


@dataclass
class Operation:
    operation_id: str
    method: str
    path: str
    mount: str
    spec: dict[str, Any]
    params: list[Param]
    body: Body | None
    security: list[dict[str, list[str]]]
    resource: str | None
    action: str | None
    handler: str | None
    id_param: str | None
    parent_param: str | None
    list_key: str | None
    success_status: int
    extensions: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def response_schema(self) -> dict[str, Any] | None:
        resp = self.spec.get("responses", {}).get(str(self.success_status), {})
        content = resp.get("content", {})
        media = content.get("application/json") or next(iter(content.values()), None)
        return media.get("schema") if media else None


@dataclass
class Mount:
    """One base path served from a spec: the spec's own, or a path-level ``servers`` override."""

    base_path: str
    document: dict[str, Any]


class VendorSpec:
    """A parsed spec: raw document, mounts, resources and operations keyed by operationId."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.vendor: str = self.document["x-mock-vendor"]
        self.base_path = _server_path(self.document.get("servers", []))
        self.resources = _resources(self.document.get("x-mock-resources", {}))
        self.mounts = self._split_mounts()
        self.operations: dict[str, Operation] = {}
        for mount in self.mounts:
            for path, item in mount.document.get("paths", {}).items():
                for method in HTTP_METHODS:
                    if method in item:
                        op = _operation(self.document, mount.base_path, path, method, item)
                        self.operations[op.operation_id] = op

    def _split_mounts(self) -> list[Mount]:
        main = copy.deepcopy(self.document)
        main["paths"] = {}
        extra: dict[str, dict[str, Any]] = {}
        for path, item in self.document.get("paths", {}).items():
            servers = item.get("servers")
            if not servers:
                main["paths"][path] = item
                continue
            base = _server_path(servers)
            if base not in extra:
                doc = copy.deepcopy(self.document)
                doc["paths"] = {}
                doc["servers"] = servers
                extra[base] = doc
            extra[base]["paths"][path] = {k: v for k, v in item.items() if k != "servers"}
        mounts = [Mount(self.base_path, main)]
        mounts += [Mount(base, doc) for base, doc in extra.items()]
        return mounts

    def resource(self, name: str) -> Resource:
        return self.resources[name]

    def children_of(self, name: str) -> list[Resource]:
        return [r for r in self.resources.values() if r.parent == name]


def _server_path(servers: list[dict[str, Any]]) -> str:
    if not servers:
        return ""
    return urlparse(servers[0]["url"]).path.rstrip("/")


def _resources(raw: dict[str, Any]) -> dict[str, Resource]:
    out = {}
    for name, cfg in raw.items():
        parent = cfg.get("parent") or {}
        idf = cfg.get("id") or {}
        out[name] = Resource(
            name=name,
            id_format=IdFormat(
                prefix=idf.get("prefix", ""),
                alphabet=idf.get("alphabet", "alnum"),
                length=int(idf.get("length", 10)),
            ),
            parent=parent.get("resource"),
            parent_field=parent.get("field"),
            indexes=tuple(tuple(i) if isinstance(i, list) else i for i in cfg.get("indexes", [])),
        )
    return out


def _operation(spec: dict[str, Any], mount: str, path: str, method: str, item: dict[str, Any]) -> Operation:
    raw = item[method]
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for p in [*item.get("parameters", []), *raw.get("parameters", [])]:
        p = deref(spec, p)
        merged[(p["name"], p["in"])] = p
    params = []
    for p in merged.values():
        schema = deref(spec, p.get("schema", {"type": "string"}))
        location = p["in"]
        params.append(
            Param(
                name=p["name"],
                location=location,
                required=bool(p.get("required", location == "path")),
                schema=schema,
                validator=compile_schema(spec, schema),
                style=p.get("style", "form" if location in ("query", "cookie") else "simple"),
                explode=bool(p.get("explode", p.get("style", "form") == "form")),
                meta={k: v for k, v in p.items() if k.startswith("x-mock-")},
            )
        )
    body = None
    if "requestBody" in raw:
        rb = deref(spec, raw["requestBody"])
        content = rb.get("content", {})
        body = Body(
            required=bool(rb.get("required", False)),
            media_types={
                mt: compile_schema(spec, c["schema"]) if "schema" in c else None for mt, c in content.items()
            },
            schemas={mt: deref(spec, c.get("schema", {})) for mt, c in content.items()},
        )
    codes = sorted(int(c) for c in raw.get("responses", {}) if c.isdigit() and c.startswith("2"))
    return Operation(
        operation_id=raw["operationId"],
        method=method.upper(),
        path=path,
        mount=mount,
        spec=deref(spec, raw),
        params=params,
        body=body,
        security=raw.get("security", spec.get("security", [])),
        resource=raw.get("x-mock-resource"),
        action=raw.get("x-mock-action"),
        handler=raw.get("x-mock-handler"),
        id_param=raw.get("x-mock-id-param"),
        parent_param=raw.get("x-mock-parent-param"),
        list_key=raw.get("x-mock-list-key"),
        success_status=codes[0] if codes else 200,
        extensions={k: v for k, v in raw.items() if k.startswith("x-mock-")},
    )
