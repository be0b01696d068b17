"""The "/dev/crm" CRM (seed document 001): leads, customers, orders and feedback under /dev/crm."""

from __future__ import annotations

from mockserver.engine.spec import VendorSpec
from mockserver.specs import spec_path
from mockserver.vendors.base import Vendor
from mockserver.vendors.devcrm.dialect import DevCrmDialect
from mockserver.vendors.devcrm.handlers import HANDLERS
from mockserver.vendors.devcrm.models import DevCrmRules
from mockserver.vendors.devcrm.scenario import DevcrmScenario
from mockserver.vendors.devcrm.seed import DEMO_TOKEN, seed_devcrm


def create_vendor() -> Vendor:
    return Vendor(
        key="devcrm",
        title="/dev/crm CRM API",
        spec=VendorSpec(spec_path("devcrm")),
        dialect=DevCrmDialect(),
        rules=DevCrmRules(),
        handlers=dict(HANDLERS),
        seeder=seed_devcrm,
        scenario=DevcrmScenario(),
        demo_credentials={"Authorization": f"Bearer {DEMO_TOKEN}"},
    )
