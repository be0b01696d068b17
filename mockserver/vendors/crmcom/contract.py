"""CRM.COM Back-Office v2's contract for ``crm-contract``: ``api_key`` header or Bearer JWT,
``{status, message, error, parameters}`` errors, ``{content, paging}`` lists, epoch-second dates.
Loaded only by the contract toolkit."""

from __future__ import annotations

import re
import zlib
from typing import Any

from contract_tests.profile import Auth, Credentials, CrudProbe, ListProbe, VendorContract, pick

JOHN_DOE = "1c060611-0667-313e-b3bf-4cb70ee81cdf"  # the document's example contact
ACTIVITY_TYPE = "HGJDHGSJDHG"
# Refusals that depend on stored state, not on the request's shape (a terminated account is final,
# a currency a contact already has, a fourth breakdown): right answers to schema-valid requests.
STATE_RULES = {
    "CRM.EXCEPTIONS.ACCOUNTTERMINATEDEXCEPTION",
    "CRM.EXCEPTIONS.ACCOUNTSUSPENDEDEXCEPTION",
    "CRM.EXCEPTIONS.DUPLICATECURRENCYEXCEPTION",
    "CRM.EXCEPTIONS.DUPLICATECODEEXCEPTION",
    "CRM.EXCEPTIONS.CURRENCYMISMATCHEXCEPTION",
}
STATE_MESSAGES = ("at most 3 breakdowns", "already broken down", "balance cannot move")
KNOWN = {
    "type_id": [ACTIVITY_TYPE, "cdd8e232-ddce-87c0-44fd-27f44035a252"],
    "activity_type_id": [ACTIVITY_TYPE, "cdd8e232-ddce-87c0-44fd-27f44035a252"],
    "classification_id": ["c8d83493-3f50-40df-adb0-762ec5f41863", "d230809f-ed91-4b68-b912-5bd6064d602a"],
    "payment_terms_id": ["CAD1E31269B76D7A65ACCE45B2E68DFD", "d230809f-ed91-4b68-b912-5bd6064d602a"],
    "user_id": ["47ac694d-6281-b873-bf46-3fd8da334a3a", "1edef819-0a1d-4d41-9d2a-d4bbc2ddbedf"],
    "team_id": ["bf1370a1-73ad-0bbf-6fef-f2ce1938d4fe", "a43f08ca-998b-afbc-6ed4-c9dc2d136935"],
}
LINKS = {
    "LEAD": "2760043d-c671-a428-9b35-2f27b0623fa1",
    "ORDER": "50490788-0f2c-0a73-8ae0-1b129f8fdb50",
    "SERVICE_REQUEST": "JHGHGF7576HGFTGD564654",
}


def auth(credentials: Credentials) -> Auth:
    headers = dict(credentials.headers)
    if credentials.api_key:
        headers["api_key"] = credentials.api_key
    if credentials.token:
        headers["Authorization"] = f"Bearer {credentials.token}"
    return Auth(headers=headers, header_names=("api_key", "authorization"))


def error_envelope(mount: str, status: int, body: Any) -> str | None:
    if not isinstance(body, dict):
        return f"expected {{status, message, error, parameters}}, got {str(body)[:200]}"
    if body.get("status") != status:
        return f"status field {body.get('status')!r} differs from HTTP {status}"
    if not isinstance(body.get("message"), str) or not isinstance(body.get("parameters"), list):
        return f"message / parameters missing: {str(body)[:200]}"
    if not str(body.get("error", "")).startswith("CRM.EXCEPTIONS."):
        return f"error {body.get('error')!r} is not a CRM.EXCEPTIONS name"
    return None


def unauthenticated(mount: str, status: int, body: Any) -> str | None:
    if status != 401:
        return f"status {status}, expected 401"
    return error_envelope(mount, status, body)


def _pick(value: Any, known: list[str]) -> str:
    text = str(value)
    return text if text in known else known[zlib.crc32(text.encode("utf-8", "surrogatepass")) % len(known)]


