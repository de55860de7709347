"""The caller's language: adopting the one detected in their first words, and switching when
they ask ("¿habla español?", "in English please"). Pure functions.

Speech recognition detects the language of the first utterances (the multilingual model); a
confident detection of a language the agent speaks is kept for the call and recognition is pinned
to it (faster, fewer errors). After that a switch is an explicit request, in any of the languages.
"""

from __future__ import annotations

import re
from functools import lru_cache

from config.intents import normalise
from config.languages import SPOKEN

__all__ = ["detected_language", "likely_language", "requested_language"]

MIN_PROBABILITY = 0.6  # a detection below this does not settle the call's language
GUESS_PROBABILITY = 0.2  # below this not even this turn is answered in the detected language
MIN_WORDS = 2  # a one-word utterance ("OK") says too little about the language
# Whisper's language detection is unreliable on a second of speech: a French "Bonjour, madame,"
# cut off at its comma was heard as English "Thank you very much" (p 0.7).
MIN_SECONDS = 1.5

# A language named by the caller, in each of the four languages (after ``normalise``).
_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("english", "ingles", "anglais", "englisch", "inglese"),
    "es": ("spanish", "espanol", "castellano", "espagnol", "spanisch"),
    "fr": ("french", "frances", "francais", "franzosisch", "franzoesisch"),
    "de": ("german", "aleman", "allemand", "deutsch"),
}
# A named language is a request when the caller asks to speak it ("do you speak", "¿habla?",
# "parlez-vous", "sprechen Sie") or names it after "in" / "en" / "auf" ("in English", "en
# español", "auf Deutsch"); or when it is said with at most a "please" ("Español, por favor").
_SPEAK = ("speak", "talk", "habla", "hablar", "hablamos", "hable", "hablan", "parlez", "parler",
          "parle", "parlons", "sprechen", "sprichst", "spricht")
_BEFORE_NAME = ("in", "en", "auf")
_POLITE = ("please", "por favor", "s il vous plait", "bitte")
MAX_REQUEST_WORDS = 8


@lru_cache(maxsize=1)
def _names() -> dict[str, re.Pattern[str]]:
    return {code: re.compile(r"\b(" + "|".join(words) + r")\b") for code, words in _NAMES.items()}


_SPEAKING = re.compile(r"\b(" + "|".join(_SPEAK) + r")\b")
_POLITENESS = re.compile(r"\b(" + "|".join(_POLITE) + r")\b")


def requested_language(text: str) -> str | None:
    """The language a caller asks to speak ("Do you speak Spanish?", "¿Habla español?",
    "Deutsch, bitte", "in English please"), None when they do not ask for one: "Do you have a
    French restaurant?" and "I booked through the Spanish website" are not requests."""
    words = normalise(text)
    if not words or len(words.split()) > MAX_REQUEST_WORDS:
        return None
    named = [(code, found) for code, pattern in _names().items()
             if (found := pattern.search(words))]
    if len(named) != 1:
        return None
    code, found = named[0]
    before = words[:found.start()].split()
    rest = f"{words[:found.start()]} {words[found.end():]}"
    if _SPEAKING.search(words) or (before and before[-1] in _BEFORE_NAME):
        return code
    bare = _POLITENESS.sub(" ", rest).split()
    return code if not bare else None


def likely_language(language: str, probability: float) -> str | None:
    """The language to answer this turn in while the call's language is not settled: the
    detection, when it is a language the agent speaks and not a wild guess."""
    return language if language in SPOKEN and probability >= GUESS_PROBABILITY else None


def detected_language(language: str, probability: float, text: str,
                      seconds: float) -> str | None:
    """The language to keep from one detection: a language the agent speaks, detected with
    confidence in an utterance of a few words and ``seconds`` long enough; None: not sure yet
    (detect again next time)."""
    if language not in SPOKEN or probability < MIN_PROBABILITY or seconds < MIN_SECONDS:
        return None
    return language if len(normalise(text).split()) >= MIN_WORDS else None
