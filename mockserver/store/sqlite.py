"""A small document store over SQLite.

Each collection is a table of JSON documents keyed by id. Fields a collection indexes are also
kept in real columns ("materialised"), filled from the document in Python on every write: SQLite
then builds and reads those indexes from plain values instead of re-parsing each JSON document
once per index, which made bulk loads three times slower. Filters, search and sort use the column
when there is one and ``json_extract`` otherwise, with the same values (booleans as 0/1, arrays
and objects as their JSON text), so results do not depend on which is used.
WAL mode lets every uvicorn worker share one file; a committed write survives a killed process.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson

_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_OPS = {"eq": "=", "ne": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def _path(field: str, columns: Mapping[str, str] | None = None) -> str:
    """The SQL for a field's value: its materialised column, or ``json_extract`` over the doc."""
    if columns and field in columns:
        return columns[field]
    if not _FIELD.match(field):
        raise ValueError(f"bad field name {field!r}")
    return f"json_extract(doc, '$.{field}')"


def _column(field: str) -> str:
    """The quoted column name materialising ``field`` (dots kept: never collides with another)."""
    if not _FIELD.match(field):
        raise ValueError(f"bad field name {field!r}")
    return f'"f.{field}"'


def _index_fields(indexes: Iterable[str | Sequence[str]]) -> list[str]:
    out: list[str] = []
    for index in indexes:
        for f in [index] if isinstance(index, str) else index:
            if f not in out:
                out.append(f)
    return out


_PLAIN = frozenset({str, float, type(None)})  # stored as they are (ints: checked for range)
_INT_MAX = 2**63 - 1


def _materialise(value: Any) -> Any:
    """A field value as ``json_extract`` gives it: booleans 0/1, arrays and objects as JSON text."""
    if value is True or value is False:
        return int(value)
    if isinstance(value, (dict, list)):
        return orjson.dumps(value).decode()
    if type(value) is int and not -_INT_MAX - 1 <= value <= _INT_MAX:
        return float(value)  # beyond SQLite's integers json_extract answers a real too
    return value


def _getter(field: str) -> Callable[[dict[str, Any]], Any]:
    """doc -> the stored value of a (dotted) field; None when a step is missing or not an object."""
    parts = field.split(".")
    if len(parts) == 1:
        key = parts[0]

        def get(doc: dict[str, Any]) -> Any:
            value = doc.get(key)
            return value if type(value) in _PLAIN else _materialise(value)

        return get

    def get_path(doc: dict[str, Any]) -> Any:
        value: Any = doc
        for part in parts:
            if not isinstance(value, dict):
                return None
            value = value.get(part)
        return value if type(value) in _PLAIN else _materialise(value)

    return get_path


def _table(collection: str) -> str:
    if not _FIELD.match(collection) or "." in collection:
        raise ValueError(f"bad collection name {collection!r}")
    return f'"c_{collection}"'


