"""The espeak-ng fallback voice, on the real engines: heard back by the multilingual Whisper.

Each sentence goes through ``LocalPiperTTSService`` in a pipecat pipeline at 8 kHz, is cut to
the telephone band and mu-law, as a caller hears it, and is transcribed by Whisper ``base``
with language detection.
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from collections.abc import Iterator
from difflib import SequenceMatcher

import numpy as np
import pytest
from pipecat.frames.frames import Frame, TTSAudioRawFrame, TTSSpeakFrame, TTSUpdateSettingsFrame
from pipecat.pipeline.worker import PipelineParams
from pipecat.services.settings import TTSSettings
from pipecat.tests.utils import run_test

from config.settings import Settings, TtsSettings
from voice.audio import REPEATABLE, band_pass, mulaw8k_to_pcm16k, mulaw_encode
from voice.espeak import EspeakEngine, EspeakError, EspeakVoice, EspeakVoices, espeak_engine
from voice.tts import LocalPiperTTSService
from voice.voices import PromptCache, VoiceModels
from voice.whisper import SpeechModels, Transcript, transcribe_pcm16

PHONE_RATE_HZ = 8000
PARAMS = PipelineParams(audio_in_sample_rate=16000, audio_out_sample_rate=PHONE_RATE_HZ)

# What the agent says in each language. A robotic voice through a phone line and a small
# Whisper lose a sound now and then: the transcript must match the sentence letter by letter
# for the most part (difflib ratio of the plain letters >= 0.6; a wrong language scores < 0.4).
SENTENCES = {
    "es": "Muchas gracias y que tenga un buen día.",
    "fr": "Merci, votre chambre est prête.",
    "de": "Danke schön, auf Wiedersehen.",
    "en": "Your room is on the third floor.",
}


@pytest.fixture(scope="module")
def engine() -> EspeakEngine:
    try:
        return espeak_engine()
    except EspeakError as e:
        pytest.skip(f"{e}")


@pytest.fixture(scope="module")
def models(voice_models: VoiceModels, engine: EspeakEngine) -> Iterator[VoiceModels]:
    """The session's voices, with repeatable piper output (it is transcribed back)."""
    voices = voice_models.voices
    fallback = EspeakVoices(engine, rate_wpm=TtsSettings().fallback_rate_wpm)
    yield VoiceModels(voices, voice_models.executor, PromptCache(voices, REPEATABLE, fallback),
                      REPEATABLE, fallback)


def _by_utterance(frames: list[Frame]) -> list[np.ndarray]:
    """The 8 kHz audio of each utterance (one TTS context each), in order."""
    audio: dict[str, list[bytes]] = {}
    for f in frames:
        if isinstance(f, TTSAudioRawFrame):
            assert f.sample_rate == PHONE_RATE_HZ
            audio.setdefault(str(f.context_id), []).append(f.audio)
    return [np.frombuffer(b"".join(chunks), dtype=np.int16) for chunks in audio.values()]


def _heard(speech: SpeechModels, pcm8k: np.ndarray) -> Transcript:
    """What the caller hears (300-3400 Hz, mu-law), transcribed with language detection."""
    line = mulaw_encode(band_pass(pcm8k, PHONE_RATE_HZ))
    assert speech.multilingual is not None
    return transcribe_pcm16(speech.multilingual, mulaw8k_to_pcm16k(line).tobytes(), 16000,
                            language=None)


def _plain(text: str) -> str:
    letters = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
    return " ".join(re.findall(r"[a-z]+", letters))


def _assert_heard(result: Transcript, language: str) -> None:
    assert result.language == language, result
    similarity = SequenceMatcher(None, _plain(SENTENCES[language]), _plain(result.text)).ratio()
    assert similarity >= 0.6, (similarity, result)


@pytest.mark.parametrize("language", ["es", "fr", "de"])
async def test_a_language_without_a_piper_voice_speaks_with_espeak(
    models: VoiceModels, speech_models: SpeechModels, language: str
):
    tts = LocalPiperTTSService(models, language=language)
    assert tts.language == language and tts.voice_name == f"espeak-ng:{language}"
    down, _ = await run_test(tts, frames_to_send=[TTSSpeakFrame(SENTENCES[language])],
                             pipeline_params=PARAMS)
    [pcm] = _by_utterance(down)
    assert 1.0 < len(pcm) / PHONE_RATE_HZ < 6.0
    _assert_heard(_heard(speech_models, pcm), language)


