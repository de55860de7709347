"""Tool results said aloud by the embedded engine, in English, Spanish, French and German.

The LLM phrases tool results itself; the embedded engine needs these sentences. Each reads only
what the tool returned, so what the caller hears is exactly what the back end said. Messages
meant for a model ("Offer to transfer the caller", JSON-schema errors) are never read out: a
refusal the engine has no sentence for is a plain "I can't do that". Another language than the
four falls back to English. The sentences are the ``outcomes`` group of the phrase files
(``dialog.phrases.say``); dates, times, money and floors come from ``dialog.phrases.format``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from config.languages import supported
from dialog.phrases.format import (
    money,
    on_date,
    room_type,
    spoken_date,
    spoken_digits,
    spoken_floor,
    spoken_time,
)
from dialog.phrases.say import say
from dialog.tools.spec import ToolOutcome

__all__ = ["describe"]

# Tools whose "not found" has a sentence of its own.
_OWN_NOT_FOUND = frozenset({"lookup_customer"})

_STATUS = {  # an order's status, as said in each language
    "es": {"shipped": "enviado", "delivered": "entregado", "processing": "en preparación",
           "returned": "devuelto"},
    "fr": {"shipped": "expédiée", "delivered": "livrée", "processing": "en préparation",
           "returned": "retournée"},
    "de": {"shipped": "verschickt", "delivered": "zugestellt", "processing": "in Vorbereitung",
           "returned": "zurückgeschickt"},
}


def describe(outcome: ToolOutcome, today: date | None = None, language: str = "en") -> str:
    """One or two sentences for the caller about ``outcome`` (dates relative to ``today``), in
    ``language``."""
    data: dict[str, Any] = outcome.result or {}
    if outcome.reason in ("timeout", "error"):
        # A text that could not be sent leaves the check-in it confirms done.
        return say("sms_failed" if outcome.name == "send_confirmation" else "system_down",
                   language)
    if outcome.reason == "not_owner" or (data.get("found") is False
                                         and outcome.name not in _OWN_NOT_FOUND):
        return say("several_match" if data.get("ambiguous") else "not_found", language)
    if outcome.reason == "too_many_attempts":
        return say("too_many_attempts", language)
    phrase = _PHRASES.get(outcome.name)
    if phrase is None or outcome.reason not in ("ok", "refused_by_business"):
        return say("cannot", language)
    return phrase(data, today, language)


def _reservation(d: dict[str, Any], today: date | None, lang: str) -> str:
    if d.get("needs_verification"):
        return say("found_arriving", lang, date=spoken_date(d.get("arrival_date"), today, lang))
    return say("reservation", lang, room=room_type(d.get("room_type"), lang),
               arrival=spoken_date(d.get("arrival_date"), today, lang),
                departure=spoken_date(d.get("departure_date"), today, lang))


def _verified(d: dict[str, Any], today: date | None, lang: str) -> str:
    if not d.get("verified"):
        return say("no_match", lang)
    name = d.get("first_name") or str(d.get("name", "")).split(" ")[0]
    return say("verified", lang, name=f", {name}" if name else "")


def _checked_in(d: dict[str, Any], today: date | None, lang: str) -> str:
    if not d.get("checked_in"):
        if d.get("arrival_date"):
            return say("starts_later", lang, date=on_date(d["arrival_date"], today, lang))
        if "cancelled" in str(d.get("message", "")):
            return say("cancelled_check_in", lang)
        return say("no_room_ready", lang)
    key = "already_checked_in" if d.get("already_checked_in") else "checked_in"
    said = say(key, lang, room=spoken_digits(str(d["room"])),
               floor=spoken_floor(d.get("floor"), lang))
    if d.get("key_code"):
        return f"{said} {say('key_kiosk', lang, code=spoken_digits(str(d['key_code'])))}"
    return f"{said} {say('key_desk', lang)}"


def _arrival_details(d: dict[str, Any], today: date | None, lang: str) -> str:
    said = []
    if d.get("arrival_time_set"):
        said.append(say("arrival_noted", lang, time=spoken_time(d.get("arrival_time"), lang)))
    if d.get("request_added"):
        said.append(say("request_noted", lang))
    return " ".join(said)


def _confirmation_sent(d: dict[str, Any], today: date | None, lang: str) -> str:
    if d.get("sent"):
        return say("sms_sent", lang, digits=spoken_digits(str(d.get("to_ending", ""))))
    return say("sms_failed", lang)


def _late_checkout(d: dict[str, Any], today: date | None, lang: str) -> str:
    if d.get("granted"):
        return say("late_granted", lang, time=spoken_time(d.get("checkout_time"), lang))
    if d.get("latest"):
        return say("late_latest", lang, time=spoken_time(d["latest"], lang))
    return say("late_cancelled", lang)


def _folio(d: dict[str, Any], today: date | None, lang: str) -> str:
    charges = d.get("charges") or []
    if not charges:
        return say("folio_none", lang)
    one, several = say("charges", lang).split("|")
    counted = f"{len(charges)} {one if len(charges) == 1 else several}"
    balance = float(d.get("balance", 0))
    key = "folio_balance" if balance > 0 else "folio_credit" if balance < 0 else "folio_settled"
    return say(key, lang, charges=counted, money=money(balance, lang))


def _lookup(d: dict[str, Any], today: date | None, lang: str) -> str:
    return say("account_found" if d.get("found") else "no_account", lang)


def _order(d: dict[str, Any], today: date | None, lang: str) -> str:
    if "orders" in d:
        return say("orders", lang, count=len(d["orders"]))
    status, number = d.get("status"), spoken_digits(str(d.get("order_number", "")))
    if status == "shipped":
        eta = say("order_eta", lang, date=spoken_date(d["eta"], today, lang)) \
            if d.get("eta") else ""
        return say("order_shipped", lang, number=number, eta=eta,
                   carrier=d.get("carrier") or say("carrier", lang))
    if status in ("delivered", "processing"):
        return say(f"order_{status}", lang, number=number)
    return say("order_status", lang, number=number, status=_status(status, lang))


def _status(status: Any, lang: str) -> str:
    return _STATUS.get(supported(lang), {}).get(str(status), str(status))


def _ticket(d: dict[str, Any], today: date | None, lang: str) -> str:
    ticket = spoken_digits(str(d.get("ticket", "")).removeprefix("T-"))
    return say("ticket_opened" if d.get("created", True) else "ticket_existing", lang,
               ticket=ticket)


def _refund(d: dict[str, Any], today: date | None, lang: str) -> str:
    if d.get("refunded"):
        return say("refunded", lang, money=money(d.get("amount", 0), lang))
    if d.get("status"):  # not delivered or returned yet
        return say("refund_not_yet", lang, status=_status(d["status"], lang))
    if "refundable" in d:
        left = float(d["refundable"])
        return say("refund_most", lang, money=money(left, lang)) if left > 0 \
            else say("refund_full", lang)
    return say("refund_failed", lang)


_PHRASES = {
    "find_reservation": _reservation, "verify_guest": _verified, "verify_customer": _verified,
    "check_in": _checked_in, "assign_room": _checked_in,
    "set_arrival_details": _arrival_details, "send_confirmation": _confirmation_sent,
    "request_late_checkout": _late_checkout, "get_folio": _folio,
    "lookup_customer": _lookup, "get_order_status": _order, "create_ticket": _ticket,
    "request_refund": _refund,
}
