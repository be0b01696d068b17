"""The /dev/crm contract for ``crm-contract``: Bearer tokens, ``{"message"}`` errors, ``{data,
pagination}`` lists, UUID ids, ISO 8601 dates. Loaded only by the contract toolkit."""

from __future__ import annotations

import csv
import io
import re
import zlib
from typing import Any

from contract_tests.profile import Auth, Credentials, CrudProbe, ListProbe, VendorContract, is_iso_8601, pick

NIL = "00000000-0000-4000-8000-000000000000"


def auth(credentials: Credentials) -> Auth:
    headers = dict(credentials.headers)
    secret = credentials.token or credentials.api_key  # the document's "API key" is a Bearer token
    if secret:
        headers["Authorization"] = f"Bearer {secret}"
    return Auth(headers=headers, header_names=("authorization",))


def error_envelope(mount: str, status: int, body: Any) -> str | None:
    if not isinstance(body, dict) or not isinstance(body.get("message"), str):
        return f'expected {{"message": str}}, got {str(body)[:200]}'
    return None


def unauthenticated(mount: str, status: int, body: Any) -> str | None:
    if status != 401:
        return f"status {status}, expected 401"
    return error_envelope(mount, status, body)


def _pick(known: list[str], value: str) -> str:
    return known[zlib.crc32(value.encode("utf-8", "surrogatepass")) % len(known)] if known else value


def _csv(value: Any) -> str:
    """A valid CSV for a positive case's random ``file`` (text: Schemathesis revalidates edited cases)."""
    tag = zlib.crc32(repr(value).encode("utf-8", "surrogatepass"))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["name", "email", "phone"])
    writer.writerow([f"Fuzz {tag}", f"fuzz{tag}@example.com", "+15550100"])
    return buffer.getvalue()


def positive_fixups(case: Any, known: Any) -> None:
    # a link from a nullable field (an unconverted customer's lead_id) gives None: name no record
    for name, value in (case.path_parameters or {}).items():
        if value is None:
            case.path_parameters[name] = NIL
    body = case.body
    if not isinstance(body, dict):
        return
    if case.operation.path.endswith("/import") and "file" in body:
        body["file"] = _csv(body["file"])
    if case.operation.path.startswith("/orders"):
        for field, path in (("customer_id", "/customers?limit=20"), ("product_id", "/products?limit=20")):
            if isinstance(body.get(field), str):
                ids = [r["id"] for r in known(path) if r.get("status") != "blocked"]
                body[field] = _pick(ids, body[field])


def classify(mount: str, method: str, path: str, raw: dict[str, Any]) -> str:
    if method == "GET":
        return "read"
    if (method, path) in (("POST", "/leads"), ("POST", "/customers"), ("POST", "/orders")):
        return "create"
    return "write"


def tag_body(body: Any, tag: str) -> Any:
    if isinstance(body, dict):
        fields = body.get("custom_fields") if isinstance(body.get("custom_fields"), dict) else {}
        body["custom_fields"] = {**fields, "crm_contract_run": tag}
    return body


def cleanup(mount: str, path: str, body: Any) -> tuple[str, str, Any] | None:
    ident = body.get("id") if isinstance(body, dict) else None
    return ("DELETE", f"{path.rstrip('/')}/{ident}", None) if isinstance(ident, str) else None


def _lead(tag: str) -> dict[str, Any]:
    return {
        "name": "Contract Probe",
        "email": "contract.probe@example.com",
        "phone": "+15550100",
        "company": "Probe Ltd",
        "source": "website",
        "custom_fields": {"crm_contract_run": tag},
    }


CONTRACT = VendorContract(
    key="devcrm",
    auth=auth,
    mock_credentials=Credentials(token="demo-token"),
    error_envelope=error_envelope,
    unauthenticated=unauthenticated,
    documented_rate_limit="60/m",  # the document names none; a cautious pace for production accounts
    date_key=re.compile(r"_at$|^last_contact$"),
    date_value=is_iso_8601,
    date_format_name="ISO 8601",
    lists=(
        ListProbe(
            path="/leads?sort_by=created_at&sort_order=asc",
            page_param="page",
            size_param="limit",
            items=pick("data"),
            total=pick("pagination.total"),
        ),
    ),
    crud=(
        CrudProbe(
            resource="leads",
            create=("POST", "/leads"),
            body=_lead,
            get=lambda ident: ("GET", f"/leads/{ident}", None),
            delete=lambda ident: ("DELETE", f"/leads/{ident}", None),
            id_of=pick("id"),
            compare=("name", "email", "phone", "company", "custom_fields.crm_contract_run"),
        ),
    ),
    positive_fixups=positive_fixups,
    classify=classify,
    tag_body=tag_body,
    cleanup=cleanup,
)
