"""Multi-step tasks of the embedded engine: identify and verify the caller, collect values, act.

A task first makes sure the caller is verified (its ``Identity``: which record the caller is,
and the value that proves it), then collects the values its action needs and calls the tool.
Every step goes through the ``ToolRegistry``: the same tools, permissions and audit as the LLM.
Values are read from speech (``dialog.embedded.slots``) or the keypad, and from the request
itself ("... number 551234"); a value not understood, or a number that matches nothing, is asked
again, then the keypad is suggested, then a person takes over.

This module is the machinery and knows no business: the tasks, their slots and the steps
particular to one business are the business's (``dialog.business``), handed to ``Tasks`` as a
mapping from task name to ``Task``. A business step is a function of the running ``Tasks``,
which offers it the steps every task shares (``ask``, ``missed``, ``call``, ``verify``,
``reply``, ``finish``...).

Everything is said in the caller's current language (``CallState.language``: English, Spanish,
French or German; English for another), from ``dialog.phrases.lines`` and
``dialog.phrases.outcomes``.

The task's progress lives in ``CallState.progress`` (a ``TaskProgress``), so a call carried
between ``frontdesk try`` runs, or back from a transfer, resumes where it was.

Over ~300 lines because what a task declares (``Slot``, ``Identity``, ``Task``) and the runner
that its steps call back into (``Tasks``) name each other: split, they would import each other.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from config.languages import supported
from config.policy import CallPolicy
from dialog.embedded import slots
from dialog.phrases.format import spoken_digits
from dialog.phrases.lines import Lines
from dialog.phrases.outcomes import describe
from dialog.privacy import PRIVATE_SLOTS
from dialog.state import CallState, TaskProgress
from dialog.tools.spec import ToolOutcome
from dialog.types import CallerTurn, Reply, Transfer
from dialog.understanding.classifier import Intent
from dialog.understanding.escalation import VERIFICATION_FAILED

if TYPE_CHECKING:
    from dialog.tools.registry import ToolRegistry

__all__ = [
    "ASK_WHAT",
    "MAX_SLOT_MISSES",
    "NOT_AN_ANSWER",
    "SKIPPED",
    "Identity",
    "Slot",
    "Task",
    "Tasks",
    "found",
    "moved_on",
    "prefill",
]

MAX_SLOT_MISSES = 3  # a value missed this many times in a row: a person takes over
OPTIONAL_MISSES = 2  # an optional value missed this many times is skipped
SKIPPED = "-"  # the value of an optional slot the caller declined ("no", "I don't know")
ASK_WHAT = "?"  # "yes" to a question that wants more than a yes: asked what it is
NOT_AN_ANSWER = "!"  # a question or an inquiry, not a value: the dialog answers it instead

# A business's steps, run by ``Tasks`` (the running task, the turn's score): None to go on.
Step = Callable[["Tasks", float], Awaitable["Reply | None"]]
Act = Callable[["Tasks", float], Awaitable[Reply]]
Check = Callable[["Tasks", "Slot", float], Awaitable["Reply | None"]]
NotFound = Callable[["Tasks", ToolOutcome, float], Reply]
Instead = Callable[["Tasks", str], Awaitable["Reply | None"]]
# What to say of a tool's outcome in this task; None: the stock sentence (``describe``).
Describe = Callable[["Tasks", ToolOutcome], "str | None"]


@dataclass(frozen=True)
class Slot:
    name: str
    question: str  # the phrase key (``dialog.phrases.say``) of the question asked for it
    parse: Callable[[str, str], str | None]  # (text, language) -> value
    keypad: bool = True  # digits typed on the keypad are accepted
    digits: int = 0  # a number of this many digits at most (0: not a number)
    optional: bool = False  # "no" skips it (value ``SKIPPED``), and so do repeated misses
    again: str = ""  # the lines key of the question asked again (default: ``question``)
    what: str = ""  # the lines key of "what is it?", asked after a bare "yes" (``ASK_WHAT``)
    # Spoken words with no value may give something else instead (a name for a number): the
    # reply that takes it, or None for a plain miss.
    instead: Instead | None = None
    # The answer is private (kept out of the records, ``dialog.privacy``); so is any slot
    # named like private data (``PRIVATE_SLOTS``).
    private: bool = False


@dataclass(frozen=True)
class Identity:
    """How a task finds and verifies its caller."""

    verify: Step  # None once the caller is verified, else the next question (or a handoff)
    slots: tuple[Slot, ...]  # every value it may ask for
    given: tuple[Slot, ...] = ()  # of those, the ones the request itself may give


@dataclass(frozen=True)
class Task:
    tool: str  # the action's tool
    args: Callable[[CallState], dict[str, Any]]  # the tool's arguments, from the call's state
    needs: tuple[Slot, ...] = ()  # the values collected, one by one, once the caller is verified
    identity: Identity | None = None  # None: anyone may ask
    # Run on each collected value before the next is asked (a record looked up early).
    check: Check | None = None
    # The tool found nothing the caller named: the reply (the value asked again).
    not_found: NotFound | None = None
    # A conversation of its own after verification, instead of ``needs`` and ``tool``...
    act: Act | None = None
    steps: tuple[Slot, ...] = ()  # ...and the values it asks for
    # The task's own sentences for its tools' outcomes (a business pack's lines).
    describe: Describe | None = None

    def slot(self, name: str) -> Slot:
        asked = (*(self.identity.slots if self.identity else ()), *self.needs, *self.steps)
        return next(slot for slot in asked if slot.name == name)


# -- pure decisions ---------------------------------------------------------------------------

def prefill(task: Task, text: str, language: str) -> dict[str, str]:
    """Values the request already gives ("... number 472913"), so they are not asked for.
    Verification values are always asked for."""
    wanted = (task.identity.given if task.identity else ()) + task.needs
    values = {slot.name: slot.parse(text, language) for slot in wanted}
    return {name: value for name, value in values.items() if value is not None}


def moved_on(intent: Intent, task: str | None) -> bool:
    """A turn that gives no value but asks for something else (a person, goodbye, another
    task): the task is dropped and the turn handled afresh. A question or chatter is a miss."""
    return intent.action not in ("counterweight", "answer") and intent.task != task


def found(outcome: ToolOutcome) -> bool:
    """False when the record the call named does not exist or is not the caller's (the two
    look the same to the caller)."""
    return outcome.reason != "not_owner" and (outcome.result or {}).get("found") is not False


class Tasks:
    def __init__(self, registry: ToolRegistry, state: CallState, lines: Lines,
                 policy: CallPolicy, tasks: Mapping[str, Task]) -> None:
        self.registry = registry
        self.state = state
        self.lines = lines
        self.policy = policy  # the call's verification attempts and default queue
        self.tasks = tasks
        self.outcomes: list[ToolOutcome] = []  # tool calls of the current turn
        self.said: list[str] = []  # sentences of this turn that come before the reply's own
        self._intent = "task"  # the intent the current turn's reply carries

    @property
    def progress(self) -> TaskProgress:
        return self.state.progress

    def expects_slot(self) -> bool:
        return self.state.task is not None and self.progress.awaiting is not None

    def awaiting(self) -> str | None:
        """The name of the slot whose question the caller was just asked, if any."""
        return self.progress.awaiting if self.expects_slot() else None

    def awaiting_private(self) -> bool:
        """The question the caller was just asked has a private answer (a ZIP code)."""
        if not self.expects_slot():
            return False
        slot = self._awaited()
        return slot.private or slot.name in PRIVATE_SLOTS

    def cancel(self) -> None:
        """Drop the task in progress (the caller pressed 0, or is leaving)."""
        self.drop()

    def pending_question(self) -> str | None:
        """The question the caller has yet to answer, if any, in the caller's language."""
        if not self.expects_slot():
            return None
        slot = self._awaited()
        return self.line(slot.again or slot.question)

    async def start(self, intent: Intent, turn: CallerTurn) -> Reply:
        assert intent.task is not None
        self._begin(intent.name)
        task = self.tasks.get(intent.task)
        if task is None:
            return self.reply(f"{self.line('task_unsupported')} {self.connecting}",
                              intent.score, Transfer(self.queue, "task_unsupported"))
        self.state.task = intent.task
        self.state.progress = TaskProgress(values=prefill(task, turn.text, self.lang),
                                           request=turn.text, intent=intent.name)
        reply = await self.advance(intent.score)
        if self.expects_slot() and not self.progress.misses:  # the task's first question
            reply = replace(reply, text=f"{self.line('task_sure')} {reply.text}")
        return reply

    async def answer(self, turn: CallerTurn, intent: Intent | None = None, *,
                     aside: bool = False) -> Reply | None:
        """The caller's answer to the question asked; None when it is not an answer at all
        and the engine should treat it afresh: the caller moved on to something else (the task
        is dropped), or ``aside``, a question of its own (the task keeps waiting)."""
        state, progress = self.state, self.progress
        self._begin(progress.intent or state.task or "task")
        slot = self._awaited()
        heard = ""
        if turn.dtmf is not None:
            digits = slots.parse_keypad_digits(turn.dtmf)
            # Typed digits go through the slot's parser too: a wrong length is a miss.
            value = slot.parse(digits, self.lang) if slot.keypad and digits else None
        else:
            value = slot.parse(turn.text, self.lang)
            if slot.digits:
                value, waiting, heard = self._partial_number(slot, turn.text, value)
                if waiting:
                    return self.reply(self.lines.get("go_on", state.language), 1.0)
        if value == ASK_WHAT:  # a bare "yes" to "anything to add?": asked what it is
            return self.reply(self.line(slot.what), 1.0)
        if value == NOT_AN_ANSWER:  # answered as an aside; the question is asked again
            return None
        if value is None:
            if intent is not None and moved_on(intent, state.task):
                self.drop()
                return None
            if heard:  # a number of the wrong length: say what was heard, so it can be fixed
                return self.missed(slot, self.line("heard_digits", digits=spoken_digits(heard),
                                                   count=str(slot.digits)))
            if aside:
                return None
            if slot.instead is not None and turn.dtmf is None:
                other = await slot.instead(self, turn.text)
                if other is not None:
                    return other
            if not slot.optional or progress.misses + 1 < OPTIONAL_MISSES:
                return self.missed(slot)
            value = SKIPPED  # an optional question not understood twice: left out
        progress.awaiting = None
        progress.values[slot.name] = value
        return await self.advance(1.0)

    # -- the steps ---------------------------------------------------------------------------
    async def advance(self, score: float) -> Reply:
        """The task's next step: verify the caller, then its own conversation, or collect the
        values it needs and call its tool."""
        task = self.tasks[self.state.task or ""]
        if task.identity is not None and not self.state.verified:
            identified = await task.identity.verify(self, score)
            if identified is not None:
                return identified
        if task.act is not None:
            return await task.act(self, score)
        values = self.progress.values
        for slot in task.needs:
            if slot.name not in values:
                return self.ask(slot, score)
            if task.check is not None:
                problem = await task.check(self, slot, score)
                if problem is not None:
                    return problem
        outcome = await self.call(task.tool, task.args(self.state))
        if outcome.reason == "needs_human":
            return self.needs_human(outcome, score)
        if task.not_found is not None and not found(outcome):
            return task.not_found(self, outcome, score)
        return self.finish(self.describe(outcome), score)

    async def verify(self, check: Slot, tool: str, args: Callable[[str], dict[str, Any]],
                     score: float) -> Reply | None:
        """Ask for ``check`` and verify the caller with it through ``tool``: None once
        verified; asked again after a failure, a person after too many."""
        state = self.state
        if check.name not in self.progress.values:
            return self.ask(check, score)
        value = self.progress.values.pop(check.name)
        verified = await self.call(tool, args(value))
        if state.verified:
            # Said before whatever comes next (the next question or the task's result).
            self.said.append(self.describe(verified))
            return None
        if state.verification_failures >= self.policy.verification_attempts:
            said = self.describe(verified)
            self.drop()
            return self.reply(f"{said} {self.connecting}", score,
                              Transfer(self.queue, VERIFICATION_FAILED))
        return self.ask(check, score, prefix=self.describe(verified))

    def needs_human(self, outcome: ToolOutcome, score: float) -> Reply:
        request = str((outcome.result or {}).get("request") or outcome.name)
        self.drop()
        return self.reply(self.lines.get("needs_human", self.state.language), score,
                          Transfer(self.queue, "needs_human", request=request))

    # -- helpers -------------------------------------------------------------------------------
    @property
    def queue(self) -> str:
        return self.policy.default_queue

    @property
    def lang(self) -> str:
        """The language values are read in (one of the four the parsers know)."""
        return supported(self.state.language)

    @property
    def connecting(self) -> str:
        return self.line("task_connecting")

    def line(self, key: str, **values: str) -> str:
        return self.lines.get(key, self.state.language, **values)

    def _begin(self, intent: str) -> None:
        self.outcomes, self.said, self._intent = [], [], intent

    def _awaited(self) -> Slot:
        return self.tasks[self.state.task or ""].slot(self.progress.awaiting or "")

    def describe(self, outcome: ToolOutcome) -> str:
        task = self.tasks.get(self.state.task or "")
        if task is not None and task.describe is not None:
            said = task.describe(self, outcome)
            if said is not None:
                return said
        # "today" as the registry's default sees it
        return describe(outcome, today=date.today(), language=self.state.language)

    async def call(self, tool: str, args: dict[str, Any]) -> ToolOutcome:
        outcome = await self.registry.call(tool, args, self.state, policy=self.policy)
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
        partial, self.progress.partial = self.progress.partial, ""
        if value is not None:
            return value, False, ""
        runs = slots.digit_runs_of(text, self.lang)
        said = runs[-1] if runs else ""
        if not said:
            return None, False, ""
        if partial:
            value = slot.parse(partial + said, self.lang)
            if value is not None:
                return value, False, ""
        if len(partial + said) <= slot.digits - 2:
            self.progress.partial = partial + said
            return None, True, ""
        return None, False, partial + said

    def ask(self, slot: Slot, score: float, prefix: str = "", **values: str) -> Reply:
        progress = self.progress
        progress.partial = ""
        progress.awaiting = slot.name
        progress.misses = 0  # a new question: its misses start from zero
        return self.reply(f"{prefix} {self.line(slot.question, **values)}", score)

    def missed(self, slot: Slot, said: str = "", *, reason: str = "",
               search: bool = False) -> Reply:
        """``slot`` again (``said`` says why), with the keypad suggested the second time; a
        person takes over after ``MAX_SLOT_MISSES`` (of the slot, or with ``search`` of the
        searches by other values that found nothing)."""
        progress = self.progress
        misses = (progress.search_misses if search else progress.misses) + 1
        if misses >= MAX_SLOT_MISSES:
            self.drop()
            said = said or self.line("trouble")
            return self.reply(f"{said} {self.connecting}", 0.0,
                              Transfer(self.queue, reason or f"slot_not_understood:{slot.name}"))
        if search:
            progress.misses, progress.search_misses = 0, misses
        else:
            progress.misses = misses
        progress.awaiting = slot.name
        hint = self.line("keypad_hint") if slot.keypad and misses >= 2 else ""
        question = self.line(slot.again or slot.question)
        if not said:
            said = "" if slot.again else self.line("not_understood")
        return self.reply(f"{said} {question} {hint}", 0.3)

    def finish(self, text: str, score: float) -> Reply:
        """The task is done: ``text``, then "anything else?"."""
        self.drop()
        return self.reply(f"{text} {self.line('anything_else_q')}", score)

    def drop(self) -> None:
        self.state.task = None
        self.state.progress = TaskProgress()

    def reply(self, text: str, score: float, decision: Transfer | None = None) -> Reply:
        spoken = " ".join(" ".join([*self.said, text]).split())
        tools = tuple(self.outcomes)
        self.outcomes, self.said = [], []
        return Reply(spoken, self._intent, score, decision, tools=tools,
                     reason_codes=(f"task:{self.state.task or 'done'}",),
                     language=self.state.language)
