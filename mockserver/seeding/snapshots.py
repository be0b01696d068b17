"""Snapshots of the whole store with SQLite's backup API: take one after loading a scenario,
restore it between tests. A page copy of the file is far faster than regenerating (a 100k-lead
state restores in well under a second) and needs no knowledge of the data.

File stores keep snapshots beside the data file (``crm.db.snapshots/<id>.sqlite``) so every
worker process sees them; a ``:memory:`` store keeps them in the process.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockserver.store import DocumentStore

_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_MEMORY: dict[int, dict[str, sqlite3.Connection]] = {}


def _folder(store: DocumentStore) -> Path | None:
    return None if store.path == ":memory:" else Path(store.path + ".snapshots")


def check_id(snapshot_id: str) -> str:
    if not _ID.match(snapshot_id):
        raise ValueError("a snapshot id is 1-64 letters, digits, '.', '_' or '-'")
    return snapshot_id


def take(store: DocumentStore, snapshot_id: str | None = None) -> dict[str, Any]:
    """Copy the store now; returns the snapshot's id, size and how long it took."""
    sid = check_id(snapshot_id or "snap_" + secrets.token_hex(4))
    started = time.perf_counter()
    folder = _folder(store)
    if folder is None:
        target = sqlite3.connect(":memory:", check_same_thread=False)
        store.copy_to(target)
        old = _MEMORY.setdefault(id(store), {}).pop(sid, None)
        if old is not None:
            old.close()
        _MEMORY[id(store)][sid] = target
        size = (
            target.execute("PRAGMA page_count").fetchone()[0]
            * target.execute("PRAGMA page_size").fetchone()[0]
        )
    else:
        folder.mkdir(parents=True, exist_ok=True)
        final, partial = folder / f"{sid}.sqlite", folder / f"{sid}.sqlite.part"
        partial.unlink(missing_ok=True)
        target = sqlite3.connect(partial)
        try:
            store.copy_to(target)
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            target.close()
        partial.replace(final)  # a snapshot is complete or absent
        size = final.stat().st_size
    return {"id": sid, "bytes": size, "seconds": round(time.perf_counter() - started, 3)}


def restore(store: DocumentStore, snapshot_id: str) -> dict[str, Any]:
    """Put the store back to the snapshot (KeyError when there is none)."""
    sid = check_id(snapshot_id)
    started = time.perf_counter()
    folder = _folder(store)
    if folder is None:
        source = _MEMORY.get(id(store), {}).get(sid)
        if source is None:
            raise KeyError(sid)
        store.copy_from(source)
    else:
        path = folder / f"{sid}.sqlite"
        if not path.is_file():
            raise KeyError(sid)
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            store.copy_from(source)
        finally:
            source.close()
    return {"id": sid, "seconds": round(time.perf_counter() - started, 3)}


def listing(store: DocumentStore) -> list[str]:
    folder = _folder(store)
    if folder is None:
        return sorted(_MEMORY.get(id(store), {}))
    return sorted(p.stem for p in folder.glob("*.sqlite")) if folder.is_dir() else []


def delete(store: DocumentStore, snapshot_id: str) -> bool:
    sid = check_id(snapshot_id)
    folder = _folder(store)
    if folder is None:
        conn = _MEMORY.get(id(store), {}).pop(sid, None)
        if conn is not None:
            conn.close()
        return conn is not None
    path = folder / f"{sid}.sqlite"
    existed = path.is_file()
    path.unlink(missing_ok=True)
    return existed
