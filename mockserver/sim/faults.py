"""Injected latency and faults, the way a flaky real CRM misbehaves.

Rules are shared by every worker (kept in the store) and matched by vendor, method and a path
regex, each with a probability. A request can also ask for one, Prism-style: ``Prefer: code=503``
or ``Prefer: latency=250``. Faults are applied before the operation runs: state never changes.
"""

from __future__ import annotations

import json
import math
import random
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockserver.store import DocumentStore

_KEY = "sim:faults"
FAULT_KINDS = ("status", "unavailable", "reset", "malformed", "truncated", "empty")
_rng = random.Random()


@dataclass(frozen=True)
class Decision:
    latency_ms: float = 0.0
    fault: dict[str, Any] | None = None


def _check_latency(spec: Any) -> None:
    if spec is None:
        return
    if not isinstance(spec, dict) or len(spec) != 1:
        raise ValueError(
            'latency is one of {"fixed": ms}, {"uniform": [lo, hi]}, '
            '{"lognormal": {"median": ms, "sigma": s}}'
        )
    ((kind, value),) = spec.items()
    if kind == "fixed" and isinstance(value, int | float) and 0 <= value <= 60_000:
        return
    if (
        kind == "uniform"
        and isinstance(value, list)
        and len(value) == 2
        and 0 <= value[0] <= value[1] <= 60_000
    ):
        return
    if (
        kind == "lognormal"
        and isinstance(value, dict)
        and 0 < value.get("median", 0) <= 60_000
        and 0 <= value.get("sigma", -1) <= 3
    ):
        return
    raise ValueError(f"bad latency {spec!r}")


def _check_fault(spec: Any) -> None:
    if spec is None:
        return
    if not isinstance(spec, dict) or spec.get("kind") not in FAULT_KINDS:
        raise ValueError(f"fault kind is one of {', '.join(FAULT_KINDS)}")
    if spec["kind"] == "status" and not (
        isinstance(spec.get("status"), int) and 400 <= spec["status"] <= 599
    ):
        raise ValueError("a status fault needs a status from 400 to 599")


def validate_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A clean copy of an admin-supplied rule, or ValueError saying what is wrong."""
    allowed = {"vendor", "method", "path", "probability", "latency", "fault"}
    unknown = set(rule) - allowed
    if unknown:
        raise ValueError(f"unknown rule fields: {', '.join(sorted(unknown))}")
    if rule.get("latency") is None and rule.get("fault") is None:
        raise ValueError("a rule needs a latency, a fault, or both")
    probability = rule.get("probability", 1.0)
    if not isinstance(probability, int | float) or not 0 <= probability <= 1:
        raise ValueError("probability is a number from 0 to 1")
    if rule.get("path") is not None:
        re.compile(rule["path"])
    _check_latency(rule.get("latency"))
    _check_fault(rule.get("fault"))
    return {
        "id": "fault_" + secrets.token_hex(4),
        "vendor": rule.get("vendor"),
        "method": (rule.get("method") or "").upper() or None,
        "path": rule.get("path"),
        "probability": float(probability),
        "latency": rule.get("latency"),
        "fault": rule.get("fault"),
    }


def parse_cli(latency: str, fault: str) -> list[dict[str, Any]]:
    """``--latency fixed:250 | uniform:50-200 | lognormal:100,0.5`` and ``--fault 503@0.1 | reset@0.05``."""
    rules = []
    if latency:
        kind, _, arg = latency.partition(":")
        if kind == "fixed":
            spec: dict[str, Any] = {"fixed": float(arg)}
        elif kind == "uniform":
            lo, _, hi = arg.partition("-")
            spec = {"uniform": [float(lo), float(hi)]}
        elif kind == "lognormal":
            median, _, sigma = arg.partition(",")
            spec = {"lognormal": {"median": float(median), "sigma": float(sigma or 0.5)}}
        else:
            raise ValueError(f"bad --latency {latency!r}")
        rules.append(validate_rule({"latency": spec}))
    if fault:
        what, _, prob = fault.partition("@")
        spec = {"kind": "status", "status": int(what)} if what.isdigit() else {"kind": what}
        if spec.get("status") == 503:
            spec = {"kind": "unavailable"}
        rules.append(validate_rule({"fault": spec, "probability": float(prob or 1)}))
    return rules


class Faults:
    def __init__(self, store: DocumentStore) -> None:
        self.store = store

    def rules(self) -> list[dict[str, Any]]:
        return self.store.memo(_KEY, self._read, on=("meta",))

    def _read(self) -> list[dict[str, Any]]:
        raw = self.store.get_meta(_KEY)
        return json.loads(raw) if raw else []

    def _save(self, rules: list[dict[str, Any]]) -> None:
        with self.store.transaction():
            self.store.set_meta(_KEY, json.dumps(rules))

    def add(self, rule: dict[str, Any]) -> dict[str, Any]:
        clean = validate_rule(rule)
        self._save([*self.rules(), clean])
        return clean

    def remove(self, rule_id: str) -> bool:
        rules = self.rules()
        kept = [r for r in rules if r["id"] != rule_id]
        self._save(kept)
        return len(kept) != len(rules)

    def clear(self) -> None:
        self._save([])

    def decide(self, vendor: str, method: str, path: str, prefer: str | None) -> Decision:
        """What to do to this request: the Prefer header wins, then the first matching rules."""
        latency = 0.0
        fault = None
        for rule in self.rules():
            if rule["vendor"] and rule["vendor"] != vendor:
                continue
            if rule["method"] and rule["method"] != method:
                continue
            if rule["path"] and not re.search(rule["path"], path):
                continue
            if _rng.random() >= rule["probability"]:
                continue
            latency += sample_latency(rule["latency"])
            fault = fault or rule["fault"]
        if prefer:
            asked = parse_prefer(prefer)
            if "latency" in asked:
                latency = asked["latency"]
            if "code" in asked:
                code = asked["code"]
                fault = {"kind": "unavailable"} if code == 503 else {"kind": "status", "status": code}
        return Decision(latency, fault)


def sample_latency(spec: dict[str, Any] | None) -> float:
    if not spec:
        return 0.0
    ((kind, value),) = spec.items()
    if kind == "fixed":
        return float(value)
    if kind == "uniform":
        return _rng.uniform(value[0], value[1])
    return min(60_000.0, value["median"] * math.exp(_rng.gauss(0.0, value["sigma"])))


def parse_prefer(header: str) -> dict[str, float | int]:
    """``Prefer: code=503, latency=250``: only error codes (400-599) and latencies up to 60 s count."""
    out: dict[str, float | int] = {}
    for part in re.split(r"[,;]", header):
        name, _, value = part.strip().partition("=")
        value = value.strip().strip('"')
        if name == "code" and value.isdigit() and 400 <= int(value) <= 599:
            out["code"] = int(value)
        elif name == "latency":
            try:
                ms = float(value)
            except ValueError:
                continue
            if 0 <= ms <= 60_000:
                out["latency"] = ms
    return out
