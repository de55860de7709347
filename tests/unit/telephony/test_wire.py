import base64
import json

import pytest

from telephony.twilio import wire


def _media(payload: str, **extra) -> str:
    return json.dumps({"event": "media", "streamSid": "MZ1",
                       "media": {"track": "inbound", "chunk": "3", "timestamp": "60",
                                 "payload": payload, **extra}})


def test_start_parses_token_and_format():
    msg = {"event": "start", "sequenceNumber": "1", "streamSid": "MZ1",
           "start": {"streamSid": "MZ1", "callSid": "CA1", "accountSid": "AC1",
                     "tracks": ["inbound"], "customParameters": {"frontdesk_token": "t"},
                     "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000,
                                     "channels": 1}}}
    start = wire.parse_message(json.dumps(msg))
    assert isinstance(start, wire.Start)
    assert (start.call_sid, start.custom_parameters["frontdesk_token"]) == ("CA1", "t")


def test_media_payload_is_decoded():
    media = wire.parse_message(_media(base64.b64encode(b"\xff" * 160).decode()))
    assert isinstance(media, wire.Media)
    assert media.payload == b"\xff" * 160 and media.chunk == 3 and media.timestamp_ms == 60


@pytest.mark.parametrize(("data", "code"), [
    ("[]", "bad_shape"),
    ('"hello"', "bad_shape"),
    ("not json", "bad_json"),
    (b"\xff\xfe", "bad_json"),
    (json.dumps({"event": "media", "streamSid": "MZ1", "media": "x"}), "bad_shape"),
    (_media("%%%not-base64%%%"), "bad_base64"),
    (_media("A" * 20_000), "too_large"),
    (json.dumps({"event": "dtmf", "streamSid": "MZ1", "dtmf": {"digit": "x"}}), "bad_field"),
    (json.dumps({"event": "nonsense", "streamSid": "MZ1"}), "unknown_event"),
    (json.dumps({"event": "media", "media": {"payload": ""}}), "bad_field"),
    (json.dumps({"event": "start", "start": {"streamSid": "MZ", "callSid": "CA",
                 "mediaFormat": {"encoding": "audio/l16", "sampleRate": 16000}}}), "bad_format"),
])
def test_malformed_messages_get_a_code(data, code):
    with pytest.raises(wire.WireError) as err:
        wire.parse_message(data)
    assert err.value.code == code


def test_oversized_message_is_refused_before_parsing():
    with pytest.raises(wire.WireError) as err:
        wire.parse_message("x" * 20_000, max_bytes=16_384)
    assert err.value.code == "too_large"


def test_dtmf_mark_stop():
    assert wire.parse_message(json.dumps(
        {"event": "dtmf", "streamSid": "MZ1", "dtmf": {"digit": "#"}})) == wire.Dtmf("MZ1", "#")
    assert wire.parse_message(json.dumps(
        {"event": "mark", "streamSid": "MZ1", "mark": {"name": "s1"}})) == wire.Mark("MZ1", "s1")
    assert isinstance(wire.parse_message(json.dumps(
        {"event": "stop", "streamSid": "MZ1", "stop": {"callSid": "CA1"}})), wire.Stop)
