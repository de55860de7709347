"""Whole calls over a real WebSocket on loopback, with the real models.

A synthesized caller (piper, telephone-banded 8 kHz mu-law) talks to frontdesk
through the simulated Twilio of `telephony.cli.simulator`; the agent's audio is
transcribed back with Whisper, and the call records are read from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import secrets
import time

import pytest
import websockets
from conftest import FRONT_DESK_NUMBER, connect_stream
from test_stream_refusals import CONNECTED, _answer, _ended, _media, _start

from dialog.loader import bundled_knowledge
from telephony.cli.simulator import CallerStep, place_call

pytestmark = pytest.mark.asyncio


@pytest.fixture(scope="module")
def caller(voice_models, speech_models):
    return {"voice": voice_models.voices["en"], "whisper": speech_models.english}


async def _call(frontdesk, call_settings, caller, steps, **kwargs):
    return await place_call(frontdesk.url, steps, settings=call_settings, voice=caller["voice"],
                            whisper=caller["whisper"], **kwargs)


def _breakfast_hours() -> str:
    text = bundled_knowledge("hotel").read_text()
    return re.search(r"Breakfast is served from ([^.]*?) in the morning on weekdays", text)[1]


async def test_breakfast_question_is_answered_with_the_hours_from_the_file(
        frontdesk, call_settings, caller, records):
    result = await _call(frontdesk, call_settings, caller,
                         [CallerStep(say="What time is breakfast served?")])
    assert result.violations == ()
    assert result.greeting_first_audio_ms is not None
    hours = _breakfast_hours()  # e.g. "6:30 to 10:30"
    call = await _ended(records, result.call_sid)
    replies = [t for t in call["turns"] if t["intent"] != "greeting"]
    assert hours in replies[0]["reply_text"]
    assert "breakfast" in replies[0]["caller_text"].lower()
    spoken = result.agent_turns[-1].text.lower()
    assert "breakfast" in spoken and all(n in spoken for n in re.findall(r"\d+", hours))
    latency = replies[0]["latency"]
    assert {"stt", "dialog", "tts_first_audio", "voice_to_voice"} <= set(latency)
    assert result.caller_turns[0].voice_to_voice_ms is not None


async def test_a_request_for_a_person_yields_a_transfer_that_telephony_carries_out(
        frontdesk, call_settings, caller, records, fake_twilio):
    result = await _call(frontdesk, call_settings, caller,
                         [CallerStep(say="I would like to speak to a real person.")])
    call = await _ended(records, result.call_sid)
    transfers = [e for e in call["events"] if e["kind"] == "transfer"]
    assert transfers and transfers[0]["detail"]["queue"] == "front_desk"
    assert transfers[0]["detail"]["reason"] == "caller_asked_for_person"
    assert call["end_reason"] == "transferred:front_desk"
    # The call was redirected (not hung up): Twilio got TwiML dialling the front desk,
    # after the handoff line had been heard.
    [update] = fake_twilio.for_call(result.call_sid)
    assert FRONT_DESK_NUMBER in update["form"]["Twiml"] and "Status" not in update["form"]
    assert "connect you" in result.agent_turns[-1].text.lower()


# The keypad menu's call needs no model: tests/calls/test_calls_scripted.py makes it.


async def test_talking_over_the_agent_clears_its_audio_and_cuts_the_history(
        frontdesk, call_settings, caller, records):
    # The greeting is three sentences (4.8 s); the caller talks over it after 2.5 s, when
    # the first (2.2 s) has been heard and the rest has not.
    result = await _call(frontdesk, call_settings, caller, [
        CallerStep(say="What time is check out?", barge_in_after_seconds=2.5)])
    assert result.clears >= 1
    barge = result.caller_turns[0]
    assert barge.barge_in and barge.barge_in_reaction_ms is not None
    call = await _ended(records, result.call_sid)
    greeting, answer = call["turns"][0], call["turns"][1]
    assert greeting["intent"] == "greeting" and greeting["interrupted"] == 1
    heard = greeting["heard_text"] or ""
    assert heard.startswith("Thank you for calling the Harbor View Hotel.")
    assert len(heard) < len(greeting["reply_text"]) and greeting["reply_text"].startswith(heard)
    assert "11" in answer["reply_text"]  # the question was still answered
    assert answer["interrupted"] == 0 and answer["heard_text"] == answer["reply_text"]


async def test_a_caller_who_never_speaks_is_prompted_then_hung_up(
        frontdesk, call_settings, records, fake_twilio):
    call_sid, stream_sid = "CA" + secrets.token_hex(16), "MZ" + secrets.token_hex(16)
    stream_url, token = await _answer(frontdesk, call_sid)
    agent_bytes = 0
    async with connect_stream(stream_url) as ws:
        await ws.send(CONNECTED)
        await ws.send(_start(call_sid, token, stream_sid))
        started = time.monotonic()
        with pytest.raises(websockets.ConnectionClosed):
            while time.monotonic() - started < 60:
                await ws.send(_media(stream_sid, b"\xff" * 160))  # line silence
                try:
                    message = json.loads(await asyncio.wait_for(ws.recv(), timeout=0.02))
                except TimeoutError:
                    continue
                if message["event"] == "media":
                    agent_bytes += 1
                elif message["event"] == "mark":
                    await ws.send(json.dumps({"event": "mark", "streamSid": stream_sid,
                                              "mark": message["mark"]}))
    call = await _ended(records, call_sid)
    assert call["end_reason"] == "caller_silent"
    assert any(r["form"].get("Status") == "completed" for r in fake_twilio.for_call(call_sid))
    assert agent_bytes > 0


async def test_a_broken_call_does_not_disturb_a_healthy_one(
        frontdesk, call_settings, caller, records):
    async def broken() -> None:
        call_sid, stream_sid = "CA" + secrets.token_hex(16), "MZ" + secrets.token_hex(16)
        stream_url, token = await _answer(frontdesk, call_sid)
        async with connect_stream(stream_url) as ws:
            await ws.send(_start(call_sid, token, stream_sid))

            async def listen() -> None:  # read the greeting, until the server hangs up
                with contextlib.suppress(websockets.ConnectionClosed):
                    async for _ in ws:
                        pass

            listening = asyncio.create_task(listen())
            for _ in range(20):
                if listening.done():
                    break
                await ws.send("[]")
                await ws.send(_media(stream_sid, "!!notbase64!!"))
                await asyncio.sleep(0.3)
            await asyncio.wait_for(listening, timeout=10)  # closed after max_bad_messages
        call = await _ended(records, call_sid)
        assert call["end_reason"] == "protocol_errors"

    healthy, _ = await asyncio.gather(
        _call(frontdesk, call_settings, caller, [CallerStep(say="Do you have parking?")]),
        broken(), return_exceptions=False)
    call = await _ended(records, healthy.call_sid)
    assert "parking" in call["turns"][1]["reply_text"].lower()
    assert "parking" in healthy.agent_turns[-1].text.lower()


async def test_a_reply_talked_over_keeps_its_own_heard_text_and_the_next_one_its_own(
        frontdesk, call_settings, caller, records):
    # The caller cuts into the parking answer (several sentences) once its first sentence has
    # been heard, on the keypad (4: breakfast), whose answer comes at once: the interrupted
    # flag and what was heard belong to the parking turn, and the next turn keeps its own.
    result = await _call(frontdesk, call_settings, caller, [
        CallerStep(say="Do you have parking?"),
        CallerStep(dtmf="4#", barge_in_after_seconds=6.0)])
    assert result.clears >= 1
    call = await _ended(records, result.call_sid)
    greeting, parking, breakfast = call["turns"]
    assert greeting["interrupted"] == 0 and greeting["heard_text"] == greeting["reply_text"]
    assert "parking" in parking["reply_text"].lower() and parking["interrupted"] == 1
    heard = parking["heard_text"] or ""
    assert heard and len(heard) < len(parking["reply_text"])
    assert parking["reply_text"].startswith(heard)
    assert breakfast["caller_dtmf"] == "4" and "breakfast" in breakfast["reply_text"].lower()
    assert breakfast["interrupted"] == 0 and breakfast["heard_text"] == breakfast["reply_text"]


async def test_a_second_stream_of_the_same_call_numbers_its_turns_on(
        frontdesk, call_settings, caller, records):
    # Twilio retries the webhook (a fresh token) and streams the same CallSid again: one call
    # record, and the second stream's turns are recorded after the first one's.
    first = await _call(frontdesk, call_settings, caller,
                        [CallerStep(say="Do you have parking?")])
    before = await _ended(records, first.call_sid)
    second = await _call(frontdesk, call_settings, caller,
                         [CallerStep(say="What time is check out?")], call_sid=first.call_sid)
    assert "11" in second.agent_turns[-1].text
    call = await _ended(records, first.call_sid)
    turns = call["turns"]
    assert [t["turn_index"] for t in turns] == list(range(4))
    assert [t["intent"] for t in turns].count("greeting") == 2
    assert "parking" in turns[1]["caller_text"].lower()
    assert "check" in turns[3]["caller_text"].lower() and "11" in turns[3]["reply_text"]
    assert call["started_at"] == before["started_at"]
    assert call["from_number"] == before["from_number"]
