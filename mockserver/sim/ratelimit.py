"""Fixed-window request counters kept in the store, so every worker process shares them."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from mockserver.store import DocumentStore

_TABLE = (
    "CREATE TABLE IF NOT EXISTS rate_counters (key TEXT NOT NULL, window INTEGER NOT NULL, "
    "start INTEGER NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (key, window))"
)


@dataclass(frozen=True)
class Window:
    seconds: int
    limit: int | None  # None: unlimited in this window


@dataclass(frozen=True)
class RateState:
    limit: int
    remaining: int
    reset: int  # epoch seconds when the first window (the one in Limit) starts again
    retry_after: int  # 0 unless exceeded
    exceeded: bool


def _db(store: DocumentStore) -> sqlite3.Connection:
    return store.side_connection("ratelimit")


def ensure_table(store: DocumentStore) -> None:
    _db(store).execute(_TABLE)


def hit(store: DocumentStore, key: str, windows: list[Window], now: float) -> RateState:
    """Count one request against every window and report the tightest one."""
    epoch = int(now)
    starts = {w.seconds: epoch - epoch % w.seconds for w in windows}
    values = ", ".join("(?, ?, ?, 1)" for _ in windows)
    params = [p for w in windows for p in (key, w.seconds, starts[w.seconds])]
    rows = _db(store).execute(
        f"INSERT INTO rate_counters (key, window, start, count) VALUES {values} "
        "ON CONFLICT(key, window) DO UPDATE SET "
        "count = CASE WHEN start = excluded.start THEN count + 1 ELSE 1 END, "
        "start = excluded.start RETURNING window, count",
        params,
    ).fetchall()  # drained: the write completes now
    counts = {window: (starts[window], count) for window, count in rows}
    first = windows[0]
    first_start, _ = counts[first.seconds]
    remaining: list[int] = []
    retry_after = 0
    for w in windows:
        if w.limit is None:
            continue
        start, count = counts[w.seconds]
        remaining.append(max(0, w.limit - count))
        if count > w.limit:
            retry_after = max(retry_after, start + w.seconds - epoch)
    return RateState(
        limit=first.limit if first.limit is not None else 0,
        remaining=min(remaining) if remaining else 0,
        reset=first_start + first.seconds,
        retry_after=retry_after,
        exceeded=retry_after > 0,
    )
