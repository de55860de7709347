"""Piper voices loaded once per process, one per language, the espeak-ng fallback for a language
with no piper voice (``voice.espeak``), the choice between them, and the cache of fixed prompts
synthesised once. ``VoiceModels.load`` runs in the app lifespan; ``voice.tts`` speaks with them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import onnxruntime
from loguru import logger
from piper import PiperVoice
from piper.config import PiperConfig, SynthesisConfig

from config.languages import normalise
from config.settings import Settings
from voice.audio import resample_pcm16
from voice.espeak import EspeakError, EspeakVoices, espeak_engine
from voice.models import resolve_piper_voice

__all__ = [
    "CachedAudio",
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
            # No memory pattern: with it, each new input length plans one block for all of a
            # run's tensors, and the session's arena kept 530 MB after a 10 s sentence (190 MB
            # without; no slower, measured on 2 cores).
            options.enable_mem_pattern = False
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

    @property
    def waiting(self) -> int:
        """Synthesis steps queued behind the busy workers (the pool's own queue)."""
        return self.executor._work_queue.qsize()

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
