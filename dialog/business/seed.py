"""Realistic sample data for the two businesses, with dates relative to an injected ``today``.

Seed identities (what a test or a demo caller says to be recognised and verified):

========  =====================  ===============  ========  ======  =============================
business  who                    phone            postal    card    records
========  =====================  ===============  ========  ======  =============================
hotel     Margaret Chen (gold)   +16175550142     02134     4242    472913 arrives today, king
hotel     David Okafor           +13125550187     60614     1881    318506 arrives today, king
hotel     Emily Chen             +16175550199     02139     8812    357201 arrives today, king
hotel     James Whitaker         +14155550119     94117     7723    205561 arrives today, 2 queens
hotel     Carlos Mendoza         +13055550134     33131     2458    619384 arrives today, 2 queens
hotel     Sofia Rossi (plat.)    +12125550163     10014     5310    590127 checked in, room 402
hotel     Hannah Becker          +13035550156     80206     9917    204718 cancelled
hotel     Aiko Tanaka / Lucas M. / Olivia Brooks                    arrive tomorrow
support   Alex Morgan            +15551234567     94110             551234 shipped ($129.99),
                                                                    551240 delivered ($34.50),
                                                                    551251 delivered ($899.00)
support   Priya Shah (vip)       +15557654321     10027             662310 delivered ($249.00),
                                                                    662311 processing
========  =====================  ===============  ========  ======  =============================

Two guests named Chen arrive today, so a search by last name and date alone is ambiguous.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, func, insert, select

from config.database import create_tables
from dialog.business.store import (
    TABLES,
    hotel_folio_charges,
    hotel_guests,
    hotel_reservations,
    hotel_rooms,
    support_customers,
    support_orders,
    support_refunds,
    support_tickets,
)

__all__ = ["create_and_seed"]

_GUESTS = [  # id, first, last, phone, email, postal, card last 4, loyalty
    ("G1001", "Margaret", "Chen", "+16175550142", "mchen@example.com", "02134", "4242", "gold"),
    ("G1002", "David", "Okafor", "+13125550187", "d.okafor@example.com", "60614", "1881", "none"),
    ("G1003", "Sofia", "Rossi", "+12125550163", "sofia.rossi@example.com", "10014", "5310",
     "platinum"),
    ("G1004", "James", "Whitaker", "+14155550119", "jwhitaker@example.com", "94117", "7723",
     "silver"),
    ("G1005", "Aiko", "Tanaka", "+12065550178", "aiko.t@example.com", "98103", "3096", "none"),
    ("G1006", "Lucas", "Moreau", "+14385550101", "lucas.moreau@example.com", "H2T 1S6", "6604",
     "none"),
    ("G1007", "Hannah", "Becker", "+13035550156", "hbecker@example.com", "80206", "9917", "gold"),
    ("G1008", "Carlos", "Mendoza", "+13055550134", "cmendoza@example.com", "33131", "2458",
     "none"),
    ("G1009", "Emily", "Chen", "+16175550199", "emily.chen@example.com", "02139", "8812", "none"),
    ("G1010", "Robert", "Nguyen", "+17135550170", "rnguyen@example.com", "77006", "4017",
     "silver"),
    ("G1011", "Olivia", "Brooks", "+16465550112", "obrooks@example.com", "11215", "5599", "none"),
    ("G1012", "Samuel", "Adeyemi", "+14045550181", "sadeyemi@example.com", "30308", "1234",
     "gold"),
]

_ROOMS = [  # number, type, floor, status this morning
    ("201", "king", 2, "clean"), ("203", "king", 2, "clean"), ("205", "king", 2, "dirty"),
    ("301", "king", 3, "clean"), ("303", "king", 3, "clean"), ("305", "king", 3, "occupied"),
    ("501", "king", 5, "dirty"), ("503", "king", 5, "occupied"),
    ("202", "double_queen", 2, "dirty"), ("204", "double_queen", 2, "clean"),
    ("206", "double_queen", 2, "occupied"), ("302", "double_queen", 3, "clean"),
    ("304", "double_queen", 3, "dirty"), ("306", "double_queen", 3, "occupied"),
    ("401", "suite", 4, "clean"), ("402", "suite", 4, "occupied"), ("403", "suite", 4, "dirty"),
]

# confirmation, guest, arrival offset, nights, type, adults, children, rate $, status, room,
# requests, expected arrival time
_RESERVATIONS = [
    ("472913", "G1001", 0, 2, "king", 2, 0, 219, "booked", None,
     "High floor, away from the elevator", "15:30"),
    ("318506", "G1002", 0, 3, "king", 1, 0, 199, "booked", None, "", "18:00"),
    ("357201", "G1009", 0, 1, "king", 1, 0, 209, "booked", None, "Feather-free pillows", "20:00"),
    ("205561", "G1004", 0, 4, "double_queen", 2, 2, 249, "booked", None, "Crib for a toddler",
     "14:00"),
    ("619384", "G1008", 0, 2, "double_queen", 2, 0, 239, "booked", None, "", "21:30"),
    ("590127", "G1003", -1, 2, "suite", 2, 0, 389, "checked_in", "402",
     "Sparkling water in the room", "16:00"),
    ("733842", "G1005", 1, 2, "king", 1, 0, 199, "booked", None, "Quiet room", "23:00"),
    ("841275", "G1006", 1, 5, "suite", 2, 1, 409, "booked", None, "Rollaway bed", "12:00"),
    ("466019", "G1011", 1, 1, "double_queen", 3, 0, 229, "booked", None, "", "17:00"),
    ("204718", "G1007", 5, 3, "king", 2, 0, 219, "cancelled", None, "", None),
    ("928463", "G1010", 2, 2, "king", 1, 0, 199, "booked", None, "Late arrival", "23:30"),
    ("782650", "G1012", 7, 3, "king", 2, 0, 229, "booked", None, "Anniversary: champagne",
     "15:00"),
]

_FOLIO = [  # confirmation, day offset, description, amount $
    ("590127", -1, "Room charge, suite", 389.00), ("590127", -1, "Room tax", 58.35),
    ("590127", -1, "Harbor Grill dinner", 46.50), ("590127", -1, "Valet parking", 35.00),
    ("590127", 0, "In-room breakfast", 28.00),
    ("472913", -10, "Advance deposit", -219.00),
    ("841275", -20, "Advance deposit", -409.00),
]

_CUSTOMERS = [  # id, name, phone, email, postal, tier
    ("C1001", "Alex Morgan", "+15551234567", "alex.morgan@example.com", "94110", "regular"),
    ("C1002", "Priya Shah", "+15557654321", "priya.shah@example.com", "10027", "vip"),
    ("C1003", "Daniel Kim", "+12135550148", "dkim@example.com", "90012", "regular"),
    ("C1004", "Fatima Al-Sayed", "+17185550163", "fatima.as@example.com", "11201", "regular"),
    ("C1005", "Tom Becker", "+15035550127", "tbecker@example.com", "97205", "vip"),
    ("C1006", "Grace Liu", "+14085550190", "grace.liu@example.com", "95014", "regular"),
    ("C1007", "Marco Bianchi", "+13125550115", "marco.b@example.com", "60610", "regular"),
    ("C1008", "Nora Lindqvist", "+16125550174", "nora.l@example.com", "55401", "regular"),
    ("C1009", "Samir Haddad", "+12025550139", "shaddad@example.com", "20009", "vip"),
    ("C1010", "Ellen O'Brien", "+16175550108", "ellen.obrien@example.com", "02118", "regular"),
]

_PRODUCTS = {  # sku -> (name, price $)
    "HP-AUR": ("Aurora noise-cancelling headphones", 129.99),
    "CB-C2": ("USB-C charging cable, 2-pack", 14.50), "PA-30": ("30 W USB-C wall adapter", 20.00),
    "MN-274K": ("Northwind 27-inch 4K monitor", 899.00), "RT-MESH": ("Mesh Wi-Fi router", 249.00),
    "KB-MX": ("Mechanical keyboard", 59.99), "SP-BT": ("Bluetooth speaker", 79.00),
    "LT-14": ("Northwind 14-inch laptop", 1299.00), "MS-W": ("Wireless mouse", 24.99),
    "CM-HD": ("HD webcam", 49.99), "SSD-1T": ("1 TB portable SSD", 109.00),
    "EB-W": ("Wireless earbuds", 89.00), "TB-10": ("10-inch tablet", 329.00),
    "PB-20": ("20,000 mAh power bank", 39.99), "HUB-7": ("7-port USB hub", 34.99),
}

# order, customer, placed offset, status, carrier, tracking, eta offset, [(sku, qty)]
_ORDERS = [
    ("551234", "C1001", -3, "shipped", "UPS", "1Z999AA10123456784", 2, [("HP-AUR", 1)]),
    ("551240", "C1001", -12, "delivered", "USPS", "9400111899223856431122", -7,
     [("CB-C2", 1), ("PA-30", 1)]),
    ("551251", "C1001", -30, "delivered", "FedEx", "771234567890", -25, [("MN-274K", 1)]),
    ("662310", "C1002", -9, "delivered", "UPS", "1Z999AA10123456791", -4, [("RT-MESH", 1)]),
    ("662311", "C1002", -1, "processing", None, None, 5, [("KB-MX", 1)]),
    ("703388", "C1003", -2, "shipped", "FedEx", "771234567912", 1, [("SSD-1T", 1)]),
    ("703402", "C1003", -40, "returned", "UPS", "1Z999AA10123456805", -35, [("SP-BT", 1)]),
    ("703415", "C1003", -60, "delivered", "USPS", "9400111899223856439987", -55,
     [("MS-W", 2)]),
    ("714455", "C1004", -15, "delivered", "FedEx", "771234567955", -11, [("LT-14", 1)]),
    ("725510", "C1005", 0, "processing", None, None, 6, [("TB-10", 1), ("PB-20", 1)]),
    ("725533", "C1005", -21, "delivered", "UPS", "1Z999AA10123456818", -17, [("CM-HD", 1)]),
    ("736671", "C1006", -4, "shipped", "USPS", "9400111899223856440012", 3, [("EB-W", 1)]),
    ("736690", "C1006", -33, "delivered", "USPS", "9400111899223856440099", -28,
     [("HUB-7", 1)]),
    ("747702", "C1007", -18, "delivered", "FedEx", "771234567999", -14, [("PB-20", 2)]),
    ("747719", "C1007", -26, "returned", "UPS", "1Z999AA10123456822", -22, [("EB-W", 1),
                                                                            ("CB-C2", 1)]),
    ("758843", "C1008", -2, "shipped", "UPS", "1Z999AA10123456839", 2, [("TB-10", 1)]),
    ("758860", "C1008", -1, "processing", None, None, 4, [("MS-W", 1)]),
    ("769904", "C1009", -8, "delivered", "FedEx", "771234568021", -3, [("MN-274K", 1),
                                                                        ("HUB-7", 1)]),
    ("769921", "C1009", 0, "processing", None, None, 7, [("LT-14", 1)]),
    ("770135", "C1010", -6, "delivered", "USPS", "9400111899223856440123", -1, [("SP-BT", 1)]),
]

_TICKETS = [  # customer, order, subject, description, priority, status, day offset
    ("C1007", "747719", "Return of earbuds", "Left earbud does not charge; returned.", "normal",
     "pending", -22),
    ("C1004", "714455", "Laptop fan noise", "Fan is loud under light load.", "normal", "open",
     -5),
]

_REFUNDS = [  # order, amount $, reason, status, day offset
    ("703402", 79.00, "Returned unopened", "approved", -34),
    ("747719", 103.50, "Defective earbuds returned", "needs_review", -21),
]


def _at(today: date, days: int, hour: int = 10) -> datetime:
    return datetime.combine(today + timedelta(days=days), time(hour, 0))


def _cents(amount: float) -> int:
    return round(amount * 100)


def _hotel_rows(today: date) -> dict[Any, list[dict[str, Any]]]:
    guests = [dict(zip(("id", "first_name", "last_name", "phone", "email", "postal_code",
                        "card_last4", "loyalty_tier"), g, strict=True)) for g in _GUESTS]
    rooms = [dict(zip(("number", "room_type", "floor", "status"), r, strict=True))
             for r in _ROOMS]
    reservations = [
        {"confirmation": c, "guest_id": g, "arrival": today + timedelta(days=off),
         "departure": today + timedelta(days=off + nights), "room_type": kind,
         "adults": adults, "children": children, "rate_cents": _cents(rate), "status": status,
         "room_number": room, "late_checkout": None, "requests": requests,
         "arrival_time": eta}
        for c, g, off, nights, kind, adults, children, rate, status, room, requests, eta
        in _RESERVATIONS]
    folio = [{"confirmation": c, "date": today + timedelta(days=off), "description": text,
              "amount_cents": _cents(amount)} for c, off, text, amount in _FOLIO]
    return {hotel_guests: guests, hotel_rooms: rooms, hotel_reservations: reservations,
            hotel_folio_charges: folio}


def _support_rows(today: date) -> dict[Any, list[dict[str, Any]]]:
    customers = [dict(zip(("id", "name", "phone", "email", "postal_code", "tier"), c,
                          strict=True)) for c in _CUSTOMERS]
    orders = []
    for number, customer, off, status, carrier, tracking, eta, lines in _ORDERS:
        items = [{"sku": sku, "name": _PRODUCTS[sku][0], "qty": qty,
                  "price_cents": _cents(_PRODUCTS[sku][1])} for sku, qty in lines]
        orders.append({
            "order_number": number, "customer_id": customer, "placed_at": _at(today, off, 9),
            "status": status, "carrier": carrier, "tracking": tracking,
            "eta": today + timedelta(days=eta),
            "total_cents": sum(i["price_cents"] * i["qty"] for i in items), "items": items})
    tickets = [{"customer_id": c, "order_number": o, "subject": s, "description": d,
                "priority": p, "status": st, "created_at": _at(today, off, 14), "call_sid": None}
               for c, o, s, d, p, st, off in _TICKETS]
    refunds = [{"order_number": o, "amount_cents": _cents(a), "reason": r, "status": st,
                "created_at": _at(today, off, 11), "call_sid": None}
               for o, a, r, st, off in _REFUNDS]
    return {support_customers: customers, support_orders: orders, support_tickets: tickets,
            support_refunds: refunds}


def create_and_seed(engine: Engine, today: date) -> list[str]:
    """Create the tables and seed each business whose tables are empty; the seeded names."""
    create_tables(engine, TABLES)
    seeded = []
    with engine.begin() as conn:
        for name, marker, rows in (("hotel", hotel_guests, _hotel_rows),
                                   ("support", support_customers, _support_rows)):
            if conn.execute(select(func.count()).select_from(marker)).scalar_one():
                continue
            for table, values in rows(today).items():
                if values:
                    conn.execute(insert(table), values)
            seeded.append(name)
    return seeded
