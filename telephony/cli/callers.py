"""The benchmark's simulated callers: the questions they ask and the voices they ask them in.

piper's English voice (the agent's own model), and espeak-ng speaking English and Spanish: a
robotic voice, but another voice and another language, so a call's first turn goes through
language detection. All cut to what Twilio delivers: telephone band, 8 kHz mu-law, without the
silence around the words.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from telephony.cli.callreport import SILENT_PEAK
from telephony.cli.simulator import (
    CallerStep,
    PreparedTurn,
    SimulatorError,
    prepare_steps,
    trim_silence,
)
from voice.audio import TELEPHONE_RATE_HZ, band_pass, mulaw_encode, resample_pcm16

__all__ = [
    "CALLER_NAMES", "QUESTIONS", "QUESTIONS_ES", "CallerVoice", "caller_scripts",
    "caller_voices", "espeak_caller_mulaw8k",
]

QUESTIONS = (
    "What time is breakfast served?",
    "Is there parking at the hotel?",
    "How do I connect to the wifi?",
    "What time is check-out?",
    "Can I bring my dog?",
    "How do I cancel my booking?",
)
QUESTIONS_ES = (  # the same questions, as a Spanish-speaking guest asks them
    "¿A qué hora sirven el desayuno?",
    "¿Tienen aparcamiento en el hotel?",
    "¿Cómo me conecto al wifi?",
    "¿A qué hora es la salida?",
    "¿Puedo llevar a mi perro?",
    "¿Cómo cancelo mi reserva?",
)
ESPEAK_CALLERS = (("en-us", QUESTIONS), ("es", QUESTIONS_ES))
ESPEAK_RATE_WPM = 150
CALLER_NAMES = ("piper:en", *(f"espeak-ng:{voice}" for voice, _ in ESPEAK_CALLERS))


@dataclass(frozen=True)
class CallerVoice:
    """One simulated caller's voice, with the benchmark's questions spoken in it."""

    name: str  # "piper:en", "espeak-ng:es"
    turns: tuple[PreparedTurn, ...]


def espeak_caller_mulaw8k(text: str, voice: str) -> bytes:
    """espeak-ng saying ``text`` as Twilio delivers a caller: telephone band, 8 kHz mu-law,
    without the silence around the words."""
    from voice.espeak import espeak_engine

    engine = espeak_engine()
    pcm = np.frombuffer(engine.synthesize(text, voice, rate_wpm=ESPEAK_RATE_WPM), dtype=np.int16)
    # Cut espeak-ng's trailing pause before filtering: the band-pass rings at the clip's edge,
    # and that ringing would keep the silence before it (the caller "still speaking").
    loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) >= SILENT_PEAK)
    if loud.size:
        pcm = pcm[int(loud[0]): int(loud[-1]) + 1]
    pcm8k = resample_pcm16(pcm, engine.sample_rate_hz, TELEPHONE_RATE_HZ)
    return trim_silence(mulaw_encode(band_pass(pcm8k, TELEPHONE_RATE_HZ)))


def caller_voices(piper: Any, names: Sequence[str] = CALLER_NAMES) -> list[CallerVoice]:
    """The callers named (``CALLER_NAMES``); an espeak-ng one is left out, with a line on stderr,
    when espeak-ng is not installed (blocking: run it in a thread)."""
    from voice.espeak import EspeakError

    unknown = sorted(set(names) - set(CALLER_NAMES))
    if unknown or not names:
        raise SimulatorError(f"unknown caller voice(s) {', '.join(unknown) or '(none given)'}; "
                             f"choose among {', '.join(CALLER_NAMES)}")
    voices = []
    if "piper:en" in names:
        spoken = prepare_steps([CallerStep(say=q) for q in QUESTIONS], piper)
        voices.append(CallerVoice("piper:en", tuple(spoken)))
    for voice, questions in ESPEAK_CALLERS:
        if f"espeak-ng:{voice}" not in names:
            continue
        try:
            turns = tuple(PreparedTurn(CallerStep(say=q), espeak_caller_mulaw8k(q, voice))
                          for q in questions)
        except (EspeakError, OSError) as exc:
            print(f"frontdesk bench: no espeak-ng {voice} caller ({exc})", file=sys.stderr)
            continue
        voices.append(CallerVoice(f"espeak-ng:{voice}", turns))
    if not voices:
        raise SimulatorError("no caller voice could be made (is espeak-ng installed?)")
    return voices


def caller_scripts(voices: Sequence[CallerVoice], calls: int,
                   turns_per_call: int) -> list[tuple[str, list[PreparedTurn]]]:
    """Call ``i`` speaks in voice ``i mod len(voices)``, its questions rotated by ``i``."""
    scripts = []
    for index in range(calls):
        voice = voices[index % len(voices)]
        scripts.append((voice.name, [voice.turns[(index + k) % len(voice.turns)]
                                     for k in range(turns_per_call)]))
    return scripts
