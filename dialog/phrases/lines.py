"""Fixed lines the dialog speaks on its own, per language: ``say`` with the call's values bound.

The lines themselves are data (``dialog/phrases/data/<language>.yaml``, groups ``dialog`` and
``tasks``), read through ``dialog.phrases.say``. A business pack adds lines of its own (its
tasks' questions and outcomes) and may say stock lines otherwise (``phrases/<language>.yaml``):
those are ``own``, looked up first.
"""

from __future__ import annotations

from collections.abc import Mapping

from config.languages import supported
from dialog.phrases.say import say

__all__ = ["Lines", "fill"]


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def fill(template: str, values: Mapping[str, object]) -> str:
    """``template`` with ``values``; a value it names and nobody gave is left out."""
    return template.format_map(_Blank(values))


class Lines:
    """``say`` with the values every line of a call may use (``business``) bound, and the
    business's ``own`` lines (key -> language -> template) before the stock ones."""

    def __init__(self, own: Mapping[str, Mapping[str, str]] | None = None,
                 **values: str) -> None:
        self._own = own or {}
        self._values = values

    def get(self, key: str, language: str, /, **values: str) -> str:
        """The line ``key`` in ``language`` (``say``'s fallback), with the bound values and
        ``values`` filled in. An own line in another language than the call's is said in the
        business's first; a value it names and nobody gave is left out."""
        table = self._own.get(key)
        if table is None:
            return say(key, language, **{**self._values, **values})
        template = table.get(language) or table.get(supported(language)) \
            or next(iter(table.values()))
        return fill(template, {**self._values, **values})
