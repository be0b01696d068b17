"""CSV import / export of /dev/crm leads and customers: multipart uploads, per-row validation,
malformed files refused whole, duplicates by email, streamed exports and a 10k-row round trip."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.conftest import build_app

B = "/dev/crm"
H = {"Authorization": "Bearer demo-token"}


@pytest.fixture(scope="module")
def app():
    return build_app("devcrm")


@pytest.fixture
def c(app) -> Iterator[TestClient]:
    app.runtime.reset()
    with TestClient(app, base_url="http://testserver") as client:
        client.headers.update(H)
        yield client


def total(c: TestClient, path: str) -> int:
    return c.get(B + path, params={"limit": 1}).json()["pagination"]["total"]


def upload(c: TestClient, what: str, data: bytes | str, filename: str = "data.csv") -> Any:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return c.post(B + f"/{what}/import", files={"file": (filename, raw, "text/csv")})


def to_csv(rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_lead_import_validates_every_row(c):
    c.post(B + "/leads", json={"name": "Existing", "email": "existing@example.com"})
    before = total(c, "/leads")
    text = to_csv(
        [
            ["name", "email", "phone", "source", "score", "custom_fields", "Unknown column"],
            ["Ann", "ann@example.com", "+15550001", "website", "80", '{"tier": "gold"}', "ignored"],
            ["Bob", "not-an-email", "", "", "", "", ""],
            ["Cy", "cy@example.com", "", "tv", "", "", ""],
            ["Di", "EXISTING@example.com", "", "", "", "", ""],
            ["Ed", "ed@example.com", "", "", "101", "", ""],
            ["Ann again", "ANN@example.com", "", "", "", "", ""],
            ["", "", "", "", "", "", ""],
            ["Flo", "flo@example.com", "", "", "12.5", "[1]", ""],
            ["Gus", "gus@example.com"],
        ]
    )
    r = upload(c, "leads", text)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["total_rows"], body["created"], body["rejected"]) == (8, 2, 6)
    rejected = {e["row"]: (e["status"], e["email"]) for e in body["errors"]}
    assert rejected == {
        2: (400, "not-an-email"),
        3: (400, "cy@example.com"),
        4: (409, "EXISTING@example.com"),
        5: (400, "ed@example.com"),
        6: (409, "ANN@example.com"),
        7: (400, "flo@example.com"),
    }
    assert "custom_fields" in next(e["message"] for e in body["errors"] if e["row"] == 7)
    assert total(c, "/leads") == before + 2
    ann = c.get(B + "/leads", params={"search": "ann@example.com"}).json()["data"][0]
    assert (ann["score"], ann["source"], ann["custom_fields"], ann["status"]) == (
        80,
        "website",
        {"tier": "gold"},
        "new",
    )


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"name,email\nA,\xff\xfe@example.com\n",  # not UTF-8
        "phone,company\n+1555,Acme\n",  # no name / email column
        'name,email\n"Ann,ann@example.com\n',  # unbalanced quote
        "name,email,name\nA,a@example.com,B\n",  # a column twice
        b"name,email\nA\x00,a@example.com\n",
    ],
)
def test_malformed_files_are_400_and_write_nothing(c, data):
    before = total(c, "/leads")
    r = upload(c, "leads", data)
    assert r.status_code == 400, r.text
    assert set(r.json()) == {"message"}
    assert total(c, "/leads") == before


def test_import_needs_a_multipart_file(c):
    assert c.post(B + "/leads/import", json={"file": "name,email"}).status_code == 415
    r = c.post(B + "/leads/import", files={"other": ("x.csv", b"name,email\n", "text/csv")})
    assert r.status_code == 400 and "file" in r.json()["message"]
    r = c.post(
        B + "/leads/import",
        content=b"--x\r\nbroken",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert r.status_code == 400
    # a plain form field (curl -F 'file=<data.csv') works too, BOM and all
    field = "\ufeffname,email\nZed,zed@example.com\n".encode()
    r = c.post(B + "/leads/import", files={"file": (None, field)})
    assert r.status_code == 200 and r.json()["created"] == 1


def test_customer_import_checks_leads_and_duplicates(c):
    lead = c.post(B + "/leads", json={"name": "L", "email": "l@example.com"}).json()
    text = to_csv(
        [
            ["name", "email", "lead_id", "type", "credit_limit"],
            ["Ok", "ok@example.com", lead["id"], "business", "2500.5"],
            ["Taken lead", "t@example.com", lead["id"], "", ""],
            ["Ghost lead", "g@example.com", str(uuid.uuid4()), "", ""],
            ["Bad limit", "b@example.com", "", "", "-5"],
            ["Bad type", "bt@example.com", "", "company", ""],
        ]
    )
    body = upload(c, "customers", text).json()
    assert body["created"] == 1
    assert {e["row"]: e["status"] for e in body["errors"]} == {2: 409, 3: 404, 4: 400, 5: 400}
    ok = c.get(B + "/customers", params={"search": "ok@example.com"}).json()["data"][0]
    assert (ok["lead_id"], ok["type"], ok["credit_limit"]) == (lead["id"], "business", 2500.5)
    assert c.get(B + f"/leads/{lead['id']}").json()["customer_id"] == ok["id"]


def test_export_is_streamed_csv_of_every_record(c):
    r = c.get(B + "/leads/export")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "content-length" not in r.headers  # streamed in chunks
    rows = read_csv(r.text)
    assert len(rows) == total(c, "/leads")
    lead = c.get(B + f"/leads/{rows[5]['id']}").json()
    assert rows[5]["email"] == lead["email"] and rows[5]["score"] == str(lead["score"])
    r = c.get(B + "/customers/export")
    assert r.status_code == 200 and len(read_csv(r.text)) == total(c, "/customers")
    c.headers.pop("Authorization")
    assert c.get(B + "/leads/export").status_code == 401


def test_ten_thousand_row_round_trip(app, c):
    """10k leads in; the export holds them as sent; the export imported into an empty store and
    exported again gives the same bytes (so it imports back to the same records)."""
    rows = [["name", "email", "phone", "company", "source", "status", "score", "notes", "custom_fields"]]
    sources = ["campaign", "website", "referral", "direct", "social", "email", "other"]
    for i in range(10_000):
        rows.append(
            [
                f"Person {i}",
                f"person{i}@bulk.example.com",
                f"+1555{i:07d}",
                f"Company, {i % 97} Inc." if i % 3 else "",
                sources[i % 7],
                "qualified" if i % 5 == 0 else "new",
                str(i % 101),
                'Said "hi"\nover two lines' if i % 11 == 0 else "",
                f'{{"batch": {i % 4}}}' if i % 2 else "",
            ]
        )
    before = total(c, "/leads")
    r = upload(c, "leads", to_csv(rows))
    assert r.status_code == 200, r.text[:500]
    assert (r.json()["created"], r.json()["rejected"]) == (10_000, 0)
    assert total(c, "/leads") == before + 10_000

    first_leads = c.get(B + "/leads/export").content
    first_customers = c.get(B + "/customers/export").content
    exported = {row["email"]: row for row in read_csv(first_leads.decode())}
    assert len(exported) == before + 10_000
    header = rows[0]
    for sent in rows[1::997]:
        got = exported[sent[1]]
        expected = dict(zip(header, sent, strict=True))
        expected["custom_fields"] = expected["custom_fields"].replace(" ", "") or "{}"
        expected["source"] = expected["source"] or "other"
        assert {k: got[k] for k in header} == expected

    # an empty store, then the exports back in: leads first (customers name them)
    runtime = app.runtime
    with runtime.store.transaction():
        for vendor in runtime.vendors.values():
            for res in (
                "leads",
                "lead_interactions",
                "customers",
                "customer_interactions",
                "orders",
                "feedback",
            ):
                runtime.store.delete_where(vendor.collection(res), [])
    assert total(c, "/leads") == 0
    r = upload(c, "leads", first_leads)
    assert r.json()["created"] == before + 10_000, r.text[:300]
    r = upload(c, "customers", first_customers)
    assert r.json()["rejected"] == 0, r.text[:300]
    assert c.get(B + "/leads/export").content == first_leads
    assert c.get(B + "/customers/export").content == first_customers
    # importing the same file again: every row is a duplicate, nothing changes
    again = upload(c, "customers", first_customers).json()
    assert again["created"] == 0 and {e["status"] for e in again["errors"]} == {409}
