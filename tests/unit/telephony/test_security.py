import pytest
from twilio.request_validator import RequestValidator

from telephony.twilio.security import (
    StreamTokens,
    TokenError,
    external_url,
    http_base,
    stream_base,
    swap_scheme,
    valid_twilio_signature,
)

TOKEN = "0123456789abcdef0123456789abcdef"


def test_signature_round_trip_and_forgery():
    url = "https://desk.example.com/twilio/voice"
    params = {"CallSid": "CA1", "From": "+15551230000"}
    signature = RequestValidator(TOKEN).compute_signature(url, params)
    assert valid_twilio_signature(url, params, signature, TOKEN)
    assert not valid_twilio_signature(url, {**params, "From": "+1999"}, signature, TOKEN)
    assert not valid_twilio_signature(url, params, signature, "another-token-entirely")
    assert not valid_twilio_signature(url, params, None, TOKEN)
    assert not valid_twilio_signature(url, params, signature, "")


def test_external_url_behind_a_proxy():
    headers = {"x-forwarded-proto": "https", "x-forwarded-host": "desk.example.com"}
    args = dict(request_url="http://10.0.0.5:8080/twilio/voice", path_and_query="/twilio/voice",
                headers=headers)
    assert external_url(**args, public_url="", trust_proxy_headers=False) == args["request_url"]
    assert (external_url(**args, public_url="", trust_proxy_headers=True)
            == "https://desk.example.com/twilio/voice")
    assert (external_url(**args, public_url="https://pub.example.org", trust_proxy_headers=True)
            == "https://pub.example.org/twilio/voice")
    assert swap_scheme("https://a/b") == "wss://a/b" and swap_scheme("ws://a") == "http://a"


@pytest.mark.parametrize("base", ["https://desk.example.com", "wss://desk.example.com/",
                                  "http://127.0.0.1:8080", "ws://127.0.0.1:8080"])
def test_one_base_for_callbacks_and_one_for_streams_whatever_the_spelling(base):
    # Callbacks and TwiML URLs are http(s); a <Stream url> is ws(s); the host is kept.
    secure = base.startswith(("https", "wss"))
    host = base.split("://")[1].rstrip("/")
    assert http_base(base) == ("https://" if secure else "http://") + host
    assert stream_base(base) == ("wss://" if secure else "ws://") + host
    assert http_base(stream_base(base)) == http_base(base)


def test_stream_tokens():
    tokens = StreamTokens.for_auth_token(TOKEN, ttl_seconds=60)
    token = tokens.mint("CA1", now=1000.0)
    claims = tokens.verify(token, now=1030.0)
    assert claims.call_sid == "CA1"
    with pytest.raises(TokenError, match="expired"):
        tokens.verify(token, now=1061.0)
    body, _, sig = token.partition(".")
    with pytest.raises(TokenError, match="bad_signature"):
        tokens.verify(body + "." + sig[::-1], now=1001.0)
    with pytest.raises(TokenError, match="bad_signature"):
        StreamTokens.for_auth_token("other" * 8, 60).verify(token, now=1001.0)
    # Servers sharing the auth token accept each other's tokens.
    assert StreamTokens.for_auth_token(TOKEN, 60).verify(token, now=1001.0).token_id
