"""Tool calls phrased for the person taking a transferred call: what the AI found or did.

The caller hears tool results through ``dialog.phrases.outcomes``; an agent reads them here, in the
third person and with the figures an agent needs (tracking numbers, totals, confirmation
numbers). Each phrase reads only the tool's arguments and result. A tool call in the briefing's
shape is a dict: ``name``, ``args``, ``allowed``, ``reason``, ``result``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dialog.phrases.format import money, spoken_date, spoken_time

__all__ = [
    "IDENTITY_TOOLS",
    "SILENT_TOOLS",
    "finding",
    "needs_human",
    "object_of",
    "request_phrase",
    "system_of",
]

IDENTITY_TOOLS = frozenset({"lookup_customer", "verify_customer", "verify_guest"})
# Tools an agent need not hear about (their effect is told elsewhere, or is the transfer).
SILENT_TOOLS = frozenset({"search_knowledge", "transfer_to_agent", "end_call"})
_SYSTEMS = {"get_order_status": "order system", "request_refund": "order system",
            "create_ticket": "ticketing system", "lookup_customer": "customer account system",
            "verify_customer": "customer account system",
            "search_knowledge": "knowledge base"}
_HOTEL_TOOLS = frozenset({"find_reservation", "verify_guest", "check_in",
                          "request_late_checkout", "get_folio", "cancel_reservation"})


def object_of(entry: Mapping[str, Any]) -> str:
    """What a tool call was about: "order 551234", "reservation 472913" or ""."""
    args, result = entry["args"], entry["result"] if isinstance(entry["result"], dict) else {}
    order = args.get("order_number") or result.get("order_number")
    if order:
        return f"order {order}"
    confirmation = args.get("confirmation") or result.get("confirmation")
    return f"reservation {confirmation}" if confirmation else ""


def system_of(name: str) -> str:
    """The back-end system a tool reaches ("order system")."""
    return _SYSTEMS.get(name) or ("reservation system" if name in _HOTEL_TOOLS
                                  else f"{name.replace('_', ' ')} system")


def finding(entry: Mapping[str, Any], *, it: str = "", detail: bool = False) -> str | None:
    """What the AI found or did, as a verb phrase ("found order 551234 shipped with UPS"),
    from the tool's result only; None for calls the agent need not hear about. ``it``: the
    object already named (said as "it")."""
    name, reason = entry["name"], entry["reason"]
    data: dict[str, Any] = entry["result"] if isinstance(entry["result"], dict) else {}
    what = object_of(entry)
    thing = "it" if what and what == it else what
    if name in SILENT_TOOLS or reason == "needs_human":
        return None
    if reason in ("timeout", "error"):
        return f"could not reach the {system_of(name)}"
    if reason == "injection":
        return "refused a request that looked like an attempt to get around the rules"
    if reason == "not_owner":
        return f"found that {what or 'the record'} is not on the caller's account"
    if reason not in ("ok", "refused_by_business") or name in IDENTITY_TOOLS:
        return None
    if data.get("found") is False:
        return f"could not find {what or 'the record'}"
    phrase = _PHRASES.get(name)
    if phrase is not None:
        return phrase(data, entry["args"], thing or "the order", detail)
    return f"called {name.replace('_', ' ')}" + ("" if reason == "ok" else " (it declined)")


def needs_human(entries: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The last tool call refused because a person must approve it."""
    return next((e for e in reversed(entries) if e["reason"] == "needs_human"), None)


def request_phrase(entry: Mapping[str, Any], article: str = "a") -> str:
    """The thing a person must approve: "a refund of $899 on order 551251"."""
    args = entry["args"]
    if entry["name"] == "request_refund":
        return (f"{article} refund of {money(args.get('amount'))} on order "
                f"{args.get('order_number')}")
    if entry["name"] == "cancel_reservation":
        return f"the cancellation of reservation {args.get('confirmation') or '?'}"
    return f"{entry['name'].replace('_', ' ')}"


def _order_found(d: dict[str, Any], args: dict[str, Any], thing: str, detail: bool) -> str:
    if "orders" in d:
        return f"listed {len(d['orders'])} recent orders"
    status = d.get("status") or "in an unknown state"
    if status == "shipped":
        text = f"found {thing} shipped with {d.get('carrier') or 'the carrier'}"
        if detail and d.get("tracking"):
            text += f", tracking {d['tracking']}"
        if detail and d.get("eta"):
            text += f", due {spoken_date(d['eta'])}"
        return text
    text = f"found {thing} {status}"
    if detail and d.get("total") is not None:
        text += f" (total {money(d['total'])})"
    return text


def _refund_done(d: dict[str, Any], args: dict[str, Any], thing: str, detail: bool) -> str:
    order = d.get("order_number") or args.get("order_number") or "?"
    if d.get("refunded"):
        return f"refunded {money(d.get('amount', args.get('amount')))} on order {order}"
    if d.get("status"):
        return f"could not refund order {order}: it is {d['status']}"
    if "refundable" in d:
        return (f"could not refund {money(args.get('amount'))} on order {order}: only "
                f"{money(d['refundable'])} is left to refund")
    return f"could not refund order {order}"


def _ticket(d: dict[str, Any], args: dict[str, Any], thing: str, detail: bool) -> str:
    if not d.get("ticket"):
        return "could not open a ticket"
    return f"opened ticket {d['ticket']}" if d.get("created", True) else \
        f"found ticket {d['ticket']} already open"


def _reservation(d: dict[str, Any], args: dict[str, Any], thing: str, detail: bool) -> str:
    if d.get("needs_verification"):
        return f"found a reservation arriving {spoken_date(d.get('arrival_date'))}"
    room = str(d.get("room_type") or "room").replace("_", " ")
    return (f"found reservation {d.get('confirmation') or '?'} ({room}, "
            f"{spoken_date(d.get('arrival_date'))} to {spoken_date(d.get('departure_date'))})")


def _check_in(d: dict[str, Any], args: dict[str, Any], thing: str, detail: bool) -> str:
    if d.get("checked_in"):
        return f"checked the guest in to room {d.get('room')}"
    if d.get("arrival_date"):
        return ("could not check the guest in before the arrival date, "
                f"{spoken_date(d['arrival_date'])}")
    return f"could not check the guest in: {d.get('message') or 'no reason given'}"


def _late_checkout(d: dict[str, Any], args: dict[str, Any], thing: str, detail: bool) -> str:
    if d.get("granted"):
        return f"granted a late check-out at {spoken_time(d.get('checkout_time'))}"
    if d.get("latest"):
        return f"could not grant a check-out later than {spoken_time(d['latest'])}"
    return "could not change the check-out"


def _folio(d: dict[str, Any], args: dict[str, Any], thing: str, detail: bool) -> str:
    charges = d.get("charges") or []
    return f"read the bill: {len(charges)} charges, balance {money(d.get('balance', 0))}"


_PHRASES = {"get_order_status": _order_found, "request_refund": _refund_done,
            "create_ticket": _ticket, "find_reservation": _reservation, "check_in": _check_in,
            "request_late_checkout": _late_checkout, "get_folio": _folio}
