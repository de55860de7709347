"""Multi-step tasks of the embedded engine: identify and verify the caller, collect values, act.

A task (check in, order status, refund...) first makes sure the caller is verified: the hotel
finds the reservation by its confirmation number and verifies the guest with the ZIP code or
the card's last four digits; the support line finds the account by caller ID and verifies the
ZIP code. Then it collects the values the action needs (an order number, an amount, a time) and
calls the tool. Every step goes through the ``ToolRegistry``: the same tools, permissions and
audit as the LLM. Values are read from speech (``dialog.slots``) or the keypad; a value not
understood is asked again, then the keypad is suggested, then a person takes over.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dialog import slots
from dialog.classifier import Intent
from dialog.escalation import VERIFICATION_FAILED
from dialog.lines import Lines
from dialog.phrasing import describe
from dialog.state import CallState
from dialog.tools import ToolOutcome
from dialog.types import CallerTurn, Reply, Transfer

if TYPE_CHECKING:
    from dialog.manager import DialogDeps

__all__ = ["TASKS", "Tasks"]

MAX_SLOT_MISSES = 3  # not understood this many times: a person takes over
_AWAITING = "_awaiting"
_MISSES = "_misses"
_REQUEST = "_request"


@dataclass(frozen=True)
class Slot:
    name: str
    question: str  # asked when the slot is needed
    parse: Callable[[str, str], str | None]  # (text, language) -> value
    keypad: bool = True  # digits typed on the keypad are accepted


def _amount(text: str, language: str) -> str | None:
    value = slots.parse_amount(text, language)
    return None if value is None else str(value)


def _verification(text: str, language: str) -> str | None:
    return slots.parse_postal_code(text, language) or slots.parse_last_four(text, language)


def _time(text: str, language: str) -> str | None:
    value = slots.parse_time(text, language)
    return None if value is None else value.strftime("%H:%M")


CONFIRMATION = Slot("confirmation", "Sure. What is your six-digit confirmation number? You can "
                    "say it or type it on your keypad.", slots.parse_confirmation)
GUEST_CHECK = Slot("verification", "To verify, please tell me the ZIP code on the booking, or "
                   "the last four digits of the card on file.", _verification)
CUSTOMER_CHECK = Slot("postal_code", "To verify your account, what is the ZIP code on file?",
                      slots.parse_postal_code)
ORDER = Slot("order_number", "What is the six-digit order number?", slots.parse_order_number)
AMOUNT = Slot("amount", "How much would you like refunded?", _amount, keypad=False)
CHECKOUT_TIME = Slot("checkout_time", "What time would you like to check out?", _time,
                     keypad=False)


@dataclass(frozen=True)
class Task:
    identity: str  # "reservation" | "customer"
    needs: tuple[Slot, ...]
    tool: str  # the action's tool
    args: Callable[[dict[str, str]], dict[str, Any]]


TASKS: dict[str, Task] = {
    "check_in": Task("reservation", (), "check_in", lambda s: {}),
    "find_reservation": Task("reservation", (), "find_reservation",
                             lambda s: {"confirmation": s["confirmation"]}),
    "late_checkout": Task("reservation", (CHECKOUT_TIME,), "request_late_checkout",
                          lambda s: {"time": s["checkout_time"]}),
    "folio": Task("reservation", (), "get_folio", lambda s: {}),
    "cancel_reservation": Task("reservation", (), "cancel_reservation",
                               lambda s: {"confirmation": s["confirmation"]}),
    "order_status": Task("customer", (ORDER,), "get_order_status",
                         lambda s: {"order_number": s["order_number"]}),
    "create_ticket": Task("customer", (), "create_ticket",
                          lambda s: {"subject": "Problem reported by phone",
                                     "description": s.get(_REQUEST, "")}),
    "refund": Task("customer", (ORDER, AMOUNT), "request_refund",
                   lambda s: {"order_number": s["order_number"], "amount": float(s["amount"]),
                              "reason": s.get(_REQUEST, "")}),
}
_SLOTS = {slot.name: slot for slot in (CONFIRMATION, GUEST_CHECK, CUSTOMER_CHECK, ORDER, AMOUNT,
                                       CHECKOUT_TIME)}


class Tasks:
    def __init__(self, deps: DialogDeps, state: CallState, lines: Lines) -> None:
        self.deps = deps
        self.state = state
        self.lines = lines
        self.outcomes: list[ToolOutcome] = []  # tool calls of the current turn

    def expects_slot(self) -> bool:
        return self.state.task is not None and _AWAITING in self.state.slots

    async def start(self, intent: Intent, turn: CallerTurn) -> Reply:
        assert intent.task is not None
        if intent.task not in TASKS:
            return self._reply(f"I'm sorry, I can't do that by phone yet. "
                               f"{self.lines.get('handoff', self.state.language)}",
                               intent.name, intent.score,
                               Transfer(self._queue, "task_unsupported"))
        self.state.task = intent.task
        self.state.slots = {_REQUEST: turn.text}
        return await self._advance(intent.name, intent.score)

    async def answer(self, turn: CallerTurn, intent: Intent | None = None) -> Reply | None:
        """The caller's answer to the question asked; None when it is not an answer at all
        (the caller moved on to something else) and the engine should treat it afresh."""
        slot = _SLOTS[self.state.slots[_AWAITING]]
        if turn.dtmf is not None:
            value = slots.parse_keypad_digits(turn.dtmf) if slot.keypad else None
        else:
            value = slot.parse(turn.text, self.state.language)
        if value is None:
            if intent is not None and intent.action not in ("counterweight", "answer") \
                    and intent.task != self.state.task:
                self._drop()
                return None  # a different request: the engine handles it
            return self._missed(slot)
        self.state.slots.pop(_MISSES, None)
        self.state.slots.pop(_AWAITING)
        self.state.slots[slot.name] = value
        return await self._advance(self.state.task or "task", 1.0)

    # -- the steps ---------------------------------------------------------------------------
    async def _advance(self, intent: str, score: float) -> Reply:
        self.outcomes = []
        task = TASKS[self.state.task or ""]
        identified = await self._identify(task, intent, score)
        if identified is not None:
            return identified
        for slot in task.needs:
            if slot.name not in self.state.slots:
                return self._ask(slot, intent, score)
        if self.state.task == "refund" and "_order_checked" not in self.state.slots:
            check = await self._call("get_order_status",
                                     {"order_number": self.state.slots["order_number"]})
            if not check.allowed or not (check.result or {}).get("found", True):
                return self._finish_task(describe(check), intent, score)
            self.state.slots["_order_checked"] = "1"
        outcome = await self._call(task.tool, task.args(self.state.slots))
        if outcome.reason == "needs_human":
            self._drop()
            return self._reply(self.lines.get("needs_human", self.state.language), intent, score,
                               Transfer(self._queue, "needs_human",
                                        request=f"{outcome.name} {outcome.args}"))
        return self._finish_task(describe(outcome), intent, score)

    async def _identify(self, task: Task, intent: str, score: float) -> Reply | None:
        """None when the caller is verified; otherwise the next question (or a handoff)."""
        state = self.state
        if state.verified:
            return None
        if task.identity == "customer":
            if state.candidate_id is None:
                found = await self._call("lookup_customer", {})
                if state.candidate_id is None:
                    self._drop()
                    return self._reply(f"{describe(found)} "
                                       f"{self.lines.get('handoff', state.language)}",
                                       intent, score, Transfer(self._queue, "customer_not_found"))
            check, tool, arg = CUSTOMER_CHECK, "verify_customer", "postal_code"
        else:
            if "confirmation" not in state.slots:
                return self._ask(CONFIRMATION, intent, score)
            if state.candidate_id is None:
                found = await self._call("find_reservation",
                                         {"confirmation": state.slots["confirmation"]})
                if state.candidate_id is None:
                    state.slots.pop("confirmation")
                    return self._missed(CONFIRMATION, prefix=describe(found))
                return self._ask(GUEST_CHECK, intent, score, prefix=describe(found))
            check, tool, arg = GUEST_CHECK, "verify_guest", ""
        if check.name not in state.slots:
            return self._ask(check, intent, score)
        value = state.slots.pop(check.name)
        if not arg:  # the guest may give the ZIP code (5 digits) or the card's last four
            arg = "postal_code" if len(value) == 5 else "card_last4"
        verified = await self._call(tool, {arg: value})
        if state.verified:
            return None
        if state.verification_failures >= self.deps.settings.escalation.verification_attempts:
            self._drop()
            return self._reply(f"{describe(verified)} "
                               f"{self.lines.get('handoff', state.language)}", intent, score,
                               Transfer(self._queue, VERIFICATION_FAILED))
        return self._ask(check, intent, score, prefix=describe(verified))

    # -- helpers -------------------------------------------------------------------------------
    @property
    def _queue(self) -> str:
        return self.deps.settings.dialog.default_queue

    async def _call(self, tool: str, args: dict[str, Any]) -> ToolOutcome:
        outcome = await self.deps.registry.call(tool, args, self.state)
        self.outcomes.append(outcome)
        if outcome.allowed and outcome.result:
            self.state.facts[tool] = outcome.result
        return outcome

    def _ask(self, slot: Slot, intent: str, score: float, prefix: str = "") -> Reply:
        self.state.slots[_AWAITING] = slot.name
        return self._reply(f"{prefix} {slot.question}".strip(), intent, score)

    def _missed(self, slot: Slot, prefix: str = "") -> Reply:
        misses = int(self.state.slots.get(_MISSES, "0")) + 1
        self.state.slots[_MISSES] = str(misses)
        self.state.slots[_AWAITING] = slot.name
        task = self.state.task or "task"
        if misses >= MAX_SLOT_MISSES:
            self._drop()
            return self._reply(f"{prefix} {self.lines.get('handoff', self.state.language)}",
                               task, 0.0, Transfer(self._queue, f"slot_not_understood:{slot.name}"))
        hint = " You can also type it on your keypad." if slot.keypad and misses >= 2 else ""
        again = prefix or "Sorry, I didn't get that."
        return self._reply(f"{again} {slot.question}{hint}", task, 0.3)

    def _finish_task(self, text: str, intent: str, score: float) -> Reply:
        self._drop()
        return self._reply(f"{text} Is there anything else I can help you with?", intent, score)

    def _drop(self) -> None:
        self.state.task = None
        self.state.slots = {}

    def _reply(self, text: str, intent: str, score: float,
               decision: Transfer | None = None) -> Reply:
        tools = tuple(self.outcomes)
        self.outcomes = []
        return Reply(text.strip(), intent, score, decision, tools=tools,
                     reason_codes=(f"task:{self.state.task or 'done'}",))


