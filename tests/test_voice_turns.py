"""Shared-session VAD and Smart Turn analyzers behave exactly like pipecat's own."""

from __future__ import annotations

import numpy as np
from pipecat.audio.turn.smart_turn.base_smart_turn import SmartTurnParams
from pipecat.audio.turn.smart_turn.local_smart_turn_v3 import LocalSmartTurnAnalyzerV3
from pipecat.audio.vad.silero import SileroVADAnalyzer
from pipecat.audio.vad.vad_analyzer import VADParams

from voice.audio import mulaw8k_to_pcm16k, synthesize_mulaw8k
from voice.turns import TurnModels


def _speech(voice_models) -> np.ndarray:
    audio = synthesize_mulaw8k("Could you tell me when breakfast starts", voice_models.voices["en"])
    return mulaw8k_to_pcm16k(audio)


def test_shared_vad_gives_pipecats_confidences_and_keeps_state_per_call(voice_models):
    pcm = _speech(voice_models)
    models, params = TurnModels(), VADParams()
    ours, other_call, theirs = models.vad(params), models.vad(params), SileroVADAnalyzer()
    for vad in (ours, other_call, theirs):
        vad.set_sample_rate(16000)
    windows = [pcm[i:i + 512].tobytes() for i in range(0, len(pcm) - 512, 512)]
    mine = [ours.voice_confidence(w) for w in windows]
    other_call.voice_confidence(windows[-1])  # another call's audio must not leak in
    reference = [theirs.voice_confidence(w) for w in windows]
    assert max(mine) > 0.5
    assert np.allclose(mine, reference, atol=1e-5)


def test_shared_smart_turn_predicts_like_pipecats(voice_models):
    pcm = _speech(voice_models).astype(np.float32) / 32768
    params = SmartTurnParams()
    ours = TurnModels().smart_turn(params)
    theirs = LocalSmartTurnAnalyzerV3(params=params)
    assert ours._predict_endpoint(pcm) == theirs._predict_endpoint(pcm)
