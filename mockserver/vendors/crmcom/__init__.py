"""CRM.COM Back-Office API v2: accounts, activities, analytics and insights (seed document 003)."""

from __future__ import annotations

from mockserver.engine.spec import VendorSpec
from mockserver.specs import spec_path
from mockserver.vendors.base import Vendor
from mockserver.vendors.crmcom.dialect import CrmcomDialect
from mockserver.vendors.crmcom.handlers import HANDLERS
from mockserver.vendors.crmcom.models import CrmcomRules
from mockserver.vendors.crmcom.scenario import CrmcomScenario
from mockserver.vendors.crmcom.seed import (
    DEMO_PASSWORD,
    DEMO_USER,
    LIVE_KEY,
    READ_ONLY_KEY,
    TEST_KEY,
    seed_crmcom,
)


def create_vendor() -> Vendor:
    return Vendor(
        key="crmcom",
        title="CRM.COM Back-Office API v2",
        spec=VendorSpec(spec_path("crmcom")),
        dialect=CrmcomDialect(),
        rules=CrmcomRules(),
        handlers=dict(HANDLERS),
        seeder=seed_crmcom,
        demo_credentials={
            "api_key (live)": LIVE_KEY,
            "api_key (test)": TEST_KEY,
            "api_key (live, read-only)": READ_ONLY_KEY,
            "login (POST /users/authenticate)": f"{DEMO_USER} / {DEMO_PASSWORD}",
        },
        tenants=("live", "test"),
        scenario=CrmcomScenario(),
    )
