"""CRM-Ultra domain rules over HTTP: scoring, counters, the activity timeline, assignment,
scheduled and templated emails, and the conversion report.

Expected values are derived from records the test created or from data listed through the API.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.ultra_support import DOC_CREATE_LEAD, all_leads, assert_error, get_lead, list_all

ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
GROUPS = {"source": "bySource", "assignedTo": "byAssignedTo", "insuranceType": "byInsuranceType"}


# ---------------------------------------------------------------- helpers
def timeline(client: TestClient, auth: dict[str, str], lead_id: str, **params: Any) -> list[dict]:
    return list_all(client, auth, f"/v1/leads/{lead_id}/activities", key="activities", **params)


def create(client: TestClient, auth: dict[str, str], path: str, body: dict[str, Any]) -> dict[str, Any]:
    resp = client.post(path, json=body, headers=auth)
    assert resp.status_code == 201, resp.text
    return resp.json()


def put(client: TestClient, auth: dict[str, str], path: str, body: dict[str, Any]) -> dict[str, Any]:
    resp = client.put(path, json=body, headers=auth)
    assert resp.status_code == 200, resp.text
    return resp.json()


def me(client: TestClient, auth: dict[str, str]) -> dict[str, Any]:
    return client.get("/v1/users/me", headers=auth).json()


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def seeded_lead(client: TestClient, auth: dict[str, str], **match: Any) -> dict[str, Any]:
    """A seeded lead whose last activity is in the past, so a new activity must move it."""
    now = iso(datetime.now(UTC))
    return next(
        lead
        for lead in all_leads(client, auth)
        if lead["lastActivity"] < now and all(lead[k] == v for k, v in match.items())
    )


# ================================================================ scoring and creation
def test_document_create_lead_example(client: TestClient, auth: dict[str, str]) -> None:
    """The document's Create Lead body as written: 201, status new, score 65, unassigned."""
    resp = client.post("/v1/leads", json=DOC_CREATE_LEAD, headers=auth)
    assert resp.status_code == 201, resp.text
    lead = resp.json()
    assert (lead["status"], lead["score"], lead["assignedTo"]) == ("new", 65, None)
    assert {k: lead[k] for k in DOC_CREATE_LEAD} == DOC_CREATE_LEAD
    assert (lead["notesCount"], lead["tasksCount"], lead["emailsCount"]) == (0, 0, 0)
    assert lead["createdAt"] == lead["updatedAt"] and ISO.match(lead["createdAt"])
    assert get_lead(client, auth, lead["id"]) == lead
    acts = timeline(client, auth, lead["id"])
    assert [a["type"] for a in acts] == ["LEAD_CREATED"]
    assert acts[0]["createdAt"] == lead["createdAt"] == lead["lastActivity"]
    assert acts[0]["metadata"]["source"] == "facebook_ads"


def test_source_defaults_to_other_and_score_is_bounded(client: TestClient, auth: dict[str, str]) -> None:
    bare = create(client, auth, "/v1/leads", {"phone": "+15550000000"})
    assert bare["source"] == "other" and bare["status"] == "new"
    full = create(
        client, auth, "/v1/leads", {**DOC_CREATE_LEAD, "source": "referral", "insuranceType": "BUNDLE"}
    )
    for lead in (bare, full):
        assert isinstance(lead["score"], int) and 0 <= lead["score"] <= 100
    assert bare["score"] < full["score"]  # more complete, better signals: a higher score


def test_manual_score_sticks(client: TestClient, auth: dict[str, str]) -> None:
    lead = create(client, auth, "/v1/leads", DOC_CREATE_LEAD)
    assert put(client, auth, f"/v1/leads/{lead['id']}", {"score": 12})["score"] == 12
    assert put(client, auth, f"/v1/leads/{lead['id']}", {"city": "Albany"})["score"] == 12
    assert get_lead(client, auth, lead["id"])["score"] == 12


def test_duplicate_tags_are_collapsed(client: TestClient, auth: dict[str, str]) -> None:
    lead = create(client, auth, "/v1/leads", {"email": "tags@example.com", "tags": ["a", "b", "a"]})
    assert lead["tags"] == ["a", "b"]


