"""Shared fixtures. The voice models are installed once per test session."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fake_llm import FakeLlm
from loguru import logger
from servers import FakeTwilio, ThreadedServer, on_loopback

from config.settings import Settings
from knowledge.encoder import SentenceEncoder, default_model_path
from knowledge.index import KnowledgeIndex
from knowledge.passages import load_passages
from telephony.records.store import Records

# pipecat logs every frame link at DEBUG; failures are easier to read at INFO.
logger.remove()
logger.add(sys.stderr, level="INFO")

if TYPE_CHECKING:
    from voice.voices import VoiceModels
    from voice.whisper import SpeechModels


@pytest.fixture(scope="session")
def models_dir() -> Path:
    """The models dir `scripts/setup` fills (FRONTDESK_MODELS_DIR or ./var/models).

    install_models is idempotent: on a set-up checkout it only re-checks the hashes.
    """
    from voice.models import install_models

    path = Settings().resolved_models_dir.resolve()
    install_models(path)
    return path


@pytest.fixture(scope="session")
def encoder(models_dir: Path) -> SentenceEncoder:
    return SentenceEncoder(default_model_path(models_dir))


@pytest.fixture(scope="session")
def index(encoder: SentenceEncoder) -> KnowledgeIndex:
    """The bundled sample hotel file, indexed."""
    from dialog.loader import bundled_knowledge

    return KnowledgeIndex(load_passages(bundled_knowledge("hotel")), encoder)


@pytest.fixture(scope="session")
def voice_settings(models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("data"), models_dir=models_dir)


@pytest.fixture(scope="session")
def speech_models(voice_settings: Settings) -> Iterator[SpeechModels]:
    from voice.whisper import SpeechModels

    models = SpeechModels.load(voice_settings)
    yield models
    models.close()


@pytest.fixture(scope="session")
def voice_models(voice_settings: Settings) -> Iterator[VoiceModels]:
    from voice.voices import VoiceModels

    models = VoiceModels.load(voice_settings)
    yield models
    models.close()


# -- whole calls: frontdesk on loopback, with a Twilio REST fake beside it ----------------

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token-0123456789abcdef"


def connect_stream(url: str, *, auth_token: str = AUTH_TOKEN, **kwargs):
    """Open a media stream as Twilio does: the upgrade signed over its URL."""
    import websockets
    from twilio.request_validator import RequestValidator

    signature = RequestValidator(auth_token).compute_signature(url, {})
    return websockets.connect(url, additional_headers={"X-Twilio-Signature": signature},
                              **kwargs)
FRONT_DESK_NUMBER = "+15550001111"


@pytest.fixture(scope="session")
def fake_twilio() -> Iterator[FakeTwilio]:
    yield from on_loopback(FakeTwilio(ACCOUNT_SID, AUTH_TOKEN))


@pytest.fixture(scope="session")
def call_settings(models_dir: Path, fake_twilio: FakeTwilio,
                  tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        data_dir=tmp_path_factory.mktemp("calls"),
        models_dir=models_dir,
        twilio={"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN,
                "api_base_url": fake_twilio.url},  # type: ignore[attr-defined]
        transfer={"queues": {"front_desk": FRONT_DESK_NUMBER}},
        turn={"no_speech_prompt_seconds": 4, "no_speech_hangup_seconds": 9},
        # The agent's voice without piper's random variation: its replies, transcribed
        # back by the tests, are the same audio on every run.
        tts={"noise_scale": 0.0, "noise_w_scale": 0.0},
        # English callers from the first word (the multilingual tests detect instead).
        stt={"language": "en"},
        stream={"max_bad_messages": 5, "start_timeout_seconds": 3},
    )


@pytest.fixture(scope="session")
def frontdesk(call_settings: Settings) -> Iterator[ThreadedServer]:
    from telephony.app import create_app

    server = ThreadedServer(create_app(call_settings),
                            ws_max_size=call_settings.stream.max_message_bytes).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def records(call_settings: Settings) -> Iterator[Records]:
    store = Records(call_settings.database_url)
    yield store
    store.close()


@pytest.fixture(scope="session")
def llm() -> Iterator[FakeLlm]:
    """A scripted OpenAI-compatible chat-completions server on loopback (tests/fake_llm.py)."""
    yield from on_loopback(FakeLlm())


# Markers, set from what a test uses, so that `scripts/test --fast` (-m "not models and not
# browser") runs everything that needs no model file and no browser.
# Tests live by layer: unit/<layer>/ (one package's logic), calls/ (whole calls over the real
# WebSocket) and browser/ (pages in headless Chromium); everything under browser/ is marked.
_BROWSER_DIR = Path(__file__).resolve().parent / "browser"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "models: loads a model (speech, voice or sentence encoder)")
    config.addinivalue_line("markers", "browser: drives headless Chromium")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "models_dir" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.models)
        if _BROWSER_DIR in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)
