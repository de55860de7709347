"""Call recordings (opt-in: ``settings.recordings``): both sides of each of a call's streams as
one stereo WAV, the caller on the left channel and the agent on the right, at 8 kHz (what the
telephone carries).

The pipeline's ``AudioBufferProcessor`` (pipecat) sits after the transport's output, where the
caller's audio and the agent's (as it is sent) both pass; when the stream ends it hands over the
whole call, which is written to ``<data_dir>/recordings/<call SID>/<stream SID>.wav`` and noted
as the call's ``recording`` event (its file and length). A call brought back from a transfer has
a second stream, and a second file. A recording that cannot be written (a full disk) is logged
and noted as ``recording_failed``; the call's other records are not touched.
"""

from __future__ import annotations

import asyncio
import re
import wave
from pathlib import Path

from loguru import logger
from pipecat.processors.audio.audio_buffer_processor import AudioBufferProcessor

from telephony.records.store import Records

__all__ = ["RECORDINGS", "call_recorder", "recording_file", "recordings_folder"]

RECORDINGS = "recordings"
SAMPLE_RATE = 8000
_SID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # a Twilio SID: safe as a file name


def recordings_folder(data_dir: Path) -> Path:
    return data_dir / RECORDINGS


def recording_file(data_dir: Path, call_sid: str, stream_sid: str) -> Path | None:
    """Where a stream's recording is kept; None for a SID that is no plain name."""
    if not (_SID.match(call_sid) and _SID.match(stream_sid)):
        return None
    return recordings_folder(data_dir) / call_sid / f"{stream_sid}.wav"


def _write(path: Path, audio: bytes, sample_rate: int, channels: int) -> float:
    """Write the WAV (through a temporary name: a file that exists is whole); its seconds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    with wave.open(str(partial), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(audio)
    partial.replace(path)
    return len(audio) / (2 * channels * sample_rate)


def call_recorder(data_dir: Path, records: Records, call_sid: str,
                  stream_sid: str) -> AudioBufferProcessor | None:
    """The processor that records one stream (None: its SIDs are no file names)."""
    path = recording_file(data_dir, call_sid, stream_sid)
    if path is None:
        logger.warning(f"call {call_sid!r}: not recorded (the SIDs are not plain names)")
        return None
    recorder = AudioBufferProcessor(sample_rate=SAMPLE_RATE, num_channels=2,
                                    auto_start_recording=True)

    @recorder.event_handler("on_audio_data")
    async def save(_recorder: AudioBufferProcessor, audio: bytes, sample_rate: int,
                   channels: int) -> None:
        if not audio:
            return
        relative = path.relative_to(recordings_folder(data_dir)).as_posix()
        try:
            seconds = await asyncio.to_thread(_write, path, audio, sample_rate, channels)
        except OSError as e:
            logger.error(f"call {call_sid}: the recording could not be written: {e}")
            await asyncio.to_thread(records.add_event, call_sid, "recording_failed",
                                    {"stream_sid": stream_sid, "error": str(e)[:300]})
            return
        await asyncio.to_thread(records.add_event, call_sid, "recording",
                                {"stream_sid": stream_sid, "file": relative,
                                 "seconds": round(seconds, 2)})

    return recorder
