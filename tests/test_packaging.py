"""The wheel carries the specs: installed outside the checkout, the app still loads them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def test_wheel_installs_and_serves_specs(tmp_path: Path) -> None:
    dist, target = tmp_path / "dist", tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(ROOT)],
        check=True, capture_output=True, timeout=300, cwd=tmp_path,
    )
    wheel = next(dist.glob("crm_mock-*.whl"))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
        check=True, capture_output=True, timeout=300,
    )
    probe = (
        "import mockserver, mockserver.specs as s;"
        "from mockserver.app import create_app; from mockserver.settings import Settings;"
        "app = create_app(Settings(db=':memory:'));"
        "print(mockserver.__file__); print(s.spec_path('ultra'));"
        "print(len(app.runtime.vendors['ultra'].spec.operations))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True, timeout=120,
        cwd=tmp_path, env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
    ).stdout.splitlines()
    assert out[0].startswith(str(target)), out
    assert out[1].startswith(str(target)) and out[1].endswith("ultra.yaml"), out
    assert int(out[2]) >= 20
