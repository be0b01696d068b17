"""The seeded CRM.COM account, in live and test mode: credentials, reference data, the records the
document's examples name (so each example works as written), and generated contacts with accounts
and activities. Deterministic for the seed; dates are relative to ``pools.ANCHOR``."""

from __future__ import annotations

import random
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mockserver.seeding.pools import ANCHOR, Pools, pools, weighted
from mockserver.vendors.base import seeded_rng
from mockserver.vendors.crmcom.dialect import SECRET_ID

if TYPE_CHECKING:
    from mockserver.store import DocumentStore
    from mockserver.vendors.base import Vendor

LIVE_KEY = "4dc0809f-ed91-4b68-b912-5bd6064d901e"  # the key of the document's examples
TEST_KEY = "2189341e-981e-9ad5-9912-11101670314a"  # the key of its Authentication section
READ_ONLY_KEY = "0a1b2c3d-0000-4000-8000-00000000read"
DEMO_USER = "j_doe@crm.com"
DEMO_PASSWORD = "demo-password"
DEFAULT_CONTACTS = {"live": 150, "test": 40}
ANCHOR_EPOCH = int(ANCHOR.timestamp())

JOHN_DOE = "1c060611-0667-313e-b3bf-4cb70ee81cdf"
JOHN_SMITH = "a2c0809f-ed91-4b68-b912-5bd6064d602a"
MARIA = "3ec0809f-ed91-4458-b912-5bd6064dabf1"
USERS = [
    ("47ac694d-6281-b873-bf46-3fd8da334a3a", "John Doe", DEMO_USER),
    ("1edef819-0a1d-4d41-9d2a-d4bbc2ddbedf", "Anna Ioannou", "a_ioannou@crm.com"),
    ("c45903ff-4a00-49bd-93b4-6b2f0373ce20", "Nikos Charalambous", "n_charalambous@crm.com"),
]
TEAMS = [
    ("bf1370a1-73ad-0bbf-6fef-f2ce1938d4fe", "Support"),
    ("a43f08ca-998b-afbc-6ed4-c9dc2d136935", "Sales"),
    ("5beb415c-3246-1a10-f806-3f975e4898dc", "Field Service"),
]
ACTIVITY_TYPES = [
    ("HGJDHGSJDHG", "site visit", "876FD5"),
    ("cdd8e232-ddce-87c0-44fd-27f44035a252", "Call", "3C8DBC"),
    ("6f1c2b0e-8c1a-4e55-9f0e-2a7d3c1b5e01", "Meeting", "F39C12"),
    ("9a3e5d7c-1b2f-4c6d-8e9f-0a1b2c3d4e02", "Demo", "00A65A"),
]
TAGS = [
    ("96c3cb52-c68f-6ba6-e886-ed28f2b594cb", "Follow-up", "#FFA500"),
    ("1abe9097-d46a-d2ed-3415-fd3e1439d8d4", "VIP", "#0000FF"),
    ("609a369e-3f10-492a-8332-679ecbe56b65", "Maintenance", "FR547F"),
    ("2d4b6f80-1a3c-4e5f-8b9d-0c2e4f6a8b03", "Urgent", "#FF0000"),
    ("7e9f1a2b-3c4d-4e5f-9a0b-1c2d3e4f5a04", "Renewal", "#00AA00"),
]
CLASSIFICATIONS = [
    ("c8d83493-3f50-40df-adb0-762ec5f41863", "Delivery Purchase", False),
    ("d230809f-ed91-4b68-b912-5bd6064d602a", "Corporate", False),
    ("a2c0809f-ed91-4b68-b912-5bd6064d602a", "Retail", False),
    ("e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a05", "Standard", True),
]
PAYMENT_TERMS = [
    ("CAD1E31269B76D7A65ACCE45B2E68DFD", "Net 7", False),
    ("d230809f-ed91-4b68-b912-5bd6064d602a", "Net 30", True),
    ("0B5E2A7C9D1F4E3A8B6C0D2E4F6A8B1C", "Due on receipt", False),
]
CURRENCIES = {"EUR": 60, "USD": 25, "GBP": 15}
ACCOUNT_STATES = {"ACTIVE": 80, "SUSPENDED": 12, "TERMINATED": 8}
ACTIVITY_STATES = {"PENDING": 45, "COMPLETED": 40, "CANCELLED": 15}
ACTIVITY_NAMES = ["Call customer", "Arrange a demo", "Site visit", "Collect documents", "Renewal review"]
COUNTRIES = ["CYP", "GRC", "GBR", "USA"]


