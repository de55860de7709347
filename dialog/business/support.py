"""Northwind Electronics support-line tools: caller-ID lookup, verification, orders, tickets,
refunds.

The candidate is the customer whose phone number the call comes from (Twilio's caller ID,
never the model's arguments); the billing postal code verifies them. Order tools act only on
the verified customer's orders: someone else's order looks exactly like one that does not exist.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select

from config import GovernanceSettings
from dialog.business.store import (
    dollars,
    in_thread,
    normalise_phone,
    normalise_postal,
    object_schema,
    support_customers,
    support_orders,
    support_refunds,
    support_tickets,
)
from dialog.tools.governance import NOT_FOUND
from dialog.tools.spec import Tier, ToolContext, ToolResult, ToolSpec

__all__ = ["support_tools"]

_ORDER = {"type": "string", "pattern": r"^\d{6}$", "description": "Six-digit order number."}
_O = support_orders
_REFUNDABLE = ("delivered", "returned")
_COUNTED = ("requested", "approved", "needs_review")  # refunds that count toward the limit


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _not_found() -> ToolResult:
    return ToolResult(dict(NOT_FOUND), ok=False)


class _Support:
    def __init__(self, engine: Engine, governance: GovernanceSettings) -> None:
        self.engine = engine
        self.limit_cents = round(governance.refund_limit * 100)

    def _order(self, conn: Connection, number: str | None):
        if not number:
            return None
        return conn.execute(select(_O).where(_O.c.order_number == number)).mappings().first()

    def owner(self, ctx: ToolContext, args: dict[str, Any]) -> str | None:
        with self.engine.connect() as conn:
            row = self._order(conn, args.get("order_number"))
        return None if row is None else row["customer_id"]

    def _mine(self, conn: Connection, ctx: ToolContext, number: str):
        row = self._order(conn, number)
        if row is None:
            return None, _not_found()
        if row["customer_id"] != ctx.customer_id:  # governance checked; checked again here
            return None, ToolResult(dict(NOT_FOUND), ok=False, refusal="not_owner")
        return row, None

    def _customer(self, conn: Connection, customer_id: str | None):
        return conn.execute(select(support_customers).where(
            support_customers.c.id == customer_id)).mappings().first()

    # --- handlers (run in a worker thread) -------------------------------------------------

    def lookup(self, ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
        phone = normalise_phone(ctx.caller_number)  # arguments are ignored on purpose
        with self.engine.connect() as conn:
            row = conn.execute(select(support_customers).where(
                support_customers.c.phone == phone)).mappings().first() if phone else None
        if row is None:
            return ToolResult({"found": False, "message": "No account matches the number the "
                               "caller is calling from. Offer to transfer to an agent."},
                              ok=False)
        if row["id"] == ctx.customer_id:
            return ToolResult({"found": True, "verified": True, "name": row["name"]},
                              candidate=row["id"])
        return ToolResult({"found": True, "needs_verification": True,
                           "verify_with": ["postal_code"]}, candidate=row["id"])

    def verify(self, ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
        if not ctx.candidate_id:
            return ToolResult({"verified": False, "message": "Look the customer up first."},
                              ok=False)
        with self.engine.connect() as conn:
            row = self._customer(conn, ctx.candidate_id)
        if row is None:
            return _not_found()
        if normalise_postal(args["postal_code"]) != normalise_postal(row["postal_code"]):
            return ToolResult({"verified": False, "message": "That postal code does not "
                               "match."}, ok=False, verification_failed=True)
        return ToolResult({"verified": True, "name": row["name"], "tier": row["tier"]},
                          verified_customer=row["id"])

    def order_status(self, ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
        with self.engine.connect() as conn:
            if not args.get("order_number"):  # the customer's recent orders
                rows = conn.execute(select(_O).where(_O.c.customer_id == ctx.customer_id)
                                    .order_by(_O.c.placed_at.desc()).limit(5)).mappings()
                return ToolResult({"orders": [_summary(r) for r in rows]})
            row, refusal = self._mine(conn, ctx, args["order_number"])
        if refusal is not None:
            return refusal
        return ToolResult({"found": True, **_summary(row), "carrier": row["carrier"],
                           "tracking": row["tracking"], "total": dollars(row["total_cents"]),
                           "items": [{"name": i["name"], "qty": i["qty"]} for i in row["items"]]})

    def create_ticket(self, ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
        number = args.get("order_number")
        with self.engine.begin() as conn:
            if number:
                _, refusal = self._mine(conn, ctx, number)
                if refusal is not None:
                    return refusal
            customer = self._customer(conn, ctx.customer_id)
            if customer is None:
                return _not_found()
            t = support_tickets.c
            if ctx.call_sid:  # the same ticket asked for twice in one call: the first one
                same = conn.execute(select(t.id).where(
                    t.call_sid == ctx.call_sid, t.customer_id == ctx.customer_id,
                    t.subject == args["subject"], t.order_number.is_(None) if number is None
                    else t.order_number == number)).scalar()
                if same is not None:
                    return ToolResult({"ticket": f"T-{same}", "created": False})
            priority = args.get("priority") or ("high" if customer["tier"] == "vip"
                                                 else "normal")
            ticket_id = conn.execute(insert(support_tickets).values(
                customer_id=ctx.customer_id, order_number=number, subject=args["subject"],
                description=args["description"] or "(none given)", priority=priority, status="open",
                created_at=_now(), call_sid=ctx.call_sid or None)).inserted_primary_key[0]
        return ToolResult({"ticket": f"T-{ticket_id}", "created": True, "priority": priority})

    def refund(self, ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
        cents = round(float(args["amount"]) * 100)
        with self.engine.begin() as conn:
            row, refusal = self._mine(conn, ctx, args["order_number"])
            if refusal is not None:
                return refusal
            if row["status"] not in _REFUNDABLE:
                return ToolResult({"refunded": False, "status": row["status"], "message":
                                   "Refunds are for delivered or returned orders."}, ok=False)
            r = support_refunds.c
            earlier = conn.execute(select(func.coalesce(func.sum(r.amount_cents), 0)).where(
                r.order_number == row["order_number"], r.status.in_(_COUNTED))).scalar_one()
            if cents + earlier > row["total_cents"]:
                return ToolResult({"refunded": False, "refundable": dollars(
                    row["total_cents"] - earlier), "message": "That is more than is left to "
                    "refund on this order."}, ok=False)
            if cents + earlier > self.limit_cents:  # split refunds add up to the limit
                return ToolResult({"error": "needs_human", "tool": "request_refund", "request":
                                   f"Refund of ${cents / 100:.2f} on order {row['order_number']}"
                                   f" (reason: {args['reason']}); earlier refunds on it: "
                                   f"${earlier / 100:.2f}", "message": "Only a person can do "
                                   "this. Transfer the caller with this request."},
                                  ok=False, refusal="needs_human")
            refund_id = conn.execute(insert(support_refunds).values(
                order_number=row["order_number"], amount_cents=cents,
                reason=args["reason"] or "(none given)",
                status="approved", created_at=_now(), call_sid=ctx.call_sid or None)
            ).inserted_primary_key[0]
        return ToolResult({"refunded": True, "refund": f"R-{refund_id}", "status": "approved",
                           "amount": dollars(cents), "order_number": row["order_number"],
                           "message": "Refunded to the original payment method in 5 to 7 "
                           "business days."})


def _summary(row: Any) -> dict[str, Any]:
    return {"order_number": row["order_number"], "status": row["status"],
            "placed_on": row["placed_at"].date().isoformat(),
            "eta": row["eta"].isoformat() if row["eta"] else None}


def support_tools(engine: Engine, *, governance: GovernanceSettings) -> list[ToolSpec]:
    """The support line's tool specs over ``engine`` (tables created and seeded by the caller)."""
    s = _Support(engine, governance)
    owner = in_thread(s.owner)
    support = frozenset({"support"})
    # A description or a reason may be empty (a caller does not always say); a subject not.
    text = {"type": "string", "maxLength": 2000}
    return [
        ToolSpec("lookup_customer", "Find the customer account of the number the caller is "
                 "calling from (caller ID). Takes no arguments.",
                 {"type": "object", "properties": {}}, Tier.READ, in_thread(s.lookup),
                 businesses=support),
        ToolSpec("verify_customer", "Verify the caller as the customer found, with the billing "
                 "postal code.", object_schema({"postal_code": {"type": "string", "minLength": 1,
                                                          "maxLength": 16}}, ["postal_code"]),
                 Tier.READ, in_thread(s.verify), verifies=True, businesses=support),
        ToolSpec("get_order_status", "Status, carrier, tracking and delivery date of one of "
                 "the verified customer's orders; without a number, their recent orders.",
                 object_schema({"order_number": _ORDER}), Tier.READ, in_thread(s.order_status),
                 needs_verified=True, businesses=support, owner_of=owner),
        ToolSpec("create_ticket", "Open a support ticket for the verified customer, optionally "
                 "about one of their orders.",
                 object_schema({"subject": {**text, "minLength": 1, "maxLength": 200},
                                "description": text, "order_number": _ORDER,
                                "priority": {"type": "string",
                                             "enum": ["low", "normal", "high"]}},
                               ["subject", "description"]),
                 Tier.WRITE, in_thread(s.create_ticket), needs_verified=True,
                 businesses=support, owner_of=owner),
        ToolSpec("request_refund", "Refund part or all of one of the verified customer's "
                 "delivered or returned orders. Large refunds need a person.",
                 object_schema({"order_number": _ORDER, "amount": {
                     "type": "number", "exclusiveMinimum": 0, "maximum": 100000},
                     "reason": {**text, "maxLength": 500}}, ["order_number", "amount", "reason"]),
                 Tier.WRITE, in_thread(s.refund), needs_verified=True, businesses=support,
                 owner_of=owner, amount_limit_arg="amount",
                 request_template="Refund of ${amount:.2f} on order {order_number} "
                 "(reason: {reason})"),
    ]
