"""Generic, spec-driven resource behaviour shared by every vendor."""
