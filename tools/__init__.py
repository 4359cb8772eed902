"""Instructor tooling: build, verify and grade the Otter assignments (`python -m tools.X`)."""
