"""CRM-Ultra's domain rules: lead scores, the activity timeline, counters, conversions.

Everything derived here is computed from stored state at write time (counters, timeline) or read
time (resolved users, due scheduled emails), never invented.
"""

from __future__ import annotations

from typing import Any

from mockserver.engine.actions import new_id
from mockserver.engine.context import RequestContext
from mockserver.engine.errors import ApiError
from mockserver.store import Condition
from mockserver.vendors.base import Rules

SOURCE_POINTS = {
    "referral": 15,
    "website": 10,
    "partner": 10,
    "event": 8,
    "google_ads": 7,
    "facebook_ads": 5,
    "email_campaign": 5,
    "social_media": 4,
    "cold_call": 2,
    "other": 0,
}
INSURANCE_POINTS = {"BUNDLE": 10, "COMMERCIAL": 8, "LIFE": 6, "HOME": 6, "AUTO": 5, "HEALTH": 5}
TAG_POINTS = {"high-value": 5, "hot": 5, "referral": 0}
LEAD_DEFAULTS: dict[str, Any] = {
    "email": None,
    "phone": None,
    "firstName": None,
    "lastName": None,
    "city": None,
    "state": None,
    "insuranceType": None,
    "priority": None,
    "assignedTo": None,
}
OUTCOME_ACTIVITY = {"won": "WON", "lost": "LOST"}
PRIVATE_FIELDS = ("_scoreManual", "_convertedAt")
CREATE_EVENTS = {"leads": "lead.created", "notes": "note.created", "tasks": "task.created"}


def lead_score(lead: dict[str, Any]) -> int:
    """0-100 from completeness and the document's signals (the example lead scores 65)."""
    score = 20
    score += 10 if lead.get("email") else 0
    score += 10 if lead.get("phone") else 0
    score += 2 if lead.get("firstName") else 0
    score += 3 if lead.get("lastName") else 0
    score += 5 if lead.get("city") and lead.get("state") else 0
    score += SOURCE_POINTS.get(lead.get("source") or "", 0)
    score += INSURANCE_POINTS.get(lead.get("insuranceType") or "", 0)
    score += sum(TAG_POINTS.get(t, 1) for t in set(lead.get("tags") or []))
    return max(0, min(100, score))


def full_name(user: dict[str, Any]) -> str:
    return user.get("name", "")


