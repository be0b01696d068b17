"""CRM-Ultra's contract for ``crm-contract``: what its wire must look like, checked against the mock
or the real API alike. Loaded only by the contract toolkit (it needs Schemathesis)."""

from __future__ import annotations

import re
import zlib
from typing import Any

from contract_tests.profile import Auth, Credentials, CrudProbe, ListProbe, VendorContract, is_iso_8601, pick

OAUTH = "/oauth"
TAG_FIELD = "crmContractRun"

# Fields naming another record: no schema says "an id that exists", so positive cases name the
# document's own example records (seeded in the mock; documented, so present in a demo account).
KNOWN = {
    ("body", "assignedTo"): ["user_abc123", "user_xyz789"],
    ("body", "assigneeId"): ["user_abc123", "user_xyz789"],
    ("body", "templateId"): [
        "template_quote_followup",
        "template_welcome",
        "template_renewal",
        "template_documents",
    ],
    ("query", "client_id"): ["demo-client"],
    ("query", "redirect_uri"): ["http://localhost:8080/callback", "http://127.0.0.1:8080/callback"],
}


def auth(credentials: Credentials) -> Auth:
    headers = dict(credentials.headers)
    if credentials.api_key:
        headers["X-API-Key"] = credentials.api_key
    if credentials.token:
        headers["Authorization"] = f"Bearer {credentials.token}"
    return Auth(headers=headers, header_names=("x-api-key", "authorization"))


def error_envelope(mount: str, status: int, body: Any) -> str | None:
    if mount == OAUTH and status == 405 and error_envelope("/v1", status, body) is None:
        return None  # a wrong method is refused by the server before the OAuth endpoint sees it
    if mount == OAUTH:  # RFC 6749 section 5.2
        if not isinstance(body, dict) or not isinstance(body.get("error"), str):
            return f"expected {{error, error_description}}, got {str(body)[:200]}"
        return None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return f'expected {{"error": {{code, message, details, request_id}}}}, got {str(body)[:200]}'
    missing = [k for k in ("code", "message", "request_id") if not isinstance(error.get(k), str)]
    if missing or "details" not in error:
        return f"error object lacks {missing or ['details']}: {str(body)[:200]}"
    if status == 429 and not isinstance(error.get("retry_after"), int):
        return "429 without retry_after"
    return None


def unauthenticated(mount: str, status: int, body: Any) -> str | None:
    if status != 401:
        return f"status {status}, expected 401"
    problem = error_envelope(mount, status, body)
    if problem:
        return problem
    code = body["error"]["code"]
    return None if code == "invalid_api_key" else f"code {code!r}, expected 'invalid_api_key'"


def positive_fixups(case: Any, known: Any) -> None:
    for (location, name), values in KNOWN.items():
        container = case.body if location == "body" else case.query
        if (
            isinstance(container, dict)
            and isinstance(container.get(name), str)
            and container[name] not in values
        ):
            value = container[name]
            container[name] = values[zlib.crc32(value.encode("utf-8", "surrogatepass")) % len(values)]


def classify(mount: str, method: str, path: str, raw: dict[str, Any]) -> str:
    if method in ("GET", "HEAD"):
        return "read"
    if (method, path) in (("POST", "/leads"), ("POST", "/webhooks")):
        return "create"  # both can be deleted again
    return "write"


def tag_body(body: Any, tag: str) -> Any:
    if isinstance(body, dict):
        if "events" in body:  # a webhook
            body["secret"] = tag
        else:
            fields = body.get("customFields") if isinstance(body.get("customFields"), dict) else {}
            body["customFields"] = {**fields, TAG_FIELD: tag}
    return body


def cleanup(mount: str, path: str, body: Any) -> tuple[str, str, Any] | None:
    ident = body.get("id") if isinstance(body, dict) else None
    if not isinstance(ident, str):
        return None
    return ("DELETE", f"{path.rstrip('/')}/{ident}", None)


def _lead(tag: str) -> dict[str, Any]:
    return {
        "firstName": "Contract",
        "lastName": "Probe",
        "email": "contract.probe@example.com",
        "phone": "+15550100",
        "source": "website",
        "insuranceType": "AUTO",
        "tags": ["contract"],
        "customFields": {TAG_FIELD: tag},
    }


CONTRACT = VendorContract(
    key="ultra",
    auth=auth,
    mock_credentials=Credentials(api_key="demo-key"),
    error_envelope=error_envelope,
    unauthenticated=unauthenticated,
    secured_mounts=("/v1",),
    rate_limit_headers=(
        "X-RateLimit-Limit",
        "X-RateLimit-Remaining",
        "X-RateLimit-Reset",
        "X-RateLimit-Retry-After",
    ),
    rate_limit_mounts=("/v1",),
    documented_rate_limit="60/m",  # the free tier, the lowest the document lists
    date_key=re.compile(r"(At|Date)$|^(lastActivity|timestamp)$"),
    date_value=is_iso_8601,
    date_format_name="ISO 8601",
    lists=(
        ListProbe(
            path="/leads?sortBy=createdAt&sortOrder=asc",
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
            compare=("firstName", "lastName", "email", "phone", "insuranceType", f"customFields.{TAG_FIELD}"),
            gone=lambda status, body: None if status == 404 else f"status {status}, expected 404",
        ),
    ),
    positive_fixups=positive_fixups,
    classify=classify,
    tag_body=tag_body,
    cleanup=cleanup,
)
