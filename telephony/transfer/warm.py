"""Warm transfer over Twilio: the caller waits in a conference while an agent is briefed.

1. The handoff (with its briefing) is written to the database before anything is dialled.
2. The caller's call is redirected into a conference named after the handoff (hold music).
3. The queue's agents are dialled one after another (REST ``Calls``, status callbacks, ring
   timeout). An agent who answers hears the spoken briefing and presses 1 to join the caller's
   conference, or 2 to decline.
4. No answer, busy, declined or failed: the next agent, up to the queue's ``agents_per_hold``;
   then the caller's call is redirected back to a new media stream, where the AI apologises
   and offers a callback (the handoff, with its briefing, becomes a callback request) or the
   next agent (``retry``: back on hold, the next agent is dialled). Closed hours: the caller
   stays with the AI and is offered the callback. The caller is never dropped.

Every step is a compare-and-set on the handoff's status (``HandoffStore.transition``), so a
status callback Twilio retries, or one reaching a restarted server, changes nothing twice.

At ~310 lines: the steps above are one state machine over one handoff row; split, each step
would need the others' transitions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from loguru import logger

from config import QueueSettings, Settings
from dialog.briefing import Briefing, spoken_briefing
from dialog.embedded.choice import CALLBACK, NEXT_AGENT
from telephony.transfer.handoffs import HandoffStore
from telephony.twilio import twiml
from telephony.twilio.rest import TwilioRest
from telephony.twilio.security import StreamTokens, http_base, stream_base
from telephony.web.desk import post_briefing_webhook

__all__ = ["Placement", "WarmTransfers", "conference_name", "is_open"]

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Twilio's CallStatus of an agent leg that ended without the agent taking the call.
_UNANSWERED = {"no-answer": "no_answer", "busy": "busy", "failed": "failed",
               "canceled": "no_answer"}
_RINGING = ("dialing", "briefing")
_OFFERABLE = ("returned", "closed", "failed")  # the caller is (back) with the AI


@dataclass(frozen=True)
class Placement:
    """A stored handoff, and whether the caller was moved on hold (False: still with the AI,
    who offers a callback)."""

    handoff_id: str
    held: bool


def conference_name(handoff_id: str) -> str:
    return f"handoff-{handoff_id}"


def is_open(queue: QueueSettings, now: datetime) -> bool:
    """Whether ``queue`` takes calls at ``now`` (aware datetime), in the queue's time zone."""
    if not queue.hours:
        return True
    local = now.astimezone(ZoneInfo(queue.timezone))
    window = queue.hours.get(_WEEKDAYS[local.weekday()])
    if not window:
        return False
    start, end = window.split("-")
    return start <= local.strftime("%H:%M") < end


