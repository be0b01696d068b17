"""The crm-contract toolkit itself: CLI exit codes and messages, configuration sources, dry run,
redaction of credentials, reports, the pytest plugin and the progress display."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from contract_tests.cli import main
from contract_tests.profile import Credentials, vendor_keys
from contract_tests.runner import Redactor, RunSettings, run_contract

SECRET = "s3cr3t-do-not-print"


def test_every_spec_has_a_contract() -> None:
    from contract_tests.profile import load_contract

    assert vendor_keys() == ["apro", "crmcom", "devcrm", "ultra"]
    for key in vendor_keys():
        assert load_contract(key).key == key


def test_list_shows_vendors_operations_and_checks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "ultra:" in out and "GET    /v1/leads" in out and "pagination_consistency" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "nope", "--target", "mock"], "unknown vendor"),
        (["run", "ultra"], "--base-url"),
        (["run", "ultra", "--base-url", "ftp://x/v1", "--api-key", "k"], "http(s) URL"),
        (["run", "ultra", "--base-url", "http://127.0.0.1:9/v1"], "give credentials"),
        (["run", "ultra", "--target", "mock", "--header", "novalue"], "Name: value"),
        (["run", "ultra", "--target", "mock", "--report", "pdf"], "unknown report format"),
        (["run", "ultra", "--target", "mock", "--max-examples", "0"], "at least 1"),
        (["run", "ultra", "--target", "mock", "--api-key", "a", "--token", "b"], "not both"),
    ],
)
def test_usage_errors_exit_2_and_say_what_to_fix(argv: list[str], message: str, capsys) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_dry_run_sends_nothing_and_hides_the_key(capsys) -> None:
    # port 9 (discard) is never served here: any request would fail the run
    argv = ["run", "ultra", "--base-url", "http://127.0.0.1:9/v1", "--api-key", SECRET, "--dry-run"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "mode safe" in out and "dry run: nothing sent" in out and SECRET not in out
    assert "PUT" not in out and "DELETE" not in out  # safe mode plans no updates or deletes


def test_config_from_toml_and_environment(tmp_path: Path, monkeypatch, capsys) -> None:
    config = tmp_path / "crm-contract.toml"
    config.write_text('[crm-contract]\nbase-url = "http://127.0.0.1:9/v1"\nseed = 7\nmax-examples = 3\n')
    monkeypatch.setenv("CRM_CONTRACT_API_KEY", SECRET)
    monkeypatch.setenv("CRM_CONTRACT_SEED", "11")  # the environment beats the file
    assert main(["run", "ultra", "--config", str(config), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "seed 11" in out and "max examples 3" in out and SECRET not in out
    config.write_text("bogus = 1\n")
    assert main(["run", "ultra", "--config", str(config), "--dry-run"]) == 2
    assert "unknown setting" in capsys.readouterr().err


def test_redactor_masks_every_secret() -> None:
    redact = Redactor([SECRET, "tok"])
    assert SECRET not in redact(f"curl -H 'X-API-Key: {SECRET}' -d '{{\"apikey\": \"{SECRET}\"}}'")
    assert "[Filtered]" not in redact("-H 'X-API-Key: [Filtered]'")


@pytest.mark.slow
def test_failures_carry_check_seed_and_redacted_curl_in_every_report(tmp_path: Path, capsys) -> None:
    """A run with a wrong key against the mock fails; the key shows nowhere, reports are complete."""
    argv = [
        "run",
        "ultra",
        "--target",
        "mock",
        "--api-key",
        SECRET,
        "--max-examples",
        "1",
        "--operations",
        r"^GET /leads$",
        "--phases",
        "examples",
        "--report",
        "junit,html,json",
        "--report-dir",
        str(tmp_path),
    ]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert SECRET not in out and "reproduce: curl" in out and "seed: 20250115" in out
    for name in ("ultra.xml", "ultra.html", "ultra.json"):
        text = (tmp_path / name).read_text()
        assert SECRET not in text
    data = json.loads((tmp_path / "ultra.json").read_text())
    failure = data["failures"][0]
    assert failure["check"] and failure["seed"] == 20250115 and failure["curl"].startswith("curl ")
    assert "$CRM_CONTRACT_SECRET" in failure["curl"]
    html = (tmp_path / "ultra.html").read_text()
    assert "Operations × checks" in html and "Spec coverage" in html and "not run" in html
    assert "<failure" in (tmp_path / "ultra.xml").read_text()


@pytest.mark.slow
def test_mock_run_passes_and_exits_0(capsys) -> None:
    argv = ["run", "devcrm", "--target", "mock", "--max-examples", "2", "--operations", "/products"]
    assert main(argv) == 0
    assert "PASS" in capsys.readouterr().out


def test_progress_is_quiet_off_a_terminal() -> None:
    import io

    from contract_tests.cli import Progress

    stream = io.StringIO()
    progress = Progress(stream)
    progress("fuzzing", 1, 2, 0)
    progress.close()
    assert stream.getvalue() == ""


def test_run_settings_default_mode_follows_the_target() -> None:
    assert RunSettings(vendor="ultra", target="mock").effective_mode == "full"
    assert RunSettings(vendor="ultra", base_url="http://x/v1").effective_mode == "safe"
    result = run_contract(
        RunSettings(
            vendor="ultra",
            base_url="http://127.0.0.1:9/v1",
            credentials=Credentials(api_key="k"),
            dry_run=True,
        )
    )
    assert result.cases == 0 and result.plan


@pytest.mark.slow
def test_pytest_plugin_collects_the_contract(tmp_path: Path) -> None:
    (tmp_path / "test_fixtures.py").write_text(
        "def test_client(crm_contract_client, crm_contract_schema):\n"
        "    status, body, _ = crm_contract_client.request('GET', '/products')\n"
        "    assert status == 200 and crm_contract_schema is not None\n"
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            str(tmp_path),
            "--rootdir",
            str(tmp_path),
            "--crm-vendor",
            "devcrm",
            "--crm-target",
            "mock",
            "--crm-max-examples",
            "2",
            "--crm-operations",
            "/products",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "7 passed" in proc.stdout or "passed" in proc.stdout
