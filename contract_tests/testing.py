"""Helpers for test suites that run the contract (the project's own CI included)."""

from __future__ import annotations

from contract_tests.checks import PROBE_CHECKS, RESPONSE_CHECKS
from contract_tests.cli import summary
from contract_tests.runner import RunResult, RunSettings, run_contract


def assert_contract_passes(vendor: str, **overrides: object) -> RunResult:
    """Run ``vendor``'s contract against the in-process mock at default settings; fail with the
    summary (checks, reproductions, seed) when anything fails or a vendor check never ran."""
    result = run_contract(RunSettings(vendor=vendor, target="mock", **overrides))  # type: ignore[arg-type]
    assert result.ok, summary(result)
    ran = {check for _, check in result.matrix}
    wanted = set(PROBE_CHECKS) | (set(RESPONSE_CHECKS) - {"rate_limit_headers", "auth_required", "id_format"})
    missing = wanted - ran
    assert not missing, f"vendor checks never ran: {sorted(missing)}"
    return result
