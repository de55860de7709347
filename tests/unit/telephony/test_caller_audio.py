"""The caller's audio on its way in: Twilio media messages through the call's serializer
(``CallSerializer``: wire parsing, mu-law, 8 -> 16 kHz) as the pipeline and its VAD get it.

Each message must reach the pipeline at once: pipecat's own serializer resamples with a soxr
stream that hands its output on in ~100 ms bursts, so the VAD, and the barge-in after it,
heard the caller ~60-80 ms late."""

from __future__ import annotations

import base64
import json
import statistics
from types import SimpleNamespace

import numpy as np
import pytest
from pipecat.audio.vad.vad_analyzer import VADParams, VADState
from pipecat.serializers.twilio import TwilioFrameSerializer

from config import Settings
from telephony.call.heard import MarkLedger
from telephony.call.transport import CallSerializer
from telephony.cli.simulator import trim_silence
from voice.audio import (
    TelephoneUpsampler,
    band_pass,
    mulaw8k_to_pcm16k,
    mulaw_encode,
    synthesize_mulaw8k,
)
from voice.turn import TurnModels
from voice.vad import PauseWatchingVAD

FRAME = 160  # 20 ms of 8 kHz mu-law, one media message


async def _nothing(*_: object) -> None:
    return None


async def _serializer(kind: str = "call") -> TwilioFrameSerializer:
    if kind == "pipecat":
        wire: TwilioFrameSerializer = TwilioFrameSerializer(
            "MZtest", params=TwilioFrameSerializer.InputParams(auto_hang_up=False))
    else:
        wire = CallSerializer("MZtest", ledger=MarkLedger(), max_message_bytes=16_384,
                              on_bad_message=_nothing, on_stop=_nothing)
    await wire.setup(SimpleNamespace(audio_in_sample_rate=16000))  # the pipeline's input rate
    return wire


async def _pipeline_audio(mulaw: bytes, kind: str = "call") -> list[bytes | None]:
    """What each 20 ms media message gives the pipeline (None: nothing)."""
    wire = await _serializer(kind)
    out = []
    for index, start in enumerate(range(0, len(mulaw), FRAME)):
        message = json.dumps({"event": "media", "streamSid": "MZtest", "media": {
            "track": "inbound", "chunk": str(index + 1), "timestamp": str(20 * index),
            "payload": base64.b64encode(mulaw[start:start + FRAME]).decode()}})
        frame = await wire.deserialize(message)
        out.append(None if frame is None else frame.audio)
    return out


def _line_audio(seconds: float = 2.0) -> bytes:
    """Voice-like sound as a phone line carries it: harmonics of a gliding pitch and noise,
    300-3400 Hz, mu-law."""
    rng = np.random.default_rng(13)
    t = np.arange(int(seconds * 8000)) / 8000
    pitch = 140 + 30 * np.sin(2 * np.pi * 1.3 * t)
    phase = 2 * np.pi * np.cumsum(pitch) / 8000
    sound = sum(np.sin(k * phase) / k for k in range(1, 20)) + 0.3 * rng.standard_normal(len(t))
    sound *= 0.5 + 0.5 * np.sin(2 * np.pi * 3 * t) ** 2
    pcm = np.clip(sound / np.max(np.abs(sound)) * 12000, -32768, 32767).astype(np.int16)
    return mulaw_encode(band_pass(pcm, 8000))


async def test_every_message_reaches_the_pipeline_at_once():
    audio = await _pipeline_audio(_line_audio())
    assert all(chunk is not None and len(chunk) == 640 for chunk in audio)  # 20 ms at 16 kHz


async def test_a_click_comes_out_with_its_own_message():
    line = np.zeros(FRAME * 20, np.int16)
    line[10 * FRAME + 50] = 16000  # in message 10
    audio = await _pipeline_audio(mulaw_encode(line))
    loudest = [int(np.max(np.abs(np.frombuffer(chunk or b"", np.int16)), initial=0))
               for chunk in audio]
    assert int(np.argmax(loudest)) == 10
    assert TelephoneUpsampler().delay_samples / 16 < 2.5  # ms


async def test_the_pipeline_hears_the_same_sound_as_a_whole_signal_resampling():
    line = _line_audio()
    streamed = np.frombuffer(b"".join(await _pipeline_audio(line)), np.int16).astype(float)
    whole = mulaw8k_to_pcm16k(line).astype(float)  # soxr on the whole signal: no delay
    delay = TelephoneUpsampler().delay_samples
    ours, reference = streamed[delay:], whole[: len(streamed) - delay]
    error = np.sum((ours - reference) ** 2) / np.sum(reference ** 2)
    assert 10 * np.log10(error) < -40  # dB; G.711's own noise is ~-38 dB


@pytest.mark.models
async def test_the_vad_hears_a_caller_sooner_than_through_pipecats_serializer(voice_models):
    """The bench's barge-in phrases at 8 alignments to Silero's window, through the wire
    messages into the call's VAD with the default settings: the SPEAKING that a barge-in
    waits for comes ~80 ms sooner (median) than through pipecat's own serializer."""
    models = TurnModels.load()
    turn = Settings().turn
    params = VADParams(confidence=turn.vad_confidence, start_secs=turn.vad_start_seconds,
                       stop_secs=turn.vad_stop_seconds, min_volume=turn.vad_min_volume)

    async def heard_after_ms(mulaw: bytes, lead: int, kind: str) -> float:
        vad = PauseWatchingVAD(session=models.silero, params=params)
        vad.set_sample_rate(16000)
        for index, chunk in enumerate(await _pipeline_audio(mulaw, kind)):
            if chunk and await vad.analyze_audio(chunk) == VADState.SPEAKING:
                return (index + 1 - lead) * 20.0
        raise AssertionError("the VAD never heard the caller")

    ours, theirs = [], []
    for text in ("What time is breakfast served?", "Is there parking at the hotel?"):
        speech = trim_silence(synthesize_mulaw8k(text, voice_models.voices["en"]))
        for lead in range(50, 58):  # 1 s of silence, then the caller
            call = bytes([0xFF]) * FRAME * lead + speech
            ours.append(await heard_after_ms(call, lead, "call"))
            theirs.append(await heard_after_ms(call, lead, "pipecat"))
    assert statistics.median(ours) <= statistics.median(theirs) - 40
