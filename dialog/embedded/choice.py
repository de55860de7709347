"""Back from a transfer no agent took: the caller chooses a callback or the next agent.

Telephony brings the caller back to the AI and the dialog offers the choice (``offer_line``);
the caller's next turn is read by ``read_choice`` before anything else: keypad 1 (callback) or 2
(next agent), or words in English, Spanish, French or German. Pure functions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Literal

from config.intents import normalise
from dialog.embedded.slots import parse_yes_no

__all__ = ["CALLBACK", "KEYS", "NEXT_AGENT", "Choice", "read_choice", "spoken_digits"]

CALLBACK, NEXT_AGENT = "callback", "next_agent"
Choice = Literal["callback", "next_agent", "decline"]
KEYS = {"1": CALLBACK, "2": NEXT_AGENT}

# Phrases after ``normalise`` (lower case, no accents or punctuation). Callback phrases are
# looked for first: "have someone call me back" names a person too.
_PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    CALLBACK: {
        "en": ("call me back", "call back", "callback", "ring me back", "phone me back",
               "call me later", "calls me back", "call me"),
        "es": ("llamenme", "llameme", "me llamen", "me llame", "devuelvan la llamada",
               "devolver la llamada", "devuelvan", "que me llamen", "rellamada"),
        "fr": ("rappel", "rappelez", "rappelle", "rappeler", "me rappeler", "rappelez moi"),
        "de": ("ruckruf", "zuruckrufen", "ruckrufen", "ruf mich zuruck", "rufen sie mich"),
    },
    "decline": {
        "en": ("no thanks", "no thank you", "neither", "never mind", "nevermind",
               "dont bother", "not needed", "no need", "forget it"),
        "es": ("no gracias", "ninguno", "ninguna", "no hace falta", "da igual", "olvidelo"),
        "fr": ("non merci", "aucun", "aucune", "pas besoin", "laissez tomber", "ce n est pas"
               " la peine"),
        "de": ("nein danke", "keins", "weder", "nicht notig", "vergessen sie es"),
    },
    NEXT_AGENT: {
        "en": ("another", "next", "someone else", "try again", "keep trying", "wait", "hold",
               "other", "again", "person", "agent", "human", "colleague"),
        "es": ("otro", "otra", "siguiente", "esperar", "espero", "intente", "intentar",
               "de nuevo", "persona", "agente", "companero"),
        "fr": ("autre", "suivant", "attendre", "j attends", "reessayer", "essayer",
               "encore", "personne", "agent", "collegue"),
        "de": ("anderen", "anderer", "andere", "nachsten", "nachster", "warten", "versuchen",
               "noch einmal", "nochmal", "mensch", "mitarbeiter", "kollegen", "kollege"),
    },
}


@lru_cache(maxsize=64)
def _pattern(kind: str, language: str) -> re.Pattern[str]:
    phrases = _PHRASES[kind].get(language, ()) + _PHRASES[kind]["en"]
    ordered = sorted(set(phrases), key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(map(re.escape, ordered)) + r")\b")


def read_choice(text: str, dtmf: str | None, language: str,
                offered: Sequence[str]) -> Choice | None:
    """What the caller chose among ``offered`` (``CALLBACK``, ``NEXT_AGENT``), "decline" for
    neither, None when it is not clear (ask again).

    A plain yes takes a single offer and is unclear between two; a plain no declines.
    """
    if dtmf:
        chosen = KEYS.get(dtmf.strip("#*")[:1])
        return chosen if chosen in offered else None  # type: ignore[return-value]
    words = normalise(text)
    if not words:
        return None
    for kind in (CALLBACK, "decline", NEXT_AGENT):
        if _pattern(kind, language).search(words):
            if kind == "decline" or kind in offered:
                return kind  # type: ignore[return-value]
            return None
    answer = parse_yes_no(text, language)
    if answer is False:
        return "decline"
    if answer is True and len(offered) == 1:
        return offered[0]  # type: ignore[return-value]
    return None


def spoken_digits(number: str, count: int = 4) -> str:
    """The last ``count`` digits of a phone number, spaced to be read one by one."""
    digits = [c for c in number if c.isdigit()]
    return " ".join(digits[-count:])
