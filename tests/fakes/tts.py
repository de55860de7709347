"""A scripted voice: each sentence becomes a tone as long as its text.

``ScriptedTTSService`` is a pipecat TTS service like the piper one it stands in for (the same
clause aggregation, start and stop frames, language switching), so marks, pacing, barge-in and
the heard-text gate all run for real on its audio; only the sound is a tone, made at once.

A reply's first sentence lasts at least ``MIN_SECONDS``, as a spoken one does: a reply made at
once and over within the output's lead would reach a simulated caller before its own turn had
ended (a keypad turn ends after the key tone's silence), and the caller would then wait for a
reply it had already been sent.
"""

from __future__ import annotations

import math
import threading
import warnings
from collections.abc import AsyncGenerator
from typing import Any

import numpy as np
from pipecat.frames.frames import Frame, TTSAudioRawFrame
from pipecat.services.settings import TTSSettings

with warnings.catch_warnings():
    # As in voice/tts.py: the module subclasses its own deprecated AudioContextTTSService.
    warnings.filterwarnings("ignore", "`AudioContextTTSService`", DeprecationWarning)
    from pipecat.services.tts_service import TTSService

from voice.clauses import ClauseTextAggregator

__all__ = ["ScriptedTTSService", "Spoken", "tone"]

TONE_HZ = 440.0
MIN_SECONDS = 0.8


def tone(seconds: float, rate_hz: int, *, amplitude: float = 0.3) -> bytes:
    """``seconds`` of a sine at ``TONE_HZ`` with 5 ms ramps, 16-bit mono PCM."""
    n = max(1, round(seconds * rate_hz))
    t = np.arange(n) / rate_hz
    ramp = np.minimum(1.0, np.minimum(t, t[-1] - t) / 0.005)
    pcm = amplitude * 32767 * ramp * np.sin(2 * math.pi * TONE_HZ * t)
    return pcm.astype(np.int16).tobytes()


class Spoken:
    """What the scripted voices of a server were asked to say, as (text, language), in order."""

    def __init__(self) -> None:
        self._lines: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def add(self, text: str, language: str) -> None:
        with self._lock:
            self._lines.append((text, language))

    def lines(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._lines)


class ScriptedTTSService(TTSService):
    """Speaks each sentence as ``seconds_per_character`` of tone per character of it (a reply's
    first sentence at least ``MIN_SECONDS``)."""

    def __init__(self, *, language: str = "en", seconds_per_character: float = 0.006,
                 spoken: Spoken | None = None, **kwargs: Any) -> None:
        self._seconds_per_character = seconds_per_character
        self._spoken = spoken
        settings = TTSSettings(model=None, voice=None, language=language)
        super().__init__(push_start_frame=True, push_stop_frames=True, settings=settings,
                         **kwargs)
        self._context_id: str | None = None  # the reply whose sentences are being spoken
        self._text_aggregator = ClauseTextAggregator(
            aggregation_type=self._text_aggregation_mode, language=self.text_aggregation_language
        )

    @property
    def language(self) -> str:
        return str(self._settings.language)

    async def run_tts(self, text: str, context_id: str) -> AsyncGenerator[Frame, None]:
        await self.start_tts_usage_metrics(text)
        if self._spoken is not None:
            self._spoken.add(text, self.language)
        seconds = len(text.strip()) * self._seconds_per_character
        if context_id != self._context_id:  # a new reply
            self._context_id, seconds = context_id, max(MIN_SECONDS, seconds)
        pcm = tone(seconds, self.sample_rate)
        step = max(2, self.chunk_size)
        for start in range(0, len(pcm), step):
            await self.stop_ttfb_metrics()
            yield TTSAudioRawFrame(pcm[start:start + step], self.sample_rate, 1,
                                   context_id=context_id)
