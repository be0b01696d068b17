"""The seeded CRM-Ultra account: users, keys, templates, and leads with a consistent history.

Every lead's counters, ``lastActivity``, score and timeline agree with its notes, tasks and
emails, exactly as if they had been created through the API.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from mockserver.engine.ids import make_id
from mockserver.seeding.pools import ANCHOR, Pools, pools, weighted
from mockserver.vendors.base import seeded_rng
from mockserver.vendors.ultra.models import lead_score

if TYPE_CHECKING:
    from mockserver.store import DocumentStore
    from mockserver.vendors.base import Vendor

DEFAULT_LEADS = 300
DEMO_KEY = "demo-key"
STATUS_WEIGHTS = {"new": 30, "contacted": 20, "qualified": 18, "quoted": 12, "won": 12, "lost": 8}
STATUS_PATH = ["new", "contacted", "qualified", "quoted"]
SOURCE_WEIGHTS = {
    "website": 25,
    "facebook_ads": 20,
    "google_ads": 15,
    "referral": 12,
    "email_campaign": 8,
    "social_media": 7,
    "cold_call": 5,
    "partner": 4,
    "event": 3,
    "other": 1,
}
INSURANCE_WEIGHTS = {"AUTO": 35, "HOME": 25, "LIFE": 12, "HEALTH": 10, "BUNDLE": 10, "COMMERCIAL": 8}
STATE_WEIGHTS = {
    "CA": 12,
    "TX": 9,
    "FL": 7,
    "NY": 6,
    "PA": 4,
    "IL": 4,
    "OH": 4,
    "GA": 3,
    "NC": 3,
    "MI": 3,
    "NJ": 3,
    "VA": 3,
    "WA": 2,
    "AZ": 2,
    "MA": 2,
    "TN": 2,
    "IN": 2,
    "MO": 2,
    "MD": 2,
    "WI": 2,
    "CO": 2,
    "MN": 2,
    "SC": 2,
    "AL": 2,
    "LA": 1,
    "KY": 1,
    "OR": 1,
    "OK": 1,
    "CT": 1,
    "UT": 1,
}
TAGS = ["high-value", "referral", "hot", "renewal", "multi-policy", "callback", "spanish"]
ROLES = {
    "SALES_REP": ["read:leads", "write:leads"],
    "SALES_MANAGER": ["read:leads", "write:leads", "read:reports"],
    "ADMIN": ["read:leads", "write:leads", "read:reports", "admin:users"],
}
TEMPLATES = [
    (
        "template_quote_followup",
        "Quote Follow-up",
        "Your Insurance Quote",
        "Hi {{firstName}}, regarding your quote...",
        ["firstName", "lastName", "quoteAmount"],
    ),
    (
        "template_welcome",
        "Welcome",
        "Welcome, {{firstName}}",
        "Hi {{firstName}}, thanks for your interest in {{insuranceType}} coverage.",
        ["firstName", "insuranceType"],
    ),
    (
        "template_renewal",
        "Renewal Reminder",
        "Your policy renews soon",
        "Hi {{firstName}} {{lastName}}, your policy renews on {{renewalDate}}.",
        ["firstName", "lastName", "renewalDate"],
    ),
    (
        "template_documents",
        "Policy Documents",
        "Your policy documents",
        "Hi {{firstName}}, your documents are attached.",
        ["firstName"],
    ),
]
TASK_TITLES = [
    "Follow up on quote",
    "Call back",
    "Send policy comparison",
    "Schedule review meeting",
    "Collect driver details",
    "Prepare bundle quote",
]


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class _Ids:
    """Unique ids per resource from one seeded stream."""

    def __init__(self, vendor: Vendor, rng: random.Random) -> None:
        self.vendor, self.rng, self.seen = vendor, rng, set()

    def __call__(self, resource: str) -> str:
        fmt = self.vendor.spec.resource(resource).id_format
        while True:
            candidate = make_id(fmt, self.rng)
            if candidate not in self.seen:
                self.seen.add(candidate)
                return candidate


def _users(rng: random.Random, p: Pools) -> list[dict[str, Any]]:
    users = [
        {
            "id": "user_abc123",
            "name": "Jane Smith",
            "email": "jane@company.com",
            "role": "SALES_MANAGER",
            "createdAt": "2023-06-15T08:30:00Z",
        },
        {
            "id": "user_xyz789",
            "name": "Marcus Reed",
            "email": "marcus@company.com",
            "role": "SALES_REP",
            "createdAt": "2023-07-03T09:00:00Z",
        },
    ]
    for i, role in enumerate(["SALES_REP", "SALES_REP", "SALES_REP", "ADMIN"]):
        first, last = p.person(rng)
        users.append(
            {
                "id": f"user_{rng.choice('abcdefghjk')}{100 + i * 37}{rng.choice('pqrst')}"
                f"{rng.choice('xyz')}",
                "name": f"{first} {last}",
                "email": f"{first}.{last}@company.com".lower(),
                "role": role,
                "createdAt": iso(Pools.moment(rng, 900, ANCHOR - timedelta(days=200))),
            }
        )
    for u in users:
        u["permissions"] = ROLES[u["role"]]
    return users


def _credentials(users: list[dict[str, Any]]) -> tuple[list[dict], list[dict]]:
    keys = [
        {
            "id": DEMO_KEY,
            "userId": "user_abc123",
            "tier": "enterprise",
            "active": True,
            "limits": {"perMinute": 1_000_000, "perHour": None},
        }
    ]
    for tier, user in zip(["free", "basic", "professional", "enterprise"], users[1:], strict=False):
        keys.append({"id": f"demo-{tier}", "userId": user["id"], "tier": tier, "active": True})
    clients = [
        {
            "id": "demo-client",
            "secret": "demo-secret",
            "userId": "user_abc123",
            "tier": "professional",
            "redirectUris": ["http://localhost:8080/callback", "http://127.0.0.1:8080/callback"],
            "scopes": ["read", "write"],
        }
    ]
    return keys, clients


def _lead_history(
    rng: random.Random, p: Pools, ids: _Ids, users: list[str], n: int
) -> tuple[dict, list[dict], list[dict], list[dict], list[dict]]:
    """One lead with its notes, tasks, emails and the timeline those imply."""
    first, last = p.person(rng)
    created = Pools.moment(rng, 180)
    lead_id = ids("leads")
    status = weighted(rng, STATUS_WEIGHTS)
    has_email = rng.random() < 0.92
    lead: dict[str, Any] = {
        "id": lead_id,
        "source": weighted(rng, SOURCE_WEIGHTS),
        "email": p.email(rng, first, last, n) if has_email else None,
        "phone": Pools.phone(rng) if (not has_email or rng.random() < 0.7) else None,
        "firstName": first,
        "lastName": last,
        "city": rng.choice(p.cities),
        "state": weighted(rng, STATE_WEIGHTS),
        "insuranceType": weighted(rng, INSURANCE_WEIGHTS),
        "tags": sorted(set(rng.sample(TAGS, rng.choice([0, 0, 1, 1, 2])))),
        "customFields": {},
        "priority": rng.choice([None, "low", "medium", "medium", "high", "urgent"]),
        "assignedTo": rng.choice(users) if rng.random() < 0.75 else None,
        "status": status,
    }
    events: list[tuple[datetime, str, str, dict]] = [
        (
            created,
            "LEAD_CREATED",
            f"Lead created from {lead['source']}: {first} {last}",
            {"source": lead["source"]},
        )
    ]
    clock = created

    def later(max_hours: int = 96) -> datetime:
        nonlocal clock
        clock = min(clock + timedelta(minutes=rng.randint(5, max_hours * 60)), ANCHOR)
        return clock

    path = (
        STATUS_PATH[: STATUS_PATH.index(status) + 1]
        if status in STATUS_PATH
        else STATUS_PATH[: rng.randint(2, 4)]
    )
    for before, after in itertools.pairwise(path):
        events.append(
            (
                later(),
                "STATUS_CHANGED",
                f"Status changed from {before} to {after}",
                {"from": before, "to": after},
            )
        )
    updated = clock
    notes, tasks, emails = [], [], []
    for _ in range(rng.choice([0, 1, 1, 2, 3])):
        note = {
            "id": ids("notes"),
            "content": rng.choice(p.sentences),
            "visibility": rng.choice(["TEAM", "TEAM", "PRIVATE", "PUBLIC"]),
            "createdAt": iso(later()),
            "createdBy": rng.choice(users),
            "leadId": lead_id,
        }
        notes.append(note)
        events.append((clock, "NOTE_ADDED", "Note added", {"noteId": note["id"]}))
    for _ in range(rng.choice([0, 1, 1, 2])):
        at = later()
        task_status = rng.choice(["OPEN", "OPEN", "IN_PROGRESS", "COMPLETED", "CANCELLED"])
        task = {
            "id": ids("tasks"),
            "title": rng.choice(TASK_TITLES),
            "description": rng.choice(p.sentences),
            "priority": rng.choice(["LOW", "MEDIUM", "MEDIUM", "HIGH", "URGENT"]),
            "status": task_status,
            "type": rng.choice(["FOLLOW_UP", "CALL", "MEETING", "EMAIL", "QUOTE", "OTHER"]),
            "dueDate": iso(at + timedelta(days=rng.randint(1, 10))),
            "assigneeId": rng.choice(users),
            "createdAt": iso(at),
            "updatedAt": iso(at),
            "completedAt": None,
            "leadId": lead_id,
        }
        events.append((at, "TASK_CREATED", f"Task created: {task['title']}", {"taskId": task["id"]}))
        if task_status == "COMPLETED":
            done = later()
            task["completedAt"] = task["updatedAt"] = iso(done)
            events.append(
                (done, "TASK_COMPLETED", f"Task completed: {task['title']}", {"taskId": task["id"]})
            )
        tasks.append(task)
    if lead["email"]:
        for _ in range(rng.choice([0, 1, 1, 2])):
            tid, _name, subject, body, _vars = rng.choice(TEMPLATES)
            at = later()
            email = {
                "id": ids("emails"),
                "status": "SENT",
                "to": [lead["email"]],
                "subject": subject.replace("{{firstName}}", first),
                "body": body.replace("{{firstName}}", first).replace("{{lastName}}", last),
                "templateId": tid,
                "scheduledFor": None,
                "sentAt": iso(at),
                "opened": False,
                "openedAt": None,
                "createdAt": iso(at),
                "leadId": lead_id,
            }
            emails.append(email)
            events.append(
                (
                    at,
                    "EMAIL_SENT",
                    f"Email sent: {email['subject']}",
                    {"emailId": email["id"], "template": tid},
                )
            )
    if status in ("won", "lost"):
        before = path[-1]
        decided = later(240)
        updated = decided
        meta = {"from": before, "to": status}
        events.append((decided, "STATUS_CHANGED", f"Status changed from {before} to {status}", meta))
        events.append((decided, status.upper(), f"Lead marked {status.upper()}", meta))
        if status == "won":
            lead["_convertedAt"] = iso(decided)
    events.sort(key=lambda e: e[0])
    activities = [
        {
            "id": ids("activities"),
            "type": kind,
            "description": text,
            "createdAt": iso(at),
            "createdBy": lead["assignedTo"],
            "metadata": meta,
            "leadId": lead_id,
        }
        for at, kind, text, meta in events
    ]
    lead.update(
        createdAt=iso(created),
        updatedAt=iso(updated),
        lastActivity=activities[-1]["createdAt"],
        notesCount=len(notes),
        tasksCount=len(tasks),
        emailsCount=len(emails),
    )
    lead["score"] = lead_score(lead)
    return lead, notes, tasks, emails, activities


def generate_leads(vendor: Vendor, seed: int, count: int, users: list[str]) -> Iterator[tuple]:
    rng = seeded_rng(seed, "ultra:leads")
    ids = _Ids(vendor, seeded_rng(seed, "ultra:ids"))
    p = pools(seed)
    for n in range(count):
        yield _lead_history(rng, p, ids, users, n)


def seed_ultra(store: DocumentStore, vendor: Vendor, seed: int, now: datetime, leads: int = 0) -> None:
    """Write the seeded account. ``leads`` of 0 means the default few hundred."""
    rng = seeded_rng(seed, "ultra:users")
    users = _users(rng, pools(seed))
    keys, clients = _credentials(users)
    store.insert_many(vendor.collection("users"), users)
    store.insert_many(vendor.collection("api_keys"), keys)
    store.insert_many(vendor.collection("oauth_clients"), clients)
    store.insert_many(
        vendor.collection("templates"),
        [{"id": t, "name": n, "subject": s, "body": b, "variables": v} for t, n, s, b, v in TEMPLATES],
    )
    user_ids = [u["id"] for u in users if u["role"] != "ADMIN"]
    batch: dict[str, list[dict]] = {r: [] for r in ("leads", "notes", "tasks", "emails", "activities")}
    for history in generate_leads(vendor, seed, leads or DEFAULT_LEADS, user_ids):
        for resource, docs in zip(batch, (history[0:1], *history[1:]), strict=True):
            batch[resource].extend(docs)
        if len(batch["leads"]) >= 5000:
            _flush(store, vendor, batch)
    _flush(store, vendor, batch)


def _flush(store: DocumentStore, vendor: Vendor, batch: dict[str, list[dict]]) -> None:
    for resource, docs in batch.items():
        store.insert_many(vendor.collection(resource), docs)
        docs.clear()
