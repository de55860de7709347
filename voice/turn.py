"""Turn-taking models, loaded once per process: Silero (voice activity) and Smart Turn v3 (end
of turn), each one ONNX session that every call's analyzers share.

pipecat's ``SileroVADAnalyzer`` and ``LocalSmartTurnAnalyzerV3`` each open their own session
per instance, that is per call: measured on 2 cores, 45 ms and ~10 MB (Silero) plus 110 ms and
~30 MB (Smart Turn) at every call's start. Neither session holds a stream's state (Silero's
recurrent state is an input and an output of each run, kept by the analyzer; Smart Turn judges
each turn's audio on its own), and ``InferenceSession.run`` may be called from several threads
at once, so one session serves every call. The analyzers here keep their per-stream state as
pipecat's do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import onnxruntime as ort
from pipecat.audio.turn.smart_turn.base_smart_turn import BaseSmartTurn
from pipecat.audio.turn.smart_turn.local_smart_turn_v3 import LocalSmartTurnAnalyzerV3
from pipecat.frames.frames import TranscriptionFrame, VADUserStoppedSpeakingFrame
from pipecat.turns.user_stop.turn_analyzer_user_turn_stop_strategy import (
    TurnAnalyzerUserTurnStopStrategy,
)

from voice.models import silero_vad_path, smart_turn_path

__all__ = ["QuestionEndsTurnStop", "SharedSmartTurn", "TurnModels",
           "reads_as_finished_question"]


def _session(path: str) -> ort.InferenceSession:
    """One thread per run, as pipecat's own sessions: calls run side by side, not one run on
    both cores."""
    options = ort.SessionOptions()
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.inter_op_num_threads = 1
    options.intra_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, sess_options=options, providers=["CPUExecutionProvider"])


@dataclass(frozen=True)
class TurnModels:
    """The process's Silero and Smart Turn sessions."""

    silero: ort.InferenceSession
    smart_turn: ort.InferenceSession

    @classmethod
    def load(cls) -> TurnModels:
        """Open both sessions and run each once, so the first call does not pay for their
        first runs (blocking: call it in a thread)."""
        models = cls(_session(str(silero_vad_path())), _session(str(smart_turn_path())))
        models.silero.run(None, {"input": np.zeros((1, 576), np.float32),
                                 "state": np.zeros((2, 1, 128), np.float32),
                                 "sr": np.array(16000, np.int64)})
        models.smart_turn.run(None, {"input_features": np.zeros((1, 80, 800), np.float32)})
        return models


class SharedSmartTurn(LocalSmartTurnAnalyzerV3):
    """pipecat's Smart Turn v3 analyzer (one call's audio buffer and state) on a shared
    session."""

    def __init__(self, *, session: ort.InferenceSession, **kwargs: Any) -> None:
        BaseSmartTurn.__init__(self, **kwargs)  # LocalSmartTurnAnalyzerV3's opens a session
        self._log_data = False
        self._session = session


QUESTION_MIN_WORDS = 3


def reads_as_finished_question(text: str) -> bool:
    """Whether Whisper wrote the caller's words as a whole question: three words or more, ending
    in a question mark ("Is there parking at the hotel?", "¿Tienen aparcamiento?" is two)."""
    words = text.strip()
    return words.endswith("?") and len(words.split()) >= QUESTION_MIN_WORDS


class QuestionEndsTurnStop(TurnAnalyzerUserTurnStopStrategy):
    """pipecat's Smart Turn stop strategy, with the transcript as a second opinion.

    Smart Turn hears a turn's end in its prosody. A caller with a flat voice asks a whole
    question and is heard as "not finished", so the turn waits out the analyzer's silence limit
    (``turn.smart_turn_max_silence_seconds``, 1 s): espeak-ng's English questions waited
    1.2 s on 3 of 6 in the benchmark. When the VAD has stopped and the transcript reads as a
    finished question (``reads_as_finished_question``), the turn counts as complete, and ends as
    a complete one does (transcript in hand, pipecat's STT wait). Anything else keeps Smart
    Turn's verdict. It reads the parent's turn state (``_turn_complete``, ``_vad_stopped``,
    ``_text``), checked against pipecat 1.14.
    """

    async def _handle_transcription(self, frame: TranscriptionFrame) -> None:
        await super()._handle_transcription(frame)
        await self._complete_if_question()

    async def _handle_vad_user_stopped_speaking(self, frame: VADUserStoppedSpeakingFrame) -> None:
        await super()._handle_vad_user_stopped_speaking(frame)
        await self._complete_if_question()

    async def _complete_if_question(self) -> None:
        if self._turn_complete or self._vad_user_speaking or not self._vad_stopped:
            return
        if reads_as_finished_question(self._text):
            self._turn_complete = True
            await self._maybe_trigger_user_turn_stopped()
