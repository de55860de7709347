"""Fixed lines the dialog speaks on its own, per language: ``say`` with the call's values bound.

The lines themselves are data (``dialog/phrases/data/<language>.yaml``, groups ``dialog`` and
``tasks``), read through ``dialog.phrases.say``.
"""

from __future__ import annotations

from dialog.phrases.say import say

__all__ = ["Lines"]


class Lines:
    """``say`` with the values every line of a call may use (``business``) bound."""

    def __init__(self, **values: str) -> None:
        self._values = values

    def get(self, key: str, language: str, /, **values: str) -> str:
        """The line ``key`` in ``language`` (``say``'s fallback), with the bound values and
        ``values`` filled in."""
        return say(key, language, **{**self._values, **values})
