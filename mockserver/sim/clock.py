"""The server's clock: real time, pinned, or shifted, and the same in every worker process.

Tests move it (``PUT /__admin/clock``, ``POST /__admin/clock/advance``) to expire tokens, make
scheduled emails due or roll rate-limit windows. The state lives in the store's meta table.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockserver.store import DocumentStore

_KEY = "sim:clock"


class Clock:
    def __init__(self, pinned: datetime | None = None, store: DocumentStore | None = None) -> None:
        self.initial_pin = pinned
        self.store = store

    def _state(self) -> dict[str, Any]:
        if self.store is None:
            return {}
        return self.store.memo(_KEY, self._read, on=("meta",))

    def _read(self) -> dict[str, Any]:
        raw = self.store.get_meta(_KEY) if self.store is not None else None
        return json.loads(raw) if raw else {}

    def now(self) -> datetime:
        state = self._state()
        if state.get("pinned"):
            return self.parse(state["pinned"])
        if self.initial_pin is not None and not state:
            return self.initial_pin
        return datetime.now(UTC) + timedelta(seconds=state.get("offset", 0.0))

    def describe(self) -> dict[str, Any]:
        state = self._state()
        mode = "pinned" if state.get("pinned") or (self.initial_pin and not state) else "real"
        if mode == "real" and state.get("offset"):
            mode = "shifted"
        return {"now": _iso(self.now()), "mode": mode, "offsetSeconds": state.get("offset", 0.0)}

    def _write(self, state: dict[str, Any]) -> None:
        if self.store is None:
            raise RuntimeError("this clock has no store to keep its state in")
        with self.store.transaction():
            self.store.set_meta(_KEY, json.dumps(state))

    def pin(self, moment: datetime) -> None:
        self._write({"pinned": _iso(moment)})

    def unpin(self) -> None:
        self._write({})

    def advance(self, seconds: float) -> None:
        """Move time forward: a pinned clock moves its pin, a running clock gains an offset."""
        state = self._state()
        if state.get("pinned") or (self.initial_pin and not state):
            self.pin(self.now() + timedelta(seconds=seconds))
        else:
            self._write({"offset": state.get("offset", 0.0) + seconds})

    @staticmethod
    def parse(text: str) -> datetime:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return value if value.tzinfo else value.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
