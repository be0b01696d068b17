"""Cross-cutting simulation of a live CRM: clock, rate limits (more in later issues)."""
