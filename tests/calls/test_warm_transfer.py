"""Warm transfer over a real WebSocket, with a Twilio-compatible REST fake on loopback.

The test plays Twilio's part for the agent leg: it fetches the answer URL and posts the keypad
digits and status callbacks, each signed with the account's auth token, as Twilio does.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import httpx
import pytest
from conftest import AUTH_TOKEN
from servers import FakeTwilio, ThreadedServer, until
from twilio.request_validator import RequestValidator

from config import QueueSettings, Settings
from telephony.cli.simulator import CallerStep, place_call, resume_call
from telephony.records.store import Records
from telephony.transfer.handoffs import HandoffStore
from telephony.transfer.warm import conference_name
from telephony.twilio.security import http_base, stream_base

pytestmark = pytest.mark.asyncio
AGENT_1, AGENT_2, AGENT_3 = "+15550002222", "+15550003333", "sip:desk@frontdesk.example.com"
ALEX = "+15551234567"


PUBLIC_URL = "https://frontdesk.example.com"


# Every warm transfer runs as in development (the URLs from the request) and as in production,
# behind a proxy whose public URL is set: the proxy's name is in every URL Twilio is given.
@pytest.fixture(scope="module", params=["", PUBLIC_URL], ids=["request_url", "public_url"])
def warm_settings(request, call_settings: Settings,
                  tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data = tmp_path_factory.mktemp("warm")
    return call_settings.model_copy(update={
        "data_dir": data, "database_url": f"sqlite:///{data}/frontdesk.db",
        "queues": {"front_desk": QueueSettings(agents=[AGENT_1, AGENT_2, AGENT_3])},
        "public_url": request.param,
    })


def _server(settings: Settings, port: int | None = None) -> ThreadedServer:
    from telephony.app import create_app

    return ThreadedServer(create_app(settings), port=port,
                          ws_max_size=settings.stream.max_message_bytes).start()


@pytest.fixture(scope="module")
def warm_line(warm_settings: Settings) -> Iterator[ThreadedServer]:
    server = _server(warm_settings)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def store(warm_settings: Settings) -> Iterator[HandoffStore]:
    handoffs = HandoffStore(warm_settings.database_url)
    yield handoffs
    handoffs.close()


URL = re.compile(r"[a-z]+://[^\s\"'<>]+")


class Twilio:
    """Twilio's side of the agent leg and the conference, for the server at ``line_url``:
    every URL it was given must be an http(s) one under the server's public base (the public
    URL, or the request's own), every stream URL a ws(s) one."""

    def __init__(self, line_url: str, settings: Settings) -> None:
        self.line_url = line_url
        self.base = settings.public_url or line_url
        self.http, self.stream = http_base(self.base), stream_base(self.base)
        assert self.http.startswith(("http://", "https://"))

    def check(self, text: str) -> None:
        """Every URL in ``text`` (a form or TwiML sent to Twilio) is ours and well formed."""
        for url in URL.findall(text.replace("&amp;", "&")):
            if url.startswith(("ws://", "wss://")):
                assert url == f"{self.stream}/twilio/stream", url
            else:
                assert url.startswith(f"{self.http}/twilio/"), url

    def check_sent(self, fake: FakeTwilio, call_sid: str, legs: list[dict]) -> None:
        for sent in [r["form"] for r in fake.for_call(call_sid)] + [leg["form"] for leg in legs]:
            self.check(" ".join(sent.values()))

    def post(self, url: str, params: dict[str, str], *,
             token: str = AUTH_TOKEN) -> httpx.Response:
        """A request signed the way Twilio signs its webhooks and callbacks (over the URL it
        was given), reaching the server through the proxy (at its own address)."""
        self.check(url)
        assert url.startswith(self.http + "/")
        signature = RequestValidator(token).compute_signature(url, params)
        response = httpx.post(self.line_url + url[len(self.http):], data=params,
                              headers={"X-Twilio-Signature": signature}, timeout=30)
        self.check(response.text)
        return response


@pytest.fixture
def twilio(warm_line: ThreadedServer, warm_settings: Settings) -> Twilio:
    return Twilio(warm_line.url, warm_settings)


