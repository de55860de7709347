"""Whisper models loaded once per process, and one utterance transcribed with them.

``SpeechModels.load`` (in the app lifespan) loads the English and the multilingual model and the
pool that bounds their use; ``transcribe_pcm16`` hears one utterance (blocking: a worker thread).
``voice.stt`` is the pipecat service around them.

Two things make a caller's turn fast on a small CPU (issue 13, measured on 2 cores):
- the encoder sees a short window (``WindowedWhisper``), not Whisper's 30 s;
- while a call's language is not known, the English model hears the utterance first (the
  *English probe*); only when its own confidence says the speech is not English does the
  multilingual model detect the language and transcribe it (``transcribe_pcm16``'s ``english``).
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from faster_whisper import WhisperModel

from config.settings import Settings
from voice.audio import resample_pcm16, speech_level_db
from voice.models import resolve_stt_model

__all__ = [
    "LanguageGuess",
    "SpeechModels",
    "Transcript",
    "WindowedWhisper",
    "choose_language",
    "identify_language",
    "is_confident_english",
    "load_whisper",
    "short_window",
    "transcribe_pcm16",
]

WHISPER_RATE_HZ = 16000
FULL_WINDOW_FRAMES = 3000  # Whisper's own: 30 s of 10 ms feature frames
# Whisper's own test for a decoder stuck in a loop ("Good Good Good ...").
LOOP_COMPRESSION_RATIO = 2.4
# The English probe: tiny.en's mean token log-probability on its transcript. Chosen on
# tests/data/language_clips.yaml, where English clips scored -0.05 to -0.53 and the others -0.95
# to -3.0 (or looped); scored on the held-out tests/data/language_probe_clips.yaml (README).
PROBE_MIN_LOGPROB = -0.8
# The probe decodes at most this many tokens per second of audio (plus 10): a loop on foreign
# speech stops there, instead of running to Whisper's 224 tokens (1.5-2 s on 2 cores).
PROBE_TOKENS_PER_SECOND = 6
# ... and its distinct three-word runs over all of them: below this, a loop.
PROBE_MIN_DISTINCT = 0.7
_loaded: dict[tuple[str, int, str, int, float], WhisperModel] = {}
_load_lock = threading.Lock()


class WindowedWhisper(WhisperModel):
    """faster-whisper whose encoder sees a short utterance in a ``window_seconds`` window (or
    twice that), instead of Whisper's 30 s.

    faster-whisper pads every utterance's features to 30 s, and the encoder's cost follows the
    window, not the speech: on 2 cores an encode took 504 ms for base and 318 ms for tiny.en at
    30 s, 83 and 35 ms at 10 s (CTranslate2 4.8 takes the shorter input). The window is fixed: cut
    to the speech's own length plus a margin, the decoder looped ("Can I bring my dogs? Can I
    ...") on 6 of 54 clips; at a fixed 10 s the clip set's word error and detected languages were
    those of the 30 s window (scripts/stt_window.py). Speech longer than half the window gets a
    window twice as long (``short_window``), and a transcription that looped is run again on the
    30 s window (``whole_window``).
    """

    def __init__(self, *args: Any, window_seconds: float = 30.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.window_frames = min(FULL_WINDOW_FRAMES, round(window_seconds * 100))
        self._local = threading.local()

    @property
    def windowed(self) -> bool:
        return self.window_frames < FULL_WINDOW_FRAMES and not getattr(self._local, "whole", False)

    @contextmanager
    def whole_window(self) -> Iterator[None]:
        """Encode with the 30 s window in this thread, for the duration of the block."""
        self._local.whole = True
        try:
            yield
        finally:
            self._local.whole = False

    def encode(self, features: np.ndarray) -> Any:
        if self.windowed:
            features = short_window(features, self.window_frames)
        return super().encode(features)


def short_window(features: np.ndarray, frames: int) -> np.ndarray:
    """Features padded to 30 s, cut to the shortest window of ``frames``, twice that, ... that the
    speech (the frames before the zero padding) fills at most half of; otherwise unchanged. A
    pure function.

    Whisper was trained on speech padded to 30 s: with less than half of the window left as
    padding it misheard the start of the speech (tiny.en, a 7.8 s reply in a 10 s window: "I call
    like we'll call you back" for "Done. A colleague will call you back"; right in 15 and 20 s).
    """
    columns = np.flatnonzero(np.any(features.reshape(-1, features.shape[-1]) != 0, axis=0))
    speech = int(columns[-1]) + 1 if columns.size else 0
    window = frames
    while window < features.shape[-1]:
        if speech <= window // 2:
            return np.ascontiguousarray(features[..., :window])
        window *= 2
    return features


def load_whisper(
    path: Path, *, cpu_threads: int, compute_type: str, num_workers: int = 1,
    window_seconds: float = 30.0,
) -> WhisperModel:
    """Load a CTranslate2 Whisper model from disk, once per process per configuration.

    ``num_workers`` lets that many transcriptions run in parallel on the one model;
    ``window_seconds`` below 30 encodes short speech in a shorter window (``WindowedWhisper``).
    """
    key = (str(Path(path).resolve()), cpu_threads, compute_type, num_workers, window_seconds)
    with _load_lock:
        if key not in _loaded:
            _loaded[key] = WindowedWhisper(
                key[0],
                device="cpu",
                compute_type=compute_type,
                cpu_threads=cpu_threads,
                num_workers=num_workers,
                local_files_only=True,
                window_seconds=window_seconds,
            )
        return _loaded[key]


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str  # Whisper's code: the one asked for, or the one it detected
    language_probability: float
    duration_seconds: float
    dropped: tuple[str, ...] = ()  # segments judged silence (high no_speech_prob)
    level_db: float = float("-inf")  # the speech's loudness (``speech_level_db``)
    # When detected: the likeliest languages and their probabilities, best first.
    language_probs: tuple[tuple[str, float], ...] = ()


def transcribe_pcm16(
    model: WhisperModel,
    pcm: bytes,
    sample_rate_hz: int,
    *,
    language: str | None,
    beam_size: int = 1,
    no_speech_threshold: float = 0.6,
    log_prob_threshold: float = -1.0,
    hotwords: str | None = None,
    initial_prompt: str | None = None,
    candidates: Sequence[str] = (),
    english: WhisperModel | None = None,
    english_probe: bool = True,
) -> Transcript:
    """Transcribe 16-bit mono PCM (blocking: call it in a worker thread).

    ``language`` None detects it with ``model`` (multilingual). With ``candidates`` (the
    languages the business speaks) a detection outside them takes the likeliest candidate, its
    probability then its share among the candidates. Speech detected as English is transcribed by
    ``english`` when given (the English-only model: on 2 cores about half the time of the
    multilingual one, and as accurate on English), any other language by ``model``.

    With ``english`` and ``english_probe`` (and English among the ``candidates``), ``english``
    hears the speech first; when it is confident of its English words (``is_confident_english``)
    that is the transcript and no language is detected: an English caller's first turn costs
    what a later one does. Other speech costs that probe (bounded in tokens) more.

    A segment is dropped as silence by Whisper's own rule: no_speech_prob above
    ``no_speech_threshold`` and avg_logprob below ``log_prob_threshold``. That catches
    the "you" / "." Whisper emits for noise, hum and tones, and keeps short answers
    ("Sure.") that a bare no_speech_prob cut-off would lose.
    """
    samples = _samples_16k(pcm, sample_rate_hz)
    audio = samples.astype(np.float32) / 32768.0
    run = partial(_transcribe, audio=audio, beam_size=beam_size,
                  no_speech_threshold=no_speech_threshold, log_prob_threshold=log_prob_threshold,
                  hotwords=hotwords, initial_prompt=initial_prompt)
    if language is None and not model.model.is_multilingual:
        language = "en"
    if language is not None:
        found = run(model, language)
    elif _probes(english, english_probe, candidates) and (
            probed := _english_probe(english, audio, beam_size=beam_size, hotwords=hotwords,
                                     initial_prompt=initial_prompt)) is not None:
        found = probed
    else:
        guess = _detect(model, audio, candidates)
        found = run(english if guess.language == "en" and english is not None else model,
                    guess.language)
        found = replace(found, language_probability=guess.probability, language_probs=guess.ranked)
    return replace(found, level_db=speech_level_db(samples, WHISPER_RATE_HZ),
                   duration_seconds=len(samples) / WHISPER_RATE_HZ)


@dataclass(frozen=True)
class LanguageGuess:
    """A language heard in speech: the one to transcribe in, its probability, and (when
    detected) the likeliest languages with theirs, best first."""

    language: str
    probability: float
    ranked: tuple[tuple[str, float], ...] = ()


def identify_language(
    model: WhisperModel,
    pcm: bytes,
    sample_rate_hz: int,
    *,
    candidates: Sequence[str] = (),
    english: WhisperModel | None = None,
    english_probe: bool = True,
    beam_size: int = 1,
) -> LanguageGuess:
    """The language of 16-bit mono PCM, decided as ``transcribe_pcm16`` decides it when not
    told (the English probe, then detection by ``model`` among ``candidates``), without
    transcribing it (blocking: a worker thread). ``voice.stt`` runs it on the first second or
    two of a caller's first turn while the caller is still speaking."""
    audio = _samples_16k(pcm, sample_rate_hz).astype(np.float32) / 32768.0
    if _probes(english, english_probe, candidates) and (
            probed := _english_probe(english, audio, beam_size=beam_size, hotwords=None,
                                     initial_prompt=None)) is not None:
        return LanguageGuess("en", probed.language_probability)
    return _detect(model, audio, candidates)


def _samples_16k(pcm: bytes, sample_rate_hz: int) -> np.ndarray:
    samples = np.frombuffer(pcm, dtype=np.int16)
    if sample_rate_hz != WHISPER_RATE_HZ:
        samples = resample_pcm16(samples, sample_rate_hz, WHISPER_RATE_HZ)
    return samples


def _probes(english: WhisperModel | None, english_probe: bool,
            candidates: Sequence[str]) -> bool:
    return english is not None and english_probe and (not candidates or "en" in candidates)


def _detect(model: WhisperModel, audio: np.ndarray, candidates: Sequence[str]) -> LanguageGuess:
    detected, probability, ranked = model.detect_language(audio)
    chosen, share = choose_language(detected, probability, dict(ranked), candidates)
    return LanguageGuess(chosen, share, tuple((code, float(p)) for code, p in ranked[:10]))


def is_confident_english(text: str, avg_logprob: float, compression_ratio: float) -> bool:
    """The English probe's verdict on the English model's transcript: English when the model
    was sure of its words and did not loop. A pure function.

    A loop cut short by the probe's token bound ("I don't know, I don't know, I don't ...") is
    too short for Whisper's compression test, so the words are checked too: a decoder that
    repeats itself says few distinct three-word runs."""
    if avg_logprob < PROBE_MIN_LOGPROB or compression_ratio > LOOP_COMPRESSION_RATIO:
        return False
    words = re.findall(r"[\w']+", text.lower())
    runs = [tuple(words[i:i + 3]) for i in range(len(words) - 2)]
    return bool(words) and (len(runs) < 6 or len(set(runs)) / len(runs) >= PROBE_MIN_DISTINCT)


def _english_probe(english: WhisperModel, audio: np.ndarray, *, beam_size: int,
                   hotwords: str | None, initial_prompt: str | None) -> Transcript | None:
    """The English model's transcript when it is confident the speech is English (its language
    probability then the mean probability of its tokens); None: detect the language."""
    max_tokens = 10 + int(PROBE_TOKENS_PER_SECOND * len(audio) / WHISPER_RATE_HZ)
    segments, _ = english.transcribe(
        audio, language="en", beam_size=beam_size, vad_filter=False,
        condition_on_previous_text=False, temperature=0.0, without_timestamps=True,
        no_speech_threshold=None, hotwords=hotwords, initial_prompt=initial_prompt,
        max_new_tokens=max_tokens)
    segments = list(segments)
    tokens = sum(len(s.tokens) for s in segments)
    text = " ".join(t for s in segments if (t := s.text.strip()))
    if not tokens:
        return None
    logprob = sum(s.avg_logprob * len(s.tokens) for s in segments) / tokens
    if not is_confident_english(text, logprob, max(s.compression_ratio for s in segments)):
        return None
    return Transcript(text, "en", float(np.exp(logprob)), len(audio) / WHISPER_RATE_HZ)


def choose_language(detected: str, probability: float, probs: dict[str, float],
                    candidates: Sequence[str]) -> tuple[str, float]:
    """The language to transcribe in and its probability: the detected one, or, when it is not
    among ``candidates``, the likeliest candidate with its share among them. A pure function."""
    if not candidates or detected in candidates:
        return detected, probability
    best = max(candidates, key=lambda c: probs.get(c, 0.0))
    return best, probs.get(best, 0.0) / max(1e-9, sum(probs.get(c, 0.0) for c in candidates))


def _transcribe(model: WhisperModel, language: str, *, audio: np.ndarray, beam_size: int,
                no_speech_threshold: float, log_prob_threshold: float,
                hotwords: str | None, initial_prompt: str | None) -> Transcript:
    segments, info = model.transcribe(
        audio,
        language=language,
        beam_size=beam_size,
        vad_filter=False,
        condition_on_previous_text=False,
        temperature=0.0,
        without_timestamps=True,
        no_speech_threshold=None,
        log_prob_threshold=log_prob_threshold,
        hotwords=hotwords,
        initial_prompt=initial_prompt,
    )
    segments = list(segments)  # a lazy generator: decoding happens here, in this thread
    if isinstance(model, WindowedWhisper) and model.windowed and \
            any(s.compression_ratio > LOOP_COMPRESSION_RATIO for s in segments):
        with model.whole_window():  # the short window looped: hear it as Whisper would
            return _transcribe(model, language, audio=audio, beam_size=beam_size,
                               no_speech_threshold=no_speech_threshold,
                               log_prob_threshold=log_prob_threshold,
                               hotwords=hotwords, initial_prompt=initial_prompt)
    kept: list[str] = []
    dropped: list[str] = []
    for segment in segments:
        silent = (
            segment.no_speech_prob > no_speech_threshold
            and segment.avg_logprob < log_prob_threshold
        )
        (dropped if silent else kept).append(segment.text.strip())
    return Transcript(
        " ".join(t for t in kept if t),
        info.language,
        info.language_probability,
        len(audio) / WHISPER_RATE_HZ,
        tuple(dropped),
    )


@dataclass(frozen=True)
class SpeechModels:
    """Whisper models shared read-only by every call, and the pool that bounds their use."""

    english: WhisperModel
    multilingual: WhisperModel | None
    executor: ThreadPoolExecutor
    workers: int = 1  # the pool's threads
    _in_flight: list[int] = field(default_factory=lambda: [0], repr=False, compare=False)

    def transcribe(self, job: Callable[[], Transcript]) -> asyncio.Future[Transcript]:
        """Run ``job`` in the pool (call it on the event loop). It counts as in flight, queued
        or running, until its thread is done with it, even if the caller stopped waiting."""
        loop = asyncio.get_running_loop()
        self._in_flight[0] += 1
        work = self.executor.submit(job)
        work.add_done_callback(lambda _: self._done_in(loop))
        return asyncio.wrap_future(work, loop=loop)

    def _done_in(self, loop: asyncio.AbstractEventLoop) -> None:
        """In the worker thread: count the job done on the event loop, as it was counted."""
        with suppress(RuntimeError):  # the loop is closed: nobody counts any more
            loop.call_soon_threadsafe(self._done)

    def _done(self) -> None:
        self._in_flight[0] -= 1

    @property
    def waiting(self) -> int:
        """Transcriptions queued behind the busy workers."""
        return max(0, self._in_flight[0] - self.workers)

    @property
    def has_free_worker(self) -> bool:
        """A transcription given now would start at once, ahead of no other call's."""
        return self._in_flight[0] < self.workers

    @classmethod
    def load(cls, settings: Settings) -> SpeechModels:
        stt = settings.stt
        load = partial(
            load_whisper,
            cpu_threads=stt.cpu_threads,
            compute_type=stt.compute_type,
            num_workers=stt.max_concurrent,
            window_seconds=stt.window_seconds,
        )
        models_dir = settings.resolved_models_dir
        english = load(resolve_stt_model(stt.model, models_dir))
        multilingual = None
        if stt.multilingual_model:
            multilingual = load(resolve_stt_model(stt.multilingual_model, models_dir))
        pool = ThreadPoolExecutor(max_workers=stt.max_concurrent, thread_name_prefix="whisper")
        return cls(english, multilingual, pool, stt.max_concurrent)

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
