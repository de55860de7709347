"""The scripted voices a test server is given instead of Whisper and piper (``CallVoices``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from config.settings import SttSettings
from fakes.stt import Script, ScriptedSTTService
from fakes.tts import ScriptedTTSService, Spoken

__all__ = ["FakeVoices"]


@dataclass
class FakeVoices:
    """Makes each call's scripted STT (reading ``script``) and scripted TTS (noting what it
    says in ``spoken``)."""

    script: Script = field(default_factory=Script)
    spoken: Spoken = field(default_factory=Spoken)
    seconds_per_character: float = 0.006  # of the agent's tone
    warmed: list[str] = field(default_factory=list)

    def stt_service(self, stt: SttSettings) -> ScriptedSTTService:
        return ScriptedSTTService(self.script, language=stt.language)

    def tts_service(self, language: str) -> ScriptedTTSService:
        return ScriptedTTSService(language=language, spoken=self.spoken,
                                  seconds_per_character=self.seconds_per_character)

    def warm(self, prompts: Sequence[str], languages: Sequence[str]) -> None:
        self.warmed.extend(prompts)

    def waiting(self) -> tuple[int, int]:
        return 0, 0

    def close(self) -> None:
        pass
