"""Slot values read from speech-recognition transcripts, in English, Spanish, French and German.

The embedded dialog engine asks for a confirmation number, a date, a name... and gets back what
Whisper heard: digits, number words or both, hyphens and commas, filler words. Each parser takes
the transcript and its language and returns a typed value, or None when the value is not there;
the engine then asks again or offers the keypad. All functions are pure: no I/O, no model, and
"today" is passed in so that relative dates are reproducible.

Solved problems are left to libraries: number words to ``text2num`` (via
``dialog.embedded.spoken``), calendar expressions to ``dateparser``, phone numbers to
``phonenumbers``. Both of the latter are imported on first use, so importing this package stays
cheap (dateparser takes ~55 ms).

One module per kind of value: ``numbers`` (digits, keypad, phone numbers, money), ``dates``
(dates and times), ``names``, ``answers`` (yes/no, "I don't know", "nothing", inquiries); the
words they look for are in ``lexicon``. The parsers are importable from here.
"""

from dialog.embedded.slots.answers import is_inquiry, parse_yes_no, says_not_known, says_nothing
from dialog.embedded.slots.dates import parse_date, parse_time
from dialog.embedded.slots.names import parse_name
from dialog.embedded.slots.numbers import (
    digit_runs_of,
    parse_amount,
    parse_confirmation,
    parse_digits,
    parse_keypad_digits,
    parse_last_four,
    parse_order_number,
    parse_phone,
    parse_postal_code,
)

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
