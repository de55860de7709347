"""Call recordings and retention over whole calls (scripted voices, the real server): both sides
of a call are kept as a stereo WAV, the caller left and the agent right, and served on the
insights page's API to a signed-in user only; retention deletes the recordings (and, when asked,
the words) of the calls older than its days, and nothing else."""

from __future__ import annotations

import time
import wave
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from servers import FakeTwilio, until
from sqlalchemy import text, update
from test_calls_scripted import ALEX, Line, _line
from test_stream_refusals import _decided

from config.settings import AdminSettings, RecordingSettings
from telephony.call.recording import recording_file, recordings_folder
from telephony.cli.simulator import CallerStep
from telephony.records.retention import apply_retention
from telephony.records.store import calls

pytestmark = pytest.mark.asyncio

USERS = {"vic": {"password": "a long viewer password", "role": "viewer"}}
SAID = ("caller_text", "caller_dtmf", "reply_text", "heard_text")


@pytest.fixture(scope="module")
def support(fake_twilio: FakeTwilio, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Line]:
    yield from _line(tmp_path_factory.mktemp("recorded-support"), fake_twilio, "support",
                     recordings=RecordingSettings(enabled=True),
                     admin=AdminSettings.model_validate({"users": USERS}))


async def _recorded_call(line: Line, steps: list[CallerStep]) -> tuple[dict, Path]:
    result, _ = await line.call(steps, from_number=ALEX)
    call = await _decided(line.records, result.call_sid)
    event = await until(lambda: next((e for e in line.records.call(result.call_sid)["events"]
                                      if e["kind"] == "recording"), None))
    path = recording_file(line.settings.data_dir, result.call_sid, call["stream_sid"])
    assert path is not None and event["detail"]["file"] == \
        f"{result.call_sid}/{call['stream_sid']}.wav"
    return line.records.call(result.call_sid), path


def _channels(path: Path) -> tuple[np.ndarray, np.ndarray, float]:
    with wave.open(str(path)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (2, 2, 8000)
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)
        return frames[:, 0].astype(float), frames[:, 1].astype(float), len(frames) / 8000


