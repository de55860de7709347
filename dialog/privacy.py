"""Private data kept out of what is stored and logged: card digits, postal codes, phone numbers
and e-mail addresses (pure functions).

Tools get the real values in memory during the call; the records (turns, tool audit, events)
and the briefing built from them get ``redact_text`` / ``redact_record``:
- anywhere: e-mail addresses, phone numbers (``phonenumbers``' matcher) and card numbers (13 to
  19 digits that pass the Luhn check);
- after a word that announces one ("ZIP", "código postal", "code postal", "Postleitzahl",
  "last four", "últimos cuatro", "quatre derniers", "letzten vier", "card", ...): the digits
  said after it, as figures or as words;
- in a turn that answers a private question (``PRIVATE_SLOTS``: the support line's ZIP, the
  hotel's ZIP-or-last-four check), every digit and number word the caller said or keyed.
A tool argument or result field named like private data (``postal_code``, ``last4``, ``phone``,
``email``, ``card``...) is redacted whatever its value.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

import phonenumbers

__all__ = ["MASK", "PRIVATE_SLOTS", "is_private_key", "redact_record", "redact_text"]

MASK = "[redacted]"
# The slots whose answers are private (``Reply.expects`` names the one a caller answers).
PRIVATE_SLOTS = frozenset({"postal_code", "verification", "last_four", "card_last4", "phone",
                           "email"})
_PRIVATE_KEY = re.compile(r"(postal|zip|post_?code|plz|card|last_?4|last_?four|cvv|cvc|pin|"
                          r"phone|mobile|email|e_mail|iban)", re.IGNORECASE)

# Number words of en/es/fr/de (and Whisper's spellings), lower case without accents.
_NUMBER_WORDS = frozenset("""
zero oh o one two three four five six seven eight nine ten eleven twelve thirteen fourteen
fifteen sixteen seventeen eighteen nineteen twenty thirty forty fourty fifty sixty seventy
eighty ninety hundred thousand double triple
cero uno una un dos tres cuatro cinco seis siete ocho nueve diez once doce trece catorce quince
dieciseis diecisiete dieciocho diecinueve veinte treinta cuarenta cincuenta sesenta setenta
ochenta noventa cien ciento mil
zero un une deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize
vingt trente quarante cinquante soixante cent mille
null eins ein eine zwei zwo drei vier funf sechs sieben acht neun zehn elf zwolf dreizehn
vierzehn funfzehn sechzehn siebzehn achtzehn neunzehn zwanzig dreissig vierzig funfzig sechzig
siebzig achtzig neunzig hundert tausend
""".split())
# Words between number words that keep a run going ("forty-seven and two", "y", "et", "und").
_JOINERS = frozenset({"and", "y", "et", "und", "-", ","})
# Words announcing private digits after them (lower case, no accents), by their first word.
_CUES = ("zip", "zipcode", "postal", "postcode", "post code", "codigo postal", "code postal",
         "postleitzahl", "plz", "last four", "last 4", "last digits", "ultimos cuatro",
         "ultimos 4", "quatre derniers", "4 derniers", "derniers chiffres", "letzten vier",
         "letzten 4", "card", "tarjeta", "carte", "karte", "kreditkarte", "ending in",
         "terminada en", "termine par", "endet auf", "endend auf")
_CUE_WINDOW = 6  # words after a cue within which its digits start
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_TOKEN = re.compile(r"\S+")
_EDGE = ".,;:!?¿¡()\"'"


def _plain(word: str) -> str:
    word = unicodedata.normalize("NFKD", word.lower().strip(_EDGE))
    return "".join(c for c in word if not unicodedata.combining(c)).replace("ß", "ss")


def _numeric(word: str) -> bool:
    plain = _plain(word)
    return bool(plain) and (any(c.isdigit() for c in plain) or plain in _NUMBER_WORDS or all(
        part in _NUMBER_WORDS for part in plain.split("-") if part))


def _luhn(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _cards(text: str) -> str:
    def mask(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group())
        return "[card]" if _luhn(digits) else match.group()
    return _CARD.sub(mask, text)


def _phones(text: str) -> str:
    out, last = [], 0
    for match in phonenumbers.PhoneNumberMatcher(text, "US", leniency=phonenumbers.Leniency.VALID):
        out += [text[last:match.start], "[phone]"]
        last = match.end
    return "".join([*out, text[last:]])


def _number_runs(words: list[re.Match[str]], start: int = 0,
                 window: int | None = None) -> list[tuple[int, int]]:
    """(first, last) word indexes of the runs of numbers from ``start`` (the first run only,
    starting within ``window`` words, when a window is given)."""
    runs: list[tuple[int, int]] = []
    i = start
    while i < len(words):
        if window is not None and (runs or i - start >= window):
            break
        if _numeric(words[i].group()):
            j = i
            while j + 1 < len(words) and (_numeric(words[j + 1].group()) or (
                    _plain(words[j + 1].group()) in _JOINERS and j + 2 < len(words)
                    and _numeric(words[j + 2].group()))):
                j += 1
            runs.append((i, j))
            i = j + 1
        else:
            i += 1
    return runs


def _cued(words: list[re.Match[str]]) -> list[tuple[int, int]]:
    """The number runs said right after a cue ("my ZIP is 9 4 1 1 0")."""
    plain = [_plain(w.group()) for w in words]
    runs = []
    for i in range(len(words)):
        pair = f"{plain[i]} {plain[i + 1]}" if i + 1 < len(words) else ""
        if plain[i] in _CUES or pair in _CUES:
            runs += _number_runs(words, i + (2 if pair in _CUES else 1), _CUE_WINDOW)
    return runs


def redact_text(text: str, *, private: bool = False) -> str:
    """``text`` with its private data replaced (``private``: every number in it, the answer to
    a private question)."""
    if not text:
        return text
    text = _phones(_cards(_EMAIL.sub("[email]", text)))
    words = list(_TOKEN.finditer(text))
    runs = _number_runs(words) if private else _cued(words)
    for first, last in sorted(set(runs), reverse=True):
        head, tail = words[first].group(), words[last].group()
        lead = head[:len(head) - len(head.lstrip(_EDGE))]
        trail = tail[len(tail.rstrip(_EDGE)):]
        text = f"{text[:words[first].start()]}{lead}{MASK}{trail}{text[words[last].end():]}"
    return text


def is_private_key(key: str) -> bool:
    """A field named like private data (``postal_code``, ``card_last4``, ``phone``...)."""
    return bool(_PRIVATE_KEY.search(key))


def redact_record(value: Any) -> Any:
    """A tool's arguments or result (JSON-like) with its private fields and texts redacted."""
    if isinstance(value, Mapping):
        return {k: MASK if is_private_key(str(k)) and v not in (None, "") else redact_record(v)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_record(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value
