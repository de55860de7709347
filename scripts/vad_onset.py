"""How long the VAD takes to hear a caller start talking, per VAD setting (offline).

Feeds synthesized, telephone-banded caller phrases (after 2 s of silence, at
several frame alignments) through pipecat's Silero VAD analyzer exactly as a call
does, and reports the delay from the first loud sample to the SPEAKING state.
This delay is most of the barge-in reaction time (`clear` after the caller starts). It
converts the whole clip at once; ``scripts/false_barge_in.py`` goes through the call's own
serializer, message by message, and measures false barge-ins on noise as well.

    .venv/bin/python scripts/vad_onset.py
"""

from __future__ import annotations

import statistics

import numpy as np
from pipecat.audio.vad.silero import SileroVADAnalyzer
from pipecat.audio.vad.vad_analyzer import VADParams, VADState

from config import Settings
from telephony.cli.simulator import trim_silence
from voice.audio import mulaw8k_to_pcm16k, synthesize_mulaw8k
from voice.voices import VoiceModels

PHRASES = ["What time is check out?", "Is there parking at the hotel?", "Can I bring my dog?",
           "I would like to speak to a real person.", "How do I connect to the wifi?",
           "Sorry, one more question."]
# (start seconds, confidence, min volume)
CONFIGS = {"pipecat default": (0.2, 0.7, 0.6), "more eager": (0.1, 0.5, 0.2)}
RATE = 16000
CHUNK_BYTES = 640  # 20 ms, as Twilio frames arrive


def onset_delay_ms(clip: np.ndarray, shift: int, params: VADParams) -> float | None:
    vad = SileroVADAnalyzer(sample_rate=RATE, params=params)
    vad.set_sample_rate(RATE)
    silence = np.zeros(RATE * 2 + shift, dtype=np.int16)
    audio = np.concatenate([silence, clip]).tobytes()
    loud = len(silence) + int(np.flatnonzero(np.abs(clip) > 2000)[0])
    for start in range(0, len(audio), CHUNK_BYTES):
        if vad._run_analyzer(audio[start:start + CHUNK_BYTES]) == VADState.SPEAKING:
            return ((start + CHUNK_BYTES) // 2 - loud) * 1000 / RATE
    return None


def main() -> None:
    voice = VoiceModels.load(Settings()).voices["en"]
    clips = [mulaw8k_to_pcm16k(trim_silence(synthesize_mulaw8k(p, voice))) for p in PHRASES]
    turn = Settings().turn
    configs = {**CONFIGS, "frontdesk default": (turn.vad_start_seconds, turn.vad_confidence,
                                                turn.vad_min_volume)}
    for name, (start, confidence, volume) in configs.items():
        params = VADParams(start_secs=start, confidence=confidence, min_volume=volume)
        delays = [onset_delay_ms(c, shift, params) for c in clips for shift in range(0, 320, 40)]
        heard = sorted(d for d in delays if d is not None)
        print(f"{name:18} start {start} conf {confidence} vol {volume}: median "
              f"{statistics.median(heard):.0f} ms, p90 {heard[int(len(heard) * 0.9)]:.0f} ms, "
              f"missed {delays.count(None)}/{len(delays)}")


if __name__ == "__main__":
    main()
