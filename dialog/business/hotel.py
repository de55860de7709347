"""Harbor View Hotel tools: find and verify a reservation, check in (assign a room and its
key), arrival time and requests, the confirmation text, late check-out, folio.

The candidate is a reservation (its confirmation number); verifying it makes its guest the
verified customer. Tools that act on a reservation take an optional ``confirmation``
(default: the candidate) and act only when its guest is the verified caller.

The specs (names, descriptions, argument schemas, tiers) are here; the handlers are in
``dialog.business.hotel_desk``.

How guests get their key is the hotel's configuration (``key_pickup``): "kiosk", a code issued
at check-in opens the self-service kiosk in the lobby; "front_desk", the key waits at the desk.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import Engine

from dialog.business.hotel_desk import STANDARD_CHECKOUT, HotelDesk, KeyPickup
from dialog.business.sms import SmsSender
from dialog.business.store import in_thread, object_schema
from dialog.tools.spec import Tier, ToolSpec

__all__ = ["STANDARD_CHECKOUT", "KeyPickup", "hotel_tools"]

_CONFIRMATION = {"type": "string", "pattern": r"^\d{6}$",
                 "description": "Six-digit confirmation number; default: the one found."}


def hotel_tools(engine: Engine, *, today: Callable[[], date] = date.today,
                key_pickup: KeyPickup = "kiosk", sms: SmsSender | None = None,
                business_name: str = "Harbor View Hotel") -> list[ToolSpec]:
    """The hotel's tool specs over ``engine`` (tables created and seeded by the caller);
    confirmation texts go through ``sms`` (None: they cannot be sent)."""
    h = HotelDesk(engine, today, key_pickup=key_pickup, sms=sms, business_name=business_name)
    sms_seconds = 2.0 + (sms.sms_longest_seconds if sms is not None else 0.0)
    owner = in_thread(h.owner)
    hotel = frozenset({"hotel"})
    obj = object_schema
    return [
        ToolSpec("find_reservation", "Find a reservation by confirmation number, or by the "
                 "guest's last name and arrival date. Before verification only the arrival "
                 "date and the first initial are returned.",
                 obj({"confirmation": _CONFIRMATION, "last_name": {"type": "string",
                      "minLength": 1, "maxLength": 64}, "arrival_date": {
                      "type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}}),
                 Tier.READ, in_thread(h.find), businesses=hotel),
        ToolSpec("verify_guest", "Verify the caller as the guest of the reservation found, "
                 "with the billing postal code or the last four digits of the card on file.",
                 obj({"postal_code": {"type": "string", "maxLength": 16},
                      "card_last4": {"type": "string", "pattern": r"^\d{4}$"}}),
                 Tier.READ, in_thread(h.verify), verifies=True, businesses=hotel),
        ToolSpec("assign_room", "Check the verified guest in on the arrival day: assign a "
                 "clean room of the booked type and issue its key; the result says the room, "
                 "the floor and how the guest gets the key. Calling it again returns the same "
                 "room (never a second check-in).", obj({"confirmation": _CONFIRMATION}),
                 Tier.WRITE, in_thread(h.assign_room), needs_verified=True, businesses=hotel,
                 owner_of=owner),
        ToolSpec("check_in", "The same as assign_room (kept for older routing rules).",
                 obj({"confirmation": _CONFIRMATION}),
                 Tier.WRITE, in_thread(h.assign_room), needs_verified=True, businesses=hotel,
                 owner_of=owner),
        ToolSpec("set_arrival_details", "Record the verified guest's expected arrival time "
                 "(HH:MM, 24-hour) and/or special requests (added to those on file).",
                 obj({"arrival_time": {"type": "string", "pattern":
                      r"^([01]\d|2[0-3]):[0-5]\d$"},
                      "requests": {"type": "string", "minLength": 1, "maxLength": 300},
                      "confirmation": _CONFIRMATION}),
                 Tier.WRITE, in_thread(h.arrival_details), needs_verified=True,
                 businesses=hotel, owner_of=owner),
        ToolSpec("send_confirmation", "After check-in, text the guest a confirmation (room, key, "
                 "check-out) in the caller's language, to the number they call from (else the "
                 "one on file). If it fails, tell the guest; the check-in stands.",
                 obj({"confirmation": _CONFIRMATION}),
                 Tier.WRITE, h.send_confirmation, needs_verified=True, businesses=hotel,
                 owner_of=owner, timeout_seconds=sms_seconds),
        ToolSpec("request_late_checkout", "Request a later check-out time (HH:MM, 24-hour) "
                 "for the verified guest.", obj({"time": {"type": "string", "pattern":
                 r"^([01]\d|2[0-3]):[0-5]\d$"}, "confirmation": _CONFIRMATION}, ["time"]),
                 Tier.WRITE, in_thread(h.late_checkout), needs_verified=True,
                 businesses=hotel, owner_of=owner),
        ToolSpec("get_folio", "List the charges and the balance of the verified guest's "
                 "reservation.", obj({"confirmation": _CONFIRMATION}), Tier.READ,
                 in_thread(h.folio), needs_verified=True, businesses=hotel, owner_of=owner),
        ToolSpec("cancel_reservation", "Cancel a reservation. A person does this: the call is "
                 "transferred with the request.",
                 obj({"confirmation": _CONFIRMATION, "reason": {"type": "string",
                      "maxLength": 300}}, ["confirmation"]),
                 Tier.RESTRICTED, in_thread(h.cancel), needs_verified=True, businesses=hotel,
                 owner_of=owner, request_template="Cancel reservation {confirmation} "
                 "(reason: {reason})"),
    ]
