"""The one Twilio REST client against the Twilio-compatible fake on loopback: the form fields
and basic auth of dialling, redirecting, hanging up and texting, on the injected httpx client
(no model is loaded)."""

from __future__ import annotations

import base64
import time

import httpx
import pytest
from conftest import ACCOUNT_SID, AUTH_TOKEN
from servers import FakeTwilio

from config import Settings
from dialog.business.sms import SmsFailed, SmsSender, SmsSent
from telephony.retry import retry_after_seconds
from telephony.twilio.rest import TwilioRest

pytestmark = pytest.mark.asyncio


def _settings(fake: FakeTwilio, **twilio: str) -> Settings:
    return Settings(twilio={"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN,
                            "api_base_url": fake.url + "/", **twilio})  # type: ignore[attr-defined]


class _Seen:
    """What the injected client sent."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> None:
        self.requests.append(request)


async def test_calls_go_out_as_forms_with_basic_auth(fake_twilio: FakeTwilio) -> None:
    seen = _Seen()
    async with httpx.AsyncClient(event_hooks={"request": [seen]}) as client:
        twilio = TwilioRest(_settings(fake_twilio), client=client)
        sid = await twilio.create_call(to="+15550003333", from_="+15550001111",
                                       url="https://frontdesk.example/answer",
                                       status_callback="https://frontdesk.example/status",
                                       timeout_seconds=20)
        assert sid is not None and sid.startswith("CA")
        assert await twilio.redirect(sid, "<Response><Hangup/></Response>")
        assert await twilio.hang_up(sid)
        await twilio.aclose()  # an injected client is its maker's to close
        assert not client.is_closed
    [created] = [c for c in fake_twilio.created if c["sid"] == sid]
    assert created["form"] == {
        "To": "+15550003333", "From": "+15550001111", "Url": "https://frontdesk.example/answer",
        "Method": "POST", "StatusCallback": "https://frontdesk.example/status",
        "StatusCallbackMethod": "POST",
        "StatusCallbackEvent": "initiated ringing answered completed", "Timeout": "20"}
    assert [r["form"] for r in fake_twilio.for_call(sid)] == [
        {"Twiml": "<Response><Hangup/></Response>"}, {"Status": "completed"}]
    basic = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    assert len(seen.requests) == 3
    for request in seen.requests:
        assert request.headers["authorization"] == basic
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        assert request.url.path.startswith(f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls")


async def test_a_wrong_token_or_no_credentials_fail_softly(fake_twilio: FakeTwilio) -> None:
    async with httpx.AsyncClient() as client:
        wrong = TwilioRest(_settings(fake_twilio, auth_token="not-the-token"), client=client)
        assert await wrong.redirect("CA" + "1" * 32, "<Response/>") is False
        none = TwilioRest(Settings(), client=client)
        assert not none.configured and await none.hang_up("CA" + "1" * 32) is False
        assert await none.send_sms("+15551230000", "x", sender="+15550009999") == \
            SmsFailed("not_configured")


async def test_a_text_goes_out_on_the_same_client(fake_twilio: FakeTwilio) -> None:
    seen = _Seen()
    async with httpx.AsyncClient(event_hooks={"request": [seen]}) as client:
        twilio: SmsSender = TwilioRest(_settings(fake_twilio, sms_from="+15550002222",
                                                 sms_timeout_seconds="1.5"), client=client)
        sent = await twilio.send_sms("+15551234567", "Room 301", sender="+15559990000")
        assert twilio.sms_longest_seconds == 5.0  # two tries of 1.5 s and a 2 s wait at most
    assert isinstance(sent, SmsSent) and sent.sid.startswith("SM")
    [message] = [m for m in fake_twilio.messages if m["sid"] == sent.sid]
    # the configured sender wins over the number the caller called
    assert message["form"] == {"To": "+15551234567", "Body": "Room 301", "From": "+15550002222"}
    [request] = seen.requests
    assert request.url.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request.extensions["timeout"]["read"] == 1.5  # the texts' own timeout


# -- retries (telephony.retry) ---------------------------------------------------------------

async def _redirect(fake: FakeTwilio, *faults: tuple[int, dict[str, str]]) -> tuple[bool, int]:
    """Redirect a call while the fake answers ``faults`` first: the result and the tries."""
    fake.call_faults, fake.call_attempts = list(faults), 0
    async with httpx.AsyncClient() as client:
        ok = await TwilioRest(_settings(fake), client=client).redirect("CA" + "2" * 32,
                                                                       "<Response/>")
    return ok, fake.call_attempts


async def test_a_busy_twilio_is_tried_again_and_a_call_change_goes_through(
        fake_twilio: FakeTwilio) -> None:
    assert await _redirect(fake_twilio, (503, {}), (502, {})) == (True, 3)
    assert await _redirect(fake_twilio, (503, {}), (503, {}), (503, {})) == (False, 3)
    assert await _redirect(fake_twilio, (400, {})) == (False, 1)  # a refusal is final


async def test_retry_after_is_honoured_and_a_long_one_ends_the_tries(
        fake_twilio: FakeTwilio) -> None:
    started = time.monotonic()
    assert await _redirect(fake_twilio, (429, {"Retry-After": "1"})) == (True, 2)
    assert time.monotonic() - started >= 1.0  # waited what Twilio asked
    assert await _redirect(fake_twilio, (429, {"Retry-After": "60"})) == (False, 1)


async def test_a_new_call_is_tried_again_only_when_twilio_surely_did_not_place_it(
        fake_twilio: FakeTwilio) -> None:
    async def dial(*faults: tuple[int, dict[str, str]]) -> tuple[bool, int]:
        fake_twilio.call_faults, fake_twilio.call_attempts = list(faults), 0
        async with httpx.AsyncClient() as client:
            sid = await TwilioRest(_settings(fake_twilio), client=client).create_call(
                to="+15550003333", from_="+15550001111", url="https://x.example/a",
                status_callback="https://x.example/s", timeout_seconds=20)
        return sid is not None, fake_twilio.call_attempts

    assert await dial((429, {})) == (True, 2)  # rate limited: not placed, so placed again
    assert await dial((500, {})) == (False, 1)  # may have been placed: never twice


async def test_a_text_is_tried_again_on_503(fake_twilio: FakeTwilio) -> None:
    fake_twilio.fail_messages = 1
    async with httpx.AsyncClient() as client:
        twilio = TwilioRest(_settings(fake_twilio, sms_from="+15550002222"), client=client)
        sent = await twilio.send_sms("+15551234567", "Room 301")
    assert isinstance(sent, SmsSent)


async def test_retry_after_reads_seconds_and_dates() -> None:
    def after(value: str) -> float | None:
        return retry_after_seconds(httpx.Response(429, headers={"Retry-After": value}),
                                   now=1_000_000_000.0)

    assert after("120") == 120.0
    assert after("Sun, 09 Sep 2001 01:47:10 GMT") == 30.0  # 30 s after `now`
    assert after("soon") is None
    assert retry_after_seconds(httpx.Response(503)) is None
