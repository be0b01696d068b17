"""Turning raw ASGI input into validated parameters and bodies, with vendor-neutral errors."""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import parse_qsl

import orjson

from mockserver.engine.errors import ApiError
from mockserver.engine.schema import error_location, short_message
from mockserver.engine.spec import Operation, Param

_INT = re.compile(r"^[+-]?\d{1,18}$")
_NUM = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


async def read_body(receive: Any, headers: dict[str, str], limit: int) -> bytes:
    """The whole request body, refused with 413 as soon as it passes ``limit`` bytes."""
    declared = headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ApiError("payload_too_large", f"Request body exceeds {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise ApiError("payload_too_large", f"Request body exceeds {limit} bytes")
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def _coerce_scalar(param: Param, kind: str, raw: str) -> Any:
    if kind == "integer":
        if not _INT.match(raw):
            raise ValueError("must be an integer")
        return int(raw)
    if kind == "number":
        if not _NUM.match(raw):
            raise ValueError("must be a number")
        value = float(raw)
        if math.isinf(value):
            raise ValueError("must be a finite number")
        return int(value) if value.is_integer() and "." not in raw and "e" not in raw.lower() else value
    if kind == "boolean":
        if raw in ("true", "false"):
            return raw == "true"
        raise ValueError("must be true or false")
    return raw


def _coerce(param: Param, values: list[str]) -> Any:
    if param.kind == "array":
        items = param.schema.get("items", {})
        kind = items.get("type", "string") if isinstance(items, dict) else "string"
        raw_items = values if param.explode else [p for v in values for p in v.split(",")]
        if not param.explode and values == [""]:
            raw_items = []
        return [_coerce_scalar(param, kind, v) for v in raw_items]
    return _coerce_scalar(param, param.kind, values[0])


def parse_query(query_string: bytes) -> dict[str, list[str]]:
    try:
        pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError("bad_request", "Query string is not valid UTF-8") from exc
    out: dict[str, list[str]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out


def validate_params(
    op: Operation, path: dict[str, str], query: dict[str, list[str]], headers: dict[str, str]
) -> dict[str, Any]:
    """Coerce and check every declared parameter; collect all failures into one 422."""
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for param in op.params:
        if param.location == "path":
            raw = [path[param.name]] if param.name in path else None
        elif param.location == "query":
            raw = query.get(param.name)
        elif param.location == "header":
            got = headers.get(param.name.lower())
            raw = [got] if got is not None else None
        else:
            continue
        if raw is None:
            if param.required:
                problems[param.name] = "is required"
            elif param.default is not None:
                values[param.name] = param.default
            continue
        try:
            value = _coerce(param, raw)
        except ValueError as exc:
            problems[param.name] = str(exc)
            continue
        errors = list(param.validator.iter_errors(value))
        if errors:
            problems[param.name] = short_message(errors[0])
            continue
        values[param.name] = value
    if problems:
        raise ApiError("validation", "Request parameters are invalid", problems)
    return values


def parse_body(op: Operation, content_type: str, raw: bytes) -> Any:
    """Decode and validate the request body against the operation's declared media types."""
    body = op.body
    if body is None:
        return None
    media = content_type.split(";", 1)[0].strip().lower()
    if not raw:
        if body.required:
            raise ApiError("bad_request", "Request body is required")
        return None
    if media not in body.media_types:
        allowed = ", ".join(body.media_types)
        raise ApiError(
            "unsupported_media_type",
            f"Content-Type {media or '(none)'!r} is not supported; send {allowed}",
        )
    if media.endswith("json"):
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ApiError("bad_request", "Request body is not valid JSON (UTF-8)") from exc
    elif media == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, errors="strict")
        except (UnicodeDecodeError, ValueError) as exc:
            raise ApiError("bad_request", "Form body is not valid UTF-8") from exc
        value = dict(pairs)
    else:
        value = raw
    validator = body.media_types[media]
    if validator is not None:
        problems: dict[str, str] = {}
        for error in validator.iter_errors(value):
            problems.setdefault(error_location(error), short_message(error))
            if len(problems) >= 20:
                break
        if problems:
            raise ApiError("validation", "Request body is invalid", problems)
    return value


def apply_defaults(schema: dict[str, Any], value: dict[str, Any]) -> dict[str, Any]:
    """Fill top-level properties the client left out with the schema's defaults."""
    out = dict(value)
    for name, prop in schema.get("properties", {}).items():
        if name not in out and isinstance(prop, dict) and "default" in prop:
            out[name] = prop["default"]
    return out
