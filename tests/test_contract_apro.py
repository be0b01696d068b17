"""Contract run of ``apro`` against the in-process mock through the crm-contract toolkit
(``crm-contract run apro --target mock`` at default settings): Schemathesis's examples, coverage,
fuzzing and stateful phases with every built-in check, plus the vendor's checks and probes
(``mockserver/vendors/apro/contract.py``). Deterministic: fixed seed, derandomized, no example database."""

from __future__ import annotations

import pytest

from contract_tests.testing import assert_contract_passes

pytestmark = pytest.mark.slow


def test_contract_apro() -> None:
    assert_contract_passes("apro")