async def _ask_for_a_person(line: ThreadedServer, settings: Settings, fake: FakeTwilio,
                            store: HandoffStore, voice_models, speech_models
                            ) -> tuple[dict, list[dict]]:
    created_before = len(fake.created)
    result = await place_call(
        line.url, [CallerStep(say="I would like to speak to a real person.")],
        settings=settings, voice=voice_models.voices["en"], whisper=speech_models.english,
        from_number=ALEX)
    [handoff] = await until(lambda: store.for_call(result.call_sid))
    handoff = await until(lambda: (h := store.get(handoff["id"])) and h["status"] == "dialing"
                           and h)
    assert "connect you" in result.agent_turns[-1].text.lower()  # the caller heard why
    holds = [r for r in fake.for_call(result.call_sid) if "Conference" in r["form"]["Twiml"]]
    assert len(holds) == 1 and conference_name(handoff["id"]) in holds[0]["form"]["Twiml"]
    Twilio(line.url, settings).check_sent(fake, result.call_sid, fake.created[created_before:])
    return handoff, fake.created[created_before:]


async def test_the_agent_is_briefed_then_joins_the_callers_conference(
        warm_line, warm_settings, fake_twilio, store, twilio, voice_models, speech_models):
    handoff, [agent] = await _ask_for_a_person(warm_line, warm_settings, fake_twilio, store,
                                               voice_models, speech_models)
    # The briefing was stored before anything was dialled.
    kinds = [e["kind"] for e in store.events(handoff["id"])]
    assert kinds.index("created") < kinds.index("dialing")
    briefing = handoff["briefing"]
    assert briefing["reason"] == "caller_asked_for_person" and briefing["caller_number"] == ALEX
    assert any("person" in t["text"].lower() for t in briefing["transcript"])
    assert agent["form"]["To"] == AGENT_1
    answer = twilio.post(agent["form"]["Url"], {"CallSid": agent["sid"],
                                                  "CallStatus": "in-progress"})
    assert answer.status_code == 200 and "<Gather" in answer.text and "Press 1" in answer.text
    # Twilio retries the answer request: the same TwiML, and the handoff goes on.
    again = twilio.post(agent["form"]["Url"], {"CallSid": agent["sid"],
                                               "CallStatus": "in-progress"})
    assert again.status_code == 200 and again.text == answer.text
    assert store.get(handoff["id"])["status"] == "briefing"
    gather_url = re.search(r'action="([^"]+)"', answer.text)[1].replace("&amp;", "&")
    joined = twilio.post(gather_url, {"CallSid": agent["sid"], "Digits": "1"})
    conference = conference_name(handoff["id"])
    assert f">{conference}</Conference>" in joined.text
    assert store.get(handoff["id"])["status"] == "connected"
    # The conference ends: a completed callback closes the handoff; a retry of it is ignored.
    done = {"CallSid": agent["sid"], "CallStatus": "completed", "SequenceNumber": "3"}
    assert twilio.post(agent["form"]["StatusCallback"], done).status_code == 204
    assert twilio.post(agent["form"]["StatusCallback"], done).status_code == 204
    assert store.get(handoff["id"])["status"] == "completed"
    assert [e["kind"] for e in store.events(handoff["id"])].count("completed") == 1
    # The call's outcome: a person took it.
    assert await _outcome(warm_settings, handoff["call_sid"]) == (
        "transferred", f"warm:{handoff['queue']}")


async def _outcome(settings: Settings, call_sid: str) -> tuple[str, str]:
    """The call's stored outcome and its reason, once decided."""
    records = Records(settings.database_url)
    try:
        call = await until(lambda: (c := records.call(call_sid))["outcome"] and c)
    finally:
        records.close()
    return call["outcome"], call["outcome_reason"]


async def _next_leg(fake: FakeTwilio, seen: int) -> dict:
    return (await until(lambda: fake.created[seen:]))[0]


