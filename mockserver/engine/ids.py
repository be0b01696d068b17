"""Record ids in each resource's declared format, deterministic for a seed."""

from __future__ import annotations

import random
import uuid

from mockserver.engine.spec import IdFormat

ALPHABETS = {
    "digits": "0123456789",
    "alnum": "abcdefghijklmnopqrstuvwxyz0123456789",
    "hex": "0123456789abcdef",
}


def make_id(fmt: IdFormat, rng: random.Random) -> str:
    if fmt.alphabet == "uuid":
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    alphabet = ALPHABETS.get(fmt.alphabet, fmt.alphabet)
    if fmt.alphabet == "digits":  # numeric ids never start with 0
        first = rng.choice("123456789")
        return fmt.prefix + first + "".join(rng.choices(alphabet, k=fmt.length - 1))
    return fmt.prefix + "".join(rng.choices(alphabet, k=fmt.length))


def id_rng(seed: int, collection: str, sequence: int) -> random.Random:
    """The generator for the n-th id of a collection: same seed and order, same ids."""
    return random.Random(f"{seed}:{collection}:{sequence}")
