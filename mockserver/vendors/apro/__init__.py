"""APRO CRM "plumbing api" v2.8 (sharedapi): the RPC-style CRM (seed document 002)."""

from __future__ import annotations

from mockserver.engine.spec import VendorSpec
from mockserver.specs import spec_path
from mockserver.vendors.apro.dialect import AproDialect
from mockserver.vendors.apro.handlers import HANDLERS
from mockserver.vendors.apro.models import AproRules
from mockserver.vendors.apro.scenario import AproScenario
from mockserver.vendors.apro.seed import CALLS_KEY, DEMO_KEY, LIMITED_KEY, READONLY_KEY, SMS_KEY, seed_apro
from mockserver.vendors.apro.webhooks import ADMIN_ACTIONS
from mockserver.vendors.base import Vendor


def create_vendor() -> Vendor:
    return Vendor(
        key="apro",
        title="APRO CRM API v2.8 (sharedapi)",
        spec=VendorSpec(spec_path("apro")),
        dialect=AproDialect(),
        rules=AproRules(),
        handlers=dict(HANDLERS),
        seeder=seed_apro,
        scenario=AproScenario(),
        admin_actions=dict(ADMIN_ACTIONS),
        demo_credentials={
            "apikey (POST body)": DEMO_KEY,
            "apikey, 200 requests/hour": LIMITED_KEY,
            "apikey, read-only": READONLY_KEY,
            "apikey, calls only": CALLS_KEY,
            "SMS integration key": SMS_KEY,
        },
    )
