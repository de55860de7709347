"""Multi-step tasks of the embedded engine: identify and verify the caller, collect values, act.

A task (check in, order status, refund...) first makes sure the caller is verified: the hotel
finds the reservation by its confirmation number and verifies the guest with the ZIP code or
the card's last four digits; the support line finds the account by caller ID and verifies the
ZIP code. Then it collects the values the action needs (an order number, an amount, a time) and
calls the tool. Every step goes through the ``ToolRegistry``: the same tools, permissions and
audit as the LLM. Values are read from speech (``dialog.slots``) or the keypad, and from the
request itself ("where is order 551234?"); a value not understood, or a number that matches
nothing, is asked again, then the keypad is suggested, then a person takes over.

The task's progress lives in ``CallState.slots`` (keys starting with "_" are bookkeeping), so a
call carried between ``frontdesk try`` runs resumes where it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from dialog import slots
from dialog.classifier import Intent
from dialog.escalation import VERIFICATION_FAILED
from dialog.lines import Lines
from dialog.phrasing import ANYTHING_ELSE, CONNECTING, describe, spoken_digits
from dialog.state import CallState
from dialog.tools import ToolOutcome
from dialog.types import CallerTurn, Reply, Transfer

if TYPE_CHECKING:
    from dialog.manager import DialogDeps

__all__ = [
    "MAX_SLOT_MISSES",
    "TASKS",
    "Slot",
    "Task",
    "Tasks",
    "found",
    "moved_on",
    "prefill",
    "verification_arg",
]

MAX_SLOT_MISSES = 3  # a value missed this many times in a row: a person takes over
KEYPAD_HINT = "You can also type it on your keypad."
NOT_UNDERSTOOD = "Sorry, I didn't get that."
# Slot keys for the task's bookkeeping (never a slot's name).
_AWAITING = "_awaiting"  # the slot whose question was just asked
_MISSES = "_misses"  # misses of that slot in a row
_REQUEST = "_request"  # what the caller said to start the task (the ticket, the refund reason)
_INTENT = "_intent"  # the intent that started the task (each of its replies carries it)
_CHECKED = "_order_checked"  # a refund's order was found on the caller's account
_PARTIAL = "_partial"  # the first digits of a number the caller paused in the middle of


@dataclass(frozen=True)
class Slot:
    name: str
    question: str  # asked when the slot is needed
    parse: Callable[[str, str], str | None]  # (text, language) -> value
    keypad: bool = True  # digits typed on the keypad are accepted
    digits: int = 0  # a number of this many digits at most (0: not a number)


def _amount(text: str, language: str) -> str | None:
    value = slots.parse_amount(text, language)
    return None if value is None else str(value)


def _verification(text: str, language: str) -> str | None:
    return slots.parse_postal_code(text, language) or slots.parse_last_four(text, language)


def _time(text: str, language: str) -> str | None:
    # "at 1" is 1 PM: nobody checks out at one in the morning.
    value = slots.parse_time(text, language, assume_pm_before=8)
    return None if value is None else value.strftime("%H:%M")


CONFIRMATION = Slot("confirmation", "What is your six-digit confirmation number?",
                    slots.parse_confirmation, digits=6)
GUEST_CHECK = Slot("verification", "To verify, please tell me the ZIP code on the booking, or "
                   "the last four digits of the card on file.", _verification, digits=5)
CUSTOMER_CHECK = Slot("postal_code", "To verify your account, what is the ZIP code on file?",
                      slots.parse_postal_code, digits=5)
ORDER = Slot("order_number", "What is the six-digit order number?", slots.parse_order_number,
             digits=6)
AMOUNT = Slot("amount", "How much would you like refunded?", _amount, keypad=False)
CHECKOUT_TIME = Slot("checkout_time", "What time would you like to check out?", _time,
                     keypad=False)
_SLOTS = {slot.name: slot for slot in (CONFIRMATION, GUEST_CHECK, CUSTOMER_CHECK, ORDER, AMOUNT,
                                       CHECKOUT_TIME)}


@dataclass(frozen=True)
class Task:
    identity: str  # "reservation" | "customer"
    needs: tuple[Slot, ...]
    tool: str  # the action's tool
    # (collected slots, the verified reservation's confirmation or "") -> the tool's arguments
    args: Callable[[dict[str, str], str], dict[str, Any]]
    # Look the order up as soon as its number is given, before asking for anything else.
    check_order: bool = False


def _booking(extra: Callable[[dict[str, str]], dict[str, Any]] = lambda s: {}):
    def args(values: dict[str, str], confirmation: str) -> dict[str, Any]:
        return {**({"confirmation": confirmation} if confirmation else {}), **extra(values)}
    return args


TASKS: dict[str, Task] = {
    "check_in": Task("reservation", (), "check_in", _booking()),
    "find_reservation": Task("reservation", (), "find_reservation", _booking()),
    "late_checkout": Task("reservation", (CHECKOUT_TIME,), "request_late_checkout",
                          _booking(lambda s: {"time": s["checkout_time"]})),
    "folio": Task("reservation", (), "get_folio", _booking()),
    "cancel_reservation": Task("reservation", (), "cancel_reservation",
                               _booking(lambda s: {"reason": s.get(_REQUEST, "")[:300]})),
    "order_status": Task("customer", (ORDER,), "get_order_status",
                         lambda s, _: {"order_number": s["order_number"]}),
    "create_ticket": Task("customer", (), "create_ticket",
                          lambda s, _: {"subject": "Problem reported by phone",
                                        "description": s.get(_REQUEST, "")[:2000]}),
    "refund": Task("customer", (ORDER, AMOUNT), "request_refund",
                   lambda s, _: {"order_number": s["order_number"],
                                 "amount": float(s["amount"]),
                                 "reason": s.get(_REQUEST, "")[:500]},
                   check_order=True),
}


# -- pure decisions ---------------------------------------------------------------------------

def prefill(task: Task, text: str, language: str) -> dict[str, str]:
    """Values the request already gives ("check in, confirmation 472913"), so they are not
    asked for. Verification values are always asked for."""
    wanted = ((CONFIRMATION,) if task.identity == "reservation" else ()) + task.needs
    values = {slot.name: slot.parse(text, language) for slot in wanted}
    return {name: value for name, value in values.items() if value is not None}


def moved_on(intent: Intent, task: str | None) -> bool:
    """A turn that gives no value but asks for something else (a person, goodbye, another
    task): the task is dropped and the turn handled afresh. A question or chatter is a miss."""
    return intent.action not in ("counterweight", "answer") and intent.task != task


def verification_arg(tool: str, value: str) -> str:
    """The verification tool's argument for ``value``: a guest may give the ZIP code (5 digits)
    or the card's last four."""
    if tool == "verify_guest" and len(value) == 4:
        return "card_last4"
    return "postal_code"


