"""OpenAPI 3.0 schemas turned into compiled JSON Schema validators (jsonschema-rs).

OpenAPI 3.0 schemas are not quite JSON Schema: ``nullable`` and in-document ``$ref`` need
rewriting first. Compiled validators are several times cheaper per request than Python ones.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonschema_rs

_MAX_DEPTH = 64


def resolve_ref(spec: dict[str, Any], ref: str) -> Any:
    if not ref.startswith("#/"):
        raise ValueError(f"only in-document $ref is supported, got {ref!r}")
    node: Any = spec
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def deref(spec: dict[str, Any], node: Any, depth: int = 0) -> Any:
    """Inline every ``$ref`` (specs here are not recursive) and return a fresh copy."""
    if depth > _MAX_DEPTH:
        raise ValueError("schema nesting too deep (recursive $ref?)")
    if isinstance(node, dict):
        if "$ref" in node:
            return deref(spec, resolve_ref(spec, node["$ref"]), depth + 1)
        return {k: deref(spec, v, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [deref(spec, v, depth + 1) for v in node]
    return node


def to_json_schema(schema: Any) -> Any:
    """Rewrite OpenAPI 3.0 keywords into JSON Schema (draft 4 semantics)."""
    if isinstance(schema, list):
        return [to_json_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: to_json_schema(v) for k, v in schema.items() if not k.startswith("x-")}
    for key in ("example", "examples", "discriminator", "xml", "externalDocs", "deprecated"):
        out.pop(key, None)
    if "properties" in schema:  # property names are data, not keywords
        out["properties"] = {k: to_json_schema(v) for k, v in schema["properties"].items()}
    if out.pop("nullable", False):
        if "type" in out:
            types = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = [*types, "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        for combo in ("anyOf", "oneOf", "allOf"):
            if combo in out and "type" not in out:
                out = {"anyOf": [out, {"type": "null"}]}
                break
    out.pop("readOnly", None)
    out.pop("writeOnly", None)
    return out


def compile_schema(spec: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A reusable jsonschema-rs validator for an OpenAPI schema object."""
    plain = to_json_schema(deref(spec, copy.deepcopy(schema)))
    return jsonschema_rs.Draft4Validator(plain, validate_formats=True)


def error_location(error: Any) -> str:
    """A dotted path to the failing value, or the missing property for ``required``."""
    path = ".".join(str(p) for p in error.instance_path)
    kind = getattr(error, "kind", None)
    missing = getattr(kind, "property", None) if kind is not None else None
    if missing is not None and type(kind).__name__.endswith("Required"):
        name = missing if isinstance(missing, str) else str(missing)
        name = name.strip('"')
        return f"{path}.{name}" if path else name
    # name the property itself where the failure is about one: an unexpected property, or an
    # anyOf of ``required`` alternatives ("email or phone") where none is present
    names = _unexpected(error) or _required_alternatives(error)
    if names:
        return f"{path}.{names[0]}" if path else names[0]
    return path or "body"


def _unexpected(error: Any) -> list[str]:
    kind = getattr(error, "kind", None)
    if type(kind).__name__.endswith("AdditionalProperties"):
        return [str(n) for n in getattr(kind, "unexpected", None) or []]
    return []


def _required_alternatives(error: Any) -> list[str]:
    """For an anyOf whose every branch failed only on ``required``: the properties it names."""
    kind = getattr(error, "kind", None)
    if not type(kind).__name__.endswith("AnyOf") or not getattr(kind, "context", None):
        return []
    names: list[str] = []
    for branch in kind.context:
        for sub in branch:
            if not type(sub.kind).__name__.endswith("Required") or list(sub.instance_path):
                return []
            names.append(str(sub.kind.property).strip('"'))
    return list(dict.fromkeys(names))


def short_message(error: Any, limit: int = 200) -> str:
    alternatives = _required_alternatives(error)
    if alternatives:
        return "one of " + ", ".join(alternatives) + " is required"
    message = str(error.message)
    return message if len(message) <= limit else message[: limit - 3] + "..."
