"""Speech to text in the pipeline: pipecat's Whisper service on the models of ``voice.whisper``.

pipecat's ``WhisperSTTService`` loads its model in ``__init__`` (on the event loop, per
call) and drops the language Whisper detects. ``LocalWhisperSTTService`` takes models
loaded at startup (``SpeechModels.load`` in the app lifespan), transcribes in a bounded
thread pool, and reports the language on each ``TranscriptionFrame``. It starts transcribing
when the caller's voice pauses (``voice.vad``) and keeps that work when the VAD's stop follows.
While a call's language is not known, it identifies the language on the first second or two of
the caller's speech, while the caller is still speaking, so the turn is transcribed once, in it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from faster_whisper import WhisperModel
from loguru import logger
from pipecat.frames.frames import (
    ErrorFrame,
    Frame,
    InputAudioRawFrame,
    TranscriptionFrame,
    VADUserStartedSpeakingFrame,
)
from pipecat.processors.frame_processor import FrameDirection
from pipecat.services.whisper.stt import WhisperSTTService, WhisperSTTSettings
from pipecat.transcriptions.language import Language
from pipecat.utils.time import time_now_iso8601
from pipecat.utils.types import assert_given

from config.settings import SttSettings
from voice.vad import SpeechPausedFrame, SpeechResumedFrame
from voice.whisper import (
    LanguageGuess,
    SpeechModels,
    Transcript,
    identify_language,
    transcribe_pcm16,
)

__all__ = ["EARLY_MIN_PROBABILITY", "LocalWhisperSTTService"]

# An early language guess (on the first ``stt.early_language_seconds`` of speech) is kept at this
# probability or more; a lower one leaves the turn to the whole utterance's detection. Chosen on
# tests/data/language_clips.yaml, where 1.5 s guesses at 0.7 or more were right 37 times of 38;
# scored on the held-out tests/data/language_probe_clips.yaml (README).
EARLY_MIN_PROBABILITY = 0.7


def _to_language(code: str | None) -> Language | None:
    try:
        return Language(code) if code else None
    except ValueError:
        return None


class LocalWhisperSTTService(WhisperSTTService):
    """pipecat's Whisper service on shared, preloaded models; language reported.

    ``language`` "en" uses the English model; None (or "auto") detects with the
    multilingual model; any other code transcribes that language with the multilingual
    model. Change it mid-call with ``STTUpdateSettingsFrame(language=...)``.
    """

    _settings: WhisperSTTSettings

    def __init__(
        self,
        models: SpeechModels,
        *,
        language: str | None = "en",
        beam_size: int = 1,
        no_speech_threshold: float = 0.6,
        log_prob_threshold: float = -1.0,
        candidates: Sequence[str] = (),
        speculative: bool = True,
        english_probe: bool = True,
        early_language_seconds: float = 1.5,
        **kwargs: Any,
    ) -> None:
        self._models = models
        self._early_seconds = early_language_seconds
        self._early: asyncio.Future[LanguageGuess] | None = None
        self._speech_began = 0  # the audio buffer's size when the VAD heard speech start
        self._candidates = tuple(candidates)
        self._speculative = speculative
        self._english_probe = english_probe
        self._speculation: _Speculation | None = None
        self._beam_size = beam_size
        self._log_prob_threshold = log_prob_threshold
        settings = self.Settings(
            model="local",
            no_speech_prob=no_speech_threshold,
            language=None if language == "auto" else language,
        )
        # Speech end -> transcript p99, a fallback for turn strategies: a segment's transcript is
        # final, so a turn ends as soon as it arrives. Estimated from 2-core measurements
        # (tiny.en ~0.15-0.3 s, base detecting ~0.4-0.8 s on the 10 s window) plus queueing.
        kwargs.setdefault("ttfs_p99_latency", 1.0 if language == "en" else 2.5)
        super().__init__(settings=settings, device="cpu", **kwargs)

    @classmethod
    def from_settings(
        cls, models: SpeechModels, stt: SttSettings, **kwargs: Any
    ) -> LocalWhisperSTTService:
        return cls(
            models,
            language=stt.language,
            beam_size=stt.beam_size,
            no_speech_threshold=stt.no_speech_threshold,
            log_prob_threshold=stt.log_prob_threshold,
            candidates=stt.languages,
            speculative=stt.speculative,
            english_probe=stt.english_probe,
            early_language_seconds=stt.early_language_seconds,
            **kwargs,
        )

    def _load(self) -> None:
        """Nothing to load: the models came in preloaded. Check the language fits."""
        self._model = self._models.english
        unsupported = self._unsupported_language()
        if unsupported:
            raise ValueError(unsupported)

    def _language_code(self) -> str | None:
        language = self._settings.language
        if not isinstance(language, str) or language == "auto":
            return None  # detect
        return str(language)

    def _pick_model(self) -> tuple[WhisperModel, str | None]:
        language = self._language_code()
        english, multilingual = self._models.english, self._models.multilingual
        if language is None and (guess := self._early_guess()) is not None:
            language = guess.language
        if language != "en" and multilingual is not None:
            return multilingual, language
        if language != "en" and english.model.is_multilingual:
            return english, language
        return english, "en"

    def _unsupported_language(self) -> str | None:
        language = self._language_code()
        if language in (None, "en") or self._pick_model()[1] == language:
            return None
        return (
            f"no multilingual Whisper model loaded: cannot transcribe {language!r} "
            "(set stt.multilingual_model); transcribing as English"
        )

    def _job(self, model: WhisperModel, language: str | None,
             audio: bytes) -> Callable[[], Transcript]:
        return partial(
            transcribe_pcm16,
            model,
            audio,
            self.sample_rate,
            language=language,
            beam_size=self._beam_size,
            no_speech_threshold=assert_given(self._settings.no_speech_prob),
            log_prob_threshold=self._log_prob_threshold,
            hotwords=assert_given(self._settings.hotwords),
            initial_prompt=assert_given(self._settings.initial_prompt),
            candidates=self._candidates,
            english=self._models.english,
            english_probe=self._english_probe,
        )

    # -- the language, identified while the caller speaks -----------------------------------
    def _early_guess(self) -> LanguageGuess | None:
        """This segment's early language guess, when it is in and sure enough."""
        early = self._early
        if early is None or not early.done() or early.cancelled() or early.exception():
            return None
        guess = early.result()
        return guess if guess.probability >= EARLY_MIN_PROBABILITY else None

    async def process_audio_frame(self, frame: InputAudioRawFrame,
                                  direction: FrameDirection) -> None:
        await super().process_audio_frame(frame, direction)
        if (self._early is None and self._early_seconds and self._user_speaking
                and self._language_code() is None and self._models.multilingual is not None
                and len(self._audio_buffer) - self._speech_began
                >= 2 * self.sample_rate * self._early_seconds
                and self._models.has_free_worker):
            # The buffer holds up to 1 s from before the speech started, as a segment does.
            self._early = self._models.transcribe(partial(
                identify_language, self._models.multilingual, bytes(self._audio_buffer),
                self.sample_rate, candidates=self._candidates, english_probe=False))
            self._early.add_done_callback(_consume)

    def _drop_early(self) -> None:
        if self._early is not None:
            self._early.cancel()
            self._early = None

    # -- speculation: transcribe at the pause, keep it if the stop follows -------------------
    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        if isinstance(frame, SpeechPausedFrame):
            self._speculate()
        elif isinstance(frame, (SpeechResumedFrame, VADUserStartedSpeakingFrame)):
            self._drop_speculation()
        if isinstance(frame, VADUserStartedSpeakingFrame):
            self._drop_early()
            self._speech_began = len(self._audio_buffer)
        await super().process_frame(frame, direction)

    def _speculate(self) -> None:
        """The caller's voice paused: transcribe what was said, as the segment the stop would
        queue (``SegmentedSTTService.stop`` pads it the same way)."""
        self._drop_speculation()
        # Only on a free worker: a pause inside the turn throws the work away, and under load
        # that CPU is another call's turn.
        if not self._speculative or not self._audio_buffer or not self._models.has_free_worker:
            return
        model, language = self._pick_model()
        audio = bytes(self._audio_buffer) + self._trailing_silence()
        future = self._models.transcribe(self._job(model, language, audio))
        future.add_done_callback(_consume)
        self._speculation = _Speculation(len(self._audio_buffer), model, language, future)

    def _drop_speculation(self) -> None:
        if self._speculation is not None:
            self._speculation.future.cancel()  # not started yet: it never runs
            self._speculation = None

    async def _update_settings(self, delta: Any) -> dict[str, Any]:
        self._drop_speculation()  # a language or hint changed: hear the segment anew
        return await super()._update_settings(delta)

    async def run_stt(self, audio: bytes) -> AsyncGenerator[Frame, None]:
        speculation, self._speculation = self._speculation, None
        await self.start_processing_metrics()
        try:
            if self._early is not None and self._language_code() is None:
                await asyncio.wait([self._early])  # started on a free worker: nearly done
            guess = self._early_guess() if self._language_code() is None else None
            model, language = self._pick_model()
            self._drop_early()
            if speculation is not None and speculation.fits(model, language, audio):
                result = await speculation.future
            elif speculation is not None and speculation.heard_whole(audio):
                result, guess = await speculation.future, None  # started before the guess came
            else:
                result = await self._models.transcribe(self._job(model, language, audio))
        except Exception as e:
            await self.stop_processing_metrics()
            yield ErrorFrame(f"stt_failed: {type(e).__name__}: {e}", exception=e)
            return
        await self.stop_processing_metrics()
        if guess is not None:  # told the guessed language: the probability is the guess's
            result = replace(result, language_probability=guess.probability,
                             language_probs=guess.ranked)
        if result.dropped:
            logger.debug(f"{self}: dropped as silence: {list(result.dropped)}")
        if not result.text:
            return
        spoken = _to_language(result.language)
        await self._handle_transcription(result.text, True, spoken)
        logger.debug(
            f"{self}: [{result.text}] language={result.language}"
            f" p={result.language_probability:.2f}"
        )
        yield TranscriptionFrame(
            result.text, self._user_id, time_now_iso8601(), spoken, result=result
        )


@dataclass(frozen=True)
class _Speculation:
    """A transcription started at a pause: of the first ``size`` bytes of the segment."""

    size: int
    model: WhisperModel
    language: str | None
    future: asyncio.Future[Transcript]

    def fits(self, model: WhisperModel, language: str | None, audio: bytes) -> bool:
        """It heard the segment ``audio`` (the same model and language; no speech came after
        the pause, or the speculation would have been dropped)."""
        return model is self.model and language == self.language and len(audio) >= self.size

    def heard_whole(self, audio: bytes) -> bool:
        """It heard the segment ``audio`` with the language not told (probe, then detection)."""
        return self.language is None and len(audio) >= self.size


def _consume(future: asyncio.Future[Any]) -> None:
    """A dropped speculation's (or language guess's) outcome is nobody's: read it so asyncio
    does not warn."""
    if not future.cancelled():
        future.exception()
