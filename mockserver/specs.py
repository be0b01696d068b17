"""Where the OpenAPI files are: beside the source in a checkout, or installed with the wheel."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def specs_dir() -> Path:
    override = os.environ.get("CRM_MOCK_SPECS_DIR")
    candidates = [Path(override)] if override else []
    candidates += [
        Path(__file__).resolve().parent / "_specs",  # wheel: packaged beside the code
        Path(__file__).resolve().parent.parent / "specs",  # source checkout / editable install
        Path(sys.prefix) / "share" / "crm-mock" / "specs",
    ]
    for folder in candidates:
        if (folder / "ultra.yaml").is_file():
            return folder
    raise FileNotFoundError("crm-mock specs not found; set CRM_MOCK_SPECS_DIR")


def spec_path(vendor: str) -> Path:
    return specs_dir() / f"{vendor}.yaml"
