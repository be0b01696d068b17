"""One package per CRM vendor; each is a thin dialect over the generic engine.

A vendor is any subpackage here with a ``create_vendor()`` function: adding one needs no edit
to shared code.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from mockserver.vendors.base import Vendor


def _discover() -> tuple[str, ...]:
    here = Path(__file__).parent
    return tuple(sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.ispkg))


VENDOR_KEYS = _discover()


def load_vendor(key: str) -> Vendor:
    """Import ``mockserver.vendors.<key>`` and build its Vendor."""
    if key not in VENDOR_KEYS:
        raise KeyError(f"unknown vendor {key!r}; known: {', '.join(VENDOR_KEYS)}")
    module = importlib.import_module(f"mockserver.vendors.{key}")
    return module.create_vendor()
