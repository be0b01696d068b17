"""crm-mock: a stateful mock of four CRM vendors' HTTP APIs, driven by their OpenAPI specs."""

__version__ = "0.1.0"
