"""Every call's VAD and Smart Turn analyzers share one session each (``voice.turn``): a call's
analyzer must judge its own audio exactly as one on a session of its own would, whatever the
other calls on the shared session are hearing."""

from __future__ import annotations

import numpy as np
import pytest
from pipecat.audio.turn.smart_turn.local_smart_turn_v3 import LocalSmartTurnAnalyzerV3
from pipecat.audio.vad.silero import SileroVADAnalyzer

from voice.audio import mulaw8k_to_pcm16k, synthesize_mulaw8k
from voice.models import smart_turn_path
from voice.turn import SharedSmartTurn, TurnModels
from voice.vad import PauseWatchingVAD

pytestmark = pytest.mark.models

WINDOW = 512  # Silero's window at 16 kHz


@pytest.fixture(scope="module")
def turn_models() -> TurnModels:
    return TurnModels.load()


def _speech(voice_models, text: str) -> np.ndarray:
    pcm = mulaw8k_to_pcm16k(synthesize_mulaw8k(text, voice_models.voices["en"]))
    silence = np.zeros(8000, np.int16)
    return np.concatenate([silence, pcm, silence])


def _windows(pcm: np.ndarray) -> list[bytes]:
    return [pcm[i:i + WINDOW].tobytes() for i in range(0, len(pcm) - WINDOW + 1, WINDOW)]


def test_vads_on_one_session_keep_their_own_state(turn_models, voice_models):
    speech = _windows(_speech(voice_models, "What time is breakfast served tomorrow?"))
    other = _windows(_speech(voice_models, "Hello, I would like to cancel my booking."))
    alone = SileroVADAnalyzer()  # pipecat's, on a session of its own
    first = PauseWatchingVAD(session=turn_models.silero)
    second = PauseWatchingVAD(session=turn_models.silero)
    for vad in (alone, first, second):
        vad.set_sample_rate(16000)
    expected, got, others = [], [], []
    for index, window in enumerate(speech):  # the two calls' windows interleave
        expected.append(alone.voice_confidence(window).item())
        got.append(first.voice_confidence(window).item())
        others.append(second.voice_confidence(other[index % len(other)]).item())
    assert np.allclose(got, expected, atol=1e-5)
    assert max(got) > 0.9 and min(got[:10]) < 0.1  # it did hear speech, and silence before it
    assert max(others) > 0.9


def test_smart_turn_on_the_shared_session_judges_as_its_own(turn_models, voice_models):
    own = LocalSmartTurnAnalyzerV3(smart_turn_model_path=str(smart_turn_path()), cpu_count=1)
    shared = SharedSmartTurn(session=turn_models.smart_turn)
    for text in ("What time is breakfast served?", "I would like to book a room for"):
        audio = _speech(voice_models, text).astype(np.float32) / 32768.0
        mine, theirs = shared._predict_endpoint(audio), own._predict_endpoint(audio)
        assert mine["prediction"] == theirs["prediction"]
        assert abs(mine["probability"] - theirs["probability"]) < 1e-4
