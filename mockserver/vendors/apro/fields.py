"""Additional ("ext") fields: APRO's data types as real, validated types.

Values are stored normalised (numbers as numbers so SQL compares them numerically, dates as
sortable strings) under ``ext.f<id>``, and shown back as the document shows them: strings.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from mockserver.store import Condition
from mockserver.vendors.apro import catalog

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
_TIME = re.compile(r"^\d{2}:\d{2}(:\d{2})?$")
_INT = re.compile(r"^[+-]?\d{1,15}$")
_NUM = re.compile(r"^[+-]?(\d{1,15}(\.\d*)?|\.\d+)$")
RANGE_BASE = {
    "integer_range": "integer",
    "decimal_range": "decimal",
    "date_range": "date",
    "time_range": "time",
    "datetime_range": "datetime",
}
COMPARABLE = {"integer", "decimal", "price", "time", "date", "datetime"}


class FieldError(ValueError):
    """A field value that does not fit its data type (BAD_PARAMS)."""


def _scalar(datatype: str, value: Any) -> Any:
    if isinstance(value, (dict, list, bool)):
        raise FieldError(f"a {datatype} value must be a single value")
    text = str(value).strip()
    if datatype == "integer":
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if not _INT.match(text):
            raise FieldError(f"{value!r} is not an integer")
        return int(text)
    if datatype in ("decimal", "price"):
        if not _NUM.match(text):
            raise FieldError(f"{value!r} is not a number")
        number = float(text)
        return int(number) if number.is_integer() else number
    if datatype == "date":
        try:
            if not _DATE.match(text):
                raise ValueError
            date.fromisoformat(text)
        except ValueError:
            raise FieldError(f"{value!r} is not a date (YYYY-MM-DD)") from None
        return text
    if datatype == "datetime":
        try:
            if not _DATETIME.match(text):
                raise ValueError
            datetime.fromisoformat(text)
        except ValueError:
            raise FieldError(f"{value!r} is not a datetime (YYYY-MM-DD HH:MM:SS)") from None
        return text
    if datatype == "time":
        if not _TIME.match(text):
            raise FieldError(f"{value!r} is not a time (HH:MM:SS)")
        hh, mm, *ss = (int(p) for p in text.split(":"))
        if hh > 23 or mm > 59 or (ss and ss[0] > 59):
            raise FieldError(f"{value!r} is not a time (HH:MM:SS)")
        return f"{hh:02d}:{mm:02d}:{ss[0] if ss else 0:02d}"
    return text


def normalise(field: dict[str, Any], value: Any, files_exist: Any = None) -> Any:
    """The stored form of ``value`` for ``field``; raises FieldError when it does not fit."""
    datatype = field["datatype"]
    if value is None or value == "":
        return None
    if datatype in RANGE_BASE:
        if not isinstance(value, list) or len(value) != 2:
            raise FieldError("a range is ['value from', 'value to']")
        low, high = (_scalar(RANGE_BASE[datatype], v) for v in value)
        if low > high:
            raise FieldError("a range must go from low to high")
        return [low, high]
    if datatype == "point":
        if isinstance(value, dict) and set(value) >= {"lat", "lon"}:
            lat, lon = (_scalar("decimal", value[k]) for k in ("lat", "lon"))
        elif isinstance(value, str) and len(value.split()) == 2:
            lat, lon = (_scalar("decimal", v) for v in value.split())
        else:
            raise FieldError("a point is {lat, lon}")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise FieldError("latitude or longitude out of range")
        return f"{lat} {lon}"
    if datatype == "radio":
        text = str(value)
        if text not in ("0", "1"):
            raise FieldError("a radio value is 1 (yes) or 0 (no)")
        return text
    if datatype in ("select", "multiselect"):
        allowed = {v["id"] for v in field.get("variants", [])}
        values = value if isinstance(value, list) else [value]
        if datatype == "select" and len(values) != 1:
            raise FieldError("a select takes one option id")
        out = [str(v) for v in values if not isinstance(v, (dict, list))]
        if len(out) != len(values) or not set(out) <= allowed:
            raise FieldError(f"unknown option for field {field['id']}")
        return out[0] if datatype == "select" else list(dict.fromkeys(out))
    if datatype == "file":
        names = value if isinstance(value, list) else [value]
        if not all(isinstance(n, str) for n in names):
            raise FieldError("a file value is the name of an uploaded file")
        if files_exist is not None:
            missing = [n for n in names if not files_exist(n)]
            if missing:
                raise FieldError(f"file {missing[0]!r} was not uploaded")
        return names
    if datatype == "text":
        if isinstance(value, (dict, list)):
            raise FieldError("a text value is a string")
        return str(value)
    return _scalar(datatype, value)


def show(field: dict[str, Any], value: Any) -> Any:
    """A stored value as the API returns it: strings, lists for multi-values and ranges."""
    if value is None:
        return None
    if isinstance(value, list):
        return [show_scalar(field["datatype"], v) for v in value]
    return show_scalar(field["datatype"], value)


def show_scalar(datatype: str, value: Any) -> Any:
    if datatype == "price" and isinstance(value, (int, float)):
        return f"{value:.2f}"
    if isinstance(value, float):
        return repr(value)
    return str(value) if not isinstance(value, str) else value


def check_bindings(values: dict[str, Any]) -> None:
    """A nested select's option must belong to the option chosen in its parent field."""
    for parent, children in catalog.NESTED.items():
        chosen = values.get(parent)
        if chosen is None:
            continue
        for child in children:
            picked = values.get(child)
            if picked is None:
                continue
            variants = {v["id"]: v for v in catalog.FIELDS[child]["variants"]}
            for option in picked if isinstance(picked, list) else [picked]:
                if variants[option]["bind"] not in ("0", chosen):
                    raise FieldError(f"option {option} of field {child} does not belong to option {chosen}")


