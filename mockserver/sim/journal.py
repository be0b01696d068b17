"""The request journal: every vendor request and its answer, in a bounded, shared log.

Rows live in a side SQLite file (so every worker writes to one journal and its churn does not
invalidate document caches). Old rows are trimmed to ``size``: long runs cannot exhaust memory or
disk. Credentials are masked before anything is written.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson

from mockserver.store import DocumentStore

BODY_LIMIT = 16 * 1024
TRIM_EVERY = 200
FLUSH_EVERY = 100  # entries buffered per process before a batch write (also flushed every 0.2 s)
MASK = "***"
_SECRET_HEADERS = {
    "authorization",
    "x-api-key",
    "api_key",
    "api-key",
    "apikey",
    "cookie",
    "proxy-authorization",
}
_SECRET_KEY = re.compile(r"(?i)(apikey|api_key|api-key|password|secret|token|authorization|code_verifier)")
_TABLE = (
    "CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY, at TEXT, vendor TEXT, method TEXT, "
    "path TEXT, query TEXT, status INTEGER, duration_ms REAL, request_headers TEXT, request_body TEXT, "
    "response_headers TEXT, response_body TEXT)"
)
_FIELDS = (
    "seq",
    "at",
    "vendor",
    "method",
    "path",
    "query",
    "status",
    "duration_ms",
    "request_headers",
    "request_body",
    "response_headers",
    "response_body",
)


def _mask_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: MASK if _SECRET_KEY.search(str(k)) else _mask_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_value(v) for v in value]
    return value


def mask_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k: MASK if k.lower() in _SECRET_HEADERS else v for k, v in headers.items()}


def mask_body(raw: bytes, content_type: str) -> str:
    """The body as text with secrets masked; JSON and form bodies field by field."""
    if not raw:
        return ""
    media = content_type.split(";", 1)[0].strip().lower()
    try:
        if media.endswith("json"):
            return orjson.dumps(_mask_value(orjson.loads(raw))).decode()[:BODY_LIMIT]
        if media == "application/x-www-form-urlencoded":
            pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True)
            return urlencode([(k, MASK if _SECRET_KEY.search(k) else v) for k, v in pairs])[:BODY_LIMIT]
    except (orjson.JSONDecodeError, UnicodeDecodeError, ValueError):
        pass
    return raw[:BODY_LIMIT].decode("utf-8", "replace")


def mask_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(_SECRET_KEY.search(k) for k, _ in pairs):
        return query
    return urlencode([(k, MASK if _SECRET_KEY.search(k) else v) for k, v in pairs])


@dataclass(frozen=True)
class Entry:
    at: str
    vendor: str
    method: str
    path: str
    query: str
    status: int
    duration_ms: float
    request_headers: dict[str, str]
    request_body: str
    response_headers: dict[str, str]
    response_body: str


class Journal:
    def __init__(self, store: DocumentStore, size: int) -> None:
        self.size = size
        self._conn: sqlite3.Connection | None = store.side_connection("journal") if size > 0 else None
        self._since_trim = 0
        self._pending: list[tuple[Any, ...]] = []
        if self._conn is not None:
            self._conn.execute(_TABLE)
            install_regexp(self._conn)

    @property
    def enabled(self) -> bool:
        return self._conn is not None

    def record(self, e: Entry) -> None:
        """Buffer one entry; rows reach the shared file in batches (``flush``), which costs a
        fraction of a write per request. Reads through this journal flush first."""
        if self._conn is None:
            return
        self._pending.append(
            (
                e.at,
                e.vendor,
                e.method,
                e.path,
                mask_query(e.query),
                e.status,
                round(e.duration_ms, 3),
                orjson.dumps(mask_headers(e.request_headers)).decode(),
                e.request_body,
                orjson.dumps(e.response_headers).decode(),
                e.response_body[:BODY_LIMIT],
            ),
        )
        if len(self._pending) >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        if self._conn is None or not self._pending:
            return
        rows, self._pending = self._pending, []
        self._conn.execute("BEGIN")
        self._conn.executemany(
            "INSERT INTO journal (at, vendor, method, path, query, status, duration_ms, request_headers, "
            "request_body, response_headers, response_body) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        self._conn.execute("COMMIT")
        self._since_trim += len(rows)
        if self._since_trim >= TRIM_EVERY:
            self.trim()

    def trim(self) -> None:
        self.flush()
        if self._conn is not None:
            self._conn.execute(
                "DELETE FROM journal WHERE seq <= (SELECT max(seq) FROM journal) - ?", (self.size,)
            )
            self._since_trim = 0

    def clear(self) -> int:
        if self._conn is None:
            return 0
        self._pending.clear()
        return self._conn.execute("DELETE FROM journal").rowcount

    def query(self, where: list[str], params: list[Any], limit: int | None = None) -> list[dict[str, Any]]:
        """Entries matching SQL conditions over the journal's columns, newest first."""
        if self._conn is None:
            return []
        self.trim()
        sql = f"SELECT {', '.join(_FIELDS)} FROM journal"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY seq DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        rows = self._conn.execute(sql, params).fetchall()
        out = []
        for row in rows:
            item = dict(zip(_FIELDS, row, strict=True))
            for key in ("request_headers", "response_headers"):
                item[key] = orjson.loads(item[key])
            out.append(item)
        return out

    def count(self, where: list[str], params: list[Any]) -> int:
        if self._conn is None:
            return 0
        self.trim()
        sql = "SELECT count(*) FROM journal" + (" WHERE " + " AND ".join(where) if where else "")
        return self._conn.execute(sql, params).fetchone()[0]


_JSON_PATH = re.compile(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+|\[\d+\])*$")


def matcher_sql(match: dict[str, Any]) -> tuple[list[str], list[Any]]:
    """SQL for a matcher: method, path (exact), pathPattern (regex), status, vendor, since, until,
    query / headers (name: value) and body (dotted JSON path: value)."""
    where: list[str] = []
    params: list[Any] = []
    for key, column in (("method", "method"), ("path", "path"), ("vendor", "vendor"), ("status", "status")):
        if match.get(key) is not None:
            value = match[key].upper() if key == "method" else match[key]
            where.append(f"{column} = ?")
            params.append(int(value) if key == "status" else value)
    if match.get("pathPattern"):
        where.append("path REGEXP ?")
        params.append(match["pathPattern"])
    if match.get("since"):
        where.append("at >= ?")
        params.append(match["since"])
    if match.get("until"):
        where.append("at <= ?")
        params.append(match["until"])
    for name, value in (match.get("query") or {}).items():
        where.append("('&' || query || '&') LIKE ?")
        params.append(f"%&{urlencode({name: value})}&%")
    for name, value in (match.get("headers") or {}).items():
        where.append("json_extract(request_headers, ?) = ?")
        params += [f'$."{name.lower()}"', str(value)]
    for path, value in (match.get("body") or {}).items():
        if not _JSON_PATH.match(path):
            raise ValueError(f"bad body path {path!r}")
        where.append("json_valid(request_body) AND json_extract(request_body, ?) = ?")
        params += [f"$.{path}", value if not isinstance(value, bool) else int(value)]
    return where, params


def install_regexp(conn: sqlite3.Connection) -> None:
    conn.create_function(
        "REGEXP", 2, lambda pattern, text: re.search(pattern, text or "") is not None, deterministic=True
    )
