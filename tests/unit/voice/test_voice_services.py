"""STT and TTS on the real models, alone and inside small real pipecat pipelines."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from pipecat.frames.frames import (
    Frame,
    InputAudioRawFrame,
    STTUpdateSettingsFrame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    TTSSpeakFrame,
    TTSUpdateSettingsFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.pipeline.worker import PipelineParams
from pipecat.services.settings import STTSettings, TTSSettings
from pipecat.tests.utils import SleepFrame, run_test
from pipecat.transcriptions.language import Language

from config.settings import Settings
from voice.audio import (
    load_audio_as_mulaw8k,
    mulaw8k_to_pcm16k,
    mulaw_encode,
    resample_pcm16,
    synthesize_mulaw8k,
)
from voice.services import LocalVoices
from voice.stt import EARLY_MIN_PROBABILITY, LocalWhisperSTTService
from voice.tts import LocalPiperTTSService
from voice.vad import SpeechPausedFrame, SpeechResumedFrame
from voice.voices import PromptCache, VoiceModels
from voice.whisper import SpeechModels, Transcript, transcribe_pcm16

SENTENCE = "Breakfast is served from seven."
PARAMS = PipelineParams(audio_in_sample_rate=16000, audio_out_sample_rate=8000)


@pytest.fixture(scope="module")
def english_call_audio(voice_models: VoiceModels) -> bytes:
    """Piper speaking SENTENCE as a caller would arrive: 8 kHz mu-law, 300-3400 Hz."""
    return synthesize_mulaw8k(SENTENCE, voice_models.voices["en"])


@pytest.fixture(scope="module")
def spanish_call_audio(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng): no Spanish audio")
    wav = tmp_path_factory.mktemp("es") / "es.wav"
    text = "Quisiera reservar una habitación para dos personas el viernes, por favor."
    subprocess.run([espeak, "-v", "es", "-w", str(wav), text], check=True, timeout=60)
    return load_audio_as_mulaw8k(wav)


def speech_frames(mulaw8k: bytes) -> list[Frame]:
    pcm = mulaw8k_to_pcm16k(mulaw8k).tobytes()
    frames: list[Frame] = [VADUserStartedSpeakingFrame(start_secs=0.2)]
    frames += [InputAudioRawFrame(pcm[i : i + 640], 16000, 1) for i in range(0, len(pcm), 640)]
    frames.append(VADUserStoppedSpeakingFrame(stop_secs=0.2))
    return frames


def _pcm16k(mulaw8k: bytes) -> bytes:
    return mulaw8k_to_pcm16k(mulaw8k).tobytes()


def test_tiny_en_transcribes_piper_over_the_phone(speech_models: SpeechModels, english_call_audio):
    result = transcribe_pcm16(
        speech_models.english, _pcm16k(english_call_audio), 16000, language="en"
    )
    assert "breakfast" in result.text.lower()
    assert result.language == "en"


def test_8khz_input_is_resampled_for_whisper(speech_models: SpeechModels, english_call_audio):
    pcm8k = resample_pcm16(mulaw8k_to_pcm16k(english_call_audio), 16000, 8000).tobytes()
    result = transcribe_pcm16(speech_models.english, pcm8k, 8000, language="en")
    assert "breakfast" in result.text.lower()


def test_base_detects_spanish(speech_models: SpeechModels, spanish_call_audio):
    assert speech_models.multilingual is not None
    result = transcribe_pcm16(
        speech_models.multilingual, _pcm16k(spanish_call_audio), 16000, language=None
    )
    assert result.language == "es"


def test_noise_is_dropped_as_silence_not_transcribed(speech_models: SpeechModels):
    noise = np.random.default_rng(7).normal(0, 0.05 * 32767, 16000)
    pcm8k = np.clip(noise, -32768, 32767).astype(np.int16)
    heard = mulaw8k_to_pcm16k(mulaw_encode(pcm8k)).tobytes() + bytes(16000)
    result = transcribe_pcm16(speech_models.english, heard, 16000, language="en")
    assert result.text == ""


async def test_stt_service_in_a_pipeline(
    speech_models: SpeechModels, english_call_audio, voice_settings: Settings
):
    stt = LocalWhisperSTTService.from_settings(
        speech_models, voice_settings.stt, audio_passthrough=False
    )
    other = LocalWhisperSTTService(speech_models)
    assert stt._model is other._model is speech_models.english  # shared, not reloaded
    down, _ = await run_test(
        stt, frames_to_send=speech_frames(english_call_audio), pipeline_params=PARAMS
    )
    transcripts = [f for f in down if isinstance(f, TranscriptionFrame)]
    assert len(transcripts) == 1
    assert "breakfast" in transcripts[0].text.lower()
    assert transcripts[0].language == Language.EN
    assert isinstance(transcripts[0].result, Transcript)


async def test_stt_service_reports_the_detected_language(
    speech_models: SpeechModels, spanish_call_audio
):
    stt = LocalWhisperSTTService(speech_models, language="auto", audio_passthrough=False)
    down, _ = await run_test(
        stt, frames_to_send=speech_frames(spanish_call_audio), pipeline_params=PARAMS
    )
    transcripts = [f for f in down if isinstance(f, TranscriptionFrame)]
    assert len(transcripts) == 1
    assert transcripts[0].language == Language.ES
    assert transcripts[0].result.language_probability > 0


async def test_stt_language_switches_mid_call(speech_models: SpeechModels, spanish_call_audio):
    stt = LocalWhisperSTTService(speech_models, language="en", audio_passthrough=False)
    # The update is a control frame, taken in order with data frames; audio and VAD frames are
    # system frames that would overtake it, so let it land first, as between two real turns.
    switch = [STTUpdateSettingsFrame(delta=STTSettings(language=Language.ES)), SleepFrame(0.1)]
    down, _ = await run_test(
        stt, frames_to_send=[*switch, *speech_frames(spanish_call_audio)], pipeline_params=PARAMS
    )
    transcripts = [f for f in down if isinstance(f, TranscriptionFrame)]
    assert len(transcripts) == 1
    assert transcripts[0].language == Language.ES
    # Heard as Spanish words (the English model would write English ones). espeak-ng's Spanish is
    # hard to hear: which content words come through changes with the encoder's window (10 s
    # "un habitación", 15 s none of them); "por favor" came through in every window tried.
    assert "por favor" in transcripts[0].text.lower()


class _CountingPool(ThreadPoolExecutor):
    """The STT pool, noting how many bytes of audio each transcription it is given hears."""

    def __init__(self) -> None:
        super().__init__(max_workers=1)
        self.heard: list[int] = []
        self.jobs: list[tuple[str, str | None]] = []  # (function, language told)

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(fn, partial):  # partial(transcribe_pcm16, model, audio, ...)
            self.heard.append(len(fn.args[1]))
            self.jobs.append((fn.func.__name__, fn.keywords.get("language")))
        return super().submit(fn, *args, **kwargs)


def _paused_frames(pcm: bytes, *, resumed: bool) -> list[Frame]:
    """Speech, a pause the VAD noticed, 0.2 s of quiet (the stop delay), then the VAD's stop;
    ``resumed``: speech came back within the delay, and the stop follows the words after it."""
    chunks = [InputAudioRawFrame(pcm[i : i + 640], 16000, 1) for i in range(0, len(pcm), 640)]
    quiet = [InputAudioRawFrame(bytes(640), 16000, 1) for _ in range(10)]
    frames: list[Frame] = [VADUserStartedSpeakingFrame(start_secs=0.2), *chunks,
                           SpeechPausedFrame(), SleepFrame(0.5)]
    if resumed:
        frames += [SpeechResumedFrame(), *chunks]
    return [*frames, *quiet, VADUserStoppedSpeakingFrame(stop_secs=0.2)]


@pytest.mark.parametrize("resumed", [False, True])
async def test_a_pause_starts_the_transcription_the_stop_keeps(
    speech_models: SpeechModels, english_call_audio, resumed: bool
):
    pool = _CountingPool()
    models = SpeechModels(speech_models.english, speech_models.multilingual, pool)
    stt = LocalWhisperSTTService(models, language="en", audio_passthrough=False)
    pcm = mulaw8k_to_pcm16k(english_call_audio).tobytes()
    try:
        down, _ = await run_test(stt, frames_to_send=_paused_frames(pcm, resumed=resumed),
                                 pipeline_params=PARAMS)
    finally:
        pool.shutdown()
    transcripts = [f.text.lower() for f in down if isinstance(f, TranscriptionFrame)]
    assert len(transcripts) == 1
    padding = stt._trailing_silence()
    if resumed:  # the one started at the pause is dropped; the whole segment is heard at the stop
        assert pool.heard == [len(pcm) + len(padding), 2 * len(pcm) + 6400 + len(padding)]
        assert transcripts[0].count("breakfast") == 2, transcripts
    else:  # one transcription, started at the pause (the quiet after it is not in it), kept
        assert pool.heard == [len(pcm) + len(padding)]
        assert transcripts[0].count("breakfast") == 1, transcripts


async def test_no_speculation_while_another_transcription_holds_the_worker(
    speech_models: SpeechModels, english_call_audio
):
    pool = _CountingPool()
    models = SpeechModels(speech_models.english, speech_models.multilingual, pool, workers=1)
    stt = LocalWhisperSTTService(models, language="en", audio_passthrough=False)
    pcm = mulaw8k_to_pcm16k(english_call_audio).tobytes()
    other_call = models.transcribe(lambda: time.sleep(1.0))  # in flight through the pause
    try:
        down, _ = await run_test(stt, frames_to_send=_paused_frames(pcm, resumed=False),
                                 pipeline_params=PARAMS)
        await other_call
    finally:
        pool.shutdown()
    transcripts = [f for f in down if isinstance(f, TranscriptionFrame)]
    assert len(transcripts) == 1 and "breakfast" in transcripts[0].text.lower()
    # Nothing at the pause: one transcription, of the whole segment, at the stop.
    assert pool.heard == [len(pcm) + 6400 + len(stt._trailing_silence())]
    assert models.has_free_worker


@pytest.mark.parametrize(("early_seconds", "jobs"), [
    (1.0, [("identify_language", None), ("transcribe_pcm16", "es")]),  # es at 0.86: told
    (1.5, [("identify_language", None), ("transcribe_pcm16", None)]),  # es at 0.39: detected
    (0.0, [("transcribe_pcm16", None)]),  # off: probed, then detected, at the stop
])
async def test_the_language_is_identified_while_the_caller_speaks(
    speech_models: SpeechModels, spanish_call_audio, early_seconds: float, jobs: list
):
    """Language not known: a guess on the first second(s) of speech (the frames arrive faster
    than real time here, and the guess is awaited at the stop). A sure one has the stop
    transcribe once, in it; an unsure one leaves the whole turn to detection."""
    pool = _CountingPool()
    models = SpeechModels(speech_models.english, speech_models.multilingual, pool)
    stt = LocalWhisperSTTService(models, language="auto", candidates=("en", "es", "fr", "de"),
                                 speculative=False, early_language_seconds=early_seconds,
                                 audio_passthrough=False)
    try:
        down, _ = await run_test(stt, frames_to_send=speech_frames(spanish_call_audio),
                                 pipeline_params=PARAMS)
    finally:
        pool.shutdown()
    (transcript,) = [f for f in down if isinstance(f, TranscriptionFrame)]
    assert transcript.language == Language.ES
    assert pool.jobs == jobs
    if jobs[-1][1] == "es":
        assert pool.heard[0] == 32000 < pool.heard[1]  # the guess heard the first second
        assert transcript.result.language_probability >= EARLY_MIN_PROBABILITY
        assert transcript.result.language_probs[0][0] == "es"


async def test_jobs_waiting_behind_busy_workers_are_counted(speech_models: SpeechModels,
                                                            voice_models: VoiceModels) -> None:
    """What /metrics reads as stt_waiting and tts_waiting: jobs queued, not those running."""
    release = threading.Event()
    stt_pool, tts_pool = ThreadPoolExecutor(max_workers=1), ThreadPoolExecutor(max_workers=1)
    speech = SpeechModels(speech_models.english, None, stt_pool, workers=1)
    voices = VoiceModels(voice_models.voices, tts_pool, PromptCache(voice_models.voices))
    try:
        jobs = [speech.transcribe(release.wait) for _ in range(3)]
        held = [tts_pool.submit(release.wait) for _ in range(3)]
        await asyncio.sleep(0.2)  # the first of each has started
        assert (speech.waiting, voices.waiting) == (2, 2)
        assert LocalVoices(speech, voices).waiting() == (2, 2)
        release.set()
        await asyncio.gather(*jobs)
        for future in held:
            future.result(timeout=5)
        await asyncio.sleep(0.1)  # the pool's done-callbacks reach the loop
        assert (speech.waiting, voices.waiting) == (0, 0)
    finally:
        release.set()
        stt_pool.shutdown()
        tts_pool.shutdown()


def _audio(frames: list[Frame]) -> list[TTSAudioRawFrame]:
    return [f for f in frames if isinstance(f, TTSAudioRawFrame)]


async def test_tts_service_in_a_pipeline(voice_models: VoiceModels):
    tts = LocalPiperTTSService(voice_models)
    down, _ = await run_test(tts, frames_to_send=[TTSSpeakFrame(SENTENCE)], pipeline_params=PARAMS)
    audio = _audio(down)
    assert audio and all(f.sample_rate == 8000 for f in audio)
    seconds = sum(len(f.audio) for f in audio) / 2 / 8000
    assert 1.0 < seconds < 5.0


async def test_tts_switches_voice_with_the_language(voice_models: VoiceModels):
    en = voice_models.voices["en"]
    both = VoiceModels({"en": en, "es": en}, voice_models.executor, PromptCache({"en": en}))
    tts = LocalPiperTTSService(both)
    # No French voice and no fallback loaded: English, with a log line.
    assert tts.set_language("fr") == "en" and tts.voice_name == "piper:en"
    assert tts.set_language("es-MX") == "es" and tts.voice_name == "piper:es"
    tts.set_language("en")
    frames = [TTSUpdateSettingsFrame(delta=TTSSettings(language="es")), TTSSpeakFrame("Hola.")]
    down, _ = await run_test(tts, frames_to_send=frames, pipeline_params=PARAMS)
    assert tts.language == "es"
    assert _audio(down)


async def test_prompt_cache_serves_identical_audio_without_resynthesising(
    voice_models: VoiceModels, voice_settings: Settings
):
    cache = PromptCache(voice_models.voices)
    greeting = voice_settings.dialog.greeting
    cache.warm([greeting])
    first = cache.get(greeting, "en")
    assert first is not None and cache.syntheses == 1
    assert cache.get_or_synthesize(f"  {greeting} ", "en-US") == first
    assert cache.get(greeting, "en", 8000) == cache.get(greeting, "en", 8000)
    assert cache.syntheses == 1
    assert cache.get("Something never warmed.", "en") is None

    tts = LocalPiperTTSService(VoiceModels(voice_models.voices, voice_models.executor, cache))
    down, _ = await run_test(tts, frames_to_send=[TTSSpeakFrame(greeting)], pipeline_params=PARAMS)
    played = b"".join(f.audio for f in _audio(down))
    cached = cache.get(greeting, "en", 8000)
    assert cached is not None
    # Piper's output varies run to run: byte-identical audio can only come from the cache.
    assert played == cached.pcm
    assert cache.syntheses == 1


def test_models_are_shared_process_wide(voice_settings: Settings, speech_models, voice_models):
    again = SpeechModels.load(voice_settings)
    try:
        assert again.english is speech_models.english
        assert again.multilingual is speech_models.multilingual
        assert again.executor._max_workers == voice_settings.stt.max_concurrent
    finally:
        again.close()
    voices = VoiceModels.load(voice_settings)
    try:
        assert voices.voices["en"] is voice_models.voices["en"]
        assert voices.voices["en"].session.get_session_options().intra_op_num_threads == 1
        if voice_models.fallback is not None:
            assert voices.fallback is not None
            assert voices.fallback.engine is voice_models.fallback.engine
    finally:
        voices.close()


def test_missing_multilingual_model_is_a_clear_error(tmp_path: Path):
    from voice.models import ModelMissingError

    with pytest.raises(ModelMissingError, match="frontdesk models install"):
        SpeechModels.load(Settings(data_dir=tmp_path))