def _guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _address(
    ident: str, line1: str, line2: str, county: str, town: str, code: str, country: str, **geo: Any
) -> dict:
    return {
        "id": ident,
        "address_line_1": line1,
        "address_line_2": line2,
        "state_province_county": county,
        "town_city": town,
        "postal_code": code,
        "country_code": country,
        "lat": geo.get("lat"),
        "lon": geo.get("lon"),
        "google_place_id": geo.get("google_place_id"),
    }


def _contact(
    ident: str, first: str, last: str, code: str | None, org: str | None, addresses: list, created: int
) -> dict:
    return {
        "id": ident,
        "code": code,
        "type": "PERSON",
        "name": f"{first} {last}",
        "first_name": first,
        "last_name": last,
        "company_name": None,
        "email": f"{first}.{last}@example.com".lower(),
        "phone": None,
        "organisation_id": org,
        "addresses": addresses,
        "_created_on": created,
    }


def _account(ident: str, contact: str, number: str, name: str, currency: str, **extra: Any) -> dict:
    created = extra.pop("created", ANCHOR_EPOCH - 86400 * 200)
    doc = {
        "id": ident,
        "contact_id": contact,
        "name": name,
        "number": number,
        "is_primary": False,
        "state": "ACTIVE",
        "currency_code": currency,
        "balance": 0.0,
        "overdue_amount": 0.0,
        "credit_limit": 0.0,
        "payment_terms_id": "d230809f-ed91-4b68-b912-5bd6064d602a",
        "classification_id": "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a05",
        "billing_address_id": None,
        "_created_on": created,
        "_updated_on": created,
    }
    doc.update(extra)
    if doc["state"] == "TERMINATED":
        doc["_terminated_on"] = created + 86400 * 30
    return doc


def random_addresses(rng: random.Random, p: Pools) -> list[dict]:
    """None to two postal addresses for a contact."""
    return [
        _address(
            _guid(rng),
            f"{rng.randint(1, 300)} {rng.choice(p.last_names)} Street",
            "",
            "",
            rng.choice(p.cities),
            f"{rng.randint(1000, 9999)}",
            rng.choice(COUNTRIES),
        )
        for _ in range(rng.choice([0, 1, 1, 2]))
    ]


def random_account(
    rng: random.Random,
    contact: dict[str, Any],
    number: int,
    currency: str,
    primary: bool,
    state: str,
    opened: int,
    addresses: list[dict[str, Any]],
) -> dict:
    """A contact's account with plausible money figures (a terminated one holds none)."""
    return _account(
        _guid(rng),
        contact["id"],
        f"AC{number:08d}",
        f"AC{number:08d} {contact['name']}",
        currency,
        is_primary=primary,
        state=state,
        balance=0.0 if state == "TERMINATED" else round(rng.uniform(-20, 800), 2),
        overdue_amount=0.0 if state == "TERMINATED" else round(rng.choice([0, 0, 0, rng.uniform(0, 80)]), 2),
        credit_limit=float(rng.choice([0, 100, 250, 500, 1000])),
        classification_id=rng.choice(CLASSIFICATIONS)[0],
        payment_terms_id=rng.choice(PAYMENT_TERMS)[0],
        billing_address_id=addresses[0]["id"] if addresses and rng.random() < 0.7 else None,
        created=opened,
    )


def _activity(
    ident: str, name: str, contact: str, type_id: str, created: int, state: str, **extra: Any
) -> dict:
    states = [{"state": "PENDING", "date": created}]
    completed = None
    if state != "PENDING":
        when = extra.pop("state_date", created + 86400)
        states.append({"state": state, "date": when})
        completed = when if state == "COMPLETED" else None
    fields = extra.pop("custom_fields", [])
    doc = {
        "id": ident,
        "name": name,
        "description": extra.pop("description", None),
        "state": state,
        "key_dates": {
            "created_on": created,
            "scheduled_on": extra.pop(
                "scheduled_on", {"from_date": created + 3600, "to_date": created + 7200}
            ),
            "completed_on": completed,
        },
        "type_id": type_id,
        "contact_id": contact,
        "lead_id": None,
        "service_request_id": None,
        "order_id": None,
        "address": None,
        "states": states,
        "assign_to_user_id": None,
        "assign_to_team_id": None,
        "custom_fields": fields,
        "_custom_field_pairs": [f"{f['key']};{f['value']}" for f in fields],
        "tag_ids": [],
        "_updated_on": completed or created,
    }
    doc.update(extra)
    return doc


