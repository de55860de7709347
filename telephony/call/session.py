"""One call: the owner of its pipeline, its records and how it ends.

transport.input -> STT -> keypad -> user turn (Silero VAD + Smart Turn) -> dialog
-> reply tap -> TTS -> transport.output (paced, marks) -> heard-text gate
-> heard tap -> heard turns (records what was heard) -> assistant history
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from loguru import logger
from pipecat.frames.frames import (
    Frame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    LLMTextFrame,
    STTUpdateSettingsFrame,
    TranscriptionFrame,
    TTSSpeakFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import (
    LLMContextAggregatorPair,
    LLMUserAggregatorParams,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.services.settings import STTSettings
from pipecat.transports.websocket.fastapi import FastAPIWebsocketParams
from pipecat.workers.runner import WorkerRunner
from starlette.websockets import WebSocket

from config import QueueSettings
from config.rules import Rules
from dialog.briefing import Briefing, TurnRecord, build_briefing, summarize_with_llm
from dialog.manager import DialogManager
from dialog.phrases.say import say
from dialog.state import CallState
from dialog.types import Callback, Hangup, Transfer, Withdraw
from dialog.understanding.language import detected_language, likely_language
from telephony.call.dialog_service import DialogService
from telephony.call.frames import ReplyFrame, TurnSpokenFrame
from telephony.call.heard import HeardTextGate, HeardTurns, MarkLedger
from telephony.call.keypad import KeypadTurns
from telephony.call.timing import TurnTimer, TurnTiming
from telephony.call.transport import CallSerializer, CallTransport
from telephony.records.writer import RecordWriter
from telephony.transfer.queues import queue_config
from telephony.twilio import twiml, wire
from telephony.twilio.security import external_url, http_base

if TYPE_CHECKING:
    from telephony.runtime import Runtime

__all__ = ["Call"]

OUTPUT_LEAD_SECONDS = 0.3
HEARD_WAIT_SECONDS = 20.0
DECISION_GRACE_SECONDS = 5.0


def _history_messages(state: CallState) -> list[dict[str, str]]:
    """The exchanges before a transfer, as context messages: the dialog of a caller brought
    back knows what was said."""
    messages = []
    for caller, agent in state.history:
        if caller:
            messages.append({"role": "user", "content": caller})
        if agent:
            messages.append({"role": "assistant", "content": agent})
    return messages


def _wall(monotonic_at: float | None) -> float | None:
    return None if monotonic_at is None else time.time() - (time.monotonic() - monotonic_at)


class _ReplyTap(FrameProcessor):
    """Hands each ReplyFrame to the call and passes it on. Before TTS it records the
    turn, and a `TurnSpokenFrame` with the turn's index follows the reply; after the
    heard-text gate it fires once the reply has been heard (or talked over), which is
    when a decision is carried out."""

    def __init__(self, on_reply: Callable[[ReplyFrame], Awaitable[int | None]]) -> None:
        super().__init__()
        self._on_reply = on_reply

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        index = await self._on_reply(frame) if isinstance(frame, ReplyFrame) else None
        await self.push_frame(frame, direction)
        if index is not None:
            await self.push_frame(TurnSpokenFrame(index), direction)


class _TranscriptTap(FrameProcessor):
    """Sees each transcript (after speech recognition): hands its loudness to the call (the
    raised-voice frustration signal) and, while the call's language is not settled, the language
    detected; a language the call settles on pins recognition to it (upstream)."""

    def __init__(self, on_transcript: Callable[[Any], str | None]) -> None:
        super().__init__()
        self._on_transcript = on_transcript

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, TranscriptionFrame) and frame.result is not None:
            pin = self._on_transcript(frame.result)
            if pin is not None:
                await self.push_frame(STTUpdateSettingsFrame(delta=STTSettings(language=pin)),
                                      FrameDirection.UPSTREAM)
        await self.push_frame(frame, direction)


class Call:
    def __init__(self, runtime: Runtime, websocket: WebSocket, start: wire.Start) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        self.websocket = websocket
        self.start = start
        self.call_sid = start.call_sid
        self.ledger = MarkLedger()
        # How the call ended; the first reason given wins (Twilio sends `stop` after
        # we redirect or complete the call, which must not read as the caller hanging up).
        self.end_reason: str | None = None
        self._ending: str | None = None  # a transfer or hang-up under way at Twilio
        self._bad_messages = 0
        self._next_turn = 0
        self._worker: PipelineWorker | None = None
        self._decision_task: asyncio.Task | None = None
        self._silent_prompts = 0
        self._records: RecordWriter | None = None
        self._engine: DialogManager | None = None
        # Back from a transfer no agent took (or one that could not be placed): the handoff
        # whose choice (callback or next agent) the caller has been offered.
        self._open_handoff: str | None = None
        self._resumed: dict | None = None  # that handoff's row, on a stream it started
        self._levels: list[float] = []  # loudness of the caller's utterances since the reply
        # The call's language: the caller's turns are in it and the agent speaks it. Settled
        # (recognition pinned) once detected with confidence, asked for, or known already.
        self.language = "en"
        self._settled = runtime.settings.stt.language != "auto"
        self._prepared: asyncio.Task[str] | None = None  # a handoff being stored, not placed
        self._rules: Rules | None = None  # the routing rules version the call started with

    def _record(self, fn: Callable[..., object], *args: object, **kwargs: object) -> None:
        assert self._records is not None
        self._records.put(fn, *args, **kwargs)

    def _event(self, kind: str, detail: dict | None = None) -> None:
        self._record(self.runtime.records.add_event, self.call_sid, kind, detail or {})

    # -- how the call ends -------------------------------------------------------------------
    async def finish(self, reason: str) -> None:
        if self.end_reason is None:
            self.end_reason = reason
        if self._worker is not None:
            await self._worker.cancel(reason=self.end_reason)

    async def _on_stop(self) -> None:
        await self.finish(self._ending or "caller_hung_up")

    async def _on_bad_message(self, code: str) -> None:
        self._bad_messages += 1
        self._event("bad_message", {"code": code})
        if self._bad_messages >= self.settings.stream.max_bad_messages:
            logger.warning(f"call {self.call_sid}: too many malformed messages, ending the call")
            await self.finish("protocol_errors")

    def _busy(self) -> bool:
        """A decision is being carried out, or the call is over: prompts stay quiet."""
        return self._decision_task is not None or self.end_reason is not None

    async def _hang_up(self, reason: str) -> None:
        self._ending = reason
        await self.runtime.twilio.hang_up(self.call_sid)
        await self.finish(reason)

    def _queue(self, name: str) -> QueueSettings | None:
        return queue_config(self.settings, self._rules, name)

    async def _transfer(self, decision: Transfer) -> None:
        queue = decision.queue
        if self._open_handoff is not None:  # the caller wants the next agent after all
            await self._retry_transfer(self._open_handoff)
            return
        config = self._queue(queue)
        if config is not None and config.transfer == "warm":
            await self._warm_transfer(decision)
            return
        self._ending = f"transferred:{queue}"
        number = config.agents[0] if config is not None and config.agents else ""
        transferred = await self.runtime.twilio.cold_transfer(self.call_sid, queue, number)
        self._event("transfer_placed" if transferred else "transfer_failed", {"queue": queue})
        if transferred:
            await self.finish(self._ending)
            return
        self._ending = None
        self._decision_task = None  # the call goes on; a later request may try again
        if self._worker is not None:
            await self._worker.queue_frames([TTSSpeakFrame(self.settings.transfer.no_agent_line)])

    def _prepare_handoff(self, decision: Transfer) -> None:
        """A transfer to a warm queue was decided: store the handoff with its briefing now,
        while the caller hears the line announcing it, so the desktop shows it at once."""
        config = self._queue(decision.queue)
        if self._open_handoff is None and self._prepared is None and config is not None \
                and config.transfer == "warm":
            self._prepared = asyncio.create_task(self._store_handoff(decision, config))

    async def _store_handoff(self, decision: Transfer, config: QueueSettings) -> str:
        assert self._records is not None
        await self._records.drain()  # the briefing reads this call's turns from the database
        briefing = await asyncio.to_thread(self._briefing, decision)
        deps = self.runtime.dialog
        better = None
        if deps.llm_client is not None and self.settings.llm.enabled:  # a model's summary

            async def summarized() -> dict:
                assert deps.llm_client is not None
                return (await summarize_with_llm(deps.llm_client, self.settings.llm,
                                                 briefing)).to_json()

            better = summarized()
        record = await asyncio.to_thread(self.runtime.records.call, self.call_sid) or {}
        handoff_id = await self.runtime.warm.create(
            call_sid=self.call_sid, queue=decision.queue, reason=decision.reason,
            request=decision.request, briefing=briefing.to_json(), better_briefing=better,
            caller_id=str(record.get("to_number") or ""), base_url=self._base_url(),
            config=config, state=self.state.to_dict(), priority=decision.priority)
        self._event("handoff_created", {"queue": decision.queue, "handoff": handoff_id})
        return handoff_id

    async def _warm_transfer(self, decision: Transfer) -> None:
        """Brief an agent while the caller waits in a conference (telephony/transfer/warm.py)."""
        self._ending = f"warm_transfer:{decision.queue}"
        if self._prepared is None:
            self._prepare_handoff(decision)
        assert self._prepared is not None
        prepared, self._prepared = self._prepared, None
        try:
            handoff_id = await prepared
        except Exception:  # the database refused it: the caller hears why, the call goes on
            logger.exception(f"call {self.call_sid}: storing the handoff failed")
            self._ending = None
            self._decision_task = None
            if self._worker is not None:
                await self._worker.queue_frames(
                    [TTSSpeakFrame(self.settings.transfer.no_agent_line)])
            return
        placed = await self.runtime.warm.place(handoff_id)
        self._event("handoff_placed" if placed.held else "handoff_not_placed",
                    {"queue": decision.queue, "handoff": handoff_id})
        if placed.held:
            await self.finish(self._ending)  # Twilio moved the caller: the stream ends
            return
        self._ending = None
        self._decision_task = None
        await self._offer(handoff_id)

    async def _retry_transfer(self, handoff_id: str) -> None:
        """The caller chose the next agent: the same handoff, its briefing brought up to date."""
        handoff = await asyncio.to_thread(self.runtime.handoffs.get, handoff_id)
        assert handoff is not None and self._records is not None
        self._ending = f"warm_transfer:{handoff['queue']}"
        await self._records.drain()
        original = Transfer(handoff["queue"], handoff["reason"], handoff["request"] or "")
        briefing = await asyncio.to_thread(self._briefing, original)
        held = await self.runtime.warm.retry(handoff_id, briefing.to_json(),
                                             self.state.to_dict())
        self._event("handoff_retried" if held else "handoff_not_placed",
                    {"queue": handoff["queue"], "handoff": handoff_id})
        if held:
            self._open_handoff = None
            await self.finish(self._ending)
            return
        self._ending = None
        self._decision_task = None
        await self._offer(handoff_id)

    async def _offer(self, handoff_id: str) -> None:
        """No agent took the call: offer a callback, or the next agent when the queue is open."""
        handoff = await asyncio.to_thread(self.runtime.handoffs.get, handoff_id)
        assert handoff is not None and self._engine is not None
        await self.runtime.warm.offered(handoff_id)
        self._open_handoff = handoff_id
        line = self._engine.offer_choice(self.runtime.warm.options(handoff))
        await self._speak_turn(line, "transfer_choice")

    def _settle(self, decision: Callback | Withdraw) -> None:
        """The caller answered the choice: the handoff becomes a callback request, or is
        withdrawn."""
        if self._open_handoff is None:
            return
        handoff_id, self._open_handoff = self._open_handoff, None
        if isinstance(decision, Callback):
            self._record(self.runtime.handoffs.settle, handoff_id, "callback",
                         callback_number=decision.number)
        else:
            self._record(self.runtime.handoffs.settle, handoff_id, "withdrawn")

    def _briefing(self, decision: Transfer) -> Briefing:

        call = self.runtime.records.call(self.call_sid) or {}
        turns = [TurnRecord.from_row(t) for t in call.get("turns", [])]
        audit = self.runtime.dialog.registry.audit
        tool_calls = audit.for_call(self.call_sid) if audit is not None else []
        return build_briefing(
            call_sid=self.call_sid, caller_number=str(call.get("from_number") or ""),
            state=self.state, turns=turns, tool_calls=tool_calls, transfer=decision,
            now=time.time())

    def _base_url(self) -> str:
        ws = self.websocket
        return http_base(external_url(
            request_url=str(ws.base_url).rstrip("/"), path_and_query="", headers=ws.headers,
            public_url=self.settings.public_url,
            trust_proxy_headers=self.settings.trust_proxy_headers))

    # -- replies and decisions -----------------------------------------------------------------
    async def on_reply(self, frame: ReplyFrame) -> int:
        """Before TTS: record the turn (queued, never awaited on the frame path); returns its
        index, which follows the reply to the heard-text gate."""
        reply, turn = frame.reply, frame.turn
        index, self._next_turn = self._next_turn, self._next_turn + 1
        self._silent_prompts = 0
        level = round(max(self._levels), 1) if self._levels and not turn.dtmf else None
        self._levels = []
        self._record(
            self.runtime.records.add_turn, self.call_sid, index,
            caller_text=turn.text, caller_dtmf=turn.dtmf, caller_language=turn.language,
            intent=reply.intent, confidence=reply.confidence, reply_text=reply.text,
            citations=list(reply.citations), replied_at=time.time(),
            reason_codes=list(reply.reason_codes),
            tools=[{"name": t.name, "allowed": t.allowed, "reason": t.reason}
                   for t in reply.tools],
            sentiment=reply.sentiment, sentiment_label=reply.sentiment_label,
            caller_level_db=level, route=reply.route,
        )
        if "injection_detected" in reply.reason_codes:
            self._event("injection_attempt", {"text": turn.text, "codes": reply.reason_codes})
        decision = reply.decision
        if decision is not None:
            self._event(type(decision).__name__.lower(), {"decision": type(decision).__name__,
                                                          **vars(decision)})
        if isinstance(decision, (Callback, Withdraw)):
            self._settle(decision)
        elif isinstance(decision, Transfer):
            self._prepare_handoff(decision)
        return index

    async def on_turn_heard(self, index: int, heard: str, interrupted: bool) -> None:
        """Behind the heard-text gate: what the caller heard of turn `index`'s line."""
        self._record(self.runtime.records.update_turn, self.call_sid, index,
                     heard_text=heard, interrupted=int(interrupted))

    async def on_reply_heard(self, frame: ReplyFrame) -> None:
        """After the heard-text gate: the caller heard the reply, or talked over it.

        A transfer or hang-up survives the caller talking over the line announcing it;
        speech does not.
        """
        decision = frame.reply.decision
        if isinstance(decision, (Transfer, Hangup)) and not self._busy():
            self._decision_task = self._start_decision(self._act_on(decision))

    def _start_decision(self, work: Coroutine[object, object, None]) -> asyncio.Task:
        task = asyncio.create_task(work)

        def report(done: asyncio.Task) -> None:
            if not done.cancelled() and done.exception() is not None:
                logger.opt(exception=done.exception()).error(
                    f"call {self.call_sid}: carrying out a decision failed")

        task.add_done_callback(report)
        return task

    async def _act_on(self, decision: Transfer | Hangup) -> None:
        await self.ledger.wait_played(within=HEARD_WAIT_SECONDS)
        if isinstance(decision, Hangup):
            await self._hang_up(f"agent_hung_up:{decision.reason}")
        else:
            await self._transfer(decision)

    async def _on_caller_silent(self) -> None:
        """Prompt a silent caller; after no_speech_hangup_seconds of silence, say goodbye."""
        if self._busy() or self._worker is None:
            return
        turn = self.settings.turn
        self._silent_prompts += 1
        if self._silent_prompts * turn.no_speech_prompt_seconds < turn.no_speech_hangup_seconds:
            still_there = say("still_there", self.state.language)
            await self._worker.queue_frames([TTSSpeakFrame(still_there)])
            return
        self._event("hangup", {"reason": "caller_silent"})
        marks_before = self.ledger.marks_sent
        await self._worker.queue_frames([TTSSpeakFrame(say("silent_goodbye", self.state.language))])
        self._decision_task = self._start_decision(self._hang_up_after(marks_before))

    async def _hang_up_after(self, marks_before: int) -> None:
        await self.ledger.wait_played(after_marks=marks_before, within=HEARD_WAIT_SECONDS)
        await self._hang_up("caller_silent")

    def _on_first_audio(self, timing: TurnTiming) -> None:
        """A reply's first audio went out: record the turn's timestamps and latency."""
        if self._next_turn == 0:
            return
        self._record(
            self.runtime.records.update_turn, self.call_sid, self._next_turn - 1,
            latency=timing.breakdown(self.settings.turn.vad_stop_seconds),
            caller_started_at=_wall(timing.speech_started),
            caller_ended_at=_wall(timing.speech_ended(self.settings.turn.vad_stop_seconds)),
        )

    # -- language --------------------------------------------------------------------------------
    def _on_transcript(self, result: Any) -> str | None:
        """A transcript's loudness is kept for the turn. While the language is not settled,
        the turn is answered in the language detected, and a confident detection settles it.
        Returns the language to pin recognition to."""
        level = getattr(result, "level_db", None)
        if isinstance(level, float) and math.isfinite(level):
            self._levels.append(level)
        if self._settled:
            return None
        language = str(getattr(result, "language", ""))
        probability = float(getattr(result, "language_probability", 0.0))
        found = detected_language(language, probability, str(getattr(result, "text", "")),
                                  float(getattr(result, "duration_seconds", 0.0)))
        if found is None:
            guess = likely_language(language, probability)
            if guess is not None and guess != self.language:
                self.language = guess  # this turn's; detection goes on
            return None
        self._language_changed(found)
        return found

    def _language_changed(self, language: str) -> None:
        """The call now speaks ``language`` (detected, or asked for): recorded with the call."""
        self.language = language
        self._settled = True
        self._event("language", {"language": language})
        self._record(self.runtime.records.set_language, self.call_sid, language)

    # -- the pipeline ------------------------------------------------------------------------------
    async def _build(self) -> PipelineWorker:
        rt = self.runtime
        serializer = CallSerializer(
            self.start.stream_sid, ledger=self.ledger,
            max_message_bytes=self.settings.stream.max_message_bytes,
            on_bad_message=self._on_bad_message, on_stop=self._on_stop,
            ended=lambda: self.end_reason is not None,
        )
        params = FastAPIWebsocketParams(
            audio_in_enabled=True, audio_out_enabled=True, serializer=serializer,
            audio_out_10ms_chunks=2, audio_out_end_silence_secs=0, allowed_origins=[],
        )
        transport = CallTransport(self.websocket, params, ledger=self.ledger,
                                  stream_sid=self.start.stream_sid,
                                  lead_seconds=OUTPUT_LEAD_SECONDS)
        vad, turn_strategies = await asyncio.to_thread(rt.turn_detection)
        # The caller ID comes from the signed webhook that started the call.
        record = await asyncio.to_thread(rt.records.call, self.call_sid) or {}
        self.state = state = await asyncio.to_thread(self._initial_state, record)
        self.language = state.language
        if self._resumed is not None:
            self._settled = True  # the caller goes on in the language already spoken
        aggregators = LLMContextAggregatorPair(
            LLMContext(_history_messages(state)),
            user_params=LLMUserAggregatorParams(
                vad_analyzer=vad, user_turn_strategies=turn_strategies,
                user_idle_timeout=self.settings.turn.no_speech_prompt_seconds,
            ),
        )
        version = await asyncio.to_thread(rt.rules_for, state)  # kept for the whole call
        self._rules = version.rules
        self._engine = await asyncio.to_thread(rt.dialog_engine, state, version.rules)
        pipeline = Pipeline([
            transport.input(),
            rt.stt_service(self.language if self._resumed is not None else None),
            _TranscriptTap(self._on_transcript), KeypadTurns(), aggregators.user(),
            DialogService(self._engine, language=lambda: self.language,
                          reply_language=lambda: state.language, voice_language=self.language,
                          on_language=self._language_changed),
            _ReplyTap(self.on_reply), rt.tts_service(self.language),
            transport.output(),
            HeardTextGate(self.ledger, always_deliver=(ReplyFrame, TurnSpokenFrame)),
            _ReplyTap(self.on_reply_heard), HeardTurns(self.on_turn_heard),
            aggregators.assistant(),
        ])
        worker = PipelineWorker(
            pipeline,
            params=PipelineParams(audio_in_sample_rate=16000, audio_out_sample_rate=8000,
                                  enable_metrics=True),
            observers=[TurnTimer(self._on_first_audio)],
            idle_timeout_secs=self.settings.turn.no_speech_hangup_seconds * 2,
            enable_rtvi=False,
        )
        self._wire_events(transport, aggregators, worker)
        return worker

    def _initial_state(self, record: dict) -> CallState:
        """A new call's dialog state; a caller back from a transfer no agent took goes on with
        the state stored with the handoff (identity, task, language, what was said). The
        turns go on being numbered after the call's earlier ones (blocking: run it in a
        thread)."""
        # Any later stream of the call (back from a transfer, or after a retried webhook)
        # numbers its turns on from the call's last one.
        self._next_turn = self.runtime.records.last_turn_index(self.call_sid) + 1
        resumed = self.start.custom_parameters.get(twiml.RESUME_PARAMETER, "")
        handoff = self.runtime.handoffs.get(resumed) if resumed else None
        if handoff is not None and handoff["call_sid"] == self.call_sid:
            self._resumed = handoff
            if handoff["state"]:
                return CallState.from_dict(handoff["state"])
        elif resumed:
            logger.warning(f"call {self.call_sid}: unknown handoff {resumed!r} to resume")
        return CallState(business=self.settings.dialog.business, call_sid=self.call_sid,
                         caller_number=str(record.get("from_number") or ""),
                         called_number=str(record.get("to_number") or ""))

    async def _speak_turn(self, text: str, intent: str) -> None:
        """Say a line of the call's own (the greeting, the choice after a failed transfer) as
        a reply: sentence by sentence, a mark each, so what of it the caller heard is recorded
        as a turn like any other reply."""
        assert self._worker is not None
        index, self._next_turn = self._next_turn, self._next_turn + 1
        self._record(self.runtime.records.add_turn, self.call_sid, index, intent=intent,
                     reply_text=text, replied_at=time.time())
        await self._worker.queue_frames([LLMFullResponseStartFrame(), LLMTextFrame(text),
                                         LLMFullResponseEndFrame(), TurnSpokenFrame(index)])

    def _wire_events(self, transport: CallTransport, aggregators: LLMContextAggregatorPair,
                     worker: PipelineWorker) -> None:
        @transport.event_handler("on_client_connected")
        async def _connected(_transport, _ws) -> None:
            if self._resumed is not None:  # back from a transfer no agent took: the choice
                await self._offer(self._resumed["id"])
            else:
                assert self._engine is not None
                await self._speak_turn(self._engine.greeting(self.state.language), "greeting")

        @transport.event_handler("on_client_disconnected")
        async def _disconnected(_transport, _ws) -> None:
            await self.finish(self._ending or "caller_hung_up")

        @aggregators.user().event_handler("on_user_turn_idle")
        async def _idle(_aggregator) -> None:
            await self._on_caller_silent()

        @aggregators.user().event_handler("on_user_turn_started")
        async def _caller_spoke(_aggregator, _strategy) -> None:
            self._silent_prompts = 0

        @worker.event_handler("on_idle_timeout")
        async def _idle_timeout(_worker) -> None:
            # Backstop only: a line with no activity at all (no audio either way).
            if not self._busy():
                await self._hang_up("idle_timeout")

    async def run(self) -> None:
        self._records = RecordWriter(f"call {self.call_sid}")
        self.runtime.live_calls[self.call_sid] += 1  # its lease is renewed while it runs
        self._record(
            self.runtime.records.start_call, call_sid=self.call_sid,
            stream_sid=self.start.stream_sid, account_sid=self.start.account_sid,
            from_number="", to_number="", language="en",
        )
        try:
            self._worker = await self._build()
            runner = WorkerRunner(handle_sigint=False)
            await runner.add_workers(self._worker)
            await runner.run()
        except Exception as exc:
            self.end_reason = self.end_reason or "error"
            logger.exception(f"call {self.call_sid} failed: {exc}")
            raise
        finally:
            await self._settle_decision()
            if self._prepared is not None:  # gone before the transfer was placed
                await self._abandon(self._prepared)
            if self._open_handoff is not None and self._ending is None:
                # Gone before choosing: a person calls back rather than the request being lost.
                self._record(self.runtime.handoffs.settle, self._open_handoff, "callback",
                             callback_number=self.state.caller_number,
                             why="caller_left_before_choosing")
            self._record(self.runtime.records.end_call, self.call_sid,
                         self.end_reason or "caller_hung_up")
            await self._records.aclose()
            self.runtime.live_calls[self.call_sid] -= 1
            if self.runtime.live_calls[self.call_sid] <= 0:
                del self.runtime.live_calls[self.call_sid]
            logger.info(f"call {self.call_sid} ended: {self.end_reason}")

    async def _abandon(self, prepared: asyncio.Task[str]) -> None:
        try:
            handoff_id = await prepared
        except Exception:
            logger.exception(f"call {self.call_sid}: storing the handoff failed")
            return
        await self.runtime.warm.abandon(handoff_id)

    async def _settle_decision(self) -> None:
        """A transfer or hang-up already at Twilio finishes (and is recorded); one still
        waiting for its line to be heard is dropped with the call."""
        task = self._decision_task
        if task is None or task.done() or task is asyncio.current_task():
            return
        if self._ending is None:
            task.cancel()
        await asyncio.wait({task}, timeout=DECISION_GRACE_SECONDS)
