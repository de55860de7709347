"""Callers speaking Spanish, French and German: espeak-ng (the only offline voice for them),
cut to the telephone band as Twilio delivers a caller."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import soundfile as sf

from voice.audio import band_pass, mulaw8k_to_pcm16k, mulaw_encode, resample_pcm16

RATE_WPM = 130  # as the agent's own espeak-ng voice speaks (tts.fallback_rate_wpm)


def espeak_wav(text: str, language: str, folder: Path, *, rate_wpm: int = RATE_WPM) -> Path:
    """A WAV of espeak-ng saying ``text``, band-passed to 300-3400 Hz (a call step's audio)."""
    name = f"{language}-{abs(hash((text, rate_wpm)))}"
    raw = folder / f"raw-{name}.wav"
    subprocess.run(["espeak-ng", "-v", language, "-s", str(rate_wpm), "-w", str(raw), text],
                   check=True, capture_output=True, timeout=60)
    audio, rate = sf.read(str(raw), dtype="int16")
    clip = folder / f"call-{name}.wav"
    sf.write(str(clip), band_pass(np.asarray(audio, dtype=np.int16), rate), rate)
    return clip


def espeak_mulaw8k(text: str, language: str, folder: Path, *,
                   rate_wpm: int = RATE_WPM) -> bytes:
    """That caller as Twilio streams them: 8 kHz mu-law."""
    audio, rate = sf.read(str(espeak_wav(text, language, folder, rate_wpm=rate_wpm)),
                          dtype="int16")
    return mulaw_encode(resample_pcm16(np.asarray(audio, dtype=np.int16), rate, 8000))


def espeak_pcm16k(text: str, language: str, folder: Path, *, rate_wpm: int = RATE_WPM) -> bytes:
    """What speech recognition gets of that caller: the mu-law stream as 16 kHz PCM."""
    return mulaw8k_to_pcm16k(espeak_mulaw8k(text, language, folder,
                                            rate_wpm=rate_wpm)).tobytes()
