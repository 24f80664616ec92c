"""Small text helpers shared by services."""

from __future__ import annotations

LIKE_ESCAPE = "\\"


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with its own % and _ taken literally
    (use with `escape=LIKE_ESCAPE`)."""
    cleaned = text.strip()
    for special in (LIKE_ESCAPE, "%", "_"):
        cleaned = cleaned.replace(special, LIKE_ESCAPE + special)
    return f"%{cleaned}%"
