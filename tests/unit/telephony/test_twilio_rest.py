"""The one Twilio REST client against the Twilio-compatible fake on loopback: the form fields
and basic auth of dialling, redirecting, hanging up and texting, on the injected httpx client
(no model is loaded)."""

from __future__ import annotations

import base64

import httpx
import pytest
from conftest import ACCOUNT_SID, AUTH_TOKEN
from servers import FakeTwilio

from config import Settings
from dialog.business.sms import SmsFailed, SmsSender, SmsSent
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
        assert twilio.sms_longest_seconds == 3.0
    assert isinstance(sent, SmsSent) and sent.sid.startswith("SM")
    [message] = [m for m in fake_twilio.messages if m["sid"] == sent.sid]
    # the configured sender wins over the number the caller called
    assert message["form"] == {"To": "+15551234567", "Body": "Room 301", "From": "+15550002222"}
    [request] = seen.requests
    assert request.url.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request.extensions["timeout"]["read"] == 1.5  # the texts' own timeout
