"""A simulated Twilio caller: signed webhook, then a Media Stream (the `frontdesk call`
command around it is ``telephony.cli.call_command``).

The wire protocol is streamdouble's; this module adds what a *conversation* needs on
top: caller turns that wait for the agent's reply to finish playing (or barge in on
it), markers in streamdouble's event log, and pure arithmetic over that log (turns,
voice-to-voice latency, barge-in reaction, playback underruns).

At ~315 lines: the caller's actions and the arithmetic over the event log they write share
that log's markers.
"""

from __future__ import annotations

import asyncio
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import numpy as np
import websockets
from streamdouble import audio as sd_audio
from streamdouble import session as streamdouble_session
from streamdouble.metrics import compute as compute_metrics
from streamdouble.protocol import StreamIdentity
from streamdouble.scenario import Dtmf, Say, Scenario, Step, Wait
from streamdouble.session import Session, SessionConfig
from twilio.request_validator import RequestValidator

from config.settings import Settings
from telephony.cli.callreport import (
    SILENT_PEAK,
    TURN_EVENT,
    AgentTurn,
    CallerStep,
    CallerTurn,
    CallResult,
    PreparedTurn,
    StreamTwiml,
    analyse_call,
    format_call,
    split_agent_audio,
)
from telephony.twilio.security import stream_base
from voice.audio import load_audio_as_mulaw8k, mulaw8k_to_pcm16k, mulaw_decode, synthesize_mulaw8k

if TYPE_CHECKING:
    from faster_whisper import WhisperModel
    from piper import PiperVoice

__all__ = [
    "AgentTurn", "CallResult", "CallerStep", "CallerTurn", "PreparedTurn", "SimulatorError",
    "StreamTwiml", "analyse_call", "build_scenario", "format_call",
    "parse_stream_twiml", "place_call", "place_prepared_call", "prepare_steps", "resume_call",
    "sign_webhook", "split_agent_audio", "trim_silence", "webhook_params",
]


class SimulatorError(Exception):
    """The call could not be placed (webhook refused, no <Stream> in the TwiML, ...)."""


# -- the webhook (pure) ---------------------------------------------------------------------
def webhook_params(call_sid: str, account_sid: str, from_number: str, to_number: str) -> dict:
    return {"CallSid": call_sid, "AccountSid": account_sid, "From": from_number,
            "To": to_number, "Caller": from_number, "Called": to_number,
            "CallStatus": "ringing", "Direction": "inbound", "ApiVersion": "2010-04-01"}


def sign_webhook(url: str, params: dict[str, str], auth_token: str) -> str:
    return str(RequestValidator(auth_token).compute_signature(url, params))


def parse_stream_twiml(document: str) -> StreamTwiml:
    try:
        root = ET.fromstring(document)
    except ET.ParseError as exc:
        raise SimulatorError(f"the webhook answered with invalid XML: {exc}") from exc
    stream = root.find("./Connect/Stream")
    if root.tag != "Response" or stream is None or not stream.get("url"):
        said = " ".join(e.text or "" for e in root.iter("Say")).strip()
        raise SimulatorError("the TwiML has no <Connect><Stream url>" + (f"; it says: {said!r}"
                                                                          if said else ""))
    parameters = {p.get("name", ""): p.get("value", "") for p in stream.findall("Parameter")}
    return StreamTwiml(str(stream.get("url")), parameters)


# -- caller audio -----------------------------------------------------------------------------
def trim_silence(mulaw: bytes, *, keep_seconds: float = 0.04) -> bytes:
    """Cut leading/trailing silence, so 'end of speech' is the end of the words."""
    loud = np.flatnonzero(np.abs(mulaw_decode(mulaw).astype(np.int32)) >= SILENT_PEAK)
    if not loud.size:
        return b""
    keep = int(keep_seconds * 8000)
    return mulaw[max(0, int(loud[0]) - keep): int(loud[-1]) + 1 + keep]


