"""The seeded CRM-Ultra account: users, keys, templates, and leads with a consistent history.

Every lead's counters, ``lastActivity``, score and timeline agree with its notes, tasks and
emails, exactly as if they had been created through the API.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from mockserver.engine.ids import make_id
from mockserver.seeding.adapter import GenContext, ResourcePlan, ScenarioAdapter
from mockserver.seeding.pools import ANCHOR, Pools, pools, weighted
from mockserver.vendors.base import seeded_rng
from mockserver.vendors.ultra.models import LEAD_DEFAULTS, lead_score

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


@dataclass(frozen=True)
class LeadStyle:
    """How generated lead histories are distributed; the defaults are the default seed's."""

    status: dict[str, float] = field(default_factory=lambda: dict(STATUS_WEIGHTS))
    source: dict[str, float] = field(default_factory=lambda: dict(SOURCE_WEIGHTS))
    insurance: dict[str, float] = field(default_factory=lambda: dict(INSURANCE_WEIGHTS))
    state: dict[str, float] = field(default_factory=lambda: dict(STATE_WEIGHTS))
    priority: dict[str, float] | None = None  # None: the default seed's uniform pick
    anchor: datetime = ANCHOR  # nothing happens after it
    span_seconds: int = 180 * 86400  # leads are created within this long before the anchor
    notes: tuple[int, int] | None = None  # per lead; None: the default seed's distribution
    tasks: tuple[int, int] | None = None
    emails: tuple[int, int] | None = None
    locale: str = "en_US"


DEFAULT_STYLE = LeadStyle()
PRIORITIES = [None, "low", "medium", "medium", "high", "urgent"]


def _pick(rng: random.Random, table: dict[str, float] | None, default: list) -> Any:
    return weighted(rng, table) if table else rng.choice(default)  # type: ignore[arg-type]


