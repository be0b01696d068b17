"""Deterministic fake data: Faker fills small pools once, a seeded Random samples them fast."""
