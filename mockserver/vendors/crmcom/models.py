"""CRM.COM's domain rules: primary accounts, account states, activity links, tags, insights.

Every reference a write names must exist in the caller's mode (live or test). Reads resolve stored
ids into the nested objects the document shows; private fields (``_created_on``...) stay inside.
"""

from __future__ import annotations

import uuid
from typing import Any

from mockserver.engine.context import RequestContext
from mockserver.engine.ids import id_rng
from mockserver.store import Condition
from mockserver.vendors.base import Rules
from mockserver.vendors.crmcom.dialect import invalid, record_not_found

ACTIVITY_LINKS = {"LEAD": "lead_id", "SERVICE_REQUEST": "service_request_id", "ORDER": "order_id"}
LINK_RESOURCES = {"LEAD": "leads", "SERVICE_REQUEST": "service_requests", "ORDER": "orders"}
API_ACCOUNT_NUMBERS = 50_000_000  # accounts created through the API are numbered from here
WRITE_ANSWERS_ID = ("create", "update")


def now_epoch(ctx: RequestContext) -> int:
    return int(ctx.now.timestamp()) if ctx.now else 0


def truthy(value: Any) -> bool:
    """The document's booleans also arrive as the strings "true" / "false"."""
    return value is True or value == "true"


def new_address_id(ctx: RequestContext) -> str:
    coll = ctx.coll("contacts") + "_addresses"
    sequence = ctx.store.incr_meta(f"idseq:{coll}")
    return str(uuid.UUID(int=id_rng(ctx.settings.seed, coll, sequence).getrandbits(128), version=4))


def public(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if not k.startswith("_")}


