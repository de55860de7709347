"""Answers to a question: yes or no, "I don't know", "nothing", and whether a turn is an inquiry
rather than a request to note down.
"""

from __future__ import annotations

import re
from functools import lru_cache

from config.languages import spoken_language
from dialog.embedded.slots.lexicon import (
    ANSWERS,
    NOT_KNOWN,
    NOTHING,
    QUESTION_OPENERS,
    RECORDS,
    REQUEST_MODALS,
)
from dialog.embedded.slots.numbers import parse_digits
from dialog.embedded.spoken import prepare

__all__ = ["parse_yes_no", "says_not_known", "says_nothing", "is_inquiry"]


@lru_cache(maxsize=8)
def _answer_pattern(lang: str) -> re.Pattern[str]:
    phrases = sorted(ANSWERS[lang], key=len, reverse=True)
    return re.compile(r"(?<![\w'])(" + "|".join(map(re.escape, phrases)) + r")(?![\w'])")


def parse_yes_no(text: str, language: str) -> bool | None:
    """True for yes, False for no, None when neither (or "not sure") is said.

    The first answer phrase in the transcript decides, longest phrase first at each place:
    "no problem" is a yes, "that's not right" a no, "not sure" neither.
    """
    lang = spoken_language(language)
    raw = prepare(text, lang)
    words = [w.strip('.,!?;:¿¡"') for w in raw]
    # "si" is also "if": a yes only as the first word, and in French only alone ("Si !", "Si,").
    alone = bool(raw) and (raw[0] != "si" or len(raw) == 1)
    if words[:1] == ["si"] and (lang == "es" or (lang == "fr" and alone)):
        return True
    norm = " ".join(words)
    match = _answer_pattern(lang).search(norm)
    return ANSWERS[lang][match[1]] if match else None


def says_not_known(text: str, language: str) -> bool:
    """The caller cannot give what was asked: "I don't have it", "no lo sé", "je ne sais pas",
    "keine Ahnung"."""
    return _says(text, language, NOT_KNOWN)


def says_nothing(text: str, language: str) -> bool:
    """The caller has nothing to add: "nothing", "nada", "rien de spécial", "das ist alles"."""
    return _says(text, language, NOTHING)


def is_inquiry(text: str, language: str) -> bool:
    """Not a request to note down: a question ("what's on the folio?"), or words about records
    or someone else (a reservation, a bill, an account, another guest, a number of five digits
    or more). "Could we have extra pillows?" is a request."""
    lang = spoken_language(language)
    if _says(text, lang, RECORDS) or parse_digits(text, lang, min_len=5, max_len=64):
        return True
    words = " ".join(w.strip('.,!?;:¿¡"') for w in prepare(text, lang)).split()
    opens = " ".join(words[:3])

    def starts(table: dict[str, list[str]]) -> bool:
        return any(re.match(rf"{re.escape(p)}(?![\w'])", opens) for p in table[lang])

    if starts(REQUEST_MODALS):
        return False
    return starts(QUESTION_OPENERS) or "?" in text


def _says(text: str, language: str, table: dict[str, list[str]]) -> bool:
    lang = spoken_language(language)
    norm = " ".join(w.strip('.,!?;:¿¡"') for w in prepare(text, lang))
    return any(re.search(rf"(?<![\w']){re.escape(p)}(?![\w'])", norm) for p in table[lang])
