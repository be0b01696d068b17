"""The /__admin API and the landing page: operating the mock rather than the CRM."""
