"""Turning raw ASGI input into validated parameters and bodies, with vendor-neutral errors."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import orjson
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

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
    elif media == "multipart/form-data":
        value = parse_multipart(content_type, raw)
    else:
        value = raw
    validator = body.media_types[media]
    if validator is not None:
        problems: dict[str, str] = {}
        for error in validator.iter_errors(_validation_view(value)):
            problems.setdefault(error_location(error), short_message(error))
            if len(problems) >= 20:
                break
        if problems:
            raise ApiError("validation", "Request body is invalid", problems)
    return value


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a ``multipart/form-data`` body: what handlers get for ``format: binary``."""

    filename: str
    content_type: str
    data: bytes


def parse_multipart(content_type: str, raw: bytes) -> dict[str, Any]:
    """Form fields (str) and files (UploadedFile) of a multipart body; 400 when it is broken.

    A part with a filename, or whose bytes are not UTF-8, is a file; the first part of a name wins.
    """
    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        raise ApiError("bad_request", "multipart/form-data body needs a boundary in its Content-Type")
    parts: list[dict[str, Any]] = []
    header: dict[str, bytes] = {"field": b"", "value": b""}

    def on_part_begin() -> None:
        parts.append({"headers": {}, "data": bytearray(), "done": False})

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header["value"] += data[start:end]

    def on_header_end() -> None:
        parts[-1]["headers"][header["field"].decode("latin-1").lower()] = header["value"]
        header["field"] = header["value"] = b""

    def on_part_data(data: bytes, start: int, end: int) -> None:
        parts[-1]["data"] += data[start:end]

    def on_part_end() -> None:
        parts[-1]["done"] = True

    callbacks = {
        "on_part_begin": on_part_begin,
        "on_header_field": on_header_field,
        "on_header_value": on_header_value,
        "on_header_end": on_header_end,
        "on_part_data": on_part_data,
        "on_part_end": on_part_end,
    }
    try:
        parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
        parser.write(raw)
        parser.finalize()
    except (MultipartParseError, ValueError, IndexError) as exc:
        raise ApiError("bad_request", "multipart/form-data body is malformed") from exc
    out: dict[str, Any] = {}
    for part in parts:
        if not part["done"]:
            raise ApiError("bad_request", "multipart/form-data body is truncated")
        _, disposition = parse_options_header(part["headers"].get("content-disposition", b""))
        name = disposition.get(b"name")
        if name is None:
            continue
        key = name.decode("utf-8", "replace")
        if key in out:
            continue
        data = bytes(part["data"])
        filename = disposition.get(b"filename")
        if filename is None:
            try:
                out[key] = data.decode("utf-8")
                continue
            except UnicodeDecodeError:
                pass
        media = part["headers"].get("content-type", b"application/octet-stream")
        out[key] = UploadedFile(
            filename=(filename or b"").decode("utf-8", "replace"),
            content_type=media.decode("latin-1"),
            data=data,
        )
    return out


def _validation_view(value: Any) -> Any:
    """What the schema sees of a form: an uploaded file as a string (``format: binary``)."""
    if isinstance(value, dict) and any(isinstance(v, UploadedFile) for v in value.values()):
        return {k: v.data.decode("latin-1") if isinstance(v, UploadedFile) else v for k, v in value.items()}
    return value


def apply_defaults(schema: dict[str, Any], value: dict[str, Any]) -> dict[str, Any]:
    """Fill top-level properties the client left out with the schema's defaults."""
    out = dict(value)
    for name, prop in schema.get("properties", {}).items():
        if name not in out and isinstance(prop, dict) and "default" in prop:
            out[name] = prop["default"]
    return out
