"""Bad input at the edge: each is refused or ended cleanly, logged, and recorded."""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import time
import xml.etree.ElementTree as ET

import httpx
import pytest
import websockets
from conftest import AUTH_TOKEN, connect_stream
from twilio.request_validator import RequestValidator

pytestmark = pytest.mark.asyncio


def _sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


async def _answer(frontdesk, call_sid: str) -> tuple[str, str]:
    url = f"{frontdesk.url}/twilio/voice"
    params = {"CallSid": call_sid, "AccountSid": _sid("AC"), "From": "+15551230000",
              "To": "+15559870000", "CallStatus": "ringing", "Direction": "inbound"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    async with httpx.AsyncClient() as client:
        response = await client.post(url, data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200, response.text
    stream = ET.fromstring(response.text).find("Connect/Stream")
    return stream.get("url"), stream.find("Parameter").get("value")


def _start(call_sid: str, token: str, stream_sid: str | None = None) -> str:
    stream_sid = stream_sid or _sid("MZ")
    return json.dumps({"event": "start", "sequenceNumber": "1", "streamSid": stream_sid,
                       "start": {"streamSid": stream_sid, "callSid": call_sid,
                                 "accountSid": _sid("AC"), "tracks": ["inbound"],
                                 "customParameters": {"frontdesk_token": token},
                                 "mediaFormat": {"encoding": "audio/x-mulaw",
                                                 "sampleRate": 8000, "channels": 1}}})


def _media(stream_sid: str, payload: bytes | str) -> str:
    if isinstance(payload, bytes):
        payload = base64.b64encode(payload).decode()
    return json.dumps({"event": "media", "streamSid": stream_sid,
                       "media": {"track": "inbound", "chunk": "1", "timestamp": "0",
                                 "payload": payload}})


CONNECTED = json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"})


async def _refused(url: str, *messages: str) -> int:
    """Send messages; return the close code the server answered with."""
    async with connect_stream(url) as ws:
        for message in messages:
            await ws.send(message)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), timeout=10)
    return closed.value.rcvd.code


async def _call_once(records, call_sid: str, field: str, within: float) -> dict:
    """The call's record once ``field`` is set (the writer stores it a moment later)."""
    deadline = time.monotonic() + within
    call = None
    while time.monotonic() < deadline:
        call = await asyncio.to_thread(records.call, call_sid)
        if call and call[field]:
            return call
        await asyncio.sleep(0.05)
    raise AssertionError(f"call {call_sid} has no {field}: {call}")


async def _ended(records, call_sid: str, within: float = 15.0) -> dict:
    return await _call_once(records, call_sid, "ended_at", within)


async def _decided(records, call_sid: str, within: float = 15.0) -> dict:
    """The call once its outcome is stored (just after it ends, by the call's record writer)."""
    return await _call_once(records, call_sid, "outcome", within)


async def test_webhook_without_or_with_forged_signature_is_403(frontdesk):
    url = f"{frontdesk.url}/twilio/voice"
    params = {"CallSid": _sid("CA"), "From": "+15551230000"}
    forged = RequestValidator("not-the-token").compute_signature(url, params)
    async with httpx.AsyncClient() as client:
        unsigned = await client.post(url, data=params)
        forged_response = await client.post(url, data=params,
                                            headers={"X-Twilio-Signature": forged})
        tampered = await client.post(
            url, data={**params, "From": "+19990000000"},
            headers={"X-Twilio-Signature": RequestValidator(AUTH_TOKEN).compute_signature(
                url, params)})
    assert [unsigned.status_code, forged_response.status_code, tampered.status_code] == [403] * 3
    assert "X-Twilio-Signature" in unsigned.json()["error"]


async def test_stream_token_checks(frontdesk):
    call_sid = _sid("CA")
    stream_url, token = await _answer(frontdesk, call_sid)
    body, _, sig = token.partition(".")
    assert await _refused(stream_url, CONNECTED, _start(call_sid, body + ".x" + sig)) == 1008
    assert await _refused(stream_url, CONNECTED, _start(_sid("CA"), token)) == 1008  # other call
    assert await _refused(stream_url, CONNECTED, _start(call_sid, "")) == 1008


