"""Voice activity detection that also says when the caller's voice pauses.

pipecat's VAD reports a stop only after its stop delay (``turn.vad_stop_seconds``) of quiet.
``PauseWatchingVAD`` also notices the first quiet frame after speech (``SpeechPausedFrame``) and
speech coming back before the delay ran out (``SpeechResumedFrame``), so speech recognition can
start on the utterance at the pause and keep the result if the stop follows
(``voice.stt.LocalWhisperSTTService``): the transcript is ready about a stop delay sooner.
"""

from __future__ import annotations

from typing import Any

import onnxruntime as ort
from pipecat.audio.vad.silero import SileroOnnxModel, SileroVADAnalyzer
from pipecat.audio.vad.vad_analyzer import VADAnalyzer, VADState
from pipecat.frames.frames import Frame, SystemFrame
from pipecat.processors.audio.vad_processor import VADProcessor
from pipecat.processors.frame_processor import FrameDirection

__all__ = ["PauseAwareVADProcessor", "PauseWatchingVAD", "SpeechPausedFrame",
           "SpeechResumedFrame"]


class SpeechPausedFrame(SystemFrame):
    """The caller's voice just stopped; the VAD is waiting out its stop delay."""


class SpeechResumedFrame(SystemFrame):
    """The caller spoke again before the stop delay ran out: the pause was inside the turn."""


def _silero_on(session: ort.InferenceSession) -> SileroOnnxModel:
    """pipecat's Silero wrapper (one stream's recurrent state) on a shared session: its
    ``__init__`` would open a session of its own."""
    model = SileroOnnxModel.__new__(SileroOnnxModel)
    model.session = session
    model.reset_states()
    model.sample_rates = [8000, 16000]
    return model


class PauseWatchingVAD(SileroVADAnalyzer):
    """Silero VAD that remembers the last pause or resumption it saw (``transition``).

    With ``session`` (``voice.turn.TurnModels.silero``) it runs on that shared session instead
    of opening one per call.
    """

    def __init__(self, *, session: ort.InferenceSession | None = None, **kwargs: Any) -> None:
        if session is None:
            super().__init__(**kwargs)
        else:  # SileroVADAnalyzer.__init__, less its session
            VADAnalyzer.__init__(self, **kwargs)
            self._model = _silero_on(session)
            self._windows_since_reset = 0
            self._low_confidence_windows = 0
        self._last = VADState.QUIET
        self.transition: type[Frame] | None = None

    async def analyze_audio(self, buffer: bytes) -> VADState:
        state = await super().analyze_audio(buffer)
        if self._last == VADState.SPEAKING and state == VADState.STOPPING:
            self.transition = SpeechPausedFrame
        elif self._last == VADState.STOPPING and state == VADState.SPEAKING:
            self.transition = SpeechResumedFrame
        self._last = state
        return state


class PauseAwareVADProcessor(VADProcessor):
    """pipecat's VAD processor, pushing ``SpeechPausedFrame`` and ``SpeechResumedFrame``
    downstream after the audio frame that caused them."""

    def __init__(self, *, vad_analyzer: PauseWatchingVAD, **kwargs: Any) -> None:
        super().__init__(vad_analyzer=vad_analyzer, **kwargs)
        self._watching = vad_analyzer

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        transition, self._watching.transition = self._watching.transition, None
        if transition is not None:
            await self.push_frame(transition(), FrameDirection.DOWNSTREAM)