class WarmTransfers:
    def __init__(self, settings: Settings, store: HandoffStore, twilio: TwilioRest,
                 tokens: StreamTokens) -> None:
        self.settings = settings
        self.store = store
        self.twilio = twilio
        self.tokens = tokens
        self._tasks: set[asyncio.Task] = set()

    async def create(self, *, call_sid: str, queue: str, reason: str, request: str,
                     briefing: dict[str, Any], caller_id: str, base_url: str,
                     config: QueueSettings | None = None, state: dict[str, Any] | None = None,
                     priority: int = 0,
                     better_briefing: Awaitable[dict[str, Any]] | None = None) -> str:
        """Write the handoff (pending) with its briefing: the desktop shows it at once, while
        the caller still hears the line announcing the transfer. ``config`` is the queue as the
        call's rules (or the settings) define it, kept with the handoff; ``state`` is the
        dialog's state, for a caller brought back. ``better_briefing`` (the model's summary)
        replaces the stored briefing when it arrives, without holding anything up."""
        config = config or self.settings.queues[queue]
        handoff_id = await asyncio.to_thread(
            self.store.create, call_sid=call_sid, queue=queue, reason=reason, request=request,
            briefing=briefing, agents=list(config.agents), caller_id=caller_id,
            base_url=base_url, state=state, queue_config=config.model_dump(mode="json"),
            priority=priority)
        if better_briefing is not None:
            self._later(self._improve(handoff_id, better_briefing))
        if self.settings.desk.webhook_url:  # a CRM hears of it at once, whatever follows
            self._later(self._post_webhook(handoff_id))
        return handoff_id

    async def place(self, handoff_id: str, now: datetime | None = None) -> Placement:
        """Move the caller to the conference and dial the first agent. The caller stays with
        the AI on closed hours, no agents, or Twilio refusing the redirect."""
        handoff = await asyncio.to_thread(self.store.get, handoff_id)
        assert handoff is not None
        if not self._open(handoff, now):
            await self._set(handoff_id, "closed", expect={"pending"})
            return Placement(handoff_id, held=False)
        held = await self._hold(handoff_id, {"pending"})
        if held:
            await self._dial(handoff_id, attempt=0)
        return Placement(handoff_id, held)

    async def abandon(self, handoff_id: str) -> bool:
        """The call ended before a stored handoff was placed (the caller hung up while the
        transfer was announced)."""
        return await self._set(handoff_id, "abandoned", expect={"pending"})

    # -- the caller's choice when no agent took the call -----------------------------------
    def options(self, handoff: dict[str, Any], now: datetime | None = None) -> tuple[str, ...]:
        """What a caller back with the AI may choose: a callback, and the next agent when
        the queue is open."""
        return (CALLBACK, NEXT_AGENT) if self._open(handoff, now) else (CALLBACK,)

    async def offered(self, handoff_id: str) -> bool:
        """The caller is back with the AI and has been offered the choice."""
        return await self._set(handoff_id, "offered", expect=_OFFERABLE)

    async def retry(self, handoff_id: str, briefing: dict[str, Any], state: dict[str, Any],
                    now: datetime | None = None) -> bool:
        """The caller chose the next agent: back on hold, the next agent is dialled (after the
        last, the first again), with the briefing and dialog state brought up to date. False
        when the caller stays with the AI (closed, refused)."""
        handoff = await asyncio.to_thread(self.store.get, handoff_id)
        if handoff is None or not handoff["agents"] or not self._open(handoff, now):
            return False
        tried = handoff["agent_number"] is not None
        attempt = (handoff["attempt"] + 1) % len(handoff["agents"]) if tried else 0
        if not await self._set(handoff_id, "pending", expect={"offered"}, briefing=briefing,
                               state=state, hold_from=attempt):
            return False
        if not await self._hold(handoff_id, {"pending"}):
            return False
        await self._dial(handoff_id, attempt=attempt)
        return True

    # -- Twilio's requests about the agent leg ---------------------------------------------
    async def agent_answered(self, handoff_id: str, agent_call_sid: str = "") -> str:
        """TwiML for the agent who picked up: the briefing and a key to press. Twilio
        retrying the request for the same agent leg (``agent_call_sid``) gets the same answer
        and changes nothing."""
        handoff = await asyncio.to_thread(self.store.get, handoff_id)
        if handoff is None:
            return twiml.hang_up_message("This transfer no longer exists. Goodbye.")
        retried = bool(agent_call_sid) and agent_call_sid == handoff["agent_call_sid"]
        if handoff["status"] == "accepted" or (retried and handoff["status"] == "connected"):
            # Accepted on the desktop while it rang (or that answer, retried).
            await self._set(handoff_id, "connected", expect={"accepted"})
            return twiml.agent_join(conference_name(handoff_id))
        if not (retried and handoff["status"] == "briefing") and not await self._set(
                handoff_id, "briefing", expect={"dialing"}):
            return twiml.hang_up_message("This caller has already been helped. Goodbye.")
        text = spoken_briefing(Briefing.from_json(handoff["briefing"]))
        gather_url = f"{http_base(handoff['base_url'])}/twilio/agent/{handoff_id}/gather"
        return twiml.agent_briefing(text, gather_url)

    async def agent_pressed(self, handoff_id: str, digits: str) -> str:
        if digits == "1" and await self._set(handoff_id, "accepted", expect=_RINGING,
                                             accepted_by="keypad"):
            await self._set(handoff_id, "connected", expect={"accepted"})
            return twiml.agent_join(conference_name(handoff_id))
        if await self._set(handoff_id, "declined", expect=_RINGING):
            self._later(self._next_agent(handoff_id))
            return twiml.hang_up_message("Declined. The caller will be offered another option.")
        return twiml.hang_up_message("This transfer has already been handled. Goodbye.")

    async def agent_status(self, handoff_id: str, params: dict[str, str]) -> None:
        """A status callback for the agent leg (signed; possibly a retry)."""
        status = params.get("CallStatus", "")
        key = f"{params.get('CallSid', '')}:{status}:{params.get('SequenceNumber', '')}"
        fresh = await asyncio.to_thread(self.store.add_event, handoff_id, f"agent_{status}",
                                        {"call_sid": params.get("CallSid", "")}, dedupe_key=key)
        if not fresh:
            return
        handoff = await asyncio.to_thread(self.store.get, handoff_id)
        if handoff is None or params.get("CallSid") != handoff["agent_call_sid"]:
            return  # a leg of an earlier attempt, or an unknown handoff
        if status in _UNANSWERED:
            if await self._set(handoff_id, _UNANSWERED[status], expect=_RINGING):
                await self._next_agent(handoff_id)
        elif status == "completed":
            if await self._set(handoff_id, "declined", expect=_RINGING):  # hung up unaccepted
                await self._next_agent(handoff_id)
            else:
                await self._set(handoff_id, "completed", expect={"connected"})

    async def conference_status(self, handoff_id: str, params: dict[str, str]) -> None:
        """The caller left the conference (hung up on hold): stop ringing the agent."""
        event = params.get("StatusCallbackEvent", "")
        if event not in ("participant-leave", "conference-end"):
            return
        key = f"{event}:{params.get('CallSid', '')}:{params.get('SequenceNumber', '')}"
        fresh = await asyncio.to_thread(self.store.add_event, handoff_id, f"conference_{event}",
                                        {"call_sid": params.get("CallSid", "")}, dedupe_key=key)
        handoff = await asyncio.to_thread(self.store.get, handoff_id)
        if not fresh or handoff is None:
            return
        if event == "participant-leave" and params.get("CallSid") != handoff["call_sid"]:
            return  # the agent left; the conference ends with them (end_conference_on_exit)
        was = handoff["status"]
        if await self._set(handoff_id, "abandoned", expect={"pending", *_RINGING}):
            # Ringing is cancelled; a leg already answered (hearing the briefing) is ended.
            status = "canceled" if was in ("pending", "dialing") else "completed"
            if handoff["agent_call_sid"]:
                await self.twilio.update_call(handoff["agent_call_sid"], {"Status": status})

    # -- steps ------------------------------------------------------------------------------
    def _config(self, handoff: dict[str, Any]) -> QueueSettings | None:
        """The queue as it was when the handoff was written (older rows: the settings')."""
        if handoff.get("queue_config"):
            return QueueSettings.model_validate(handoff["queue_config"])
        return self.settings.queues.get(handoff["queue"])

    def _open(self, handoff: dict[str, Any], now: datetime | None) -> bool:
        config = self._config(handoff)
        return config is not None and bool(config.agents) and is_open(
            config, now or datetime.now().astimezone())

    async def _hold(self, handoff_id: str, expect: set[str]) -> bool:
        """Move the caller into the handoff's conference (hold music); on refusal, failed."""
        handoff = await asyncio.to_thread(self.store.get, handoff_id)
        assert handoff is not None
        status_url = f"{http_base(handoff['base_url'])}/twilio/conference/{handoff_id}/status"
        held = await self.twilio.redirect(handoff["call_sid"], twiml.hold_in_conference(
            conference_name(handoff_id), status_url=status_url))
        if not held:
            await self._set(handoff_id, "failed", expect=expect)
        return held

    async def _dial(self, handoff_id: str, attempt: int) -> None:
        handoff = await asyncio.to_thread(self.store.get, handoff_id)
        assert handoff is not None
        agents: list[str] = handoff["agents"]
        config = self._config(handoff)
        per_hold = config.agents_per_hold if config else 1
        if attempt >= len(agents) or attempt - (handoff["hold_from"] or 0) >= per_hold:
            await self._return_caller(handoff)
            return
        base = http_base(handoff["base_url"])
        sid = await self.twilio.create_call(
            to=agents[attempt], from_=handoff["caller_id"],
            url=f"{base}/twilio/agent/{handoff_id}/answer",
            status_callback=f"{base}/twilio/agent/{handoff_id}/status",
            timeout_seconds=config.ring_timeout_seconds if config else 20)
        expect = {"pending", "no_answer", "busy", "failed", "declined"}
        if sid is None:
            await self._set(handoff_id, "failed", expect=expect, attempt=attempt)
            await self._dial(handoff_id, attempt + 1)
            return
        await self._set(handoff_id, "dialing", expect=expect, attempt=attempt,
                        agent_call_sid=sid, agent_number=agents[attempt])

    async def _next_agent(self, handoff_id: str) -> None:
        handoff = await asyncio.to_thread(self.store.get, handoff_id)
        if handoff is not None:
            await self._dial(handoff_id, handoff["attempt"] + 1)

    async def _return_caller(self, handoff: dict[str, Any]) -> None:
        """No agent took the call: back to the AI on a new media stream."""
        handoff_id = handoff["id"]
        if not await self._set(handoff_id, "returned", expect={
                "pending", "no_answer", "busy", "failed", "declined"}):
            return
        document = twiml.connect_stream(
            f"{stream_base(handoff['base_url'])}/twilio/stream",
            self.tokens.mint(handoff["call_sid"]), resume=handoff_id,
            fallback_number=self.settings.transfer.fallback_number)
        if not await self.twilio.redirect(handoff["call_sid"], document):
            logger.error(f"handoff {handoff_id}: could not bring the caller back")

    async def _improve(self, handoff_id: str, briefing: Awaitable[dict[str, Any]]) -> None:
        await asyncio.to_thread(self.store.update_briefing, handoff_id, await briefing)

    async def _post_webhook(self, handoff_id: str) -> None:
        handoff = await asyncio.to_thread(self.store.get, handoff_id)
        if handoff is not None:
            await post_briefing_webhook(self.settings, handoff, self.twilio.http)

    async def aclose(self) -> None:
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _set(self, handoff_id: str, status: str, *, expect: Any, **fields: Any) -> bool:
        return await asyncio.to_thread(self.store.transition, handoff_id, status,
                                       expect=expect, **fields)

    def _later(self, work: Any) -> None:
        """Run a step after answering Twilio (it waits for our TwiML, not for the next dial)."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)

        def done(finished: asyncio.Task) -> None:
            self._tasks.discard(finished)
            if not finished.cancelled() and finished.exception() is not None:
                logger.opt(exception=finished.exception()).error("warm transfer step failed")

        task.add_done_callback(done)