def apply(
    allowed: list[str], current: dict[str, Any], entries: Any, files_exist: Any = None, modes: bool = False
) -> dict[str, Any]:
    """``current`` ext values changed by ``[{id, value[, mode]}]`` entries (insert / update)."""
    if entries is None:
        return dict(current)
    if isinstance(entries, dict):  # {"342": value} or PHP's {"0": {...}}
        entries = [e if isinstance(e, dict) else {"id": k, "value": e} for k, e in entries.items()]
    if not isinstance(entries, list):
        raise FieldError("fields is an array of {id, value}")
    out = dict(current)
    for entry in entries:
        if not isinstance(entry, dict) or "id" not in entry:
            raise FieldError("each field is {id, value}")
        fid = str(entry["id"])
        if fid in catalog.DELETED_FIELDS or fid in catalog.DISABLED_FIELDS:
            raise FieldError(f"field {fid} is deleted or disabled")
        if fid not in allowed:
            raise FieldError(f"field {fid} does not belong to this record type")
        field = catalog.FIELDS[fid]
        value = normalise(field, entry.get("value"), files_exist)
        key = f"f{fid}"
        mode = entry.get("mode") if modes else None
        if field["datatype"] == "file" and mode in ("insert", "delete"):
            have = list(out.get(key) or [])
            new = value or []
            have = (
                [n for n in have if n not in new]
                if mode == "delete"
                else have + [n for n in new if n not in have]
            )
            out[key] = have or None
        else:
            out[key] = value
    check_bindings({k[1:]: v for k, v in out.items() if v is not None})
    return out


def conditions(allowed: list[str], entries: Any) -> list[Condition]:
    """Search conditions by fields: ``'>= v'``, ``'<= v'``, ``'a & b'``, or an equal value."""
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise FieldError("fields is an array of {id, value}")
    out: list[Condition] = []
    for entry in entries:
        if not isinstance(entry, dict) or "id" not in entry or "value" not in entry:
            raise FieldError("each condition is {id, value}")
        fid = str(entry["id"])
        if fid not in allowed:
            raise FieldError(f"field {fid} does not belong to this record type")
        field = catalog.FIELDS[fid]
        if field["datatype"] in RANGE_BASE or field["datatype"] in ("point", "file"):
            raise FieldError(f"field {fid} ({field['datatype']}) cannot be searched by value")
        datatype = field["datatype"]
        path = f"ext.f{fid}"
        raw = entry["value"]
        text = str(raw).strip() if not isinstance(raw, (list, dict)) else ""
        if datatype in COMPARABLE and text[:2] in (">=", "<="):
            op = "gte" if text[:2] == ">=" else "lte"
            out.append(Condition(path, op, _scalar(datatype, text[2:].strip())))
        elif datatype in COMPARABLE and "&" in text:
            low, _, high = text.partition("&")
            out.append(Condition(path, "gte", _scalar(datatype, low.strip())))
            out.append(Condition(path, "lte", _scalar(datatype, high.strip())))
        elif field["datatype"] == "multiselect":
            out.append(Condition(f"ext.f{fid}", "contains", str(raw)))
        else:
            value = normalise(field, raw)
            out.append(Condition(path, "eq", value))
    return out


def search_words(allowed: list[str], ext: dict[str, Any]) -> list[str]:
    """Text, select and multiselect values of a record, for the full ``search``."""
    words: list[str] = []
    for fid in allowed:
        value = ext.get(f"f{fid}")
        if value is None:
            continue
        field = catalog.FIELDS[fid]
        if field["datatype"] == "text":
            words.append(value)
        elif field["datatype"] in ("select", "multiselect"):
            names = {v["id"]: v["value"] for v in field["variants"]}
            words += [names[v] for v in (value if isinstance(value, list) else [value])]
    return words