# ================================================================ counters and lastActivity
@pytest.mark.parametrize(
    ("child", "counter", "activity", "body"),
    [
        ("notes", "notesCount", "NOTE_ADDED", {"content": "Spoke to the client"}),
        ("tasks", "tasksCount", "TASK_CREATED", {"title": "Send the quote"}),
        ("emails", "emailsCount", "EMAIL_SENT", {"to": ["x@example.com"], "subject": "Quote"}),
    ],
)
def test_child_moves_counter_and_last_activity(
    client: TestClient, auth: dict[str, str], child: str, counter: str, activity: str, body: dict
) -> None:
    lead = seeded_lead(client, auth)
    before_children = list_all(client, auth, f"/v1/leads/{lead['id']}/{child}")
    assert len(before_children) == lead[counter]
    made = create(client, auth, f"/v1/leads/{lead['id']}/{child}", body)
    assert made["leadId"] == lead["id"]
    after = get_lead(client, auth, lead["id"])
    assert after[counter] == lead[counter] + 1
    assert len(list_all(client, auth, f"/v1/leads/{lead['id']}/{child}")) == lead[counter] + 1
    others = {"notesCount", "tasksCount", "emailsCount"} - {counter}
    assert {k: after[k] for k in others} == {k: lead[k] for k in others}
    new_acts = timeline(client, auth, lead["id"], activityType=activity, dateFrom=made["createdAt"])
    assert len(new_acts) == 1
    id_key = {"notes": "noteId", "tasks": "taskId", "emails": "emailId"}[child]
    assert new_acts[0]["metadata"][id_key] == made["id"]
    assert after["lastActivity"] == new_acts[0]["createdAt"] > lead["lastActivity"]


def test_counters_track_many_children(client: TestClient, auth: dict[str, str]) -> None:
    lead = create(client, auth, "/v1/leads", {"email": "many@example.com"})
    lid = lead["id"]
    for i in range(3):
        create(client, auth, f"/v1/leads/{lid}/notes", {"content": f"note {i}"})
    for i in range(2):
        create(client, auth, f"/v1/leads/{lid}/tasks", {"title": f"task {i}"})
    for i in range(4):
        create(client, auth, f"/v1/leads/{lid}/emails", {"to": ["many@example.com"], "subject": f"mail {i}"})
    got = get_lead(client, auth, lid)
    assert (got["notesCount"], got["tasksCount"], got["emailsCount"]) == (3, 2, 4)
    listed = next(x for x in all_leads(client, auth, search="many@example.com") if x["id"] == lid)
    assert listed == got


def test_seeded_counters_match_children(client: TestClient, auth: dict[str, str]) -> None:
    """Seeded counters and lastActivity agree with the lead's listed notes, tasks, emails, timeline."""
    leads = all_leads(client, auth)
    sample = sorted(leads, key=lambda x: -(x["notesCount"] + x["tasksCount"] + x["emailsCount"]))[:3]
    sample += [x for x in leads if x["status"] in ("won", "lost")][:2]
    for lead in sample:
        lid = lead["id"]
        for child, counter in (("notes", "notesCount"), ("tasks", "tasksCount"), ("emails", "emailsCount")):
            assert len(list_all(client, auth, f"/v1/leads/{lid}/{child}")) == lead[counter]
        acts = timeline(client, auth, lid)
        assert max(a["createdAt"] for a in acts) == lead["lastActivity"]
        assert sum(a["type"] == "NOTE_ADDED" for a in acts) == lead["notesCount"]
        assert sum(a["type"] == "TASK_CREATED" for a in acts) == lead["tasksCount"]
        assert sum(a["type"] == "EMAIL_SENT" for a in acts) == lead["emailsCount"]
        assert [a["type"] for a in acts].count("LEAD_CREATED") == 1
        if lead["status"] in ("won", "lost"):
            assert lead["status"].upper() in {a["type"] for a in acts}


