"""pipecat's Silero VAD and Smart Turn v3 analyzers on ONNX sessions shared per process.

Both analyzers keep per-stream state (Silero's recurrent state, Smart Turn's audio
buffer) and so are built per call; pipecat also builds a new ONNX session inside
each, which costs ~100 ms of CPU and a few MB per call. An onnxruntime session
is safe to run from several threads, so one session per process serves every call.
"""

from __future__ import annotations

import onnxruntime as ort
from pipecat.audio.turn.smart_turn.base_smart_turn import BaseSmartTurn, SmartTurnParams
from pipecat.audio.turn.smart_turn.local_smart_turn_v3 import LocalSmartTurnAnalyzerV3
from pipecat.audio.vad.silero import SileroOnnxModel, SileroVADAnalyzer
from pipecat.audio.vad.vad_analyzer import VADAnalyzer, VADParams

from voice.models import silero_vad_path, smart_turn_path

__all__ = ["TurnModels"]


class _SharedSileroModel(SileroOnnxModel):
    def __init__(self, session: ort.InferenceSession) -> None:
        self.session = session
        self.reset_states()
        self.sample_rates = [8000, 16000]


class _SharedSileroVAD(SileroVADAnalyzer):
    def __init__(self, session: ort.InferenceSession, *, params: VADParams) -> None:
        VADAnalyzer.__init__(self, params=params)
        self._model = _SharedSileroModel(session)
        self._windows_since_reset = 0
        self._low_confidence_windows = 0


class _SharedSmartTurn(LocalSmartTurnAnalyzerV3):
    def __init__(self, session: ort.InferenceSession, *, params: SmartTurnParams) -> None:
        BaseSmartTurn.__init__(self, params=params)
        self._log_data = False
        self._session = session


def _session(path: str, *, threads: int = 1) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.inter_op_num_threads = 1
    options.intra_op_num_threads = threads
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, sess_options=options, providers=["CPUExecutionProvider"])


class TurnModels:
    """The VAD and end-of-turn sessions, loaded once; analyzers are made per call."""

    def __init__(self) -> None:
        self._vad = _session(str(silero_vad_path()))
        self._turn = _session(str(smart_turn_path()))

    def vad(self, params: VADParams) -> SileroVADAnalyzer:
        return _SharedSileroVAD(self._vad, params=params)

    def smart_turn(self, params: SmartTurnParams) -> LocalSmartTurnAnalyzerV3:
        return _SharedSmartTurn(self._turn, params=params)
