"""A small document store over SQLite.

Each collection is a table of JSON documents keyed by id. Filters, search and sort run in SQL
over ``json_extract`` so lists stay fast at a million rows when the spec declares indexes.
WAL mode lets every uvicorn worker share one file; a committed write survives a killed process.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson

_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_OPS = {"eq": "=", "ne": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def _path(field: str) -> str:
    if not _FIELD.match(field):
        raise ValueError(f"bad field name {field!r}")
    return f"json_extract(doc, '$.{field}')"


def _table(collection: str) -> str:
    if not _FIELD.match(collection) or "." in collection:
        raise ValueError(f"bad collection name {collection!r}")
    return f'"c_{collection}"'


def _sql_value(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    return value


@dataclass(frozen=True)
class Condition:
    """One filter: ``field op value``; ops are eq ne gt gte lt lte in contains isnull."""

    field: str
    op: str
    value: Any

    def sql(self) -> tuple[str, list[Any]]:
        col = _path(self.field)
        if self.op in _OPS:
            if self.value is None and self.op in ("eq", "ne"):
                return f"{col} IS {'NOT ' if self.op == 'ne' else ''}NULL", []
            return f"{col} {_OPS[self.op]} ?", [_sql_value(self.value)]
        if self.op == "in":
            values = list(self.value)
            if not values:
                return "0", []
            return f"{col} IN ({','.join('?' * len(values))})", [_sql_value(v) for v in values]
        if self.op == "contains":
            field = self.field
            if isinstance(self.value, (list, tuple)):  # any of several values
                values = [_sql_value(v) for v in self.value]
                if not values:
                    return "0", []
                marks = ",".join("?" * len(values))
                return f"EXISTS (SELECT 1 FROM json_each(doc, '$.{field}') WHERE value IN ({marks}))", values
            return (
                f"EXISTS (SELECT 1 FROM json_each(doc, '$.{field}') WHERE value = ?)",
                [_sql_value(self.value)],
            )
        if self.op == "isnull":
            return f"{col} IS {'' if self.value else 'NOT '}NULL", []
        raise ValueError(f"unknown operator {self.op!r}")


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    total: int


class DocumentStore:
    """Collections of JSON documents in one SQLite file (or ``:memory:``)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
        self._lock = threading.RLock()
        self._depth = 0
        self._known: set[str] = set()
        # Derived values (list totals, due-date scans) are cached until any write: ours, counted
        # here, or another worker's, seen through PRAGMA data_version.
        self._local_writes = 0
        self._memo_version: tuple[int, int] = (-1, -1)
        self._memo: dict[Any, Any] = {}
        self._side: dict[str, sqlite3.Connection] = {}
        pragmas = ["synchronous=NORMAL", "busy_timeout=30000", "temp_store=MEMORY"]
        if path != ":memory:":
            pragmas.insert(0, "journal_mode=WAL")
        for pragma in pragmas:
            self._conn.execute(f"PRAGMA {pragma}")
        self._conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")

    def close(self) -> None:
        for conn in self._side.values():
            conn.close()
        self._conn.close()

    def side_connection(self, name: str) -> sqlite3.Connection:
        """A separate database beside the main one, for high-churn simulation state (rate
        counters) whose writes must not invalidate the document caches."""
        if name not in self._side:
            path = ":memory:" if self.path == ":memory:" else f"{self.path}.{name}"
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
            if path != ":memory:":
                conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute("PRAGMA busy_timeout=30000")
            self._side[name] = conn
        return self._side[name]

    def memo(self, key: Any, compute: Any) -> Any:
        """``compute()`` once per state of the data: recomputed after any committed write."""
        version = (self._conn.execute("PRAGMA data_version").fetchone()[0], self._local_writes)
        if version != self._memo_version:
            self._memo.clear()
            self._memo_version = version
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def _wrote(self) -> None:
        self._local_writes += 1

    def touched(self) -> None:
        """Tell the caches a raw ``execute`` changed data they may depend on."""
        self._wrote()

    # -- schema -------------------------------------------------------------------------------
    def ensure_collection(self, name: str, indexes: Iterable[str | Sequence[str]] = ()) -> None:
        """Create the collection's table and its indexes if they are missing."""
        table = _table(name)
        self._conn.execute(
            f"CREATE TABLE IF NOT EXISTS {table} "
            "(seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, doc TEXT NOT NULL)"
        )
        for index in indexes:
            fields = [index] if isinstance(index, str) else list(index)
            cols = ", ".join([_path(f) for f in fields] + ["seq"])
            ix_name = f'"ix_{name}_{"_".join(f.replace(".", "_") for f in fields)}"'
            self._conn.execute(f"CREATE INDEX IF NOT EXISTS {ix_name} ON {table} ({cols})")
        self._known.add(name)

    def collections(self) -> list[str]:
        rows = self._conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 'c\\_%' ESCAPE '\\'"
        ).fetchall()
        return sorted(r[0][2:] for r in rows)

    def drop_all(self) -> None:
        """Remove every collection and meta entry: an empty store."""
        self._wrote()
        with self.transaction():
            for name in self.collections():
                self._conn.execute(f"DROP TABLE IF EXISTS {_table(name)}")
            self._conn.execute("DELETE FROM meta")
        self._known.clear()

    # -- transactions -------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all; nesting joins the outer one."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._depth = 0
                self._conn.execute("ROLLBACK")
                self._resync()  # tables created or dropped inside are back as they were
                raise
            self._depth = 0
            self._conn.execute("COMMIT")

    def _resync(self) -> None:
        self._known = set(self.collections())
        self._wrote()

    def copy_to(self, target: sqlite3.Connection) -> None:
        """The whole database into ``target`` with SQLite's online backup (snapshots)."""
        with self._lock:
            self._conn.backup(target)

    def copy_from(self, source: sqlite3.Connection) -> None:
        """Replace the whole database with ``source``'s pages in one step (snapshot restore)."""
        with self._lock:
            source.backup(self._conn)
            self._resync()

    # -- meta ---------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self._wrote()
        self._conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def incr_meta(self, key: str, by: int = 1) -> int:
        """Atomically add to an integer meta counter and return the new value."""
        self._wrote()
        row = self._conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) "
            "DO UPDATE SET value = CAST(value AS INTEGER) + ? RETURNING value",
            (key, str(by), by),
        ).fetchall()  # drain RETURNING so the write statement completes now
        return int(row[0][0])

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Raw SQL for simulation tables the store does not model (rate counters)."""
        return self._conn.execute(sql, params).fetchall()

    def group_stats(
        self,
        collection: str,
        conditions: Sequence[Condition],
        group_field: str | None,
        flag: Condition,
        span: tuple[str, str],
    ) -> list[tuple[Any, int, int, float | None]]:
        """Per group: (value, count, count matching ``flag``, mean days from span[0] to span[1]
        over the flagged rows). One row with value None when ``group_field`` is None."""
        if collection not in self._known:
            return []
        where, params = self._where(conditions)
        flag_sql, flag_params = flag.sql()
        group = _path(group_field) if group_field else "NULL"
        start, end = _path(span[0]), _path(span[1])
        sql = (
            f"SELECT {group} AS g, count(*), coalesce(sum(CASE WHEN {flag_sql} THEN 1 ELSE 0 END), 0), "
            f"avg(CASE WHEN {flag_sql} THEN julianday({end}) - julianday({start}) END) "
            f"FROM {_table(collection)}{where} GROUP BY g ORDER BY count(*) DESC, g"
        )
        return self._conn.execute(sql, [*flag_params, *flag_params, *params]).fetchall()

    # -- documents ----------------------------------------------------------------------------
    def get(self, collection: str, doc_id: str) -> dict[str, Any] | None:
        if collection not in self._known:
            return None
        row = self._conn.execute(f"SELECT doc FROM {_table(collection)} WHERE id = ?", (doc_id,)).fetchone()
        return orjson.loads(row[0]) if row else None

    def get_many(self, collection: str, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        wanted = list(dict.fromkeys(ids))
        if not wanted or collection not in self._known:
            return {}
        marks = ",".join("?" * len(wanted))
        rows = self._conn.execute(
            f"SELECT id, doc FROM {_table(collection)} WHERE id IN ({marks})", wanted
        ).fetchall()
        return {r[0]: orjson.loads(r[1]) for r in rows}

    def exists(self, collection: str, doc_id: str) -> bool:
        if collection not in self._known:
            return False
        row = self._conn.execute(f"SELECT 1 FROM {_table(collection)} WHERE id = ?", (doc_id,)).fetchone()
        return row is not None

    def insert(self, collection: str, doc: dict[str, Any]) -> None:
        self._wrote()
        self._conn.execute(
            f"INSERT INTO {_table(collection)} (id, doc) VALUES (?, ?)",
            (doc["id"], orjson.dumps(doc).decode()),
        )

    def insert_many(self, collection: str, docs: Iterable[dict[str, Any]]) -> None:
        self._wrote()
        dumps = orjson.dumps
        self._conn.executemany(
            f"INSERT INTO {_table(collection)} (id, doc) VALUES (?, ?)",
            ((d["id"], dumps(d).decode()) for d in docs),
        )

    def replace(self, collection: str, doc: dict[str, Any]) -> None:
        self._wrote()
        self._conn.execute(
            f"UPDATE {_table(collection)} SET doc = ? WHERE id = ?",
            (orjson.dumps(doc).decode(), doc["id"]),
        )

    def delete(self, collection: str, doc_id: str) -> bool:
        self._wrote()
        cur = self._conn.execute(f"DELETE FROM {_table(collection)} WHERE id = ?", (doc_id,))
        return cur.rowcount > 0

    def delete_where(self, collection: str, conditions: Sequence[Condition]) -> list[str]:
        """Delete the matching documents and return their ids (for cascades)."""
        self._wrote()
        where, params = self._where(conditions)
        rows = self._conn.execute(f"DELETE FROM {_table(collection)}{where} RETURNING id", params).fetchall()
        return [r[0] for r in rows]

    # -- queries ------------------------------------------------------------------------------
    @staticmethod
    def _where(
        conditions: Sequence[Condition], search: tuple[Sequence[str], str] | None = None
    ) -> tuple[str, list[Any]]:
        parts: list[str] = []
        params: list[Any] = []
        for cond in conditions:
            sql, values = cond.sql()
            parts.append(sql)
            params.extend(values)
        if search and search[1]:
            fields, term = search
            ors = [f"instr(lower(coalesce({_path(f)}, '')), ?) > 0" for f in fields]
            parts.append("(" + " OR ".join(ors) + ")")
            params.extend([term.lower()] * len(fields))
        return (" WHERE " + " AND ".join(parts) if parts else ""), params

    def count(self, collection: str, conditions: Sequence[Condition] = ()) -> int:
        if collection not in self._known:
            return 0
        where, params = self._where(conditions)
        sql = f"SELECT count(*) FROM {_table(collection)}{where}"
        return self.memo(("count", sql, tuple(params)), lambda: self._conn.execute(sql, params).fetchone()[0])

    def find(
        self,
        collection: str,
        conditions: Sequence[Condition] = (),
        *,
        search: tuple[Sequence[str], str] | None = None,
        sort: Sequence[tuple[str, bool]] = (),
        offset: int = 0,
        limit: int | None = None,
        with_total: bool = True,
    ) -> Page:
        """Filter, search, sort (``(field, descending)`` pairs) and slice one collection."""
        if collection not in self._known:
            return Page([], 0)
        table = _table(collection)
        where, params = self._where(conditions, search)
        order = [f"{_path(f)} {'DESC' if desc else 'ASC'}" for f, desc in sort]
        last_desc = sort[0][1] if sort else False
        order.append(f"seq {'DESC' if last_desc else 'ASC'}")
        sql = f"SELECT doc FROM {table}{where} ORDER BY {', '.join(order)}"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            # a page far past the end: SQLite integers stop at 2**63 - 1 (OverflowError beyond)
            query_params = [*params, limit, min(offset, 2**63 - 1)]
        else:
            query_params = params
        rows = self._conn.execute(sql, query_params).fetchall()
        items = [orjson.loads(r[0]) for r in rows]
        if not with_total:
            return Page(items, len(items))
        if len(items) < (limit or 0) and (offset == 0 or items):
            return Page(items, offset + len(items))  # a short page ends the list: no count needed
        total = self.memo(
            ("count", table, where, tuple(params)),
            lambda: self._conn.execute(f"SELECT count(*) FROM {table}{where}", params).fetchone()[0],
        )
        return Page(items, total)

    def scan(self, collection: str) -> Iterator[dict[str, Any]]:
        """Every document of a collection in insertion order (for reports and exports)."""
        if collection not in self._known:
            return
        for (doc,) in self._conn.execute(f"SELECT doc FROM {_table(collection)} ORDER BY seq"):
            yield orjson.loads(doc)
