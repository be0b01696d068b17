"""crm-mock: a stateful mock of four CRM vendors' HTTP APIs, driven by their OpenAPI specs."""

import warnings

# Connexion imports Starlette's test client at start-up, which warns about httpx on every
# `crm-mock` command; the warning is about their test tooling, not about this program.
warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette\.testclient`")

__version__ = "0.1.0"
