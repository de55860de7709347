"""One call: the owner of its pipeline, its records and its decisions.

transport.input -> STT -> keypad -> user turn (Silero VAD + Smart Turn) -> dialog
-> reply tap -> TTS -> transport.output (paced, marks) -> heard-text gate
-> assistant history
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from loguru import logger
from pipecat.frames.frames import Frame, TTSSpeakFrame
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import (
    LLMContextAggregatorPair,
    LLMUserAggregatorParams,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.transports.websocket.fastapi import FastAPIWebsocketParams
from pipecat.workers.runner import WorkerRunner
from starlette.websockets import WebSocket

from dialog.frames import ReplyFrame
from dialog.service import DialogService
from dialog.types import Hangup, Transfer
from telephony import wire
from telephony.heard import HeardTextGate, MarkLedger
from telephony.keypad import KeypadTurns
from telephony.timing import TurnTimer, TurnTiming
from telephony.transport import CallSerializer, CallTransport

if TYPE_CHECKING:
    from telephony.runtime import Runtime

__all__ = ["Call"]

OUTPUT_LEAD_SECONDS = 0.3
HEARD_WAIT_SECONDS = 20.0
SILENT_GOODBYE = "I haven't heard anything, so I'll end the call now. Please call again anytime."


class _ReplyTap(FrameProcessor):
    """Hands each ReplyFrame to the call and passes it on. Before TTS it records the
    turn; after the heard-text gate it fires once the reply has been heard (or talked
    over), which is when a decision is carried out."""

    def __init__(self, on_reply: Callable[[ReplyFrame], Awaitable[None]]) -> None:
        super().__init__()
        self._on_reply = on_reply

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, ReplyFrame):
            await self._on_reply(frame)
        await self.push_frame(frame, direction)


class Call:
    def __init__(self, runtime: Runtime, websocket: WebSocket, start: wire.Start) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        self.websocket = websocket
        self.start = start
        self.call_sid = start.call_sid
        self.ledger = MarkLedger()
        self.end_reason = "caller_hung_up"
        self._bad_messages = 0
        self._turn_index = 0
        self._turn_ids: list[int] = []
        self._worker: PipelineWorker | None = None
        self._decision_task: asyncio.Task | None = None
        self._record_tasks: set[asyncio.Task] = set()
        self._silent_prompts = 0
        # The turn whose reply is being spoken (prompts such as "are you still there?"
        # are not turns): its heard text is recorded when the assistant turn ends.
        self._playing_turn_id: int | None = None

    async def _db(self, fn, *args, **kwargs):
        return await asyncio.to_thread(fn, *args, **kwargs)

    # -- callbacks from the serializer -------------------------------------------------
    async def _on_bad_message(self, code: str) -> None:
        self._bad_messages += 1
        await self._db(self.runtime.records.add_event, self.call_sid, "bad_message", {"code": code})
        if self._bad_messages >= self.settings.stream.max_bad_messages:
            logger.warning(f"call {self.call_sid}: too many malformed messages, ending the call")
            await self.finish("protocol_errors")

    async def _on_stop(self) -> None:
        await self.finish("caller_hung_up")

    async def finish(self, reason: str) -> None:
        self.end_reason = reason
        if self._worker is not None:
            await self._worker.cancel(reason=reason)

    # -- dialog decisions -----------------------------------------------------------------
    async def on_reply(self, frame: ReplyFrame) -> None:
        reply, turn = frame.reply, frame.turn
        turn_id = await self._db(
            self.runtime.records.add_turn, self.call_sid, self._turn_index,
            caller_text=turn.text, caller_dtmf=turn.dtmf, caller_language=turn.language,
            intent=reply.intent, confidence=reply.confidence, reply_text=reply.text,
            citations=list(reply.citations), replied_at=time.time(),
        )
        self._turn_ids.append(turn_id)
        self._playing_turn_id = turn_id
        self._turn_index += 1
        decision = reply.decision
        if decision is not None:
            kind = "transfer" if isinstance(decision, Transfer) else "hangup"
            await self._db(self.runtime.records.add_event, self.call_sid, kind,
                           {"decision": type(decision).__name__, **vars(decision)})

    async def on_reply_heard(self, frame: ReplyFrame) -> None:
        """The reply went past the heard-text gate: the caller heard it, or talked over it.

        A transfer or hang-up survives the caller talking over the line announcing it;
        speech does not.
        """
        if frame.reply.decision is not None and self._decision_task is None:
            self._decision_task = asyncio.create_task(self._act_on(frame.reply.decision))

    async def _act_on(self, decision: Transfer | Hangup) -> None:
        await self._wait_until_played()
        if isinstance(decision, Hangup):
            await self._hang_up(f"agent_hung_up:{decision.reason}")
            return
        transferred = await self.runtime.twilio.cold_transfer(self.call_sid, decision.queue)
        await self._db(self.runtime.records.add_event, self.call_sid,
                       "transfer_placed" if transferred else "transfer_failed",
                       {"queue": decision.queue})
        if transferred:
            self.end_reason = f"transferred:{decision.queue}"
            await self.finish(self.end_reason)
        elif self._worker is not None:
            self._decision_task = None  # the call goes on; a later request may try again
            await self._worker.queue_frames([TTSSpeakFrame(self.settings.transfer.no_agent_line)])

    async def _hang_up(self, reason: str) -> None:
        await self.runtime.twilio.hang_up(self.call_sid)
        await self.finish(reason)

    async def _wait_until_played(self) -> None:
        deadline = time.monotonic() + HEARD_WAIT_SECONDS
        await asyncio.sleep(0.1)  # let a just-queued line reach the output transport
        while self.ledger.audio_outstanding() and time.monotonic() < deadline:
            self.ledger.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.ledger.changed.wait(), timeout=0.05)

    async def _on_caller_silent(self) -> None:
        """Prompt a silent caller; after no_speech_hangup_seconds of silence, say goodbye."""
        turn = self.settings.turn
        self._silent_prompts += 1
        if self._worker is None:
            return
        if self._silent_prompts * turn.no_speech_prompt_seconds < turn.no_speech_hangup_seconds:
            await self._worker.queue_frames([TTSSpeakFrame(self.runtime.still_there_prompt())])
            return
        await self._db(self.runtime.records.add_event, self.call_sid, "hangup",
                       {"reason": "caller_silent"})
        await self._worker.queue_frames([TTSSpeakFrame(SILENT_GOODBYE)])
        self._decision_task = asyncio.create_task(self._hang_up_after_goodbye())

    async def _hang_up_after_goodbye(self) -> None:
        await asyncio.sleep(0.3)
        await self._wait_until_played()
        await self._hang_up("caller_silent")

    def _on_first_audio(self, timing: TurnTiming) -> None:
        if not self._turn_ids:
            return
        latency = timing.breakdown(self.settings.turn.vad_stop_seconds)
        task = asyncio.get_running_loop().create_task(
            self._db(self.runtime.records.update_turn, self._turn_ids[-1], latency=latency)
        )
        self._record_tasks.add(task)
        task.add_done_callback(self._record_tasks.discard)

    # -- the pipeline -----------------------------------------------------------------------
    async def _build(self) -> PipelineWorker:
        rt = self.runtime
        serializer = CallSerializer(
            self.start.stream_sid, ledger=self.ledger,
            max_message_bytes=self.settings.stream.max_message_bytes,
            on_bad_message=self._on_bad_message, on_stop=self._on_stop,
        )
        params = FastAPIWebsocketParams(
            audio_in_enabled=True, audio_out_enabled=True, serializer=serializer,
            audio_out_10ms_chunks=2, audio_out_end_silence_secs=0, allowed_origins=[],
        )
        transport = CallTransport(self.websocket, params, ledger=self.ledger,
                                  stream_sid=self.start.stream_sid,
                                  lead_seconds=OUTPUT_LEAD_SECONDS)
        vad, turn_strategies = await asyncio.to_thread(rt.turn_detection)
        context = LLMContext()
        aggregators = LLMContextAggregatorPair(
            context,
            user_params=LLMUserAggregatorParams(
                vad_analyzer=vad, user_turn_strategies=turn_strategies,
                user_idle_timeout=self.settings.turn.no_speech_prompt_seconds,
            ),
        )
        dialog = DialogService(rt.dialog_engine())
        pipeline = Pipeline([
            transport.input(), rt.stt_service(), KeypadTurns(), aggregators.user(), dialog,
            _ReplyTap(self.on_reply), rt.tts_service(), transport.output(),
            HeardTextGate(self.ledger, always_deliver=(ReplyFrame,)),
            _ReplyTap(self.on_reply_heard), aggregators.assistant(),
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

    def _wire_events(self, transport: CallTransport, aggregators: LLMContextAggregatorPair,
                     worker: PipelineWorker) -> None:
        greeting = self.runtime.greeting()

        @transport.event_handler("on_client_connected")
        async def _connected(_transport, _ws) -> None:
            await worker.queue_frames([TTSSpeakFrame(greeting)])
            # Turn 0 is the greeting: what of it the caller heard is recorded like any reply.
            self._playing_turn_id = await self._db(
                self.runtime.records.add_turn, self.call_sid, 0, intent="greeting",
                reply_text=greeting, replied_at=time.time())
            self._turn_ids.append(self._playing_turn_id)
            self._turn_index = 1

        @transport.event_handler("on_client_disconnected")
        async def _disconnected(_transport, _ws) -> None:
            await worker.cancel(reason=self.end_reason)

        @aggregators.user().event_handler("on_user_turn_idle")
        async def _idle(_aggregator) -> None:
            await self._on_caller_silent()

        @aggregators.user().event_handler("on_user_turn_started")
        async def _caller_spoke(_aggregator, _strategy) -> None:
            self._silent_prompts = 0

        @aggregators.assistant().event_handler("on_assistant_turn_stopped")
        async def _assistant_stopped(_aggregator, message) -> None:
            turn_id, self._playing_turn_id = self._playing_turn_id, None
            if turn_id is not None:
                await self._db(self.runtime.records.update_turn, turn_id,
                               heard_text=message.content, interrupted=int(message.interrupted))

        @worker.event_handler("on_idle_timeout")
        async def _idle_timeout(_worker) -> None:
            # Backstop only: a line with no activity at all (no audio either way).
            self.end_reason = "idle_timeout"
            await self.runtime.twilio.hang_up(self.call_sid)

    async def run(self) -> None:
        await self._db(
            self.runtime.records.start_call, call_sid=self.call_sid,
            stream_sid=self.start.stream_sid, account_sid=self.start.account_sid,
            from_number="", to_number="", language="en",
        )
        try:
            worker = self._worker = await self._build()
            runner = WorkerRunner(handle_sigint=False)
            await runner.add_workers(worker)
            await runner.run()
        except Exception as exc:
            self.end_reason = "error"
            logger.exception(f"call {self.call_sid} failed: {exc}")
            raise
        finally:
            if self._decision_task is not None and not self._decision_task.done():
                self._decision_task.cancel()
            # Records already on their way are written, not dropped.
            await asyncio.gather(*self._record_tasks, return_exceptions=True)
            await self._db(self.runtime.records.end_call, self.call_sid, self.end_reason)
            logger.info(f"call {self.call_sid} ended: {self.end_reason}")
