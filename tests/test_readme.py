"""The README's curl commands answer 2xx against the served app, so the docs cannot rot."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tests.conftest import build_app

README = Path(__file__).resolve().parent.parent / "README.md"


def curl_commands() -> list[str]:
    text = README.read_text().replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip().startswith("curl ")]


def parse(command: str) -> tuple[str, str, dict[str, str], str | None]:
    args = shlex.split(command)[1:]
    method, headers, body, url = "GET", {}, None, ""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "-X":
            method, i = args[i + 1], i + 1
        elif arg == "-H":
            name, _, value = args[i + 1].partition(":")
            headers[name.strip()] = value.strip()
            i += 1
        elif arg in ("-d", "--data"):
            body, i = args[i + 1], i + 1
            method = "POST" if method == "GET" else method
        elif not arg.startswith("-"):
            url = arg
        i += 1
    return method, url, headers, body


def test_readme_has_curl_examples() -> None:
    assert len(curl_commands()) >= 4


@pytest.mark.parametrize("command", curl_commands())
def test_readme_curl_answers(command: str) -> None:
    from starlette.testclient import TestClient

    method, url, headers, body = parse(command)
    path = re.sub(r"^https?://[^/]+", "", url)
    app = build_app("apro", "crmcom", "devcrm", "ultra")
    with TestClient(app) as client:
        response = client.request(method, path, headers=headers, content=body)
    assert 200 <= response.status_code < 300, (command, response.status_code, response.text[:300])
    if "sharedapi" in path:
        assert response.json()["status"] == "success"
