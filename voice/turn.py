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

from voice.models import silero_vad_path, smart_turn_path

__all__ = ["SharedSmartTurn", "TurnModels"]


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
