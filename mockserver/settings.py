"""One settings object, filled from CLI flags and ``CRM_MOCK_*`` environment variables."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime
from pathlib import Path

from mockserver.vendors import VENDOR_KEYS

ENV_PREFIX = "CRM_MOCK_"


def _default_db() -> str:
    data_dir = Path(os.environ.get(f"{ENV_PREFIX}DATA_DIR", ".crm-mock"))
    return str(data_dir / "crm.db")


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    db: str = ""
    seed: int = 42
    vendors: tuple[str, ...] = VENDOR_KEYS
    workers: int = 1
    seed_on_start: bool = True
    seed_records: int = 0  # primary records per vendor when seeding; 0: the vendor's default
    scenario: str = ""  # scenario name or file the seeded state comes from (empty: default seed)
    scenario_scale: float = 1.0  # multiplies the scenario's generated counts (1M sets in CI)
    max_body_bytes: int = 1024 * 1024
    rate_limits: bool = True
    durable: bool = False  # True: wait for the disk on commit, surviving OS crashes, not just kills
    now: str = ""  # pinned clock, ISO 8601; empty means real time
    log_level: str = "warning"
    journal_size: int = 10_000  # requests kept in the journal; 0 turns it off
    latency: str = ""  # injected latency for every request, e.g. fixed:250, uniform:50-200
    fault: str = ""  # injected fault for every request, e.g. 503@0.1, reset@0.05
    webhook_timeout: float = 5.0  # seconds a receiver has to answer before the attempt fails
    webhook_attempts: int = 6  # attempts before a delivery is marked failed
    webhook_backoff: float = 1.0  # seconds before the second attempt; doubles after each failure

    def __post_init__(self) -> None:
        if not self.db:
            object.__setattr__(self, "db", _default_db())
        unknown = set(self.vendors) - set(VENDOR_KEYS)
        if unknown:
            raise ValueError(f"unknown vendor(s): {', '.join(sorted(unknown))}")

    @property
    def pinned_now(self) -> datetime | None:
        return datetime.fromisoformat(self.now.replace("Z", "+00:00")) if self.now else None

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Defaults, then ``CRM_MOCK_*`` variables, then explicit overrides (CLI flags)."""
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = os.environ.get(ENV_PREFIX + f.name.upper())
            if raw is None:
                continue
            values[f.name] = _parse(f.type, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    def to_env(self) -> dict[str, str]:
        """The environment that rebuilds these settings in another process (uvicorn workers)."""
        out = {}
        for key, value in asdict(self).items():
            if isinstance(value, tuple):
                value = ",".join(value)
            elif isinstance(value, bool):
                value = "1" if value else "0"
            out[ENV_PREFIX + key.upper()] = str(value)
        return out

    def but(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def _parse(kind: object, raw: str) -> object:
    text = str(kind)
    if text == "bool":
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if text == "int":
        return int(raw)
    if text == "float":
        return float(raw)
    if text.startswith("tuple"):
        return tuple(v.strip() for v in raw.split(",") if v.strip())
    return raw
