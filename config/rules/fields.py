"""The field types of a rules file: names, languages, keypad digits, hours, phone numbers.

Each pattern has a plain description in ``PATTERNS`` so that a mismatch reads as something an
admin can act on ("'1x' is not 1 to 4 keypad keys (0-9, * or #)").
"""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

__all__ = [
    "DAYS",
    "PATTERNS",
    "ROUTE_ACTIONS",
    "Agent",
    "Day",
    "Digits",
    "Hours",
    "Language",
    "Languages",
    "Name",
    "Names",
    "PhoneNumber",
    "Phrase",
    "RouteAction",
    "Score",
    "Sentiment",
    "Text",
    "Timezone",
    "Window",
    "digits_text",
    "parse_window",
]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# What a route does: let the AI agent answer; run one tool; play a keypad menu; hand the caller
# to a queue; take a message; book a callback; end the call.
RouteAction = Literal["answer", "tool", "menu", "transfer", "take_message", "callback", "hangup"]
ROUTE_ACTIONS: tuple[RouteAction, ...] = (
    "answer", "tool", "menu", "transfer", "take_message", "callback", "hangup",
)

_WINDOW = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)$")


def _to_list(value: Any) -> Any:
    """A single name where a list is expected: ``intent: human`` -> ``[human]``."""
    return [value] if isinstance(value, str) else value


def digits_text(value: Any) -> Any:
    """Keypad digits as text: YAML reads an unquoted 1 as the integer 1."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (an IANA name such as "
                         "'America/New_York')") from None
    return value


def parse_window(text: str) -> tuple[time, time] | None:
    """"08:00-20:00" -> (08:00, 20:00); "closed" -> None; "24:00" ends at midnight (time.max)."""
    if text == "closed":
        return None
    match = _WINDOW.match(text)
    if match is None:
        raise ValueError(f"hours {text!r}: expected 'HH:MM-HH:MM' (e.g. '08:00-20:00') or "
                         "'closed'")
    start = time(int(match[1]), int(match[2]))
    end = time.max if match[3] == "24" else time(int(match[3]), int(match[4]))
    if match[3] == "24" and match[4] != "00":
        raise ValueError(f"hours {text!r}: 24:00 is the latest end")
    if end <= start:
        raise ValueError(f"hours {text!r}: the end must be after the start (same day)")
    return start, end


def _check_window(text: str) -> str:
    parse_window(text)
    return text


_NAME = r"^[a-z][a-z0-9_]{0,63}$"
_LANGUAGE = r"^[a-z]{2}$"
_DIGITS = r"^[0-9*#]{1,4}$"
_PHONE = r"^\+[1-9]\d{6,14}$"
_AGENT = r"^(\+[1-9]\d{6,14}|sips?:[^\s@]+@[^\s]+)$"
# What each pattern means, for error messages an admin can act on.
PATTERNS = {
    r"^https?://": "an address starting with http:// or https://",
    _NAME: "a lower-case name (letters, digits and _, starting with a letter)",
    _LANGUAGE: "a two-letter language code such as 'en'",
    _DIGITS: "1 to 4 keypad keys (0-9, * or #)",
    _PHONE: "an E.164 phone number such as '+14155550123'",
    _AGENT: "an E.164 phone number ('+14155550123') or a SIP address ('sip:desk@pbx.example')",
}

Name = Annotated[str, StringConstraints(pattern=_NAME)]
Language = Annotated[str, StringConstraints(pattern=_LANGUAGE)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
Phrase = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Digits = Annotated[str, BeforeValidator(digits_text), StringConstraints(pattern=_DIGITS)]
Timezone = Annotated[str, AfterValidator(_check_timezone)]
Window = Annotated[str, AfterValidator(_check_window)]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
# Opening hours per weekday in local time; a day not listed is closed; an empty map: always open.
Hours = dict[Day, Window]
Agent = Annotated[str, StringConstraints(pattern=_AGENT)]
PhoneNumber = Annotated[str, StringConstraints(pattern=_PHONE)]
Score = Annotated[float, Field(ge=0, le=1)]
Sentiment = Annotated[float, Field(ge=-1, le=1)]
Names = Annotated[list[Name], BeforeValidator(_to_list)]
Languages = Annotated[list[Language], BeforeValidator(_to_list)]
