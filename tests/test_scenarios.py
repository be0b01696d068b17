"""Scenario files through the real stack: shipped files validate and load, bad files are refused
with file, line and field and change nothing, export round-trips, generation is deterministic."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from mockserver.app import create_app
from mockserver.runtime import Runtime
from mockserver.seeding import scenario as sc
from mockserver.seeding.loader import export, integrity_problems, load_scenario
from mockserver.settings import Settings

NOW = "2026-03-01T12:00:00Z"
AUTH = {"X-API-Key": "demo-key"}
SHIPPED = sc.shipped()
BIG = {"load_test_1m"}  # loaded scaled down: validated at full size, loaded at 0.2%


def fresh_runtime(db: str = ":memory:") -> Runtime:
    runtime = Runtime(Settings(db=db, vendors=("ultra",), now=NOW, seed_on_start=False))
    runtime.prepare()
    return runtime


def state_digest(runtime: Runtime) -> str:
    """Every document of every collection and the data meta, in order."""
    h = hashlib.sha256()
    store = runtime.store
    for coll in store.collections():
        h.update(coll.encode())
        for (doc,) in store.execute(f'SELECT doc FROM "c_{coll}" ORDER BY seq'):
            h.update(doc.encode())
    for k, v in store.execute("SELECT key, value FROM meta ORDER BY key"):
        if not k.startswith("sim:"):
            h.update(f"{k}={v}".encode())
    return h.hexdigest()


def test_the_required_scenarios_are_shipped() -> None:
    assert {"empty", "insurance_pipeline", "churn_risk", "load_test_1m", "ultra_demo"} <= set(SHIPPED)


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_scenario_validates_and_loads_with_integrity(name: str) -> None:
    runtime = fresh_runtime()
    parsed = sc.load(name, runtime.vendors)
    assert parsed.name == name
    report = load_scenario(runtime, name, scale=0.002 if name in BIG else 1.0)
    assert report["records"] > 0
    assert integrity_problems(runtime, limit=5) == []
    counts = {c: runtime.store.count(c) for c in runtime.store.collections()}
    assert counts["ultra_users"] >= 6 and counts["ultra_api_keys"] >= 1  # usable: credentials exist
    if name == "empty":
        assert counts["ultra_leads"] == 0
    if name in BIG:
        assert counts["ultra_leads"] == 2000


def test_pipeline_funnel_and_named_records_through_the_api() -> None:
    app = create_app(Settings(db=":memory:", vendors=("ultra",), now=NOW))
    with TestClient(app) as client:
        assert client.post("/__admin/scenarios/insurance_pipeline").status_code == 200
        totals = {
            s: client.get(f"/v1/leads?status={s}&limit=1", headers=AUTH).json()["pagination"]["total"]
            for s in ("new", "contacted", "qualified", "quoted", "won")
        }
        assert (
            totals["new"] > totals["contacted"] > totals["qualified"] > totals["quoted"] > totals["won"] > 0
        )
        hot = client.get("/v1/leads?search=olivia.hart", headers=AUTH).json()["data"][0]
        assert hot["status"] == "quoted" and hot["notesCount"] == 1 and hot["tasksCount"] == 1
        assert hot["createdAt"] == "2026-02-19T12:00:00Z"  # -10d against the pinned clock
        timeline = client.get(f"/v1/leads/{hot['id']}/activities", headers=AUTH).json()
        kinds = [a["type"] for a in timeline.get("activities", timeline.get("data", []))]
        assert {"LEAD_CREATED", "NOTE_ADDED", "TASK_CREATED"} <= set(kinds)


def test_export_then_load_gives_the_identical_state(tmp_path: Path) -> None:
    app = create_app(Settings(db=":memory:", vendors=("ultra",), now=NOW))
    runtime = app.runtime
    with TestClient(app) as client:
        client.post("/__admin/scenarios/ultra_demo")
        lead = client.post(
            "/v1/leads", json={"email": "round@trip.io", "firstName": "Ro"}, headers=AUTH
        ).json()
        client.post(f"/v1/leads/{lead['id']}/notes", json={"content": "after the load"}, headers=AUTH)
    before = state_digest(runtime)
    first = export(runtime)
    path = tmp_path / "state.yaml"
    path.write_text(first, encoding="utf-8")

    other = fresh_runtime()
    load_scenario(other, str(path))
    assert state_digest(other) == before
    assert export(other) == first  # and exporting again gives the same bytes
    assert integrity_problems(other) == []


def test_same_seed_same_bytes_in_two_processes(tmp_path: Path) -> None:
    """Separate interpreters with different hash seeds: generation must not depend on either."""
    outputs = []
    for i, hash_seed in enumerate(("1", "2")):
        folder = tmp_path / str(i)
        folder.mkdir()
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "CRM_MOCK_NOW": NOW}
        cli = [sys.executable, "-m", "mockserver.cli", "scenario"]
        for args in (["load", "insurance_pipeline"], ["export", str(folder / "state.yaml")]):
            subprocess.run(
                [*cli, *args, "--db", str(folder / "crm.db"), "--vendor", "ultra"],
                check=True,
                env=env,
                capture_output=True,
                timeout=120,
            )
        outputs.append((folder / "state.yaml").read_bytes())
    assert outputs[0] == outputs[1]
    assert outputs[0].count(b"\n  - {") > 20_000


def _bad(tmp_path: Path, text: str, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


BAD_FILES = {
    "yaml": ("vendors:\n  ultra:\n    records: [\n", 4, "", "not valid YAML"),  # found at the end
    "unknown_field": ("scenario: x\ncolour: red\n", 2, "colour", "unknown field"),
    "weight_value": (
        "vendors:\n  ultra:\n    generate:\n      leads:\n        count: 5\n        weights:\n"
        "          status: {new: 1, wn: 2}\n",
        7,
        "vendors.ultra.generate.leads.weights.status.wn",
        "'wn' is not a status",
    ),
    "count_type": (
        "vendors:\n  ultra:\n    generate:\n      leads:\n        count: many\n",
        5,
        "vendors.ultra.generate.leads.count",
        "not of type",
    ),
    "alias": (
        "vendors:\n  ultra:\n    records:\n      notes:\n        - leadId: $ghost\n          content: hi\n",
        5,
        "vendors.ultra.records.notes[0].leadId",
        "no record has alias 'ghost'",
    ),
    "duplicate_alias": (
        "vendors:\n  ultra:\n    records:\n      leads:\n        - alias: a\n          email: a@x.io\n"
        "        - alias: a\n          email: b@x.io\n",
        7,
        "vendors.ultra.records.leads[1].alias",
        "already used",
    ),
    "dangling_user": (
        "vendors:\n  ultra:\n    records:\n      leads:\n        - email: a@x.io\n"
        "          assignedTo: user_nobody\n",
        6,
        "vendors.ultra.records.leads[0].assignedTo",
        "is no users record",
    ),
    "unknown_vendor": ("vendors:\n  salesfarce: {}\n", 2, "vendors.salesfarce", "unknown vendor"),
    "unknown_resource": (
        "vendors:\n  ultra:\n    records:\n      invoices: []\n",
        4,
        "vendors.ultra.records.invoices",
        "has no resource 'invoices'",
    ),
    "child_count": (
        "vendors:\n  ultra:\n    generate:\n      notes: {count: 3}\n",
        4,
        "vendors.ultra.generate.notes.count",
        "give per",
    ),
    "bad_option": (
        "vendors:\n  ultra:\n    generate:\n      leads: {count: 1, options: {history: most}}\n",
        4,
        "vendors.ultra.generate.leads.options.history",
        "most",
    ),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_file_refused_with_file_line_field_and_state_untouched(tmp_path: Path, kind: str) -> None:
    text, line, field, message = BAD_FILES[kind]
    runtime = fresh_runtime(str(tmp_path / "crm.db"))
    load_scenario(runtime, "churn_risk")
    before = state_digest(runtime)
    path = _bad(tmp_path, text)
    with pytest.raises(sc.ScenarioError) as caught:
        load_scenario(runtime, str(path))
    err = caught.value
    assert err.file == str(path) and err.line == line and err.field == field, err
    assert message in str(err)
    assert str(err).startswith(f"{path}:{line}: ")
    assert state_digest(runtime) == before


def test_extends_merges_and_cycles_are_refused(tmp_path: Path) -> None:
    _bad(
        tmp_path,
        "extends: child\nvendors:\n  ultra:\n    records:\n      leads:\n        - email: p@x.io\n",
        "parent.yaml",
    )
    child = _bad(tmp_path, "extends: parent.yaml\n", "child.yaml")
    with pytest.raises(sc.ScenarioError, match="a cycle"):
        sc.load(str(child))
    base = _bad(
        tmp_path,
        "extends: insurance_pipeline\nvendors:\n  ultra:\n    generate:\n      leads: {count: 50}\n"
        "    records:\n      leads:\n        - {alias: extra, email: extra@x.io}\n",
        "small.yaml",
    )
    runtime = fresh_runtime()
    load_scenario(runtime, str(base))
    assert runtime.store.count("ultra_leads") == 50 + 3 + 1  # count overridden, records added


def test_a_failure_while_writing_rolls_everything_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = fresh_runtime(str(tmp_path / "crm.db"))
    load_scenario(runtime, "churn_risk")
    before = state_digest(runtime)
    adapter = runtime.vendors["ultra"].scenario
    real = adapter.generate

    def broken(ctx: object, plans: object) -> object:
        yield from list(real(ctx, plans))[:1]
        raise RuntimeError("disk full")

    monkeypatch.setattr(adapter, "generate", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        load_scenario(runtime, "insurance_pipeline")
    assert state_digest(runtime) == before
    assert runtime.store.count("ultra_leads") == 602  # the store still knows its tables


def test_snapshots_restore_through_the_admin_api(tmp_path: Path) -> None:
    app = create_app(Settings(db=str(tmp_path / "crm.db"), vendors=("ultra",), now=NOW))
    with TestClient(app) as client:
        assert client.post("/__admin/scenarios/churn_risk", json={"seed": 3}).json()["seed"] == 3
        sid = client.post("/__admin/snapshots").json()["id"]
        first = client.get("/v1/leads?limit=1", headers=AUTH).json()["data"][0]["id"]
        assert client.delete(f"/v1/leads/{first}", headers=AUTH).status_code == 200
        assert client.post(f"/__admin/snapshots/{sid}/restore").status_code == 200
        assert client.get(f"/v1/leads/{first}", headers=AUTH).status_code == 200
        assert client.post("/__admin/snapshots/nope/restore").status_code == 404
        assert sid in client.get("/__admin/snapshots").json()["snapshots"]
        assert client.post("/__admin/scenarios/nope").status_code == 404
        assert client.post("/__admin/scenarios/empty", json={"scale": -1}).status_code == 400


def test_relative_dates_and_locale(tmp_path: Path) -> None:
    path = _bad(
        tmp_path,
        "locale: de_DE\nanchor: 2025-06-01T00:00:00Z\nvendors:\n  ultra:\n    generate:\n"
        "      leads: {count: 20, options: {history: created}}\n    records:\n      leads:\n"
        "        - {email: a@x.io, createdAt: -1d12h, customFields: {price: $$100}}\n",
        "de.yaml",
    )
    runtime = fresh_runtime()
    load_scenario(runtime, str(path))
    leads = list(runtime.store.scan("ultra_leads"))
    named = next(lead for lead in leads if lead["email"] == "a@x.io")
    assert named["createdAt"] == "2025-05-30T12:00:00Z" and named["customFields"] == {"price": "$100"}
    assert all(lead["createdAt"] <= "2025-06-01T00:00:00Z" for lead in leads)
    assert all(lead["email"] is None or lead["email"].isascii() for lead in leads)
    assert runtime.store.count("ultra_activities") >= 20  # history: created writes LEAD_CREATED
