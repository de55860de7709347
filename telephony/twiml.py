"""TwiML documents, as pure functions over twilio's own builder."""

from __future__ import annotations

from twilio.twiml.voice_response import Connect, Dial, VoiceResponse

__all__ = ["connect_stream", "dial"]

TOKEN_PARAMETER = "frontdesk_token"


def connect_stream(
    stream_url: str, token: str, *, fallback_number: str = "", fallback_message: str = ""
) -> str:
    """Answer a call by streaming it to us.

    TwiML after </Connect> runs when our WebSocket closes without the call having
    been redirected or completed: if the server crashes mid-call the caller is put
    through to the front desk instead of being dropped.
    """
    response = VoiceResponse()
    connect = Connect()
    stream = connect.stream(url=stream_url)
    stream.parameter(name=TOKEN_PARAMETER, value=token)
    response.append(connect)
    if fallback_number:
        if fallback_message:
            response.say(fallback_message)
        response.append(Dial(fallback_number))
    return str(response)


def dial(number: str, *, message: str = "", timeout_seconds: int = 30) -> str:
    """A cold transfer: optionally say something, then ring `number`."""
    response = VoiceResponse()
    if message:
        response.say(message)
    response.dial(number, timeout=timeout_seconds)
    return str(response)