def found(outcome: ToolOutcome) -> bool:
    """False when the record the call named does not exist or is not the caller's (the two
    look the same to the caller)."""
    return outcome.reason != "not_owner" and (outcome.result or {}).get("found") is not False


class Tasks:
    def __init__(self, deps: DialogDeps, state: CallState, lines: Lines) -> None:
        self.deps = deps
        self.state = state
        self.lines = lines
        self.outcomes: list[ToolOutcome] = []  # tool calls of the current turn
        self._said: list[str] = []  # sentences of this turn that come before the reply's own
        self._intent = "task"  # the intent the current turn's reply carries

    def expects_slot(self) -> bool:
        return self.state.task is not None and _AWAITING in self.state.slots

    def cancel(self) -> None:
        """Drop the task in progress (the caller pressed 0, or is leaving)."""
        self._drop()

    def pending_question(self) -> str | None:
        """The question the caller has yet to answer, if any."""
        if not self.expects_slot():
            return None
        return _SLOTS[self.state.slots[_AWAITING]].question

    async def start(self, intent: Intent, turn: CallerTurn) -> Reply:
        assert intent.task is not None
        self._begin(intent.name)
        task = TASKS.get(intent.task)
        if task is None:
            return self._reply(f"I'm sorry, I can't do that by phone yet. {CONNECTING}",
                               intent.score, Transfer(self._queue, "task_unsupported"))
        self.state.task = intent.task
        self.state.slots = {_REQUEST: turn.text, _INTENT: intent.name,
                            **prefill(task, turn.text, self.state.language)}
        reply = await self._advance(intent.score)
        if self.expects_slot() and _MISSES not in self.state.slots:  # the task's first question
            reply = replace(reply, text=f"Sure. {reply.text}")
        return reply

    async def answer(self, turn: CallerTurn, intent: Intent | None = None, *,
                     aside: bool = False) -> Reply | None:
        """The caller's answer to the question asked; None when it is not an answer at all
        and the engine should treat it afresh: the caller moved on to something else (the task
        is dropped), or ``aside``, a question of its own (the task keeps waiting)."""
        state = self.state
        self._begin(state.slots.get(_INTENT) or state.task or "task")
        slot = _SLOTS[state.slots[_AWAITING]]
        if turn.dtmf is not None:
            digits = slots.parse_keypad_digits(turn.dtmf)
            # Typed digits go through the slot's parser too: a wrong length is a miss.
            value = slot.parse(digits, state.language) if slot.keypad and digits else None
        else:
            value = slot.parse(turn.text, state.language)
            heard = ""
            if slot.digits:
                value, waiting, heard = self._partial_number(slot, turn.text, value)
                if waiting:
                    return self._reply(self.lines.get("go_on", state.language), 1.0)
        if value is None:
            if intent is not None and moved_on(intent, state.task):
                self._drop()
                return None
            if heard:  # a number of the wrong length: say what was heard, so it can be fixed
                return self._missed(slot, f"I heard {spoken_digits(heard)}, which isn't "
                                          f"{slot.digits} digits.")
            return None if aside else self._missed(slot)
        del state.slots[_AWAITING]
        state.slots[slot.name] = value
        return await self._advance(1.0)

    # -- the steps ---------------------------------------------------------------------------
    async def _advance(self, score: float) -> Reply:
        task = TASKS[self.state.task or ""]
        identified = await self._identify(task, score)
        if identified is not None:
            return identified
        values = self.state.slots
        for slot in task.needs:
            if slot.name not in values:
                return self._ask(slot, score)
            if slot is ORDER and task.check_order and _CHECKED not in values:
                check = await self._call("get_order_status", {"order_number": values[ORDER.name]})
                if not found(check) or not check.allowed:
                    return self._order_problem(check, score)
                values[_CHECKED] = "1"
        # The reservation the caller named, else the verified one. Another guest's number is
        # the tool's to refuse (governance: not the caller's), never silently swapped.
        confirmation = (values.get(CONFIRMATION.name) or self.state.candidate_id or "") \
            if task.identity == "reservation" else ""
        outcome = await self._call(task.tool, task.args(values, confirmation))
        if outcome.reason == "needs_human":
            request = str((outcome.result or {}).get("request") or outcome.name)
            self._drop()
            return self._reply(self.lines.get("needs_human", self.state.language), score,
                               Transfer(self._queue, "needs_human", request=request))
        if ORDER in task.needs and not found(outcome):
            return self._order_problem(outcome, score)
        return self._finish_task(self._describe(outcome), score)

    async def _identify(self, task: Task, score: float) -> Reply | None:
        """None when the caller is verified; otherwise the next question (or a handoff)."""
        state = self.state
        if state.verified:
            return None
        if task.identity == "customer":
            if state.candidate_id is None:
                lookup = await self._call("lookup_customer", {})
                if state.candidate_id is None:
                    self._drop()
                    return self._reply(f"{self._describe(lookup)} {CONNECTING}", score,
                                       Transfer(self._queue, "customer_not_found"))
            check, tool = CUSTOMER_CHECK, "verify_customer"
        else:
            number = state.slots.get(CONFIRMATION.name)
            if number is None:
                return self._ask(CONFIRMATION, score)
            if state.candidate_id != number:  # not looked up yet (or another reservation)
                reservation = await self._call("find_reservation", {"confirmation": number})
                if state.candidate_id != number:
                    del state.slots[CONFIRMATION.name]
                    said = (f"I couldn't find a reservation with the number "
                            f"{spoken_digits(number)}." if not found(reservation)
                            else self._describe(reservation))
                    return self._missed(CONFIRMATION, said, reason="reservation_not_found")
                return self._ask(GUEST_CHECK, score, prefix=self._describe(reservation))
            check, tool = GUEST_CHECK, "verify_guest"
        if check.name not in state.slots:
            return self._ask(check, score)
        value = state.slots.pop(check.name)
        verified = await self._call(tool, {verification_arg(tool, value): value})
        if state.verified:
            # Said before whatever comes next (the next question or the task's result).
            self._said.append(self._describe(verified))
            return None
        if state.verification_failures >= self.deps.settings.escalation.verification_attempts:
            self._drop()
            return self._reply(f"{self._describe(verified)} {CONNECTING}", score,
                               Transfer(self._queue, VERIFICATION_FAILED))
        return self._ask(check, score, prefix=self._describe(verified))

    def _order_problem(self, outcome: ToolOutcome, score: float) -> Reply:
        """An order that is not the caller's (or does not exist) is asked for again; any other
        problem (the system is down) ends the task with what happened."""
        if found(outcome):
            return self._finish_task(self._describe(outcome), score)
        number = self.state.slots.pop(ORDER.name, "")
        self.state.slots.pop(_CHECKED, None)
        said = f"I couldn't find order {spoken_digits(number)} on your account."
        return self._missed(ORDER, said, reason="order_not_found")

    # -- helpers -------------------------------------------------------------------------------
    @property
    def _queue(self) -> str:
        return self.deps.settings.dialog.default_queue

    def _begin(self, intent: str) -> None:
        self.outcomes, self._said, self._intent = [], [], intent

    def _describe(self, outcome: ToolOutcome) -> str:
        return describe(outcome, today=date.today())  # the registry's default "today" too

    async def _call(self, tool: str, args: dict[str, Any]) -> ToolOutcome:
        outcome = await self.deps.registry.call(tool, args, self.state)
        self.outcomes.append(outcome)
        if outcome.allowed and outcome.result:
            self.state.facts[tool] = outcome.result
        return outcome

    def _partial_number(self, slot: Slot, text: str,
                        value: str | None) -> tuple[str | None, bool, str]:
        """A number said in two breaths ("five five one" ... "two three four"): the first part
        is kept and the caller prompted to go on; the next turn's digits complete it.

        Returns the value (or None), whether to wait for the rest, and the digits heard when
        they make a number of the wrong length. One digit short is taken as a digit lost to
        speech recognition (read back and asked again), not as half a number.
        """
        partial = self.state.slots.pop(_PARTIAL, "")
        if value is not None:
            return value, False, ""
        runs = slots.digit_runs_of(text, self.state.language)
        said = runs[-1] if runs else ""
        if not said:
            return None, False, ""
        if partial:
            value = slot.parse(partial + said, self.state.language)
            if value is not None:
                return value, False, ""
        if len(partial + said) <= slot.digits - 2:
            self.state.slots[_PARTIAL] = partial + said
            return None, True, ""
        return None, False, partial + said

    def _ask(self, slot: Slot, score: float, prefix: str = "") -> Reply:
        self.state.slots.pop(_PARTIAL, None)
        self.state.slots[_AWAITING] = slot.name
        self.state.slots.pop(_MISSES, None)  # a new question: its misses start from zero
        return self._reply(f"{prefix} {slot.question}", score)

    def _missed(self, slot: Slot, said: str = "", *, reason: str = "") -> Reply:
        """``slot`` again (``said`` says why), with the keypad suggested the second time; a
        person takes over after ``MAX_SLOT_MISSES``."""
        misses = int(self.state.slots.get(_MISSES, "0")) + 1
        if misses >= MAX_SLOT_MISSES:
            self._drop()
            said = said or "I'm sorry, I'm having trouble getting that."
            return self._reply(f"{said} {CONNECTING}", 0.0,
                               Transfer(self._queue, reason or f"slot_not_understood:{slot.name}"))
        self.state.slots[_MISSES] = str(misses)
        self.state.slots[_AWAITING] = slot.name
        hint = KEYPAD_HINT if slot.keypad and misses >= 2 else ""
        return self._reply(f"{said or NOT_UNDERSTOOD} {slot.question} {hint}", 0.3)

    def _finish_task(self, text: str, score: float) -> Reply:
        self._drop()
        return self._reply(f"{text} {ANYTHING_ELSE}", score)

    def _drop(self) -> None:
        self.state.task = None
        self.state.slots = {}

    def _reply(self, text: str, score: float, decision: Transfer | None = None) -> Reply:
        spoken = " ".join(" ".join([*self._said, text]).split())
        tools = tuple(self.outcomes)
        self.outcomes, self._said = [], []
        return Reply(spoken, self._intent, score, decision, tools=tools,
                     reason_codes=(f"task:{self.state.task or 'done'}",))
