"""One call: the session over Twilio's media stream, read top to bottom.

``run`` starts the call's records, builds its pipeline (``telephony.call.pipeline``) from the
dialog state (a new call's, or the one stored with a handoff it resumes) and runs it until the
stream ends; then it settles what is left and records how the call ended. In between, the
pipeline calls back: each reply is recorded as a turn before it is spoken and its decision
carried out once it was heard (a hang-up here, a transfer by ``telephony.call.transfer``); what
the caller heard and how long the turn took are added to the turn; a silent caller is prompted,
then said goodbye to. The call's language is ``telephony.call.language``'s, its turns'
records ``telephony.call.turns``'s.

Over ~300 lines because the call's lifecycle (start, pipeline events, decisions carried out
once heard, the silent caller, the end) is one state that each step reads; split further, the
steps would pass that state around instead of reading it here.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from loguru import logger
from pipecat.frames.frames import (
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    LLMTextFrame,
    TTSSpeakFrame,
)
from pipecat.pipeline.worker import PipelineWorker
from pipecat.workers.runner import WorkerRunner
from starlette.websockets import WebSocket

from config.rules import Rules
from dialog.manager import DialogManager
from dialog.phrases.say import say
from dialog.privacy import redact_record, redact_text
from dialog.state import CallState
from dialog.types import Hangup, Transfer
from telephony.call.frames import ReplyFrame, TurnSpokenFrame
from telephony.call.heard import MarkLedger
from telephony.call.language import CallLanguage
from telephony.call.pipeline import CallPipeline, PipelineHooks, build_pipeline
from telephony.call.recording import call_recorder
from telephony.call.timing import TurnTiming
from telephony.call.transfer import TransferFlow
from telephony.call.turns import TurnLog
from telephony.records.writer import RecordWriter
from telephony.tracing import CallTrace
from telephony.twilio import twiml, wire

if TYPE_CHECKING:
    from telephony.runtime import Runtime

__all__ = ["Call"]

HEARD_WAIT_SECONDS = 20.0
DECISION_GRACE_SECONDS = 5.0


class Call:
    """One call over Twilio's media stream: its pipeline, its records and how it ends."""

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
        self._hanging_up: str | None = None  # a hang-up under way at Twilio (its reason)
        self._bad_messages = 0
        self._worker: PipelineWorker | None = None
        # A decision (transfer or hang-up) being carried out: prompts stay quiet meanwhile.
        self._decision_task: asyncio.Task | None = None
        self._silent_prompts = 0
        # The caller has started a turn (speech or keys) since the call began: the greeting's
        # second part (menu keys, language offers) is then not said.
        self._caller_started = False
        self._greeting_rest: asyncio.Task | None = None
        self._records: RecordWriter | None = None
        self._trace: CallTrace | None = None  # the stream's trace, once it runs
        self._engine: DialogManager | None = None
        # A stream started by a caller back from a transfer no agent took: that handoff's row.
        self._resumed: dict | None = None
        self.language: CallLanguage | None = None  # once the dialog state is known
        self._rules: Rules | None = None  # the routing rules version the call started with
        self.turns = TurnLog(runtime.records, self.call_sid, self.settings.turn, self._record)
        self.transfer = TransferFlow(self, runtime, websocket, record=self._record,
                                     event=self._event)

    def _record(self, fn: Callable[..., object], *args: object, **kwargs: object) -> None:
        assert self._records is not None
        self._records.put(fn, *args, **kwargs)

    def _event(self, kind: str, detail: dict | None = None) -> None:
        self._record(self.runtime.records.add_event, self.call_sid, kind,
                     redact_record(detail or {}))
        if self._trace is not None:
            self._trace.event(kind)

    # -- what the transfer flow asks of the call ----------------------------------------------
    @property
    def engine(self) -> DialogManager:
        assert self._engine is not None
        return self._engine

    @property
    def rules(self) -> Rules | None:
        return self._rules

    async def drain_records(self) -> None:
        assert self._records is not None
        await self._records.drain()

    def carry_on(self) -> None:
        """The decision did not end the call: it goes on, and a later request may try again."""
        self._decision_task = None

    async def say(self, text: str) -> None:
        if self._worker is not None:
            await self._worker.queue_frames([TTSSpeakFrame(text)])

    # -- how the call ends -------------------------------------------------------------------
    @property
    def _ending(self) -> str | None:
        """A transfer or hang-up under way at Twilio (how the call ends): Twilio's `stop`
        after it is not the caller hanging up."""
        return self._hanging_up or self.transfer.ending

    async def finish(self, reason: str) -> None:
        if self.end_reason is None:
            self.end_reason = reason
        if self._greeting_rest is not None:
            self._greeting_rest.cancel()
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
        self._hanging_up = reason
        await self.runtime.twilio.hang_up(self.call_sid)
        await self.finish(reason)

    # -- replies and decisions -----------------------------------------------------------------
    async def on_reply(self, frame: ReplyFrame) -> int:
        """Before TTS: record the turn (queued, never awaited on the frame path); returns its
        index, which follows the reply to the heard-text gate."""
        reply, turn = frame.reply, frame.turn
        self._silent_prompts = 0
        self._caller_started = True
        index = self.turns.reply(frame)
        if "injection_detected" in reply.reason_codes:
            self._event("injection_attempt", {"text": redact_text(turn.text,
                                                                  private=self.turns.private),
                                              "codes": reply.reason_codes})
        decision = reply.decision
        if decision is not None:
            self._event(type(decision).__name__.lower(), {"decision": type(decision).__name__,
                                                          **vars(decision)})
            if isinstance(decision, Transfer):
                self.runtime.metrics.transfer(decision.reason)
            self.transfer.decided(decision)
        return index

    def _first_audio(self, timing: TurnTiming) -> None:
        """A reply's first audio went out: its turn's latency recorded, counted and logged (one
        line a turn; the caller's words stay out of the logs)."""
        turn = self.turns.first_audio(timing)
        if turn is None:
            return  # a line of the call's own: not a caller's turn
        latency = turn["latency_ms"]
        self.runtime.metrics.turn_latency(latency)
        if self._trace is not None:
            self._trace.turn(turn["turn"], timing, self.settings.turn.vad_stop_seconds, turn)
        logger.bind(**turn).info(
            f"turn {turn['turn']}: {turn['intent']} in {latency.get('voice_to_voice')} ms")

    async def on_turn_heard(self, index: int, heard: str, interrupted: bool) -> None:
        """Behind the heard-text gate: what the caller heard of turn `index`'s line."""
        self.turns.heard(index, heard, interrupted)

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
            await self.transfer.carry_out(decision)

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

    async def _rest_of_greeting(self, text: str, marks_before: int) -> None:
        """The greeting's second part, said once its first has played and the caller then
        stayed silent for ``turn.greeting_pause_seconds``."""
        await self.ledger.wait_played(after_marks=marks_before, within=HEARD_WAIT_SECONDS)
        await asyncio.sleep(self.settings.turn.greeting_pause_seconds)
        if not (self._caller_started or self._busy()):
            await self.speak_turn(text, "greeting_more")

    async def _hang_up_after(self, marks_before: int) -> None:
        await self.ledger.wait_played(after_marks=marks_before, within=HEARD_WAIT_SECONDS)
        await self._hang_up("caller_silent")

    # -- language --------------------------------------------------------------------------------
    def _on_transcript(self, result: Any) -> str | None:
        """A transcript's loudness is kept for the turn; its language goes to the call's
        language, which returns the language to pin recognition to."""
        level = getattr(result, "level_db", None)
        if isinstance(level, float) and math.isfinite(level):
            self.turns.heard_level(level)
        assert self.language is not None
        return self.language.heard(
            str(getattr(result, "language", "")),
            float(getattr(result, "language_probability", 0.0)),
            str(getattr(result, "text", "")), float(getattr(result, "duration_seconds", 0.0)))

    def _language_settled(self, language: str) -> None:
        """The call now speaks ``language`` (detected, or asked for): recorded with the call."""
        self._event("language", {"language": language})
        self._record(self.runtime.records.set_language, self.call_sid, language)

    # -- the pipeline ------------------------------------------------------------------------------
    async def _build(self) -> PipelineWorker:
        """Load what the call starts from (turn detection, its dialog state, routing rules and
        dialog engine) and assemble its pipeline."""
        rt = self.runtime
        turn_detection = await asyncio.to_thread(rt.turn_detection)
        # The caller ID comes from the signed webhook that started the call.
        record = await asyncio.to_thread(rt.records.call, self.call_sid) or {}
        self.state = state = await asyncio.to_thread(self._initial_state, record)
        # A caller back from a transfer goes on in the language already spoken.
        self.language = CallLanguage(state, detect=self.settings.stt.language == "auto",
                                     resumed=self._resumed is not None,
                                     on_settled=self._language_settled)
        version = await asyncio.to_thread(rt.rules_for, state)  # kept for the whole call
        self._rules = version.rules
        self._engine = await asyncio.to_thread(rt.dialog_engine, state, version.rules)
        hooks = PipelineHooks(
            on_bad_message=self._on_bad_message, on_stop=self._on_stop,
            ended=lambda: self.end_reason is not None, on_transcript=self._on_transcript,
            on_reply=self.on_reply, on_reply_heard=self.on_reply_heard,
            on_turn_heard=self.on_turn_heard, on_first_audio=self._first_audio)
        recorder = None
        if self.settings.recordings.enabled:
            recorder = call_recorder(self.settings.data_dir, rt.records, self.call_sid,
                                     self.start.stream_sid)
        pipeline = build_pipeline(rt, self.websocket, self.start.stream_sid, ledger=self.ledger,
                                  turn_detection=turn_detection, state=state,
                                  engine=self._engine, language=self.language, hooks=hooks,
                                  recorder=recorder)
        self._wire_events(pipeline)
        return pipeline.worker

    def _initial_state(self, record: dict) -> CallState:
        """A new call's dialog state; a caller back from a transfer no agent took goes on with
        the state stored with the handoff (identity, task, language, what was said). The
        turns go on being numbered after the call's earlier ones (blocking: run it in a
        thread)."""
        self.turns.go_on_from_earlier_streams()
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

    async def speak_turn(self, text: str, intent: str) -> None:
        """Say a line of the call's own (the greeting, the choice after a failed transfer) as
        a reply: sentence by sentence, a mark each, so what of it the caller heard is recorded
        as a turn like any other reply."""
        assert self._worker is not None
        index = self.turns.own_line(text, intent)
        await self._worker.queue_frames([LLMFullResponseStartFrame(), LLMTextFrame(text),
                                         LLMFullResponseEndFrame(), TurnSpokenFrame(index)])

    def _wire_events(self, pipeline: CallPipeline) -> None:
        transport, aggregators, worker = pipeline.transport, pipeline.aggregators, pipeline.worker

        @transport.event_handler("on_client_connected")
        async def _connected(_transport, _ws) -> None:
            if self._resumed is not None:  # back from a transfer no agent took: the choice
                await self.transfer.offer(self._resumed["id"])
            else:
                assert self._engine is not None
                now, later = self._engine.greeting_parts(self.state.language)
                marks = self.ledger.marks_sent
                await self.speak_turn(now, "greeting")
                if later:
                    self._greeting_rest = asyncio.create_task(self._rest_of_greeting(later, marks))

        @transport.event_handler("on_client_disconnected")
        async def _disconnected(_transport, _ws) -> None:
            closed = "server_shutdown" if self.runtime.shutting_down else "caller_hung_up"
            await self.finish(self._ending or closed)

        @aggregators.user().event_handler("on_user_turn_idle")
        async def _idle(_aggregator) -> None:
            await self._on_caller_silent()

        @aggregators.user().event_handler("on_user_turn_started")
        async def _caller_spoke(_aggregator, _strategy) -> None:
            self._silent_prompts = 0
            self._caller_started = True

        @worker.event_handler("on_idle_timeout")
        async def _idle_timeout(_worker) -> None:
            # Backstop only: a line with no activity at all (no audio either way).
            if not self._busy():
                await self._hang_up("idle_timeout")

    async def run(self) -> None:
        self._records = RecordWriter(f"call {self.call_sid}")
        self._trace = CallTrace(self.call_sid, self.start.stream_sid,
                                self.settings.dialog.business)
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
            await self.transfer.call_ended(self._ending)
            self._record(self.runtime.records.end_call, self.call_sid,
                         self.end_reason or "caller_hung_up")
            self._record(self.runtime.settle_outcome, self.call_sid)
            self.runtime.metrics.call_ended(self.end_reason or "caller_hung_up")
            self._trace.end(self.end_reason or "caller_hung_up")
            await self._records.aclose()
            self.runtime.live_calls[self.call_sid] -= 1
            if self.runtime.live_calls[self.call_sid] <= 0:
                del self.runtime.live_calls[self.call_sid]
            logger.info(f"call {self.call_sid} ended: {self.end_reason}")

    async def _settle_decision(self) -> None:
        """A transfer or hang-up already at Twilio finishes (and is recorded); one still
        waiting for its line to be heard is dropped with the call."""
        task = self._decision_task
        if task is None or task.done() or task is asyncio.current_task():
            return
        if self._ending is None:
            task.cancel()
        await asyncio.wait({task}, timeout=DECISION_GRACE_SECONDS)
