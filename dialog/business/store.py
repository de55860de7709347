"""The two sample businesses' tables (SQLAlchemy Core) and small helpers their tools share.

The tables live in the call-records database (one file), so they carry a ``hotel_`` or
``support_`` prefix (declared on the one ``config.database.metadata``). Money is stored in
cents (exact; SQLite has no decimal type). Every function here is synchronous: tools run
them in ``asyncio.to_thread``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
)

from config.database import metadata

__all__ = [
    "TABLES",
    "dollars",
    "hotel_folio_charges",
    "hotel_guests",
    "hotel_reservations",
    "hotel_room_keys",
    "hotel_rooms",
    "in_thread",
    "metadata",
    "normalise_phone",
    "normalise_postal",
    "object_schema",
    "support_customers",
    "support_orders",
    "support_refunds",
    "support_tickets",
]

A = TypeVar("A")
B = TypeVar("B")
R = TypeVar("R")


# --- Harbor View Hotel -------------------------------------------------------------------

hotel_guests = Table(
    "hotel_guests", metadata,
    Column("id", String(16), primary_key=True),
    Column("first_name", String(64), nullable=False),
    Column("last_name", String(64), nullable=False),
    Column("phone", String(20), index=True),  # E.164
    Column("email", String(128)),
    Column("postal_code", String(16), nullable=False),
    Column("card_last4", String(4), nullable=False),
    Column("loyalty_tier", String(16), nullable=False, default="none"),  # none/silver/gold/...
)

hotel_rooms = Table(
    "hotel_rooms", metadata,
    Column("number", String(8), primary_key=True),
    Column("room_type", String(32), nullable=False),  # king / double_queen / suite
    Column("floor", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # clean / dirty / occupied
)

hotel_reservations = Table(
    "hotel_reservations", metadata,
    Column("confirmation", String(6), primary_key=True),  # six digits
    Column("guest_id", String(16), ForeignKey("hotel_guests.id"), nullable=False, index=True),
    Column("arrival", Date, nullable=False, index=True),
    Column("departure", Date, nullable=False),
    Column("room_type", String(32), nullable=False),
    Column("adults", Integer, nullable=False, default=1),
    Column("children", Integer, nullable=False, default=0),
    Column("rate_cents", Integer, nullable=False),  # per night
    Column("status", String(16), nullable=False),  # booked / checked_in / cancelled
    Column("room_number", String(8), ForeignKey("hotel_rooms.number")),
    Column("late_checkout", String(5)),  # "HH:MM" granted, or NULL
    Column("requests", Text, nullable=False, default=""),
    Column("arrival_time", String(5)),  # expected "HH:MM"
)

hotel_folio_charges = Table(
    "hotel_folio_charges", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("confirmation", String(6), ForeignKey("hotel_reservations.confirmation"),
           nullable=False, index=True),
    Column("date", Date, nullable=False),
    Column("description", String(128), nullable=False),
    Column("amount_cents", Integer, nullable=False),
)

# The code that opens the lobby key kiosk for a checked-in reservation (issued once, at
# check-in, and said again on a second call).
hotel_room_keys = Table(
    "hotel_room_keys", metadata,
    Column("confirmation", String(6), ForeignKey("hotel_reservations.confirmation"),
           primary_key=True),
    Column("room_number", String(8), ForeignKey("hotel_rooms.number"), nullable=False),
    Column("code", String(8), nullable=False),
    Column("issued_at", DateTime, nullable=False),
)

# --- Northwind Electronics support line ------------------------------------------------------

support_customers = Table(
    "support_customers", metadata,
    Column("id", String(16), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("phone", String(20), index=True),  # E.164
    Column("email", String(128)),
    Column("postal_code", String(16), nullable=False),
    Column("tier", String(16), nullable=False, default="regular"),  # regular / vip
)

support_orders = Table(
    "support_orders", metadata,
    Column("order_number", String(6), primary_key=True),  # six digits
    Column("customer_id", String(16), ForeignKey("support_customers.id"), nullable=False,
           index=True),
    Column("placed_at", DateTime, nullable=False),
    Column("status", String(16), nullable=False),  # processing/shipped/delivered/returned
    Column("carrier", String(32)),
    Column("tracking", String(64)),
    Column("eta", Date),
    Column("total_cents", Integer, nullable=False),
    Column("items", JSON, nullable=False),  # [{"sku", "name", "qty", "price_cents"}]
)

support_tickets = Table(
    "support_tickets", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", String(16), ForeignKey("support_customers.id"), nullable=False,
           index=True),
    Column("order_number", String(6), ForeignKey("support_orders.order_number")),
    Column("subject", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("priority", String(16), nullable=False),  # low / normal / high
    Column("status", String(16), nullable=False),  # open / pending / closed
    Column("created_at", DateTime, nullable=False),
    Column("call_sid", String(64)),
)

support_refunds = Table(
    "support_refunds", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_number", String(6), ForeignKey("support_orders.order_number"),
           nullable=False, index=True),
    Column("amount_cents", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("status", String(16), nullable=False),  # requested / approved / needs_review
    Column("created_at", DateTime, nullable=False),
    Column("call_sid", String(64)),
)
TABLES = (hotel_guests, hotel_rooms, hotel_reservations, hotel_folio_charges, hotel_room_keys,
          support_customers, support_orders, support_tickets, support_refunds)




def dollars(cents: int) -> float:
    return round(cents / 100, 2)


def normalise_phone(number: str) -> str:
    """E.164-ish: digits with a leading +; a 10-digit number is taken as North American."""
    digits = re.sub(r"\D", "", number or "")
    if len(digits) == 10:
        digits = "1" + digits
    return f"+{digits}" if digits else ""


def normalise_postal(code: str) -> str:
    """Upper case without spaces or dashes; a ZIP+4 compares on its five digits."""
    code = re.sub(r"[\s-]", "", (code or "").upper())
    return code[:5] if re.fullmatch(r"\d{9}", code) else code


def object_schema(properties: dict[str, Any],
                  required: list[str] | None = None) -> dict[str, Any]:
    """A tool's JSON schema: these properties and no others (the model cannot add any)."""
    return {"type": "object", "properties": properties, "required": required or [],
            "additionalProperties": False}


def in_thread(fn: Callable[[A, B], R]) -> Callable[[A, B], Awaitable[R]]:
    """An async handler running the synchronous database work ``fn`` in a worker thread."""

    async def run(ctx: A, args: B) -> R:
        return await asyncio.to_thread(fn, ctx, args)

    run.__name__ = getattr(fn, "__name__", "handler")
    return run