def documented(org_id: str) -> dict[str, list[dict]]:
    """The records the document's examples name, with the values they show."""
    nicosia = _address(
        "4d1b276d-6ae9-eca3-8c61-aedd35ebb9a4",
        "Elia Papakyriakou",
        "7 Tower Stars",
        "Egkomi",
        "Nicosia",
        "2015",
        "CYP",
        lat=35.157115,
        lon=33.313719,
        google_place_id="ChIJrTLr-GyuEmsRBfy61i59si0",
    )
    limassol = _address(
        "6cbe314d-9f32-d3c7-4be6-f453e7b8e77e", "28 Octovriou 120", "", "Limassol", "Limassol", "3035", "CYP"
    )
    oak = _address(LIVE_KEY, "2265 Oak Street", "", "New York", "Old Forge", "13420", "CYP")
    second = _address(
        "a345fb9f-ed91-4b68-b912-5bd6064d602a",
        "14 Makariou Avenue",
        "Flat 3",
        "Nicosia",
        "Nicosia",
        "1065",
        "CYP",
    )
    maria_home = _address(
        "e230809f-ed91-4b68-b912-5bd6064d602a", "5 Ledra Street", "", "Nicosia", "Nicosia", "1011", "CYP"
    )
    base = ANCHOR_EPOCH - 86400 * 400
    contacts = [
        _contact(JOHN_DOE, "John", "Doe", "C123", org_id, [nicosia, limassol], base),
        _contact(JOHN_SMITH, "John", "Smith", "C124", org_id, [oak, second], base + 60),
        _contact(MARIA, "Maria", "Georgiou", "C125", org_id, [maria_home], base + 120),
    ]
    accounts = [
        _account(
            LIVE_KEY,
            JOHN_SMITH,
            "AC00123456",
            "AC00123456 John Smith",
            "EUR",
            is_primary=True,
            balance=99.99,
            overdue_amount=9.99,
            credit_limit=99.99,
            payment_terms_id="CAD1E31269B76D7A65ACCE45B2E68DFD",
            classification_id="c8d83493-3f50-40df-adb0-762ec5f41863",
            billing_address_id=LIVE_KEY,
            created=base + 100,
        ),
        _account(
            JOHN_SMITH,
            JOHN_SMITH,
            "AC00123457",
            "AC00123457 John Smith",
            "USD",
            balance=15.5,
            created=base + 200,
        ),
        _account(
            "1eaa809f-ed91-4b68-b912-5bd6064d3400",
            MARIA,
            "AC00123458",
            "AC00123458 Maria Georgiou",
            "GBP",
            state="SUSPENDED",
            balance=40.0,
            overdue_amount=12.5,
            credit_limit=100.0,
            created=base + 300,
        ),
        _account(
            "2ee0809f-ed91-4b68-b912-5bd6064d602a",
            MARIA,
            "AC00123459",
            "AC00123459 Maria Georgiou",
            "USD",
            is_primary=True,
            balance=10.0,
            created=base + 400,
        ),
        _account(
            "5a1c0809-ed91-4b68-b912-5bd6064d7001",
            JOHN_DOE,
            "AC00123460",
            "AC00123460 John Doe",
            "EUR",
            is_primary=True,
            balance=250.0,
            credit_limit=500.0,
            created=base + 500,
        ),
    ]
    leads = [{"id": "2760043d-c671-a428-9b35-2f27b0623fa1", "title": "ASOS", "contact_id": JOHN_DOE}]
    orders = [
        {
            "id": "2760043d-c671-a428-9b35-2f27b0623fa1",
            "number": "O101367",
            "contact_id": JOHN_DOE,
            "address": nicosia,
        },
        {
            "id": "50490788-0f2c-0a73-8ae0-1b129f8fdb50",
            "number": "O101366",
            "contact_id": JOHN_DOE,
            "address": None,
        },
    ]
    requests = [
        {"id": "JHGHGF7576HGFTGD564654", "number": "SRV78001", "contact_id": JOHN_DOE, "address": limassol}
    ]
    doc_links = {
        "lead_id": "2760043d-c671-a428-9b35-2f27b0623fa1",
        "service_request_id": "JHGHGF7576HGFTGD564654",
        "order_id": "2760043d-c671-a428-9b35-2f27b0623fa1",
        "assign_to_user_id": "47ac694d-6281-b873-bf46-3fd8da334a3a",
        "assign_to_team_id": "bf1370a1-73ad-0bbf-6fef-f2ce1938d4fe",
    }
    back_office = [{"key": "back_office", "value": "Back Office"}]
    fixed = {"from_date": 1592809457, "to_date": 1592809457}
    activities = [
        _activity(
            "6215f115-321a-c3d4-8809-59ca5f502433",
            "Call customer",
            JOHN_DOE,
            "HGJDHGSJDHG",
            1592809457,
            "COMPLETED",
            state_date=1653400142,
            description="Arrange a call with the customer after 4pm to schedule a demo for next week",
            scheduled_on=fixed,
            address=nicosia,
            custom_fields=back_office,
            **doc_links,
        ),
        _activity(
            "1cf0d458-b799-1d99-52e4-d7f5081b3c01",
            "Call customer",
            JOHN_DOE,
            "HGJDHGSJDHG",
            1592809457,
            "CANCELLED",
            description="We need to call the customer to arrange a demo",
            scheduled_on=fixed,
            custom_fields=back_office,
            tag_ids=["609a369e-3f10-492a-8332-679ecbe56b65"],
            **doc_links,
        ),
        _activity(
            "43bf8b4a-6b7c-f86d-6faf-454b7e99a8e2",
            "Approve Offers",
            JOHN_DOE,
            "cdd8e232-ddce-87c0-44fd-27f44035a252",
            base + 1000,
            "PENDING",
        ),
        _activity(
            "52cbb887-a61a-9b1e-63df-1303f7b5718a",
            "Old reminder",
            JOHN_DOE,
            "cdd8e232-ddce-87c0-44fd-27f44035a252",
            base + 2000,
            "PENDING",
        ),
        _activity(
            "d4187991-4d1a-4aa2-fa3e-ce5fe7fdb7d9",
            "Send offer",
            JOHN_SMITH,
            "cdd8e232-ddce-87c0-44fd-27f44035a252",
            base + 3000,
            "PENDING",
        ),
        _activity(
            "d82881e9-a909-9d44-4f28-4b30fc1ac276",
            "VIP follow-up",
            JOHN_SMITH,
            "HGJDHGSJDHG",
            base + 4000,
            "PENDING",
            tag_ids=["1abe9097-d46a-d2ed-3415-fd3e1439d8d4"],
        ),
    ]
    return {
        "contacts": contacts,
        "accounts": accounts,
        "leads": leads,
        "orders": orders,
        "service_requests": requests,
        "activities": activities,
    }


