"""SIGTERM during a call (telephony.drain): the server takes no new call, the call in progress
goes on to its end with its reply heard and its records complete, then the server exits. Real
server, real WebSocket, scripted voices; the signal is given as uvicorn's handler receives it
(no signal reaches a test's server thread)."""

from __future__ import annotations

import asyncio
import secrets
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fakes import FakeVoices, HashingEncoder, place_scripted_call
from servers import FakeTwilio, ThreadedServer, until
from test_calls_scripted import _settings
from test_stream_refusals import _ended

from telephony.cli.simulator import CallerStep, CallResult
from telephony.records.store import Records

pytestmark = pytest.mark.asyncio


@dataclass
class Draining:
    """A hotel line on frontdesk's draining server, a call placed on it, and its records."""

    server: ThreadedServer
    records: Records
    call_sid: str
    call: asyncio.Task[CallResult]


@asynccontextmanager
async def _calling(fake_twilio: FakeTwilio, folder: Path, drain_seconds: float,
                   steps: list[CallerStep]) -> AsyncIterator[Draining]:
    from telephony.app import create_app

    settings = _settings(folder, fake_twilio, "hotel")
    voices = FakeVoices()
    app = create_app(settings, voices=voices, encoder=HashingEncoder())
    server = ThreadedServer(app, ws_max_size=settings.stream.max_message_bytes,
                            drain_seconds=drain_seconds).start()
    records = Records(settings.database_url)
    call_sid = "CA" + secrets.token_hex(16)
    call = asyncio.create_task(place_scripted_call(server.url, steps, voices=voices,
                                                   settings=settings, call_sid=call_sid))
    try:
        yield Draining(server, records, call_sid, call)
    finally:
        records.close()
        server.stop()


async def test_sigterm_lets_the_call_in_progress_finish_then_exits(
        fake_twilio: FakeTwilio, tmp_path: Path) -> None:
    steps = [CallerStep(say="What time is breakfast served?"),
             CallerStep(say="Is there parking at the hotel?")]
    async with _calling(fake_twilio, tmp_path, 30.0, steps) as line:
        server, records, call_sid = line.server, line.records, line.call_sid

        def answering() -> bool:  # the first answer is recorded, about to be spoken
            turns = (records.call(call_sid) or {}).get("turns", [])
            return any(t["caller_text"] and t["reply_text"] for t in turns)

        await until(answering)
        server.server.handle_exit(signal.SIGTERM, None)
        async with httpx.AsyncClient(base_url=server.url) as client:
            ready = await client.get("/readyz")
            new_call = await client.post("/twilio/voice", data={"CallSid": "CA" + "9" * 32})
        assert ready.status_code == 503 and ready.json()["checks"]["taking_calls"] is False
        assert new_call.status_code == 503 and "draining" in new_call.text

        result = await line.call  # the caller asks the second question, hears it, hangs up
        record = await _ended(records, call_sid)
        answered = [t for t in record["turns"] if t["caller_text"]]
        assert [t["caller_text"] for t in answered] == ["What time is breakfast served?",
                                                        "Is there parking at the hotel?"]
        assert all(t["heard_text"] == t["reply_text"] and not t["interrupted"]
                   for t in answered)
        assert record["end_reason"] == "caller_hung_up" and result.violations == ()
        await until(lambda: not server.thread.is_alive())  # then it exits on its own


async def test_a_call_past_the_drain_deadline_is_closed_and_recorded(
        fake_twilio: FakeTwilio, tmp_path: Path) -> None:
    """Past ``drain_seconds`` the stream is closed (Twilio then runs the TwiML fallback), and
    the call's record is closed too."""
    steps = [CallerStep(say="What time is breakfast served?"),
             CallerStep(say="Is there parking at the hotel?", pause_seconds=20.0)]
    async with _calling(fake_twilio, tmp_path, 0.5, steps) as line:
        await until(lambda: (line.records.call(line.call_sid) or {}).get("turns"))
        line.server.server.handle_exit(signal.SIGTERM, None)
        result = await line.call
        assert result.closed_by == "agent"  # the server closed the stream
        record = await _ended(line.records, line.call_sid)
        assert record["end_reason"] == "server_shutdown"
        await until(lambda: not line.server.thread.is_alive())
