"""A scripted speech recogniser: each caller utterance becomes the script's next line.

``ScriptedSTTService`` is a pipecat segmented STT service like the Whisper one it stands in
for: the caller's audio arrives over the real WebSocket, Silero VAD cuts it into utterances,
and each utterance is "transcribed" as the next line of a ``Script`` (with its language,
and the loudness measured from the audio as Whisper's transcript carries it). Nothing is
loaded, so a whole call's turn-taking and dialog run in a fraction of a second per turn.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import AsyncGenerator, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from loguru import logger
from pipecat.frames.frames import Frame, TranscriptionFrame
from pipecat.services.stt_service import SegmentedSTTService
from pipecat.services.whisper.stt import WhisperSTTSettings
from pipecat.transcriptions.language import Language
from pipecat.utils.time import time_now_iso8601

from voice.audio import speech_level_db
from voice.whisper import Transcript

__all__ = ["Line", "Script", "ScriptedSTTService"]


@dataclass(frozen=True)
class Line:
    """What the recogniser makes of one utterance. Empty text: it heard no words (noise)."""

    text: str
    language: str = "en"  # reported when recognition is not pinned to a language
    probability: float = 1.0  # of that language, as Whisper's detection reports it


class Script:
    """The lines a test's callers say, in order; shared by the calls of a test server (which
    runs in another thread, hence the lock). Load it before each call."""

    def __init__(self) -> None:
        self._lines: deque[Line] = deque()
        self._lock = threading.Lock()
        self.unscripted = 0  # utterances heard after the script ran out

    def load(self, lines: Iterable[Line | str]) -> None:
        with self._lock:
            self._lines = deque(x if isinstance(x, Line) else Line(x) for x in lines)
            self.unscripted = 0

    def next(self) -> Line | None:
        with self._lock:
            if self._lines:
                return self._lines.popleft()
            self.unscripted += 1
            return None

    @property
    def remaining(self) -> int:
        with self._lock:
            return len(self._lines)


def _language(code: str) -> Language | None:
    try:
        return Language(code)
    except ValueError:
        return None


class ScriptedSTTService(SegmentedSTTService):
    """Speech recognition that answers each VAD-cut utterance with the script's next line.

    ``language`` pins it as ``LocalWhisperSTTService``'s does ("en", "es"...; None or "auto"
    detects): pinned, every line is reported in that language, else in the line's own.
    ``STTUpdateSettingsFrame`` (a language, Whisper's prompt hints) updates it as it does Whisper.
    """

    Settings = WhisperSTTSettings
    _settings: WhisperSTTSettings

    def __init__(self, script: Script, *, language: str | None = "en", **kwargs: Any) -> None:
        self._script = script
        settings = self.Settings(model="scripted",
                                 language=None if language == "auto" else language,
                                 no_speech_prob=0.6, hotwords=None, initial_prompt=None)
        # Transcripts come at once; above the VAD's stop time, so turn strategies still wait.
        kwargs.setdefault("ttfs_p99_latency", 0.3)
        super().__init__(settings=settings, **kwargs)

    @property
    def wants_wav_segments(self) -> bool:
        return False  # raw 16-bit PCM, as Whisper reads it

    async def run_stt(self, audio: bytes) -> AsyncGenerator[Frame, None]:
        line = self._script.next()
        if line is None:
            logger.warning(f"{self}: an utterance beyond the script")
            return
        if not line.text:
            return  # heard as noise: no transcript, as Whisper drops it
        pinned = self._settings.language
        language = str(pinned) if isinstance(pinned, str) and pinned else line.language
        samples = np.frombuffer(audio, dtype=np.int16)
        result = Transcript(line.text, language, line.probability,
                            len(samples) / self.sample_rate,
                            level_db=speech_level_db(samples, self.sample_rate))
        yield TranscriptionFrame(line.text, self._user_id, time_now_iso8601(),
                                 _language(language), result=result)
