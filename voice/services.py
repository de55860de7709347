"""How a server makes each call's speech services: the ``CallVoices`` it is given.

A call's pipeline takes one STT and one TTS service, made fresh for it. ``LocalVoices`` makes
them on the Whisper models and piper voices loaded once per process (``voice.whisper``,
``voice.stt``, ``voice.tts``); the tests make scripted ones (``tests/fakes``) that load no model,
so whole calls run over the real WebSocket, VAD and turn-taking with no Whisper and no piper.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from config.settings import Settings, SttSettings
from voice.stt import LocalWhisperSTTService
from voice.tts import LocalPiperTTSService
from voice.voices import VoiceModels
from voice.whisper import SpeechModels, transcribe_pcm16

if TYPE_CHECKING:
    from pipecat.services.stt_service import STTService
    from pipecat.services.tts_service import TTSService

__all__ = ["CallVoices", "LocalVoices"]


class CallVoices(Protocol):
    """What every call's speech services are made from (shared by the calls of a process)."""

    def stt_service(self, stt: SttSettings) -> STTService:
        """A call's speech recognition, per ``stt`` (its language: pinned, or "auto")."""
        ...

    def tts_service(self, language: str) -> TTSService:
        """A call's voice, speaking ``language`` until told otherwise."""
        ...

    def warm(self, prompts: Sequence[str], languages: Sequence[str]) -> None:
        """Prepare fixed lines (and the first synthesis and transcription) before the first
        call (blocking: call it in a thread)."""
        ...

    def waiting(self) -> tuple[int, int]:
        """Transcriptions and syntheses queued for a worker now (the server's metrics)."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class LocalVoices:
    """Whisper and piper, loaded once per process: what a server speaks with."""

    speech: SpeechModels
    voices: VoiceModels

    @classmethod
    def load(cls, settings: Settings) -> LocalVoices:
        """Load the models (blocking: call it in a thread)."""
        return cls(SpeechModels.load(settings), VoiceModels.load(settings))

    def stt_service(self, stt: SttSettings) -> LocalWhisperSTTService:
        return LocalWhisperSTTService.from_settings(self.speech, stt)

    def tts_service(self, language: str) -> LocalPiperTTSService:
        return LocalPiperTTSService(self.voices, language=language)

    def warm(self, prompts: Sequence[str], languages: Sequence[str]) -> None:
        # Fixed lines are synthesised once so they start at once.
        self.voices.prompts.warm(prompts, languages)
        # CTranslate2's first transcription allocates its buffers (~0.3 s more than
        # later ones): pay that now rather than on the first caller's first turn.
        transcribe_pcm16(self.speech.english, bytes(32000), 16000, language="en")

    def waiting(self) -> tuple[int, int]:
        return self.speech.waiting, self.voices.waiting

    def close(self) -> None:
        self.speech.close()
        self.voices.close()
