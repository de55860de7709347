"""Text to speech: piper voices loaded once per process, one voice per language.

pipecat's ``PiperTTSService`` downloads missing voices, loads one in ``__init__`` per
call, cannot switch voice mid-call, and its ONNX session uses every core.
``LocalPiperTTSService`` speaks with preloaded voices (``VoiceModels.load`` in the app
lifespan), switches voice with the call's language, synthesises in a bounded thread
pool, and plays fixed prompts from a ``PromptCache`` without synthesising them again.
"""

from __future__ import annotations

import asyncio
import json
import threading
import warnings
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime
from loguru import logger
from pipecat.frames.frames import ErrorFrame, Frame, TTSAudioRawFrame
from pipecat.services.settings import TTSSettings
from pipecat.utils.tracing.service_decorators import traced_tts

with warnings.catch_warnings():
    # pipecat's tts_service module subclasses its own deprecated AudioContextTTSService
    # at import time; the DeprecationWarning is about a class we never use.
    warnings.filterwarnings("ignore", "`AudioContextTTSService`", DeprecationWarning)
    from pipecat.services.piper.tts import PiperTTSService, PiperTTSSettings
    from pipecat.services.tts_service import TTSService
from piper import PiperVoice
from piper.config import PiperConfig, SynthesisConfig

from config.settings import Settings
from voice.audio import resample_pcm16
from voice.clauses import ClauseTextAggregator
from voice.models import resolve_piper_voice

__all__ = [
    "CachedAudio",
    "LocalPiperTTSService",
    "PromptCache",
    "VoiceModels",
    "load_piper_voice",
]

_loaded: dict[tuple[str, str, int], PiperVoice] = {}
_load_lock = threading.Lock()


def load_piper_voice(onnx_path: Path, config_path: Path, *, cpu_threads: int) -> PiperVoice:
    """Load a piper voice with an ONNX session of ``cpu_threads`` threads, once per process."""
    key = (str(Path(onnx_path).resolve()), str(Path(config_path).resolve()), cpu_threads)
    with _load_lock:
        if key not in _loaded:
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = cpu_threads
            options.inter_op_num_threads = 1
            options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
            # Idle pool threads must not spin: Whisper needs those cores between sentences.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            session = onnxruntime.InferenceSession(
                key[0], sess_options=options, providers=["CPUExecutionProvider"]
            )
            config = PiperConfig.from_dict(json.loads(Path(key[1]).read_text(encoding="utf-8")))
            _loaded[key] = PiperVoice(session=session, config=config)
        return _loaded[key]


def _base(language: str) -> str:
    return str(language).split("-")[0].lower()


def _voice_key(voices: Mapping[str, PiperVoice], language: str) -> str | None:
    """The key of the voice for ``language``: exact code, then base code ("es-MX" -> "es")."""
    return next((k for k in (str(language), _base(language)) if k in voices), None)


def _pick_voice(voices: Mapping[str, PiperVoice], language: str) -> tuple[str, PiperVoice]:
    """The voice for ``language``, else English (with a log line)."""
    key = _voice_key(voices, language)
    if key is None:
        logger.warning(f"no piper voice for language {language!r}: speaking English")
        key = "en"
    return key, voices[key]


@dataclass(frozen=True)
class CachedAudio:
    pcm: bytes  # 16-bit mono
    sample_rate_hz: int


class PromptCache:
    """Fixed prompts synthesised once per process and language, then served from memory."""

    def __init__(self, voices: Mapping[str, PiperVoice],
                 synthesis: SynthesisConfig | None = None) -> None:
        self._voices = voices
        self._synthesis = synthesis
        self._audio: dict[tuple[str, str, int | None], CachedAudio] = {}
        self._lock = threading.Lock()
        self.syntheses = 0  # how many times the cache had to synthesise

    @staticmethod
    def _key_text(text: str) -> str:
        return " ".join(text.split())

    def warm(self, texts: Iterable[str], languages: Iterable[str] | None = None) -> None:
        """Synthesise ``texts`` for ``languages`` (default: every voice). Blocking."""
        for language in list(languages or self._voices):
            for text in texts:
                self.get_or_synthesize(text, language)

    def get(
        self, text: str, language: str, sample_rate_hz: int | None = None
    ) -> CachedAudio | None:
        """The cached audio for exactly this text, resampled to ``sample_rate_hz`` if given."""
        key_text, language = self._key_text(text), _voice_key(self._voices, language) or "en"
        with self._lock:
            native = self._audio.get((language, key_text, None))
            if native is None or sample_rate_hz in (None, native.sample_rate_hz):
                return native
            converted = self._audio.get((language, key_text, sample_rate_hz))
            if converted is None:
                pcm = np.frombuffer(native.pcm, dtype=np.int16)
                pcm = resample_pcm16(pcm, native.sample_rate_hz, sample_rate_hz)
                converted = CachedAudio(pcm.tobytes(), sample_rate_hz)
                self._audio[(language, key_text, sample_rate_hz)] = converted
            return converted

    def get_or_synthesize(self, text: str, language: str) -> CachedAudio:
        """Cached audio for ``text``, synthesising it first if needed. Blocking."""
        language, voice = _pick_voice(self._voices, language)
        cached = self.get(text, language)
        if cached is not None:
            return cached
        chunks = [chunk.audio_int16_bytes
                  for chunk in voice.synthesize(self._key_text(text), self._synthesis)]
        audio = CachedAudio(b"".join(chunks), voice.config.sample_rate)
        with self._lock:
            self.syntheses += 1
            return self._audio.setdefault((language, self._key_text(text), None), audio)


