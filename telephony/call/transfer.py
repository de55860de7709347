"""A call's transfer to a person: cold (Twilio dials the queue's number) or warm (the caller
waits in a conference while an agent is briefed, ``telephony.transfer.warm``), and, when no agent
takes it, the choice offered to the caller back with the AI: a callback or the next agent.

Where the transfer is, is one ``TransferStage``; ``next_stage`` holds every move between stages:

    NONE --place--> PLACING --held--> PLACED (Twilio has the caller: the stream ends)
                    PLACING --not placed--> NONE (the call goes on; a warm handoff is offered)
    NONE --offer--> OFFERED --place--> RETRYING --held--> PLACED
                    OFFERED --settle--> NONE (a callback, or withdrawn)
                               RETRYING --not placed--> OFFERED

Besides its stage, a warm transfer may have a handoff stored ahead: once the dialog decides on a
transfer to a warm queue, the handoff and its briefing are stored while the caller hears the line
announcing it, so the agent's desktop shows it at once.

Over ~300 lines because the stages and what each step does at Twilio, in the handoff store and
to the caller are one state machine: split, each half would have to re-check the other's stage.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING, Protocol

from loguru import logger
from starlette.websockets import WebSocket

from config import QueueSettings
from config.rules import Rules
from dialog.briefing import Briefing, TurnRecord, build_briefing, summarize_with_llm
from dialog.manager import DialogManager
from dialog.phrases.say import say
from dialog.state import CallState
from dialog.types import Callback, Transfer, Withdraw
from telephony.twilio.security import external_url, http_base

if TYPE_CHECKING:
    from telephony.runtime import Runtime

__all__ = ["CallSide", "Step", "TransferFlow", "TransferStage", "next_stage"]


class TransferStage(Enum):
    NONE = "none"  # no transfer under way, no choice offered
    PLACING = "placing"  # being placed at Twilio (cold or warm)
    PLACED = "placed"  # Twilio has the caller (an agent's line or the conference)
    OFFERED = "offered"  # no agent took it: the caller is offered a callback or the next agent
    RETRYING = "retrying"  # the caller chose the next agent: the same handoff, placed again


class Step(Enum):
    PLACE = "place"  # a transfer the dialog decided is carried out
    HELD = "held"  # Twilio moved the caller
    NOT_PLACED = "not_placed"  # the caller stays with the AI
    OFFER = "offer"  # the caller hears the choice
    SETTLE = "settle"  # the caller chose a callback, or to go on without one


_MOVES: dict[tuple[TransferStage, Step], TransferStage] = {
    (TransferStage.NONE, Step.PLACE): TransferStage.PLACING,
    (TransferStage.PLACING, Step.HELD): TransferStage.PLACED,
    (TransferStage.PLACING, Step.NOT_PLACED): TransferStage.NONE,
    (TransferStage.NONE, Step.OFFER): TransferStage.OFFERED,  # a stream back from a transfer
    (TransferStage.OFFERED, Step.OFFER): TransferStage.OFFERED,
    (TransferStage.OFFERED, Step.PLACE): TransferStage.RETRYING,
    (TransferStage.OFFERED, Step.SETTLE): TransferStage.NONE,
    (TransferStage.RETRYING, Step.HELD): TransferStage.PLACED,
    (TransferStage.RETRYING, Step.NOT_PLACED): TransferStage.OFFERED,
}


def next_stage(stage: TransferStage, step: Step) -> TransferStage:
    """The stage after ``step``; a step the stage does not allow is a bug (ValueError)."""
    try:
        return _MOVES[stage, step]
    except KeyError:
        raise ValueError(f"transfer: no {step.value} step from {stage.value}") from None


Record = Callable[..., None]  # (fn, *args, **kwargs): a write queued to the call's records


class CallSide(Protocol):
    """What the transfer flow asks of the call it belongs to (``telephony.call.session``)."""

    call_sid: str
    state: CallState

    @property
    def engine(self) -> DialogManager: ...

    @property
    def rules(self) -> Rules | None: ...

    async def drain_records(self) -> None: ...

    async def finish(self, reason: str) -> None: ...

    def carry_on(self) -> None:
        """The decision is over and the call goes on (prompts resume; a later request may try
        again)."""

    async def say(self, text: str) -> None:
        """Say a line outside the turns."""

    async def speak_turn(self, text: str, intent: str) -> None:
        """Say a line of the call's own as a recorded turn."""