# ================================================================ the timeline
def test_full_timeline(client: TestClient, auth: dict[str, str]) -> None:
    """Every write that the document lists as an activity type lands on the timeline, in order."""
    user = me(client, auth)
    lead = create(client, auth, "/v1/leads", {"email": "timeline@example.com", "firstName": "Tim"})
    lid = lead["id"]
    note = create(client, auth, f"/v1/leads/{lid}/notes", {"content": "hello"})
    task = create(client, auth, f"/v1/leads/{lid}/tasks", {"title": "Call Tim"})
    assert task["completedAt"] is None
    done = put(client, auth, f"/v1/tasks/{task['id']}", {"status": "COMPLETED"})
    assert done["status"] == "COMPLETED" and ISO.match(done["completedAt"])
    assert done["completedAt"] >= task["createdAt"] and done["updatedAt"] == done["completedAt"]
    email = create(client, auth, f"/v1/leads/{lid}/emails", {"to": ["timeline@example.com"], "subject": "Hi"})
    put(client, auth, f"/v1/leads/{lid}", {"status": "contacted"})
    put(client, auth, f"/v1/leads/{lid}", {"status": "won"})
    put(client, auth, f"/v1/leads/{lid}", {"status": "lost"})
    put(client, auth, f"/v1/leads/{lid}", {"city": "Reno"})  # no status change: no activity

    acts = timeline(client, auth, lid)
    assert [a["type"] for a in acts] == [
        "LEAD_CREATED",
        "NOTE_ADDED",
        "TASK_CREATED",
        "TASK_COMPLETED",
        "EMAIL_SENT",
        "STATUS_CHANGED",
        "STATUS_CHANGED",
        "WON",
        "STATUS_CHANGED",
        "LOST",
    ]
    meta = [a["metadata"] for a in acts]
    assert meta[1]["noteId"] == note["id"]
    assert meta[2]["taskId"] == meta[3]["taskId"] == task["id"]
    assert meta[4]["emailId"] == email["id"]
    assert [(m["from"], m["to"]) for m in (meta[5], meta[6], meta[8])] == [
        ("new", "contacted"),
        ("contacted", "won"),
        ("won", "lost"),
    ]
    for act in acts:
        assert act["createdBy"] == {"id": user["id"], "name": user["name"]}
        assert act["leadId"] == lid and isinstance(act["description"], str) and act["description"]
    stamps = [a["createdAt"] for a in acts]
    assert stamps == sorted(stamps)
    assert get_lead(client, auth, lid)["lastActivity"] == stamps[-1]
    assert len(set(a["id"] for a in acts)) == len(acts)


def test_task_completion_rules(client: TestClient, auth: dict[str, str]) -> None:
    """completedAt is set only by COMPLETED, cleared when reopened; TASK_COMPLETED once per completion."""
    lead = create(client, auth, "/v1/leads", {"email": "tasks.rules@example.com"})
    task = create(client, auth, f"/v1/leads/{lead['id']}/tasks", {"title": "Quote"})
    path = f"/v1/tasks/{task['id']}"
    assert put(client, auth, path, {"status": "IN_PROGRESS"})["completedAt"] is None
    assert timeline(client, auth, lead["id"], activityType="TASK_COMPLETED") == []
    first = put(client, auth, path, {"status": "COMPLETED"})["completedAt"]
    assert ISO.match(first)
    assert put(client, auth, path, {"title": "Quote (sent)"})["completedAt"] == first  # still completed
    assert put(client, auth, path, {"status": "COMPLETED"})["completedAt"] == first
    assert len(timeline(client, auth, lead["id"], activityType="TASK_COMPLETED")) == 1
    assert put(client, auth, path, {"status": "OPEN"})["completedAt"] is None
    assert put(client, auth, path, {"status": "CANCELLED"})["completedAt"] is None
    assert put(client, auth, path, {"status": "COMPLETED"})["completedAt"] is not None
    assert len(timeline(client, auth, lead["id"], activityType="TASK_COMPLETED")) == 2
    assert get_lead(client, auth, lead["id"])["tasksCount"] == 1


def test_status_change_on_seeded_lead(client: TestClient, auth: dict[str, str]) -> None:
    lead = seeded_lead(client, auth, status="quoted")
    before = timeline(client, auth, lead["id"])
    after = put(client, auth, f"/v1/leads/{lead['id']}", {"status": "won"})
    assert after["status"] == "won" and after["updatedAt"] > lead["updatedAt"]
    acts = timeline(client, auth, lead["id"])
    added = acts[len(before) :]
    assert acts[: len(before)] == before
    assert [a["type"] for a in added] == ["STATUS_CHANGED", "WON"]
    assert added[0]["metadata"] == {"from": "quoted", "to": "won"}
    assert after["lastActivity"] == added[-1]["createdAt"] > lead["lastActivity"]
    assert ids_of(all_leads(client, auth, status="won")).count(lead["id"]) == 1
    assert lead["id"] not in ids_of(all_leads(client, auth, status="quoted"))


