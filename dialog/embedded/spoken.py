"""Spoken forms in speech-recognition transcripts: number words, digit runs, spelled letters.

Whisper writes what a caller says as digits, words or a mix of both ("47 twenty-nine 13",
"472-913", "four seven, two nine"), keeps filler words ("uh", "euh", "äh") and spells letters
as "S M I T H" or "s-m-i-t-h". These helpers turn such text into plain digit strings and
letters for ``dialog.embedded.slots``. Number words are read by ``text2num`` (en, es, fr, de), which
already splits a sequence into the numbers said: "forty seven twenty nine" -> "47 29",
"four seven" -> "4 7". Everything here is a pure function of its arguments.

The word and phrase tables the slot parsers read (name cues, yes/no answers, currency words,
date and time expressions) are in ``dialog.embedded.slots.lexicon``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from text_to_num import alpha2digit

__all__ = [
    "FILLERS",
    "Run",
    "digit_runs",
    "numbers_to_digits",
    "prepare",
    "spelled_runs",
]

# Hesitations Whisper writes out; per language because English "er" is German for "he".
FILLERS = {
    "en": {"uh", "uhm", "um", "umm", "er", "erm", "hmm", "hm", "mm", "mhm", "ah"},
    "es": {"eh", "em", "ehm", "mmm", "este", "pues", "ah"},
    "fr": {"euh", "heu", "hum", "bah", "ben", "ah"},
    "de": {"äh", "ähm", "öh", "öhm", "hm", "hmm", "ah"},
}
# "double five" -> "55"; the word repeats the digit (or letter) that follows it.
_REPEAT = {"double": 2, "doble": 2, "doppel": 2, "doppelt": 2, "triple": 3, "dreifach": 3}
# "plus four four ..." starts an international phone number.
_PLUS = {"plus", "más", "mas"}
# Edge punctuation stripped from a token; "+" is kept because it marks a phone prefix.
_EDGE = "\"'“”‘’«»()[]{}<>.,;:!?¿¡…-–—/"
_DIGIT_TOKEN = re.compile(r"\+?\d+(?:[-.,/]\d+)*")
# ICAO/NATO spelling alphabet, plus the common variant spellings.
_NATO = {
    "alpha": "a", "alfa": "a", "bravo": "b", "charlie": "c", "delta": "d", "echo": "e",
    "foxtrot": "f", "golf": "g", "hotel": "h", "india": "i", "juliet": "j", "juliett": "j",
    "kilo": "k", "lima": "l", "mike": "m", "november": "n", "oscar": "o", "papa": "p",
    "quebec": "q", "romeo": "r", "sierra": "s", "tango": "t", "uniform": "u", "victor": "v",
    "whiskey": "w", "whisky": "w", "xray": "x", "yankee": "y", "zulu": "z",
}  # fmt: skip
# "S as in Sam", "S de Sevilla", "S comme Simon", "S wie Siegfried": keep the letter only.
_AS_IN = re.compile(
    r"(?<!\w)([^\W\d_])\s+(?:as\s+in|like|for|de|como(?:\s+en)?|comme|wie)\s+[^\W\d_]+"
)
# One-letter words that may stand next to a spelling; written as here (Whisper writes spelled
# letters in capitals, so a lowercase "y" after "S M I T H" is the Spanish "and").
_ONE_LETTER_WORDS = {
    "en": {"a", "I"},
    "es": {"a", "y", "o", "e", "u"},
    "fr": {"a", "à", "y"},
    "de": {"a"},
}
_LETTERS = re.compile(r"[^\W\d_](?:[-.][^\W\d_])*\.?")


def prepare(text: str, lang: str) -> list[str]:
    """Lowercased words of ``text`` without filler words, curly quotes made straight."""
    text = unicodedata.normalize("NFC", text).replace("’", "'").replace("‘", "'").lower()
    return [w for w in text.split() if w.strip(_EDGE) not in FILLERS[lang]]


@lru_cache(maxsize=4096)
def _is_number(word: str, lang: str) -> bool:
    word = word.strip(_EDGE)
    return bool(word) and any(c.isdigit() for c in alpha2digit(word, lang, threshold=0))


def _zeros(words: list[str], lang: str) -> list[str]:
    """English "oh"/"o" next to a number is a zero ("nine oh two"); an opening "Oh," is not."""
    if lang != "en":  # Spanish "o" means "or".
        return words
    out = list(words)
    for i, word in enumerate(words):
        if word.strip(_EDGE) not in {"oh", "o"}:
            continue
        if i == 0 and word.rstrip().endswith((",", "!")):
            continue
        near = words[i - 1 : i] + words[i + 1 : i + 2]
        if any(_is_number(n, lang) for n in near):
            out[i] = word.replace(word.strip(_EDGE), "zero")
    return out


def numbers_to_digits(text: str, lang: str) -> str:
    """Text with every number said in words written in digits, fillers dropped.

    English "forty-seven" is kept whole but "nine-oh-two" is split so the "oh" reads as zero.
    """
    words = prepare(text, lang)
    if lang == "en":
        words = [p for w in words for p in (w.split("-") if "-" in w.strip(_EDGE) else [w]) if p]
    return alpha2digit(" ".join(_zeros(words, lang)), lang, threshold=0)


# Words speech recognition writes for a digit said right after other digits (never at the start
# of a run, so "room for two" and "I want to" are left alone).
_EN_DIGIT_HOMOPHONES = {"for": "4", "to": "2", "too": "2", "won": "1", "ate": "8"}


@dataclass(frozen=True)
class Run:
    """Digits said one after the other, with nothing but punctuation or fillers between."""

    digits: str
    plus: bool = False  # written "+44..." or said "plus four four...": an international number


def digit_runs(text: str, lang: str) -> list[Run]:
    """Every run of digits in ``text``, in order; any other word ends a run.

    "four seven, two nine, one three" -> ["472913"]; "472-913" -> ["472913"];
    "room for two, number four seven" -> ["2", "47"]; "double five" -> ["55"].
    """
    runs: list[Run] = []
    parts: list[str] = []
    plus = after_plus = False
    repeat = 1
    for raw in numbers_to_digits(text, lang).split():
        token = raw.strip(_EDGE)
        if not token:  # a lone "-" or "," between groups
            continue
        if parts and lang == "en" and token in _EN_DIGIT_HOMOPHONES:
            token = _EN_DIGIT_HOMOPHONES[token]  # "5 5 1 2 3 for": Whisper's spelling of a 4
        if _DIGIT_TOKEN.fullmatch(token):
            digits = re.sub(r"\D", "", token)
            if not parts:
                plus = token.startswith("+") or after_plus
            parts.append(digits[0] * (repeat - 1) + digits)
            repeat = 1
        elif token in _REPEAT:
            repeat = _REPEAT[token]
        else:
            if parts:
                runs.append(Run("".join(parts), plus))
            parts, repeat, after_plus = [], 1, token in _PLUS
    if parts:
        runs.append(Run("".join(parts), plus))
    return runs


def spelled_runs(text: str, lang: str) -> list[str]:
    """Runs of two or more letters spelled one by one, uppercased, in order.

    Accepts "S M I T H", "s-m-i-t-h", "S. M. I. T. H.", "S as in Sam, M as in Mary", NATO words
    ("Sierra Mike India") and "double T". Any other word ends a run.
    """
    text = unicodedata.normalize("NFC", text).replace("’", "'")
    text = _AS_IN.sub(r"\1", re.sub(r"(?i)\bx-ray\b", "xray", text))
    runs: list[str] = []
    run: list[tuple[str, bool]] = []  # (letter, may be a word: "a", "y", a pronoun "I")
    repeat = 1
    for word in text.split() + [""]:
        token = word.strip(_EDGE.replace(".", "").replace("-", "")).strip(",;:!?")
        low = token.lower()
        if low in FILLERS[lang]:
            continue
        if low.rstrip(".") in _NATO:  # "... Oscar Romeo." ends on a code word
            found = [(_NATO[low.rstrip(".")], False)]
        elif token and _LETTERS.fullmatch(token):
            # Punctuation after it ("M A R I.") makes a one-letter word a letter.
            wordlike = token in _ONE_LETTER_WORDS[lang] and not word.endswith((",", ".", "!"))
            found = [(c.lower(), wordlike) for c in token if c.isalpha()]
        elif low in _REPEAT:
            repeat = _REPEAT[low]
            continue
        else:
            # A one-letter word at either end of an uppercase spelling is a word, not a letter:
            # "es S M I T H y ..." or "S M I T H I think".
            while word and len(run) > 2 and run[-1][1]:
                run.pop()
            while len(run) > 2 and run[0][1]:
                run.pop(0)
            if len(run) >= 2:
                runs.append("".join(letter for letter, _ in run).upper())
            run, repeat = [], 1
            continue
        run += found[:1] * (repeat - 1) + found
        repeat = 1
    return runs
