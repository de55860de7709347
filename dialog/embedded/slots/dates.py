"""Calendar dates (through ``dateparser``, imported on first use) and clock times."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from functools import lru_cache
from typing import TYPE_CHECKING

from config.languages import spoken_language
from dialog.embedded.slots.lexicon import (
    AM_MARKERS,
    DATE_GLUE,
    DATE_REWRITES,
    DAY_ARTICLES,
    MINUTE_WORDS,
    NAMED_TIMES,
    PM_MARKERS,
    SHORT_DATE_WORDS,
    TIME_PATTERNS,
)
from dialog.embedded.spoken import numbers_to_digits, prepare

if TYPE_CHECKING:
    from dateparser.date import DateDataParser

__all__ = ["parse_date", "parse_time"]


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
    for pattern, repl in DATE_REWRITES[lang]:
        norm = re.sub(pattern, repl, norm)
    glue = DATE_GLUE[lang]
    tokens: list[str | None] = []
    for raw in norm.split():
        token = raw.strip("\"'()[],;:!?¿¡") if raw[:-1].isdigit() else raw.strip("\"'()[],.;:!?¿¡")
        short = token.isalpha() and len(token) <= 3 and token not in glue | SHORT_DATE_WORDS
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
    content = [w for w in words if w not in DATE_GLUE[lang]]
    day = _DAY.fullmatch(content[0]) if len(content) == 1 else None
    if not day:
        return None
    articles = DAY_ARTICLES[lang] & set(words[: words.index(content[0])])
    return _next_day_of_month(int(day[1]), today) if articles or (day[2] and alone) else None


def _window_date(words: list[str], lang: str, today: date) -> date | None:
    """The day dateparser reads in these words, unless they are only a day of the month."""
    content = [w for w in words if w not in DATE_GLUE[lang]]
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
    return MINUTE_WORDS[word] if word in MINUTE_WORDS else int(word)


def parse_time(text: str, language: str, *, assume_pm_before: int = 0) -> time | None:
    """A clock time: "around 3 pm", "half past four", "15:30", "a las tres de la tarde",
    "vers 16 heures", "gegen 15 Uhr", "halb vier" (3:30).

    An hour said without am/pm or a part of the day is taken as said ("around 3" is 03:00)
    unless it is below ``assume_pm_before``: pass 8 for hotel arrivals to read it as 15:00.
    """
    lang = spoken_language(language)
    norm = text.lower().replace("’", "'")
    for pattern, repl in NAMED_TIMES[lang]:
        norm = re.sub(pattern, repl, norm)
    norm = re.sub(r"(\d)\s*([ap])\.?\s?m\b\.?", r"\1 \2m", numbers_to_digits(norm, lang))
    for pattern in TIME_PATTERNS[lang]:
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
    if re.search(PM_MARKERS[lang], norm) and hour < 12:
        hour += 12
    elif re.search(AM_MARKERS[lang], norm):
        hour = 0 if hour == 12 else hour
    elif 0 < hour < assume_pm_before:
        hour += 12
    if not (0 <= hour <= 24 and 0 <= minute <= 59):
        return None
    return time(hour % 24, minute)