def _how_many(rng: random.Random, span: tuple[int, int] | None, default: list[int]) -> int:
    return rng.randint(*span) if span else rng.choice(default)


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
    rng: random.Random, p: Pools, ids: _Ids, users: list[str], n: int, style: LeadStyle = DEFAULT_STYLE
) -> tuple[dict, list[dict], list[dict], list[dict], list[dict]]:
    """One lead with its notes, tasks, emails and the timeline those imply."""
    first, last = p.person(rng)
    anchor = style.anchor
    created = anchor - timedelta(seconds=rng.randint(0, style.span_seconds))
    lead_id = ids("leads")
    status = weighted(rng, style.status)  # type: ignore[arg-type]
    has_email = rng.random() < 0.92
    lead: dict[str, Any] = {
        "id": lead_id,
        "source": weighted(rng, style.source),  # type: ignore[arg-type]
        "email": p.email(rng, first, last, n) if has_email else None,
        "phone": Pools.phone(rng) if (not has_email or rng.random() < 0.7) else None,
        "firstName": first,
        "lastName": last,
        "city": rng.choice(p.cities),
        "state": weighted(rng, style.state),  # type: ignore[arg-type]
        "insuranceType": weighted(rng, style.insurance),  # type: ignore[arg-type]
        "tags": sorted(set(rng.sample(TAGS, rng.choice([0, 0, 1, 1, 2])))),
        "customFields": {},
        "priority": _pick(rng, style.priority, PRIORITIES),
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
        clock = min(clock + timedelta(minutes=rng.randint(5, max_hours * 60)), anchor)
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
    for _ in range(_how_many(rng, style.notes, [0, 1, 1, 2, 3])):
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
    for _ in range(_how_many(rng, style.tasks, [0, 1, 1, 2])):
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
        for _ in range(_how_many(rng, style.emails, [0, 1, 1, 2])):
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


def generate_leads(
    vendor: Vendor, seed: int, count: int, users: list[str], style: LeadStyle = DEFAULT_STYLE
) -> Iterator[tuple]:
    rng = seeded_rng(seed, "ultra:leads")
    ids = _Ids(vendor, seeded_rng(seed, "ultra:ids"))
    p = pools(seed, style.locale)
    for n in range(count):
        yield _lead_history(rng, p, ids, users, n, style)


def seed_ultra(store: DocumentStore, vendor: Vendor, seed: int, now: datetime, leads: int = 0) -> None:
    """Write the seeded account. ``leads`` of 0 means the default few hundred."""
    for resource, docs in account(seed).items():
        store.insert_many(vendor.collection(resource), docs)
    write_histories(store, vendor, seed, leads or DEFAULT_LEADS, DEFAULT_STYLE)


def account(seed: int, locale: str = "en_US") -> dict[str, list[dict]]:
    """Users, API keys, OAuth clients and templates: the demo account every state starts from."""
    users = _users(seeded_rng(seed, "ultra:users"), pools(seed, locale))
    keys, clients = _credentials(users)
    return {
        "users": users,
        "api_keys": keys,
        "oauth_clients": clients,
        "templates": [
            {"id": t, "name": n, "subject": s, "body": b, "variables": v} for t, n, s, b, v in TEMPLATES
        ],
    }


def assignable(users: list[dict]) -> list[str]:
    return [u["id"] for u in users if u["role"] != "ADMIN"]


def histories(vendor: Vendor, seed: int, count: int, style: LeadStyle) -> Iterator[tuple[str, list[dict]]]:
    """Leads with full, consistent histories, as (resource, docs) batches of 5,000 leads."""
    user_ids = assignable(account(seed, style.locale)["users"])
    batch: dict[str, list[dict]] = {r: [] for r in ("leads", "notes", "tasks", "emails", "activities")}
    for history in generate_leads(vendor, seed, count, user_ids, style):
        for resource, docs in zip(batch, (history[0:1], *history[1:]), strict=True):
            batch[resource].extend(docs)
        if len(batch["leads"]) >= 5000:
            yield from _drain(batch)
    yield from _drain(batch)


def _drain(batch: dict[str, list[dict]]) -> Iterator[tuple[str, list[dict]]]:
    for resource, docs in batch.items():
        if docs:
            yield resource, list(docs)
            docs.clear()


def write_histories(store: DocumentStore, vendor: Vendor, seed: int, count: int, style: LeadStyle) -> None:
    for resource, docs in histories(vendor, seed, count, style):
        store.insert_many(vendor.collection(resource), docs)


# -- scenario files ----------------------------------------------------------------------------
# Lightweight leads for large sets: columns drawn in one ``choices(k=...)`` call each and
# timestamps formatted from tables, about 5 µs a lead instead of 40 µs for a full history.
_TAG_SETS = [[], [], [], [], ["high-value"], ["hot"], ["referral"], ["renewal"], ["hot", "high-value"]]
_NO_CHILD_STATUS = ("new",)


def _cum(table: dict[str, float]) -> tuple[list[str], list[float]]:
    keys = list(table)
    return keys, list(itertools.accumulate(float(table[k]) for k in keys))


def _ascii(text: str) -> str:
    import unicodedata

    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum()) or "x"


