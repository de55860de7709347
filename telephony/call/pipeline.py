"""A call's pipecat pipeline, assembled: the processors in order, their parameters, the context
aggregators and the worker that runs them. The call (``telephony.call.session``) hands in what it
has loaded and the hooks it wants called; what the hooks do is the call's business.

transport.input -> STT -> transcript tap -> keypad -> user turn (Silero VAD + Smart Turn)
-> dialog -> reply tap -> TTS -> transport.output (paced, marks) -> [recorder, when calls are
recorded] -> heard-text gate -> heard tap -> heard turns (records what was heard) -> assistant
history
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pipecat.frames.frames import Frame, STTUpdateSettingsFrame, TranscriptionFrame
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
from starlette.websockets import WebSocket

from dialog.manager import DialogManager
from dialog.state import CallState
from telephony.call.dialog_service import DialogService
from telephony.call.frames import ReplyFrame, TurnSpokenFrame
from telephony.call.heard import HeardTextGate, HeardTurns, MarkLedger
from telephony.call.keypad import KeypadTurns
from telephony.call.language import CallLanguage
from telephony.call.timing import TurnTimer, TurnTiming
from telephony.call.transport import CallSerializer, CallTransport
from voice.vad import PauseAwareVADProcessor

if TYPE_CHECKING:
    from telephony.runtime import Runtime

__all__ = ["CallPipeline", "PipelineHooks", "build_pipeline", "history_messages"]

OUTPUT_LEAD_SECONDS = 0.3


def history_messages(state: CallState) -> list[dict[str, str]]:
    """The exchanges before a transfer, as context messages: the dialog of a caller brought
    back knows what was said."""
    messages = []
    for caller, agent in state.history:
        if caller:
            messages.append({"role": "user", "content": caller})
        if agent:
            messages.append({"role": "assistant", "content": agent})
    return messages


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


@dataclass(frozen=True)
class PipelineHooks:
    """What the call is told by its pipeline."""

    on_bad_message: Callable[[str], Awaitable[None]]  # a malformed stream message (its code)
    on_stop: Callable[[], Awaitable[None]]  # Twilio's `stop`
    ended: Callable[[], bool]  # the call is over: late messages are not errors
    on_transcript: Callable[[Any], str | None]  # a transcript; returns a language to pin
    on_reply: Callable[[ReplyFrame], Awaitable[int]]  # before TTS; returns the turn's index
    on_reply_heard: Callable[[ReplyFrame], Awaitable[None]]  # after the heard-text gate
    on_turn_heard: Callable[[int, str, bool], Awaitable[None]]  # what was heard of a turn
    on_first_audio: Callable[[TurnTiming], None]  # a reply's first audio went out


@dataclass(frozen=True)
class CallPipeline:
    """The assembled pipeline: the pieces whose events the call listens to."""

    transport: CallTransport
    aggregators: LLMContextAggregatorPair
    worker: PipelineWorker


def build_pipeline(runtime: Runtime, websocket: WebSocket, stream_sid: str, *,
                   ledger: MarkLedger, turn_detection: tuple[Any, Any], state: CallState,
                   engine: DialogManager, language: CallLanguage,
                   hooks: PipelineHooks, recorder: FrameProcessor | None = None) -> CallPipeline:
    """One call's pipeline over ``websocket``, answered by ``engine`` in ``language``, with
    ``turn_detection`` (the fresh VAD and user-turn strategies of ``Runtime.turn_detection``);
    ``recorder`` (``telephony.call.recording``) sees both sides of the call."""
    settings = runtime.settings
    serializer = CallSerializer(
        stream_sid, ledger=ledger, max_message_bytes=settings.stream.max_message_bytes,
        on_bad_message=hooks.on_bad_message, on_stop=hooks.on_stop, ended=hooks.ended,
    )
    params = FastAPIWebsocketParams(
        audio_in_enabled=True, audio_out_enabled=True, serializer=serializer,
        audio_out_10ms_chunks=2, audio_out_end_silence_secs=0, allowed_origins=[],
    )
    transport = CallTransport(websocket, params, ledger=ledger, stream_sid=stream_sid,
                              lead_seconds=OUTPUT_LEAD_SECONDS)
    vad, turn_strategies = turn_detection
    aggregators = LLMContextAggregatorPair(
        LLMContext(history_messages(state)),
        user_params=LLMUserAggregatorParams(
            user_turn_strategies=turn_strategies,
            user_idle_timeout=settings.turn.no_speech_prompt_seconds,
        ),
    )
    pipeline = Pipeline([
        transport.input(),
        # The VAD runs before speech recognition, not in the user aggregator: recognition cuts
        # each utterance out of its audio at the VAD's start and stop frames, so they must
        # arrive in step with that audio. From the aggregator they came back upstream late
        # whenever the pipeline ran behind (a loaded CPU), after the 1 s of audio recognition
        # keeps from before the start had moved past the words: the caller's words were lost.
        PauseAwareVADProcessor(vad_analyzer=vad),
        runtime.stt_service(language.recognition),
        _TranscriptTap(hooks.on_transcript), KeypadTurns(), aggregators.user(),
        DialogService(engine, language=language),
        _ReplyTap(hooks.on_reply), runtime.tts_service(language.voice),
        transport.output(),
        *([recorder] if recorder is not None else []),
        HeardTextGate(ledger, always_deliver=(ReplyFrame, TurnSpokenFrame)),
        _ReplyTap(hooks.on_reply_heard), HeardTurns(hooks.on_turn_heard),
        aggregators.assistant(),
    ])
    worker = PipelineWorker(
        pipeline,
        params=PipelineParams(audio_in_sample_rate=16000, audio_out_sample_rate=8000,
                              enable_metrics=True),
        observers=[TurnTimer(hooks.on_first_audio)],
        idle_timeout_secs=settings.turn.no_speech_hangup_seconds * 2,
        enable_rtvi=False,
    )
    return CallPipeline(transport, aggregators, worker)
