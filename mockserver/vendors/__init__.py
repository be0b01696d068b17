"""One package per CRM vendor; each is a thin dialect over the generic engine."""

from __future__ import annotations

import importlib

from mockserver.vendors.base import Vendor

VENDOR_KEYS = ("ultra",)


def load_vendor(key: str) -> Vendor:
    """Import ``mockserver.vendors.<key>`` and build its Vendor."""
    if key not in VENDOR_KEYS:
        raise KeyError(f"unknown vendor {key!r}; known: {', '.join(VENDOR_KEYS)}")
    module = importlib.import_module(f"mockserver.vendors.{key}")
    return module.create_vendor()
