"""The JSON Schema of scenario files (``crm-mock scenario schema`` prints it).

Structure only: which vendors, resources, weighted fields and options exist is checked against
the vendors' adapters afterwards, with the same file / line / field error.
"""

from __future__ import annotations

from typing import Any

ALIAS = r"^[A-Za-z_][A-Za-z0-9_-]*$"
# now | -3d | +2h | now-1d12h | an ISO 8601 time (dates for `created` windows and `anchor`)
RELATIVE = r"^(now|(now)?([+-][0-9]+[smhdw]([0-9]+[smhdw])*)+)$"
WHEN = RELATIVE[:-2] + r"|[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9:.]+(Z|[+-][0-9:]+)?)?)$"

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://crm-mock.local/scenario.schema.json",
    "title": "crm-mock scenario",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "scenario": {"type": "string", "description": "name (defaults to the file name)"},
        "description": {"type": "string"},
        "extends": {
            "description": "scenario name(s) or path(s), relative to this file, loaded first",
            "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
        },
        "seed": {"type": "integer", "minimum": 0, "description": "default: the server's --seed"},
        "locale": {"type": "string", "pattern": "^[a-z]{2,3}(_[A-Z]{2})?$"},
        "anchor": {
            "type": "string",
            "pattern": WHEN,
            "description": "the time relative dates count from (default now: the server clock)",
        },
        "vendors": {
            "type": "object",
            "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"},
            "additionalProperties": {"$ref": "#/$defs/vendor"},
        },
        "collections": {
            "type": "object",
            "description": "verbatim store content (what `export` writes), collection -> documents",
            "propertyNames": {"pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
            "additionalProperties": {
                "type": "array",
                "items": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
            },
        },
        "meta": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "$defs": {
        "vendor": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "base": {
                    "enum": ["account", "default", "none"],
                    "description": "account: users and credentials only (default); default: the "
                    "vendor's default seed; none: nothing",
                },
                "generate": {"type": "object", "additionalProperties": {"$ref": "#/$defs/plan"}},
                "records": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"$ref": "#/$defs/record"}},
                },
            },
        },
        "plan": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "count": {"type": "integer", "minimum": 0},
                "per": {"$ref": "#/$defs/range", "description": "children per parent record"},
                "weights": {"type": "object", "additionalProperties": {"$ref": "#/$defs/weights"}},
                "created": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "from": {"type": "string", "pattern": WHEN},
                        "to": {"type": "string", "pattern": WHEN},
                    },
                },
                "options": {"type": "object"},
            },
        },
        "weights": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {"type": "number", "minimum": 0},
        },
        "range": {
            "oneOf": [
                {"type": "integer", "minimum": 0},
                {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 2, "maxItems": 2},
            ]
        },
        "record": {
            "type": "object",
            "properties": {"alias": {"type": "string", "pattern": ALIAS}},
        },
    },
}
