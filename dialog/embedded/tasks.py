"""Multi-step tasks of the embedded engine: identify and verify the caller, collect values, act.

A task (check in, order status, refund...) first makes sure the caller is verified: the hotel
finds the reservation by its confirmation number, or by the guest's last name (said, spelled
letter by letter or in the NATO alphabet) and arrival date, and verifies the guest with the ZIP
code or the card's last four digits; the support line finds the account by caller ID and
verifies the ZIP code. Then it collects the values the action needs (an order number, an
amount, a time) and calls the tool. Every step goes through the ``ToolRegistry``: the same
tools, permissions and audit as the LLM. Values are read from speech (``dialog.embedded.slots``) or
the keypad, and from the request itself ("where is order 551234?"); a value not understood, or a
number that matches nothing, is asked again, then the keypad is suggested, then a person takes
over.

Checking in goes on after verification (``CHECK_IN_STEPS``, ``Tasks._check_in``): a
reservation that does not start today, or is already checked in, is said so (with its room);
otherwise the dates, room type and guests are confirmed (a "no" goes to a person), the arrival
time and special requests are asked (both optional: "no" skips), a room is assigned and its key
said, and a confirmation text is sent.

Everything is said in the caller's current language (``CallState.language``: English, Spanish,
French or German; English for another), from ``dialog.phrases.lines`` and
``dialog.phrases.outcomes``.

The task's progress lives in ``CallState.slots`` (keys starting with "_" are bookkeeping), so a
call carried between ``frontdesk try`` runs resumes where it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from config.languages import supported
from config.settings import EscalationSettings
from dialog.embedded import slots
from dialog.phrases.lines import Lines
from dialog.phrases.outcomes import (
    describe,
    guests,
    room_type,
    spoken_date,
    spoken_digits,
)
from dialog.state import CallState
from dialog.tools.spec import ToolOutcome
from dialog.types import CallerTurn, Reply, Transfer
from dialog.understanding.classifier import Intent
from dialog.understanding.escalation import VERIFICATION_FAILED

if TYPE_CHECKING:
    from dialog.deps import DialogDeps

__all__ = [
    "CHECK_IN_STEPS",
    "MAX_SLOT_MISSES",
    "SKIPPED",
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
OPTIONAL_MISSES = 2  # an optional value missed this many times is skipped
SKIPPED = "-"  # the value of an optional slot the caller declined ("no", "I don't know")
_ASK_WHAT = "?"  # "yes" to "any special requests?": asked what they are
_NOT_AN_ANSWER = "!"  # a question or an inquiry, not a value: the dialog answers it instead
_FEW_WORDS = 3  # "No, thank you." is a no; "No smoking room, please" is a request
# Slot keys for the task's bookkeeping (never a slot's name).
_AWAITING = "_awaiting"  # the slot whose question was just asked
_MISSES = "_misses"  # misses of that slot in a row
_NAME_MISSES = "_name_misses"  # searches by last name and arrival date that found nothing
_NAME_ASKED = "_name_asked"  # the caller was asked for the name instead of the number
_REQUEST = "_request"  # what the caller said to start the task (the ticket, the refund reason)
_INTENT = "_intent"  # the intent that started the task (each of its replies carries it)
_CHECKED = "_order_checked"  # a refund's order was found on the caller's account
_PARTIAL = "_partial"  # the first digits of a number the caller paused in the middle of
_STAY = "_stay"  # the reservation whose details this check-in has read (in ``facts``)


@dataclass(frozen=True)
class Slot:
    name: str
    question: str  # the ``dialog.phrases.lines`` key of the question asked for it
    parse: Callable[[str, str], str | None]  # (text, language) -> value
    keypad: bool = True  # digits typed on the keypad are accepted
    digits: int = 0  # a number of this many digits at most (0: not a number)
    optional: bool = False  # "no" skips it (value ``SKIPPED``), and so do repeated misses
    again: str = ""  # the lines key of the question asked again (default: ``question``)


def _amount(text: str, language: str) -> str | None:
    value = slots.parse_amount(text, language)
    return None if value is None else str(value)


def _verification(text: str, language: str) -> str | None:
    return slots.parse_postal_code(text, language) or slots.parse_last_four(text, language)


def _time(text: str, language: str) -> str | None:
    # A number of five digits or more (a confirmation number, a ZIP code) is not a time, even
    # after "at" ("at 5 9 0 1 2 7" is not 17:00).
    if slots.parse_digits(text, language, min_len=5, max_len=64):
        return None
    # "at 1" is 1 PM: nobody checks out (or arrives) at one in the morning.
    value = slots.parse_time(text, language, assume_pm_before=8)
    return None if value is None else value.strftime("%H:%M")


def _last_name(text: str, language: str) -> str | None:
    return None if slots.says_not_known(text, language) else slots.parse_name(text, language)


def _arrival_date(text: str, language: str) -> str | None:
    day = slots.parse_date(text, language, date.today())  # the registry's default "today" too
    return None if day is None else day.isoformat()


_YES_NO_KEYS = {"1": "yes", "2": "no"}  # on the keypad, as the question asked again says


def _yes_no(text: str, language: str) -> str | None:
    if text.strip() in _YES_NO_KEYS:
        return _YES_NO_KEYS[text.strip()]
    answer = slots.parse_yes_no(text, language)
    return None if answer is None else "yes" if answer else "no"


def _arrival_time(text: str, language: str) -> str | None:
    if text.isdigit():  # keyed as the question says: four digits, 24-hour clock ("1930")
        hours, minutes = divmod(int(text), 100)
        return f"{hours:02d}:{minutes:02d}" if len(text) in (3, 4) and hours < 24 \
            and minutes < 60 else None
    value = _time(text, language)
    if value is None and (slots.says_not_known(text, language)
                          or slots.parse_yes_no(text, language) is False):
        return SKIPPED
    return value


def _requests(text: str, language: str) -> str | None:
    answer, words = slots.parse_yes_no(text, language), len(text.split())
    if slots.says_nothing(text, language) or (answer is False and words <= _FEW_WORDS):
        return SKIPPED
    if answer is True and words <= _FEW_WORDS:
        return _ASK_WHAT
    if slots.is_inquiry(text, language):  # a question, someone else's booking or bill
        return _NOT_AN_ANSWER
    return " ".join(text.split())[:300] or None


CONFIRMATION = Slot("confirmation", "q_confirmation", slots.parse_confirmation, digits=6)
LAST_NAME = Slot("last_name", "q_last_name", _last_name, keypad=False)
ARRIVAL_DATE = Slot("arrival_date", "q_arrival_date", _arrival_date, keypad=False)
GUEST_CHECK = Slot("verification", "q_guest_check", _verification, digits=5)
CUSTOMER_CHECK = Slot("postal_code", "q_customer_check", slots.parse_postal_code, digits=5)
ORDER = Slot("order_number", "q_order", slots.parse_order_number, digits=6)
AMOUNT = Slot("amount", "q_amount", _amount, keypad=False)
CHECKOUT_TIME = Slot("checkout_time", "q_checkout_time", _time, keypad=False)
DETAILS = Slot("details_ok", "q_details", _yes_no, again="q_details_again")
ARRIVAL_TIME = Slot("arrival_time", "q_arrival_time", _arrival_time, optional=True)
REQUESTS = Slot("requests", "q_requests", _requests, keypad=False, optional=True)
# What checking in asks once the guest is verified, in order.
CHECK_IN_STEPS = (DETAILS, ARRIVAL_TIME, REQUESTS)
_SLOTS = {slot.name: slot for slot in (CONFIRMATION, LAST_NAME, ARRIVAL_DATE, GUEST_CHECK,
                                       CUSTOMER_CHECK, ORDER, AMOUNT, CHECKOUT_TIME,
                                       *CHECK_IN_STEPS)}


@dataclass(frozen=True)
class Task:
    identity: str  # "reservation" | "customer"
    needs: tuple[Slot, ...]
    tool: str  # the action's tool
    # (collected slots, the verified reservation's confirmation or "") -> the tool's arguments
    args: Callable[[dict[str, str], str], dict[str, Any]]
    # Look the order up as soon as its number is given, before asking for anything else.
    check_order: bool = False
    # The check-in conversation (``CHECK_IN_STEPS``) runs after verification.
    check_in: bool = False


def _booking(extra: Callable[[dict[str, str]], dict[str, Any]] = lambda s: {}):
    def args(values: dict[str, str], confirmation: str) -> dict[str, Any]:
        return {**({"confirmation": confirmation} if confirmation else {}), **extra(values)}
    return args


TASKS: dict[str, Task] = {
    "check_in": Task("reservation", (), "assign_room", _booking(), check_in=True),
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
    def __init__(self, deps: DialogDeps, state: CallState, lines: Lines,
                 escalation: EscalationSettings) -> None:
        self.deps = deps
        self.state = state
        self.lines = lines
        self.escalation = escalation
        self.outcomes: list[ToolOutcome] = []  # tool calls of the current turn
        self._said: list[str] = []  # sentences of this turn that come before the reply's own
        self._intent = "task"  # the intent the current turn's reply carries

    def expects_slot(self) -> bool:
        return self.state.task is not None and _AWAITING in self.state.slots

    def awaiting(self) -> str | None:
        """The name of the slot whose question the caller was just asked, if any."""
        return self.state.slots.get(_AWAITING) if self.expects_slot() else None

    def cancel(self) -> None:
        """Drop the task in progress (the caller pressed 0, or is leaving)."""
        self._drop()

    def pending_question(self) -> str | None:
        """The question the caller has yet to answer, if any, in the caller's language."""
        if not self.expects_slot():
            return None
        slot = _SLOTS[self.state.slots[_AWAITING]]
        return self._line(slot.again or slot.question)

    async def start(self, intent: Intent, turn: CallerTurn) -> Reply:
        assert intent.task is not None
        self._begin(intent.name)
        task = TASKS.get(intent.task)
        if task is None:
            return self._reply(f"{self._line('task_unsupported')} {self._connecting}",
                               intent.score, Transfer(self._queue, "task_unsupported"))
        self.state.task = intent.task
        self.state.slots = {_REQUEST: turn.text, _INTENT: intent.name,
                            **prefill(task, turn.text, self._lang)}
        reply = await self._advance(intent.score)
        if self.expects_slot() and _MISSES not in self.state.slots:  # the task's first question
            reply = replace(reply, text=f"{self._line('task_sure')} {reply.text}")
        return reply

    async def answer(self, turn: CallerTurn, intent: Intent | None = None, *,
                     aside: bool = False) -> Reply | None:
        """The caller's answer to the question asked; None when it is not an answer at all
        and the engine should treat it afresh: the caller moved on to something else (the task
        is dropped), or ``aside``, a question of its own (the task keeps waiting)."""
        state = self.state
        self._begin(state.slots.get(_INTENT) or state.task or "task")
        slot = _SLOTS[state.slots[_AWAITING]]
        heard = ""
        if turn.dtmf is not None:
            digits = slots.parse_keypad_digits(turn.dtmf)
            # Typed digits go through the slot's parser too: a wrong length is a miss.
            value = slot.parse(digits, self._lang) if slot.keypad and digits else None
        else:
            value = slot.parse(turn.text, self._lang)
            if slot.digits:
                value, waiting, heard = self._partial_number(slot, turn.text, value)
                if waiting:
                    return self._reply(self.lines.get("go_on", state.language), 1.0)
        if value == _ASK_WHAT:  # "yes" to "any special requests?"
            return self._reply(self._line("q_requests_what"), 1.0)
        if value == _NOT_AN_ANSWER:  # answered as an aside; the question is asked again
            return None
        if value is None:
            if intent is not None and moved_on(intent, state.task):
                self._drop()
                return None
            if heard:  # a number of the wrong length: say what was heard, so it can be fixed
                return self._missed(slot, self._line("heard_digits", digits=spoken_digits(heard),
                                                     count=str(slot.digits)))
            if aside:
                return None
            if slot is CONFIRMATION and turn.dtmf is None:
                by_name = await self._name_instead(turn.text)
                if by_name is not None:
                    return by_name
            if not slot.optional or int(state.slots.get(_MISSES, "0")) + 1 < OPTIONAL_MISSES:
                return self._missed(slot)
            value = SKIPPED  # an optional question not understood twice: left out
        del state.slots[_AWAITING]
        state.slots[slot.name] = value
        return await self._advance(1.0)

    # -- the steps ---------------------------------------------------------------------------
    async def _advance(self, score: float) -> Reply:
        task = TASKS[self.state.task or ""]
        identified = await self._identify(task, score)
        if identified is not None:
            return identified
        if task.check_in:
            return await self._check_in(score)
        values = self.state.slots
        for slot in task.needs:
            if slot.name not in values:
                return self._ask(slot, score)
            if slot is ORDER and task.check_order and _CHECKED not in values:
                check = await self._call("get_order_status", {"order_number": values[ORDER.name]})
                if not found(check) or not check.allowed:
                    return self._order_problem(check, score)
                values[_CHECKED] = "1"
        outcome = await self._call(task.tool, task.args(values, self._confirmation(task)))
        if outcome.reason == "needs_human":
            return self._needs_human(outcome, score)
        if ORDER in task.needs and not found(outcome):
            return self._order_problem(outcome, score)
        return self._finish_task(self._describe(outcome), score)

    def _confirmation(self, task: Task) -> str:
        # The reservation the caller named, else the verified one. Another guest's number is
        # the tool's to refuse (governance: not the caller's), never silently swapped.
        if task.identity != "reservation":
            return ""
        return self.state.slots.get(CONFIRMATION.name) or self.state.candidate_id or ""

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
                    return self._reply(f"{self._describe(lookup)} {self._connecting}", score,
                                       Transfer(self._queue, "customer_not_found"))
            check, tool = CUSTOMER_CHECK, "verify_customer"
        else:
            number = state.slots.get(CONFIRMATION.name)
            if number is None:
                if LAST_NAME.name not in state.slots:
                    return self._ask(CONFIRMATION, score)
                if ARRIVAL_DATE.name not in state.slots:
                    return self._ask(ARRIVAL_DATE, score)
                return await self._find_by_name(score)
            if state.candidate_id != number:  # not looked up yet (or another reservation)
                reservation = await self._call("find_reservation", {"confirmation": number})
                if state.candidate_id != number:
                    del state.slots[CONFIRMATION.name]
                    said = (self._line("no_reservation_number", digits=spoken_digits(number))
                            if not found(reservation) else self._describe(reservation))
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
        if state.verification_failures >= self.escalation.verification_attempts:
            self._drop()
            return self._reply(f"{self._describe(verified)} {self._connecting}", score,
                               Transfer(self._queue, VERIFICATION_FAILED))
        return self._ask(check, score, prefix=self._describe(verified))

    async def _name_instead(self, text: str) -> Reply | None:
        """The answer to "what is your confirmation number?" has no number: a name given
        instead ("a nombre de Mendoza", "M E N D O Z A") is taken, and a caller without the
        number ("I don't have it") is asked for the name, once. None: a plain miss."""
        state = self.state
        name = slots.parse_name(text, self._lang, alone=False)
        if name is None and _NAME_ASKED in state.slots:
            return None
        state.slots[_NAME_ASKED] = "1"
        del state.slots[_AWAITING]
        if name is None:
            return self._ask(LAST_NAME, 1.0)
        state.slots[LAST_NAME.name] = name
        return await self._advance(1.0)

    async def _find_by_name(self, score: float) -> Reply:
        state = self.state
        name, day = state.slots.pop(LAST_NAME.name), state.slots.pop(ARRIVAL_DATE.name)
        lookup = await self._call("find_reservation", {"last_name": name, "arrival_date": day})
        data = lookup.result or {}
        if lookup.reason == "ok" and data.get("found") and state.candidate_id:
            state.slots[CONFIRMATION.name] = state.candidate_id
            return self._ask(GUEST_CHECK, score, prefix=self._describe(lookup))
        if data.get("ambiguous"):  # two guests of that name arrive that day
            state.slots[_NAME_ASKED] = "1"
            return self._ask(CONFIRMATION, score, prefix=self._describe(lookup))
        said = self._describe(lookup) if lookup.failed else self._line(
            "no_reservation_name", name=name, date=spoken_date(day, date.today(), self._lang))
        return self._missed(LAST_NAME, said, reason="reservation_not_found",
                            counter=_NAME_MISSES)

    async def _check_in(self, score: float) -> Reply:
        """The verified guest's check-in: confirm the stay, arrival time and requests, then a
        room, its key and a confirmation text."""
        values = self.state.slots
        confirmation = self._confirmation(TASKS["check_in"])
        stay = await self._stay(confirmation)
        if not stay.get("arrives_today") or stay.get("status") != "booked":
            # Not today, cancelled or already checked in: the tool says which (and the room).
            return await self._assign(confirmation, score, [])
        if values.get(DETAILS.name) == "no":
            self._drop()
            return self._reply(f"{self._line('details_wrong')} {self._connecting}", score,
                               Transfer(self._queue, "reservation_details_wrong", request=(
                                   f"Correct reservation {confirmation} before check-in: the "
                                   "guest says the dates, room type or guests are wrong")))
        for slot in CHECK_IN_STEPS:
            if slot.name in values:
                continue
            if slot is not DETAILS:
                return self._ask(slot, score)
            lang, today = self._lang, date.today()
            return self._ask(slot, score, room=room_type(stay.get("room_type"), lang),
                             guests=guests(stay.get("adults"), stay.get("children"), lang),
                             arrival=spoken_date(stay.get("arrival_date"), today, lang),
                             departure=spoken_date(stay.get("departure_date"), today, lang))
        said = []
        details = {key: values[slot.name] for key, slot in (("arrival_time", ARRIVAL_TIME),
                                                            ("requests", REQUESTS))
                   if values[slot.name] != SKIPPED}
        if details:
            noted = await self._call("set_arrival_details", {"confirmation": confirmation,
                                                             **details})
            if noted.reason == "ok":
                said.append(self._describe(noted))
        return await self._assign(confirmation, score, said)

    async def _stay(self, confirmation: str) -> dict[str, Any]:
        """The reservation as its verified guest sees it (from verification, else looked up)."""
        fresh = [o.result for o in self.outcomes if o.name == "verify_guest" and o.result]
        if self.state.slots.get(_STAY) == confirmation:  # read earlier in this task
            fresh += [self.state.facts.get("verify_guest"),
                      self.state.facts.get("find_reservation")]
        for known in fresh:
            if (known or {}).get("confirmation") == confirmation and "arrives_today" in known:
                self.state.slots[_STAY] = confirmation
                return known
        lookup = await self._call("find_reservation", {"confirmation": confirmation})
        self.state.slots[_STAY] = confirmation
        return (lookup.result or {}) if lookup.reason == "ok" else {}

    async def _assign(self, confirmation: str, score: float, said: list[str]) -> Reply:
        """A room and its key (or why not), then the confirmation text for a new check-in."""
        room = await self._call("assign_room", {"confirmation": confirmation})
        if room.reason == "needs_human":
            return self._needs_human(room, score)
        said.append(self._describe(room))
        data = room.result or {}
        if room.reason == "ok" and data.get("checked_in") and not data.get("already_checked_in"):
            sent = await self._call("send_confirmation", {"confirmation": confirmation})
            said.append(self._describe(sent))
        return self._finish_task(" ".join(said), score)

    def _order_problem(self, outcome: ToolOutcome, score: float) -> Reply:
        """An order that is not the caller's (or does not exist) is asked for again; any other
        problem (the system is down) ends the task with what happened."""
        if found(outcome):
            return self._finish_task(self._describe(outcome), score)
        number = self.state.slots.pop(ORDER.name, "")
        self.state.slots.pop(_CHECKED, None)
        said = self._line("no_order", digits=spoken_digits(number))
        return self._missed(ORDER, said, reason="order_not_found")

    def _needs_human(self, outcome: ToolOutcome, score: float) -> Reply:
        request = str((outcome.result or {}).get("request") or outcome.name)
        self._drop()
        return self._reply(self.lines.get("needs_human", self.state.language), score,
                           Transfer(self._queue, "needs_human", request=request))

    # -- helpers -------------------------------------------------------------------------------
    @property
    def _queue(self) -> str:
        return self.deps.settings.dialog.default_queue

    @property
    def _lang(self) -> str:
        """The language values are read in (one of the four the parsers know)."""
        return supported(self.state.language)

    @property
    def _connecting(self) -> str:
        return self._line("task_connecting")

    def _line(self, key: str, **values: str) -> str:
        return self.lines.get(key, self.state.language, **values)

    def _begin(self, intent: str) -> None:
        self.outcomes, self._said, self._intent = [], [], intent

    def _describe(self, outcome: ToolOutcome) -> str:
        # "today" as the registry's default sees it
        return describe(outcome, today=date.today(), language=self.state.language)

    async def _call(self, tool: str, args: dict[str, Any]) -> ToolOutcome:
        outcome = await self.deps.registry.call(
            tool, args, self.state, verification_attempts=self.escalation.verification_attempts)
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
        runs = slots.digit_runs_of(text, self._lang)
        said = runs[-1] if runs else ""
        if not said:
            return None, False, ""
        if partial:
            value = slot.parse(partial + said, self._lang)
            if value is not None:
                return value, False, ""
        if len(partial + said) <= slot.digits - 2:
            self.state.slots[_PARTIAL] = partial + said
            return None, True, ""
        return None, False, partial + said

    def _ask(self, slot: Slot, score: float, prefix: str = "", **values: str) -> Reply:
        self.state.slots.pop(_PARTIAL, None)
        self.state.slots[_AWAITING] = slot.name
        self.state.slots.pop(_MISSES, None)  # a new question: its misses start from zero
        return self._reply(f"{prefix} {self._line(slot.question, **values)}", score)

    def _missed(self, slot: Slot, said: str = "", *, reason: str = "",
                counter: str = _MISSES) -> Reply:
        """``slot`` again (``said`` says why), with the keypad suggested the second time; a
        person takes over after ``MAX_SLOT_MISSES`` (counted in ``counter``)."""
        misses = int(self.state.slots.get(counter, "0")) + 1
        if misses >= MAX_SLOT_MISSES:
            self._drop()
            said = said or self._line("trouble")
            return self._reply(f"{said} {self._connecting}", 0.0,
                               Transfer(self._queue, reason or f"slot_not_understood:{slot.name}"))
        if counter != _MISSES:
            self.state.slots.pop(_MISSES, None)
        self.state.slots[counter] = str(misses)
        self.state.slots[_AWAITING] = slot.name
        hint = self._line("keypad_hint") if slot.keypad and misses >= 2 else ""
        question = self._line(slot.again or slot.question)
        if not said:
            said = "" if slot.again else self._line("not_understood")
        return self._reply(f"{said} {question} {hint}", 0.3)

    def _finish_task(self, text: str, score: float) -> Reply:
        self._drop()
        return self._reply(f"{text} {self._line('anything_else_q')}", score)

    def _drop(self) -> None:
        self.state.task = None
        self.state.slots = {}

    def _reply(self, text: str, score: float, decision: Transfer | None = None) -> Reply:
        spoken = " ".join(" ".join([*self._said, text]).split())
        tools = tuple(self.outcomes)
        self.outcomes, self._said = [], []
        return Reply(spoken, self._intent, score, decision, tools=tools,
                     reason_codes=(f"task:{self.state.task or 'done'}",),
                     language=self.state.language)