def prepare_steps(steps: Sequence[CallerStep], voice: PiperVoice | None) -> list[PreparedTurn]:
    """Render each step's speech (blocking: run it in a thread)."""
    prepared = []
    for step in steps:
        if step.say is not None:
            if voice is None:
                raise SimulatorError("a `say` step needs a piper voice")
            mulaw = synthesize_mulaw8k(step.say, voice)
        elif step.audio is not None:
            mulaw = load_audio_as_mulaw8k(step.audio)
        elif step.dtmf:
            mulaw = b""
        else:
            raise SimulatorError("a caller step needs say, audio or dtmf")
        prepared.append(PreparedTurn(step, trim_silence(mulaw)))
        if (step.say is not None or step.audio is not None) and not prepared[-1].mulaw:
            raise SimulatorError(f"step {len(prepared)} has no audible speech")
    return prepared


# -- the scripted session ---------------------------------------------------------------------
@dataclass(frozen=True)
class _TurnEdge(Step):
    index: int
    edge: str  # "start" | "end"


@dataclass(frozen=True)
class _AwaitReply(Step):
    """Stream silence until the agent's next reply has started (``start_only``) or has
    finished playing: no audio for ``quiet_s`` after its playback ends, no mark pending."""

    timeout_s: float
    quiet_s: float
    start_only: bool = False
    max_reply_s: float = 60.0


# The headers of the stream upgrade a session is opening (its X-Twilio-Signature). streamdouble
# 0.3 opens the WebSocket itself and takes no headers; its module's ``websockets`` is given a
# stand-in whose ``connect`` adds them, read from the running task's context, so sessions that
# run at the same time (the bench) each send their own.
_UPGRADE_HEADERS: ContextVar[dict[str, str] | None] = ContextVar("upgrade_headers",
                                                                default=None)


class _SigningWebsockets:
    """``websockets`` as streamdouble's session sees it: the same module, with the upgrade's
    headers added to ``connect``."""

    def __getattr__(self, name: str) -> Any:
        return getattr(websockets, name)

    def connect(self, uri: str, **kwargs: Any) -> Any:
        headers = _UPGRADE_HEADERS.get()
        if headers:
            kwargs["additional_headers"] = {**kwargs.get("additional_headers", {}), **headers}
        return websockets.connect(uri, **kwargs)


streamdouble_session.websockets = _SigningWebsockets()  # type: ignore[assignment]


