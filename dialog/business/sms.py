"""Text messages (SMS) through Twilio's Messages API, and the check-in confirmation's wording.

``SmsSender.send`` posts one message (To, From, Body) to
``{api_base_url}/2010-04-01/Accounts/{account_sid}/Messages.json`` with basic auth, under a
timeout, and tries once more when the first attempt fails in a way that may pass (no answer,
HTTP 5xx or 429). It never raises: the answer is ``SmsSent`` or ``SmsFailed`` (a code for the
log), and whatever the message confirms stands either way. A sender starting with "MG" is a
messaging service (``MessagingServiceSid``) rather than a number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from loguru import logger

from config import TwilioSettings
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


_RETRYABLE = frozenset({"unavailable", "unreachable"})


class SmsSender:
    """Sends texts from ``sender`` (or the number given per message) through one account."""

    def __init__(self, *, api_base_url: str, account_sid: str, auth_token: str,
                 sender: str = "", timeout_seconds: float = 4.0, retries: int = 1,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.url = (f"{api_base_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}"
                    "/Messages.json")
        self.account_sid = account_sid
        self._token = auth_token
        self.sender = sender
        self.timeout_seconds = timeout_seconds
        self.retries = retries
        self._transport = transport

    @classmethod
    def from_settings(cls, twilio: TwilioSettings, *,
                      transport: httpx.AsyncBaseTransport | None = None) -> SmsSender:
        return cls(api_base_url=twilio.api_base_url, account_sid=twilio.account_sid,
                   auth_token=twilio.auth_token.get_secret_value(), sender=twilio.sms_from,
                   timeout_seconds=twilio.sms_timeout_seconds, transport=transport)

    @property
    def configured(self) -> bool:
        return bool(self.account_sid and self._token)

    @property
    def longest_seconds(self) -> float:
        """How long ``send`` may take at most (every attempt timing out)."""
        return self.timeout_seconds * (1 + self.retries)

    async def send(self, to: str, body: str, *, sender: str = "") -> SmsSent | SmsFailed:
        """Send ``body`` to ``to`` from the configured sender, else ``sender`` (the number the
        caller called)."""
        sender = self.sender or sender
        failure = (SmsFailed("not_configured") if not self.configured
                   else SmsFailed("no_sender") if not sender
                   else SmsFailed("no_recipient") if not to else None)
        if failure is None:
            form = {"To": to, "Body": body,
                    "MessagingServiceSid" if sender.startswith("MG") else "From": sender}
            result = await self._post(form)
            if isinstance(result, SmsSent):
                return result
            failure = result
        logger.warning("confirmation text to number ending {} not sent: {} {}", to[-4:] or "-",
                       failure.code, failure.detail)
        return failure

    async def _post(self, form: dict[str, str]) -> SmsSent | SmsFailed:
        failure = SmsFailed("unreachable")
        async with httpx.AsyncClient(timeout=httpx.Timeout(self.timeout_seconds),
                                     auth=(self.account_sid, self._token),
                                     transport=self._transport) as client:
            for _ in range(1 + self.retries):
                try:
                    response = await client.post(self.url, data=form)
                except httpx.HTTPError as e:  # timeouts and refused connections included
                    failure = SmsFailed("unreachable", type(e).__name__)
                    continue
                if response.status_code in (200, 201):
                    return SmsSent(str(_json(response).get("sid", "")), form["To"])
                message = str(_json(response).get("message", ""))[:200]
                code = "unavailable" if response.status_code == 429 or \
                    response.status_code >= 500 else "rejected"
                failure = SmsFailed(code, f"HTTP {response.status_code} {message}".strip())
                if code not in _RETRYABLE:
                    break
        return failure


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


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