class UltraRules(Rules):
    # -- helpers ------------------------------------------------------------------------------
    def _now(self, ctx: RequestContext) -> str:
        return ctx.vendor.dialect.timestamp(ctx.now)  # type: ignore[arg-type]

    def _require_user(self, ctx: RequestContext, user_id: str | None, field: str) -> None:
        if user_id is not None and not ctx.store.exists(ctx.coll("users"), user_id):
            raise ApiError("validation", "Unknown user", {field: f"no user {user_id!r}"})

    def record_activity(
        self,
        ctx: RequestContext,
        lead_id: str,
        kind: str,
        description: str,
        metadata: dict[str, Any] | None = None,
        at: str | None = None,
        lead: dict[str, Any] | None = None,
    ) -> None:
        """Append to the lead's timeline and move its ``lastActivity``. ``lead``: the stored lead
        when the caller already holds it (saves a read)."""
        when = at or self._now(ctx)
        activity = {
            "id": new_id(ctx, "activities"),
            "type": kind,
            "description": description,
            "createdAt": when,
            "createdBy": ctx.principal.user_id if ctx.principal else None,
            "metadata": metadata or {},
            "leadId": lead_id,
        }
        ctx.store.insert(ctx.coll("activities"), activity)
        lead = lead or ctx.store.get(ctx.coll("leads"), lead_id)
        if lead is not None and (lead.get("lastActivity") or "") < when:
            lead["lastActivity"] = when
            ctx.store.replace(ctx.coll("leads"), lead)

    def _bump(self, ctx: RequestContext, lead_id: str, counter: str) -> None:
        lead = ctx.store.get(ctx.coll("leads"), lead_id)
        if lead is not None:
            lead[counter] = lead.get(counter, 0) + 1
            ctx.store.replace(ctx.coll("leads"), lead)

    def notify(self, ctx: RequestContext, event: str, resource: str, doc: dict[str, Any]) -> None:
        """A webhook event whose data is the record as the API shows it (rendered only when
        someone subscribed: most writes notify nobody)."""
        if ctx.vendor.dialect.subscriptions(ctx, event):  # type: ignore[attr-defined]
            ctx.emit(event, self.present(ctx, resource, [doc], deliver=False)[0])

    def deliver_due_emails(self, ctx: RequestContext) -> None:
        """Scheduled emails whose time has come are sent now, as the document says."""
        now = self._now(ctx)
        emails = ctx.coll("emails")
        next_due = ctx.store.memo(("next-due", emails), lambda: self._next_due(ctx), on=(emails,))
        if next_due is None or next_due > now:
            return
        due = ctx.store.find(
            ctx.coll("emails"),
            [Condition("status", "eq", "SCHEDULED"), Condition("scheduledFor", "lte", now)],
            with_total=False,
        ).items
        if not due:
            return
        with ctx.store.transaction():
            for email in due:
                email.update(status="SENT", sentAt=email["scheduledFor"])
                ctx.store.replace(ctx.coll("emails"), email)
                self.record_activity(
                    ctx,
                    email["leadId"],
                    "EMAIL_SENT",
                    f"Email sent: {email.get('subject') or ''}",
                    {"emailId": email["id"], "template": email.get("templateId")},
                    at=email["scheduledFor"],
                )
                self.notify(ctx, "email.sent", "emails", email)

    @staticmethod
    def _next_due(ctx: RequestContext) -> str | None:
        first = ctx.store.find(
            ctx.coll("emails"),
            [Condition("status", "eq", "SCHEDULED")],
            sort=[("scheduledFor", False)],
            limit=1,
            with_total=False,
        ).items
        return first[0]["scheduledFor"] if first else None

    # -- creates ------------------------------------------------------------------------------
    def before_create(self, ctx: RequestContext, resource: str, doc: dict[str, Any]) -> dict:
        now = self._now(ctx)
        if resource == "leads":
            self._require_user(ctx, doc.get("assignedTo"), "assignedTo")
            lead = {**LEAD_DEFAULTS, **doc}
            lead.update(
                status="new",
                createdAt=now,
                updatedAt=now,
                lastActivity=now,
                notesCount=0,
                tasksCount=0,
                emailsCount=0,
                tags=list(dict.fromkeys(doc.get("tags") or [])),
                customFields=doc.get("customFields") or {},
            )
            lead["score"] = lead_score(lead)
            return lead
        if resource == "notes":
            doc.update(createdAt=now, createdBy=ctx.principal.user_id if ctx.principal else None)
            doc.setdefault("visibility", "TEAM")
        elif resource == "tasks":
            self._require_user(ctx, doc.get("assigneeId"), "assigneeId")
            doc.setdefault("assigneeId", None)
            doc.setdefault("description", None)
            doc.setdefault("dueDate", None)
            doc.update(status="OPEN", createdAt=now, updatedAt=now, completedAt=None)
        elif resource == "emails":
            return self._new_email(ctx, doc, now)
        elif resource == "webhooks":
            doc.update(active=True, createdAt=now, events=list(dict.fromkeys(doc["events"])))
        return doc

    def _new_email(self, ctx: RequestContext, doc: dict[str, Any], now: str) -> dict:
        template_id = doc.get("templateId")
        if template_id is not None:
            template = ctx.store.get(ctx.coll("templates"), template_id)
            if template is None:
                raise ApiError(
                    "validation", "Unknown template", {"templateId": f"no template {template_id!r}"}
                )
            lead = ctx.store.get(ctx.coll("leads"), doc["leadId"]) or {}
            doc.setdefault("subject", render(template["subject"], lead))
            doc.setdefault("body", render(template["body"], lead))
        scheduled = doc.get("scheduledFor")
        if scheduled is not None:
            scheduled = ctx.vendor.dialect.filter_value(ctx, {"type": "datetime"}, scheduled)
        pending = scheduled is not None and scheduled > now
        doc.update(
            status="SCHEDULED" if pending else "SENT",
            scheduledFor=scheduled,
            sentAt=None if pending else now,
            opened=False,
            openedAt=None,
            createdAt=now,
            templateId=template_id,
        )
        doc.setdefault("body", None)
        return doc

    def after_create(self, ctx: RequestContext, resource: str, doc: dict[str, Any]) -> None:
        self._record_create(ctx, resource, doc)
        event = CREATE_EVENTS.get(resource)
        if event:
            self.notify(ctx, event, resource, doc)
        if resource == "leads" and doc.get("assignedTo"):
            self.notify(ctx, "lead.assigned", resource, doc)
        if resource == "emails" and doc["status"] == "SENT":
            self.notify(ctx, "email.sent", resource, doc)

    def _record_create(self, ctx: RequestContext, resource: str, doc: dict[str, Any]) -> None:
        if resource == "leads":
            name = " ".join(filter(None, [doc.get("firstName"), doc.get("lastName")]))
            self.record_activity(
                ctx,
                doc["id"],
                "LEAD_CREATED",
                f"Lead created from {doc['source']}" + (f": {name}" if name else ""),
                {"source": doc["source"]},
                at=doc["createdAt"],
                lead=doc,
            )
        elif resource == "notes":
            self._bump(ctx, doc["leadId"], "notesCount")
            self.record_activity(ctx, doc["leadId"], "NOTE_ADDED", "Note added", {"noteId": doc["id"]})
        elif resource == "tasks":
            self._bump(ctx, doc["leadId"], "tasksCount")
            self.record_activity(
                ctx, doc["leadId"], "TASK_CREATED", f"Task created: {doc['title']}", {"taskId": doc["id"]}
            )
        elif resource == "emails":
            self._bump(ctx, doc["leadId"], "emailsCount")
            if doc["status"] == "SENT":
                self.record_activity(
                    ctx,
                    doc["leadId"],
                    "EMAIL_SENT",
                    f"Email sent: {doc.get('subject') or ''}",
                    {"emailId": doc["id"], "template": doc.get("templateId")},
                )

    # -- updates ------------------------------------------------------------------------------
    def before_update(
        self, ctx: RequestContext, resource: str, old: dict[str, Any], changes: dict[str, Any]
    ) -> dict[str, Any]:
        now = self._now(ctx)
        new = {**old, **changes, "updatedAt": now}
        if resource == "leads":
            if "assignedTo" in changes:
                self._require_user(ctx, changes["assignedTo"], "assignedTo")
            if "tags" in changes:
                new["tags"] = list(dict.fromkeys(changes["tags"]))
            if "score" in changes:
                new["_scoreManual"] = True
            elif not old.get("_scoreManual"):
                new["score"] = lead_score(new)
            if new["status"] == "won" and old["status"] != "won":
                new["_convertedAt"] = now
            elif new["status"] != "won":
                new.pop("_convertedAt", None)
        elif resource == "tasks":
            if "assigneeId" in changes:
                self._require_user(ctx, changes["assigneeId"], "assigneeId")
            if new["status"] == "COMPLETED" and old["status"] != "COMPLETED":
                new["completedAt"] = now
            elif new["status"] != "COMPLETED":
                new["completedAt"] = None
        return new

    def after_update(
        self, ctx: RequestContext, resource: str, old: dict[str, Any], new: dict[str, Any]
    ) -> None:
        self._record_update(ctx, resource, old, new)
        if resource == "leads":
            self.notify(ctx, "lead.updated", resource, new)
            if new.get("assignedTo") and new.get("assignedTo") != old.get("assignedTo"):
                self.notify(ctx, "lead.assigned", resource, new)
            if new["status"] == "won" and old["status"] != "won":
                self.notify(ctx, "lead.converted", resource, new)
        elif resource == "tasks" and new["status"] == "COMPLETED" and old["status"] != "COMPLETED":
            self.notify(ctx, "task.completed", resource, new)

    def _record_update(
        self, ctx: RequestContext, resource: str, old: dict[str, Any], new: dict[str, Any]
    ) -> None:
        if resource == "leads" and new["status"] != old["status"]:
            meta = {"from": old["status"], "to": new["status"]}
            self.record_activity(
                ctx,
                new["id"],
                "STATUS_CHANGED",
                f"Status changed from {old['status']} to {new['status']}",
                meta,
            )
            if new["status"] in OUTCOME_ACTIVITY:
                outcome = OUTCOME_ACTIVITY[new["status"]]
                self.record_activity(ctx, new["id"], outcome, f"Lead marked {outcome}", meta)
        elif resource == "tasks" and new["status"] == "COMPLETED" and old["status"] != "COMPLETED":
            self.record_activity(
                ctx, new["leadId"], "TASK_COMPLETED", f"Task completed: {new['title']}", {"taskId": new["id"]}
            )

    # -- reads --------------------------------------------------------------------------------
    def present(
        self, ctx: RequestContext, resource: str, docs: list[dict], deliver: bool = True
    ) -> list[Any]:
        if deliver and resource in ("leads", "emails", "activities"):
            self.deliver_due_emails(ctx)
            if resource != "activities":
                docs = (
                    [ctx.store.get(ctx.coll(resource), d["id"]) or d for d in docs]
                    if _has_due(docs, ctx)
                    else docs
                )
        users_needed = set()
        for d in docs:
            for key in ("assignedTo", "createdBy", "assigneeId"):
                if isinstance(d.get(key), str):
                    users_needed.add(d[key])
        users = ctx.store.get_many(ctx.coll("users"), users_needed)
        return [self._present_one(resource, d, users) for d in docs]

    @staticmethod
    def _present_one(resource: str, doc: dict[str, Any], users: dict[str, dict]) -> dict[str, Any]:
        out = dict(doc)
        for key in PRIVATE_FIELDS:  # stored for rules, never shown
            out.pop(key, None)

        def summary(user_id: str | None, with_email: bool = True) -> dict | None:
            user = users.get(user_id or "")
            if user is None:
                return None
            s = {"id": user["id"], "name": user["name"]}
            if with_email:
                s["email"] = user["email"]
            return s

        if resource == "leads":
            out["assignedTo"] = summary(doc.get("assignedTo"))
        elif resource == "notes":
            out["createdBy"] = summary(doc.get("createdBy"))
        elif resource == "tasks":
            out["assignee"] = summary(out.pop("assigneeId", None), with_email=False)
        elif resource == "activities":
            out["createdBy"] = summary(doc.get("createdBy"), with_email=False)
        elif resource == "webhooks":
            out.pop("secret", None)
        return out


def _has_due(docs: list[dict], ctx: RequestContext) -> bool:
    """Whether a shown email was scheduled and is now due (so the stored copy changed)."""
    now = ctx.vendor.dialect.timestamp(ctx.now)  # type: ignore[arg-type]
    return any(d.get("status") == "SCHEDULED" and (d.get("scheduledFor") or "") <= now for d in docs)


def render(template: str, lead: dict[str, Any]) -> str:
    """Fill ``{{firstName}}``-style variables from the lead; unknown ones stay as written."""
    out = template
    for key, value in lead.items():
        if isinstance(value, (str, int, float)):
            out = out.replace("{{" + key + "}}", str(value))
    return out