class CrmcomRules(Rules):
    # -- lookups ------------------------------------------------------------------------------
    @staticmethod
    def need(ctx: RequestContext, resource: str, ident: Any, entity: str) -> dict[str, Any]:
        """The referenced record, or the document's 404 naming it."""
        doc = ctx.store.get(ctx.coll(resource), str(ident)) if isinstance(ident, str) else None
        if doc is None:
            raise record_not_found(entity, str(ident))
        return doc

    @staticmethod
    def default_of(ctx: RequestContext, resource: str) -> dict[str, Any] | None:
        found = ctx.store.find(
            ctx.coll(resource), [Condition("is_default", "eq", True)], limit=1, with_total=False
        ).items
        return found[0] if found else None

    @staticmethod
    def contact_address(contact: dict[str, Any], address_id: str) -> dict[str, Any]:
        for address in contact.get("addresses", []):
            if address["id"] == address_id:
                return address
        raise record_not_found("address", address_id)

    # -- accounts -----------------------------------------------------------------------------
    def unmark_primary(self, ctx: RequestContext, contact_id: str, keep: str) -> None:
        """At most one primary account per contact: the new one wins."""
        coll = ctx.coll("accounts")
        others = ctx.store.find(
            coll,
            [Condition("contact_id", "eq", contact_id), Condition("is_primary", "eq", True)],
            with_total=False,
        ).items
        for other in others:
            if other["id"] != keep:
                other["is_primary"] = False
                other["_updated_on"] = now_epoch(ctx)
                ctx.store.replace(coll, other)

    def _new_account(self, ctx: RequestContext, doc: dict[str, Any]) -> dict[str, Any]:
        contact = self.need(ctx, "contacts", doc["contact_id"], "contact")
        currency = doc["currency_code"]
        clash = ctx.store.find(
            ctx.coll("accounts"),
            [
                Condition("contact_id", "eq", contact["id"]),
                Condition("currency_code", "eq", currency),
                Condition("state", "ne", "TERMINATED"),
            ],
            limit=1,
            with_total=False,
        ).items
        if clash:
            raise invalid(
                f"The contact already has a {currency} account; each account has a different currency.",
                "currency_code",
                currency,
                code="DUPLICATECURRENCYEXCEPTION",
            )
        classification_id = doc.get("classification_id")
        if classification_id is not None:
            self.need(ctx, "classifications", classification_id, "classification")
        else:
            default = self.default_of(ctx, "classifications")
            classification_id = default["id"] if default else None
        billing = doc.get("billing_address_id")
        if billing is not None:
            self.contact_address(contact, billing)
        terms = self.default_of(ctx, "payment_terms")
        sequence = ctx.store.incr_meta(f"crmcom:account-number:{ctx.coll('accounts')}")
        number = f"AC{API_ACCOUNT_NUMBERS + sequence:08d}"
        now = now_epoch(ctx)
        return {
            "id": doc["id"],
            "contact_id": contact["id"],
            "name": doc.get("name") or f"{number} {contact['name']}",
            "number": number,
            "is_primary": bool(doc.get("is_primary")),
            "state": "ACTIVE",
            "currency_code": currency,
            "balance": 0.0,
            "overdue_amount": 0.0,
            "credit_limit": 0.0,
            "payment_terms_id": terms["id"] if terms else None,
            "classification_id": classification_id,
            "billing_address_id": billing,
            "_created_on": now,
            "_updated_on": now,
        }

    def _update_account(
        self, ctx: RequestContext, old: dict[str, Any], changes: dict[str, Any]
    ) -> dict[str, Any]:
        if old["state"] == "TERMINATED":
            raise invalid(
                "A terminated account can no longer be changed.",
                "state",
                "TERMINATED",
                code="ACCOUNTTERMINATEDEXCEPTION",
            )
        new = dict(old)
        suspended = old["state"] == "SUSPENDED"
        if changes.get("is_primary") is not None:
            if changes["is_primary"] and not old["is_primary"] and suspended:
                raise invalid(
                    "A suspended account is blocked from purchases and cannot become the primary one.",
                    "is_primary",
                    code="ACCOUNTSUSPENDEDEXCEPTION",
                )
            new["is_primary"] = changes["is_primary"]
        if changes.get("classification_id") is not None:
            self.need(ctx, "classifications", changes["classification_id"], "classification")
            new["classification_id"] = changes["classification_id"]
        if "billing_address_id" in changes:
            billing = changes["billing_address_id"]
            if billing is not None:
                contact = self.need(ctx, "contacts", old["contact_id"], "contact")
                self.contact_address(contact, billing)
            new["billing_address_id"] = billing
        if changes.get("credit_limit") is not None:
            limit = float(changes["credit_limit"])
            if suspended and limit > float(old.get("credit_limit") or 0):
                raise invalid(
                    "A suspended account is blocked from purchases; its credit limit cannot be raised.",
                    "credit_limit",
                    code="ACCOUNTSUSPENDEDEXCEPTION",
                )
            new["credit_limit"] = limit
        if changes.get("payment_terms_id") is not None:
            self.need(ctx, "payment_terms", changes["payment_terms_id"], "payment_terms")
            new["payment_terms_id"] = changes["payment_terms_id"]
        if new != old:
            new["_updated_on"] = now_epoch(ctx)
        return new

    # -- activities ---------------------------------------------------------------------------
    def _links(self, ctx: RequestContext, linked_to: list[dict[str, Any]]) -> dict[str, dict]:
        """Each linked entity by type, checked to exist; one of each type at most."""
        found: dict[str, dict] = {}
        for link in linked_to:
            kind = link["type"]
            if kind in found:
                raise invalid(f"linked_to names more than one {kind}.", "linked_to", kind)
            resource = "contacts" if kind == "CONTACT" else LINK_RESOURCES[kind]
            found[kind] = self.need(ctx, resource, link["id"], kind.lower())
        return found

    def _assign(self, ctx: RequestContext, assign_to: dict[str, Any] | None) -> tuple[Any, Any]:
        if not assign_to:
            return None, None
        user, team = assign_to.get("user_id"), assign_to.get("team_id")
        if user is not None:
            self.need(ctx, "users", user, "user")
        if team is not None:
            self.need(ctx, "teams", team, "team")
        return user, team

    @staticmethod
    def _custom_fields(fields: list[dict[str, Any]] | None) -> list[dict[str, str]]:
        fields = fields or []
        keys = [f["key"] for f in fields]
        if len(set(keys)) != len(keys):
            raise invalid("Custom field keys must be unique.", "custom_fields")
        return [{"key": f["key"], "value": f["value"]} for f in fields]

    @staticmethod
    def _check_schedule(scheduled: dict[str, Any]) -> dict[str, Any]:
        to_date = scheduled.get("to_date")
        if to_date is not None and to_date < scheduled["from_date"]:
            raise invalid("scheduled_on.to_date is before scheduled_on.from_date.", "scheduled_on.to_date")
        return {"from_date": scheduled["from_date"], "to_date": to_date}

    def _entity_address(self, contact: dict[str, Any], links: dict[str, dict]) -> dict[str, Any] | None:
        """The address of the linked order / service request, else the contact's first one."""
        for kind in ("ORDER", "SERVICE_REQUEST"):
            if kind in links and links[kind].get("address"):
                return links[kind]["address"]
        addresses = contact.get("addresses") or []
        return addresses[0] if addresses else None

    def _new_activity(self, ctx: RequestContext, doc: dict[str, Any]) -> dict[str, Any]:
        activity_type = self.need(ctx, "activity_types", doc["type_id"], "activity_type")
        links = self._links(ctx, doc["linked_to"])
        contact = links.get("CONTACT")
        if contact is None:
            for kind in ("ORDER", "SERVICE_REQUEST", "LEAD"):
                if kind in links and links[kind].get("contact_id"):
                    contact = self.need(ctx, "contacts", links[kind]["contact_id"], "contact")
                    break
        if contact is None:
            raise invalid(
                "An activity is always linked to a contact: add a CONTACT to linked_to.", "linked_to"
            )
        use_entity = truthy(doc.get("use_entity_address"))
        address_id = doc.get("address_id")
        if use_entity and address_id is not None:
            raise invalid(
                "Either address_id or use_entity_address can be specified, not both.",
                "address_id",
                "use_entity_address",
            )
        address = None
        if address_id is not None:
            address = self.contact_address(contact, address_id)
        elif use_entity:
            address = self._entity_address(contact, links)
        user, team = self._assign(ctx, doc.get("assign_to"))
        fields = self._custom_fields(doc.get("custom_fields"))
        scheduled = self._check_schedule(doc["scheduled_on"])
        now = now_epoch(ctx)
        return {
            "id": doc["id"],
            "name": doc["name"],
            "description": doc.get("description"),
            "state": "PENDING",
            "key_dates": {"created_on": now, "scheduled_on": scheduled, "completed_on": None},
            "type_id": activity_type["id"],
            "contact_id": contact["id"],
            **{field: links[k]["id"] if k in links else None for k, field in ACTIVITY_LINKS.items()},
            "address": address,
            "states": [{"state": "PENDING", "date": now}],
            "assign_to_user_id": user,
            "assign_to_team_id": team,
            "custom_fields": fields,
            "_custom_field_pairs": [f"{f['key']};{f['value']}" for f in fields],
            "tag_ids": [],
            "_updated_on": now,
        }

    def _update_activity(
        self, ctx: RequestContext, old: dict[str, Any], changes: dict[str, Any]
    ) -> dict[str, Any]:
        new = {**old, "key_dates": dict(old["key_dates"]), "states": list(old["states"])}
        now = now_epoch(ctx)
        if changes.get("name") is not None:
            new["name"] = changes["name"]
        if "description" in changes:
            new["description"] = changes["description"]
        if changes.get("scheduled_on") is not None:
            new["key_dates"]["scheduled_on"] = self._check_schedule(changes["scheduled_on"])
        if "address_id" in changes:
            address_id = changes["address_id"]
            if address_id is None:
                new["address"] = None
            else:
                contact = self.need(ctx, "contacts", old["contact_id"], "contact")
                new["address"] = self.contact_address(contact, address_id)
        if "linked_to" in changes:
            links = self._links(ctx, changes["linked_to"] or [])
            for kind, field in ACTIVITY_LINKS.items():
                new[field] = links[kind]["id"] if kind in links else None
        if "assign_to" in changes:
            new["assign_to_user_id"], new["assign_to_team_id"] = self._assign(ctx, changes["assign_to"])
        if "custom_fields" in changes:
            fields = self._custom_fields(changes["custom_fields"])
            new["custom_fields"] = fields
            new["_custom_field_pairs"] = [f"{f['key']};{f['value']}" for f in fields]
        state = changes.get("state")
        if state is not None and state != old["state"]:
            new["state"] = state
            new["states"].append({"state": state, "date": now})
            new["key_dates"]["completed_on"] = now if state == "COMPLETED" else None
        if new != old:
            new["_updated_on"] = now
        return new

    # -- contacts and the rest ----------------------------------------------------------------
    def _new_contact(self, ctx: RequestContext, doc: dict[str, Any]) -> dict[str, Any]:
        kind = doc.get("type") or "PERSON"
        if kind == "COMPANY" and not doc.get("company_name"):
            raise invalid("A COMPANY contact needs company_name.", "company_name")
        code = doc.get("code")
        if (
            code is not None
            and ctx.store.find(
                ctx.coll("contacts"), [Condition("code", "eq", code)], limit=1, with_total=False
            ).items
        ):
            raise invalid(
                f"A contact with code {code!r} already exists.", "code", code, code="DUPLICATECODEEXCEPTION"
            )
        if doc.get("organisation_id") is not None:
            self.need(ctx, "organisations", doc["organisation_id"], "organisation")
        addresses = [
            {
                "id": new_address_id(ctx),
                "address_line_1": a["address_line_1"],
                "address_line_2": a.get("address_line_2", ""),
                "state_province_county": a.get("state_province_county", ""),
                "town_city": a.get("town_city", ""),
                "postal_code": a.get("postal_code", ""),
                "country_code": a["country_code"],
                "lat": a.get("lat"),
                "lon": a.get("lon"),
                "google_place_id": a.get("google_place_id"),
            }
            for a in doc.get("addresses") or []
        ]
        name = doc["company_name"] if kind == "COMPANY" else f"{doc['first_name']} {doc['last_name']}"
        return {
            "id": doc["id"],
            "code": code,
            "type": kind,
            "name": name,
            "first_name": doc["first_name"],
            "last_name": doc["last_name"],
            "company_name": doc.get("company_name"),
            "email": doc.get("email"),
            "phone": doc.get("phone"),
            "organisation_id": doc.get("organisation_id"),
            "addresses": addresses,
            "_created_on": now_epoch(ctx),
        }

    def touch_insight(self, ctx: RequestContext, insight_id: str) -> None:
        insight = ctx.store.get(ctx.coll("insights"), insight_id)
        if insight is not None:
            insight["_updated_on"] = now_epoch(ctx)
            ctx.store.replace(ctx.coll("insights"), insight)

    def check_event(self, ctx: RequestContext, event: dict[str, Any]) -> None:
        """An activity type only narrows activity events; a range runs forwards."""
        if event.get("activity_type_id") is not None:
            if not event["type"].startswith("ACTIVITY_"):
                raise invalid("activity_type_id applies to activity events only.", "activity_type_id")
            self.need(ctx, "activity_types", event["activity_type_id"], "activity_type")
        start, end = event.get("from_date"), event.get("to_date")
        if start is not None and end is not None and end < start:
            raise invalid("to_date is before from_date.", "to_date")

    # -- hooks --------------------------------------------------------------------------------
    def before_create(self, ctx: RequestContext, resource: str, doc: dict[str, Any]) -> dict:
        now = now_epoch(ctx)
        if resource == "accounts":
            return self._new_account(ctx, doc)
        if resource == "activities":
            return self._new_activity(ctx, doc)
        if resource == "contacts":
            return self._new_contact(ctx, doc)
        if resource in ("organisations", "tags"):
            defaults = {"country_code": None} if resource == "organisations" else {"colour": None}
            return {**defaults, **doc, "_created_on": now}
        if resource == "insights":
            return {"description": None, **doc, "_created_on": now, "_updated_on": now}
        if resource == "insight_events":
            self.check_event(ctx, doc)
            return {"name": None, "activity_type_id": None, "from_date": None, "to_date": None, **doc}
        if resource == "insight_breakdowns":
            taken = ctx.store.find(
                ctx.coll("insight_breakdowns"), [Condition("insight_id", "eq", doc["insight_id"])]
            ).items
            if len(taken) >= 3:
                raise invalid("An insight has at most 3 breakdowns.", "attribute")
            if any(b["attribute"] == doc["attribute"] for b in taken):
                raise invalid(f"The insight is already broken down by {doc['attribute']}.", "attribute")
        return doc

    def after_create(self, ctx: RequestContext, resource: str, doc: dict[str, Any]) -> None:
        if resource == "accounts" and doc["is_primary"]:
            self.unmark_primary(ctx, doc["contact_id"], doc["id"])
        elif resource.startswith("insight_"):
            self.touch_insight(ctx, doc["insight_id"])

    def before_update(
        self, ctx: RequestContext, resource: str, old: dict[str, Any], changes: dict[str, Any]
    ) -> dict[str, Any]:
        if resource == "accounts":
            return self._update_account(ctx, old, changes)
        if resource == "activities":
            return self._update_activity(ctx, old, changes)
        if resource == "insights":
            new = dict(old)
            if changes.get("name") is not None:
                new["name"] = changes["name"]
            if "description" in changes:
                new["description"] = changes["description"]
            if new != old:
                new["_updated_on"] = now_epoch(ctx)
            return new
        return {**old, **changes}

    def after_update(
        self, ctx: RequestContext, resource: str, old: dict[str, Any], new: dict[str, Any]
    ) -> None:
        if resource == "accounts" and new["is_primary"] and not old["is_primary"]:
            self.unmark_primary(ctx, new["contact_id"], new["id"])

    # -- reads --------------------------------------------------------------------------------
    def present(self, ctx: RequestContext, resource: str, docs: list[dict]) -> list[Any]:
        if ctx.op.action in WRITE_ANSWERS_ID and resource == ctx.op.resource:
            return [{"id": d["id"]} for d in docs]  # the document's writes answer with the id
        listing = ctx.op.action == "list"
        if resource == "accounts":
            return self.present_accounts(ctx, docs, summary=listing)
        if resource == "activities":
            return self.present_activities(ctx, docs, listing=listing)
        if resource == "contacts":
            return self.present_contacts(ctx, docs)
        if resource == "insights":
            return self.present_insights(ctx, docs)
        out = []
        for d in docs:
            item = public(d)
            if resource == "organisations":
                item["created_on"] = d.get("_created_on")
            out.append(item)
        return out

    @staticmethod
    def _id_name(doc: dict[str, Any] | None) -> dict[str, Any] | None:
        return {"id": doc["id"], "name": doc["name"]} if doc else None

    def present_accounts(self, ctx: RequestContext, docs: list[dict], summary: bool) -> list[dict]:
        classes = ctx.store.get_many(
            ctx.coll("classifications"), [d["classification_id"] for d in docs if d.get("classification_id")]
        )
        out = []
        if summary:
            for d in docs:
                out.append(
                    {
                        "id": d["id"],
                        "is_primary": d["is_primary"],
                        "name": d["name"],
                        "number": d["number"],
                        "state": d["state"],
                        "currency_code": d["currency_code"],
                        "classification": self._id_name(classes.get(d.get("classification_id") or "")),
                    }
                )
            return out
        terms = ctx.store.get_many(
            ctx.coll("payment_terms"), [d["payment_terms_id"] for d in docs if d.get("payment_terms_id")]
        )
        contacts = ctx.store.get_many(ctx.coll("contacts"), [d["contact_id"] for d in docs])
        for d in docs:
            billing = None
            if d.get("billing_address_id"):
                contact = contacts.get(d["contact_id"]) or {}
                for a in contact.get("addresses", []):
                    if a["id"] == d["billing_address_id"]:
                        billing = {
                            k: a.get(k) or ""
                            for k in (
                                "id",
                                "address_line_1",
                                "address_line_2",
                                "state_province_county",
                                "town_city",
                                "postal_code",
                                "country_code",
                            )
                        }
            out.append(
                {
                    "id": d["id"],
                    "name": d["name"],
                    "number": d["number"],
                    "is_primary": d["is_primary"],
                    "state": d["state"],
                    "currency_code": d["currency_code"],
                    "balance": d["balance"],
                    "overdue_amount": d["overdue_amount"],
                    "credit_limit": d["credit_limit"],
                    "payment_terms": self._id_name(terms.get(d.get("payment_terms_id") or "")),
                    "classification": self._id_name(classes.get(d.get("classification_id") or "")),
                    "billing_address": billing,
                }
            )
        return out

    def present_activities(self, ctx: RequestContext, docs: list[dict], listing: bool) -> list[dict]:
        def many(resource: str, field: str) -> dict[str, dict]:
            return ctx.store.get_many(ctx.coll(resource), [d[field] for d in docs if d.get(field)])

        types = many("activity_types", "type_id")
        contacts = many("contacts", "contact_id")
        leads = many("leads", "lead_id")
        requests = many("service_requests", "service_request_id")
        orders = many("orders", "order_id")
        users = many("users", "assign_to_user_id")
        teams = many("teams", "assign_to_team_id")
        with_fields = not listing or bool(ctx.params.get("include_custom_fields"))
        with_tags = listing and bool(ctx.params.get("include_tags"))
        tags = (
            ctx.store.get_many(ctx.coll("tags"), [t for d in docs for t in d.get("tag_ids", [])])
            if with_tags
            else {}
        )
        out = []
        for d in docs:
            kind = types.get(d["type_id"]) or {"id": d["type_id"], "name": "", "color": ""}
            contact = contacts.get(d["contact_id"]) or {"id": d["contact_id"], "name": "", "code": None}
            lead = leads.get(d.get("lead_id") or "")
            request = requests.get(d.get("service_request_id") or "")
            order = orders.get(d.get("order_id") or "")
            user = users.get(d.get("assign_to_user_id") or "")
            team = teams.get(d.get("assign_to_team_id") or "")
            item: dict[str, Any] = {
                "id": d["id"],
                "name": d["name"],
                "description": d.get("description"),
                "state": d["state"],
                "key_dates": d["key_dates"],
                "type": {"id": kind["id"], "name": kind["name"], "color": kind["color"]},
                "contact": {"id": contact["id"], "name": contact["name"], "code": contact.get("code")},
                "lead": {"id": lead["id"], "title": lead["title"]} if lead else None,
                "service_request": {"id": request["id"], "number": request["number"]} if request else None,
                "order": {"id": order["id"], "number": order["number"]} if order else None,
                "assign_to": (
                    {
                        "user": (
                            {"id": user["id"], "name": user["name"], "username": user["username"]}
                            if user
                            else None
                        ),
                        "team": {"id": team["id"], "name": team["name"]} if team else None,
                    }
                    if user or team
                    else None
                ),
            }
            if not listing:
                item["address"] = _activity_address(d.get("address"))
                item["states"] = d["states"]
            if with_fields:
                item["custom_fields"] = d.get("custom_fields", [])
            if with_tags:
                item["tags"] = [public(tags[t]) for t in d.get("tag_ids", []) if t in tags]
            out.append(item)
        return out

    def present_contacts(self, ctx: RequestContext, docs: list[dict]) -> list[dict]:
        orgs = ctx.store.get_many(
            ctx.coll("organisations"), [d["organisation_id"] for d in docs if d.get("organisation_id")]
        )
        out = []
        for d in docs:
            item = public(d)
            item.pop("organisation_id", None)
            item["organisation"] = self._id_name(orgs.get(d.get("organisation_id") or ""))
            item["created_on"] = d.get("_created_on")
            out.append(item)
        return out

    def present_insights(self, ctx: RequestContext, docs: list[dict]) -> list[dict]:
        ids = [d["id"] for d in docs]
        parts: dict[str, dict[str, list]] = {i: {"events": [], "filters": [], "breakdowns": []} for i in ids}
        for key in ("events", "filters", "breakdowns"):
            rows = ctx.store.find(
                ctx.coll(f"insight_{key}"), [Condition("insight_id", "in", ids)], with_total=False
            ).items
            for row in rows:
                item = public(row)
                item.pop("insight_id", None)
                parts[row["insight_id"]][key].append(item)
        return [
            {
                "id": d["id"],
                "name": d["name"],
                "description": d.get("description"),
                "created_on": d["_created_on"],
                "updated_on": d["_updated_on"],
                **parts[d["id"]],
            }
            for d in docs
        ]


def _activity_address(address: dict[str, Any] | None) -> dict[str, Any] | None:
    """A stored address as an activity shows it (``country``, not ``country_code``; no id)."""
    if not address:
        return None
    return {
        "address_line_1": address.get("address_line_1") or "",
        "address_line_2": address.get("address_line_2") or "",
        "state_province_county": address.get("state_province_county") or "",
        "town_city": address.get("town_city") or "",
        "postal_code": address.get("postal_code") or "",
        "country": address.get("country_code") or "",
        "lat": address.get("lat"),
        "lon": address.get("lon"),
        "google_place_id": address.get("google_place_id"),
    }
