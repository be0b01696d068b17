"""Materialised index columns: the store answers exactly as with ``json_extract`` alone, fills
the columns on every write, and upgrades data files written before columns existed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson
import pytest

from mockserver.store import Condition, DocumentStore

INDEXES = ["status", "score", ["owner.name", "created"], "flag", "tags"]
DOCS = [
    {"id": "a", "status": "new", "score": 5, "owner": {"name": "Zoe"}, "created": "2026-01-02", "flag": True},
    {"id": "b", "status": "won", "score": 2.5, "owner": None, "created": "2026-01-01", "flag": False},
    {"id": "c", "status": None, "score": 9, "owner": {"name": "amy"}, "created": "2026-01-03", "tags": ["x"]},
    {"id": "d", "score": "7", "owner": [1, 2], "created": "2025-12-31"},
    {"id": "e", "status": "new", "score": 0, "owner": {"name": "Bob"}, "flag": 1, "tags": {"k": [1, 2]}},
]
QUERIES: list[tuple[list[Condition], list[tuple[str, bool]]]] = [
    ([], [("score", False)]),
    ([], [("owner.name", True)]),
    ([Condition("status", "eq", "new")], [("created", True)]),
    ([Condition("status", "eq", None)], []),
    ([Condition("status", "ne", None)], [("status", False)]),
    ([Condition("flag", "eq", True)], []),
    ([Condition("flag", "eq", 0)], []),
    ([Condition("score", "gte", 5)], [("score", True)]),
    ([Condition("score", "in", [2.5, "7", 0])], []),
    ([Condition("owner.name", "isnull", True)], []),
    ([Condition("tags", "isnull", False)], [("tags", False)]),
    ([Condition("tags", "eq", '["x"]')], []),
    ([Condition("tags", "contains", "x")], []),
    ([Condition("created", "lt", "2026-01-02")], [("created", False)]),
]


def _answers(store: DocumentStore, name: str) -> list:
    out = []
    for conds, sort in QUERIES:
        page = store.find(name, conds, sort=sort, limit=10)
        out.append(([d["id"] for d in page.items], page.total, store.count(name, conds)))
    out.append([d["id"] for d in store.find(name, search=(["owner.name", "status"], "O")).items])
    out.append(store.group_stats(name, [], "status", Condition("flag", "eq", True), ("created", "created")))
    return out


def test_columns_answer_like_json_extract():
    plain, cols = DocumentStore(":memory:"), DocumentStore(":memory:")
    plain.ensure_collection("t")  # no indexes: json_extract only
    cols.ensure_collection("t", INDEXES)
    plain.insert_many("t", DOCS)
    cols.insert_many("t", DOCS)
    assert _answers(cols, "t") == _answers(plain, "t")
    for store in (plain, cols):  # writes keep the columns in step with the document
        store.replace("t", {**DOCS[0], "status": "lost", "owner": {"name": "Yan"}})
        store.insert("t", {"id": "f", "status": "lost", "score": 1, "flag": False})
        store.delete_where("t", [Condition("score", "eq", 9)])
    assert _answers(cols, "t") == _answers(plain, "t")
    assert cols.get("t", "a")["status"] == "lost"
    columns = {r[1] for r in cols.execute('PRAGMA table_info("c_t")')}
    assert {"f.status", "f.owner.name", "f.created"} <= columns
    plan = " ".join(
        str(r) for r in cols.execute("EXPLAIN QUERY PLAN SELECT doc FROM c_t WHERE \"f.status\" = 'x'")
    )
    assert "cx_t_status" in plan


def test_a_file_from_before_columns_is_upgraded(tmp_path: Path):
    db = str(tmp_path / "old.db")
    conn = sqlite3.connect(db)  # what the store wrote before: documents and expression indexes
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    conn.execute('CREATE TABLE "c_t" (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, doc TEXT NOT NULL)')
    conn.execute('CREATE INDEX "ix_t_status" ON "c_t" (json_extract(doc, \'$.status\'), seq)')
    conn.executemany(
        'INSERT INTO "c_t" (id, doc) VALUES (?, ?)', [(d["id"], orjson.dumps(d).decode()) for d in DOCS]
    )
    conn.commit()
    conn.close()
    store = DocumentStore(db)
    store.ensure_collection("t", INDEXES)
    reference = DocumentStore(":memory:")
    reference.ensure_collection("t")
    reference.insert_many("t", DOCS)
    assert _answers(store, "t") == _answers(reference, "t")
    indexes = {r[0] for r in store.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "ix_t_status" not in indexes and "cx_t_status" in indexes
    store.close()
    again = DocumentStore(db)  # a restart on the upgraded file: nothing left to do
    again.ensure_collection("t", INDEXES)
    assert _answers(again, "t") == _answers(reference, "t")
    again.close()


def test_bulk_load_columns_before_indexes():
    store = DocumentStore(":memory:")
    store.ensure_collection("t", INDEXES, build_indexes=False)
    assert not store.execute("SELECT name FROM sqlite_master WHERE type='index' AND name LIKE 'cx%'")
    store.insert_many("t", DOCS)
    store.ensure_collection("t", INDEXES)
    assert store.execute("SELECT name FROM sqlite_master WHERE type='index' AND name LIKE 'cx%'")
    assert store.count("t", [Condition("status", "eq", "new")]) == 2


@pytest.mark.parametrize("field", ["a-b", "a..b", "a;drop"])
def test_bad_field_names_are_refused(field: str):
    store = DocumentStore(":memory:")
    with pytest.raises(ValueError):
        store.ensure_collection("t", [field])
