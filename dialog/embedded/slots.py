"""Slot values read from speech-recognition transcripts, in English, Spanish, French and German.

The embedded dialog engine asks for a confirmation number, a date, a name... and gets back what
Whisper heard: digits, number words or both, hyphens and commas, filler words. Each parser takes
the transcript and its language and returns a typed value, or None when the value is not there;
the engine then asks again or offers the keypad. All functions are pure: no I/O, no model, and
"today" is passed in so that relative dates are reproducible.

Solved problems are left to libraries: number words to ``text2num`` (via
``dialog.embedded.spoken``),
calendar expressions to ``dateparser``, phone numbers to ``phonenumbers``. Both of the latter are
imported on first use, so importing this module stays cheap (dateparser takes ~55 ms).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING

from config.languages import spoken_language
from dialog.embedded import spoken
from dialog.embedded.spoken import digit_runs, numbers_to_digits, prepare, spelled_runs

if TYPE_CHECKING:
    from dateparser.date import DateDataParser

__all__ = [
    "digit_runs_of",
    "parse_digits",
    "parse_confirmation",
    "parse_order_number",
    "parse_postal_code",
    "parse_last_four",
    "parse_keypad_digits",
    "parse_date",
    "is_inquiry",
    "parse_time",
    "parse_phone",
    "parse_name",
    "parse_amount",
    "parse_yes_no",
    "says_not_known",
    "says_nothing",
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


# --- dates ----------------------------------------------------------------------------------------

# A day of the month alone ("the 21st", "el 21", "le 21", "am 21."), which dateparser resolves
# into the past or into a month. An article is required unless the ordinal is all that was said
# ("21st"): "just a second" is not the 2nd.
_DAY = re.compile(r"(\d{1,2})(st|nd|rd|th|er|e|ème|\.)?")


@lru_cache(maxsize=16)
def _date_parser(lang: str, today: date) -> DateDataParser:
    from dateparser.date import DateDataParser  # slow import (~55 ms): first use only

    return DateDataParser(
        languages=[lang],
        settings={
            "RELATIVE_BASE": datetime.combine(today, time()),
            "PREFER_DATES_FROM": "future",
            "TIMEZONE": "UTC",
            # No Unix timestamps ("1714550400") or other digit-only formats.
            "PARSERS": ["relative-time", "absolute-time"],
            # Lets "3 pm" be told apart from a day: its period is "time", not "day".
            "RETURN_TIME_AS_PERIOD": True,
        },
    )


def _next_day_of_month(day: int, today: date) -> date | None:
    """The first date on or after ``today`` falling on that day of a month."""
    year, month = today.year, today.month
    for _ in range(13):
        if day <= 31:
            try:
                found = date(year, month, day)
            except ValueError:  # the 31st in a 30-day month: look at the next month
                found = None
            if found and found >= today:
                return found
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def parse_date(text: str, language: str, today: date) -> date | None:
    """The calendar date a caller names, relative to ``today``.

    Tries the word windows of the transcript, longest first, then left to right, and keeps the
    first that dateparser reads as a day. A date without a year is the next one on or after today.
    """
    lang = spoken_language(language)
    norm = " ".join(prepare(numbers_to_digits(text, lang), lang))
    for pattern, repl in spoken.DATE_REWRITES[lang]:
        norm = re.sub(pattern, repl, norm)
    glue = spoken.DATE_GLUE[lang]
    tokens: list[str | None] = []
    for raw in norm.split():
        token = raw.strip("\"'()[],;:!?¿¡") if raw[:-1].isdigit() else raw.strip("\"'()[],.;:!?¿¡")
        short = token.isalpha() and len(token) <= 3 and token not in glue | spoken.SHORT_DATE_WORDS
        tokens.append(None if short or not token else token)
    windows = [
        tokens[start : start + size]
        for size in range(min(5, len(tokens)), 0, -1)
        for start in range(len(tokens) - size + 1)
    ]
    windows = [w for w in windows if None not in w and not all(t in glue for t in w)]
    # Whole dates first ("el 1 de junio"), then a day of the month alone ("el 21").
    for window in windows:
        found = _window_date([t for t in window if t], lang, today)
        if found:
            return found
    for window in windows:
        found = _day_of_month([t for t in window if t], lang, today, alone=window == tokens)
        if found:
            return found
    return None


def _day_of_month(words: list[str], lang: str, today: date, *, alone: bool) -> date | None:
    """A day of the month: "the 21st", "el 21", "am 21.", or an ordinal said ``alone`` ("21st")."""
    content = [w for w in words if w not in spoken.DATE_GLUE[lang]]
    day = _DAY.fullmatch(content[0]) if len(content) == 1 else None
    if not day:
        return None
    articles = spoken.DAY_ARTICLES[lang] & set(words[: words.index(content[0])])
    return _next_day_of_month(int(day[1]), today) if articles or (day[2] and alone) else None


def _window_date(words: list[str], lang: str, today: date) -> date | None:
    """The day dateparser reads in these words, unless they are only a day of the month."""
    content = [w for w in words if w not in spoken.DATE_GLUE[lang]]
    if len(content) == 1 and _DAY.fullmatch(content[0]):
        return None
    if all(w.isdigit() for w in content):  # "4 7" of a confirmation number is not April 7th
        return None
    data = _date_parser(lang, today).get_date_data(" ".join(words))
    if data.date_obj is None or data.period != "day":
        return None
    found = data.date_obj.date()
    # dateparser's "future" skips today itself: "May 1st" said on May 1st is today.
    if not any(re.fullmatch(r"\d{4}", w) for w in words) and found.year == today.year + 1:
        if (found.month, found.day) == (today.month, today.day):
            return today
    return found


# --- times ----------------------------------------------------------------------------------------


def _minutes(word: str) -> int:
    return spoken.MINUTE_WORDS[word] if word in spoken.MINUTE_WORDS else int(word)


def parse_time(text: str, language: str, *, assume_pm_before: int = 0) -> time | None:
    """A clock time: "around 3 pm", "half past four", "15:30", "a las tres de la tarde",
    "vers 16 heures", "gegen 15 Uhr", "halb vier" (3:30).

    An hour said without am/pm or a part of the day is taken as said ("around 3" is 03:00)
    unless it is below ``assume_pm_before``: pass 8 for hotel arrivals to read it as 15:00.
    """
    lang = spoken_language(language)
    norm = text.lower().replace("’", "'")
    for pattern, repl in spoken.NAMED_TIMES[lang]:
        norm = re.sub(pattern, repl, norm)
    norm = re.sub(r"(\d)\s*([ap])\.?\s?m\b\.?", r"\1 \2m", numbers_to_digits(norm, lang))
    for pattern in spoken.TIME_PATTERNS[lang]:
        match = re.search(pattern, norm)
        if match:
            break
    else:
        return None
    parts = match.groupdict()
    hour = int(parts["h"])
    add, sub = parts.get("add") or parts.get("add2"), parts.get("sub")
    minute = _minutes(add) if add else 0
    if sub:  # "quarter to 5", "menos cuarto", "halb 4": back from the hour
        hour, minute = (hour - 1) % 24, 60 - _minutes(sub)
    if re.search(spoken.PM_MARKERS[lang], norm) and hour < 12:
        hour += 12
    elif re.search(spoken.AM_MARKERS[lang], norm):
        hour = 0 if hour == 12 else hour
    elif 0 < hour < assume_pm_before:
        hour += 12
    if not (0 <= hour <= 24 and 0 <= minute <= 59):
        return None
    return time(hour % 24, minute)


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


# --- names ----------------------------------------------------------------------------------------


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
    cues = sorted(spoken.NAME_CUES[lang], key=len, reverse=True)
    pattern = r"(?<!\w)(" + "|".join(re.escape(c) for c in cues) + r")(?!\w)"
    for cue in reversed(list(re.finditer(pattern, text, re.IGNORECASE))):
        words = _name_words(text[cue.end() :], lang)
        if words and (cue[1].lower() not in spoken.WEAK_NAME_CUES or words[0][0].isupper()):
            return _title(words)
    if not alone:
        return None
    words = _name_words(text, lang)
    bare = [w for w in prepare(text, lang) if w.strip(".,!?") not in spoken.NAME_STOPS]
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
        if word.lower() in spoken.FILLERS[lang]:
            continue
        if not _NAME_WORD.fullmatch(word) or word.lower() in spoken.NAME_STOPS:
            break
        words.append(word)
        said = [w for w in words if w not in _PARTICLES]
        if len(said) == 3 or raw.endswith((",", ".", "!", "?", ";")):
            break
    while words and words[-1] in _PARTICLES:  # "under Garcia de, um..." ends on a name
        words.pop()
    return words if not any(w.lower() in spoken.NOT_NAMES for w in words) else []


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
    units, cents = spoken.CURRENCY_WORDS, spoken.CENT_WORDS[lang]
    for i in nums:
        value = _decimal(tokens[i], lang)
        after = tokens[i + 1].lower() if i + 1 < len(tokens) else ""
        if after in cents:
            return value / 100
        if after in units or (i > 0 and tokens[i - 1] in {"$", "€", "£"}):
            # "39 dollars (and) 99 (cents)": the second number is the cents.
            rest = tokens[i + 2 : i + 4] if after in units else tokens[i + 1 : i + 3]
            rest = rest[1:] if rest and rest[0].lower() in spoken.AND_WORDS else rest
            if rest and re.fullmatch(r"\d{1,2}", rest[0]) and "." not in tokens[i]:
                return value + Decimal(rest[0]) / 100
            return value
    if len(nums) == 1:
        return _decimal(tokens[nums[0]], lang)
    if len(nums) == 2 and nums[1] == nums[0] + 1 and re.fullmatch(r"\d{2}", tokens[nums[1]]):
        if tokens[nums[0]].isdigit():
            return Decimal(tokens[nums[0]]) + Decimal(tokens[nums[1]]) / 100
    return None


# --- yes / no -------------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _answer_pattern(lang: str) -> re.Pattern[str]:
    phrases = sorted(spoken.ANSWERS[lang], key=len, reverse=True)
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
    return spoken.ANSWERS[lang][match[1]] if match else None


def says_not_known(text: str, language: str) -> bool:
    """The caller cannot give what was asked: "I don't have it", "no lo sé", "je ne sais pas",
    "keine Ahnung"."""
    return _says(text, language, spoken.NOT_KNOWN)


def says_nothing(text: str, language: str) -> bool:
    """The caller has nothing to add: "nothing", "nada", "rien de spécial", "das ist alles"."""
    return _says(text, language, spoken.NOTHING)


def is_inquiry(text: str, language: str) -> bool:
    """Not a request to note down: a question ("what's on the folio?"), or words about records
    or someone else (a reservation, a bill, an account, another guest, a number of five digits
    or more). "Could we have extra pillows?" is a request."""
    lang = spoken_language(language)
    if _says(text, lang, spoken.RECORDS) or parse_digits(text, lang, min_len=5, max_len=64):
        return True
    words = " ".join(w.strip('.,!?;:¿¡"') for w in prepare(text, lang)).split()
    opens = " ".join(words[:3])

    def starts(table: dict[str, list[str]]) -> bool:
        return any(re.match(rf"{re.escape(p)}(?![\w'])", opens) for p in table[lang])

    if starts(spoken.REQUEST_MODALS):
        return False
    return starts(spoken.QUESTION_OPENERS) or "?" in text


def _says(text: str, language: str, table: dict[str, list[str]]) -> bool:
    lang = spoken_language(language)
    norm = " ".join(w.strip('.,!?;:¿¡"') for w in prepare(text, lang))
    return any(re.search(rf"(?<![\w']){re.escape(p)}(?![\w'])", norm) for p in table[lang])