async def _brought_back(fake: FakeTwilio, twilio: Twilio, handoff_id: str, call_sid: str,
                        seen: int) -> str:
    """The TwiML of the ``seen``-th (0-based) redirect bringing the caller back to the AI."""
    def back() -> list[str]:
        return [r["form"]["Twiml"] for r in fake.for_call(call_sid)
                if "frontdesk_resume" in r["form"]["Twiml"]][seen:]

    [document] = await until(back)
    assert handoff_id in document and "<Stream" in document
    twilio.check(document)
    return document


async def _choose(document: str, step: CallerStep, *, call_sid: str, settings: Settings,
                  twilio: Twilio, voice_models, speech_models):
    """The caller, back with the AI, hears the choice and answers it."""
    return await resume_call(document, [step], call_sid=call_sid, settings=settings,
                             voice=voice_models.voices["en"], whisper=speech_models.english,
                             base_url=twilio.line_url)


async def test_no_answer_busy_and_decline_bring_the_caller_back_to_choose(
        warm_line, warm_settings, fake_twilio, store, twilio, voice_models, speech_models):
    handoff, [first] = await _ask_for_a_person(warm_line, warm_settings, fake_twilio, store,
                                               voice_models, speech_models)
    hid, call_sid = handoff["id"], handoff["call_sid"]
    callback = first["form"]["StatusCallback"]
    # Forged and replayed callbacks change nothing.
    no_answer = {"CallSid": first["sid"], "CallStatus": "no-answer", "SequenceNumber": "2"}
    assert twilio.post(callback, no_answer, token="not-the-token").status_code == 403
    assert store.get(hid)["status"] == "dialing"
    created = len(fake_twilio.created)
    for _ in range(2):  # Twilio retries: the second is a no-op
        assert twilio.post(callback, no_answer).status_code == 204
    # No answer: the caller comes back to the AI, is offered the choice, and asks for the next
    # agent; the same handoff goes back on hold and the second agent is dialled.
    back = await _brought_back(fake_twilio, twilio, hid, call_sid, 0)
    assert store.get(hid)["status"] == "returned" and len(fake_twilio.created) == created
    choice = await _choose(back, CallerStep(say="Please try another colleague."),
                           call_sid=call_sid, settings=warm_settings, twilio=twilio,
                           voice_models=voice_models, speech_models=speech_models)
    assert "call you back" in choice.agent_turns[0].text.lower()
    assert "another colleague" in choice.agent_turns[-1].text.lower()
    second = await _next_leg(fake_twilio, created)
    assert second["form"]["To"] == AGENT_2 and store.get(hid)["status"] == "dialing"
    holds = [r for r in fake_twilio.for_call(call_sid) if "Conference" in r["form"]["Twiml"]]
    assert len(holds) == 2  # back in the same conference
    # Busy: back again; this time the caller asks for a person in other words.
    busy = {"CallSid": second["sid"], "CallStatus": "busy", "SequenceNumber": "2"}
    assert twilio.post(second["form"]["StatusCallback"], busy).status_code == 204
    back = await _brought_back(fake_twilio, twilio, hid, call_sid, 1)
    await _choose(back, CallerStep(dtmf="2"), call_sid=call_sid, settings=warm_settings,
                  twilio=twilio, voice_models=voice_models, speech_models=speech_models)
    third = await _next_leg(fake_twilio, created + 1)
    assert third["form"]["To"] == AGENT_3
    # The third agent hears the briefing, which now includes the caller's choices, and
    # declines.
    assert any("another colleague" in t["text"].lower()
               for t in store.get(hid)["briefing"]["transcript"])
    answer = twilio.post(third["form"]["Url"], {"CallSid": third["sid"],
                                                 "CallStatus": "in-progress"})
    gather_url = re.search(r'action="([^"]+)"', answer.text)[1]
    declined = twilio.post(gather_url, {"CallSid": third["sid"], "Digits": "2"})
    assert "Declined" in declined.text and "Conference" not in declined.text
    # Back once more: the caller takes the callback, on the keypad.
    back = await _brought_back(fake_twilio, twilio, hid, call_sid, 2)
    booked = await _choose(back, CallerStep(dtmf="1"), call_sid=call_sid,
                           settings=warm_settings, twilio=twilio, voice_models=voice_models,
                           speech_models=speech_models)
    # "Done. A colleague will call you back ... Is there anything else ...": the offers before it
    # ask "would you like" / "I can have someone call you back" and never "anything else". Not the
    # first word: tiny.en drops a short "Done." at the start of a long reply now and then.
    confirmed = booked.agent_turns[-1].text.lower()
    assert "call you back" in confirmed and "anything else" in confirmed, confirmed
    done = await until(lambda: (h := store.get(hid))["status"] == "callback" and h)
    assert done["callback_number"] == ALEX
    kinds = [e["kind"] for e in store.events(hid)]
    assert [k for k in kinds if k in ("no_answer", "busy", "declined", "returned", "offered",
                                      "callback")] == [
        "no_answer", "returned", "offered", "busy", "returned", "offered", "declined",
        "returned", "offered", "callback"]
    # One call record: its turns numbered on across the three streams, the choices in it.
    records = Records(warm_settings.database_url)
    turns = (await asyncio.to_thread(records.call, call_sid))["turns"]
    records.close()
    assert [t["turn_index"] for t in turns] == list(range(len(turns)))
    assert [t["intent"] for t in turns].count("transfer_choice") >= 6
    # A late callback for the first agent's leg does not move it again.
    late = {"CallSid": first["sid"], "CallStatus": "completed", "SequenceNumber": "4"}
    assert twilio.post(callback, late).status_code == 204
    assert store.get(hid)["status"] == "callback"
    assert await _outcome(warm_settings, call_sid) == ("callback", f"callback:{done['queue']}")


