"""The store's caches: a cached total or lookup is recomputed exactly when what it read changed."""

from __future__ import annotations

from mockserver.store import Condition, DocumentStore


def test_counts_follow_writes_to_their_collection_only() -> None:
    store = DocumentStore(":memory:")
    store.ensure_collection("a", ["kind"])
    store.ensure_collection("b")
    store.insert_many("a", [{"id": str(n), "kind": "x" if n % 2 else "y"} for n in range(10)])
    calls = []

    def total() -> int:
        calls.append(1)
        return store.count("a", [Condition("kind", "eq", "x")])

    assert store.memo("k", total, on=("a",)) == 5
    store.insert("b", {"id": "1"})  # another collection: the cached value stands
    store.set_meta("m", "1")
    assert store.memo("k", total, on=("a",)) == 5 and len(calls) == 1
    store.insert("a", {"id": "x1", "kind": "x"})  # its own collection: recomputed
    assert store.memo("k", total, on=("a",)) == 6 and len(calls) == 2
    store.delete("a", "x1")
    assert store.count("a", [Condition("kind", "eq", "x")]) == 5
    store.replace("a", {"id": "0", "kind": "x"})
    assert store.count("a", [Condition("kind", "eq", "x")]) == 6


def test_unscoped_memo_and_other_connections() -> None:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "crm.db")
        one, two = DocumentStore(path), DocumentStore(path)
        one.ensure_collection("a")
        two.ensure_collection("a")
        one.insert("a", {"id": "1"})
        assert two.count("a") == 1
        one.insert("a", {"id": "2"})  # another process's commit, seen at its next refresh
        two.refresh()
        assert two.count("a") == 2
        assert one.memo("meta", lambda: one.get_meta("v"), on=("meta",)) is None
        one.set_meta("v", "7")
        assert one.memo("meta", lambda: one.get_meta("v"), on=("meta",)) == "7"
        one.close()
        two.close()
