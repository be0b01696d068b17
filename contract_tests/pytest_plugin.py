"""Pytest plugin (entry point ``pytest11``): ``pytest --crm-vendor ultra --crm-base-url URL ...``
collects the contract as tests, one per operation plus one per probe check, inside any suite.

The contract runs once per session (lazily, on the first item) and each item reports its slice,
so the tests are the same ones ``crm-contract run`` executes. Fixtures: ``crm_contract_settings``,
``crm_contract_schema`` (the Schemathesis schema of the vendor's main mount) and
``crm_contract_client`` (an HTTP client that sends the credentials).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from contract_tests.checks import PROBE_CHECKS

_RESULT_KEY = pytest.StashKey[Any]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("crm-contract", "contract tests of a CRM against its spec")
    group.addoption("--crm-vendor", help="run the contract of this vendor (ultra, devcrm, crmcom, apro)")
    group.addoption("--crm-base-url", help="the CRM's API root; omit with --crm-target mock")
    group.addoption("--crm-target", choices=["mock", "url"], help="mock: the in-process mock app")
    group.addoption("--crm-api-key")
    group.addoption("--crm-token")
    group.addoption("--crm-header", action="append", default=[], help="'Name: value'")
    group.addoption("--crm-mode", choices=["safe", "full"])
    group.addoption("--crm-seed", type=int)
    group.addoption("--crm-max-examples", type=int)
    group.addoption("--crm-operations", help="regex over 'METHOD /path'")
    group.addoption("--crm-phases", help="comma-separated phases")


def _settings(config: pytest.Config) -> Any:
    from contract_tests.cli import UsageError, build_parser, resolve

    argv = ["run", config.getoption("crm_vendor")]
    for option, flag in (
        ("crm_base_url", "--base-url"),
        ("crm_target", "--target"),
        ("crm_api_key", "--api-key"),
        ("crm_token", "--token"),
        ("crm_mode", "--mode"),
        ("crm_seed", "--seed"),
        ("crm_max_examples", "--max-examples"),
        ("crm_operations", "--operations"),
        ("crm_phases", "--phases"),
    ):
        value = config.getoption(option)
        if value is not None:
            argv += [flag, str(value)]
    for header in config.getoption("crm_header"):
        argv += ["--header", header]
    try:
        settings, _, _ = resolve(build_parser().parse_args(argv))
    except UsageError as exc:
        raise pytest.UsageError(f"crm-contract: {exc}") from exc
    return settings


class ContractItem(pytest.Item):
    """One operation (all checks that ran on it) or one probe check (all operations it probed)."""

    def __init__(self, *, operation: str | None = None, check: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.operation = operation
        self.check = check

    def runtest(self) -> None:
        result = _result(self.config)
        failures = [
            f
            for f in result.failures
            if (self.operation is not None and f.operation == self.operation and f.check not in PROBE_CHECKS)
            or (self.check is not None and f.check == self.check)
        ]
        if self.operation is not None and not any(op == self.operation for op, _ in result.matrix):
            pytest.skip("not exercised")
        if failures:
            raise ContractFailure(failures)

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        if isinstance(excinfo.value, ContractFailure):
            return "\n\n".join(
                f"[{f.check}] {f.operation} ({f.phase}, seed {f.seed}): {f.title}\n"
                f"{f.message}\nreproduce:\n{f.curl}"
                for f in excinfo.value.failures
            )
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[str, int | None, str]:
        return "crm-contract", None, self.name


class ContractFailure(Exception):
    def __init__(self, failures: list[Any]) -> None:
        super().__init__(f"{len(failures)} contract failure(s)")
        self.failures = failures


def _result(config: pytest.Config) -> Any:
    if _RESULT_KEY not in config.stash:
        from contract_tests.runner import ConfigurationError, run_contract

        try:
            config.stash[_RESULT_KEY] = run_contract(_settings(config))
        except ConfigurationError as exc:
            raise pytest.UsageError(f"crm-contract: {exc}") from exc
    return config.stash[_RESULT_KEY]


class ContractSuite(pytest.Collector):
    def collect(self) -> list[pytest.Item]:
        from contract_tests.profile import load_contract
        from contract_tests.runner import _name, select_operations

        settings = _settings(self.config)
        contract = load_contract(settings.vendor)
        main = contract.probe_mount or contract.spec.base_path
        items: list[pytest.Item] = []
        for mount, ops in select_operations(contract, settings).items():
            for method, path, _ in ops:
                name = _name(mount, main, method, path)
                items.append(ContractItem.from_parent(self, name=name, operation=name))
        items += [ContractItem.from_parent(self, name=check, check=check) for check in PROBE_CHECKS]
        return items


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if not config.getoption("crm_vendor", None):
        return
    suite = ContractSuite.from_parent(session, name=f"crm-contract[{config.getoption('crm_vendor')}]")
    items.extend(suite.collect())


@pytest.fixture(scope="session")
def crm_contract_settings(pytestconfig: pytest.Config) -> Any:
    if not pytestconfig.getoption("crm_vendor", None):
        pytest.skip("no --crm-vendor given")
    return _settings(pytestconfig)


@pytest.fixture(scope="session")
def crm_contract_schema(crm_contract_settings: Any) -> Any:
    """The vendor's main-mount Schemathesis schema, pointed at the target."""
    import schemathesis

    from contract_tests.profile import load_contract
    from contract_tests.runner import _mount_urls

    contract = load_contract(crm_contract_settings.vendor)
    urls = _mount_urls(contract, crm_contract_settings)
    mount = contract.spec.mounts[0]
    document = {**mount.document, "servers": [{"url": urls[mount.base_path]}]}
    return schemathesis.openapi.from_dict(document)


@pytest.fixture(scope="session")
def crm_contract_client(crm_contract_settings: Any) -> Iterator[Any]:
    """``client.request(method, path, body=None)`` on the main mount, with the run's credentials."""
    from contract_tests.profile import load_contract
    from contract_tests.runner import Target, _mount_urls

    contract = load_contract(crm_contract_settings.vendor)
    credentials = crm_contract_settings.credentials
    if credentials.empty and crm_contract_settings.target == "mock":
        credentials = contract.mock_credentials
    target = Target(contract, crm_contract_settings, _mount_urls(contract, crm_contract_settings))
    auth = contract.auth(credentials)
    main = contract.spec.base_path

    class Client:
        def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any, dict[str, str]]:
            return target.send(main, auth, method, path, body)

    yield Client()
    target.close()