def ids_of(items: list[dict]) -> list[str]:
    return [i["id"] for i in items]


# ================================================================ assignment
def test_assigned_to_resolves_to_user(client: TestClient, auth: dict[str, str]) -> None:
    user = me(client, auth)
    lead = create(client, auth, "/v1/leads", {"email": "assign@example.com"})
    got = put(client, auth, f"/v1/leads/{lead['id']}", {"assignedTo": user["id"]})
    assert got["assignedTo"] == {"id": user["id"], "name": user["name"], "email": user["email"]}
    assert get_lead(client, auth, lead["id"])["assignedTo"] == got["assignedTo"]
    assert lead["id"] in ids_of(all_leads(client, auth, assignedTo=user["id"]))

    # another user, known from how seeded leads show them
    other = next(
        x["assignedTo"]
        for x in all_leads(client, auth)
        if x["assignedTo"] and x["assignedTo"]["id"] != user["id"]
    )
    got = put(client, auth, f"/v1/leads/{lead['id']}", {"assignedTo": other["id"]})
    assert got["assignedTo"] == other
    assert lead["id"] in ids_of(all_leads(client, auth, assignedTo=other["id"]))
    assert lead["id"] not in ids_of(all_leads(client, auth, assignedTo=user["id"]))

    created = create(
        client, auth, "/v1/leads", {"email": "born.assigned@example.com", "assignedTo": other["id"]}
    )
    assert created["assignedTo"] == other


def test_unknown_assignee_is_refused(client: TestClient, auth: dict[str, str]) -> None:
    lead = create(client, auth, "/v1/leads", {"email": "unknown.assignee@example.com"})
    total = client.get("/v1/leads", params={"limit": 1}, headers=auth).json()["pagination"]["total"]
    err = assert_error(
        client.put(
            f"/v1/leads/{lead['id']}", json={"assignedTo": "user_ghost1", "status": "won"}, headers=auth
        ),
        422,
        "validation_error",
    )
    assert "assignedTo" in err["details"]
    assert get_lead(client, auth, lead["id"]) == lead  # the status in the same request did not apply
    assert [a["type"] for a in timeline(client, auth, lead["id"])] == ["LEAD_CREATED"]
    err = assert_error(
        client.post(
            "/v1/leads", json={"email": "ghost@example.com", "assignedTo": "user_ghost1"}, headers=auth
        ),
        422,
        "validation_error",
    )
    assert "assignedTo" in err["details"]
    assert client.get("/v1/leads", params={"limit": 1}, headers=auth).json()["pagination"]["total"] == total
    err = assert_error(
        client.post(
            f"/v1/leads/{lead['id']}/tasks", json={"title": "x", "assigneeId": "user_ghost1"}, headers=auth
        ),
        422,
        "validation_error",
    )
    assert "assigneeId" in err["details"]
    assert get_lead(client, auth, lead["id"])["tasksCount"] == 0


# ================================================================ emails
def test_scheduled_email_waits(client: TestClient, auth: dict[str, str]) -> None:
    """scheduledFor in the future: SCHEDULED, sentAt null, counted, but no EMAIL_SENT yet."""
    lead = create(client, auth, "/v1/leads", {"email": "later@example.com"})
    when = iso(datetime.now(UTC) + timedelta(days=2))
    email = create(
        client,
        auth,
        f"/v1/leads/{lead['id']}/emails",
        {"to": ["later@example.com"], "subject": "Soon", "scheduledFor": when},
    )
    assert email["status"] == "SCHEDULED" and email["sentAt"] is None and email["scheduledFor"] == when
    after = get_lead(client, auth, lead["id"])
    assert after["emailsCount"] == 1
    assert after["lastActivity"] == lead["lastActivity"]
    assert timeline(client, auth, lead["id"], activityType="EMAIL_SENT") == []
    listed = list_all(client, auth, f"/v1/leads/{lead['id']}/emails")
    assert listed == [email]


