"""APRO CRM's contract for ``crm-contract``: the 32-character ``apikey`` inside the POST body, and
every API-level refusal answered HTTP 200 with ``{"status": "fail", "message": CODE}`` (the
document has no HTTP statuses). Loaded only by the contract toolkit.

Schemathesis's ``negative_data_rejection`` expects invalid data to get a 4xx, so it is off here;
``error_envelope`` checks the fail envelope of every refusal instead."""

from __future__ import annotations

import re
from typing import Any

from contract_tests.profile import Auth, Credentials, CrudProbe, ListProbe, VendorContract
from mockserver.vendors.apro.dialect import WRITES

SHAREDAPI = "/sharedapi"
CODES = {"ACCESS_DENY", "LIMIT_EXCEEDED", "BAD_REQUEST", "BAD_PARAMS"}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$")


def auth(credentials: Credentials) -> Auth:
    key = credentials.api_key or credentials.token
    return Auth(headers=dict(credentials.headers), body_fields={"apikey": key} if key else {})


def is_refusal(mount: str, status: int, body: Any) -> bool:
    if mount != SHAREDAPI:
        return False
    return 400 <= status < 500 or (isinstance(body, dict) and body.get("status") == "fail")


def error_envelope(mount: str, status: int, body: Any) -> str | None:
    if not isinstance(body, dict) or body.get("status") != "fail":
        return f'expected {{"status": "fail", "message": CODE}}, got {str(body)[:200]}'
    if body.get("message") not in CODES:
        return f"message {body.get('message')!r} is not one of {sorted(CODES)}"
    return None


def unauthenticated(mount: str, status: int, body: Any) -> str | None:
    if status != 200:
        return f"HTTP {status}, expected 200 with the fail envelope"
    problem = error_envelope(mount, status, body)
    if problem:
        return problem
    return None if body["message"] == "ACCESS_DENY" else f"message {body['message']!r}, expected ACCESS_DENY"


def classify(mount: str, method: str, path: str, raw: dict[str, Any]) -> str:
    if mount != SHAREDAPI:
        return "read" if method == "GET" else "write"
    if (method, path) == ("POST", "/purchaser/insert"):
        return "create"
    return "write" if (raw.get("x-mock-handler") or "").endswith(WRITES) else "read"


def tag_body(body: Any, tag: str) -> Any:
    if isinstance(body, dict) and isinstance(body.get("params"), list):
        for entry in body["params"]:
            if isinstance(entry, dict):
                entry["patronymic"] = tag
    return body


def cleanup(mount: str, path: str, body: Any) -> tuple[str, str, Any] | None:
    ids = body.get("data") if isinstance(body, dict) and body.get("status") == "success" else None
    if not isinstance(ids, list) or not ids:
        return None
    return ("POST", "/purchaser/delete", {"params": ids})


def _data(body: Any) -> Any:
    return body.get("data") if isinstance(body, dict) and body.get("status") == "success" else None


def _first(body: Any) -> Any:
    data = _data(body)
    items = data.get("list") if isinstance(data, dict) else None
    return items[0] if items else None


CONTRACT = VendorContract(
    key="apro",
    auth=auth,
    mock_credentials=Credentials(api_key="demo" * 8),
    error_envelope=error_envelope,
    is_refusal=is_refusal,
    unauthenticated=unauthenticated,
    secured_mounts=(SHAREDAPI,),
    documented_rate_limit="200/h",  # the document: 200 requests per hour per key
    date_key=re.compile(r"_date$"),
    date_value=lambda value: isinstance(value, str) and bool(DATE.match(value)),
    date_format_name="YYYY-MM-DD HH:MM:SS",
    lists=(
        ListProbe(
            path="/purchaser/filter",
            method="POST",
            page_param="page",
            size_param="limit",
            body=lambda page, limit: {"params": {"page": page, "limit": limit}},
            items=lambda body: (_data(body) or {}).get("list") if isinstance(_data(body), dict) else None,
            total=lambda body: (
                int((_data(body) or {}).get("count", -1)) if isinstance(_data(body), dict) else None
            ),
        ),
    ),
    crud=(
        CrudProbe(
            resource="purchaser",
            create=("POST", "/purchaser/insert"),
            body=lambda tag: {"params": [{"name": "Contract", "surname": "Probe", "patronymic": tag}]},
            get=lambda ident: ("POST", "/purchaser/filter", {"params": {"byid": int(ident)}}),
            delete=lambda ident: ("POST", "/purchaser/delete", {"params": [int(ident)]}),
            id_of=lambda body: str(_data(body)[0]) if isinstance(_data(body), list) and _data(body) else None,
            record_of=_first,
            compare=("name", "surname", "patronymic"),
            sent_of=lambda body: body["params"][0],
            gone=lambda status, body: (
                None if status == 200 and _first(body) is None else "still listed by byid"
            ),
        ),
    ),
    disabled_checks=("negative_data_rejection",),
    classify=classify,
    tag_body=tag_body,
    cleanup=cleanup,
    stateful=False,
)
