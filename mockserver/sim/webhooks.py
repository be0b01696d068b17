"""Webhook delivery: a transactional outbox and an asynchronous sender with retries.

An event is written to the outbox inside the same store transaction as the change that caused
it, so a refused request never notifies anyone. A background task in each worker claims due
deliveries (a lease stops two workers sending the same one), POSTs them, and retries failures and
answers slower than the timeout with exponential backoff. Every attempt is logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
import orjson

if TYPE_CHECKING:
    from mockserver.store import DocumentStore

log = logging.getLogger("crm_mock.webhooks")

_TABLE = (
    "CREATE TABLE IF NOT EXISTS webhook_outbox (id INTEGER PRIMARY KEY, vendor TEXT, event TEXT, "
    "target TEXT, url TEXT, headers TEXT, body BLOB, status TEXT, attempts TEXT, next_at REAL, "
    "lease_until REAL, created_at REAL)"
)


@dataclass(frozen=True)
class Delivery:
    """One POST to make: the vendor's dialect builds it (payload shape, signature headers)."""

    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    target: str = ""  # the subscription's id, for the log


@dataclass(frozen=True)
class Policy:
    timeout: float = 5.0  # the documented "respond within 5 seconds"
    max_attempts: int = 6
    backoff_base: float = 1.0  # seconds before the 2nd attempt; doubles each time
    backoff_cap: float = 300.0


def ensure_table(store: DocumentStore) -> None:
    store.execute(_TABLE)
    store.execute("CREATE INDEX IF NOT EXISTS ix_outbox_due ON webhook_outbox (status, next_at)")


def enqueue(store: DocumentStore, vendor: str, event: str, deliveries: list[Delivery]) -> None:
    """Queue deliveries; call inside the transaction of the state change they report."""
    now = time.time()
    for d in deliveries:
        store.execute(
            "INSERT INTO webhook_outbox (vendor, event, target, url, headers, body, status, attempts, "
            "next_at, lease_until, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', '[]', ?, NULL, ?)",
            (vendor, event, d.target, d.url, orjson.dumps(d.headers).decode(), d.body, now, now),
        )
        store.touched("webhook_outbox")


def clear(store: DocumentStore) -> int:
    store.touched("webhook_outbox")
    return len(store.execute("DELETE FROM webhook_outbox RETURNING id"))


def deliveries(store: DocumentStore, status: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    sql = "SELECT id, vendor, event, target, url, status, attempts, created_at FROM webhook_outbox"
    params: list[Any] = []
    if status:
        sql += " WHERE status = ?"
        params.append(status)
    sql += " ORDER BY id DESC LIMIT ?"
    params.append(limit)
    return [
        {
            "id": row[0],
            "vendor": row[1],
            "event": row[2],
            "target": row[3],
            "url": row[4],
            "status": row[5],
            "attempts": orjson.loads(row[6]),
            "createdAt": row[7],
        }
        for row in store.execute(sql, params)
    ]


class Sender:
    """The background loop of one worker process."""

    def __init__(self, store: DocumentStore, policy: Policy, poll: float = 0.1) -> None:
        self.store = store
        self.policy = policy
        self.poll = poll

    def _claim(self, batch: int = 20) -> list[tuple]:
        now = time.time()
        lease = now + self.policy.timeout + 30
        return self.store.execute(
            "UPDATE webhook_outbox SET lease_until = ? WHERE id IN (SELECT id FROM webhook_outbox "
            "WHERE status = 'pending' AND next_at <= ? AND (lease_until IS NULL OR lease_until < ?) "
            "ORDER BY id LIMIT ?) RETURNING id, url, headers, body, attempts",
            (lease, now, now, batch),
        )

    async def _send(self, client: httpx.AsyncClient, row: tuple) -> None:
        ident, url, headers, body, attempts_raw = row
        attempts = orjson.loads(attempts_raw)
        started = time.perf_counter()
        entry: dict[str, Any] = {"attempt": len(attempts) + 1, "at": time.time()}
        try:
            response = await client.post(
                url, content=body, headers={"Content-Type": "application/json", **orjson.loads(headers)}
            )
            entry["status"] = response.status_code
            ok = 200 <= response.status_code < 300
        except httpx.TimeoutException:
            entry["error"] = f"no answer within {self.policy.timeout:g} s"
            ok = False
        except httpx.HTTPError as exc:
            entry["error"] = f"{type(exc).__name__}: {exc}"[:300]
            ok = False
        entry["durationMs"] = round((time.perf_counter() - started) * 1000, 1)
        attempts.append(entry)
        if ok:
            status, next_at = "delivered", None
        elif len(attempts) >= self.policy.max_attempts:
            status, next_at = "failed", None
        else:
            delay = min(self.policy.backoff_cap, self.policy.backoff_base * 2 ** (len(attempts) - 1))
            status, next_at = "pending", time.time() + delay
        self.store.execute(
            "UPDATE webhook_outbox SET status = ?, attempts = ?, next_at = coalesce(?, next_at), "
            "lease_until = NULL WHERE id = ?",
            (status, orjson.dumps(attempts).decode(), next_at, ident),
        )
        self.store.touched("webhook_outbox")

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=self.policy.timeout, follow_redirects=False) as client:
            while True:
                try:
                    rows = self._claim()
                    if rows:
                        await asyncio.gather(*(self._send(client, r) for r in rows))
                        continue
                except Exception:  # the sender must outlive any one bad delivery
                    log.exception("webhook delivery loop error")
                await asyncio.sleep(self.poll)


@contextlib.asynccontextmanager
async def running(sender: Sender):
    task = asyncio.create_task(sender.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
