"""Is a sentence the agent is about to say supported by what it was given?

A phone agent must not invent facts: times, prices, numbers of nights, room numbers, order
totals. Before a sentence is spoken, every figure in it must appear in the evidence of the turn
(the knowledge passages retrieved, the tool results, the caller's own words, the business
profile). The check is deliberately narrow: figures are what callers act on and what models
most often get wrong, and they can be checked without a model. A claim with no figure in it
("yes, we have a pool") is left to the prompt's rules and to retrieval.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["figures", "unsupported_figures"]

# 7, 7.50, 1,200, 6:30, 10:30pm, 15%, $12 -> the figure's digits (separators kept for times)
_FIGURE = re.compile(r"\d+(?:[.,:]\d+)*")
# Ordinals and tiny counts read naturally in any answer ("one moment", "the 1st option").
_TRIVIAL = frozenset({"0", "1", "2"})


def _variants(figure: str) -> set[str]:
    """Forms of one figure that mean the same: 12.00 = 12, 1,200 = 1200, 15:00 = 3:00 = 3."""
    plain = figure.replace(",", "") if re.fullmatch(r"\d{1,3}(,\d{3})+", figure) else figure
    out = {figure, plain}
    if re.fullmatch(r"\d+[.,]00", plain):
        out.add(plain[:-3])
    time = re.fullmatch(r"(\d{1,2}):(\d{2})", plain)
    if time:
        hour, minute = int(time.group(1)), time.group(2)
        for h in {hour, hour % 12 or 12}:
            out.add(f"{h}:{minute}")
            if minute == "00":
                out.add(str(h))
    return out


def figures(text: str) -> set[str]:
    """The figures in ``text``, each in every form that means the same."""
    found: set[str] = set()
    for match in _FIGURE.finditer(text):
        found |= _variants(match.group().rstrip(".,:"))
    return found


def unsupported_figures(sentence: str, evidence: Iterable[str]) -> list[str]:
    """Figures of ``sentence`` that appear nowhere in ``evidence`` (ignoring trivial ones)."""
    known: set[str] = set()
    for text in evidence:
        known |= figures(text)
    missing = []
    for match in _FIGURE.finditer(sentence):
        figure = match.group().rstrip(".,:")
        if figure in _TRIVIAL:
            continue
        if not (_variants(figure) & known):
            missing.append(figure)
    return missing