def _fix(body: dict[str, Any]) -> None:
    """Make a schema-valid body also reference-valid, deterministically."""
    for name, known in KNOWN.items():
        if isinstance(body.get(name), str):
            body[name] = _pick(body[name], known)
    if isinstance(body.get("assign_to"), dict):
        _fix(body["assign_to"])
    if isinstance(body.get("linked_to"), list):
        seen: dict[str, str] = {}
        for link in body["linked_to"]:
            if isinstance(link, dict) and link.get("type") in LINKS:
                seen[link["type"]] = LINKS[link["type"]]
        links = [{"type": t, "id": i} for t, i in seen.items()]
        if any(isinstance(x, dict) and x.get("type") == "CONTACT" for x in body["linked_to"]):
            links.insert(0, {"type": "CONTACT", "id": JOHN_DOE})
        body["linked_to"] = links
    if body.get("address_id") is not None:
        body["address_id"] = "4d1b276d-6ae9-eca3-8c61-aedd35ebb9a4"  # John Doe's
        body.pop("use_entity_address", None)
    scheduled = body.get("scheduled_on")
    if isinstance(scheduled, dict):
        start, end = scheduled.get("from_date"), scheduled.get("to_date")
        if isinstance(start, int) and isinstance(end, int) and end < start:
            scheduled["to_date"] = start
    if isinstance(body.get("custom_fields"), list):
        body["custom_fields"] = list(
            {f["key"]: f for f in body["custom_fields"] if isinstance(f, dict)}.values()
        )
    start, end = body.get("from_date"), body.get("to_date")
    if isinstance(start, int) and isinstance(end, int) and end < start:
        body["from_date"], body["to_date"] = end, start
    for item in body.get("events") or []:
        if isinstance(item, dict):
            _fix(item)


def positive_fixups(case: Any, known: Any) -> None:
    if isinstance(case.body, dict):
        _fix(case.body)


def tolerate(check: str, case: Any, response: Any) -> bool:
    """A documented state-dependent refusal of a schema-valid request is right."""
    if check != "positive_data_acceptance" or response.status_code != 400:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return body.get("error") in STATE_RULES or any(m in body.get("message", "") for m in STATE_MESSAGES)


def classify(mount: str, method: str, path: str, raw: dict[str, Any]) -> str:
    if method == "GET" or (method, path) == ("POST", "/users/authenticate"):
        return "read"
    if (method, path) in (("POST", "/activities"), ("POST", "/insights")):
        return "create"  # both can be deleted again
    return "write"


def tag_body(body: Any, tag: str) -> Any:
    if isinstance(body, dict):
        body["description"] = tag
    return body


def cleanup(mount: str, path: str, body: Any) -> tuple[str, str, Any] | None:
    ident = body.get("id") if isinstance(body, dict) else None
    return ("DELETE", f"{path.rstrip('/')}/{ident}", None) if isinstance(ident, str) else None


def _activity(tag: str) -> dict[str, Any]:
    return {
        "name": "Contract probe",
        "description": tag,
        "type_id": ACTIVITY_TYPE,
        "scheduled_on": {"from_date": 1767856985, "to_date": 1767858785},
        "linked_to": [{"type": "CONTACT", "id": JOHN_DOE}],
    }


CONTRACT = VendorContract(
    key="crmcom",
    auth=auth,
    mock_credentials=Credentials(api_key="4dc0809f-ed91-4b68-b912-5bd6064d901e"),
    error_envelope=error_envelope,
    unauthenticated=unauthenticated,
    documented_rate_limit="60/m",  # the document names none; a cautious pace for production accounts
    date_key=re.compile(r"_on$|^(from_date|to_date)$"),
    date_value=lambda value: isinstance(value, int) and not isinstance(value, bool) and value >= 0,
    date_format_name="epoch seconds",
    lists=(
        ListProbe(
            path="/contacts?sort=CREATED_DATE&order=ASC",
            page_param="page",
            size_param="size",
            items=pick("content"),
            total=pick("paging.total"),
        ),
    ),
    crud=(
        CrudProbe(
            resource="activities",
            create=("POST", "/activities"),
            body=_activity,
            get=lambda ident: ("GET", f"/activities/{ident}", None),
            delete=lambda ident: ("DELETE", f"/activities/{ident}", None),
            id_of=pick("id"),
            compare=("name", "description"),
        ),
    ),
    positive_fixups=positive_fixups,
    tolerate=tolerate,
    classify=classify,
    tag_body=tag_body,
    cleanup=cleanup,
)