class _CallerSession(Session):
    _reply_since = float("-inf")

    def __init__(self, *args: Any, headers: dict[str, str] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._headers = headers or {}

    async def run(self) -> Any:
        """Open the stream with the upgrade signed as Twilio signs it."""
        token = _UPGRADE_HEADERS.set(self._headers)
        try:
            return await super().run()
        finally:
            _UPGRADE_HEADERS.reset(token)

    async def _run_step(self, connection: Any, step: Step) -> None:
        if isinstance(step, _TurnEdge):
            at = self.clock()
            self._record(TURN_EVENT, at=at, index=step.index, edge=step.edge)
            if step.edge == "end":
                self._reply_since = at
        elif isinstance(step, _AwaitReply):
            await self._await_reply(connection, step)
        else:
            await super()._run_step(connection, step)

    async def _tick(self, connection: Any) -> None:
        await self._stream_frames(connection, [sd_audio.silence_frame()])

    async def _await_reply(self, connection: Any, step: _AwaitReply) -> None:
        deadline = self.clock() + step.timeout_s
        while (self._last_audio_at or float("-inf")) <= self._reply_since:
            if self._hung_up or self.clock() >= deadline:
                self._record("reply_timeout", waited=step.timeout_s)
                return
            await self._tick(connection)
        if step.start_only:
            return
        cap = self.clock() + step.max_reply_s
        while not self._hung_up and self.clock() < cap:
            heard_until = max(self._last_audio_at or 0.0, self._playback_ends_at or 0.0)
            if not self._pending_marks and self.clock() - heard_until >= step.quiet_s:
                return
            await self._tick(connection)


def build_scenario(turns: Sequence[PreparedTurn], *, timeout_s: float, quiet_s: float) -> Scenario:
    steps: list[Step] = []
    for index, turn in enumerate(turns):
        barge = turn.step.barge_in_after_seconds
        steps.append(_AwaitReply(timeout_s, quiet_s, start_only=barge is not None))
        for pause in (barge, turn.step.pause_seconds):
            if pause:
                steps.append(Wait(pause))
        steps.append(_TurnEdge(index, "start"))
        if turn.mulaw:
            steps.append(Say(Path(f"turn-{index}"), sd_audio.frame_ulaw(turn.mulaw)))
        if turn.step.dtmf:
            steps.append(Dtmf(turn.step.dtmf))
        steps.append(_TurnEdge(index, "end"))
    steps.append(_AwaitReply(timeout_s, quiet_s))
    return Scenario("frontdesk caller", steps)


# -- placing the call ---------------------------------------------------------------------------
def _new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


async def _answer(base_url: str, params: dict[str, str], settings: Settings) -> StreamTwiml:
    """POST the incoming-call webhook, signed as Twilio signs it, and read the TwiML."""
    url = f"{base_url.rstrip('/')}/twilio/voice"
    signed_url = f"{settings.public_url}/twilio/voice" if settings.public_url else url
    token = settings.twilio.auth_token.get_secret_value()
    headers = {"X-Twilio-Signature": sign_webhook(signed_url, params, token)} if token else {}
    async with httpx.AsyncClient(timeout=10.0) as client:
        try:
            response = await client.post(url, data=params, headers=headers)
        except httpx.HTTPError as exc:
            raise SimulatorError(f"could not reach {url}: {exc}") from exc
    if response.status_code != 200:
        raise SimulatorError(f"webhook refused: HTTP {response.status_code} {response.text[:200]}")
    return parse_stream_twiml(response.text)


def direct_stream_url(stream_url: str, base_url: str, public_url: str) -> str:
    """Where the simulator opens a stream the TwiML names: a URL under the server's public URL
    is reached at ``base_url`` instead, as the webhook was (the public name is the proxy's,
    in front of the server)."""
    public = stream_base(public_url) if public_url else ""
    if base_url and public and (stream_url == public or stream_url.startswith(public + "/")):
        return stream_base(base_url) + stream_url[len(public):]
    return stream_url


async def place_prepared_call(
    base_url: str, turns: Sequence[PreparedTurn], *, settings: Settings,
    whisper: WhisperModel | None = None, call_sid: str | None = None,
    from_number: str = "+15551230000", to_number: str = "+15559870000",
    response_timeout_seconds: float = 15.0, quiet_seconds: float = 1.2,
) -> CallResult:
    """One call with caller audio already rendered; transcribes the agent when given
    ``whisper``."""
    call_sid = call_sid or _new_sid("CA")
    account_sid = settings.twilio.account_sid or _new_sid("AC")
    answer = await _answer(base_url, webhook_params(call_sid, account_sid, from_number,
                                                    to_number), settings)
    signed = answer.url
    answer = StreamTwiml(direct_stream_url(answer.url, base_url, settings.public_url),
                         answer.parameters)
    return await _stream(answer, turns, call_sid=call_sid, account_sid=account_sid,
                         settings=settings, whisper=whisper, signed_url=signed,
                         response_timeout_seconds=response_timeout_seconds,
                         quiet_seconds=quiet_seconds)


async def resume_call(
    document: str, steps: Sequence[CallerStep], *, call_sid: str, settings: Settings,
    voice: PiperVoice | None, whisper: WhisperModel | None,
    response_timeout_seconds: float = 15.0, quiet_seconds: float = 1.2, base_url: str = "",
) -> CallResult:
    """Go on with a call Twilio was told to redirect to ``document`` (TwiML with a
    ``<Connect><Stream>``, e.g. a caller brought back from a transfer): a new media stream
    of the same call (at ``base_url`` when the TwiML names the public URL)."""
    turns = await asyncio.to_thread(prepare_steps, steps, voice)
    answer = parse_stream_twiml(document)
    signed = answer.url
    answer = StreamTwiml(direct_stream_url(answer.url, base_url, settings.public_url),
                         answer.parameters)
    return await _stream(answer, turns, call_sid=call_sid,
                         account_sid=settings.twilio.account_sid or _new_sid("AC"),
                         settings=settings, whisper=whisper, signed_url=signed,
                         response_timeout_seconds=response_timeout_seconds,
                         quiet_seconds=quiet_seconds)


async def _stream(
    answer: StreamTwiml, turns: Sequence[PreparedTurn], *, call_sid: str, account_sid: str,
    settings: Settings, whisper: WhisperModel | None, response_timeout_seconds: float,
    quiet_seconds: float, signed_url: str = "",
) -> CallResult:
    """Open the media stream ``answer`` names and play the caller's turns on it; the upgrade
    is signed over ``signed_url`` (the URL the TwiML gave, which Twilio signs) when the
    settings hold an auth token."""
    config = SessionConfig(
        custom_parameters=answer.parameters, echo_marks=True,
        response_timeout_s=response_timeout_seconds, quiet_period_s=quiet_seconds,
        max_call_s=min(1800.0, 120.0 + 90.0 * (len(turns) + 1)),
    )
    identity = StreamIdentity(call_sid=call_sid, account_sid=account_sid)
    scenario = build_scenario(turns, timeout_s=response_timeout_seconds, quiet_s=quiet_seconds)
    token = settings.twilio.auth_token.get_secret_value()
    headers = {"X-Twilio-Signature": sign_webhook(signed_url or answer.url, {}, token)} \
        if token else {}
    session = _CallerSession(answer.url, scenario=scenario, config=config, identity=identity,
                             headers=headers)
    try:
        result = await session.run()
    except (OSError, TimeoutError) as exc:
        raise SimulatorError(f"could not open the stream {answer.url}: {exc}") from exc
    agent_turns, caller_turns = analyse_call(result.events, result.audio_received,
                                             result.started_at, turns)
    if whisper is not None:
        agent_turns = [AgentTurn(t.started_at_s, t.ended_at_s, t.underrun_ms,
                                 await asyncio.to_thread(_transcribe, whisper, t.audio, settings),
                                 t.audio) for t in agent_turns]
    greeting = agent_turns[0].started_at_s if agent_turns and (
        not caller_turns or caller_turns[0].ended_at_s is None
        or agent_turns[0].started_at_s < caller_turns[0].ended_at_s) else None
    metrics = compute_metrics(result).to_dict()
    return CallResult(
        call_sid, identity.stream_sid, tuple(agent_turns), tuple(caller_turns),
        None if greeting is None else round(greeting * 1000, 1), result.clears_received,
        len(result.marks_received), len(result.marks_echoed), result.closed_by,
        tuple(f"{v.code}: {v}" for v in result.violations),
        round(result.audio_duration_s, 3),
        # Inbound gap stats are left out: in a conversation they measure the pauses.
        {k: metrics.get(k) for k in ("p95_inbound_gap_ms", "timed_out", "pacing")},
        result.audio_received,
    )


def _transcribe(whisper: WhisperModel, mulaw: bytes, settings: Settings) -> str:
    from voice.whisper import transcribe_pcm16

    language = None if settings.stt.language == "auto" else settings.stt.language
    pcm = mulaw8k_to_pcm16k(mulaw).tobytes()
    return transcribe_pcm16(whisper, pcm, 16000, language=language).text


async def place_call(
    base_url: str, steps: Sequence[CallerStep], *, settings: Settings,
    voice: PiperVoice | None, whisper: WhisperModel | None, call_sid: str | None = None,
    from_number: str = "+15551230000", to_number: str = "+15559870000",
    response_timeout_seconds: float = 15.0, quiet_seconds: float = 1.2,
) -> CallResult:
    """Render the caller's steps, then place the call (see ``place_prepared_call``)."""
    turns = await asyncio.to_thread(prepare_steps, steps, voice)
    return await place_prepared_call(
        base_url, turns, settings=settings, whisper=whisper, call_sid=call_sid,
        from_number=from_number, to_number=to_number,
        response_timeout_seconds=response_timeout_seconds, quiet_seconds=quiet_seconds)