async def test_a_restart_between_dialling_and_the_agents_answer_loses_nothing(
        warm_settings, fake_twilio, store, voice_models, speech_models, tmp_path):
    settings = warm_settings.model_copy(update={
        "database_url": f"sqlite:///{tmp_path}/restart.db"})
    handoffs = HandoffStore(settings.database_url)
    first = _server(settings)
    try:
        handoff, [agent] = await _ask_for_a_person(first, settings, fake_twilio, handoffs,
                                                   voice_models, speech_models)
    finally:
        first.stop()
    second = _server(settings, port=first.port)  # the same address after a restart
    twilio = Twilio(second.url, settings)
    try:
        answer = twilio.post(agent["form"]["Url"], {"CallSid": agent["sid"],
                                                      "CallStatus": "in-progress"})
        assert "<Gather" in answer.text
        gather_url = re.search(r'action="([^"]+)"', answer.text)[1]
        joined = twilio.post(gather_url, {"CallSid": agent["sid"], "Digits": "1"})
        assert conference_name(handoff["id"]) in joined.text
        assert handoffs.get(handoff["id"])["status"] == "connected"
    finally:
        second.stop()
        handoffs.close()


async def test_a_caller_hanging_up_on_hold_stops_the_agents_phone_ringing(
        warm_line, warm_settings, fake_twilio, store, twilio, voice_models, speech_models):
    handoff, [agent] = await _ask_for_a_person(warm_line, warm_settings, fake_twilio, store,
                                               voice_models, speech_models)
    [hold] = [r for r in fake_twilio.for_call(handoff["call_sid"])
              if "Conference" in r["form"]["Twiml"]]
    status_url = re.search(r'statusCallback="([^"]+)"', hold["form"]["Twiml"])[1]
    left = {"CallSid": handoff["call_sid"], "StatusCallbackEvent": "participant-leave",
            "ConferenceSid": "CF1", "SequenceNumber": "2"}
    assert twilio.post(status_url, left, token="not-the-token").status_code == 403
    for _ in range(2):  # a retry changes nothing
        assert twilio.post(status_url, left).status_code == 204
    assert store.get(handoff["id"])["status"] == "abandoned"
    assert await _outcome(warm_settings, handoff["call_sid"]) == ("abandoned", "hold")
    stopped = fake_twilio.for_call(agent["sid"])
    assert [r["form"] for r in stopped] == [{"Status": "canceled"}]
    # The agent answering afterwards is told, and nothing is joined.
    answer = twilio.post(agent["form"]["Url"], {"CallSid": agent["sid"],
                                                  "CallStatus": "in-progress"})
    assert "Conference" not in answer.text and "<Hangup" in answer.text