def test_scheduled_email_with_offset_is_normalised(client: TestClient, auth: dict[str, str]) -> None:
    lead = create(client, auth, "/v1/leads", {"email": "offset@example.com"})
    moment = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    local = moment.astimezone(datetime.now().astimezone().tzinfo).isoformat()
    shifted = moment.astimezone(UTC).replace(tzinfo=None).isoformat() + "-05:00"  # 5 h later in UTC
    a = create(
        client,
        auth,
        f"/v1/leads/{lead['id']}/emails",
        {"to": ["o@example.com"], "subject": "a", "scheduledFor": local},
    )
    b = create(
        client,
        auth,
        f"/v1/leads/{lead['id']}/emails",
        {"to": ["o@example.com"], "subject": "b", "scheduledFor": shifted},
    )
    assert a["scheduledFor"] == iso(moment)
    assert b["scheduledFor"] == iso(moment + timedelta(hours=5))


def test_past_scheduled_for_sends_at_once(client: TestClient, auth: dict[str, str]) -> None:
    lead = create(client, auth, "/v1/leads", {"email": "past@example.com"})
    when = iso(datetime.now(UTC) - timedelta(days=1))
    email = create(
        client,
        auth,
        f"/v1/leads/{lead['id']}/emails",
        {"to": ["past@example.com"], "subject": "Now", "scheduledFor": when},
    )
    assert email["status"] == "SENT" and ISO.match(email["sentAt"]) and email["sentAt"] >= when
    assert [
        a["metadata"]["emailId"] for a in timeline(client, auth, lead["id"], activityType="EMAIL_SENT")
    ] == [email["id"]]


def advance_clock(client: TestClient, seconds: float) -> None:
    """Move the server's clock forward through the admin API (the store reset puts it back)."""
    resp = client.post("/__admin/clock/advance", json={"seconds": seconds})
    assert resp.status_code == 200, resp.text


def test_scheduled_email_is_sent_when_due(client: TestClient, auth: dict[str, str]) -> None:
    """Once the server clock passes scheduledFor, the email reads as SENT with an EMAIL_SENT entry."""
    lead = create(client, auth, "/v1/leads", {"email": "due@example.com"})
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    email = create(
        client,
        auth,
        f"/v1/leads/{lead['id']}/emails",
        {"to": ["due@example.com"], "subject": "Due", "scheduledFor": iso(when)},
    )
    assert email["status"] == "SCHEDULED"
    try:
        advance_clock(client, 30 * 60)
        [waiting] = list_all(client, auth, f"/v1/leads/{lead['id']}/emails")
        assert waiting == email  # half an hour later: not due yet
        advance_clock(client, 60 * 60)
        [shown] = list_all(client, auth, f"/v1/leads/{lead['id']}/emails")
        assert shown["status"] == "SENT" and shown["sentAt"] == iso(when)
        assert list_all(client, auth, f"/v1/leads/{lead['id']}/emails", status="SCHEDULED") == []
        sent = timeline(client, auth, lead["id"], activityType="EMAIL_SENT")
        assert [(a["metadata"]["emailId"], a["createdAt"]) for a in sent] == [(email["id"], iso(when))]
        assert get_lead(client, auth, lead["id"])["lastActivity"] == iso(when)
    finally:
        client.put("/__admin/clock", json={"now": None})


def render(text: str, lead: dict[str, Any]) -> str:
    for key, value in lead.items():
        if isinstance(value, str):
            text = text.replace("{{" + key + "}}", value)
    return text


def test_template_fills_subject_and_body(client: TestClient, auth: dict[str, str]) -> None:
    templates = client.get("/v1/emails/templates", headers=auth).json()["templates"]
    lead = create(
        client,
        auth,
        "/v1/leads",
        {"email": "tpl@example.com", "firstName": "Tara", "lastName": "Plate", "insuranceType": "LIFE"},
    )
    path = f"/v1/leads/{lead['id']}/emails"
    for template in templates:
        email = create(client, auth, path, {"to": ["tpl@example.com"], "templateId": template["id"]})
        assert email["templateId"] == template["id"]
        assert email["subject"] == render(template["subject"], lead)
        assert email["body"] == render(template["body"], lead)
        assert "{{firstName}}" not in email["subject"] + email["body"]
    # what the client writes wins over the template
    own = create(
        client,
        auth,
        path,
        {"to": ["tpl@example.com"], "templateId": templates[0]["id"], "subject": "Mine", "body": "B"},
    )
    assert (own["subject"], own["body"]) == ("Mine", "B")
    assert get_lead(client, auth, lead["id"])["emailsCount"] == len(templates) + 1
    sent = timeline(client, auth, lead["id"], activityType="EMAIL_SENT")
    assert [a["metadata"]["template"] for a in sent] == [t["id"] for t in templates] + [templates[0]["id"]]


