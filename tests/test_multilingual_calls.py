"""A caller changes language mid-call, over a real WebSocket, on a server detecting languages.

The caller starts in English (piper's voice) by asking for Spanish, then speaks Spanish
(espeak-ng, cut to the telephone band): recognition and the agent's voice both switch, and the
call's language is recorded. The agent's replies are transcribed back with the multilingual
model.
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from servers import ThreadedServer
from sqlalchemy import select
from test_checkin import in_language

from config import Settings
from config.database import open_database
from dialog.business.store import hotel_reservations
from telephony.records import Records
from telephony.simulator import CallerStep, place_call
from voice.audio import band_pass, mulaw8k_to_pcm16k
from voice.stt import transcribe_pcm16

pytestmark = pytest.mark.asyncio
ESPEAK_RATE_WPM = "140"


def espeak_clip(text: str, language: str, folder: Path) -> Path:
    """The caller saying ``text``: espeak-ng, resampled to 8 kHz and cut to the telephone band."""
    raw = folder / f"raw-{abs(hash((text, language)))}.wav"
    subprocess.run(["espeak-ng", "-v", language, "-s", ESPEAK_RATE_WPM, "-w", str(raw), text],
                   check=True, capture_output=True)
    audio, rate = sf.read(str(raw), dtype="int16")
    clip = folder / f"call-{abs(hash((text, language)))}.wav"
    sf.write(str(clip), band_pass(np.asarray(audio, dtype=np.int16), rate), rate)
    return clip


@pytest.fixture
def line(call_settings: Settings, tmp_path: Path):
    """A hotel frontdesk detecting the caller's language, on its own database."""
    settings = call_settings.model_copy(update={
        "data_dir": tmp_path, "database_url": f"sqlite:///{tmp_path}/frontdesk.db",
        "stt": call_settings.stt.model_copy(update={"language": "auto"}),
        "twilio": call_settings.twilio.model_copy(update={"sms_from": "+15550002222"})})
    from telephony.app import create_app

    server = ThreadedServer(create_app(settings),
                            ws_max_size=settings.stream.max_message_bytes).start()
    yield server, settings
    server.stop()


def _status(settings: Settings, confirmation: str) -> dict:
    engine = open_database(settings.database_url)
    with engine.connect() as conn:
        row = conn.execute(select(hotel_reservations).where(
            hotel_reservations.c.confirmation == confirmation)).mappings().first()
    engine.dispose()
    return dict(row)


def _heard(speech_models, audio: bytes) -> tuple[str, str]:
    """What the caller heard: the multilingual model's transcript and detected language."""
    pcm = mulaw8k_to_pcm16k(audio).tobytes()
    found = transcribe_pcm16(speech_models.multilingual, pcm, 16000, language=None)
    return found.text, found.language


async def test_asking_for_spanish_switches_recognition_and_voice(line, speech_models,
                                                                voice_models, tmp_path):
    server, settings = line
    breakfast = await asyncio.to_thread(espeak_clip, "¿A qué hora es el desayuno?", "es",
                                        tmp_path)
    steps = [CallerStep(say="Spanish, please."), CallerStep(audio=breakfast)]
    result = await place_call(server.url, steps, settings=settings,
                              voice=voice_models.voices["en"], whisper=None,
                              from_number="+13055550134", response_timeout_seconds=25.0)
    records = Records(settings.database_url)
    call = records.call(result.call_sid)
    records.close()
    spoken = [t for t in call["turns"] if t["caller_text"]]
    conversation = "\n".join(f"{t['caller_language']} {t['caller_text'] or t['caller_dtmf']} -> "
                             f"{t['reply_text']}" for t in call["turns"])
    assert [t["caller_language"] for t in spoken] == ["en", "es"], conversation
    # Heard as Spanish: Whisper base hears espeak-ng's "¿A qué hora es el desayuno?" a little
    # differently each run ("¿A qué hora de belleza uno?", "¿A qué posees el desayuno?").
    assert in_language(spoken[-1]["caller_text"], "es"), conversation
    assert [e["detail"]["language"] for e in call["events"] if e["kind"] == "language"] == [
        "en", "es"]
    switched, answered = result.agent_turns[1], result.agent_turns[-1]
    text, heard_in = await asyncio.to_thread(_heard, speech_models, switched.audio)
    assert heard_in == "es" and "por supuesto" in text.lower(), text
    assert (await asyncio.to_thread(_heard, speech_models, answered.audio))[1] == "es"
    assert call["language"] == "es"
