"""Twilio Media Streams messages: a pure parser from wire text to typed events.

No I/O here. Every message the caller's side sends goes through `parse_message`
before pipecat sees it: pipecat's serializer raises on shapes it does not expect
(`[]`, a bare string, bad base64) and its transport then treats the call as hung up.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Connected",
    "Dtmf",
    "Event",
    "Mark",
    "Media",
    "Start",
    "Stop",
    "WireError",
    "parse_message",
]

# One 20 ms frame of 8 kHz mu-law is 160 bytes; Twilio never sends more than a few.
MAX_MEDIA_PAYLOAD_BYTES = 8_000
# Twilio reports the 12 keys of a phone keypad (pipecat has no A-D either).
DTMF_DIGITS = frozenset("0123456789*#")


class WireError(ValueError):
    """A message that is not a valid Twilio Media Streams message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass(frozen=True)
class Connected:
    protocol: str
    version: str


@dataclass(frozen=True)
class Start:
    stream_sid: str
    call_sid: str
    account_sid: str
    tracks: tuple[str, ...]
    custom_parameters: dict[str, str] = field(default_factory=dict)
    encoding: str = "audio/x-mulaw"
    sample_rate_hz: int = 8000
    channels: int = 1


@dataclass(frozen=True)
class Media:
    stream_sid: str
    track: str
    chunk: int
    timestamp_ms: int
    payload: bytes


@dataclass(frozen=True)
class Dtmf:
    stream_sid: str
    digit: str


@dataclass(frozen=True)
class Mark:
    stream_sid: str
    name: str


@dataclass(frozen=True)
class Stop:
    stream_sid: str
    call_sid: str


Event = Connected | Start | Media | Dtmf | Mark | Stop


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise WireError("bad_shape", f"{where} must be a JSON object")
    return value


def _str(obj: dict[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = obj.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise WireError("bad_field", f"{where}.{key} must be a non-empty string")
    return value


def _int(value: Any, where: str) -> int:
    # Twilio sends chunk and timestamp as decimal strings.
    if isinstance(value, bool):
        raise WireError("bad_field", f"{where} must be an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise WireError("bad_field", f"{where} must be an integer")


def _parse_start(msg: dict[str, Any]) -> Start:
    start = _obj(msg.get("start"), "start")
    fmt = _obj(start.get("mediaFormat", {}), "start.mediaFormat")
    params = _obj(start.get("customParameters", {}), "start.customParameters")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in params.items()):
        raise WireError("bad_field", "start.customParameters must map strings to strings")
    tracks = start.get("tracks", ["inbound"])
    if not isinstance(tracks, list) or not all(isinstance(t, str) for t in tracks):
        raise WireError("bad_field", "start.tracks must be a list of strings")
    encoding = fmt.get("encoding", "audio/x-mulaw")
    rate = _int(fmt.get("sampleRate", 8000), "start.mediaFormat.sampleRate")
    if encoding != "audio/x-mulaw" or rate != 8000:
        raise WireError("bad_format", f"unsupported media format {encoding!r} at {rate} Hz")
    return Start(
        stream_sid=_str(start, "streamSid", "start"),
        call_sid=_str(start, "callSid", "start"),
        account_sid=_str(start, "accountSid", "start", required=False),
        tracks=tuple(tracks),
        custom_parameters=dict(params),
        encoding=encoding,
        sample_rate_hz=rate,
        channels=_int(fmt.get("channels", 1), "start.mediaFormat.channels"),
    )


def _parse_media(msg: dict[str, Any], stream_sid: str) -> Media:
    media = _obj(msg.get("media"), "media")
    encoded = media.get("payload")
    if not isinstance(encoded, str):
        raise WireError("bad_field", "media.payload must be a base64 string")
    if len(encoded) > MAX_MEDIA_PAYLOAD_BYTES * 4 // 3 + 4:
        raise WireError("too_large", f"media payload over {MAX_MEDIA_PAYLOAD_BYTES} bytes")
    try:
        payload = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise WireError("bad_base64", "media.payload is not valid base64") from exc
    return Media(
        stream_sid=stream_sid,
        track=media.get("track", "inbound") if isinstance(media.get("track"), str) else "inbound",
        chunk=_int(media.get("chunk", 0), "media.chunk"),
        timestamp_ms=_int(media.get("timestamp", 0), "media.timestamp"),
        payload=payload,
    )


def parse_message(data: str | bytes, *, max_bytes: int = 16_384) -> Event:
    """Parse one WebSocket message from Twilio into a typed event.

    Raises WireError with a short code for anything malformed or unsupported.
    """
    if len(data) > max_bytes:
        raise WireError("too_large", f"message of {len(data)} bytes exceeds {max_bytes}")
    try:
        msg = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise WireError("bad_json", "message is not JSON") from exc
    msg = _obj(msg, "message")
    event = msg.get("event")
    if event == "connected":
        return Connected(protocol=str(msg.get("protocol", "")), version=str(msg.get("version", "")))
    if event == "start":
        return _parse_start(msg)
    stream_sid = _str(msg, "streamSid", "message")
    if event == "media":
        return _parse_media(msg, stream_sid)
    if event == "dtmf":
        digit = _str(_obj(msg.get("dtmf"), "dtmf"), "digit", "dtmf")
        if digit not in DTMF_DIGITS:
            raise WireError("bad_field", f"dtmf.digit {digit!r} is not a keypad digit")
        return Dtmf(stream_sid=stream_sid, digit=digit)
    if event == "mark":
        return Mark(stream_sid=stream_sid, name=_str(_obj(msg.get("mark"), "mark"), "name", "mark"))
    if event == "stop":
        stop = msg.get("stop") if isinstance(msg.get("stop"), dict) else {}
        return Stop(stream_sid=stream_sid, call_sid=str(stop.get("callSid", "")))
    raise WireError("unknown_event", f"unknown event {event!r}")
