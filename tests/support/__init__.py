"""Helpers shared by the test files, imported directly (``from tests.support.sources import counting``)."""
