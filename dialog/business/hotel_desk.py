"""What the Harbor View Hotel's tools do: the handlers behind the specs in
``dialog.business.hotel`` (find and verify a reservation, assign a room and issue its key,
arrival details, the confirmation text, late check-out, the folio), and the check-out times.
A little over 300 lines because the handlers are one class: each shares the reservation lookup
and the ownership check (``_mine``) that keeps one guest's stay from another caller.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import Connection, Engine, func, insert, select, update

from dialog.business.sms import SmsSender, SmsSent, confirmation_text
from dialog.business.store import (
    dollars,
    hotel_folio_charges,
    hotel_guests,
    hotel_reservations,
    hotel_room_keys,
    hotel_rooms,
    normalise_postal,
)
from dialog.embedded.slots import is_inquiry
from dialog.tools.governance import NOT_FOUND
from dialog.tools.spec import InvalidArguments, ToolContext, ToolResult

__all__ = [
    "LATE_CHECKOUT_ALL", "LATE_CHECKOUT_MEMBERS", "STANDARD_CHECKOUT", "HotelDesk", "KeyPickup",
]

KeyPickup = Literal["kiosk", "front_desk"]

STANDARD_CHECKOUT = "11:00"
LATE_CHECKOUT_ALL = "13:00"  # any guest may leave this late
LATE_CHECKOUT_MEMBERS = "14:00"  # gold and platinum members
_MEMBERS = ("gold", "platinum")
_R = hotel_reservations


def _not_found() -> ToolResult:
    return ToolResult(dict(NOT_FOUND), ok=False)


class HotelDesk:
    """The handlers behind the hotel's tools, over one database engine."""

    def __init__(self, engine: Engine, today: Callable[[], date], *, key_pickup: KeyPickup,
                 sms: SmsSender | None, business_name: str) -> None:
        self.engine = engine
        self.today = today
        self.key_pickup = key_pickup
        self.sms = sms
        self.business_name = business_name

    def _about(self, row: Any) -> dict[str, Any]:
        """The reservation's details for its verified guest, with whether it arrives today."""
        return {**_details(row), "arrives_today": row["arrival"] == self.today()}

    # --- shared -----------------------------------------------------------------------------

    def _reservation(self, conn: Connection, ctx: ToolContext, args: dict[str, Any]):
        confirmation = args.get("confirmation") or ctx.candidate_id
        if not confirmation:
            return None
        query = (select(_R, hotel_guests).join(hotel_guests, hotel_guests.c.id == _R.c.guest_id)
                 .where(_R.c.confirmation == confirmation))
        return conn.execute(query).mappings().first()

    def owner(self, ctx: ToolContext, args: dict[str, Any]) -> str | None:
        with self.engine.connect() as conn:
            row = self._reservation(conn, ctx, args)
        return None if row is None else row["guest_id"]

    def _mine(self, conn: Connection, ctx: ToolContext, args: dict[str, Any]):
        """The reservation, or the ToolResult refusing it (not found / someone else's)."""
        row = self._reservation(conn, ctx, args)
        if row is None:
            return None, _not_found()
        if row["guest_id"] != ctx.customer_id:  # governance checked; checked again here
            return None, ToolResult(dict(NOT_FOUND), ok=False, refusal="not_owner")
        return row, None

    # --- handlers (run in a worker thread) -------------------------------------------------

    def find(self, ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
        with self.engine.connect() as conn:
            if args.get("confirmation"):
                row = self._reservation(conn, ctx, {"confirmation": args["confirmation"]})
                rows = [] if row is None else [row]
            elif args.get("last_name") and args.get("arrival_date"):
                try:
                    arrival = date.fromisoformat(args["arrival_date"])
                except ValueError as e:
                    raise InvalidArguments("arrival_date must be YYYY-MM-DD") from e
                query = (select(_R, hotel_guests)
                         .join(hotel_guests, hotel_guests.c.id == _R.c.guest_id)
                         .where(func.lower(hotel_guests.c.last_name)
                                == args["last_name"].strip().lower(),
                                _R.c.arrival == arrival))
                rows = list(conn.execute(query).mappings())
            else:
                raise InvalidArguments(
                    "give the confirmation number, or the last name and the arrival date")
        if not rows:
            return _not_found()
        if len(rows) > 1:
            return ToolResult({"found": False, "ambiguous": True, "message":
                               "Several reservations match. Ask for the confirmation number."},
                              ok=False)
        row = rows[0]
        if row["guest_id"] == ctx.customer_id:
            return ToolResult(self._about(row), candidate=row["confirmation"])
        data: dict[str, Any] = {
            "found": True, "arrival_date": row["arrival"].isoformat(),
            "guest_initial": row["first_name"][:1] + ".", "needs_verification": True,
            "verify_with": ["postal_code", "card_last4"]}
        if args.get("confirmation"):
            data["confirmation"] = row["confirmation"]
        # A verified guest asking about another reservation keeps their own as the candidate.
        return ToolResult(data, candidate=None if ctx.customer_id else row["confirmation"])

    def verify(self, ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
        given = {k: str(args[k]) for k in ("postal_code", "card_last4") if args.get(k)}
        if not given:
            raise InvalidArguments("give the postal code or the card's last four digits")
        if not ctx.candidate_id:
            return ToolResult({"verified": False, "message": "Find the reservation first."},
                              ok=False)
        with self.engine.connect() as conn:
            row = self._reservation(conn, ctx, {"confirmation": ctx.candidate_id})
        if row is None:
            return _not_found()
        matches = all(
            normalise_postal(v) == normalise_postal(row["postal_code"]) if k == "postal_code"
            else v.strip() == row["card_last4"] for k, v in given.items())
        if not matches:
            return ToolResult({"verified": False, "message": "Those details do not match."},
                              ok=False, verification_failed=True)
        return ToolResult({"verified": True, "first_name": row["first_name"],
                           "last_name": row["last_name"], **self._about(row)},
                          verified_customer=row["guest_id"])

    def assign_room(self, ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
        """Check the guest in: a clean room of the booked type, and its key. Idempotent."""
        with self.engine.begin() as conn:
            row, refusal = self._mine(conn, ctx, args)
            if refusal is not None:
                return refusal
            if row["status"] == "checked_in":  # idempotent: the same room and key again
                room = row["room_number"]
                return ToolResult(self._checked_in(conn, room, row, already=True))
            if row["status"] != "booked":
                return ToolResult({"checked_in": False, "message": "This reservation was "
                                   "cancelled."}, ok=False)
            if row["arrival"] != self.today():
                return ToolResult({"checked_in": False, "arrival_date": row["arrival"]
                                   .isoformat(), "message": "Check-in opens on the arrival "
                                   "day."}, ok=False)
            free = conn.execute(select(hotel_rooms.c.number).where(
                hotel_rooms.c.room_type == row["room_type"], hotel_rooms.c.status == "clean")
                .order_by(hotel_rooms.c.floor.desc(), hotel_rooms.c.number)).scalars().all()
            for number in free:
                taken = conn.execute(update(hotel_rooms).where(
                    hotel_rooms.c.number == number, hotel_rooms.c.status == "clean")
                    .values(status="occupied")).rowcount
                if taken != 1:
                    continue  # another check-in took it a moment ago
                done = conn.execute(update(_R).where(
                    _R.c.confirmation == row["confirmation"], _R.c.status == "booked")
                    .values(status="checked_in", room_number=number)).rowcount
                if done != 1:
                    raise RuntimeError("reservation changed during check-in")
                return ToolResult(self._checked_in(conn, number, row, already=False))
        return ToolResult({"checked_in": False, "message": "No room of that type is ready yet. "
                           "Offer to hold the luggage and call when one is."}, ok=False)

    def _checked_in(self, conn: Connection, room: str, row: Any, *,
                    already: bool) -> dict[str, Any]:
        data = _checked_in(room, row, already=already)
        data["key_pickup"] = self.key_pickup
        data["room_spoken"] = " ".join(room)  # read digit by digit
        if self.key_pickup == "kiosk":
            data["key_code"] = _key_code(conn, row["confirmation"], room)
            data["key_code_spoken"] = " ".join(data["key_code"])
            data["key_instructions"] = ("At the self-service kiosk in the lobby, the guest "
                                        "enters the key code to get the room key.")
        else:
            data["key_instructions"] = "The key is at the front desk; the guest shows a photo ID."
        return data

    def arrival_details(self, ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
        wanted = args.get("arrival_time")
        request = " ".join(str(args.get("requests") or "").split())
        if not wanted and not request:
            raise InvalidArguments("give the arrival time, the requests, or both")
        if request and is_inquiry(request, ctx.language):
            raise InvalidArguments("requests are what the guest wants arranged for the stay, "
                                   "not a question or anything about another booking or bill")
        with self.engine.begin() as conn:
            row, refusal = self._mine(conn, ctx, args)
            if refusal is not None:
                return refusal
            if row["status"] not in ("booked", "checked_in"):
                return ToolResult({"updated": False, "message": "This reservation was "
                                   "cancelled."}, ok=False)
            requests = row["requests"] or ""
            if request and request.lower() not in requests.lower():
                requests = f"{requests}; {request}" if requests else request
            conn.execute(update(_R).where(_R.c.confirmation == row["confirmation"])
                         .values(arrival_time=wanted or row["arrival_time"],
                                 requests=requests[:1000]))
        return ToolResult({"updated": True, "arrival_time_set": bool(wanted),
                           "arrival_time": wanted or row["arrival_time"],
                           "request_added": bool(request), "requests": requests[:1000]})

    def _stay(self, ctx: ToolContext, args: dict[str, Any]):
        """The checked-in stay a confirmation text describes, or the ToolResult refusing it."""
        with self.engine.begin() as conn:
            row, refusal = self._mine(conn, ctx, args)
            if refusal is not None:
                return None, refusal
            if row["status"] != "checked_in":
                return None, ToolResult({"sent": False, "error": "not_checked_in", "message":
                                         "Check the guest in (assign_room) first."}, ok=False)
            stay = self._checked_in(conn, row["room_number"], row, already=True)
        return {**stay, "first_name": row["first_name"], "phone": row["phone"],
                "confirmation": row["confirmation"]}, None

    async def send_confirmation(self, ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
        stay, refusal = await asyncio.to_thread(self._stay, ctx, args)
        if refusal is not None:
            return refusal
        to = ctx.caller_number if _E164.fullmatch(ctx.caller_number or "") else stay["phone"]
        body = confirmation_text(stay, ctx.language, self.business_name)
        if self.sms is None:
            sent = None
        else:
            # The number the caller called, when the call's context carries it.
            sent = await self.sms.send_sms(to or "", body,
                                       sender=ctx.called_number)
        if isinstance(sent, SmsSent):
            return ToolResult({"sent": True, "to_ending": to[-4:], "language": ctx.language})
        return ToolResult({"sent": False, "error": getattr(sent, "code", "not_configured"),
                           "message": "The text could not be sent. Tell the guest; the "
                           "check-in stands."}, ok=False)

    def late_checkout(self, ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
        wanted = args["time"]
        with self.engine.begin() as conn:
            row, refusal = self._mine(conn, ctx, args)
            if refusal is not None:
                return refusal
            if row["status"] not in ("booked", "checked_in"):
                return ToolResult({"granted": False, "message": "This reservation was "
                                   "cancelled."}, ok=False)
            latest = LATE_CHECKOUT_MEMBERS if row["loyalty_tier"] in _MEMBERS \
                else LATE_CHECKOUT_ALL
            if wanted > latest:  # "HH:MM" strings compare in time order
                return ToolResult({"granted": False, "latest": latest, "message": "The latest "
                                   f"check-out we can offer is {latest}."}, ok=False)
            granted = max(wanted, STANDARD_CHECKOUT)
            conn.execute(update(_R).where(_R.c.confirmation == row["confirmation"])
                         .values(late_checkout=granted))
        return ToolResult({"granted": True, "checkout_time": granted,
                           "departure_date": row["departure"].isoformat()})

    def folio(self, ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
        with self.engine.connect() as conn:
            row, refusal = self._mine(conn, ctx, args)
            if refusal is not None:
                return refusal
            charges = conn.execute(select(hotel_folio_charges).where(
                hotel_folio_charges.c.confirmation == row["confirmation"])
                .order_by(hotel_folio_charges.c.date, hotel_folio_charges.c.id)).mappings()
            lines = [{"date": c["date"].isoformat(), "description": c["description"],
                      "amount": dollars(c["amount_cents"])} for c in charges]
        return ToolResult({"confirmation": row["confirmation"], "currency": "USD",
                           "charges": lines,
                           "balance": round(sum(line["amount"] for line in lines), 2)})

    def cancel(self, ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
        # Restricted: governance hands every cancellation to a person; never cancels here.
        return ToolResult({}, ok=False, refusal="needs_human")


def _details(row: Any) -> dict[str, Any]:
    return {"found": True, "confirmation": row["confirmation"],
            "guest": f"{row['first_name']} {row['last_name']}",
            "arrival_date": row["arrival"].isoformat(),
            "departure_date": row["departure"].isoformat(), "room_type": row["room_type"],
            "adults": row["adults"], "children": row["children"],
            "nightly_rate": dollars(row["rate_cents"]), "status": row["status"],
            "room": row["room_number"], "late_checkout": row["late_checkout"],
            "requests": row["requests"], "arrival_time": row["arrival_time"]}


def _checked_in(room: str, row: Any, *, already: bool) -> dict[str, Any]:
    return {"checked_in": True, "already_checked_in": already, "room": room,
            "floor": int(room[:-2]), "departure_date": row["departure"].isoformat(),
            "checkout_time": row["late_checkout"] or STANDARD_CHECKOUT}


_E164 = re.compile(r"\+\d{8,15}")


def _key_code(conn: Connection, confirmation: str, room: str) -> str:
    """The reservation's kiosk code for ``room``: issued on first use, the same afterwards."""
    k = hotel_room_keys.c
    code = conn.execute(select(k.code).where(k.confirmation == confirmation,
                                             k.room_number == room)).scalar()
    if code is None:
        code = f"{secrets.randbelow(10**6):06d}"
        conn.execute(hotel_room_keys.delete().where(k.confirmation == confirmation))
        conn.execute(insert(hotel_room_keys).values(confirmation=confirmation, room_number=room,
                                                    code=code, issued_at=datetime.now()))
    return str(code)