def _loud_seconds(channel: np.ndarray) -> float:
    """Seconds of 20 ms frames louder than -40 dBFS."""
    frames = channel[: len(channel) // 160 * 160].reshape(-1, 160)
    rms = np.sqrt((frames ** 2).mean(axis=1)) / 32768
    return float((rms > 0.01).sum()) * 0.02


async def test_both_sides_of_a_call_are_recorded_and_served_signed_in(support: Line) -> None:
    call, path = await _recorded_call(support, [CallerStep(say="Where is my order?"),
                                                CallerStep(say="Goodbye.")])
    caller, agent, seconds = _channels(path)
    length = call["ended_at"] - call["started_at"]
    assert 0.5 * length < seconds < length + 2, (seconds, length)
    # The caller spoke two short sentences; the agent greeted, answered and said goodbye.
    assert _loud_seconds(caller) > 0.5 and _loud_seconds(agent) > 1.0
    # Never both at once for long: each side is its own channel, not a mix.
    both = _loud_seconds(np.minimum(np.abs(caller), np.abs(agent)))
    assert both < 0.5 * min(_loud_seconds(caller), _loud_seconds(agent))
    event = next(e for e in call["events"] if e["kind"] == "recording")
    assert event["detail"]["seconds"] == pytest.approx(seconds, abs=0.05)

    base = support.server.url
    wav_url = f"{base}/insights/api/calls/{call['call_sid']}/recordings/{call['stream_sid']}.wav"
    async with httpx.AsyncClient() as client:
        assert (await client.get(wav_url)).status_code == 401
        assert (await client.get(f"{base}/insights/api/calls/{call['call_sid']}")
                ).status_code == 401
        login = await client.post(f"{base}/insights/login",
                                  data={"username": "vic", "password": USERS["vic"]["password"]},
                                  headers={"X-Requested-With": "frontdesk-insights"})
        assert login.status_code == 200
        got = await client.get(wav_url)
        assert got.status_code == 200 and got.headers["content-type"] == "audio/wav"
        assert got.content == path.read_bytes()
        page = (await client.get(f"{base}/insights/api/calls/{call['call_sid']}")).json()
        assert page["recordings"] == [{"stream_sid": call["stream_sid"], "file": path.relative_to(
            recordings_folder(support.settings.data_dir)).as_posix(), "seconds": pytest.approx(
            seconds, abs=0.05)}]
        assert page["qa"]["items"] and page["outcome"] == call["outcome"]
        # a SID that is no file name is refused before any path is made of it
        bad = f"{base}/insights/api/calls/{call['call_sid']}/recordings/..%2F..%2Fx.wav"
        assert (await client.get(bad)).status_code == 404


async def test_retention_deletes_what_it_says_and_nothing_else(support: Line) -> None:
    steps = [CallerStep(say="Where is my order?"), CallerStep(say="Goodbye.")]
    old, old_path = await _recorded_call(support, steps)
    new, new_path = await _recorded_call(support, steps)
    sid = old["call_sid"]
    with support.records.engine.begin() as conn:  # the first call was ten days ago
        conn.execute(update(calls).where(calls.c.call_sid == sid).values(
            started_at=old["started_at"] - 10 * 86400, ended_at=old["ended_at"] - 10 * 86400))
    qa_before = support.records.qa(sid)
    folder = recordings_folder(support.settings.data_dir)

    def snapshot(call_sid: str) -> tuple[dict, list[dict], list[dict]]:
        found = support.records.call(call_sid)
        return ({k: v for k, v in found.items() if k not in ("turns", "events")},
                found["turns"], [e for e in found["events"] if e["kind"] != "retention"])

    old_before, new_before = snapshot(sid), snapshot(new["call_sid"])
    # Recordings only: the old call's file goes, its words stay.
    report = apply_retention(support.records, folder, days=7, transcripts=False)
    assert report.recordings == (sid,) and report.transcripts == ()
    assert not old_path.exists() and not old_path.parent.exists() and new_path.exists()
    assert snapshot(sid) == old_before and snapshot(new["call_sid"]) == new_before
    # With the transcripts: the old call's words go too; every other column stays.
    report = apply_retention(support.records, folder, days=7, transcripts=True)
    assert report.recordings == () and report.transcripts == (sid,)
    row, turns, events = snapshot(sid)
    assert row == old_before[0] and events == old_before[2]
    assert all(t[k] is None for t in turns for k in SAID)
    kept = [{k: v for k, v in t.items() if k not in SAID} for t in turns]
    assert kept == [{k: v for k, v in t.items() if k not in SAID} for t in old_before[1]]
    assert support.records.qa(sid) == qa_before
    assert snapshot(new["call_sid"]) == new_before and new_path.read_bytes()
    retention = [e["detail"] for e in support.records.call(sid)["events"]
                 if e["kind"] == "retention"]
    assert retention == [{"days": 7, "recording": True, "transcript": False},
                         {"days": 7, "recording": False, "transcript": True}]
    # Nothing is left to delete, and a call in progress is never touched.
    assert apply_retention(support.records, folder, days=7, transcripts=True) == \
        apply_retention(support.records, folder, days=0, transcripts=True)
    with support.records.engine.begin() as conn:
        conn.execute(text("UPDATE calls SET ended_at = NULL, started_at = :t WHERE call_sid = :s"),
                     {"t": time.time() - 30 * 86400, "s": new["call_sid"]})
    assert apply_retention(support.records, folder, days=7, transcripts=True).recordings == ()
    assert new_path.exists()


async def test_a_recording_that_cannot_be_written_loses_nothing_else(
        fake_twilio: FakeTwilio, tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("unwritable")
    (folder / "recordings").write_text("a file where the recordings' folder should be")
    line = next(lines := _line(folder, fake_twilio, "support",
                               recordings=RecordingSettings(enabled=True)))
    try:
        result, _ = await line.call([CallerStep(say="Where is my order?"),
                                     CallerStep(say="Goodbye.")], from_number=ALEX)
        call = await _decided(line.records, result.call_sid)
        failed = await until(lambda: next((e for e in line.records.call(result.call_sid)[
            "events"] if e["kind"] == "recording_failed"), None))
        assert failed["detail"]["stream_sid"] == call["stream_sid"] and failed["detail"]["error"]
        assert (call["outcome"], call["end_reason"]) == ("resolved", "agent_hung_up:caller_goodbye")
        assert [t["caller_text"] for t in call["turns"][1:]] == ["Where is my order?", "Goodbye."]
        assert line.records.qa(result.call_sid) is not None
        assert not any(e["kind"] == "recording" for e in line.records.call(result.call_sid)[
            "events"])
    finally:
        next(lines, None)