def light_leads(
    seed: int, count: int, style: LeadStyle, users: list[str], timeline: bool
) -> Iterator[tuple[str, list[dict]]]:
    """``count`` leads without notes, tasks or emails, in batches of 20,000.

    With ``timeline`` each lead has its LEAD_CREATED activity (what the API writes on create), so
    ``lastActivity`` and the timeline agree; without it a lead has no activity and ``lastActivity``
    is null. Counters are 0 either way: the state is consistent, only smaller.

    Leads come in creation order (``createdAt`` ascending with ``seq``). About 3 µs a lead:
    the independent weighted fields (status, source, insurance type, state)
    are drawn together as one pick from their joint table, which also carries each combination's
    share of the score; the rest are uniform picks from precomputed pools, one list draw per batch
    and column; timestamps come from ``timefmt`` tables.
    """
    from mockserver.seeding.timefmt import epoch_seconds, iso_z

    if count > 90_000_000:  # ids are lead_ + 9 digits, drawn from slices of that space
        raise ValueError(f"at most 90,000,000 generated leads, not {count:,}")
    rng = random.Random(f"{seed}:ultra:light-leads")
    p = pools(seed, style.locale)
    local = {name: _ascii(name) for name in (*p.first_names, *p.last_names)}
    firsts = [(f, local[f] + ".") for f in p.first_names]
    lasts = [(last, local[last]) for last in p.last_names]
    # every generated lead has names, city and state: 20 + 2 + 3 + 5, plus source and insurance
    joint: list[tuple[str, str, str, str, int, bool]] = []
    joint_w: list[float] = []
    for (status, ws), (source, wsrc), (kind, wk) in itertools.product(
        style.status.items(), style.source.items(), style.insurance.items()
    ):
        base = 30 + lead_score({"source": source, "insuranceType": kind}) - 20
        for state, wst in style.state.items():
            joint.append((status, source, kind, state, base, status in _NO_CHILD_STATUS))
            joint_w.append(float(ws) * float(wsrc) * float(wk) * float(wst))
    joint_cw = list(itertools.accumulate(joint_w))
    prio_keys, prio_cw = _cum(style.priority) if style.priority else (PRIORITIES, None)
    owners: list[str | None] = [*users, None]
    owner_cw = list(itertools.accumulate([0.75 / max(len(users), 1)] * len(users) + [0.25]))
    tag_sets = [(t, lead_score({"tags": t}) - 20) for t in _TAG_SETS]
    domains = ["@" + d for d in p.domains]
    top = epoch_seconds(style.anchor)
    act = random.Random(f"{seed}:ultra:light-activities")
    done = 0
    while done < count:
        k = min(20_000, count - done)
        combos = rng.choices(joint, cum_weights=joint_cw, k=k)
        people_f = rng.choices(firsts, k=k)
        people_l = rng.choices(lasts, k=k)
        cities = rng.choices(p.cities, k=k)
        pri = rng.choices(prio_keys, cum_weights=prio_cw, k=k)
        own = rng.choices(owners, cum_weights=owner_cw, k=k)
        tags = rng.choices(tag_sets, k=k)
        dom = rng.choices(domains, k=k)
        rnd, span = rng.random, style.span_seconds
        # creation times in order, as a CRM fills up: batch after batch takes the next slice of
        # the window (sorted within it). Index builds over sorted keys are about a third faster.
        lo = top - span + span * done // count
        width = max(1, top - span + span * (done + k) // count - lo)
        created = sorted([lo + int(rnd() * width) for _ in range(k)])
        contact = [rnd() for _ in range(k)]
        # ids rise with creation too (each batch draws from its own slice of the 9-digit space):
        # the id index then grows at its end instead of at random places
        id_lo = 100_000_000 + 900_000_000 * done // count
        id_width = 100_000_000 + 900_000_000 * (done + k) // count - id_lo
        drawn: set[int] = set()
        while len(drawn) < k:
            drawn.add(id_lo + int(rnd() * id_width))
        ids = sorted(drawn)
        leads: list[dict] = []
        acts: list[dict] = []
        append = leads.append
        for i in range(k):
            status, source, kind, state, score, fresh = combos[i]
            first, first_local = people_f[i]
            last, last_local = people_l[i]
            c, num, roll = created[i], ids[i], contact[i]
            made = iso_z(c)
            if fresh:
                moved = made
            else:
                m = c + num % 2_000_000
                moved = iso_z(m if m < top else top)
            tag_list, tag_score = tags[i]
            if roll < 0.92:
                email: str | None = f"{first_local}{last_local}{done + i}{dom[i]}"
                score += 10
            else:
                email = None
            if roll > 0.64:
                phone: str | None = f"+1{2_000_000_000 + num * 7 % 7_999_999_999}"
                score += 10
            else:
                phone = None
            lead = {
                "id": f"lead_{num}",
                "source": source,
                "email": email,
                "phone": phone,
                "firstName": first,
                "lastName": last,
                "city": cities[i],
                "state": state,
                "insuranceType": kind,
                "tags": tag_list,
                "customFields": {},
                "priority": pri[i],
                "assignedTo": own[i],
                "status": status,
                "createdAt": made,
                "updatedAt": moved,
                "lastActivity": made if timeline else None,
                "notesCount": 0,
                "tasksCount": 0,
                "emailsCount": 0,
            }
            if status == "won":
                lead["_convertedAt"] = moved
            # lead_score(lead), from precomputed parts (equal by construction, checked in tests;
            # at most 85: never clipped)
            lead["score"] = score + tag_score
            append(lead)
            if timeline:
                acts.append(
                    {
                        "id": "act_" + "".join(act.choices(_ALNUM, k=10)),
                        "type": "LEAD_CREATED",
                        "description": f"Lead created from {source}: {first} {last}",
                        "createdAt": made,
                        "createdBy": lead["assignedTo"],
                        "metadata": {"source": source},
                        "leadId": lead["id"],
                    }
                )
        done += k
        yield "leads", leads
        if acts:
            yield "activities", acts


class UltraScenario(ScenarioAdapter):
    """CRM-Ultra's part in scenario files (``mockserver.seeding.adapter.ScenarioAdapter``)."""

    weights: ClassVar[dict[str, dict[str, dict[str, float]]]] = {
        "leads": {
            "status": dict(STATUS_WEIGHTS),
            "source": dict(SOURCE_WEIGHTS),
            "insuranceType": dict(INSURANCE_WEIGHTS),
            "state": dict(STATE_WEIGHTS),
            "priority": {"low": 1, "medium": 2, "high": 1, "urgent": 1},
        },
        "notes": {},
        "tasks": {},
        "emails": {},
    }
    options: ClassVar[dict[str, dict[str, Any]]] = {
        "leads": {
            "history": {
                "enum": ["full", "created", "none"],
                "description": "full: notes, tasks, emails and the timeline they imply; created: the "
                "LEAD_CREATED activity only; none: leads alone (fastest, for load tests)",
            }
        }
    }
    references: ClassVar[dict[str, dict[str, str]]] = {
        "leads": {"assignedTo": "users"},
        "notes": {"createdBy": "users"},
        "tasks": {"assigneeId": "users"},
        "activities": {"createdBy": "users"},
        "api_keys": {"userId": "users"},
        "oauth_clients": {"userId": "users"},
        "emails": {"templateId": "templates"},
    }
    tenant = None

    def account(self, ctx: GenContext) -> dict[str, list[dict]]:
        return account(ctx.seed, ctx.locale)

    def _style(self, ctx: GenContext, plans: dict[str, ResourcePlan]) -> LeadStyle:
        """A scenario's weights replace the default table of that field; children ranges too."""
        plan = plans.get("leads") or ResourcePlan()
        w = plan.weights
        earliest, latest = plan.window(ctx.anchor, 180)
        per = {r: plans[r].per if r in plans else None for r in ("notes", "tasks", "emails")}
        return LeadStyle(
            status=w.get("status") or dict(STATUS_WEIGHTS),
            source=w.get("source") or dict(SOURCE_WEIGHTS),
            insurance=w.get("insuranceType") or dict(INSURANCE_WEIGHTS),
            state=w.get("state") or dict(STATE_WEIGHTS),
            priority=w.get("priority"),
            anchor=latest,
            span_seconds=max(1, int((latest - earliest).total_seconds())),
            notes=per["notes"],
            tasks=per["tasks"],
            emails=per["emails"],
            locale=ctx.locale,
        )

    def generate(self, ctx: GenContext, plans: dict[str, ResourcePlan]) -> Iterator[tuple[str, list[dict]]]:
        plan = plans.get("leads")
        if plan is None or not plan.count:
            return
        style = self._style(ctx, plans)
        history = plan.options.get("history", "full")
        if history == "full":
            yield from histories(ctx.vendor, ctx.seed, plan.count, style)
        else:
            users = assignable(account(ctx.seed, ctx.locale)["users"])
            yield from light_leads(ctx.seed, plan.count, style, users, timeline=history == "created")

    def complete(self, ctx: GenContext, resource: str, doc: dict[str, Any]) -> dict[str, Any]:
        """Defaults the API fills in on create, so explicit records read like created ones."""
        now = ctx.stamp(ctx.anchor)
        if resource == "leads":
            out = {**LEAD_DEFAULTS, "source": "other", "status": "new", "tags": [], "customFields": {}}
            out.update(doc)
            out.setdefault("createdAt", now)
            out.setdefault("updatedAt", out["createdAt"])
            return out
        if resource == "notes":
            return {"visibility": "TEAM", "createdAt": now, "createdBy": None, **doc}
        if resource == "tasks":
            out = {
                "description": None,
                "priority": "MEDIUM",
                "status": "OPEN",
                "type": "FOLLOW_UP",
                "dueDate": None,
                "assigneeId": None,
                "createdAt": now,
                "completedAt": None,
                **doc,
            }
            out.setdefault("updatedAt", out["createdAt"])
            return out
        if resource == "emails":
            out = {
                "status": "SENT",
                "templateId": None,
                "scheduledFor": None,
                "opened": False,
                "openedAt": None,
                "createdAt": now,
                **doc,
            }
            out.setdefault("sentAt", out["createdAt"] if out["status"] == "SENT" else None)
            return out
        if resource == "activities":
            return {"description": "", "createdAt": now, "createdBy": None, "metadata": {}, **doc}
        return doc

    def finalize(self, ctx: GenContext, records: dict[str, list[dict]]) -> None:
        """Explicit leads get the timeline, counters, score and ``lastActivity`` their explicit
        notes, tasks and emails imply, unless the scenario wrote those fields itself."""
        leads = {lead["id"]: lead for lead in records.get("leads", [])}
        if not leads:
            return
        given_timeline = {a.get("leadId") for a in records.get("activities", [])}
        events: dict[str, list[tuple[str, str, str, dict]]] = {lid: [] for lid in leads}
        counts: dict[str, dict[str, int]] = {lid: {} for lid in leads}
        for lid, lead in leads.items():
            source, name = lead.get("source"), f"{lead.get('firstName')} {lead.get('lastName')}"
            events[lid].append(
                (lead["createdAt"], "LEAD_CREATED", f"Lead created from {source}: {name}", {"source": source})
            )
            if lead.get("status") in ("won", "lost"):
                change, when, outcome = (
                    {"from": "quoted", "to": lead["status"]},
                    lead["updatedAt"],
                    lead["status"],
                )
                events[lid].append(
                    (when, "STATUS_CHANGED", f"Status changed from quoted to {outcome}", change)
                )
                events[lid].append((when, outcome.upper(), f"Lead marked {outcome.upper()}", change))
                if outcome == "won":
                    lead.setdefault("_convertedAt", when)
        for resource, counter in (
            ("notes", "notesCount"),
            ("tasks", "tasksCount"),
            ("emails", "emailsCount"),
        ):
            for doc in records.get(resource, []):
                lid = doc.get("leadId")
                if lid not in leads:
                    continue
                counts[lid][counter] = counts[lid].get(counter, 0) + 1
                events[lid].extend(_child_events(resource, doc))
        timeline = records.setdefault("activities", [])
        rng = ctx.rng("explicit-activities")
        for lid, lead in leads.items():
            for counter in ("notesCount", "tasksCount", "emailsCount"):
                lead.setdefault(counter, counts[lid].get(counter, 0))
            if lid not in given_timeline:
                for at, kind, text, meta in sorted(events[lid], key=lambda e: e[0]):
                    timeline.append(
                        {
                            "id": "act_" + "".join(rng.choices(_ALNUM, k=10)),
                            "type": kind,
                            "description": text,
                            "createdAt": at,
                            "createdBy": lead.get("assignedTo"),
                            "metadata": meta,
                            "leadId": lid,
                        }
                    )
        latest: dict[str, str] = {}
        for a in timeline:
            lid = a.get("leadId")
            if lid in leads and a["createdAt"] > latest.get(lid, ""):
                latest[lid] = a["createdAt"]
        for lid, lead in leads.items():
            lead.setdefault("lastActivity", latest.get(lid))
            lead.setdefault("score", lead_score(lead))


_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"


def _child_events(resource: str, doc: dict) -> list[tuple[str, str, str, dict]]:
    if resource == "notes":
        return [(doc["createdAt"], "NOTE_ADDED", "Note added", {"noteId": doc["id"]})]
    if resource == "tasks":
        out = [(doc["createdAt"], "TASK_CREATED", f"Task created: {doc.get('title')}", {"taskId": doc["id"]})]
        if doc.get("status") == "COMPLETED" and doc.get("completedAt"):
            out.append(
                (
                    doc["completedAt"],
                    "TASK_COMPLETED",
                    f"Task completed: {doc.get('title')}",
                    {"taskId": doc["id"]},
                )
            )
        return out
    if doc.get("status") == "SENT":
        meta = {"emailId": doc["id"], "template": doc.get("templateId")}
        return [
            (doc.get("sentAt") or doc["createdAt"], "EMAIL_SENT", f"Email sent: {doc.get('subject')}", meta)
        ]
    return []
