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

from dialog.phrases.outcomes import spoken_date, spoken_time, supported

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


_CONFIRMATION = {
    "en": "{business}: {name}you're checked in. Room {room}, floor {floor}. {key} Check-out "
          "{departure} at {checkout}. Confirmation {confirmation}.",
    "es": "{business}: {name}su check-in está hecho. Habitación {room}, planta {floor}. {key} "
          "Salida {departure} a {checkout}. Confirmación {confirmation}.",
    "fr": "{business} : {name}votre enregistrement est fait. Chambre {room}, étage {floor}. "
          "{key} Départ {departure} à {checkout}. Confirmation {confirmation}.",
    "de": "{business}: {name}Sie sind eingecheckt. Zimmer {room}, Stock {floor}. {key} "
          "Abreise {departure} um {checkout}. Bestätigung {confirmation}.",
}
_KEY_KIOSK = {
    "en": "Your key: at the lobby kiosk, code {code}.",
    "es": "Su llave: en el quiosco del vestíbulo, código {code}.",
    "fr": "Votre clé : à la borne du hall, code {code}.",
    "de": "Ihr Schlüssel: am Automaten in der Lobby, Code {code}.",
}
_KEY_DESK = {
    "en": "Your key: at the front desk, with a photo ID.",
    "es": "Su llave: en la recepción, con un documento de identidad.",
    "fr": "Votre clé : à la réception, avec une pièce d'identité.",
    "de": "Ihr Schlüssel: an der Rezeption, mit Ausweis.",
}


def confirmation_text(stay: dict[str, Any], language: str, business: str) -> str:
    """The check-in confirmation in ``language`` (English for another one). ``stay``: first
    name, room, floor, key code (None: keys at the desk), departure date, check-out time,
    confirmation."""
    lang = supported(language)
    code = stay.get("key_code")
    key = (_KEY_KIOSK[lang].format(code=code) if code else _KEY_DESK[lang])
    name = f"{stay['first_name']}, " if stay.get("first_name") else ""
    return _CONFIRMATION[lang].format(
        business=business or "Hotel", name=name, room=stay["room"], floor=stay["floor"],
        key=key, departure=spoken_date(stay.get("departure_date"), None, lang),
        checkout=spoken_time(stay.get("checkout_time"), lang),
        confirmation=stay["confirmation"])