def generate(mode: str, seed: int, count: int, org_ids: list[str], p: Pools) -> dict[str, list[dict]]:
    """Contacts with accounts (one per currency, one primary), leads, orders, requests, activities."""
    rng = seeded_rng(seed, f"crmcom:{mode}:records")
    out: dict[str, list[dict]] = {
        k: [] for k in ("contacts", "accounts", "leads", "orders", "service_requests", "activities")
    }
    number = 10_000_000
    for n in range(count):
        first, last = p.person(rng)
        created = ANCHOR_EPOCH - rng.randint(30 * 86400, 700 * 86400)
        addresses = random_addresses(rng, p)
        contact = _contact(
            _guid(rng),
            first,
            last,
            f"C{200000 + n}",
            rng.choice(org_ids) if rng.random() < 0.85 else None,
            addresses,
            created,
        )
        contact["email"] = p.email(rng, first, last, n)
        contact["phone"] = Pools.phone(rng)
        if rng.random() < 0.15:
            contact.update(type="COMPANY", company_name=rng.choice(p.companies))
            contact["name"] = contact["company_name"]
        out["contacts"].append(contact)
        currencies = rng.sample(list(CURRENCIES), rng.choice([0, 1, 1, 1, 2, 3]))
        for i, currency in enumerate(currencies):
            number += 1
            state = weighted(rng, ACCOUNT_STATES) if i else weighted(rng, {"ACTIVE": 90, "SUSPENDED": 10})
            opened = created + rng.randint(0, 20 * 86400)
            out["accounts"].append(
                random_account(rng, contact, number, currency, i == 0, state, opened, addresses)
            )
        links: dict[str, list[str]] = {"lead_id": [], "order_id": [], "service_request_id": []}
        if rng.random() < 0.3:
            lead = {"id": _guid(rng), "title": rng.choice(p.companies), "contact_id": contact["id"]}
            out["leads"].append(lead)
            links["lead_id"].append(lead["id"])
        for _ in range(rng.choice([0, 0, 1, 2])):
            order = {
                "id": _guid(rng),
                "number": f"O{rng.randint(100000, 999999)}",
                "contact_id": contact["id"],
                "address": addresses[0] if addresses else None,
            }
            out["orders"].append(order)
            links["order_id"].append(order["id"])
        if rng.random() < 0.2:
            request = {
                "id": _guid(rng),
                "number": f"SRV{rng.randint(10000, 99999)}",
                "contact_id": contact["id"],
                "address": None,
            }
            out["service_requests"].append(request)
            links["service_request_id"].append(request["id"])
        for _ in range(rng.choice([0, 1, 2, 3, 4, 5])):
            when = created + rng.randint(0, max(1, ANCHOR_EPOCH - created - 3600))
            state = weighted(rng, ACTIVITY_STATES)
            extra: dict[str, Any] = {
                field: rng.choice(ids) for field, ids in links.items() if ids and rng.random() < 0.5
            }
            if rng.random() < 0.6:
                extra["assign_to_user_id"] = rng.choice(USERS)[0]
            if rng.random() < 0.5:
                extra["assign_to_team_id"] = rng.choice(TEAMS)[0]
            if rng.random() < 0.3:
                extra["custom_fields"] = [{"key": "channel", "value": rng.choice(["web", "phone", "branch"])}]
            extra["tag_ids"] = [t[0] for t in rng.sample(TAGS, rng.choice([0, 0, 1, 2]))]
            if addresses and rng.random() < 0.5:
                extra["address"] = addresses[0]
            start = when + rng.randint(3600, 30 * 86400)
            out["activities"].append(
                _activity(
                    _guid(rng),
                    rng.choice(ACTIVITY_NAMES),
                    contact["id"],
                    rng.choice(ACTIVITY_TYPES)[0],
                    when,
                    state,
                    state_date=min(when + rng.randint(3600, 40 * 86400), ANCHOR_EPOCH),
                    description=rng.choice(p.sentences),
                    scheduled_on={"from_date": start, "to_date": start + rng.choice([1800, 3600, 7200])},
                    **extra,
                )
            )
    return out


