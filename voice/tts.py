"""Text to speech: the pipecat service that speaks with the voices of ``voice.voices`` (piper
voices loaded once per process, one per language).

pipecat's ``PiperTTSService`` downloads missing voices, loads one in ``__init__`` per
call, cannot switch voice mid-call, and its ONNX session uses every core.
``LocalPiperTTSService`` speaks with preloaded voices (``VoiceModels.load`` in the app
lifespan), switches voice with the call's language, synthesises in a bounded thread
pool, and plays fixed prompts from a ``PromptCache`` without synthesising them again.
A language with no piper voice speaks with espeak-ng (``voice.espeak``) in the same pool.
"""

from __future__ import annotations

import asyncio
import threading
import warnings
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from loguru import logger
from pipecat.frames.frames import ErrorFrame, Frame, LLMFullResponseStartFrame, TTSAudioRawFrame
from pipecat.processors.frame_processor import FrameDirection
from pipecat.services.settings import TTSSettings
from pipecat.utils.tracing.service_decorators import traced_tts

with warnings.catch_warnings():
    # pipecat's tts_service module subclasses its own deprecated AudioContextTTSService
    # at import time; the DeprecationWarning is about a class we never use.
    warnings.filterwarnings("ignore", "`AudioContextTTSService`", DeprecationWarning)
    from pipecat.services.piper.tts import PiperTTSService, PiperTTSSettings
    from pipecat.services.tts_service import TTSService

from voice.clauses import ClauseTextAggregator
from voice.voices import CachedAudio, Speaker, VoiceModels

__all__ = ["LocalPiperTTSService"]


class LocalPiperTTSService(PiperTTSService):
    """pipecat's piper service on shared, preloaded voices, switchable per language.

    ``set_language`` (or a ``TTSUpdateSettingsFrame`` with a language) picks the voice for
    the next sentence: the language's piper voice, else espeak-ng, else English.
    """

    _settings: PiperTTSSettings

    def __init__(self, models: VoiceModels, *, language: str = "en", **kwargs: Any) -> None:
        # PiperTTSService.__init__ would download and load a voice: skip it, set up its base.
        self._models = models
        self._language, self._speaker = models.choose(language)
        settings = self.Settings(model=None, voice=None, language=self._language)
        TTSService.__init__(
            self, push_start_frame=True, push_stop_frames=True, settings=settings, **kwargs
        )
        self._text_aggregator = ClauseTextAggregator(
            aggregation_type=self._text_aggregation_mode, language=self.text_aggregation_language
        )

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        if isinstance(frame, LLMFullResponseStartFrame):
            self._text_aggregator.start_reply()  # its first clause is cut shorter
        await super().process_frame(frame, direction)

    @property
    def language(self) -> str:
        return self._language

    @property
    def voice_name(self) -> str:
        """The voice speaking now: "piper:en", "espeak-ng:es", ..."""
        return self._speaker.name

    def set_language(self, language: str) -> str:
        """Speak ``language`` from the next sentence on; returns the language used."""
        self._language, self._speaker = self._models.choose(str(language))
        return self._language

    async def _update_settings(self, delta: TTSSettings) -> dict[str, Any]:  # type: ignore[override]
        changed = await TTSService._update_settings(self, delta)
        if "language" in changed and isinstance(self._settings.language, str):
            self.set_language(self._settings.language)
        return changed

    async def _synthesized(self, speaker: Speaker, text: str) -> AsyncIterator[bytes]:
        """``speaker``'s chunks, each made in the shared pool; closing stops the synthesis."""
        loop, stop = asyncio.get_running_loop(), threading.Event()
        chunks = iter(speaker.chunks(text, stop))
        try:
            while (pcm := await loop.run_in_executor(
                    self._models.executor, next, chunks, None)) is not None:
                yield pcm
        finally:
            stop.set()

    async def _cached_frames(self, audio: CachedAudio, context_id: str) -> AsyncIterator[Frame]:
        step = max(2, self.chunk_size)
        for start in range(0, len(audio.pcm), step):
            yield TTSAudioRawFrame(
                audio.pcm[start : start + step], audio.sample_rate_hz, 1, context_id=context_id
            )

    @traced_tts
    async def run_tts(self, text: str, context_id: str) -> AsyncGenerator[Frame, None]:
        speaker = self._speaker  # a language switch takes effect at the next sentence
        try:
            await self.start_tts_usage_metrics(text)
            cached = self._models.prompts.lookup(text, speaker.name, self.sample_rate)
            if cached is not None:
                frames = self._cached_frames(cached, context_id)
            else:
                frames = self._stream_audio_frames_from_iterator(
                    self._synthesized(speaker, text),
                    in_sample_rate=speaker.sample_rate_hz,
                    context_id=context_id,
                )
            async for frame in frames:
                await self.stop_ttfb_metrics()
                yield frame
        except Exception as e:
            logger.error(f"{self}: synthesis with {speaker.name} failed: {e}")
            yield ErrorFrame(error=f"tts_failed: {type(e).__name__}: {e}", exception=e)
        finally:
            await self.stop_ttfb_metrics()
