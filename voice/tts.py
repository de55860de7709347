"""Text to speech: piper voices loaded once per process, one voice per language.

pipecat's ``PiperTTSService`` downloads missing voices, loads one in ``__init__`` per
call, cannot switch voice mid-call, and its ONNX session uses every core.
``LocalPiperTTSService`` speaks with preloaded voices (``VoiceModels.load`` in the app
lifespan), switches voice with the call's language, synthesises in a bounded thread
pool, and plays fixed prompts from a ``PromptCache`` without synthesising them again.
A language with no piper voice speaks with espeak-ng (``voice.espeak``) in the same pool.
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
from typing import Any, Protocol

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

from config.languages import normalise
from config.settings import Settings
from voice.audio import resample_pcm16
from voice.clauses import ClauseTextAggregator
from voice.espeak import EspeakError, EspeakVoices, espeak_engine
from voice.models import resolve_piper_voice

__all__ = [
    "CachedAudio",
    "LocalPiperTTSService",
    "PiperSpeaker",
    "PromptCache",
    "Speaker",
    "VoiceModels",
    "choose_voice",
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


def _voice_key(voices: Mapping[str, PiperVoice], language: str) -> str | None:
    """The key of the voice for ``language``: exact code, then base code ("es-MX" -> "es")."""
    return next((k for k in (str(language), normalise(language)) if k in voices), None)


class Speaker(Protocol):
    """A voice the service can speak with: piper, or the espeak-ng fallback."""

    @property
    def name(self) -> str: ...  # unique per voice: prompt cache key, log lines

    @property
    def sample_rate_hz(self) -> int: ...

    def chunks(self, text: str, stop: threading.Event) -> Iterator[bytes]:
        """16-bit mono PCM for ``text``, lazily (blocking: iterate in a worker thread)."""
        ...


@dataclass(frozen=True)
class PiperSpeaker:
    language: str
    voice: PiperVoice
    synthesis: SynthesisConfig | None = None

    @property
    def name(self) -> str:
        return f"piper:{self.language}"

    @property
    def sample_rate_hz(self) -> int:
        return self.voice.config.sample_rate

    def chunks(self, text: str, stop: threading.Event) -> Iterator[bytes]:
        sentences = iter(self.voice.synthesize(text, self.synthesis))  # a chunk per sentence
        while not stop.is_set() and (chunk := next(sentences, None)) is not None:
            yield chunk.audio_int16_bytes


_announced: set[tuple[str, str]] = set()
_announce_lock = threading.Lock()


def _announce(language: str, message: str, *, warning: bool = False) -> None:
    """Log ``message`` once per process and language."""
    with _announce_lock:
        if (language, message) in _announced:
            return
        _announced.add((language, message))
    (logger.warning if warning else logger.info)(message)


def choose_voice(
    voices: Mapping[str, PiperVoice],
    language: str,
    *,
    synthesis: SynthesisConfig | None = None,
    fallback: EspeakVoices | None = None,
) -> tuple[str, Speaker]:
    """(language spoken, voice) for ``language``: its piper voice, else espeak-ng's,
    else English piper (logged once per language)."""
    key = _voice_key(voices, language)
    if key is not None:
        _announce(key, f"language {key!r}: piper voice")
        return key, PiperSpeaker(key, voices[key], synthesis)
    found = fallback.voice_for(str(language)) if fallback is not None else None
    if found is not None:
        code, voice = found
        _announce(code, f"language {code!r}: no piper voice, speaking with {voice.name}")
        return code, voice
    _announce(str(language), f"no voice for language {language!r}: speaking English",
              warning=True)
    return "en", PiperSpeaker("en", voices["en"], synthesis)


@dataclass(frozen=True)
class CachedAudio:
    pcm: bytes  # 16-bit mono
    sample_rate_hz: int


class PromptCache:
    """Fixed prompts synthesised once per process and voice, then served from memory."""

    def __init__(self, voices: Mapping[str, PiperVoice],
                 synthesis: SynthesisConfig | None = None,
                 fallback: EspeakVoices | None = None) -> None:
        self._voices = voices
        self._synthesis = synthesis
        self._fallback = fallback
        self._audio: dict[tuple[str, str, int | None], CachedAudio] = {}
        self._lock = threading.Lock()
        self.syntheses = 0  # how many times the cache had to synthesise

    @staticmethod
    def _key_text(text: str) -> str:
        return " ".join(text.split())

    def _speaker(self, language: str) -> Speaker:
        return choose_voice(self._voices, language, synthesis=self._synthesis,
                            fallback=self._fallback)[1]

    def warm(self, texts: Iterable[str], languages: Iterable[str] | None = None) -> None:
        """Synthesise ``texts`` for ``languages`` (default: every piper voice). Blocking."""
        for language in list(languages or self._voices):
            for text in texts:
                self.get_or_synthesize(text, language)

    def get(
        self, text: str, language: str, sample_rate_hz: int | None = None
    ) -> CachedAudio | None:
        """The cached audio for exactly this text in ``language``'s voice, resampled to
        ``sample_rate_hz`` if given."""
        return self.lookup(text, self._speaker(language).name, sample_rate_hz)

    def lookup(
        self, text: str, voice_name: str, sample_rate_hz: int | None = None
    ) -> CachedAudio | None:
        """The cached audio for exactly this text spoken by the voice ``voice_name``."""
        key_text = self._key_text(text)
        with self._lock:
            native = self._audio.get((voice_name, key_text, None))
            if native is None or sample_rate_hz in (None, native.sample_rate_hz):
                return native
            converted = self._audio.get((voice_name, key_text, sample_rate_hz))
            if converted is None:
                pcm = np.frombuffer(native.pcm, dtype=np.int16)
                pcm = resample_pcm16(pcm, native.sample_rate_hz, sample_rate_hz)
                converted = CachedAudio(pcm.tobytes(), sample_rate_hz)
                self._audio[(voice_name, key_text, sample_rate_hz)] = converted
            return converted

    def get_or_synthesize(self, text: str, language: str) -> CachedAudio:
        """Cached audio for ``text``, synthesising it first if needed. Blocking."""
        speaker = self._speaker(language)
        cached = self.lookup(text, speaker.name)
        if cached is not None:
            return cached
        pcm = b"".join(speaker.chunks(self._key_text(text), threading.Event()))
        audio = CachedAudio(pcm, speaker.sample_rate_hz)
        with self._lock:
            self.syntheses += 1
            return self._audio.setdefault((speaker.name, self._key_text(text), None), audio)


def _load_fallback(settings: Settings) -> EspeakVoices | None:
    tts = settings.tts
    if tts.fallback == "none":
        return None
    try:
        engine = espeak_engine()
    except EspeakError as e:
        logger.warning(f"{e}: languages with no piper voice will speak English")
        return None
    return EspeakVoices(engine, dict(tts.fallback_voices), tts.fallback_rate_wpm)


@dataclass(frozen=True)
class VoiceModels:
    """Piper voices (language -> voice) shared by every call, the espeak-ng fallback for
    other languages, their pool and prompt cache."""

    voices: Mapping[str, PiperVoice]
    executor: ThreadPoolExecutor
    prompts: PromptCache
    synthesis: SynthesisConfig | None = None
    fallback: EspeakVoices | None = None

    @classmethod
    def load(cls, settings: Settings) -> VoiceModels:
        voices = {
            language: load_piper_voice(
                *resolve_piper_voice(language, settings), cpu_threads=settings.tts.cpu_threads
            )
            for language in sorted({"en", *settings.tts.voices})
        }
        pool = ThreadPoolExecutor(settings.tts.max_concurrent, thread_name_prefix="tts")
        synthesis = SynthesisConfig(noise_scale=settings.tts.noise_scale,
                                    noise_w_scale=settings.tts.noise_w_scale)
        fallback = _load_fallback(settings)
        return cls(voices, pool, PromptCache(voices, synthesis, fallback), synthesis, fallback)

    def choose(self, language: str) -> tuple[str, Speaker]:
        """(language spoken, voice) for a call in ``language``."""
        return choose_voice(self.voices, language, synthesis=self.synthesis,
                            fallback=self.fallback)

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


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