async def test_replayed_token_is_refused(frontdesk, records):
    call_sid = _sid("CA")
    stream_url, token = await _answer(frontdesk, call_sid)
    async with connect_stream(stream_url) as ws:
        await ws.send(CONNECTED)
        await ws.send(_start(call_sid, token))
        first = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
        assert first["event"] in ("media", "mark")  # the greeting: this call is live
        assert await _refused(stream_url, CONNECTED, _start(call_sid, token)) == 1008
    await _ended(records, call_sid)


@pytest.mark.parametrize("first", [
    "{not json", "[]", '"hello"', _media("MZ1", b"\xff" * 160),
    json.dumps({"event": "dtmf", "streamSid": "MZ1", "dtmf": {"digit": "1"}}),
    json.dumps({"event": "mark", "streamSid": "MZ1", "mark": {"name": "s1"}}),
    json.dumps({"event": "stop", "streamSid": "MZ1", "stop": {"callSid": "CA1"}}),
])
async def test_garbage_or_events_before_start_are_refused(frontdesk, first):
    call_sid = _sid("CA")
    stream_url, token = await _answer(frontdesk, call_sid)
    assert await _refused(stream_url, CONNECTED, first, _start(call_sid, token)) == 1008


async def test_silent_socket_is_closed_after_start_timeout(frontdesk):
    stream_url, _ = await _answer(frontdesk, _sid("CA"))
    started = time.monotonic()
    assert await _refused(stream_url) == 1008
    assert time.monotonic() - started < 8


async def test_oversized_frame_closes_with_1009(frontdesk):
    stream_url, _ = await _answer(frontdesk, _sid("CA"))
    assert await _refused(stream_url, "x" * 100_000) == 1009


async def test_forged_or_missing_signature_on_upgrade_is_refused(frontdesk):
    stream_url, _ = await _answer(frontdesk, _sid("CA"))
    for headers in ({"X-Twilio-Signature": "forged"}, {}):
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(stream_url, additional_headers=headers):
                pass
        assert refused.value.response.status_code == 403
    # Signed with another account's token: refused too.
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with connect_stream(stream_url, auth_token="another-account-token"):
            pass
    assert refused.value.response.status_code == 403


async def test_malformed_messages_mid_call_are_counted_then_the_call_ends(frontdesk, records):
    call_sid, stream_sid = _sid("CA"), _sid("MZ")
    stream_url, token = await _answer(frontdesk, call_sid)
    async with connect_stream(stream_url) as ws:
        await ws.send(CONNECTED)
        await ws.send(_start(call_sid, token, stream_sid))
        await asyncio.wait_for(ws.recv(), timeout=10)
        for bad in ["[]", '"str"', _media(stream_sid, "%%%notbase64"),
                    json.dumps({"event": "media", "streamSid": stream_sid, "media": 5}),
                    _start(call_sid, token, stream_sid)]:
            await ws.send(bad)
            await ws.send(_media(stream_sid, b"\xff" * 160))
        with pytest.raises(websockets.ConnectionClosed):
            while True:
                await asyncio.wait_for(ws.recv(), timeout=10)
    call = await _ended(records, call_sid)
    assert call["end_reason"] == "protocol_errors"
    codes = [e["detail"]["code"] for e in call["events"] if e["kind"] == "bad_message"]
    assert codes == ["bad_shape", "bad_shape", "bad_base64", "bad_shape", "out_of_order"]


async def test_socket_dropped_mid_reply_ends_the_call_and_keeps_the_record(frontdesk, records):
    call_sid = _sid("CA")
    stream_url, token = await _answer(frontdesk, call_sid)
    ws = await connect_stream(stream_url)
    await ws.send(CONNECTED)
    await ws.send(_start(call_sid, token))
    await asyncio.wait_for(ws.recv(), timeout=10)  # the greeting is playing
    ws.transport.abort()  # no close handshake: the line just drops
    call = await _ended(records, call_sid)
    assert call["end_reason"] == "caller_hung_up" and call["from_number"] == "+15551230000"
    assert not any(e["kind"] == "bad_message" for e in call["events"])
    async with httpx.AsyncClient() as client:  # the call's slot is given back
        for _ in range(100):
            ready = await client.get(f"{frontdesk.url}/readyz")
            if ready.json()["active_calls"] == 0:
                break
            await asyncio.sleep(0.1)
    assert ready.status_code == 200 and ready.json()["active_calls"] == 0
