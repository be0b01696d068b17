"""Contract run of ``crmcom`` against the in-process mock through the crm-contract toolkit
(``crm-contract run crmcom --target mock`` at default settings): Schemathesis's examples, coverage,
fuzzing and stateful phases with every built-in check, plus the vendor's checks and probes
(``mockserver/vendors/crmcom/contract.py``). Deterministic: fixed seed, derandomized, no example database."""

from __future__ import annotations

import pytest

from contract_tests.testing import assert_contract_passes

pytestmark = pytest.mark.slow


def test_contract_crmcom() -> None:
    assert_contract_passes("crmcom")