def test_unknown_template_is_refused(client: TestClient, auth: dict[str, str]) -> None:
    lead = create(client, auth, "/v1/leads", {"email": "notpl@example.com"})
    known = {t["id"] for t in client.get("/v1/emails/templates", headers=auth).json()["templates"]}
    missing = "template_missing"
    assert missing not in known
    err = assert_error(
        client.post(
            f"/v1/leads/{lead['id']}/emails",
            json={"to": ["a@example.com"], "templateId": missing},
            headers=auth,
        ),
        422,
        "validation_error",
    )
    assert "templateId" in err["details"]
    assert get_lead(client, auth, lead["id"]) == lead
    assert list_all(client, auth, f"/v1/leads/{lead['id']}/emails") == []


# ================================================================ conversion report
def expected_report(leads: list[dict], group_by: str) -> tuple[dict[str, Any], dict[Any, tuple[int, int]]]:
    def key(lead: dict) -> Any:
        if group_by == "assignedTo":
            return lead["assignedTo"]["id"] if lead["assignedTo"] else None
        return lead[group_by]

    groups: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
    for lead in leads:
        groups[key(lead)][0] += 1
        groups[key(lead)][1] += lead["status"] == "won"
    total = len(leads)
    converted = sum(lead["status"] == "won" for lead in leads)
    summary = {
        "totalLeads": total,
        "convertedLeads": converted,
        "conversionRate": round(converted * 100 / total, 2) if total else 0.0,
    }
    return summary, {k: (v[0], v[1]) for k, v in groups.items()}


def check_report(body: dict[str, Any], leads: list[dict], group_by: str) -> None:
    summary, groups = expected_report(leads, group_by)
    assert {k: body["summary"][k] for k in summary} == summary
    rows = body[GROUPS[group_by]]
    assert set(body) == {"summary", GROUPS[group_by]}
    assert {row[group_by]: (row["total"], row["converted"]) for row in rows} == groups
    for row in rows:
        assert set(row) == {group_by, "total", "converted", "rate"}
        assert row["rate"] == round(row["converted"] * 100 / row["total"], 2)
    totals = [row["total"] for row in rows]
    assert totals == sorted(totals, reverse=True)


@pytest.mark.parametrize("group_by", ["source", "assignedTo", "insuranceType"])
def test_conversion_report_matches_leads(client: TestClient, auth: dict[str, str], group_by: str) -> None:
    leads = all_leads(client, auth)
    resp = client.get("/v1/reports/conversion", params={"groupBy": group_by}, headers=auth)
    assert resp.status_code == 200, resp.text
    check_report(resp.json(), leads, group_by)
    assert resp.json()["summary"]["convertedLeads"] > 0


def test_conversion_report_default_group_is_source(client: TestClient, auth: dict[str, str]) -> None:
    body = client.get("/v1/reports/conversion", headers=auth).json()
    check_report(body, all_leads(client, auth), "source")


