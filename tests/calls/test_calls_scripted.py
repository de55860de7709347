"""Whole calls over the real WebSocket with no model loaded: the dialog logic of the model-based
call tests (test_calls.py, test_call_support.py) in the fast lane.

The server is the real one (``create_app``), given the scripted voices and the hashing encoder
of ``tests/fakes``: the caller's voiced audio crosses the simulated Twilio stream, Silero VAD and
Smart Turn (both shipped inside pipecat) end its turns, each utterance is "recognised" as the
script's next line, the real dialog answers, and the agent's lines are tones as long as their
text, paced and marked as piper's audio is. What the models understand and say is tested with
them in the files above; here, what the call does with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ACCOUNT_SID, AUTH_TOKEN, FRONT_DESK_NUMBER
from fakes import FakeVoices, HashingEncoder, place_scripted_call
from fakes.tts import MIN_SECONDS
from servers import FakeTwilio, ThreadedServer
from test_stream_refusals import _decided, _ended

from config import DialogSettings, Settings
from telephony.cli.simulator import CallerStep, CallResult
from telephony.records.store import Records

pytestmark = pytest.mark.asyncio
ALEX = "+15551234567"  # seeded support customer: ZIP 94110, order 551234 shipped with UPS


@dataclass
class Line:
    """A frontdesk server on loopback with scripted voices, and its records."""

    server: ThreadedServer
    settings: Settings
    voices: FakeVoices
    records: Records

    async def call(self, steps: list[CallerStep], **kwargs: object) -> tuple[CallResult, dict]:
        """Place a call, check every scripted line was heard (no more), and return the call's
        result and its record once it has ended."""
        result = await place_scripted_call(self.server.url, steps, voices=self.voices,
                                           settings=self.settings, **kwargs)
        assert self.voices.script.remaining == 0 and self.voices.script.unscripted == 0
        return result, await _ended(self.records, result.call_sid)


def _seconds(line: Line, first_sentence: str) -> float:
    """How long the scripted voice speaks a reply's first sentence."""
    return max(MIN_SECONDS, len(first_sentence) * line.voices.seconds_per_character)


def _settings(folder: Path, fake_twilio: FakeTwilio, business: str) -> Settings:
    """As conftest's call settings, with no models in the models directory (the data
    directory's, empty): nothing reads one."""
    return Settings(
        data_dir=folder, database_url=f"sqlite:///{folder}/frontdesk.db",
        dialog=DialogSettings(business=business),
        twilio={"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN,
                "api_base_url": fake_twilio.url},  # type: ignore[attr-defined]
        transfer={"queues": {"front_desk": FRONT_DESK_NUMBER}},
        stt={"language": "en"},
        # Smart Turn's "not finished yet" waits this long for more: half the default.
        turn={"smart_turn_max_silence_seconds": 0.5},
        stream={"max_bad_messages": 5, "start_timeout_seconds": 3},
    )


def _line(folder: Path, fake_twilio: FakeTwilio, business: str,
          **update: object) -> Iterator[Line]:
    """A line on ``_settings``, with ``update`` (settings fields) applied."""
    from telephony.app import create_app

    settings = _settings(folder, fake_twilio, business).model_copy(update=update)
    voices = FakeVoices()
    app = create_app(settings, voices=voices, encoder=HashingEncoder())
    server = ThreadedServer(app, ws_max_size=settings.stream.max_message_bytes).start()
    runtime = app.state.runtime  # its models directory is empty: a model load would fail
    assert runtime.voices is voices and isinstance(runtime.dialog.encoder, HashingEncoder)
    records = Records(settings.database_url)
    yield Line(server, settings, voices, records)
    records.close()
    server.stop()


@pytest.fixture(scope="module")
def hotel(fake_twilio: FakeTwilio, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Line]:
    yield from _line(tmp_path_factory.mktemp("scripted-hotel"), fake_twilio, "hotel")


@pytest.fixture(scope="module")
def support(fake_twilio: FakeTwilio, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Line]:
    yield from _line(tmp_path_factory.mktemp("scripted-support"), fake_twilio, "support")


async def test_caller_hears_their_order_status_after_verification(support: Line) -> None:
    result, call = await support.call(
        [CallerStep(say="Where is my order?"),
         CallerStep(say="My zip code is 9 4 1 1 0."),
         CallerStep(say="The order number is five five one."),
         CallerStep(say="Two three four.")],
        from_number=ALEX)
    replies = [t for t in call["turns"] if t["intent"] != "greeting"]
    heard_by_agent = [r["caller_text"] for r in replies]
    # The ZIP code the agent heard is kept out of the records (dialog.privacy).
    assert heard_by_agent == ["Where is my order?", "My zip code is [redacted].",
                              "The order number is five five one.", "Two three four."]
    assert {r["intent"] for r in replies} == {"order_status"}
    assert "zip code" in replies[0]["reply_text"].lower()
    assert "verified" in replies[1]["reply_text"].lower()
    assert replies[2]["reply_text"] == "Mm-hm, go on."
    assert "shipped with UPS" in replies[-1]["reply_text"]
    assert [t["name"] for r in replies for t in r["tools"]] == [
        "lookup_customer", "verify_customer", "get_order_status"]
    # The voice spoke the answer in English, it was played and heard in full (its marks came
    # back), and the caller hung up.
    assert any("shipped with UPS" in text and language == "en"
               for text, language in support.voices.spoken.lines())
    assert replies[-1]["heard_text"] == replies[-1]["reply_text"]
    assert replies[-1]["interrupted"] == 0
    assert call["end_reason"] == "caller_hung_up" and result.violations == ()
    call = await _decided(support.records, result.call_sid)
    assert (call["outcome"], call["outcome_reason"]) == ("resolved", "answered")


