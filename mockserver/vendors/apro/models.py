"""APRO's domain rules live with its calls (``records``, ``objects``, ``accounts``, ``comms``):
every APRO operation is a custom handler, so the generic-engine hooks stay the defaults."""

from __future__ import annotations

from mockserver.vendors.base import Rules


class AproRules(Rules):
    """No generic create / update / delete runs for APRO (all its calls are RPC-style)."""
