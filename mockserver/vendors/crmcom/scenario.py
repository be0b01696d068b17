"""CRM.COM's part in scenario files (``mockserver.seeding.adapter.ScenarioAdapter``).

CRM.COM keeps live and test mode apart (the api_key picks one), so every record has a partition:
explicit records say ``_mode: test`` to go to test mode (live otherwise; the field is not stored),
and ``generate.contacts.options.mode`` picks live, test or both. Records use the API's shapes:
UUID ids, epoch-second dates (``_created_on``, ``key_dates``), accounts numbered ``AC########``
with one primary per contact, activities with the state history their state implies, and links
(lead, order, service request) only to records of the same contact and mode.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from typing import Any, ClassVar

from mockserver.seeding.adapter import GenContext, ResourcePlan, ScenarioAdapter
from mockserver.seeding.pools import Pools
from mockserver.vendors.crmcom.dialect import SECRET_ID
from mockserver.vendors.crmcom.seed import (
    ACCOUNT_STATES,
    ACTIVITY_NAMES,
    ACTIVITY_STATES,
    ACTIVITY_TYPES,
    CLASSIFICATIONS,
    COUNTRIES,
    CURRENCIES,
    DEMO_PASSWORD,
    DEMO_USER,
    LIVE_KEY,
    PAYMENT_TERMS,
    READ_ONLY_KEY,
    TAGS,
    TEAMS,
    TEST_KEY,
    USERS,
    _account,
    _activity,
    _contact,
    random_account,
    random_addresses,
)

DAY = 86400
MODES = ("live", "test")
SHARED = frozenset({"api_keys", "logins", "secrets"})  # one collection for both modes
BATCH = 5_000


def _guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _pick(rng: random.Random, table: dict[str, float]) -> str:
    return rng.choices(list(table), weights=list(table.values()))[0]


class CrmcomScenario(ScenarioAdapter):
    """Contacts, organisations, accounts and activities, per mode, with CRM.COM's formats."""

    weights: ClassVar[dict[str, dict[str, dict[str, float]]]] = {
        "contacts": {"type": {"PERSON": 85, "COMPANY": 15}},
        "organisations": {},
        "accounts": {"state": dict(ACCOUNT_STATES), "currency_code": dict(CURRENCIES)},
        "activities": {"state": dict(ACTIVITY_STATES)},
    }
    options: ClassVar[dict[str, dict[str, Any]]] = {
        "contacts": {
            "mode": {
                "enum": ["live", "test", "both"],
                "description": "the partition generated records go to (default live); both: the "
                "count in live mode and a quarter of it (and of the activities) in test mode",
            }
        },
    }
    references: ClassVar[dict[str, dict[str, str]]] = {
        "contacts": {"organisation_id": "organisations"},
        "accounts": {"payment_terms_id": "payment_terms", "classification_id": "classifications"},
        "activities": {
            "contact_id": "contacts",
            "type_id": "activity_types",
            "lead_id": "leads",
            "order_id": "orders",
            "service_request_id": "service_requests",
            "assign_to_user_id": "users",
            "assign_to_team_id": "teams",
        },
        "leads": {"contact_id": "contacts"},
        "orders": {"contact_id": "contacts"},
        "service_requests": {"contact_id": "contacts"},
    }
    tenant = "live"

    def partition(self, resource: str, doc: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        """``_mode`` picks the mode (live by default) and is not stored; credentials are shared."""
        if resource in SHARED:
            return None, doc
        if "_mode" not in doc:
            return "live", doc
        mode = doc["_mode"]
        if mode not in MODES:
            raise ValueError(f"_mode is live or test, not {mode!r}")
        return mode, {k: v for k, v in doc.items() if k != "_mode"}

    def account(self, ctx: GenContext) -> dict[str, list[dict]]:
        """Credentials (both modes) and each mode's reference data and organisations."""
        secret = ctx.rng("secret").getrandbits(256)
        out: dict[str, list[dict]] = {
            "secrets": [{"id": SECRET_ID, "value": f"{secret:064x}"}],
            "api_keys": [
                {"id": LIVE_KEY, "mode": "live", "user_id": USERS[0][0], "scopes": ["read", "write"]},
                {"id": TEST_KEY, "mode": "test", "user_id": USERS[0][0], "scopes": ["read", "write"]},
                {"id": READ_ONLY_KEY, "mode": "live", "user_id": USERS[0][0], "scopes": ["read"]},
            ],
            "logins": [{"id": DEMO_USER, "password": DEMO_PASSWORD, "user_id": USERS[0][0]}],
        }
        epoch = ctx.anchor_epoch
        for mode in MODES:

            def add(resource: str, docs: list[dict], mode: str = mode) -> None:
                out.setdefault(resource, []).extend({**d, "_mode": mode} for d in docs)

            add("users", [{"id": i, "name": n, "username": u} for i, n, u in USERS])
            add("teams", [{"id": i, "name": n} for i, n in TEAMS])
            add("activity_types", [{"id": i, "name": n, "color": c} for i, n, c in ACTIVITY_TYPES])
            add(
                "tags",
                [{"id": i, "name": n, "colour": c, "_created_on": epoch - 500 * DAY} for i, n, c in TAGS],
            )
            add("classifications", [{"id": i, "name": n, "is_default": d} for i, n, d in CLASSIFICATIONS])
            add("payment_terms", [{"id": i, "name": n, "is_default": d} for i, n, d in PAYMENT_TERMS])
            add("organisations", self._organisations(ctx, mode, 6 if mode == "live" else 3, "account"))
        return out

    def _organisations(self, ctx: GenContext, mode: str, count: int, stream: str) -> list[dict]:
        rng = ctx.rng(f"{mode}:{stream}:organisations")
        cities = ctx.pools.cities
        return [
            {
                "id": _guid(rng),
                "name": f"{rng.choice(cities)} Branch"
                if stream == "account"
                else f"{rng.choice(cities)} Office {i + 1}",
                "country_code": rng.choice(COUNTRIES),
                "_created_on": ctx.anchor_epoch - DAY * (800 - i),
            }
            for i in range(count)
        ]

    def generate(
        self, ctx: GenContext, plans: dict[str, ResourcePlan]
    ) -> Iterator[tuple[str, list[dict], str]]:
        contacts_plan = plans.get("contacts")
        count = (contacts_plan.count or 0) if contacts_plan else 0
        mode_opt = (contacts_plan.options.get("mode") if contacts_plan else None) or "live"
        shares = {"live": count, "test": 0} if mode_opt == "live" else {"live": 0, "test": count}
        if mode_opt == "both":
            shares = {"live": count, "test": max(1, count // 4) if count else 0}
        org_plan = plans.get("organisations")
        for mode in MODES:
            # the mode's organisations in the store: this account's or the default seed's
            orgs = [o["id"] for o in ctx.store.scan(ctx.collection("organisations", mode))]
            if org_plan and org_plan.count:
                extra = self._organisations(ctx, mode, org_plan.count, "generated")
                orgs += [o["id"] for o in extra]
                yield "organisations", extra, mode
            if shares[mode]:
                share = shares[mode] / max(shares.values())  # activities by count: test gets its share
                yield from self._records(ctx, plans, mode, shares[mode], orgs, share)

    def _records(
        self,
        ctx: GenContext,
        plans: dict[str, ResourcePlan],
        mode: str,
        count: int,
        orgs: list[str],
        share: float = 1.0,
    ) -> Iterator[tuple[str, list[dict], str]]:
        rng = ctx.rng(f"scenario:{mode}:records")  # not the default seed's stream
        p: Pools = ctx.pools
        top = ctx.anchor_epoch
        cp = plans["contacts"]
        lo, hi = cp.window(ctx.anchor, 700)
        start, end = int(lo.timestamp()), int(hi.timestamp())
        kind_w = cp.weights.get("type") or {"PERSON": 85, "COMPANY": 15}
        acc_plan, act_plan = plans.get("accounts"), plans.get("activities")
        state_w = (acc_plan.weights.get("state") if acc_plan else None) or None
        cur_w = (acc_plan.weights.get("currency_code") if acc_plan else None) or CURRENCIES
        act_w = (act_plan.weights.get("state") if act_plan else None) or ACTIVITY_STATES
        # activities: a count spreads them over the contacts; otherwise 0-5 per contact
        spread = round(act_plan.count * share) if act_plan and act_plan.count is not None else None
        number = 10_000_000 if mode == "live" else 50_000_000
        out: dict[str, list[dict]] = {}
        contact_links: list[tuple[dict, dict[str, list[str]], list[dict]]] = []
        for n in range(count):
            first, last = p.person(rng)
            created = start + int(rng.random() * max(1, end - start))
            addresses = random_addresses(rng, p)
            contact = _contact(
                _guid(rng),
                first,
                last,
                f"C{(200000 if mode == 'live' else 600000) + n}",
                rng.choice(orgs) if orgs and rng.random() < 0.85 else None,
                addresses,
                created,
            )
            local = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
            contact["email"] = f"{local}{n}@{rng.choice(p.domains)}"
            contact["phone"] = Pools.phone(rng)
            if _pick(rng, kind_w) == "COMPANY":
                contact.update(type="COMPANY", company_name=rng.choice(p.companies))
                contact["name"] = contact["company_name"]
            out.setdefault("contacts", []).append(contact)
            n_accounts = (
                rng.randint(*acc_plan.per) if acc_plan and acc_plan.per else rng.choice([0, 1, 1, 1, 2, 3])
            )
            currencies = [_pick(rng, cur_w) for _ in range(n_accounts)]
            for i, currency in enumerate(currencies):
                number += 1
                if state_w:
                    state = _pick(rng, state_w)
                else:
                    state = _pick(rng, ACCOUNT_STATES) if i else _pick(rng, {"ACTIVE": 90, "SUSPENDED": 10})
                opened = min(created + rng.randint(0, 20 * DAY), top)
                out.setdefault("accounts", []).append(
                    random_account(rng, contact, number, currency, i == 0, state, opened, addresses)
                )
            links: dict[str, list[str]] = {"lead_id": [], "order_id": [], "service_request_id": []}
            if rng.random() < 0.3:
                lead = {"id": _guid(rng), "title": rng.choice(p.companies), "contact_id": contact["id"]}
                out.setdefault("leads", []).append(lead)
                links["lead_id"].append(lead["id"])
            for _ in range(rng.choice([0, 0, 1, 2])):
                order = {
                    "id": _guid(rng),
                    "number": f"O{rng.randint(100000, 999999)}",
                    "contact_id": contact["id"],
                    "address": addresses[0] if addresses else None,
                }
                out.setdefault("orders", []).append(order)
                links["order_id"].append(order["id"])
            if rng.random() < 0.2:
                request = {
                    "id": _guid(rng),
                    "number": f"SRV{rng.randint(10000, 99999)}",
                    "contact_id": contact["id"],
                    "address": None,
                }
                out.setdefault("service_requests", []).append(request)
                links["service_request_id"].append(request["id"])
            if spread is None:
                per = act_plan.per if act_plan and act_plan.per else None
                for _ in range(rng.randint(*per) if per else rng.choice([0, 1, 2, 3, 4, 5])):
                    out.setdefault("activities", []).append(
                        self._activity(rng, p, contact, links, addresses, act_w, top)
                    )
            else:
                contact_links.append((contact, links, addresses))
            if (n + 1) % BATCH == 0:
                for res in list(out):
                    yield res, out.pop(res), mode
        if spread and contact_links:
            for _ in range(spread):
                contact, links, addresses = rng.choice(contact_links)
                out.setdefault("activities", []).append(
                    self._activity(rng, p, contact, links, addresses, act_w, top)
                )
        for res in list(out):
            yield res, out.pop(res), mode

    @staticmethod
    def _activity(
        rng: random.Random,
        p: Pools,
        contact: dict[str, Any],
        links: dict[str, list[str]],
        addresses: list[dict],
        state_w: dict[str, float],
        top: int,
    ) -> dict[str, Any]:
        created = contact["_created_on"]
        when = created + rng.randint(0, max(1, top - created - 3600))
        state = _pick(rng, state_w)
        extra: dict[str, Any] = {f: rng.choice(ids) for f, ids in links.items() if ids and rng.random() < 0.5}
        if rng.random() < 0.6:
            extra["assign_to_user_id"] = rng.choice(USERS)[0]
        if rng.random() < 0.5:
            extra["assign_to_team_id"] = rng.choice(TEAMS)[0]
        if rng.random() < 0.3:
            extra["custom_fields"] = [{"key": "channel", "value": rng.choice(["web", "phone", "branch"])}]
        extra["tag_ids"] = [t[0] for t in rng.sample(TAGS, rng.choice([0, 0, 1, 2]))]
        if addresses and rng.random() < 0.5:
            extra["address"] = addresses[0]
        begin = when + rng.randint(3600, 30 * DAY)
        return _activity(
            _guid(rng),
            rng.choice(ACTIVITY_NAMES),
            contact["id"],
            rng.choice(ACTIVITY_TYPES)[0],
            when,
            state,
            state_date=min(when + rng.randint(3600, 40 * DAY), top),
            description=rng.choice(p.sentences),
            scheduled_on={"from_date": begin, "to_date": begin + rng.choice([1800, 3600, 7200])},
            **extra,
        )

    def complete(self, ctx: GenContext, resource: str, doc: dict[str, Any]) -> dict[str, Any]:
        """Defaults the API fills in on create, so explicit records read like created ones."""
        now = ctx.anchor_epoch
        mode = {"_mode": doc["_mode"]} if "_mode" in doc else {}
        if resource == "contacts":
            first, last = doc.get("first_name") or "", doc.get("last_name") or ""
            base = _contact(doc.get("id", ""), first, last, doc.get("code"), None, [], now)
            base.update(email=None, name=f"{first} {last}".strip() or doc.get("company_name") or "")
            return {**base, **doc}
        if resource == "accounts":
            name = doc.get("name") or f"{doc.get('number', '')}".strip()
            created = doc.pop("_created_on", now) if "_created_on" in doc else now
            base = _account(
                doc.get("id", ""),
                doc.get("contact_id", ""),
                doc.get("number", ""),
                name,
                "EUR",
                created=created,
            )
            out = {**base, **doc}
            if out.get("state") == "TERMINATED":
                out.setdefault("_terminated_on", created + 30 * DAY)
            return out
        if resource == "activities":
            key_dates = doc.get("key_dates") or {}
            created = key_dates.get("created_on", now)
            state = doc.get("state", "PENDING")
            base = _activity(
                doc.get("id", ""),
                doc.get("name", ""),
                doc.get("contact_id", ""),
                doc.get("type_id", ACTIVITY_TYPES[1][0]),
                created,
                state,
                **({"state_date": key_dates["completed_on"]} if key_dates.get("completed_on") else {}),
            )
            out = {**base, **{k: v for k, v in doc.items() if k != "key_dates"}, **mode}
            out["key_dates"] = {**base["key_dates"], **key_dates}
            out["_custom_field_pairs"] = [f"{f['key']};{f['value']}" for f in out.get("custom_fields") or []]
            return out
        if resource == "organisations":
            return {"country_code": "CYP", "_created_on": now, **doc}
        return doc