async def test_keypad_digits_reach_the_dialog(hotel: Line) -> None:
    """The hotel's rules menu: 4 is breakfast; an option the menu lacks is asked about."""
    _, call = await hotel.call([CallerStep(dtmf="4"), CallerStep(dtmf="472#")])
    keyed = [t for t in call["turns"] if t["caller_dtmf"]]
    assert [t["caller_dtmf"] for t in keyed] == ["4", "472"]
    assert "breakfast" in keyed[0]["reply_text"].lower()
    assert keyed[0]["route"]["reasons"][:3] == ["default", "menu:main", "keypad:4"]
    assert keyed[0]["route"]["version"] >= 1
    assert "help" in keyed[1]["reply_text"].lower()
    assert "keypad:no_match" in keyed[1]["route"]["reasons"]


async def test_a_request_for_a_person_yields_a_transfer_that_telephony_carries_out(
        hotel: Line, fake_twilio: FakeTwilio) -> None:
    result, call = await hotel.call([CallerStep(say="I would like to speak to a real person.")])
    transfers = [e for e in call["events"] if e["kind"] == "transfer"]
    assert transfers and transfers[0]["detail"]["queue"] == "front_desk"
    assert transfers[0]["detail"]["reason"] == "caller_asked_for_person"
    assert call["end_reason"] == "transferred:front_desk"
    call = await _decided(hotel.records, result.call_sid)
    assert (call["outcome"], call["outcome_reason"]) == ("transferred", "cold:front_desk")
    # Redirected (not hung up), to TwiML dialling the front desk, once the line announcing
    # it had been heard in full.
    [update] = fake_twilio.for_call(result.call_sid)
    assert FRONT_DESK_NUMBER in update["form"]["Twiml"] and "Status" not in update["form"]
    announced = call["turns"][-1]
    assert "connect you" in announced["reply_text"].lower()
    assert announced["heard_text"] == announced["reply_text"]


async def test_talking_over_the_agent_clears_its_audio_and_cuts_the_history(
        hotel: Line) -> None:
    # The caller talks over the greeting once its first sentence has been heard. The greeting
    # says only its first part (three short sentences) at once: spoken at a person's pace here
    # (0.05 s a character), not the scripted voice's quick default, it outlasts the barge-in.
    first = "Thank you for calling the Harbor View Hotel."
    pace, hotel.voices.seconds_per_character = hotel.voices.seconds_per_character, 0.05
    try:
        barge_at = _seconds(hotel, first) + 0.3
        result, call = await hotel.call(
            [CallerStep(say="What time is check out?", barge_in_after_seconds=barge_at)])
    finally:
        hotel.voices.seconds_per_character = pace
    assert result.clears >= 1
    barge = result.caller_turns[0]
    assert barge.barge_in and barge.barge_in_reaction_ms is not None
    greeting, answer = call["turns"][0], call["turns"][1]
    assert greeting["intent"] == "greeting" and greeting["interrupted"] == 1
    heard = greeting["heard_text"] or ""
    assert heard.startswith(first)
    assert len(heard) < len(greeting["reply_text"]) and greeting["reply_text"].startswith(heard)
    assert "11" in answer["reply_text"]  # the question was still answered
    assert answer["interrupted"] == 0 and answer["heard_text"] == answer["reply_text"]


async def test_a_reply_talked_over_keeps_its_own_heard_text_and_the_next_one_its_own(
        hotel: Line) -> None:
    # The caller cuts into the parking answer (several sentences) on the keypad once its
    # first sentence has been heard: the interruption and what was heard belong to the
    # parking turn, and the breakfast turn after it keeps its own.
    result, call = await hotel.call([
        CallerStep(say="Do you have parking?"),
        CallerStep(dtmf="4#", barge_in_after_seconds=MIN_SECONDS + 0.3)])
    assert result.clears >= 1
    greeting, parking, breakfast = call["turns"]
    assert greeting["interrupted"] == 0 and greeting["heard_text"] == greeting["reply_text"]
    assert "parking" in parking["reply_text"].lower() and parking["interrupted"] == 1
    heard = parking["heard_text"] or ""
    assert heard and len(heard) < len(parking["reply_text"])
    assert parking["reply_text"].startswith(heard)
    assert breakfast["caller_dtmf"] == "4" and "breakfast" in breakfast["reply_text"].lower()
    assert breakfast["interrupted"] == 0 and breakfast["heard_text"] == breakfast["reply_text"]