def seed_crmcom(store: DocumentStore, vendor: Vendor, seed: int, now: datetime, records: int = 0) -> None:
    """Credentials (shared), then each mode's reference data and records. ``records`` is the live
    mode's number of generated contacts (test mode gets a quarter); 0 means the default."""
    secret_rng = seeded_rng(seed, "crmcom:secret")
    store.insert_many(
        vendor.collection("secrets"), [{"id": SECRET_ID, "value": f"{secret_rng.getrandbits(256):064x}"}]
    )
    store.insert_many(
        vendor.collection("api_keys"),
        [
            {"id": LIVE_KEY, "mode": "live", "user_id": USERS[0][0], "scopes": ["read", "write"]},
            {"id": TEST_KEY, "mode": "test", "user_id": USERS[0][0], "scopes": ["read", "write"]},
            {"id": READ_ONLY_KEY, "mode": "live", "user_id": USERS[0][0], "scopes": ["read"]},
        ],
    )
    store.insert_many(
        vendor.collection("logins"), [{"id": DEMO_USER, "password": DEMO_PASSWORD, "user_id": USERS[0][0]}]
    )
    p = pools(seed)
    for mode in ("live", "test"):
        rng = seeded_rng(seed, f"crmcom:{mode}:reference")

        def put(resource: str, docs: list[dict], mode: str = mode) -> None:
            store.insert_many(vendor.collection(resource, mode), docs)

        put("users", [{"id": i, "name": n, "username": u} for i, n, u in USERS])
        put("teams", [{"id": i, "name": n} for i, n in TEAMS])
        put("activity_types", [{"id": i, "name": n, "color": c} for i, n, c in ACTIVITY_TYPES])
        put(
            "tags",
            [
                {"id": i, "name": n, "colour": c, "_created_on": ANCHOR_EPOCH - 86400 * 500}
                for i, n, c in TAGS
            ],
        )
        put("classifications", [{"id": i, "name": n, "is_default": d} for i, n, d in CLASSIFICATIONS])
        put("payment_terms", [{"id": i, "name": n, "is_default": d} for i, n, d in PAYMENT_TERMS])
        orgs = [
            {
                "id": _guid(rng),
                "name": f"{city} Branch",
                "country_code": rng.choice(COUNTRIES),
                "_created_on": ANCHOR_EPOCH - 86400 * (800 - i),
            }
            for i, city in enumerate(rng.sample(p.cities, 6 if mode == "live" else 3))
        ]
        put("organisations", orgs)
        org_ids = [o["id"] for o in orgs]
        count = (
            DEFAULT_CONTACTS[mode] if not records else (records if mode == "live" else max(1, records // 4))
        )
        batch = documented(org_ids[0])
        for resource, docs in generate(mode, seed, count, org_ids, p).items():
            batch[resource].extend(docs)
        for resource, docs in batch.items():
            put(resource, docs)
