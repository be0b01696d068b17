"""The server's clock: real time, or pinned (``CRM_MOCK_NOW``) so tests see fixed timestamps."""

from __future__ import annotations

from datetime import UTC, datetime


class Clock:
    def __init__(self, pinned: datetime | None = None) -> None:
        self.pinned = pinned

    def now(self) -> datetime:
        return self.pinned or datetime.now(UTC)

    @staticmethod
    def parse(text: str) -> datetime:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return value if value.tzinfo else value.replace(tzinfo=UTC)
