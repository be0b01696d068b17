"""PHP-style form bodies: what ``http_build_query`` sends (``params[fields][0][id]=338``).

APRO's own PHP library posts its ``{apikey, params}`` array this way, so the mock decodes it into
the same nested structure a JSON body has. Arrays whose keys are exactly 0..n-1 become lists.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

_KEY = re.compile(r"^([^\[\]]*)((?:\[[^\[\]]*\])*)$")


class FormError(ValueError):
    """The body is not a decodable PHP form."""


def _listify(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _listify(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node) and sorted(int(k) for k in node) == list(range(len(node))):
            return [node[str(i)] for i in range(len(node))]
    return node


def decode_pairs(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Nest ``a[b][]=v`` pairs the way PHP fills ``$_POST``."""
    root: dict[str, Any] = {}
    for raw_key, value in pairs:
        match = _KEY.match(raw_key)
        if not match or not match.group(1):
            raise FormError(f"bad form key {raw_key!r}")
        parts = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node: Any = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if not isinstance(node, dict):
                raise FormError(f"form key {raw_key!r} mixes a value and an array")
            if part == "":
                part = str(sum(1 for k in node if k.isdigit()))
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _listify(root)


def decode(raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormError("form body is not valid UTF-8") from exc
    return decode_pairs(pairs)
