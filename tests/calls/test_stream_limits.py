"""Limits at the edge: sockets that never prove themselves hold no call slot, a full line
says so (close 1013), oversized webhook bodies are refused unread (413), and a call ended
for malformed messages stops reading them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import websockets
from conftest import connect_stream
from servers import ThreadedServer
from test_stream_refusals import CONNECTED, _answer, _ended, _sid, _start

from config.settings import Settings, StreamSettings
from telephony.body_limit import declared_too_large
from telephony.call.handshake import refusal_on_open


@pytest.fixture(scope="module")
def small_line(call_settings: Settings) -> Iterator[ThreadedServer]:
    """frontdesk taking two calls at once, and three sockets not yet verified."""
    from telephony.app import create_app

    stream = call_settings.stream.model_copy(update={"max_concurrent_calls": 2,
                                                     "max_unverified_streams": 3})
    settings = call_settings.model_copy(update={"stream": stream})
    server = ThreadedServer(create_app(settings),
                            ws_max_size=settings.stream.max_message_bytes).start()
    yield server
    server.stop()


async def _live_call(server: ThreadedServer, call_sid: str):
    """A call answered through /twilio/voice, its stream started with the token it was
    given, and the greeting's first message received: the call is being served."""
    stream_url, token = await _answer(server, call_sid)
    ws = await connect_stream(stream_url)
    await ws.send(CONNECTED)
    await ws.send(_start(call_sid, token))
    first = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
    assert first["event"] in ("media", "mark"), first
    return ws


async def _idle(server: ThreadedServer) -> None:
    """Wait until the calls of earlier tests have given their slots back (a call's record
    is closed just before its slot is)."""
    async with httpx.AsyncClient() as client:
        for _ in range(100):
            ready = (await client.get(f"{server.url}/readyz")).json()
            if ready["active_calls"] == 0:
                return
            await asyncio.sleep(0.1)
    raise AssertionError(f"calls still in progress: {ready}")


async def _closed(ws) -> tuple[int, str]:
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(ws.recv(), timeout=10)
    return closed.value.rcvd.code, closed.value.rcvd.reason


async def test_silent_sockets_do_not_hold_call_slots(small_line, records):
    stream_url = f"ws://127.0.0.1:{small_line.port}/twilio/stream"
    await _idle(small_line)
    bare = [await connect_stream(stream_url) for _ in range(2)]  # they send nothing
    try:
        call_sid = _sid("CA")
        ws = await _live_call(small_line, call_sid)
        await ws.close()
        await _ended(records, call_sid)
    finally:
        for socket in bare:
            await socket.close()


async def test_unverified_sockets_are_capped(small_line):
    stream_url = f"ws://127.0.0.1:{small_line.port}/twilio/stream"
    bare = [await connect_stream(stream_url) for _ in range(3)]
    try:
        async with connect_stream(stream_url) as fourth:
            assert await _closed(fourth) == (1013, "too_many_unverified")
    finally:
        for socket in bare:
            await socket.close()


async def test_a_full_line_closes_the_stream_with_1013(small_line, records):
    await _idle(small_line)
    calls = [_sid("CA"), _sid("CA")]
    live = [await _live_call(small_line, call_sid) for call_sid in calls]
    try:
        stream_url, _ = await _answer(small_line, _sid("CA"))
        async with connect_stream(stream_url) as ws:  # the upgrade is accepted, then
            assert await _closed(ws) == (1013, "at_capacity")  # closed before any message
    finally:
        for ws in live:
            await ws.close()
        for call_sid in calls:
            await _ended(records, call_sid)


def test_who_is_refused_on_open():
    limits = StreamSettings(max_concurrent_calls=2, max_unverified_streams=3)
    assert refusal_on_open(1, 2, limits) is None
    full, waiting = refusal_on_open(2, 0, limits), refusal_on_open(0, 3, limits)
    assert (full.code, full.close_code) == ("at_capacity", 1013)
    assert (waiting.code, waiting.close_code) == ("too_many_unverified", 1013)
    assert refusal_on_open(2, 3, limits).code == "at_capacity"


def test_declared_body_length():
    assert not declared_too_large(None, 100) and not declared_too_large("100", 100)
    assert declared_too_large("101", 100) and declared_too_large("-1", 100)
    assert declared_too_large("12, 12", 100)


async def test_oversized_webhook_body_with_content_length_is_413(frontdesk, call_settings):
    limit = call_settings.twilio.max_body_bytes
    body = b"CallSid=CA1&From=" + b"1" * limit
    async with httpx.AsyncClient() as client:
        for path in ("/twilio/voice", "/twilio/agent/h1/status",
                     "/twilio/conference/h1/status"):
            response = await client.post(
                f"{frontdesk.url}{path}", content=body,
                headers={"Content-Type": "application/x-www-form-urlencoded"})
            assert response.status_code == 413, (path, response.text)
            assert f"{limit} bytes" in response.json()["error"]


async def test_oversized_chunked_webhook_body_is_413(frontdesk, call_settings):
    limit = call_settings.twilio.max_body_bytes

    async def chunks() -> AsyncIterator[bytes]:
        yield b"CallSid=CA1&From="
        for _ in range(limit // 4096 + 2):
            yield b"1" * 4096

    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{frontdesk.url}/twilio/voice", content=chunks(),
            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in response.request.headers
    assert response.status_code == 413, response.text
    assert f"{limit} bytes" in response.json()["error"]


async def test_webhook_body_under_the_limit_is_still_checked_for_a_signature(frontdesk):
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{frontdesk.url}/twilio/voice",
                                     data={"CallSid": "CA1", "From": "1" * 1000})
    assert response.status_code == 403


async def test_messages_after_the_bad_message_limit_are_not_read(frontdesk, records,
                                                                call_settings):
    call_sid, stream_sid = _sid("CA"), _sid("MZ")
    stream_url, token = await _answer(frontdesk, call_sid)
    async with connect_stream(stream_url) as ws:
        await ws.send(CONNECTED)
        await ws.send(_start(call_sid, token, stream_sid))
        await asyncio.wait_for(ws.recv(), timeout=10)
        try:
            for _ in range(200):
                await ws.send("[]")
        except websockets.ConnectionClosed:
            pass  # the server may hang up before all of them are sent
        await _closed(ws)
    call = await _ended(records, call_sid)
    assert call["end_reason"] == "protocol_errors"
    bad = [e for e in call["events"] if e["kind"] == "bad_message"]
    assert len(bad) == call_settings.stream.max_bad_messages
