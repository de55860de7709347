"""Per-turn latency, observed from the frames of one call's pipeline.

Breakdown (milliseconds), from the caller's end of speech (VAD stop minus the
VAD's own stop delay) to the first agent audio written to the socket:
end_of_turn_wait, stt, dialog, tts_first_audio, voice_to_voice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    UserStartedSpeakingFrame,
    UserStoppedSpeakingFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.observers.base_observer import BaseObserver, FramePushed

from telephony.call.frames import ReplyFrame

__all__ = ["TurnTimer", "TurnTiming"]


@dataclass
class TurnTiming:
    speech_started: float | None = None
    vad_stopped: float | None = None
    turn_ended: float | None = None
    transcribed: float | None = None
    replied: float | None = None
    dialog_ms: float | None = None
    tts_first_audio: float | None = None
    first_audio_out: float | None = None

    def speech_ended(self, vad_stop_seconds: float) -> float | None:
        """When the caller stopped talking: the VAD says so only after its stop delay."""
        return None if self.vad_stopped is None else self.vad_stopped - vad_stop_seconds

    def breakdown(self, vad_stop_seconds: float) -> dict[str, float]:
        def ms(a: float | None, b: float | None) -> float | None:
            return None if a is None or b is None else round((b - a) * 1000, 1)

        speech_end = self.speech_ended(vad_stop_seconds)
        figures = {
            "end_of_turn_wait": ms(speech_end, self.turn_ended),
            "stt": ms(self.vad_stopped, self.transcribed),
            "dialog": None if self.dialog_ms is None else round(self.dialog_ms, 1),
            "tts_first_audio": ms(self.replied, self.tts_first_audio),
            "voice_to_voice": ms(speech_end, self.first_audio_out),
        }
        return {k: v for k, v in figures.items() if v is not None}


class TurnTimer(BaseObserver):
    """Stamps turn milestones with time.monotonic(); `on_first_audio` fires once a
    reply's first audio has gone out, with the finished timing."""

    def __init__(self, on_first_audio: Callable[[TurnTiming], None]) -> None:
        super().__init__(observe_every_push=False)
        self._on_first_audio = on_first_audio
        self.current = TurnTiming()

    async def on_push_frame(self, data: FramePushed) -> None:
        frame = data.frame
        now = time.monotonic()
        if isinstance(frame, UserStartedSpeakingFrame) and self.current.replied is not None:
            # A new caller turn before the last reply made a sound (it was talked over,
            # or had nothing to say): its timing is abandoned.
            self.current = TurnTiming()
        turn = self.current
        if isinstance(frame, VADUserStartedSpeakingFrame):
            if turn.replied is None and turn.speech_started is None:
                turn.speech_started = now
        elif isinstance(frame, VADUserStoppedSpeakingFrame):
            if turn.replied is None:
                # A pause inside the turn: the speech after it is transcribed anew, so
                # the turn's STT time runs from its last VAD stop.
                turn.vad_stopped = now
                turn.transcribed = None
        elif isinstance(frame, UserStoppedSpeakingFrame):
            turn.turn_ended = now
        elif isinstance(frame, TranscriptionFrame):
            if turn.replied is None:
                turn.transcribed = now
        elif isinstance(frame, ReplyFrame):
            turn.replied = now
            turn.dialog_ms = frame.dialog_ms
        elif isinstance(frame, TTSAudioRawFrame):
            if turn.replied is not None and turn.tts_first_audio is None:
                turn.tts_first_audio = now
        elif isinstance(frame, BotStartedSpeakingFrame):
            if turn.replied is not None and turn.first_audio_out is None:
                turn.first_audio_out = now
                self.current = TurnTiming()
                self._on_first_audio(turn)
