"""TwiML documents, as pure functions over twilio's own builder."""

from __future__ import annotations

from twilio.twiml.voice_response import Connect, Dial, Gather, VoiceResponse

__all__ = [
    "agent_briefing",
    "agent_join",
    "connect_stream",
    "dial",
    "hold_in_conference",
    "hang_up_message",
]

TOKEN_PARAMETER = "frontdesk_token"
RESUME_PARAMETER = "frontdesk_resume"  # a handoff id: the caller is back from a failed transfer


def connect_stream(
    stream_url: str, token: str, *, fallback_number: str = "", fallback_message: str = "",
    resume: str = "",
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
    if resume:
        stream.parameter(name=RESUME_PARAMETER, value=resume)
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



def hold_in_conference(conference: str, *, status_url: str = "") -> str:
    """The caller waits in a conference with Twilio's hold music until the agent joins.

    The conference starts (music stops) when the agent enters; the caller leaving ends it.
    """
    response = VoiceResponse()
    dial = Dial()
    dial.conference(conference, start_conference_on_enter=False, end_conference_on_exit=True,
                    beep=False, **({"status_callback": status_url,
                                    "status_callback_event": "start end join leave"}
                                   if status_url else {}))
    response.append(dial)
    return str(response)


def agent_briefing(text: str, gather_url: str, *, timeout_seconds: int = 8) -> str:
    """The agent hears the briefing and presses 1 to accept or 2 to decline."""
    response = VoiceResponse()
    gather = Gather(num_digits=1, action=gather_url, method="POST", timeout=timeout_seconds)
    gather.say(text)
    response.append(gather)
    response.say("No key pressed. The caller will be offered another option. Goodbye.")
    response.hangup()
    return str(response)


def agent_join(conference: str) -> str:
    """The agent joins the caller's conference; the conference ends when either leaves."""
    response = VoiceResponse()
    response.say("Connecting you now.")
    dial = Dial()
    dial.conference(conference, start_conference_on_enter=True, end_conference_on_exit=True,
                    beep=False)
    response.append(dial)
    return str(response)


def hang_up_message(message: str) -> str:
    response = VoiceResponse()
    response.say(message)
    response.hangup()
    return str(response)
