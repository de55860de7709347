"""Tool results said aloud by the embedded engine (English; other languages fall back to it).

The LLM phrases tool results itself; the embedded engine needs these sentences. Each reads only
what the tool returned, so what the caller hears is exactly what the back end said. Messages
meant for a model ("Offer to transfer the caller", JSON-schema errors) are never read out: a
refusal the engine has no sentence for is a plain "I can't do that".
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from dialog.tools import ToolOutcome

__all__ = [
    "ANYTHING_ELSE",
    "CONNECTING",
    "describe",
    "money",
    "spoken_date",
    "spoken_digits",
    "spoken_time",
]

# Ends every finished task and the reply to thanks; a "no" to it ends the call.
ANYTHING_ELSE = "Is there anything else I can help you with?"
# Said before a transfer that is not the caller's request (so no "Of course").
CONNECTING = "Let me connect you with a colleague. Please hold."
_CANNOT = "I'm sorry, I can't do that by phone."
# Tools whose "not found" has a sentence of its own.
_OWN_NOT_FOUND = frozenset({"lookup_customer"})
_ROOM_TYPES = {"king": "king room", "double_queen": "room with two queen beds",
               "suite": "suite"}


def spoken_digits(digits: str) -> str:
    """"301" -> "3 0 1": read digit by digit, as callers read confirmation and room numbers."""
    return " ".join(digits)


def spoken_date(iso: str | None, today: date | None = None) -> str:
    """"today" / "tomorrow" relative to ``today`` when given, else "Monday, November 23"."""
    if not iso:
        return "an unknown date"
    day = date.fromisoformat(iso[:10])
    if today is not None and day == today:
        return "today"
    if today is not None and day == today + timedelta(days=1):
        return "tomorrow"
    return f"{day.strftime('%A, %B')} {day.day}"


def spoken_time(hhmm: str | None) -> str:
    """"13:00" -> "1 PM", "11:30" -> "11:30 AM", "12:00" -> "noon" (24-hour text is read badly)."""
    if not hhmm:
        return "an unknown time"
    hour, minute = (int(part) for part in hhmm.split(":")[:2])
    if (hour, minute) == (12, 0):
        return "noon"
    suffix = "PM" if hour >= 12 else "AM"
    shown = hour % 12 or 12
    return f"{shown}{f':{minute:02d}' if minute else ''} {suffix}"


def money(amount: Any) -> str:
    """"$899" / "$1,250.50": the sign is dropped (a sentence says "credit" or "balance");
    something that is not a number is shown as it is."""
    try:
        value = abs(float(amount))
    except (TypeError, ValueError):
        return str(amount)
    return f"${value:,.0f}" if value.is_integer() else f"${value:,.2f}"


def _on(iso: str | None, today: date | None) -> str:
    """"today" / "tomorrow" / "on Monday, November 23"."""
    when = spoken_date(iso, today)
    return when if when in ("today", "tomorrow") else f"on {when}"


def describe(outcome: ToolOutcome, today: date | None = None) -> str:
    """One or two sentences for the caller about ``outcome`` (dates relative to ``today``)."""
    data: dict[str, Any] = outcome.result or {}
    if outcome.reason in ("timeout", "error"):
        return "I'm sorry, our system isn't answering right now."
    if outcome.reason == "not_owner" or (data.get("found") is False
                                         and outcome.name not in _OWN_NOT_FOUND):
        if data.get("ambiguous"):
            return "Several reservations match."
        return "I couldn't find that."
    if outcome.reason == "too_many_attempts":
        return "I can't verify you by phone after several attempts."
    phrase = _PHRASES.get(outcome.name)
    if phrase is None or outcome.reason not in ("ok", "refused_by_business"):
        return _CANNOT
    return phrase(data, today)


def _reservation(d: dict[str, Any], today: date | None) -> str:
    if d.get("needs_verification"):
        return f"I found a reservation arriving {spoken_date(d.get('arrival_date'), today)}."
    room = _ROOM_TYPES.get(str(d.get("room_type")), "room")
    return (f"Your reservation is for a {room}, arriving "
            f"{spoken_date(d.get('arrival_date'), today)} and leaving "
            f"{spoken_date(d.get('departure_date'), today)}.")


def _verified(d: dict[str, Any], today: date | None) -> str:
    if not d.get("verified"):
        return "That doesn't match what I have."
    name = d.get("first_name") or str(d.get("name", "")).split(" ")[0]
    return f"Thank you{', ' + name if name else ''}, you're verified."


def _checked_in(d: dict[str, Any], today: date | None) -> str:
    if not d.get("checked_in"):
        if d.get("arrival_date"):
            return (f"Your reservation starts {_on(d['arrival_date'], today)}, so I can't "
                    "check you in today.")
        if "cancelled" in str(d.get("message", "")):
            return "That reservation was cancelled, so I can't check you in."
        return ("No room of your type is ready yet. We can hold your luggage at the front desk "
                "and call you as soon as one is.")
    room = str(d["room"])
    already = "You're already checked in" if d.get("already_checked_in") else \
        "You're checked in"
    return (f"{already}: room {spoken_digits(room)}, on floor {d.get('floor')}. Your key is "
            "ready at the express key desk in the lobby; please show your ID there.")


def _late_checkout(d: dict[str, Any], today: date | None) -> str:
    if d.get("granted"):
        return f"Done: your check-out is now at {spoken_time(d.get('checkout_time'))}."
    if d.get("latest"):
        return f"The latest check-out I can offer is {spoken_time(d['latest'])}."
    return "That reservation was cancelled, so I can't change its check-out."


def _folio(d: dict[str, Any], today: date | None) -> str:
    charges = d.get("charges") or []
    if not charges:
        return "There are no charges on your room yet."
    balance = float(d.get("balance", 0))
    owed = (f"a balance of {money(balance)}" if balance > 0 else
            f"a credit of {money(balance)}" if balance < 0 else "nothing left to pay")
    return f"You have {len(charges)} charge{'s' if len(charges) != 1 else ''}, with {owed}."


def _lookup(d: dict[str, Any], today: date | None) -> str:
    if not d.get("found"):
        return "I couldn't find an account for the number you're calling from."
    return "I found your account."


def _order(d: dict[str, Any], today: date | None) -> str:
    if "orders" in d:
        return f"You have {len(d['orders'])} recent orders."
    status, number = d.get("status"), spoken_digits(str(d.get("order_number", "")))
    if status == "shipped":
        eta = f", and should arrive {spoken_date(d['eta'], today)}" if d.get("eta") else ""
        return f"Order {number} has shipped with {d.get('carrier') or 'the carrier'}{eta}."
    if status == "delivered":
        return f"Order {number} was delivered."
    if status == "processing":
        return f"Order {number} is being prepared and hasn't shipped yet."
    return f"Order {number} is {status}."


def _ticket(d: dict[str, Any], today: date | None) -> str:
    ticket = str(d.get("ticket", "")).removeprefix("T-")
    opened = "I've opened" if d.get("created", True) else "You already have"
    return f"{opened} ticket number {spoken_digits(ticket)}; our team will follow up."


def _refund(d: dict[str, Any], today: date | None) -> str:
    if d.get("refunded"):
        return (f"I've refunded {money(d.get('amount', 0))}. It goes back to the original "
                "payment method in 5 to 7 business days.")
    if d.get("status"):  # not delivered or returned yet
        return f"That order is {d['status']}, so it can't be refunded yet."
    if "refundable" in d:
        left = float(d["refundable"])
        return (f"The most I can refund on that order is {money(left)}." if left > 0
                else "That order has already been refunded in full.")
    return "I couldn't refund that order."


_PHRASES = {
    "find_reservation": _reservation, "verify_guest": _verified, "verify_customer": _verified,
    "check_in": _checked_in, "request_late_checkout": _late_checkout, "get_folio": _folio,
    "lookup_customer": _lookup, "get_order_status": _order, "create_ticket": _ticket,
    "request_refund": _refund,
}