def test_conversion_report_date_bounds(client: TestClient, auth: dict[str, str]) -> None:
    leads = all_leads(client, auth)
    stamps = sorted(x["createdAt"] for x in leads)
    lo, hi = stamps[len(stamps) // 3], stamps[2 * len(stamps) // 3]
    for params, keep in [
        ({"dateFrom": lo, "dateTo": hi}, lambda c: lo <= c <= hi),
        ({"dateFrom": lo[:10]}, lambda c: c[:10] >= lo[:10]),
        ({"dateTo": hi[:10]}, lambda c: c[:10] <= hi[:10]),
        ({"dateFrom": lo[:10], "dateTo": lo[:10]}, lambda c: c[:10] == lo[:10]),
    ]:
        subset = [x for x in leads if keep(x["createdAt"])]
        assert 0 < len(subset) < len(leads)
        for group_by in ("source", "insuranceType"):
            body = client.get(
                "/v1/reports/conversion", params={**params, "groupBy": group_by}, headers=auth
            ).json()
            check_report(body, subset, group_by)
    empty = client.get(
        "/v1/reports/conversion", params={"dateFrom": "1990-01-01", "dateTo": "1990-12-31"}, headers=auth
    )
    assert empty.status_code == 200
    assert empty.json()["summary"] == {
        "totalLeads": 0,
        "convertedLeads": 0,
        "conversionRate": 0.0,
        "avgTimeToConversion": None,
    }
    assert empty.json()["bySource"] == []


def test_conversion_report_average_time(client: TestClient, auth: dict[str, str]) -> None:
    """avgTimeToConversion: mean days from creation to the WON entry of each won lead."""
    won = all_leads(client, auth, status="won")
    assert won
    days = []
    for lead in won:
        marks = timeline(client, auth, lead["id"], activityType="WON")
        days.append((parse(marks[-1]["createdAt"]) - parse(lead["createdAt"])).total_seconds() / 86400)
    body = client.get("/v1/reports/conversion", headers=auth).json()
    assert body["summary"]["avgTimeToConversion"] == pytest.approx(sum(days) / len(days), abs=0.051)


def test_conversion_report_follows_status_changes(client: TestClient, auth: dict[str, str]) -> None:
    leads = all_leads(client, auth)
    target = next(x for x in leads if x["status"] not in ("won",) and x["source"] != "other")
    before = client.get("/v1/reports/conversion", headers=auth).json()
    put(client, auth, f"/v1/leads/{target['id']}", {"status": "won"})
    after = client.get("/v1/reports/conversion", headers=auth).json()
    assert after["summary"]["totalLeads"] == before["summary"]["totalLeads"]
    assert after["summary"]["convertedLeads"] == before["summary"]["convertedLeads"] + 1
    row_before = next(r for r in before["bySource"] if r["source"] == target["source"])
    row_after = next(r for r in after["bySource"] if r["source"] == target["source"])
    assert (row_after["total"], row_after["converted"]) == (row_before["total"], row_before["converted"] + 1)
    check_report(after, all_leads(client, auth), "source")

    # a new lead counts in the total; moving it back out of won un-converts the first one
    create(client, auth, "/v1/leads", {"email": "report@example.com", "source": target["source"]})
    put(client, auth, f"/v1/leads/{target['id']}", {"status": "lost"})
    final = client.get("/v1/reports/conversion", headers=auth).json()
    assert final["summary"]["totalLeads"] == before["summary"]["totalLeads"] + 1
    assert final["summary"]["convertedLeads"] == before["summary"]["convertedLeads"]
    check_report(final, all_leads(client, auth), "source")


def test_conversion_report_bad_parameters(client: TestClient, auth: dict[str, str]) -> None:
    for params, field in (({"groupBy": "city"}, "groupBy"), ({"dateFrom": "last week"}, "dateFrom")):
        err = assert_error(
            client.get("/v1/reports/conversion", params=params, headers=auth), 422, "validation_error"
        )
        assert field in err["details"]


# ================================================================ users
def test_current_user_is_the_demo_key_user(client: TestClient, auth: dict[str, str]) -> None:
    user = me(client, auth)
    assert (user["id"], user["name"], user["email"]) == ("user_abc123", "Jane Smith", "jane@company.com")
    assert user["role"] == "SALES_MANAGER" and "read:leads" in user["permissions"]
    note_lead = create(client, auth, "/v1/leads", {"email": "whoami@example.com"})
    note = create(client, auth, f"/v1/leads/{note_lead['id']}/notes", {"content": "mine"})
    assert note["createdBy"] == {"id": user["id"], "name": user["name"], "email": user["email"]}
    other_key = {"X-API-Key": "demo-professional"}
    other = me(client, other_key)
    assert other["id"] != user["id"]
    by_other = create(client, other_key, f"/v1/leads/{note_lead['id']}/notes", {"content": "theirs"})
    assert by_other["createdBy"]["id"] == other["id"]
    ids = [
        n["id"] for n in list_all(client, auth, f"/v1/leads/{note_lead['id']}/notes", createdBy=other["id"])
    ]
    assert ids == [by_other["id"]]
