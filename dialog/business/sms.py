"""Text messages (SMS): what the hotel's tools need of a sender, and the check-in
confirmation's wording.

``SmsSender`` is the dialog's view of the one Twilio REST client
(``telephony.twilio.rest.TwilioRest``, which the runtime injects: dialog/ does not import
telephony/). ``send_sms`` never raises: the answer is ``SmsSent`` or ``SmsFailed`` (a code for the
log), and whatever the message confirms stands either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from config.languages import supported
from dialog.phrases.format import spoken_date, spoken_time
from dialog.phrases.say import say

__all__ = ["SmsFailed", "SmsSender", "SmsSent", "confirmation_text"]


@dataclass(frozen=True)
class SmsSent:
    sid: str  # Twilio's SM... id of the accepted message
    to: str


@dataclass(frozen=True)
class SmsFailed:
    # not_configured | no_sender | no_recipient | rejected (HTTP 4xx) | unavailable (5xx/429)
    # | unreachable (no answer in time, connection refused)
    code: str
    detail: str = ""


class SmsSender(Protocol):
    """Sends one text through the business's account."""

    @property
    def sms_longest_seconds(self) -> float:
        """How long ``send_sms`` may take at most (every attempt timing out)."""
        ...

    async def send_sms(self, to: str, body: str, *, sender: str = "") -> SmsSent | SmsFailed:
        """Send ``body`` to ``to`` from the configured sender, else ``sender`` (the number the
        caller called)."""
        ...


def confirmation_text(stay: dict[str, Any], language: str, business: str) -> str:
    """The check-in confirmation in ``language`` (English for another one). ``stay``: first
    name, room, floor, key code (None: keys at the desk), departure date, check-out time,
    confirmation."""
    lang = supported(language)
    code = stay.get("key_code")
    key = say("sms_key_kiosk", lang, code=code) if code else say("sms_key_desk", lang)
    name = f"{stay['first_name']}, " if stay.get("first_name") else ""
    return say(
        "sms_confirmation", lang, business=business or "Hotel", name=name, room=stay["room"],
        floor=stay["floor"], key=key, departure=spoken_date(stay.get("departure_date"), None, lang),
        checkout=spoken_time(stay.get("checkout_time"), lang),
        confirmation=stay["confirmation"])
