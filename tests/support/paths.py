"""Where the repository is: tests that read files or run commands locate them from ``ROOT``."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The repository's root directory (the one holding ``pyproject.toml``)."""
