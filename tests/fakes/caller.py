"""A caller for scripted calls: voiced audio that Silero VAD calls speech, made with no model.

Silero rejects plain tones, so the caller's "speech" is a small source-filter synthesis: a
glottal pulse train (a gliding pitch) through three formant resonators, a different vowel every
syllable. Its length follows the line's text, as a speaker's would. ``place_scripted_call`` loads
the lines into the server's script and places the call with the real simulator.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from config.settings import Settings
from fakes.stt import Line
from fakes.voices import FakeVoices
from telephony.cli.simulator import CallerStep, CallResult, PreparedTurn, place_prepared_call
from voice.audio import mulaw_encode

__all__ = ["place_scripted_call", "speech_mulaw", "voiced_pcm"]

RATE_HZ = 8000
SECONDS_PER_CHARACTER = 0.02
MIN_SECONDS, MAX_SECONDS = 0.45, 1.2
# (F1, F2, F3) in Hz of five vowels, and the bandwidths of the three formants.
_VOWELS = ((730, 1090, 2440), (270, 2290, 3010), (300, 870, 2240), (530, 1840, 2480),
           (570, 840, 2410))
_BANDWIDTHS = (80, 100, 140)


def _resonance(frequency: float, bandwidth: float, length: int) -> np.ndarray:
    """The impulse response of a two-pole resonator (poles r·e^±iθ), unit gain at rest."""
    r = np.exp(-np.pi * bandwidth / RATE_HZ)
    theta = 2 * np.pi * frequency / RATE_HZ
    n = np.arange(length)
    return (1 - r) * r ** n * np.sin((n + 1) * theta) / np.sin(theta)


@lru_cache(maxsize=64)
def voiced_pcm(seconds: float, *, pitch_hz: float = 160.0, syllable_seconds: float = 0.15
               ) -> np.ndarray:
    """``seconds`` of vowel-like voiced sound, 8 kHz 16-bit mono (deterministic)."""
    n = round(seconds * RATE_HZ)
    t = np.arange(n) / RATE_HZ
    cycles = np.cumsum(pitch_hz * (1 + 0.1 * np.sin(2 * np.pi * 2.3 * t))) / RATE_HZ
    pulses = np.diff(np.floor(cycles), prepend=0.0)  # 1 at each glottal pulse
    out = np.zeros(n)
    size = round(syllable_seconds * RATE_HZ)
    for index, start in enumerate(range(0, n, size)):
        wave = pulses[start:start + size]
        for formant, bandwidth in zip(_VOWELS[index % len(_VOWELS)], _BANDWIDTHS, strict=True):
            wave = np.convolve(wave, _resonance(formant, bandwidth, 400))[:len(wave)]
        out[start:start + len(wave)] = wave * np.sqrt(np.hanning(len(wave)))
    pcm = (out / max(1e-9, float(np.abs(out).max())) * 0.6 * 32767).astype(np.int16)
    pcm.flags.writeable = False
    return pcm


def speech_mulaw(text: str) -> bytes:
    """A caller saying ``text``: voiced audio as long as it, 8 kHz mu-law as Twilio sends it."""
    seconds = min(MAX_SECONDS, max(MIN_SECONDS, len(text) * SECONDS_PER_CHARACTER))
    return mulaw_encode(voiced_pcm(round(seconds, 2)))


async def place_scripted_call(url: str, steps: Sequence[CallerStep], *, voices: FakeVoices,
                              settings: Settings, language: str = "en",
                              quiet_seconds: float = 0.4, **kwargs: object) -> CallResult:
    """A call to the server at ``url`` whose recogniser hears each step's ``say`` as that text
    (in ``language``), spoken as ``speech_mulaw``; keypad steps are sent as digits."""
    voices.script.load(Line(step.say, language) for step in steps if step.say is not None)
    turns = [PreparedTurn(step, speech_mulaw(step.say) if step.say is not None else b"")
             for step in steps]
    return await place_prepared_call(url, turns, settings=settings,
                                     quiet_seconds=quiet_seconds, **kwargs)  # type: ignore[arg-type]