class TransferFlow:
    """One call's transfer: its stage, the handoff offered or retried, and one stored ahead."""

    def __init__(self, call: CallSide, runtime: Runtime, websocket: WebSocket, *,
                 record: Record, event: Callable[[str, dict], None]) -> None:
        """``record`` queues a write to the call's records; ``event`` records an event."""
        self._call = call
        self._record = record
        self._event = event
        self._runtime = runtime
        self._settings = runtime.settings
        self._websocket = websocket
        self.stage = TransferStage.NONE
        self._reason = ""  # how the call ends when the transfer is placed
        self._handoff: str | None = None  # offered (or being retried)
        self._prepared: asyncio.Task[str] | None = None  # a handoff being stored, not placed

    def _move(self, step: Step) -> None:
        self.stage = next_stage(self.stage, step)

    @property
    def ending(self) -> str | None:
        """How the call ends while a transfer is at Twilio (``transferred:<queue>``,
        ``warm_transfer:<queue>``), None otherwise: the stream's ``stop`` is not the caller
        hanging up."""
        placing = (TransferStage.PLACING, TransferStage.RETRYING, TransferStage.PLACED)
        return self._reason if self.stage in placing else None

    def _queue(self, name: str) -> QueueSettings | None:
        return self._call.engine.policy.queue(name)

    # -- the dialog's decisions, as each reply is recorded ----------------------------------
    def decided(self, decision: object) -> None:
        """A reply's decision, before its line is spoken: the caller's answer to the choice
        settles the handoff; a transfer to a warm queue has its handoff stored ahead."""
        if isinstance(decision, (Callback, Withdraw)):
            self._settle(decision)
        elif isinstance(decision, Transfer):
            self._prepare_handoff(decision)

    def _settle(self, decision: Callback | Withdraw) -> None:
        """The caller answered the choice: the handoff becomes a callback request, or is
        withdrawn."""
        if self.stage is not TransferStage.OFFERED:
            return
        assert self._handoff is not None
        handoff_id, self._handoff = self._handoff, None
        self._move(Step.SETTLE)
        if isinstance(decision, Callback):
            self._record(self._runtime.handoffs.settle, handoff_id, "callback",
                              callback_number=decision.number)
        else:
            self._record(self._runtime.handoffs.settle, handoff_id, "withdrawn")

    def _prepare_handoff(self, decision: Transfer) -> None:
        """A transfer to a warm queue was decided: store the handoff with its briefing now,
        while the caller hears the line announcing it, so the desktop shows it at once."""
        config = self._queue(decision.queue)
        offered = self.stage in (TransferStage.OFFERED, TransferStage.RETRYING)
        if not offered and self._prepared is None and config is not None \
                and config.transfer == "warm":
            self._prepared = asyncio.create_task(self._store_handoff(decision, config))

    async def _store_handoff(self, decision: Transfer, config: QueueSettings) -> str:
        await self._call.drain_records()  # the briefing reads this call's turns from the database
        briefing = await asyncio.to_thread(self._briefing, decision)
        deps = self._runtime.dialog
        better = None
        if deps.llm_client is not None and self._settings.llm.enabled:  # a model's summary

            async def summarized() -> dict:
                assert deps.llm_client is not None
                return (await summarize_with_llm(deps.llm_client, self._settings.llm,
                                                 briefing)).to_json()

            better = summarized()
        call_sid = self._call.call_sid
        record = await asyncio.to_thread(self._runtime.records.call, call_sid) or {}
        handoff_id = await self._runtime.warm.create(
            call_sid=call_sid, queue=decision.queue, reason=decision.reason,
            request=decision.request, briefing=briefing.to_json(), better_briefing=better,
            caller_id=str(record.get("to_number") or ""), base_url=self._base_url(),
            config=config, state=self._call.state.to_dict(), priority=decision.priority)
        self._event("handoff_created", {"queue": decision.queue, "handoff": handoff_id})
        return handoff_id

    # -- carrying out a transfer, once its line was heard ----------------------------------
    async def carry_out(self, decision: Transfer) -> None:
        if self.stage is TransferStage.OFFERED:  # the caller wants the next agent after all
            assert self._handoff is not None
            await self._retry(self._handoff)
            return
        config = self._queue(decision.queue)
        if config is not None and config.transfer == "warm":
            await self._warm(decision)
            return
        queue = decision.queue
        self._reason = f"transferred:{queue}"
        self._move(Step.PLACE)
        number = config.agents[0] if config is not None and config.agents else ""
        transferred = await self._runtime.twilio.cold_transfer(self._call.call_sid, queue,
                                                               number)
        self._event("transfer_placed" if transferred else "transfer_failed",
                         {"queue": queue})
        if transferred:
            self._move(Step.HELD)
            await self._call.finish(self._reason)
            return
        self._not_placed()
        await self._call.say(self._no_agent_line())

    def _no_agent_line(self) -> str:
        """What a caller hears when no transfer could be placed: the deployment's own line, else
        the agent's in the caller's language."""
        return self._settings.transfer.no_agent_line or say("no_agent", self._call.state.language)

    def _not_placed(self) -> None:
        self._move(Step.NOT_PLACED)
        self._call.carry_on()

    async def _warm(self, decision: Transfer) -> None:
        """Brief an agent while the caller waits in a conference (telephony/transfer/warm.py)."""
        self._reason = f"warm_transfer:{decision.queue}"
        self._move(Step.PLACE)
        if self._prepared is None:
            self._prepare_handoff(decision)
        assert self._prepared is not None
        prepared, self._prepared = self._prepared, None
        try:
            handoff_id = await prepared
        except Exception:  # the database refused it: the caller hears why, the call goes on
            logger.exception(f"call {self._call.call_sid}: storing the handoff failed")
            self._not_placed()
            await self._call.say(self._no_agent_line())
            return
        placed = await self._runtime.warm.place(handoff_id)
        self._event("handoff_placed" if placed.held else "handoff_not_placed",
                         {"queue": decision.queue, "handoff": handoff_id})
        if placed.held:
            self._move(Step.HELD)
            await self._call.finish(self._reason)  # Twilio moved the caller: the stream ends
            return
        self._not_placed()
        await self.offer(handoff_id)

    async def _retry(self, handoff_id: str) -> None:
        """The caller chose the next agent: the same handoff, its briefing brought up to date."""
        handoff = await asyncio.to_thread(self._runtime.handoffs.get, handoff_id)
        assert handoff is not None
        self._reason = f"warm_transfer:{handoff['queue']}"
        self._move(Step.PLACE)
        await self._call.drain_records()
        original = Transfer(handoff["queue"], handoff["reason"], handoff["request"] or "")
        briefing = await asyncio.to_thread(self._briefing, original)
        held = await self._runtime.warm.retry(handoff_id, briefing.to_json(),
                                              self._call.state.to_dict())
        self._event("handoff_retried" if held else "handoff_not_placed",
                         {"queue": handoff["queue"], "handoff": handoff_id})
        if held:
            self._handoff = None
            self._move(Step.HELD)
            await self._call.finish(self._reason)
            return
        self._not_placed()
        await self.offer(handoff_id)

    async def offer(self, handoff_id: str) -> None:
        """No agent took the call: offer a callback, or the next agent when the queue is open."""
        handoff = await asyncio.to_thread(self._runtime.handoffs.get, handoff_id)
        assert handoff is not None
        await self._runtime.warm.offered(handoff_id)
        self._handoff = handoff_id
        self._move(Step.OFFER)
        line = self._call.engine.offer_choice(self._runtime.warm.options(handoff))
        await self._call.speak_turn(line, "transfer_choice")

    # -- the call ends ------------------------------------------------------------------------
    async def call_ended(self, ending: str | None) -> None:
        """The stream is over (``ending``: a transfer or hang-up under way at Twilio, if any):
        a handoff stored ahead was never placed; a caller offered the choice who left without
        choosing is called back rather than the request being lost."""
        if self._prepared is not None:  # gone before the transfer was placed
            await self._abandon(self._prepared)
        if self._handoff is not None and ending is None:
            self._record(self._runtime.handoffs.settle, self._handoff, "callback",
                              callback_number=self._call.state.caller_number,
                              why="caller_left_before_choosing")

    async def _abandon(self, prepared: asyncio.Task[str]) -> None:
        try:
            handoff_id = await prepared
        except Exception:
            logger.exception(f"call {self._call.call_sid}: storing the handoff failed")
            return
        await self._runtime.warm.abandon(handoff_id)

    # -- helpers ------------------------------------------------------------------------------
    def _briefing(self, decision: Transfer) -> Briefing:
        call_sid = self._call.call_sid
        call = self._runtime.records.call(call_sid) or {}
        turns = [TurnRecord.from_row(t) for t in call.get("turns", [])]
        audit = self._runtime.dialog.registry.audit
        tool_calls = audit.for_call(call_sid) if audit is not None else []
        return build_briefing(
            call_sid=call_sid, caller_number=str(call.get("from_number") or ""),
            state=self._call.state, turns=turns, tool_calls=tool_calls, transfer=decision,
            now=time.time())

    def _base_url(self) -> str:
        ws = self._websocket
        return http_base(external_url(
            request_url=str(ws.base_url).rstrip("/"), path_and_query="", headers=ws.headers,
            public_url=self._settings.public_url,
            trust_proxy_headers=self._settings.trust_proxy_headers))