async def test_one_call_switches_voice_with_its_language(
    models: VoiceModels, speech_models: SpeechModels
):
    tts = LocalPiperTTSService(models)

    def say(language: str, text: str) -> list[Frame]:
        return [TTSUpdateSettingsFrame(delta=TTSSettings(language=language)), TTSSpeakFrame(text)]

    languages = ["es", "en", "fr"]
    frames = [f for language in languages for f in say(language, SENTENCES[language])]
    down, _ = await run_test(tts, frames_to_send=frames, pipeline_params=PARAMS)
    utterances = _by_utterance(down)
    assert len(utterances) == len(languages)
    for pcm, language in zip(utterances, languages, strict=True):
        _assert_heard(_heard(speech_models, pcm), language)
    assert (tts.language, tts.voice_name) == ("fr", "espeak-ng:fr")
    assert tts.set_language("en-GB") == "en" and tts.voice_name == "piper:en"
    assert tts.set_language("de-AT") == "de" and tts.voice_name == "espeak-ng:de"


def test_espeak_voices_by_language_code(models: VoiceModels):
    fallback = models.fallback
    assert fallback is not None
    found = {code: fallback.voice_for(code) for code in ("es-MX", "pt-BR", "it", "xx")}
    assert found["es-MX"] is not None and found["es-MX"][0] == "es"
    assert found["pt-BR"] is not None and found["pt-BR"][1].voice == "pt-br"
    assert found["it"] is not None and found["it"][1].name == "espeak-ng:it"
    assert found["xx"] is None
    latin = EspeakVoices(fallback.engine, {"es": "es-419"})
    assert latin.voice_for("es-MX") == ("es", EspeakVoice(fallback.engine, "es-419"))
    # A language nobody speaks falls back to English piper, not to silence.
    tts = LocalPiperTTSService(models, language="xx")
    assert (tts.language, tts.voice_name) == ("en", "piper:en")


def test_without_the_fallback_other_languages_speak_english(voice_models: VoiceModels,
                                                          tmp_path):
    settings = Settings(data_dir=tmp_path, tts={"fallback": "none"})
    models = VoiceModels.load(settings)
    try:
        assert models.fallback is None
        assert LocalPiperTTSService(models, language="fr").voice_name == "piper:en"
    finally:
        models.close()


async def test_cached_prompts_are_per_voice(models: VoiceModels, engine: EspeakEngine):
    cache = models.prompts
    line = "Un momento, por favor."
    english = cache.get_or_synthesize(line, "en")
    spanish = cache.get_or_synthesize(line, "es")
    assert english != spanish and spanish.sample_rate_hz == engine.sample_rate_hz
    assert cache.get(line, "es-MX") == spanish
    # A Spanish call hears the Spanish recording of the line, never the English one.
    tts = LocalPiperTTSService(models, language="es")
    down, _ = await run_test(tts, frames_to_send=[TTSSpeakFrame(line)], pipeline_params=PARAMS)
    [played] = _by_utterance(down)
    cached = cache.get(line, "es", PHONE_RATE_HZ)
    assert cached is not None and played.tobytes() == cached.pcm


def test_a_stopped_synthesis_ends_early(engine: EspeakEngine):
    text = "Uno, dos, tres, cuatro, cinco, seis, siete, ocho, nueve, diez. " * 5
    whole = engine.synthesize(text, "es", rate_wpm=165)
    stop = threading.Event()
    stop.set()
    cut = engine.synthesize(text, "es", rate_wpm=165, stop=stop)
    assert len(cut) < len(whole) / 10
    assert list(EspeakVoice(engine, "es").chunks(text, stop)) == []


def test_espeak_and_piper_run_side_by_side(models: VoiceModels, engine: EspeakEngine):
    """piper keeps its own espeak-ng (phonemes) apart from ours: threads don't mix them."""
    piper = models.voices["en"]
    spanish = EspeakVoice(engine, "es")

    def english() -> bytes:
        return b"".join(c.audio_int16_bytes for c in piper.synthesize(SENTENCES["en"], REPEATABLE))

    alone = english()
    done = threading.Event()

    def speak_spanish() -> None:
        while not done.is_set():
            b"".join(spanish.chunks(SENTENCES["es"], threading.Event()))

    worker = threading.Thread(target=speak_spanish)
    worker.start()
    try:
        together = [english() for _ in range(3)]
    finally:
        done.set()
        worker.join()
    assert all(t == alone for t in together)


def test_a_sentence_takes_milliseconds(engine: EspeakEngine):
    voice = EspeakVoice(engine, "de")
    start = time.perf_counter()
    pcm = b"".join(voice.chunks(SENTENCES["de"], threading.Event()))
    elapsed = time.perf_counter() - start
    assert len(pcm) / 2 / voice.sample_rate_hz > 1.0
    assert elapsed < 0.25