@dataclass(frozen=True)
class VoiceModels:
    """Piper voices (language -> voice) shared by every call, their pool and prompt cache."""

    voices: Mapping[str, PiperVoice]
    executor: ThreadPoolExecutor
    prompts: PromptCache
    synthesis: SynthesisConfig | None = None

    @classmethod
    def load(cls, settings: Settings) -> VoiceModels:
        voices = {
            language: load_piper_voice(
                *resolve_piper_voice(language, settings), cpu_threads=settings.tts.cpu_threads
            )
            for language in sorted({"en", *settings.tts.voices})
        }
        pool = ThreadPoolExecutor(settings.tts.max_concurrent, thread_name_prefix="piper")
        synthesis = SynthesisConfig(noise_scale=settings.tts.noise_scale,
                                    noise_w_scale=settings.tts.noise_w_scale)
        return cls(voices, pool, PromptCache(voices, synthesis), synthesis)

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


class LocalPiperTTSService(PiperTTSService):
    """pipecat's piper service on shared, preloaded voices, switchable per language."""

    _settings: PiperTTSSettings

    def __init__(self, models: VoiceModels, *, language: str = "en", **kwargs: Any) -> None:
        # PiperTTSService.__init__ would download and load a voice: skip it, set up its base.
        self._models = models
        self._language, self._voice = _pick_voice(models.voices, language)
        settings = self.Settings(model=None, voice=None, language=self._language)
        TTSService.__init__(
            self, push_start_frame=True, push_stop_frames=True, settings=settings, **kwargs
        )
        self._text_aggregator = ClauseTextAggregator(
            aggregation_type=self._text_aggregation_mode, language=self.text_aggregation_language
        )

    @property
    def language(self) -> str:
        return self._language

    def set_language(self, language: str) -> str:
        """Speak ``language`` from the next sentence on; returns the language used."""
        self._language, self._voice = _pick_voice(self._models.voices, language)
        return self._language

    async def _update_settings(self, delta: TTSSettings) -> dict[str, Any]:  # type: ignore[override]
        changed = await TTSService._update_settings(self, delta)
        if "language" in changed and isinstance(self._settings.language, str):
            self.set_language(self._settings.language)
        return changed

    async def _synthesized(self, text: str) -> AsyncIterator[bytes]:
        voice, loop = self._voice, asyncio.get_running_loop()
        sentences: Iterator[Any] = iter(voice.synthesize(text, self._models.synthesis))

        def next_chunk() -> bytes | None:
            chunk = next(sentences, None)
            return None if chunk is None else chunk.audio_int16_bytes

        while (pcm := await loop.run_in_executor(self._models.executor, next_chunk)) is not None:
            yield pcm

    async def _cached_frames(self, audio: CachedAudio, context_id: str) -> AsyncIterator[Frame]:
        step = max(2, self.chunk_size)
        for start in range(0, len(audio.pcm), step):
            yield TTSAudioRawFrame(
                audio.pcm[start : start + step], audio.sample_rate_hz, 1, context_id=context_id
            )

    @traced_tts
    async def run_tts(self, text: str, context_id: str) -> AsyncGenerator[Frame, None]:
        try:
            await self.start_tts_usage_metrics(text)
            cached = self._models.prompts.get(text, self._language, self.sample_rate)
            if cached is not None:
                frames = self._cached_frames(cached, context_id)
            else:
                frames = self._stream_audio_frames_from_iterator(
                    self._synthesized(text),
                    in_sample_rate=self._voice.config.sample_rate,
                    context_id=context_id,
                )
            async for frame in frames:
                await self.stop_ttfb_metrics()
                yield frame
        except Exception as e:
            logger.error(f"{self}: synthesis failed: {e}")
            yield ErrorFrame(error=f"tts_failed: {type(e).__name__}: {e}", exception=e)
        finally:
            await self.stop_ttfb_metrics()
