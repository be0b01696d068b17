"""Record ids in each resource's declared format, deterministic for a seed."""

from __future__ import annotations

import hashlib
import random
import uuid

from mockserver.engine.spec import IdFormat

ALPHABETS = {
    "digits": "0123456789",
    "alnum": "abcdefghijklmnopqrstuvwxyz0123456789",
    "hex": "0123456789abcdef",
}


def make_id(fmt: IdFormat, rng: random.Random | _HashDraws) -> str:
    if fmt.alphabet == "uuid":
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    alphabet = ALPHABETS.get(fmt.alphabet, fmt.alphabet)
    if fmt.alphabet == "digits":  # numeric ids never start with 0
        first = rng.choice("123456789")
        return fmt.prefix + first + "".join(rng.choices(alphabet, k=fmt.length - 1))
    return fmt.prefix + "".join(rng.choices(alphabet, k=fmt.length))


class _HashDraws:
    """Deterministic draws from a BLAKE2 digest: the few calls ``make_id`` makes, at a fraction of
    the cost of seeding a ``random.Random`` per id (which hashes its seed with SHA-512)."""

    def __init__(self, key: str) -> None:
        self._bytes = hashlib.blake2b(key.encode(), digest_size=64).digest()
        self._pos = 0

    def _next(self) -> int:
        value = self._bytes[self._pos % 64]
        self._pos += 1
        return value

    def choice(self, seq: str) -> str:
        return seq[self._next() % len(seq)]

    def choices(self, seq: str, k: int) -> list[str]:
        return [self.choice(seq) for _ in range(k)]

    def getrandbits(self, bits: int) -> int:
        return int.from_bytes(self._bytes[: (bits + 7) // 8], "big") >> (-bits % 8)


def id_rng(seed: int, collection: str, sequence: int) -> _HashDraws:
    """The draws for the n-th id of a collection: same seed and order, same ids."""
    return _HashDraws(f"{seed}:{collection}:{sequence}")
