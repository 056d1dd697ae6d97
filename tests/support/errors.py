"""The user error the tests raise, and how they read the notes the engine adds to an exception."""

from __future__ import annotations


class Boom(Exception):
    """A user error that no library code raises."""


def notes(e: BaseException) -> list[str]:
    return list(getattr(e, "__notes__", []))