def _sql_value(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    return value


def _row_builder(fields: list[str]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """doc -> (id, JSON, column values...). Written out as one function for the collection's
    fields: at a million rows a loop of per-field calls costs seconds. Plain top-level strings,
    floats and None are stored as they are; anything else goes through ``_materialise``."""
    lines = ["def row(doc):", "    get = doc.get"]
    values = []
    for i, f in enumerate(fields):
        if "." in f:
            lines.append(f"    v{i} = getters[{i}](doc)")
            values.append(f"v{i}")
        else:
            lines.append(f"    v{i} = get({f!r})")
            values.append(f"(v{i} if type(v{i}) in plain else materialise(v{i}))")
    lines.append(f"    return (doc['id'], dumps(doc).decode(), {''.join(v + ', ' for v in values)})")
    scope: dict[str, Any] = {
        "getters": [_getter(f) for f in fields],
        "plain": _PLAIN,
        "materialise": _materialise,
        "dumps": orjson.dumps,
    }
    exec("\n".join(lines), scope)  # field names are checked against _FIELD: identifiers and dots
    return scope["row"]


@dataclass(frozen=True)
class Condition:
    """One filter: ``field op value``; ops are eq ne gt gte lt lte in contains isnull."""

    field: str
    op: str
    value: Any

    def sql(self, columns: Mapping[str, str] | None = None) -> tuple[str, list[Any]]:
        """The WHERE fragment; ``columns`` (field -> SQL) names materialised fields to read."""
        col = _path(self.field, columns)
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

    def __init__(self, path: str, durable: bool = False) -> None:
        """``durable=False`` (the default) never waits for the disk: a committed write survives a
        killed server (it is in the OS's cache) but not a power cut, and writes are about twice
        as fast. ``durable=True`` also survives an OS crash (SQLite's synchronous=NORMAL)."""
        self.path = path
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
        self._lock = threading.RLock()
        self._depth = 0
        self._known: set[str] = set()
        # collection -> (field -> column SQL, row builder for writes); read from the table itself
        self._layout: dict[str, tuple[dict[str, str], Callable[[dict[str, Any]], tuple[Any, ...]]]] = {}
        # Derived values (list totals, due-date scans) are cached until a write they depend on:
        # ours, counted per scope (a collection, "meta"), or another worker's, seen through
        # PRAGMA data_version. ``_epoch`` moves on writes of unknown scope and drops everything.
        self._epoch = 0
        self._writes: dict[str, int] = {}
        self._data_version: int | None = None
        self._memo: dict[Any, tuple[tuple[Any, ...], Any]] = {}
        self._side: dict[str, sqlite3.Connection] = {}
        sync = "NORMAL" if durable else "OFF"
        pragmas = [f"synchronous={sync}", "busy_timeout=30000", "temp_store=MEMORY"]
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

    def refresh(self) -> None:
        """Look once for other processes' commits; call at the start of each request so the
        caches below cost one PRAGMA per request instead of one per lookup."""
        self._data_version = self._conn.execute("PRAGMA data_version").fetchone()[0]

    def memo(self, key: Any, compute: Any, on: Sequence[str] | None = None) -> Any:
        """``compute()`` once per state of what it reads: recomputed after our writes to the
        scopes in ``on`` (collections, "meta"; every write when None), after writes of unknown
        scope, and after another process's commits (seen at the next ``refresh``)."""
        if self._data_version is None:
            self.refresh()
        if on is None:
            mine: tuple[Any, ...] = (sum(self._writes.values()),)
        else:
            mine = tuple(self._writes.get(scope, 0) for scope in on)
        version = (self._data_version, self._epoch, *mine)
        hit = self._memo.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]
        if len(self._memo) >= 4096:  # distinct filters pile up under fuzzing: stay bounded
            self._memo.clear()
        value = compute()
        self._memo[key] = (version, value)
        return value

    def _wrote(self, scope: str | None = None) -> None:
        if scope is None:
            self._epoch += 1
        else:
            self._writes[scope] = self._writes.get(scope, 0) + 1

    def touched(self, scope: str | None = None) -> None:
        """Tell the caches a raw ``execute`` changed data: in ``scope``, or anything (None)."""
        self._wrote(scope)

    # -- schema -------------------------------------------------------------------------------
    def ensure_collection(
        self, name: str, indexes: Iterable[str | Sequence[str]] = (), *, build_indexes: bool = True
    ) -> None:
        """Create the collection's table, with a column per indexed field, and its indexes if they
        are missing. ``build_indexes=False`` (bulk loads) makes the columns but leaves the indexes
        for a later call, after the data. A table made before columns existed (an older data file)
        gets them added and filled from its documents, and its expression indexes replaced."""
        table = _table(name)
        indexes = [[i] if isinstance(i, str) else list(i) for i in indexes]
        fields = _index_fields(indexes)
        cols = "".join(f", {_column(f)}" for f in fields)  # no declared type: values kept as given
        self._conn.execute(
            f"CREATE TABLE IF NOT EXISTS {table} "
            f"(seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, doc TEXT NOT NULL{cols})"
        )
        if fields and not set(fields) <= set(self._table_columns(name)):
            self._migrate(name, fields)
        self._layout.pop(name, None)
        if build_indexes:
            for index in indexes:
                # the rowid (seq) ends every index entry already: ORDER BY col, seq uses it as is
                sql_cols = ", ".join(_column(f) for f in index)
                ix_name = f'"cx_{name}_{"_".join(f.replace(".", "_") for f in index)}"'
                self._conn.execute(f"CREATE INDEX IF NOT EXISTS {ix_name} ON {table} ({sql_cols})")
        self._known.add(name)

    def _table_columns(self, name: str) -> list[str]:
        """The materialised fields a collection's table has (``f.<field>`` columns)."""
        rows = self._conn.execute(f"PRAGMA table_info({_table(name)})").fetchall()
        return [r[1][2:] for r in rows if r[1].startswith("f.")]

    def _migrate(self, name: str, fields: list[str]) -> None:
        """Add missing columns to an existing table and fill them from its documents, in one
        transaction (another worker migrating the same file waits, then finds nothing to do)."""
        table = _table(name)
        with self.transaction():
            have = self._table_columns(name)
            missing = [f for f in fields if f not in have]
            if not missing:
                return
            for f in missing:
                self._conn.execute(f"ALTER TABLE {table} ADD COLUMN {_column(f)}")
            # the expression indexes of older files: replaced by indexes on the columns
            for (ix,) in self._conn.execute(
                "SELECT name FROM sqlite_master WHERE type='index' AND tbl_name=? AND name LIKE 'ix\\_%' "
                "ESCAPE '\\'",
                (table.strip('"'),),
            ).fetchall():
                self._conn.execute(f'DROP INDEX IF EXISTS "{ix}"')
            getters = [_getter(f) for f in missing]
            sets = ", ".join(f"{_column(f)} = ?" for f in missing)
            rows = self._conn.execute(f"SELECT seq, doc FROM {table}").fetchall()
            self._conn.executemany(
                f"UPDATE {table} SET {sets} WHERE seq = ?",
                ([*(g(d) for g in getters), seq] for seq, d in ((r[0], orjson.loads(r[1])) for r in rows)),
            )
            self._wrote()

    def _columns(self, name: str) -> dict[str, str]:
        """field -> column SQL of a collection's materialised fields."""
        return self._layout_of(name)[0]

    def _layout_of(self, name: str) -> tuple[dict[str, str], Callable[[dict[str, Any]], tuple[Any, ...]]]:
        found = self._layout.get(name)
        if found is None:
            fields = self._table_columns(name)
            found = self._layout[name] = ({f: _column(f) for f in fields}, _row_builder(fields))
        return found

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
        self._layout.clear()

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

    @property
    def in_transaction(self) -> bool:
        """A transaction is open on this store's connection (pragmas that change the journal
        or sync mode must wait until it ends)."""
        return self._conn.in_transaction

    def _resync(self) -> None:
        self._known = set(self.collections())
        self._layout.clear()
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
        self._wrote("meta")
        self._conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def incr_meta(self, key: str, by: int = 1) -> int:
        """Atomically add to an integer meta counter and return the new value."""
        self._wrote("counters")
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
        cols = self._columns(collection)
        where, params = self._where(conditions, columns=cols)
        flag_sql, flag_params = flag.sql(cols)
        group = _path(group_field, cols) if group_field else "NULL"
        start, end = _path(span[0], cols), _path(span[1], cols)
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

    def _insert_sql(self, collection: str) -> tuple[str, Callable[[dict[str, Any]], tuple[Any, ...]]]:
        cols, row = self._layout_of(collection)
        names = "".join(f", {c}" for c in cols.values())
        marks = ", ?" * len(cols)
        return f"INSERT INTO {_table(collection)} (id, doc{names}) VALUES (?, ?{marks})", row

    def insert(self, collection: str, doc: dict[str, Any]) -> None:
        self._wrote(collection)
        sql, row = self._insert_sql(collection)
        self._conn.execute(sql, row(doc))

    def insert_many(self, collection: str, docs: Iterable[dict[str, Any]]) -> None:
        self._wrote(collection)
        sql, row = self._insert_sql(collection)
        self._conn.executemany(sql, map(row, docs))

    def replace(self, collection: str, doc: dict[str, Any]) -> None:
        self._wrote(collection)
        cols, row = self._layout_of(collection)
        sets = "".join(f", {c} = ?" for c in cols.values())
        values = row(doc)
        self._conn.execute(
            f"UPDATE {_table(collection)} SET doc = ?{sets} WHERE id = ?", (*values[1:], values[0])
        )

    def delete(self, collection: str, doc_id: str) -> bool:
        self._wrote(collection)
        cur = self._conn.execute(f"DELETE FROM {_table(collection)} WHERE id = ?", (doc_id,))
        return cur.rowcount > 0

    def delete_where(self, collection: str, conditions: Sequence[Condition]) -> list[str]:
        """Delete the matching documents and return their ids (for cascades)."""
        self._wrote(collection)
        where, params = self._where(conditions, columns=self._columns(collection))
        rows = self._conn.execute(f"DELETE FROM {_table(collection)}{where} RETURNING id", params).fetchall()
        return [r[0] for r in rows]

    # -- queries ------------------------------------------------------------------------------
    @staticmethod
    def _where(
        conditions: Sequence[Condition],
        search: tuple[Sequence[str], str] | None = None,
        columns: Mapping[str, str] | None = None,
    ) -> tuple[str, list[Any]]:
        parts: list[str] = []
        params: list[Any] = []
        for cond in conditions:
            sql, values = cond.sql(columns)
            parts.append(sql)
            params.extend(values)
        if search and search[1]:
            fields, term = search
            ors = [f"instr(lower(coalesce({_path(f, columns)}, '')), ?) > 0" for f in fields]
            parts.append("(" + " OR ".join(ors) + ")")
            params.extend([term.lower()] * len(fields))
        return (" WHERE " + " AND ".join(parts) if parts else ""), params

    def count(self, collection: str, conditions: Sequence[Condition] = ()) -> int:
        if collection not in self._known:
            return 0
        where, params = self._where(conditions, columns=self._columns(collection))
        sql = f"SELECT count(*) FROM {_table(collection)}{where}"
        return self.memo(
            ("count", sql, tuple(params)),
            lambda: self._conn.execute(sql, params).fetchone()[0],
            on=(collection,),
        )

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
        cols = self._columns(collection)
        where, params = self._where(conditions, search, cols)
        order = [f"{_path(f, cols)} {'DESC' if desc else 'ASC'}" for f, desc in sort]
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
            on=(collection,),
        )
        return Page(items, total)

    def scan(self, collection: str) -> Iterator[dict[str, Any]]:
        """Every document of a collection in insertion order (for reports and exports)."""
        if collection not in self._known:
            return
        for (doc,) in self._conn.execute(f"SELECT doc FROM {_table(collection)} ORDER BY seq"):
            yield orjson.loads(doc)
