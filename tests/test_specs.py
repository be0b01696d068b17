"""Every spec is valid OpenAPI and its x-mock metadata points at things that exist."""

from __future__ import annotations

import pytest
import yaml
from openapi_spec_validator import validate

from mockserver.specs import specs_dir
from mockserver.vendors import VENDOR_KEYS, load_vendor

SPECS = sorted(specs_dir().glob("*.yaml"))


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.name)
def test_spec_is_valid_openapi(path) -> None:
    validate(yaml.safe_load(path.read_text()))


@pytest.mark.parametrize("key", VENDOR_KEYS)
def test_mock_metadata_is_coherent(key: str) -> None:
    vendor = load_vendor(key)
    spec = vendor.spec
    vendor.check_handlers()
    for op in spec.operations.values():
        assert op.action in {"create", "get", "list", "update", "delete", "custom"}, op.operation_id
        if op.action != "custom":
            assert op.resource in spec.resources, op.operation_id
        names = {p.name for p in op.params}
        for attr in ("id_param", "parent_param"):
            value = getattr(op, attr)
            assert value is None or value in names, (op.operation_id, attr)
        for p in op.params:
            f = p.meta.get("x-mock-filter")
            if f:
                assert f.get("op", "eq") in {"eq", "ne", "gt", "gte", "lt", "lte", "in", "contains"}


def test_ultra_links_point_at_operations() -> None:
    spec = load_vendor("ultra").spec
    links = 0
    for op in spec.operations.values():
        for response in op.spec.get("responses", {}).values():
            for link in response.get("links", {}).values():
                assert link["operationId"] in spec.operations
                links += 1
    assert links >= 10
