"""CRM-Ultra API v1: the insurance-lead CRM (seed document 000)."""

from __future__ import annotations

from mockserver.engine.spec import VendorSpec
from mockserver.specs import spec_path
from mockserver.vendors.base import Vendor
from mockserver.vendors.ultra.dialect import UltraDialect
from mockserver.vendors.ultra.handlers import ADMIN_ACTIONS, HANDLERS
from mockserver.vendors.ultra.models import UltraRules
from mockserver.vendors.ultra.seed import DEMO_KEY, UltraScenario, seed_ultra


def create_vendor() -> Vendor:
    return Vendor(
        key="ultra",
        title="CRM-Ultra API v1",
        spec=VendorSpec(spec_path("ultra")),
        dialect=UltraDialect(),
        rules=UltraRules(),
        handlers=dict(HANDLERS),
        seeder=seed_ultra,
        admin_actions=dict(ADMIN_ACTIONS),
        scenario=UltraScenario(),
        demo_credentials={
            "X-API-Key": DEMO_KEY,
            "X-API-Key (tiers)": "demo-free, demo-basic, demo-professional, demo-enterprise",
            "OAuth2 client": "demo-client / demo-secret (redirect http://localhost:8080/callback)",
        },
    )
