"""Pools of Faker values, built once per (seed, locale) and sampled with ``random.Random``.

Calling Faker per record manages a few thousand records a second; sampling pools reaches
well over 100k/s and stays deterministic for the seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from faker import Faker

# Seeded data is dated relative to a fixed anchor, so the same seed gives the same bytes any day.
ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Pools:
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    cities: tuple[str, ...]
    domains: tuple[str, ...]
    sentences: tuple[str, ...]
    companies: tuple[str, ...]

    def person(self, rng: random.Random) -> tuple[str, str]:
        return rng.choice(self.first_names), rng.choice(self.last_names)

    def email(self, rng: random.Random, first: str, last: str, n: int) -> str:
        local = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
        return f"{local}{n}@{rng.choice(self.domains)}"

    @staticmethod
    def phone(rng: random.Random) -> str:
        return f"+1{rng.randint(201, 989)}{rng.randint(200, 999)}{rng.randint(1000, 9999)}"

    @staticmethod
    def moment(rng: random.Random, days_back: int, anchor: datetime = ANCHOR) -> datetime:
        return anchor - timedelta(seconds=rng.randint(0, days_back * 86400))


@lru_cache(maxsize=8)
def pools(seed: int, locale: str = "en_US", size: int = 400) -> Pools:
    fake = Faker(locale)
    fake.seed_instance(seed)
    return Pools(
        first_names=tuple(fake.first_name() for _ in range(size)),
        last_names=tuple(fake.last_name() for _ in range(size)),
        cities=tuple(fake.city() for _ in range(size // 2)),
        domains=(*(fake.free_email_domain() for _ in range(20)), "example.com"),
        sentences=tuple(fake.sentence(nb_words=12) for _ in range(size)),
        companies=tuple(fake.company() for _ in range(size // 4)),
    )


def weighted(rng: random.Random, table: dict[str, int]) -> str:
    return rng.choices(list(table), weights=list(table.values()))[0]
