"""Numbers said digit by digit (confirmation and order numbers, postal codes, card digits),
keypad entries, phone numbers and sums of money.
"""

from __future__ import annotations

import re
from decimal import Decimal

from config.languages import spoken_language
from dialog.embedded.slots.lexicon import AND_WORDS, CENT_WORDS, CURRENCY_WORDS
from dialog.embedded.spoken import digit_runs, numbers_to_digits

__all__ = [
    "digit_runs_of",
    "parse_digits",
    "parse_confirmation",
    "parse_order_number",
    "parse_postal_code",
    "parse_last_four",
    "parse_keypad_digits",
    "parse_phone",
    "parse_amount",
]


# --- numbers said digit by digit ----------------------------------------------------------------


def parse_digits(text: str, language: str, *, min_len: int, max_len: int) -> str | None:
    """The digits of a number said digit by digit or in groups, if its length is in range.

    Only an unbroken run of digits and number words counts ("four seven, two nine, one three",
    "forty-seven twenty-nine thirteen", "472-913"); of several runs the last one that fits wins,
    so a correction ("472, sorry, 473913") or a stray "the one with..." does not get mixed in.
    """
    runs = digit_runs(text, spoken_language(language))
    fits = [run.digits for run in runs if min_len <= len(run.digits) <= max_len]
    return fits[-1] if fits else None


def digit_runs_of(text: str, language: str) -> list[str]:
    """Every run of digits said in ``text``, in order ("five five one" -> ["551"])."""
    return [run.digits for run in digit_runs(text, spoken_language(language))]


def parse_confirmation(text: str, language: str) -> str | None:
    """A six-digit hotel confirmation number."""
    return parse_digits(text, language, min_len=6, max_len=6)


def parse_order_number(text: str, language: str) -> str | None:
    """A six-digit support order number."""
    return parse_digits(text, language, min_len=6, max_len=6)


def parse_postal_code(text: str, language: str) -> str | None:
    """A five-digit postal code (US ZIP; also the length in Spain, France and Germany)."""
    return parse_digits(text, language, min_len=5, max_len=5)


def parse_last_four(text: str, language: str) -> str | None:
    """The last four digits of a card."""
    return parse_digits(text, language, min_len=4, max_len=4)


def parse_keypad_digits(dtmf: str) -> str:
    """Digits typed on the keypad, without the "#" or "*" that ended (or started) the entry."""
    return "".join(c for c in dtmf if c.isdigit())


# --- phone numbers --------------------------------------------------------------------------------


def parse_phone(text: str, language: str, region: str = "US") -> str | None:
    """A phone number in E.164 ("+15551234567"), said digit by digit or in groups, or written.

    A number without "+"/"plus" is read as dialled in ``region``. It must be *possible* (right
    length for its country), not *valid*: fictional 555 numbers and new ranges still pass.
    """
    import phonenumbers  # ~15 ms import: first use only

    for run in reversed(digit_runs(text, spoken_language(language))):
        if not 7 <= len(run.digits) <= 15:
            continue
        try:
            number = phonenumbers.parse(("+" if run.plus else "") + run.digits, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


# --- amounts --------------------------------------------------------------------------------------


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def _decimal(token: str, lang: str) -> Decimal:
    """The value of "1,200.50" (en) or "1.200,50" (es/fr/de); "39,99" is 39.99 but in English."""
    if lang == "en":
        return Decimal(token.replace(",", ""))
    token = re.sub(r"\.(?=\d{3}(?!\d))", "", token)  # "1.200" thousands
    return Decimal(token.replace(",", "."))


def parse_amount(text: str, language: str) -> Decimal | None:
    """A sum of money: "$40", "forty dollars", "39.99", "thirty nine dollars and ninety nine
    cents", "cuarenta euros", "quarante euros cinquante", "vierzig Euro", "fifty cents".

    A number next to a currency word or sign wins; otherwise the only number said. Prices said
    as two groups ("thirty nine ninety nine", "two fifty") read as units and cents.
    """
    lang = spoken_language(language)
    norm = numbers_to_digits(text.replace("’", "'"), lang)
    norm = re.sub(r"([$€£])", r" \1 ", norm)
    tokens = [t.strip("\"'()[],;:!?¿¡") for t in norm.split()]
    tokens = [t[:-1] if t.endswith(".") else t for t in tokens if t]
    nums = [i for i, t in enumerate(tokens) if _NUMBER.fullmatch(t)]
    units, cents = CURRENCY_WORDS, CENT_WORDS[lang]
    for i in nums:
        value = _decimal(tokens[i], lang)
        after = tokens[i + 1].lower() if i + 1 < len(tokens) else ""
        if after in cents:
            return value / 100
        if after in units or (i > 0 and tokens[i - 1] in {"$", "€", "£"}):
            # "39 dollars (and) 99 (cents)": the second number is the cents.
            rest = tokens[i + 2 : i + 4] if after in units else tokens[i + 1 : i + 3]
            rest = rest[1:] if rest and rest[0].lower() in AND_WORDS else rest
            if rest and re.fullmatch(r"\d{1,2}", rest[0]) and "." not in tokens[i]:
                return value + Decimal(rest[0]) / 100
            return value
    if len(nums) == 1:
        return _decimal(tokens[nums[0]], lang)
    if len(nums) == 2 and nums[1] == nums[0] + 1 and re.fullmatch(r"\d{2}", tokens[nums[1]]):
        if tokens[nums[0]].isdigit():
            return Decimal(tokens[nums[0]]) + Decimal(tokens[nums[1]]) / 100
    return None
