"""Tool results said aloud by the embedded engine (English; other languages fall back to it).

The LLM phrases tool results itself; the embedded engine needs these sentences. Each reads only
what the tool returned, so what the caller hears is exactly what the back end said.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from dialog.tools import ToolOutcome

__all__ = ["describe", "spoken_date", "spoken_digits"]


def spoken_digits(digits: str) -> str:
    return " ".join(digits)


def spoken_date(iso: str | None) -> str:
    if not iso:
        return "an unknown date"
    day = date.fromisoformat(iso[:10])
    return f"{day.strftime('%A, %B')} {day.day}"


def _money(amount: Any) -> str:
    value = float(amount)
    return f"${value:,.0f}" if value == int(value) else f"${value:,.2f}"


def describe(outcome: ToolOutcome) -> str:
    """One or two sentences for the caller about ``outcome``."""
    data: dict[str, Any] = outcome.result or {}
    if outcome.reason in ("timeout", "error"):
        return "I'm sorry, our system isn't answering right now."
    if outcome.reason == "not_owner" or data.get("found") is False:
        if data.get("ambiguous"):
            return "Several reservations match."
        return "I couldn't find that."
    if outcome.reason == "too_many_attempts":
        return "I can't verify you by phone after several attempts."
    phrase = _PHRASES.get(outcome.name)
    if phrase is None or outcome.reason not in ("ok", "refused_by_business"):
        return str(data.get("message", "I'm sorry, I can't do that."))
    return phrase(data)


def _reservation(d: dict[str, Any]) -> str:
    if d.get("needs_verification"):
        return f"I found a reservation arriving {spoken_date(d.get('arrival_date'))}."
    return (f"Your reservation is for a {d.get('room_type', 'room')}, arriving "
            f"{spoken_date(d.get('arrival_date'))} and leaving "
            f"{spoken_date(d.get('departure_date'))}.")


def _verified(d: dict[str, Any]) -> str:
    if not d.get("verified"):
        return "That doesn't match what I have."
    name = d.get("first_name") or str(d.get("name", "")).split(" ")[0]
    return f"Thank you{', ' + name if name else ''}, you're verified."


def _checked_in(d: dict[str, Any]) -> str:
    if not d.get("checked_in"):
        if d.get("arrival_date"):
            return (f"Your reservation starts on {spoken_date(d['arrival_date'])}, so I can't "
                    "check you in today.")
        return str(d.get("message", "I couldn't check you in."))
    room = d["room"]
    already = "You're already checked in. " if d.get("already_checked_in") else \
        "You're checked in. "
    return (f"{already}Your room is {spoken_digits(room)}, on floor {d.get('floor')}. "
            "Your key will be ready at the express key desk in the lobby; show your ID there.")


def _late_checkout(d: dict[str, Any]) -> str:
    if d.get("granted"):
        return f"Done: your check-out is now at {d.get('checkout_time')}."
    return str(d.get("message", "I couldn't arrange a late check-out."))


def _folio(d: dict[str, Any]) -> str:
    charges = d.get("charges") or []
    if not charges:
        return "There are no charges on your room yet."
    return (f"You have {len(charges)} charge{'s' if len(charges) != 1 else ''} "
            f"for a balance of {_money(d.get('balance', 0))}.")


def _lookup(d: dict[str, Any]) -> str:
    if not d.get("found"):
        return "I couldn't find an account for the number you're calling from."
    return "I found your account."


def _order(d: dict[str, Any]) -> str:
    if "orders" in d:
        return f"You have {len(d['orders'])} recent orders."
    status, number = d.get("status"), spoken_digits(str(d.get("order_number", "")))
    if status == "shipped":
        eta = f", and should arrive {spoken_date(d['eta'])}" if d.get("eta") else ""
        return f"Order {number} has shipped with {d.get('carrier') or 'the carrier'}{eta}."
    if status == "delivered":
        return f"Order {number} was delivered."
    if status == "processing":
        return f"Order {number} is being prepared and hasn't shipped yet."
    return f"Order {number} is {status}."


def _ticket(d: dict[str, Any]) -> str:
    ticket = str(d.get("ticket", "")).removeprefix("T-")
    opened = "I've opened" if d.get("created", True) else "You already have"
    return f"{opened} ticket number {spoken_digits(ticket)}; our team will follow up."


def _refund(d: dict[str, Any]) -> str:
    if d.get("refunded"):
        return (f"I've refunded {_money(d.get('amount', 0))}. It goes back to the original "
                "payment method in 5 to 7 business days.")
    return str(d.get("message", "I couldn't refund that order."))


_PHRASES = {
    "find_reservation": _reservation, "verify_guest": _verified, "verify_customer": _verified,
    "check_in": _checked_in, "request_late_checkout": _late_checkout, "get_folio": _folio,
    "lookup_customer": _lookup, "get_order_status": _order, "create_ticket": _ticket,
    "request_refund": _refund,
}
