"""(Sur)names: spelled, after a cue ("my name is", "me llamo"), or said alone."""

from __future__ import annotations

import re

from config.languages import spoken_language
from dialog.embedded.slots.answers import parse_yes_no
from dialog.embedded.slots.lexicon import NAME_CUES, NAME_STOPS, NOT_NAMES, WEAK_NAME_CUES
from dialog.embedded.spoken import FILLERS, prepare, spelled_runs

__all__ = ["parse_name"]


# Particles kept lowercase inside a name: "Van der Berg", "García de la Torre".
_PARTICLES = {"de", "del", "la", "las", "los", "da", "di", "du", "le", "van", "der", "den", "von"}


def _title(words: list[str]) -> str:
    """Title case for "garcia", "GARCIA", "o'brien"; a mixed-case "McDonald" is kept as written."""
    return " ".join(
        w if (i and w in _PARTICLES) or not (w.islower() or w.isupper()) else w.title()
        for i, w in enumerate(words)
    )


def parse_name(text: str, language: str, *, alone: bool = True) -> str | None:
    """A (sur)name: spelled ("S M I T H", "Sierra Mike..."), after a cue ("my name is", "under",
    "me llamo", "c'est", "ich heiße"), or said alone ("Garcia."). Title case, up to 3 words.

    A spelling wins over a name said plainly ("Smith, S M I T H" -> "Smith"). After a weak cue
    ("it's", "es", "c'est", "hier ist"), the name must be capitalised as Whisper writes names.
    ``alone`` False: a name said alone is not taken (the question was not about a name, and
    German capitalises every noun: "Keine Ahnung" is no name).
    """
    lang = spoken_language(language)
    spelled = spelled_runs(text, lang)
    if spelled:
        return _title([max(spelled, key=len)])
    text = text.replace("’", "'")
    cues = sorted(NAME_CUES[lang], key=len, reverse=True)
    pattern = r"(?<!\w)(" + "|".join(re.escape(c) for c in cues) + r")(?!\w)"
    for cue in reversed(list(re.finditer(pattern, text, re.IGNORECASE))):
        words = _name_words(text[cue.end() :], lang)
        if words and (cue[1].lower() not in WEAK_NAME_CUES or words[0][0].isupper()):
            return _title(words)
    if not alone:
        return None
    words = _name_words(text, lang)
    bare = [w for w in prepare(text, lang) if w.strip(".,!?") not in NAME_STOPS]
    if words and len(words) == len(bare) <= 2 and words[0][0].isupper():
        if parse_yes_no(text, lang) is None:
            return _title(words)
    return None


_NAME_WORD = re.compile(r"[^\W\d_]+(?:['-][^\W\d_]+)*")  # letters, "O'Brien", "García-López"


def _name_words(rest: str, lang: str) -> list[str]:
    """Name-like words at the start of ``rest`` (three at most, not counting "de", "van"...),
    ending at punctuation or a stop word."""
    words: list[str] = []
    for raw in rest.split():
        word = raw.strip("\"'()[],.;:!?¿¡")
        if word.lower() in FILLERS[lang]:
            continue
        if not _NAME_WORD.fullmatch(word) or word.lower() in NAME_STOPS:
            break
        words.append(word)
        said = [w for w in words if w not in _PARTICLES]
        if len(said) == 3 or raw.endswith((",", ".", "!", "?", ";")):
            break
    while words and words[-1] in _PARTICLES:  # "under Garcia de, um..." ends on a name
        words.pop()
    return words if not any(w.lower() in NOT_NAMES for w in words) else []
