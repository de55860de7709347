"""The support line's tasks for the embedded engine (``dialog.embedded.tasks``): an order's
status, a ticket, a refund.

The customer's account is found by caller ID and verified with the billing ZIP code. An order
number that matches none of the caller's orders is asked for again; a refund's order is looked
up as soon as its number is given, before the amount is asked.
"""

from __future__ import annotations

from dialog.embedded import slots
from dialog.embedded.tasks import Identity, Slot, Task, Tasks, found
from dialog.phrases.format import spoken_digits
from dialog.tools.spec import ToolOutcome
from dialog.types import Reply, Transfer

__all__ = ["CUSTOMER", "ORDER", "TASKS"]


def _amount(text: str, language: str) -> str | None:
    value = slots.parse_amount(text, language)
    return None if value is None else str(value)


CUSTOMER_CHECK = Slot("postal_code", "q_customer_check", slots.parse_postal_code, digits=5)
ORDER = Slot("order_number", "q_order", slots.parse_order_number, digits=6)
AMOUNT = Slot("amount", "q_amount", _amount, keypad=False)


async def _identify(run: Tasks, score: float) -> Reply | None:
    """The account of the number calling, then verification."""
    state = run.state
    if state.candidate_id is None:
        lookup = await run.call("lookup_customer", {})
        if state.candidate_id is None:
            run.drop()
            return run.reply(f"{run.describe(lookup)} {run.connecting}", score,
                             Transfer(run.queue, "customer_not_found"))
    return await run.verify(CUSTOMER_CHECK, "verify_customer",
                            lambda value: {"postal_code": value}, score)


def _order_problem(run: Tasks, outcome: ToolOutcome, score: float) -> Reply:
    """An order that is not the caller's (or does not exist) is asked for again; any other
    problem (the system is down) ends the task with what happened."""
    if found(outcome):
        return run.finish(run.describe(outcome), score)
    number = run.progress.values.pop(ORDER.name, "")
    run.progress.checked = False
    said = run.line("no_order", digits=spoken_digits(number))
    return run.missed(ORDER, said, reason="order_not_found")


async def _check_order(run: Tasks, slot: Slot, score: float) -> Reply | None:
    """A refund's order, looked up as soon as its number is given."""
    progress = run.progress
    if slot is not ORDER or progress.checked:
        return None
    check = await run.call("get_order_status", {"order_number": progress.values[ORDER.name]})
    if not found(check) or not check.allowed:
        return _order_problem(run, check, score)
    progress.checked = True
    return None


CUSTOMER = Identity(_identify, (CUSTOMER_CHECK,))

TASKS: dict[str, Task] = {
    "order_status": Task("get_order_status",
                         lambda s: {"order_number": s.progress.values["order_number"]},
                         (ORDER,), identity=CUSTOMER, not_found=_order_problem),
    "create_ticket": Task("create_ticket",
                          lambda s: {"subject": "Problem reported by phone",
                                     "description": s.progress.request[:2000]},
                          identity=CUSTOMER),
    "refund": Task("request_refund",
                   lambda s: {"order_number": s.progress.values["order_number"],
                              "amount": float(s.progress.values["amount"]),
                              "reason": s.progress.request[:500]},
                   (ORDER, AMOUNT), identity=CUSTOMER, check=_check_order,
                   not_found=_order_problem),
}
