import xml.etree.ElementTree as ET

from telephony.twilio import twiml


def test_connect_stream_carries_token_and_fallback():
    doc = ET.fromstring(twiml.connect_stream("wss://h/twilio/stream", "tok&<x>",
                                             fallback_number="+15550001111"))
    stream = doc.find("Connect/Stream")
    assert stream is not None and stream.get("url") == "wss://h/twilio/stream"
    param = stream.find("Parameter")
    assert param.get("name") == twiml.TOKEN_PARAMETER and param.get("value") == "tok&<x>"
    # The fallback dial runs only after </Connect>, when our stream has ended.
    assert [child.tag for child in doc] == ["Connect", "Dial"]
    assert doc.find("Dial").text == "+15550001111"


def test_connect_stream_without_fallback_ends_with_connect():
    doc = ET.fromstring(twiml.connect_stream("wss://h/s", "t"))
    assert [child.tag for child in doc] == ["Connect"]


def test_dial():
    doc = ET.fromstring(twiml.dial("+1555", message="Connecting"))
    assert [child.tag for child in doc] == ["Say", "Dial"] and doc.find("Dial").text == "+1555"
